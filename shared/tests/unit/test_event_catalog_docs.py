"""The event catalog a partner can follow alone (issue 11, PLAT-03): every field of every
event payload (nested models too) has a description, every event type has an example payload
that its model accepts, and ``docs/asyncapi.yaml`` shows the examples in their envelopes.

When this fails, its message names each file, model and field and says how to fix it
(README "The event catalog: descriptions and examples")."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from anjian_shared import asyncapi
from anjian_shared.events import EVENT_TYPES


def test_plat03_every_payload_field_has_a_description_and_every_event_type_a_valid_example() -> None:
    problems = asyncapi.catalog_problems()
    assert not problems, (f"{len(problems)} gaps in the event catalog (docs/asyncapi.yaml), each with its "
                          "fix, then run `make asyncapi`:\n  " + "\n  ".join(problems))


class _Inner(BaseModel):
    user_id: str = Field(description="who")
    name: str


class _Undocumented(BaseModel):
    """``demo.thing.happened.v1``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"thing_id": "t1", "at": "not a time",
                                                               "who": {"user_id": "u", "name": "n"}}]})

    thing_id: str = Field(description="the thing")
    at: datetime
    who: _Inner = Field(description="who did it")


class _NoExample(BaseModel):
    thing_id: str = Field(description="the thing")


def test_plat03_the_failure_names_the_model_the_field_and_the_fix() -> None:
    problems = asyncapi.catalog_problems({"demo.thing.happened.v1": _Undocumented,
                                          "demo.thing.other.v1": _NoExample})
    text = "\n".join(problems)
    assert "_Undocumented.at has no description" in text and "Field(description=" in text
    assert "_Inner.name has no description" in text          # nested models count
    assert "_Inner.user_id" not in text and "_Undocumented.thing_id" not in text
    assert "demo.thing.other.v1 (_NoExample) has no example payload" in text and "json_schema_extra" in text
    assert "_Undocumented example 0 is not a valid payload (at:" in text
    assert all(line.startswith("shared/src/anjian_shared/events/") for line in problems)


def test_plat03_the_document_carries_each_example_in_its_cloudevent_envelope() -> None:
    doc = asyncapi.build_document()
    for event_type, model in EVENT_TYPES.items():
        message = doc["components"]["messages"][asyncapi.channel_id(event_type)]
        examples = message.get("examples", [])
        assert len(examples) == len(asyncapi.model_examples(model)), event_type
        for ex in examples:
            envelope = ex["payload"]
            assert envelope["type"] == event_type and envelope["specversion"] == "1.0"
            assert envelope["tenant"] == "hubei" and envelope["source"].startswith("/hubei/")
            model.model_validate(envelope["data"])
