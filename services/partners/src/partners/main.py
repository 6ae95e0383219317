"""The partners service: the event stream for partner systems (PLAT-03).

``create_app()`` builds the FastAPI app with the shared factory: routes under
``/api/partners/v1`` (catalog, subscriptions, deliveries, replay), the consumer queue
``partners.event-log`` bound to every event type, indexes (with the event log's
retention TTL) at startup, and the delivery sweep as a background task.
"""

from __future__ import annotations

from dataclasses import dataclass

from anjian_shared.app import ServiceSpec, create_service_app
from fastapi import FastAPI

from .adapters.broker import BrokerAdmin, PartnerQueues
from .adapters.repository import ensure_indexes
from .adapters.webhook import WebhookSender
from .entrypoints.api import router
from .entrypoints.consumers import build_subscriptions
from .service_layer.delivery import DeliveryWorker
from .settings import Settings


@dataclass
class Partners:
    """What the routes and the sweep share (``app.state.partners``)."""

    queues: PartnerQueues
    broker_admin: BrokerAdmin | None
    sender: WebhookSender
    worker: DeliveryWorker


async def deliver(app: FastAPI) -> None:
    """Background task: the delivery sweep (webhooks and AMQP queues), until shutdown."""
    try:
        await app.state.partners.worker.run()
    finally:
        await app.state.partners.sender.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The partners FastAPI app (settings from the environment unless given)."""
    settings = settings or Settings()
    spec = ServiceSpec(
        name="partners",
        title="Anjian partners",
        description=(
            "The event stream for partner systems (PLAT-03): the event catalog (AsyncAPI 3.0), "
            "subscriptions by event type pattern delivered as signed webhooks (Standard Webhooks) or into "
            "a dedicated AMQP queue, delivery attempts with retries for 24 hours, and replay from the "
            "event log (kept 30 days). A partner signs in with OAuth client credentials "
            "(POST /api/identity/v1/oauth/token) and only ever sees its own province's events."
        ),
        routers=[router],
        subscriptions=build_subscriptions(settings),
        startup=[ensure_indexes],
        background=[deliver],
        openapi_tags=[
            {"name": "catalog", "description": "The AsyncAPI document of every event type"},
            {"name": "subscriptions", "description": "Webhook and AMQP subscriptions, secrets, delivery attempts"},
            {"name": "replay", "description": "Events from the event log, from a time or an event id"},
        ],
    )
    app = create_service_app(spec, settings)
    broker_admin = None
    if settings.rabbitmq_management_url:
        user, password = settings.management_credentials
        broker_admin = BrokerAdmin(settings.rabbitmq_management_url, user, password, settings.amqp_vhost)
    queues = PartnerQueues(app.state.bus, message_ttl_ms=int(settings.event_retention_days * 86400 * 1000))
    sender = WebhookSender(timeout=settings.webhook_timeout_seconds, allow_private=settings.allow_private_webhooks)
    worker = DeliveryWorker(mongo=app.state.mongo, settings=settings, sender=sender, queues=queues,
                            broker_admin=broker_admin)
    app.state.partners = Partners(queues=queues, broker_admin=broker_admin, sender=sender, worker=worker)
    return app
