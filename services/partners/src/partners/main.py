"""The partners service: the event stream for partner systems (PLAT-03).

``create_app()`` builds the FastAPI app with the shared factory: routes under
``/api/partners/v1`` (catalog, subscriptions, deliveries, replay), the consumer queue
``partners.event-log`` bound to every event type, indexes (with the event log's
retention TTL) at startup, and the delivery sweep as a background task.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from fastapi import FastAPI

from anjian_shared.app import ServiceSpec, create_service_app

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
        await app.state.partners.queues.close()


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
            "(POST /api/identity/v1/oauth/token) and only ever sees its own province's events, of the "
            "families its scopes name (GET /event-types says which scope grants which type)."
        ),
        routers=[router],
        subscriptions=build_subscriptions(settings),
        startup=[ensure_indexes],
        background=[deliver],
        openapi_tags=[
            {"name": "catalog", "description": "The AsyncAPI document and the list of every event type "
                                               "with its JSON schema and the scopes that grant it"},
            {"name": "subscriptions", "description": "Webhook and AMQP subscriptions, secrets, delivery attempts"},
            {"name": "replay", "description": "Events from the event log, from a time or an event id"},
        ],
    )
    app = create_service_app(spec, settings)
    app.state.accepts_partner_tokens = True  # the only API a partner token reaches (anjian_shared.auth)
    broker_admin = None
    if settings.rabbitmq_management_url:
        user, password = settings.management_credentials
        broker_admin = BrokerAdmin(settings.rabbitmq_management_url, user, password, settings.amqp_vhost,
                                   service_user=unquote(urlsplit(settings.amqp_url).username or "guest"))
    queues = PartnerQueues(app.state.bus, message_ttl_ms=int(settings.event_retention_days * 86400 * 1000),
                           amqp_url=settings.amqp_url)
    sender = WebhookSender(timeout=settings.webhook_timeout_seconds, allow_private=settings.allow_private_webhooks)
    worker = DeliveryWorker(mongo=app.state.mongo, settings=settings, sender=sender, queues=queues,
                            broker_admin=broker_admin)
    app.state.partners = Partners(queues=queues, broker_admin=broker_admin, sender=sender, worker=worker)
    return app
