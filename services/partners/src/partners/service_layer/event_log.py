"""The event log: every event of the platform, per tenant — the replay source (PLAT-03).

``record_event`` runs in the consumer's transaction (inbox dedupe: a redelivered event
is recorded once). It numbers the event in the tenant's log and creates one pending
delivery for every subscription of that tenant whose patterns match — also for paused
subscriptions, which get them when resumed (not those of a disabled client). Only the
event's own tenant is ever looked at.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from anjian_shared.events import CloudEvent
from anjian_shared.events.partners_v1 import SubscriptionPaused
from anjian_shared.mongo import Mongo, UnitOfWork
from anjian_shared.pagination import paginate
from anjian_shared.problems import Unprocessable
from anjian_shared.scopes import is_own_only
from anjian_shared.types import utcnow

from ..adapters.repository import DELIVERIES, EVENT_LOG, SUBSCRIPTIONS, next_seq
from ..domain.model import delivers, wire_event
from ..domain.patterns import matches_any
from .clients import apply_client_event


async def record_event(uow: UnitOfWork, event: CloudEvent, *, retention: timedelta) -> int:
    """Append ``event`` to its tenant's log and queue its deliveries; returns how many.

    A subscription gets an event only if its scopes grant the event's family, and events
    about partner clients and subscriptions only when they are about its own client
    (``domain.model.delivers``). ``identity.client.*`` events also update the local read
    model of clients (``clients.apply_client_event``); ``identity.client.disabled.v1``
    pauses that client's subscriptions (reason ``client_disabled``), marks their broker
    users for revocation and emits ``partners.subscription.paused.v1`` for each.
    """
    now = utcnow()
    seq = await next_seq(uow)
    wire = wire_event(event.model_dump(mode="json"))
    await uow.repo(EVENT_LOG).insert({
        "_id": event.id, "seq": seq, "type": event.type, "time": event.time, "event": wire,
        "received_at": now, "expires_at": now + retention})
    subs = uow.repo(SUBSCRIPTIONS)
    deliveries = uow.repo(DELIVERIES)
    count = 0
    data = wire.get("data") if isinstance(wire.get("data"), dict) else None
    for sub in await subs.find({"status": {"$in": ["active", "paused"]}}, limit=0):
        if sub.get("paused_reason") == "client_disabled" or not matches_any(sub["event_types"], event.type):
            continue  # a disabled client's subscriptions are never resumed: keep nothing for them
        if not delivers(sub, event.type, data):
            continue  # not granted by its scopes, or about another partner (PLAT-03 security)
        await deliveries.insert({
            "_id": f"{sub['_id']}:{event.id}", "subscription_id": sub["_id"], "event_id": event.id,
            "event_type": event.type, "seq": seq, "status": "pending", "attempts": 0, "first_attempt_at": None,
            "last_attempt_at": None, "next_attempt_at": now, "last_response_code": None, "last_error": None,
            "delivered_at": None, "history": [], "created_at": now, "expires_at": now + retention})
        # one unconditional write: a sweep going idle at this instant either sees the new
        # work_version (and looks again) or is followed by this due_at (and is claimed again)
        await subs.update({"_id": sub["_id"]}, {"$inc": {"work_version": 1}, "$set": {"due_at": now}})
        count += 1
    if event.type.startswith("identity.client."):
        await apply_client_event(uow, event_type=event.type, data=data or {}, now=now)
    if event.type == "identity.client.disabled.v1":
        await pause_client_subscriptions(uow, client_id=str((data or {}).get("client_id")), now=now)
    return count


async def pause_client_subscriptions(uow: UnitOfWork, *, client_id: str, now: datetime) -> None:
    """A disabled client's subscriptions stop (their AMQP users are revoked by the sweep)."""
    subs = uow.repo(SUBSCRIPTIONS)
    for sub in await subs.find({"client_id": client_id, "paused_reason": {"$ne": "client_disabled"}}, limit=0):
        update: dict[str, Any] = {"status": "paused", "paused_reason": "client_disabled", "paused_at": now,
                                  "updated_at": now, "due_at": None}
        if sub["kind"] == "amqp":
            update["amqp.revoke_pending"] = True
        await subs.update({"_id": sub["_id"]}, {"$set": update})
        uow.emit("partners.subscription.paused.v1", subject=sub["_id"], data=SubscriptionPaused(
            subscription_id=sub["_id"], client_id=client_id, kind=sub["kind"], url=sub.get("url"),
            reason="client_disabled", paused_at=now))


async def replay(mongo: Mongo, *, tenant: str, types: list[str], since: datetime | None, after_id: str | None,
                 cursor: str | None, limit: int, client_id: str | None = None,
                 ) -> tuple[list[dict[str, Any]], str | None]:
    """The tenant's logged events of ``types`` in log order (``seq``), from ``since`` (event
    ``time`` ≥ since) or after the event ``after_id``, one page of ``limit``; returns
    (CloudEvents, next_cursor); with ``client_id``, events about partner clients and
    subscriptions only when about that client. 422 naming ``after_id`` when that event is not in the
    tenant's log (unknown, another tenant's, or older than the retention)."""
    log = mongo.repo(EVENT_LOG, tenant)
    flt: dict[str, Any] = {"type": {"$in": types}}
    if client_id is not None:  # events about partner clients: only about this one (PLAT-03)
        own = [t for t in types if is_own_only(t)]
        flt = {"$or": [{"type": {"$in": [t for t in types if t not in own]}},
                       {"type": {"$in": own}, "event.data.client_id": client_id}]}
    after_seq = 0
    if after_id:
        anchor = await log.get(after_id)
        if anchor is None:
            raise Unprocessable("this event is not in the event log (unknown, or older than the retention)",
                                field="after_id")
        after_seq = int(anchor["seq"])
    if after_seq:
        flt["seq"] = {"$gt": after_seq}
    if since is not None:
        flt["time"] = {"$gte": since}
    page = await paginate(log, flt, sort=[("seq", 1)], limit=limit, cursor=cursor)
    return [d["event"] for d in page.items], page.next_cursor
