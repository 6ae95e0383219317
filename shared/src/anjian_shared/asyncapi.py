"""The event catalog as an AsyncAPI 3.0 document, generated from ``events.EVENT_TYPES``.

Nothing in the document is written by hand per event: every channel, message and
payload schema comes from the pydantic payload models (``model_json_schema``) and
their docstrings, so the catalog cannot drift from what the services publish.
``docs/asyncapi.yaml`` is this module's output (``make asyncapi``); a test fails when
it is stale. The partners service serves the same document over HTTP
(``GET /api/partners/v1/asyncapi.yaml`` and ``.json``).

It also keeps one JSON-schema snapshot per event version in
``anjian_shared/events/schemas/<type>.json``: ``make asyncapi`` refreshes them, but
refuses (exit status 1, naming the fields) when a model changed in a way that breaks
consumers of that version (``events.compat``): such a change needs a new version.

CLI::

    python -m anjian_shared.asyncapi --out docs/asyncapi.yaml \\
        --snapshots shared/src/anjian_shared/events/schemas
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import typing
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from .events import EVENT_TYPES, CloudEvent
from .events.compat import breaking_changes

ASYNCAPI_VERSION = "3.0.0"
DOCUMENT_VERSION = "1.0.0"
EXCHANGE = "anjian.events"
SNAPSHOT_DIR = Path(__file__).resolve().parent / "events" / "schemas"
CONTENT_TYPE = "application/cloudevents+json"

PROSE = resources.files(__package__) / "asyncapi_docs"
"""The document's prose, in Markdown (package data): ``intro.md`` + ``partners.md`` is the
document description, ``descriptions.md`` holds the short descriptions of its parts."""


def prose(name: str) -> str:
    """The text of one Markdown file of ``asyncapi_docs``."""
    return (PROSE / name).read_text(encoding="utf-8")


def description() -> str:
    """The document's description: the envelope, then the partner guide."""
    return prose("intro.md") + "\n" + prose("partners.md")


def part_descriptions() -> dict[str, str]:
    """``descriptions.md`` as {key: one-line text}: each ``## key`` section, lines joined by spaces."""
    parts: dict[str, str] = {}
    key: str | None = None
    for line in prose("descriptions.md").splitlines():
        if line.startswith("## "):
            key = line[3:].strip()
            parts[key] = ""
        elif key is not None and line.strip():
            parts[key] = f"{parts[key]} {line.strip()}".lstrip()
    return parts


ENVELOPE_ATTRIBUTES = ("specversion", "id", "type", "source", "subject", "time", "datacontenttype", "tenant",
                       "traceparent", "data")


WEBHOOK_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "Headers of every webhook delivery (Standard Webhooks).",
    "required": ["webhook-id", "webhook-timestamp", "webhook-signature", "content-type"],
    "properties": {
        "webhook-id": {"type": "string", "description": "The CloudEvent `id`; identical on retries."},
        "webhook-timestamp": {"type": "string", "pattern": "^[0-9]+$",
                              "description": "Unix time (seconds) of this attempt."},
        "webhook-signature": {
            "type": "string", "pattern": "^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$",
            "description": "Space-separated `v1,<base64 HMAC-SHA256>` signatures of "
                           "`<webhook-id>.<webhook-timestamp>.<body>`; two during a secret rotation.",
        },
        "content-type": {"type": "string", "const": CONTENT_TYPE},
    },
}


def channel_id(event_type: str) -> str:
    """AsyncAPI ids allow no dots: ``notices.notice.issued.v1`` → ``notices_notice_issued_v1``."""
    return event_type.replace(".", "_")


def _doc_lines(event_type: str, model: type[BaseModel]) -> tuple[str, str]:
    """(summary, description) from the model's docstring, in Markdown: the leading
    ``type``: is dropped (the message is named by it) and double backticks become single."""
    doc = inspect.cleandoc(model.__doc__ or "").replace("``", "`")
    doc = doc.removeprefix(f"`{event_type}`:").strip()
    doc = doc[:1].upper() + doc[1:]
    summary = doc.split("\n\n", 1)[0].replace("\n", " ")
    return summary, doc


# --------------------------------------------------------------------------- documentation rules

EVENTS_DIR = "shared/src/anjian_shared/events"
HOW_TO_DESCRIBE = ("add `Field(description=\"…\")` to the field (or a docstring right below it, in a model "
                   "derived from `anjian_shared.events.common.EventModel`)")
HOW_TO_EXAMPLE = ("add `model_config = ConfigDict(json_schema_extra={\"examples\": [{…a complete, realistic "
                  "payload…}]})` to the model (derived from `anjian_shared.events.common.EventModel`; see "
                  "README \"The event catalog: descriptions and examples\")")


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models inside a field's annotation (``list[X]``, ``X | None``, ``dict[str, X]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _nested_models(arg)]


def payload_models(model: type[BaseModel]) -> list[type[BaseModel]]:
    """``model`` and every model its fields contain, depth first, each once."""
    found: list[type[BaseModel]] = []

    def walk(m: type[BaseModel]) -> None:
        if m in found:
            return
        found.append(m)
        for f in m.model_fields.values():
            for nested in _nested_models(f.annotation):
                walk(nested)

    walk(model)
    return found


def model_examples(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The documented example payloads of a model (``json_schema_extra["examples"]``)."""
    extra = model.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    return list(examples) if isinstance(examples, list) else []


def catalog_problems(event_types: dict[str, type[BaseModel]] | None = None) -> list[str]:
    """What keeps the catalog from being followed by a partner alone, one line each with the
    fix (empty: nothing): a payload field (also of a nested model) without a description, an
    event type without an example, an example the model refuses. ``make test-unit`` fails on
    any (``shared/tests/unit/test_event_catalog_docs.py``)."""
    event_types = EVENT_TYPES if event_types is None else event_types
    problems: list[str] = []
    where: dict[type[BaseModel], list[str]] = {}
    for t in sorted(event_types):
        for m in payload_models(event_types[t]):
            where.setdefault(m, []).append(t)
    for m, types_ in where.items():
        module = m.__module__.rsplit(".", 1)[-1]
        for name, f in m.model_fields.items():
            if not (f.description or "").strip():
                problems.append(f"{EVENTS_DIR}/{module}.py: {m.__name__}.{name} has no description "
                                f"(in {', '.join(types_[:3])}{' …' if len(types_) > 3 else ''}): "
                                f"{HOW_TO_DESCRIBE}")
    for t in sorted(event_types):
        model = event_types[t]
        module = model.__module__.rsplit(".", 1)[-1]
        examples = model_examples(model)
        if not examples:
            problems.append(f"{EVENTS_DIR}/{module}.py: {t} ({model.__name__}) has no example payload: "
                            f"{HOW_TO_EXAMPLE}")
        for i, ex in enumerate(examples):
            try:
                model.model_validate(ex)
            except ValidationError as exc:
                wrong = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                problems.append(f"{EVENTS_DIR}/{module}.py: {model.__name__} example {i} is not a valid "
                                f"payload ({wrong}): correct it")
    return problems


def message_examples(event_type: str, model: type[BaseModel]) -> list[dict[str, Any]]:
    """AsyncAPI message examples for ``event_type``: each documented payload in its
    CloudEvent envelope (fixed id and time: the document is deterministic)."""
    service = event_type.split(".", 1)[0]
    out = []
    for i, data in enumerate(model_examples(model)):
        payload = model.model_validate(data).model_dump(mode="json")
        subject = next((v for k, v in data.items() if k.endswith("_id") and isinstance(v, str)), None)
        envelope = {
            "specversion": "1.0",
            "id": f"0190d6a4-7b1c-7c3e-9a51-{i:012d}",
            "type": event_type,
            "source": f"/hubei/{service}",
            **({"subject": subject} if subject else {}),
            "time": "2026-11-21T01:30:00Z",
            "datacontenttype": "application/json",
            "tenant": "hubei",
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "data": payload,
        }
        out.append({"name": f"{channel_id(event_type)}_example{i}", "summary": f"A {event_type} event",
                    "payload": envelope})
    return out


def snapshot_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The self-contained JSON schema of one payload model (what the snapshots keep)."""
    return model.model_json_schema(mode="serialization")


def envelope_schema(texts: dict[str, str] | None = None) -> dict[str, Any]:
    texts = texts or part_descriptions()
    schema = CloudEvent.model_json_schema(mode="serialization")
    schema.pop("additionalProperties", None)
    schema["title"] = "CloudEvent"
    schema["description"] = texts["envelope"]
    schema["required"] = ["specversion", "id", "type", "source", "time", "datacontenttype", "tenant", "data"]
    for name, prop in schema["properties"].items():
        prop.pop("default", None)
        prop.pop("title", None)
        if name in ENVELOPE_ATTRIBUTES:
            prop["description"] = texts[f"envelope.{name}"]
        # null attributes are left out of the JSON, never sent as null
        alts = prop.pop("anyOf", None)
        if alts:
            prop.update(next(a for a in alts if a.get("type") != "null"))
    schema["properties"]["specversion"]["const"] = "1.0"
    schema["properties"]["datacontenttype"]["const"] = "application/json"
    schema["properties"]["tenant"]["examples"] = ["hubei"]
    return schema


def build_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of every event type (deterministic: same models, same document)."""
    texts = part_descriptions()
    types = sorted(EVENT_TYPES)
    key_map, defs = models_json_schema([(EVENT_TYPES[t], "serialization") for t in types],
                                       ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = {"CloudEvent": envelope_schema(texts), "WebhookHeaders": WEBHOOK_HEADERS}
    for name, schema in sorted(defs.get("$defs", {}).items()):
        if name in schemas:
            raise ValueError(f"schema name {name} is used twice")
        schemas[name] = schema

    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    all_refs: dict[str, Any] = {}
    for t in types:
        model = EVENT_TYPES[t]
        summary, doc = _doc_lines(t, model)
        data_ref = key_map[(model, "serialization")]
        cid = channel_id(t)
        messages[cid] = {
            "name": t,
            "title": t,
            "summary": summary,
            "description": doc,
            "contentType": CONTENT_TYPE,
            **({"examples": examples} if (examples := message_examples(t, model)) else {}),
            "payload": {"allOf": [
                {"$ref": "#/components/schemas/CloudEvent"},
                {"type": "object", "required": ["type", "data"],
                 "properties": {"type": {"type": "string", "const": t}, "data": data_ref}},
            ]},
            "bindings": {
                "amqp": {"contentEncoding": "utf-8", "messageType": t, "bindingVersion": "0.3.0"},
                "http": {"headers": {"$ref": "#/components/schemas/WebhookHeaders"}, "bindingVersion": "0.3.0"},
            },
        }
        ref = {"$ref": f"#/components/messages/{cid}"}
        all_refs[cid] = ref
        channels[cid] = {
            "address": t,
            "title": t,
            "summary": summary,
            "description": texts["channel.event"].format(type=t, exchange=EXCHANGE),
            "servers": [{"$ref": "#/servers/platformBroker"}],
            "messages": {cid: ref},
            "bindings": {"amqp": {
                "is": "routingKey",
                "exchange": {"name": EXCHANGE, "type": "topic", "durable": True, "autoDelete": False, "vhost": "/"},
                "bindingVersion": "0.3.0",
            }},
        }
        operations[f"publish_{cid}"] = {
            "action": "send",
            "title": f"The platform publishes {t}",
            "summary": summary,
            "channel": {"$ref": f"#/channels/{cid}"},
            "messages": [{"$ref": f"#/channels/{cid}/messages/{cid}"}],
        }

    channels["partnerWebhook"] = {
        "address": None,
        "title": "Webhook of a partner subscription",
        "description": texts["channel.partnerWebhook"],
        "servers": [{"$ref": "#/servers/partnerWebhook"}],
        "messages": dict(all_refs),
    }
    channels["partnerQueue"] = {
        "address": "partner.{subscriptionId}",
        "title": "AMQP queue of a partner subscription",
        "description": texts["channel.partnerQueue"],
        "servers": [{"$ref": "#/servers/partnerBroker"}],
        "parameters": {"subscriptionId": {"description": texts["channel.partnerQueue.subscriptionId"]}},
        "messages": dict(all_refs),
        "bindings": {"amqp": {
            "is": "queue",
            "queue": {"name": "partner.{subscriptionId}", "durable": True, "exclusive": False, "autoDelete": False,
                      "vhost": "partner-{clientId}"},
            "bindingVersion": "0.3.0",
        }},
    }
    every_message = [{"$ref": f"#/channels/partnerWebhook/messages/{cid}"} for cid in all_refs]
    operations["deliverWebhook"] = {
        "action": "send",
        "title": "The partners service POSTs each subscribed event to the partner's webhook",
        "description": texts["operation.deliverWebhook"],
        "channel": {"$ref": "#/channels/partnerWebhook"},
        "messages": every_message,
        "bindings": {"http": {"method": "POST", "bindingVersion": "0.3.0"}},
    }
    operations["deliverToPartnerQueue"] = {
        "action": "send",
        "title": "The partners service republishes each subscribed event into the subscription's queue",
        "channel": {"$ref": "#/channels/partnerQueue"},
        "messages": [{"$ref": f"#/channels/partnerQueue/messages/{cid}"} for cid in all_refs],
        "bindings": {"amqp": {"deliveryMode": 2, "ack": True, "bindingVersion": "0.3.0"}},
    }

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:anjian:events",
        "info": {
            "title": "Anjian events",
            "version": DOCUMENT_VERSION,
            "description": description(),
            "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
            "tags": [{"name": "PLAT-03", "description": "Partner event stream"}],
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "platformBroker": {
                "host": "{host}",
                "protocol": "amqp",
                "protocolVersion": "0-9-1",
                "description": texts["server.platformBroker"],
                "variables": {"host": {"default": "rabbitmq:5672"}},
            },
            "partnerBroker": {
                "host": "{host}",
                "protocol": "amqps",
                "protocolVersion": "0-9-1",
                "description": texts["server.partnerBroker"],
                "variables": {"host": {"default": "broker.anjian.example.com:5671"}},
                "security": [{"$ref": "#/components/securitySchemes/partnerBrokerUser"}],
            },
            "partnerWebhook": {
                "host": "{host}",
                "protocol": "https",
                "description": texts["server.partnerWebhook"],
                "variables": {"host": {"default": "partner.example.com"}},
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "securitySchemes": {
                "partnerBrokerUser": {
                    "type": "userPassword",
                    "description": texts["security.partnerBrokerUser"],
                },
            },
        },
    }


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, so the descriptions read as written; no aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def to_yaml(document: dict[str, Any]) -> str:
    header = ("# GENERATED by `make asyncapi` (python -m anjian_shared.asyncapi) from the event payload\n"
              "# models in shared/src/anjian_shared/events/. Do not edit by hand.\n")
    return header + yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def snapshot_text(event_type: str) -> str:
    return json.dumps(snapshot_schema(EVENT_TYPES[event_type]), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def check_snapshots(directory: Path = SNAPSHOT_DIR) -> dict[str, list[str]]:
    """Per event type, the breaking changes of the current model against its snapshot
    (also: a snapshot whose event type is gone). Types without a snapshot are not listed."""
    problems: dict[str, list[str]] = {}
    for path in sorted(directory.glob("*.json")):
        event_type = path.name.removesuffix(".json")
        if event_type not in EVENT_TYPES:
            problems[event_type] = ["event type removed from the catalog (publish a new version instead)"]
            continue
        old = json.loads(path.read_text(encoding="utf-8"))
        found = breaking_changes(old, snapshot_schema(EVENT_TYPES[event_type]))
        if found:
            problems[event_type] = found
    return problems


def write_snapshots(directory: Path = SNAPSHOT_DIR) -> list[str]:
    """Write the snapshot of every type whose model changed compatibly or is new; returns
    the types written. Raises ``ValueError`` listing breaking changes (nothing written)."""
    problems = check_snapshots(directory)
    if problems:
        lines = [f"{t}: {p}" for t, ps in problems.items() for p in ps]
        raise ValueError("breaking changes to published event versions (add a new version instead):\n  "
                         + "\n  ".join(lines))
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for t in sorted(EVENT_TYPES):
        path = directory / f"{t}.json"
        text = snapshot_text(t)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(t)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the AsyncAPI 3.0 event catalog.")
    parser.add_argument("--out", type=Path, help="write the YAML document here (default: stdout)")
    parser.add_argument("--json", action="store_true", help="JSON instead of YAML")
    parser.add_argument("--snapshots", type=Path, help="refresh the per-version schema snapshots in this folder")
    args = parser.parse_args(argv)
    if args.snapshots:
        try:
            written = write_snapshots(args.snapshots)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 1
        for t in written:
            print(f"snapshot {t}", file=sys.stderr)
    document = build_document()
    text = to_json(document) if args.json else to_yaml(document)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
