"""conversations service: ``create_app()`` for uvicorn (HN-12)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from anjian_shared.app import ServiceSpec, create_service_app
from anjian_shared.events import CloudEvent
from anjian_shared.events.conversations_v1 import ConversationUpdated, MessagePosted
from anjian_shared.tenant_policy import policy_subscription

from .adapters.fanout import LiveFanout
from .entrypoints.api.live import router as live_router
from .entrypoints.api.routes import router
from .entrypoints.consumers import directory
from .service_layer import conversations as cases
from .service_layer.live import Hub
from .settings import Settings


async def _indexes(app: FastAPI) -> None:
    await cases.ensure_indexes(app.state.mongo)


async def _live_fanout(app: FastAPI) -> None:
    """This replica's exclusive queue of posted messages → its connected clients."""
    hub: Hub = app.state.hub

    async def on_event(event: CloudEvent, payload: Any) -> None:
        if isinstance(payload, MessagePosted):
            await hub.posted(event.tenant, cases.message_from_event(payload), payload.member_ids)
        elif isinstance(payload, ConversationUpdated):
            await hub.members_changed(event.tenant, payload.conversation_id, payload.member_ids)

    settings: Settings = app.state.settings
    fanout = LiveFanout(settings.amqp_url, settings.amqp_exchange, prefix=settings.live_queue_prefix,
                        on_event=on_event, on_connected=hub.resync)
    app.state.fanout = fanout
    await fanout.run()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Group conversations (企业号会话, HN-12): project and ad-hoc groups, messages with
    photos and files, unread counts, and real-time delivery over WebSocket."""
    settings = settings or Settings()
    spec = ServiceSpec(name="conversations", title="Anjian conversations",
                       description="Group conversations (企业号会话, HN-12): one per project (its supervisors and "
                                   "participants) and ad-hoc groups; text, photos, files, replies, unread counts, "
                                   "mute and leave; real-time delivery over WebSocket "
                                   "(`/conversations/{id}/live`, see the README for the protocol).",
                       routers=[router, live_router], subscriptions=[directory, policy_subscription()],
                       startup=[_indexes], background=[_live_fanout])
    app = create_service_app(spec, settings)
    mongo = app.state.mongo

    async def fetch_after(tenant: str, conversation_id: str, after_seq: int) -> list[dict[str, Any]]:
        return await cases.messages_after(mongo=mongo, tenant=tenant, conversation_id=conversation_id,
                                          after_seq=after_seq)

    app.state.hub = Hub(fetch_after)
    return app
