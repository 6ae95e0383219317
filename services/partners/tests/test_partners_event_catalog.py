"""The event catalog (PLAT-03): the AsyncAPI document is generated from the payload models
and committed up to date; every published event version stays backward compatible with
its snapshot; every event type is a CloudEvent the official SDK parses. No servers needed."""

from __future__ import annotations

import json
import re
import types
import typing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from cloudevents.core.formats.json import JSONFormat
from cloudevents.v1.http import from_json as v1_from_json
from pydantic import BaseModel

from anjian_shared import asyncapi
from anjian_shared.events import EVENT_TYPES, make_event
from anjian_shared.events.compat import breaking_changes

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "asyncapi.yaml"
REFRESH = "run `make asyncapi` and commit docs/asyncapi.yaml and the snapshots"


# --------------------------------------------------------------------------- example payloads


def example(annotation: Any, name: str = "x") -> Any:
    """A valid value of ``annotation`` (for building every payload model with example data)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        return args[0]
    if origin in (typing.Union, types.UnionType):
        return example(next(a for a in args if a is not type(None)), name)
    if origin in (list, tuple, set, frozenset):
        return [example(args[0], name)] if args else []
    if origin is dict:
        return {}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return build(annotation)
    if annotation is bool:
        return True
    if annotation is int:
        return 1
    if annotation is float:
        return 1.5
    if annotation is datetime:
        return datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    if annotation is date:
        return date(2026, 11, 28)
    if annotation is str:
        return f"示例-{name}"
    raise TypeError(f"no example for {annotation!r}: extend example() in this test")


def build(model: type[BaseModel]) -> BaseModel:
    hints = typing.get_type_hints(model)
    return model(**{name: example(hints[name], name) for name in model.model_fields})


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_type_is_a_cloudevent_the_official_sdk_parses(event_type):
    payload = build(EVENT_TYPES[event_type])
    event = make_event(type=event_type, tenant="hubei", service=event_type.split(".")[0], subject="s-1", data=payload)
    wire = event.model_dump_json()
    parsed = JSONFormat().read(None, wire.encode())  # cloudevents 2.x core API: strict validation
    attrs = parsed.get_attributes()
    assert attrs["specversion"] == "1.0" and attrs["type"] == event_type and attrs["id"] == event.id
    assert attrs["source"] == f"/hubei/{event_type.split('.')[0]}" and attrs["tenant"] == "hubei"
    assert parsed.get_data() == json.loads(wire)["data"]
    legacy = v1_from_json(wire)  # the 1.x API (cloudevents.v1.http.from_json) too
    assert legacy["type"] == event_type and legacy.data == payload.model_dump(mode="json")


def test_example_builder_covers_every_model():
    for model in EVENT_TYPES.values():
        assert isinstance(build(model), model)


# --------------------------------------------------------------------------- the document


def test_committed_asyncapi_document_is_generated_from_the_current_models():
    assert DOC.is_file(), f"docs/asyncapi.yaml is missing: {REFRESH}"
    assert DOC.read_text(encoding="utf-8") == asyncapi.to_yaml(asyncapi.build_document()), (
        f"an event model changed but docs/asyncapi.yaml was not regenerated: {REFRESH}")


def test_make_target_regenerates_document_and_snapshots():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^asyncapi:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert target, "Makefile has an asyncapi target"
    assert "anjian_shared.asyncapi" in target.group(1) and "docs/asyncapi.yaml" in target.group(1)
    assert "--snapshots" in target.group(1)


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return ([node["$ref"]] if isinstance(node.get("$ref"), str) else []) + \
            [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_document_is_asyncapi_3_with_a_channel_and_message_per_event_type():
    doc = yaml.safe_load(DOC.read_text(encoding="utf-8"))
    assert doc["asyncapi"] == "3.0.0" and doc["info"]["title"] and doc["info"]["version"]
    assert doc["defaultContentType"] == "application/cloudevents+json"
    for ref in _refs(doc):
        _resolve(doc, ref)  # every reference resolves
    ident = re.compile(r"^[A-Za-z0-9_\-]+$")
    assert all(ident.match(k) for k in doc["channels"]) and all(ident.match(k) for k in doc["operations"])
    assert all(re.match(r"^[a-zA-Z0-9.\-_]+$", k) for section in doc["components"].values() for k in section)
    for event_type, model in EVENT_TYPES.items():
        cid = asyncapi.channel_id(event_type)
        channel = doc["channels"][cid]
        assert channel["address"] == event_type, "routing key = type"
        binding = channel["bindings"]["amqp"]
        assert binding["is"] == "routingKey" and binding["exchange"]["name"] == "anjian.events"
        assert binding["exchange"]["type"] == "topic"
        message = _resolve(doc, channel["messages"][cid]["$ref"])
        assert message["name"] == event_type and message["contentType"] == "application/cloudevents+json"
        envelope, specific = message["payload"]["allOf"]
        assert envelope == {"$ref": "#/components/schemas/CloudEvent"}
        assert specific["properties"]["type"]["const"] == event_type
        data = _resolve(doc, specific["properties"]["data"]["$ref"])
        assert set(data["properties"]) == set(model.model_fields), "the payload schema is the model's"
        assert doc["operations"][f"publish_{cid}"]["action"] == "send"
        assert cid in doc["channels"]["partnerWebhook"]["messages"]
        assert cid in doc["channels"]["partnerQueue"]["messages"]
    envelope = doc["components"]["schemas"]["CloudEvent"]
    assert {"specversion", "id", "type", "source", "time", "tenant", "data"} <= set(envelope["required"])
    headers = doc["components"]["schemas"]["WebhookHeaders"]["properties"]
    assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= set(headers)
    assert doc["operations"]["deliverWebhook"]["bindings"]["http"]["method"] == "POST"
    assert doc["channels"]["partnerQueue"]["address"] == "partner.{subscriptionId}"


# --------------------------------------------------------------------------- compatibility


def test_every_event_type_has_a_committed_schema_snapshot():
    missing = [t for t in EVENT_TYPES if not (asyncapi.SNAPSHOT_DIR / f"{t}.json").is_file()]
    assert not missing, f"no schema snapshot for {missing}: {REFRESH}"


def test_every_published_event_version_is_backward_compatible_with_its_snapshot():
    problems = asyncapi.check_snapshots()
    assert not problems, (
        "breaking changes to published event versions — publish a new version (…v2) instead:\n"
        + "\n".join(f"  {t}: {p}" for t, ps in problems.items() for p in ps))


def test_snapshots_are_current():
    stale = [t for t in EVENT_TYPES if (asyncapi.SNAPSHOT_DIR / f"{t}.json").is_file()
             and (asyncapi.SNAPSHOT_DIR / f"{t}.json").read_text(encoding="utf-8") != asyncapi.snapshot_text(t)]
    assert not stale, f"compatible changes not yet in the snapshots of {stale}: {REFRESH}"


class Person(BaseModel):
    user_id: str
    name: str


class V1(BaseModel):
    notice_id: str
    rounds: int
    status: Literal["open", "closed"]
    by: Person
    people: list[Person] = []
    note: str | None = None


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(mode="serialization")


def test_compatibility_rules_catch_removed_retyped_and_new_required_fields():
    class Removed(BaseModel):
        rounds: int
        status: Literal["open", "closed"]
        by: Person
        people: list[Person] = []
        note: str | None = None

    class Retyped(V1):
        rounds: str  # type: ignore[assignment]

    class Nullable(V1):
        rounds: int | None = None  # type: ignore[assignment]

    class NewRequired(V1):
        region: str

    class LostValue(V1):
        status: Literal["open"]  # type: ignore[assignment]

    class NestedRemoved(BaseModel):
        class P(BaseModel):
            user_id: str

        notice_id: str
        rounds: int
        status: Literal["open", "closed"]
        by: P
        people: list[P] = []
        note: str | None = None

    old = _schema(V1)
    cases = {Removed: "data.notice_id: removed", Retyped: "data.rounds: retyped",
             Nullable: "data.rounds: retyped", NewRequired: "data.region: new required field",
             LostValue: "data.status: enumeration lost", NestedRemoved: "data.by.name: removed"}
    for model, expected in cases.items():
        problems = breaking_changes(old, _schema(model))
        assert any(p.startswith(expected) for p in problems), (model.__name__, problems)
    assert any(p.startswith("data.people[].name: removed") for p in breaking_changes(old, _schema(NestedRemoved)))


def test_compatibility_rules_accept_optional_additions():
    class Grown(V1):
        region: str | None = None
        status: Literal["open", "closed", "archived"]  # type: ignore[assignment]

    assert breaking_changes(_schema(V1), _schema(Grown)) == []
    assert breaking_changes(_schema(V1), _schema(V1)) == []


def test_snapshot_refresh_refuses_a_breaking_change(tmp_path, monkeypatch):
    asyncapi.write_snapshots(tmp_path)
    victim = "notices.notice.closed.v1"
    schema = json.loads((tmp_path / f"{victim}.json").read_text(encoding="utf-8"))
    schema["properties"]["legacy_field"] = {"type": "string"}  # the snapshot had a field the model lost
    (tmp_path / f"{victim}.json").write_text(json.dumps(schema), encoding="utf-8")
    with pytest.raises(ValueError, match="legacy_field: removed"):
        asyncapi.write_snapshots(tmp_path)
    assert asyncapi.main(["--snapshots", str(tmp_path), "--out", str(tmp_path / "a.yaml")]) == 1
    assert not (tmp_path / "a.yaml").exists()
