"""Event consumers of partners (PLAT-03).

Queue ``partners.event-log`` is bound to every type of the catalog
(``anjian_shared.events.EVENT_TYPES``, one handler each, except the private families of
``anjian_shared.scopes``: conversations' messages): each event is appended to its
tenant's event log and queued for the tenant's matching subscriptions, in the inbox
transaction (a redelivered event is logged and delivered once).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel

from anjian_shared import scopes
from anjian_shared.bus import Subscription
from anjian_shared.events import EVENT_TYPES, CloudEvent
from anjian_shared.mongo import UnitOfWork

from ..service_layer.event_log import record_event
from ..settings import Settings


def build_subscriptions(settings: Settings) -> list[Subscription]:
    """The consumer group ``event-log``: one handler for every event type of the catalog."""
    retention = timedelta(days=settings.event_retention_days)
    event_log = Subscription("event-log")

    async def on_any_event(uow: UnitOfWork, event: CloudEvent, payload: BaseModel) -> None:
        """Log the event for replay and queue its deliveries (PLAT-03)."""
        await record_event(uow, event, retention=retention)

    for event_type in EVENT_TYPES:
        if scopes.is_private(event_type):  # private messages (HN-12): never logged, never offered
            continue
        event_log.on(event_type)(on_any_event)
    return [event_log]
