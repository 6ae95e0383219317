"""``create_service_app``: the FastAPI factory behind every service.

It wires logging, problem handlers, request context, idempotency, health, the
MongoDB handle, S3 storage, the token verifier, the bus, the outbox relay and the
service's consumers. Dependencies may be down when the process starts: a startup
task keeps trying (MongoDB indexes and seeds, the bucket, the broker and its
queues) and ``/readyz`` reports 503 until all of it succeeded.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI

from . import tracing
from .accounts import ACCOUNTS, accounts_subscription, check_account
from .api_docs import install_api_docs
from .audit import AuditContextMiddleware, sealer_loop
from .audit_api import audit_router
from .auth import TokenVerifier, http_key_source
from .bus import Bus, Subscription
from .health import health_router
from .idempotency import IdempotencyMiddleware
from .limits import BodySizeLimitMiddleware, JsonDepthLimitMiddleware
from .logging import RequestContextMiddleware, configure_logging
from .metrics import MetricsMiddleware, metrics_endpoint, outbox_sampler, set_service
from .mongo import Mongo
from .outbox import OutboxRelay
from .problems import PROBLEM_RESPONSES, UnexpectedErrorMiddleware, install_problem_handlers
from .retry import RECONNECT
from .settings import ServiceSettings
from .storage import Storage

log = structlog.get_logger("anjian.app")

StartupHook = Callable[[FastAPI], Awaitable[None]]


@dataclass
class ServiceSpec:
    """What a service brings to the factory."""

    name: str
    title: str
    description: str
    routers: Sequence[APIRouter] = ()
    subscriptions: Sequence[Subscription] = ()
    startup: Sequence[StartupHook] = ()
    """Run (and retried until they succeed) once MongoDB answers: indexes, reference data."""
    background: Sequence[Callable[[FastAPI], Awaitable[None]]] = ()
    """Long-running tasks started after startup succeeded (sweeps, schedulers)."""
    key_source: Callable[[FastAPI], Any] | None = None
    """identity verifies with its own keys instead of fetching its JWKS over HTTP."""
    accounts_collection: str | None = None
    """Where the users' token state is (``enabled``, ``tokens_valid_after``): None keeps the read
    model ``accounts`` of identity's user events (a consumer the factory adds); identity names
    its own ``users``."""
    openapi_tags: list[dict[str, str]] = field(default_factory=list)


def api_prefix(service: str) -> str:
    return f"/api/{service}/v1"


def _fastapi_telemetry() -> dict[str, Any]:
    """FastAPI ≥ 0.165 has OpenTelemetry built in: its own SERVER span would start a second trace
    beside the platform's (``tracing.http_span``, whose context the request's events carry), and
    its metrics and logs duplicate ``/metrics`` and structlog. Its operation spans (dependencies,
    endpoint, serialization) stay, as children of the platform's span."""
    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}


def create_service_app(spec: ServiceSpec, settings: ServiceSettings) -> FastAPI:
    """Build the service's FastAPI app; routes mount under ``/api/<service>/v1``."""
    configure_logging(settings.log_level, settings.log_json)
    set_service(spec.name)
    tracing.configure(spec.name)  # OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set; off otherwise
    prefix = api_prefix(spec.name)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.started = False
        tasks: list[asyncio.Task[Any]] = []

        async def prepare() -> None:
            await app.state.mongo.ensure_platform_indexes()
            for hook in spec.startup:
                await hook(app)
            await app.state.storage.ensure_bucket()
            await app.state.bus.ensure_connected()

        async def start() -> None:
            # a dependency not up yet: try again (retry.RECONNECT: 0.5 s → 5 s, until shutdown)
            await RECONNECT.call(prepare, what="startup waiting for dependencies")
            tasks.append(asyncio.create_task(app.state.bus.supervise(), name=f"{spec.name}-bus-supervisor"))
            tasks.append(asyncio.create_task(app.state.relay.run(), name=f"{spec.name}-outbox-relay"))
            tasks.append(asyncio.create_task(outbox_sampler(app.state.mongo.db, asyncio.sleep),
                                             name=f"{spec.name}-outbox-metrics"))
            tasks.append(asyncio.create_task(sealer_loop(app.state.mongo), name=f"{spec.name}-audit-sealer"))
            for job in spec.background:
                tasks.append(asyncio.create_task(job(app), name=f"{spec.name}-{job.__name__}"))
            app.state.started = True
            log.info("service ready", service=spec.name)

        starter = asyncio.create_task(start(), name=f"{spec.name}-startup")
        try:
            yield
        finally:
            starter.cancel()
            for t in tasks:
                t.cancel()
            await asyncio.gather(starter, *tasks, return_exceptions=True)
            await app.state.bus.close()
            await app.state.mongo.close()

    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_url=f"{prefix}/openapi.json",
        docs_url=None,   # FastAPI's own pages load Swagger UI from a CDN: install_api_docs below
        redoc_url=None,
        openapi_tags=spec.openapi_tags or None,
        **_fastapi_telemetry(),
    )
    app.state.settings = settings
    app.state.mongo = Mongo(settings.mongo_url, settings.mongo_db, spec.name)
    app.state.storage = Storage(settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key,
                                bucket=settings.s3_bucket, region=settings.s3_region, secure=settings.s3_secure,
                                media_url=settings.media_base_url,
                                signing_host=settings.media_signing_host)
    app.state.bus = Bus(settings.amqp_url, settings.amqp_exchange, spec.name, prefetch=settings.amqp_prefetch,
                        delivery_limit=settings.amqp_delivery_limit, lanes=settings.amqp_consumer_lanes,
                        batch_max=settings.amqp_batch_max)
    subscriptions = list(spec.subscriptions)
    if spec.accounts_collection is None:
        subscriptions.append(accounts_subscription())
    for sub in subscriptions:
        app.state.bus.add_subscription(sub, app.state.mongo)
    app.state.relay = OutboxRelay(app.state.mongo, app.state.bus, poll_seconds=settings.outbox_poll_seconds,
                                  lease_seconds=settings.outbox_lease_seconds)
    app.state.mongo.on_commit = app.state.relay.wake
    key_source = spec.key_source(app) if spec.key_source else http_key_source(settings.identity_url)
    accounts = spec.accounts_collection or ACCOUNTS

    async def account_check(principal: Any) -> None:
        await check_account(app.state.mongo, principal, collection=accounts)

    app.state.verifier = TokenVerifier(key_source, issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                                       account_check=account_check)

    install_problem_handlers(app)
    app.add_middleware(UnexpectedErrorMiddleware)  # innermost: added first
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(JsonDepthLimitMiddleware, max_depth=settings.max_json_depth)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes,
                       max_multipart_bytes=settings.max_multipart_bytes)
    app.add_middleware(AuditContextMiddleware, trusted_proxies=getattr(settings, "trusted_proxies", None))
    app.add_middleware(RequestContextMiddleware, service=spec.name)
    app.add_middleware(MetricsMiddleware)  # outermost: times everything, reads the matched route
    # Prometheus: at the root, never under /api/<service>/ — the public gateway does not route it
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    install_api_docs(app, prefix, openapi_url=f"{prefix}/openapi.json")
    health = health_router()
    app.include_router(health)
    app.include_router(health, prefix=prefix)
    for router in spec.routers:
        app.include_router(router, prefix=prefix, responses=PROBLEM_RESPONSES)
    # every service's own audit trail (anjian_shared.audit_api): province administrators only
    app.include_router(audit_router(), prefix=prefix, responses=PROBLEM_RESPONSES)
    return app
