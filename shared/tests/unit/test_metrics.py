"""Prometheus metrics (issue 16): ``/metrics`` on every service through the app factory,
HTTP requests by route TEMPLATE, consumer outcomes per queue, outbox depth and age,
read-model lag. Run on the fakes and an in-process app (no servers)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
from fastapi import APIRouter
from prometheus_client import REGISTRY

from anjian_shared import metrics
from anjian_shared.app import ServiceSpec, create_service_app
from anjian_shared.bus import Subscription, handle_message
from anjian_shared.events import make_event
from anjian_shared.events.identity_v1 import OrganizationCreated
from anjian_shared.read_models import apply_snapshot  # noqa: F401 - the module registers its metric use
from anjian_shared.settings import ServiceSettings
from anjian_shared.testing.fakes import FakeDatabase
from anjian_shared.types import utcnow

router = APIRouter()


@router.get("/things/{thing_id}")
async def thing(thing_id: str) -> dict[str, Any]:
    return {"id": thing_id}


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _client() -> httpx.AsyncClient:
    app = create_service_app(ServiceSpec(name="metricsdemo", title="d", description="d", routers=[router]),
                             ServiceSettings(service_name="metricsdemo", environment="test", log_level="ERROR"))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                             base_url="http://demo.test")


async def test_metrics_endpoint_counts_requests_by_route_template_not_raw_path() -> None:
    route = "/api/metricsdemo/v1/things/{thing_id}"
    before = sample("anjian_http_requests_total", service="metricsdemo", route=route, method="GET", status="200")
    async with _client() as c:
        for i in range(3):
            assert (await c.get(f"/api/metricsdemo/v1/things/t{i}")).status_code == 200
        assert (await c.get("/api/metricsdemo/v1/nowhere")).status_code == 404
        r = await c.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert sample("anjian_http_requests_total", service="metricsdemo", route=route, method="GET",
                  status="200") == before + 3
    assert sample("anjian_http_request_duration_seconds_count", service="metricsdemo", route=route,
                  method="GET") >= 3
    assert 'route="<unmatched>"' in r.text and "/things/t1" not in r.text
    assert "anjian_outbox_oldest_pending_age_seconds" in r.text


async def test_metrics_is_not_under_the_api_prefix_the_gateway_routes() -> None:
    async with _client() as c:
        assert (await c.get("/api/metricsdemo/v1/metrics")).status_code == 404


class Message:
    def __init__(self, body: bytes, delivery_count: int = 0, redelivered: bool = False) -> None:
        self.body = body
        self.headers: dict[str, Any] = {"x-delivery-count": delivery_count} if delivery_count else {}
        self.redelivered = redelivered
        self.channel = None

    async def ack(self) -> None: ...

    async def nack(self, requeue: bool = True) -> None: ...

    async def reject(self, requeue: bool = False) -> None: ...


def _body(org_id: str) -> bytes:
    event = make_event(type="identity.organization.created.v1", tenant="hubei", service="identity", subject=org_id,
                       data=OrganizationCreated(org_id=org_id, name="Station", kind="station"))
    return json.dumps(event.model_dump(mode="json")).encode()


async def test_consumer_outcomes_are_counted_per_queue(monkeypatch: Any) -> None:
    from anjian_shared import bus

    async def no_sleep(_s: float) -> None: ...

    monkeypatch.setattr(bus, "sleep", no_sleep)
    mongo = FakeDatabase(service="projects")
    queue = "projects.metrics-test"
    sub = Subscription("metrics-test")
    fail = {"on": False}

    @sub.on("identity.organization.created.v1")
    async def handle(uow: Any, event: Any, payload: Any) -> None:
        if fail["on"]:
            raise RuntimeError("boom")

    first = _body("o1")
    await handle_message(Message(first), sub, mongo, queue, delivery_limit=3)  # type: ignore[arg-type]
    await handle_message(Message(first, 1, True), sub, mongo, queue, delivery_limit=3)  # type: ignore[arg-type]
    await handle_message(Message(b"not json"), sub, mongo, queue, delivery_limit=3)  # type: ignore[arg-type]
    fail["on"] = True
    await handle_message(Message(_body("o2")), sub, mongo, queue, delivery_limit=3)  # type: ignore[arg-type]
    await handle_message(Message(_body("o2"), 2, True), sub, mongo, queue, delivery_limit=3)  # type: ignore[arg-type]
    svc = metrics.service()
    for outcome, n in (("handled", 1), ("duplicate", 1), ("failed", 1), ("dead_lettered", 2)):
        assert sample("anjian_events_total", service=svc, queue=queue, outcome=outcome) == n, outcome
    assert sample("anjian_events_redelivered_total", service=svc, queue=queue) == 2


async def test_outbox_pending_and_oldest_age_are_sampled() -> None:
    mongo = FakeDatabase(service="projects")
    now = utcnow()
    await mongo.db["outbox"].insert_many([
        {"_id": "e1", "status": "pending", "created_at": now - timedelta(seconds=90)},
        {"_id": "e2", "status": "pending", "created_at": now},
        {"_id": "e3", "status": "sent", "created_at": now - timedelta(hours=1)}])
    await mongo.db["audit_pending"].insert_one({"_id": "a1", "at": now - timedelta(seconds=40)})
    pending, age = await metrics.sample_outbox(mongo.db)
    assert pending == 2 and 89 <= age < 120
    assert sample("anjian_outbox_pending", service=metrics.service()) == 2
    assert 39 <= sample("anjian_audit_oldest_unsealed_age_seconds", service=metrics.service()) < 90


def test_read_model_lag_is_now_minus_the_applied_event_time() -> None:
    metrics.read_model_applied("projects_test_rm", utcnow() - timedelta(seconds=30))
    lag = sample("anjian_read_model_event_lag_seconds", service=metrics.service(), read_model="projects_test_rm")
    assert 29 <= lag < 60


def test_metric_names_list_counters_with_their_total_suffix() -> None:
    names = metrics.metric_names()
    assert {"anjian_http_requests_total", "anjian_http_request_duration_seconds_bucket",
            "anjian_outbox_oldest_pending_age_seconds", "anjian_events_total"} <= names
