"""Prometheus metrics: one registry, one set of metric objects, used by every service.

The app factory mounts ``GET /metrics`` at the root of every service (NOT under
``/api/<service>/v1``: the public gateway forwards only ``/api/<service>/``, so the
endpoint is reachable from inside the cluster / compose network only — Prometheus scrapes
each service's port directly, see ``deploy/prometheus/prometheus.yml``).

What is measured (every name starts with ``anjian_``; ``service`` is a label of all):

- ``anjian_http_requests_total{route,method,status}`` and
  ``anjian_http_request_duration_seconds{route,method}`` (histogram, seconds): by route
  TEMPLATE (``/api/inspections/v1/plans/{plan_id}``), never by raw path (no id explosion);
  requests that matched no route count as ``route="<unmatched>"``.
- ``anjian_outbox_pending`` (rows) and ``anjian_outbox_oldest_pending_age_seconds``: sampled
  every ``OUTBOX_SAMPLE_SECONDS`` by each process (``sample_outbox``).
- ``anjian_events_total{queue,outcome}``: outcome ``handled``, ``failed`` (nacked for a retry),
  ``duplicate`` (a redelivery already applied), ``dead_lettered`` (rejected as undecodable, or
  failed on its last allowed delivery), ``waited_for_dependency``; plus
  ``anjian_events_redelivered_total{queue}`` (the broker's redelivered flag) and
  ``anjian_event_handling_seconds{queue}`` (histogram).
- ``anjian_escalation_sweeps_total{outcome}`` and ``anjian_escalations_total`` (notices, HN-07).
- ``anjian_webhook_deliveries_total{kind,outcome}`` (partners: ``delivered``, ``retry``,
  ``failed``).
- ``anjian_read_model_event_lag_seconds{read_model}``: now minus the time of the last
  applied event, at the moment it was applied; and
  ``anjian_read_model_last_event_timestamp_seconds{read_model}`` (Unix seconds) so that
  ``time() - …`` gives the lag as it grows while nothing arrives.
- ``anjian_audit_entries_total{action}`` (the audit trail, ``anjian_shared.audit``) and
  ``anjian_audit_oldest_unsealed_age_seconds`` (an entry staged, not yet chained: the sealer).

Multi-process: when ``PROMETHEUS_MULTIPROC_DIR`` is set (uvicorn ``--workers N``; the local
runner sets it), every worker writes its samples there and ``/metrics`` sums them
(``prometheus_client.multiprocess``); gauges declare how they combine. In containers a
service runs one process per pod/container and needs nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

OUTBOX_SAMPLE_SECONDS = 15.0

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter("anjian_http_requests", "HTTP requests answered, by route template, method and status.",
                        ["service", "route", "method", "status"])
HTTP_DURATION = Histogram("anjian_http_request_duration_seconds",
                          "Time from the request's arrival to the end of its response body (seconds).",
                          ["service", "route", "method"], buckets=_BUCKETS)
OUTBOX_PENDING = Gauge("anjian_outbox_pending", "Outbox rows not yet published (rows).", ["service"],
                       multiprocess_mode="max")
OUTBOX_OLDEST_AGE = Gauge("anjian_outbox_oldest_pending_age_seconds",
                          "Age of the oldest unpublished outbox row (seconds; 0 when none).", ["service"],
                          multiprocess_mode="max")
OUTBOX_PUBLISHED = Counter("anjian_outbox_published", "Events published from the outbox (confirmed by the broker).",
                           ["service"])
EVENTS = Counter("anjian_events", "Events consumed, by queue and outcome.", ["service", "queue", "outcome"])
EVENTS_REDELIVERED = Counter("anjian_events_redelivered", "Deliveries the broker flagged as redelivered.",
                             ["service", "queue"])
EVENT_SECONDS = Histogram("anjian_event_handling_seconds", "Time to apply one event (transaction included, seconds).",
                          ["service", "queue"], buckets=_BUCKETS)
BATCH_SIZE = Histogram("anjian_event_batch_size",
                       "Events applied together in one transaction by a consumer lane (issue 16's batching).",
                       ["service", "queue"], buckets=(1, 2, 4, 8, 16, 32, 64, 128))
ESCALATION_SWEEPS = Counter("anjian_escalation_sweeps", "Escalation sweeps run (HN-07), by outcome (ok, failed).",
                            ["service", "outcome"])
ESCALATIONS = Counter("anjian_escalations", "Overdue documents escalated by the sweeps (HN-07).", ["service"])
WEBHOOK_DELIVERIES = Counter("anjian_webhook_deliveries",
                             "Partner delivery attempts by kind (webhook, amqp), outcome (delivered, retry, failed).",
                             ["service", "kind", "outcome"])
READ_MODEL_LAG = Gauge("anjian_read_model_event_lag_seconds",
                       "Now minus the time of the last applied event, when it was applied (seconds).",
                       ["service", "read_model"], multiprocess_mode="max")
READ_MODEL_LAST_EVENT = Gauge("anjian_read_model_last_event_timestamp_seconds",
                              "Time of the last event applied to the read model (Unix seconds).",
                              ["service", "read_model"], multiprocess_mode="max")
AUDIT_UNSEALED_AGE = Gauge("anjian_audit_oldest_unsealed_age_seconds",
                           "Age of the oldest audit entry staged but not yet chained by the sealer (seconds).",
                           ["service"], multiprocess_mode="max")
AUDIT_ENTRIES = Counter("anjian_audit_entries", "Audit trail entries written, by action.", ["service", "action"])

SERVICE_NAME = {"name": "unknown"}
"""The process's service (set by the app factory); a label of every sample."""


def set_service(name: str) -> None:
    SERVICE_NAME["name"] = name


def service() -> str:
    return SERVICE_NAME["name"]


def exposition() -> tuple[bytes, str]:
    """The text exposition of this process (or of all workers in multi-process mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


async def metrics_endpoint(request: Request) -> Response:
    """``GET /metrics``: Prometheus text format 0.0.4 (not routed by the public gateway)."""
    body, content_type = exposition()
    return Response(body, media_type=content_type)


def metric_names() -> set[str]:
    """Every sample name this code base can export (counters with ``_total``, histograms with
    ``_bucket``/``_sum``/``_count``): what dashboards and alert rules may use."""
    names: set[str] = set()
    for metric in REGISTRY.collect():
        if not metric.name.startswith("anjian_"):
            continue
        names.add(metric.name)
        if metric.type == "counter":
            names.update({metric.name + "_total", metric.name + "_created"})
        elif metric.type == "histogram":
            names.update({metric.name + s for s in ("_bucket", "_sum", "_count", "_created")})
    return names


class MetricsMiddleware:
    """Pure ASGI middleware: count and time every HTTP request by route template.

    The template is the path of the FastAPI route that matched (``scope["route"]``, set by
    routing, read after the app answered); ``/metrics``, ``/healthz`` and ``/readyz`` are
    not counted."""

    SKIP = ("/metrics", "/healthz", "/readyz")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").endswith(self.SKIP):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            template = route_template(scope)
            method = scope.get("method", "")
            name = service()
            HTTP_REQUESTS.labels(name, template, method, str(status["code"])).inc()
            HTTP_DURATION.labels(name, template, method).observe(time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """The path template of the route that answered (``/api/x/v1/plans/{plan_id}``).

    FastAPI ≥ 0.165 keeps included routers nested: the full template (prefix included) is on
    the effective route context it records in ``scope["fastapi"]``; older versions put the
    flattened ``APIRoute`` in ``scope["route"]``. ``<unmatched>`` when no route matched."""
    ctx = (scope.get("fastapi") or {}).get("effective_route_context")
    template = getattr(ctx, "path_format", None) or getattr(ctx, "path", None)
    if not template:
        route = scope.get("route")
        template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template or "<unmatched>"


def event_outcome(queue: str, outcome: str) -> None:
    EVENTS.labels(service(), queue, outcome).inc()


def read_model_applied(read_model: str, event_time: Any) -> None:
    """A read model applied an event of ``event_time`` (aware datetime)."""
    stamp = event_time.timestamp()
    READ_MODEL_LAST_EVENT.labels(service(), read_model).set(stamp)
    READ_MODEL_LAG.labels(service(), read_model).set(max(0.0, time.time() - stamp))


async def sample_outbox(db: Any, *, pending_filter: dict[str, Any] | None = None) -> tuple[int, float]:
    """Count the pending outbox rows and the age of the oldest (one indexed count, one
    indexed find); set the two gauges; return ``(pending, oldest_age_seconds)``."""
    from .types import utcnow

    flt = pending_filter or {"status": "pending"}
    col = db["outbox"]
    pending = await col.count_documents(flt)
    age = 0.0
    if pending:
        oldest = await col.find(flt, {"created_at": 1}).sort([("created_at", 1)]).limit(1).to_list()
        if oldest:
            age = max(0.0, (utcnow() - oldest[0]["created_at"]).total_seconds())
    OUTBOX_PENDING.labels(service()).set(pending)
    OUTBOX_OLDEST_AGE.labels(service()).set(age)
    staged = await db["audit_pending"].find({}, {"at": 1}).sort([("at", 1)]).limit(1).to_list()
    AUDIT_UNSEALED_AGE.labels(service()).set(
        max(0.0, (utcnow() - staged[0]["at"]).total_seconds()) if staged else 0.0)
    return pending, age


async def outbox_sampler(db: Any, sleep: Callable[[float], Awaitable[None]], *,
                         every: float = OUTBOX_SAMPLE_SECONDS) -> None:
    """Background task: ``sample_outbox`` every ``every`` seconds until cancelled; errors
    (the database away) leave the gauges as they were."""
    while True:
        try:
            await sample_outbox(db)
        except Exception:  # noqa: BLE001 - a scrape shows the last value; the relay logs outages
            pass
        await sleep(every)


def sweep_done(escalated: int | None) -> None:
    """One escalation sweep finished (``escalated`` documents) or failed (None)."""
    ESCALATION_SWEEPS.labels(service(), "failed" if escalated is None else "ok").inc()
    if escalated:
        ESCALATIONS.labels(service()).inc(escalated)


def webhook_delivery(kind: str, outcome: str) -> None:
    """One partner delivery attempt: ``outcome`` delivered, retry (scheduled again) or failed (given up)."""
    WEBHOOK_DELIVERIES.labels(service(), kind, outcome).inc()
