"""Traces (issue 16) without servers: the request's SERVER span continues an incoming W3C
``traceparent`` and names the route template; the response and the events carry its context;
a consumer span is the child of the event's ``traceparent``; with no exporter configured
nothing is installed."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from anjian_shared import tracing
from anjian_shared.app import ServiceSpec, create_service_app
from anjian_shared.bus import Subscription, handle_message
from anjian_shared.events import make_event
from anjian_shared.events.identity_v1 import OrganizationCreated
from anjian_shared.logging import current_traceparent
from anjian_shared.settings import ServiceSettings
from anjian_shared.testing.fakes import FakeDatabase

router = APIRouter()
SEEN: dict[str, str] = {}


@router.get("/items/{item_id}")
async def item(item_id: str) -> dict[str, Any]:
    SEEN["traceparent"] = current_traceparent()  # what an event emitted here would carry
    return {"id": item_id}


@pytest.fixture
def exporter() -> Any:
    exp = InMemorySpanExporter()
    processor = tracing.install(exp)
    yield exp
    processor.shutdown()


def _client() -> httpx.AsyncClient:
    app = create_service_app(ServiceSpec(name="tracedemo", title="d", description="d", routers=[router]),
                             ServiceSettings(service_name="tracedemo", environment="test", log_level="ERROR"))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://demo.test")


async def test_the_server_span_continues_the_incoming_traceparent_and_names_the_route(exporter: Any) -> None:
    incoming = "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"
    async with _client() as c:
        r = await c.get("/api/tracedemo/v1/items/i1", headers={"traceparent": incoming})
    [server] = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert server.name == "GET /api/tracedemo/v1/items/{item_id}"
    assert f"{server.context.trace_id:032x}" == "ab" * 16 and f"{server.parent.span_id:016x}" == "cd" * 8
    assert r.headers["traceparent"] == SEEN["traceparent"]
    assert r.headers["traceparent"].split("-")[2] == f"{server.context.span_id:016x}"


class Message:
    def __init__(self, body: bytes) -> None:
        self.body, self.headers, self.channel, self.redelivered = body, {}, None, False

    async def ack(self) -> None: ...

    async def nack(self, requeue: bool = True) -> None: ...

    async def reject(self, requeue: bool = False) -> None: ...


async def test_the_consumer_span_is_a_child_of_the_events_traceparent(exporter: Any) -> None:
    parent = "00-" + "12" * 16 + "-" + "34" * 8 + "-01"
    event = make_event(type="identity.organization.created.v1", tenant="hubei", service="identity", subject="o1",
                       data=OrganizationCreated(org_id="o1", name="x", kind="station")).model_dump(mode="json")
    event["traceparent"] = parent
    sub = Subscription("traced")
    inside: dict[str, str] = {}

    @sub.on("identity.organization.created.v1")
    async def handle(uow: Any, ev: Any, payload: Any) -> None:
        inside["traceparent"] = current_traceparent()

    await handle_message(Message(json.dumps(event).encode()), sub, FakeDatabase(service="projects"),  # type: ignore[arg-type]
                         "projects.traced")
    [consumer] = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.CONSUMER]
    assert f"{consumer.context.trace_id:032x}" == "12" * 16 and f"{consumer.parent.span_id:016x}" == "34" * 8
    assert consumer.attributes["messaging.destination.name"] == "projects.traced"
    # events the handler emits continue from the consumer span
    assert inside["traceparent"].split("-")[2] == f"{consumer.context.span_id:016x}"


def test_without_an_endpoint_configure_installs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    before = tracing.enabled()
    assert tracing.configure("identity") is before  # no endpoint: no change
