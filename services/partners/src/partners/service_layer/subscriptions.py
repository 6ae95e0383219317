"""Subscription use cases (PLAT-03): create, list, change, pause/resume, delete, rotate the
secret, retry now, redeliver one event, send a test event, list delivery attempts.

A partner (token with role ``partner`` and at least one events scope, see
``anjian_shared.scopes``) owns its subscriptions and sees only those; its scopes decide
which event types they receive. The province administrator lists and inspects every
subscription of the province and may always pause, resume or delete any of them. Other
tenants' subscriptions answer 404. Every call with a partner token checks that its client
is still enabled (``clients.require_enabled``: 401 once disabled).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import structlog

from anjian_shared import scopes as scope_table
from anjian_shared.auth import Principal
from anjian_shared.events import EVENT_TYPES, make_event
from anjian_shared.events.partners_v1 import SubscriptionPaused, TestSent
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.pagination import paginate
from anjian_shared.problems import Conflict, Forbidden, NotFound, ServiceUnavailable, Unprocessable
from anjian_shared.types import new_id, utcnow

from ..adapters.broker import BrokerAdmin, BrokerAdminError, PartnerQueues, queue_name, user_name
from ..adapters.repository import DELIVERIES, EVENT_LOG, SUBSCRIPTIONS, delete_many, update_many
from ..adapters.webhook import Resolver, system_resolver, url_blocked
from ..domain import patterns, signing
from ..domain.model import (
    delivers,
    granted_types,
    is_admin,
    is_partner,
    may_change,
    may_stop,
    partner_scopes,
    subscription_scopes,
    url_problem,
    visibility_filter,
    wire_event,
)
from ..settings import Settings
from . import clients

log = structlog.get_logger("partners.subscriptions")
TEST_EVENT = "partners.test.sent.v1"


def require_reader(principal: Principal) -> dict[str, Any]:
    """The visibility filter of the caller; 403 for callers who see no subscription, or a
    partner token without an events scope."""
    flt = visibility_filter(principal)
    if flt is None:
        raise Forbidden("partner systems and the province administrator only")
    if is_partner(principal) and not partner_scopes(principal):
        raise Forbidden("the token has no events scope (e.g. events:notices)")
    return flt


def require_partner(principal: Principal) -> list[str]:
    """The event scopes of a partner token; 403 for anyone else or a token without one."""
    if not is_partner(principal):
        raise Forbidden("only a partner system (client credentials token) manages subscriptions")
    held = partner_scopes(principal)
    if not held:
        raise Forbidden("the token has no events scope (e.g. events:notices)")
    return held


async def authorize(mongo: Mongo, principal: Principal) -> dict[str, Any]:
    """``require_reader`` plus: a disabled partner client is refused (401)."""
    flt = require_reader(principal)
    await clients.require_enabled(mongo, principal)
    return flt


def check_patterns(event_types: list[str], field: str = "event_types",
                   scopes: list[str] | None = None) -> list[str]:
    """422 (naming ``event_types.<i>``) for a malformed pattern (more than 10 words, 200
    characters …) or one that matches no event type; 403 (naming it) for one that matches
    only types the ``scopes`` do not grant (e.g. ``identity.user.#`` without
    ``events:personal``)."""
    for i, p in enumerate(event_types):
        why = patterns.problem(p)
        if why:
            raise Unprocessable(f"{p[:60]!r} is not a pattern: {why}", field=f"{field}.{i}")
        matched = patterns.matching_types([p], EVENT_TYPES)
        if not matched:
            raise Unprocessable(f"{p!r} matches no event type of the catalog (GET /api/partners/v1/event-types)",
                                field=f"{field}.{i}")
        if scopes is not None and not granted_types(scopes, matched):
            needed = sorted(set().union(*(scope_table.family_scopes(t) for t in matched)))
            why = (f"they need one of: {', '.join(needed)}" if needed
                   else "no scope grants them (private messages, HN-12)")
            raise Forbidden(f"{p!r} matches only event types the token's scopes do not grant; {why}",
                            field=f"{field}.{i}")
    return list(dict.fromkeys(event_types))


async def check_url(url: str, settings: Settings, resolver: Resolver = system_resolver) -> str:
    """422 naming ``url`` for a malformed URL or (production) a host that resolves to a
    blocked address. The delivery checks the address it connects to again (rebinding)."""
    problem = url_problem(url)
    if problem:
        raise Unprocessable(problem, field="url")
    if not settings.allow_private_webhooks:
        why = await url_blocked(url, resolver)
        if why:
            raise Unprocessable(f"url must point to a public address ({why})", field="url")
    return url


def receivable_types(sub: dict[str, Any]) -> list[str]:
    """The catalog's event types the subscription's patterns match and its scopes grant."""
    return granted_types(subscription_scopes(sub), patterns.matching_types(sub["event_types"], EVENT_TYPES))


async def get_visible(mongo: Mongo, principal: Principal, subscription_id: str) -> dict[str, Any]:
    """The subscription if the caller may see it; 404 otherwise (also for other tenants)."""
    flt = await authorize(mongo, principal)
    doc = await mongo.repo(SUBSCRIPTIONS, principal.tenant).find_one({**flt, "_id": subscription_id})
    if doc is None:
        raise NotFound("subscription not found")
    return doc


async def get_own(mongo: Mongo, principal: Principal, subscription_id: str) -> dict[str, Any]:
    """The caller's own subscription: 404 if invisible, 403 if visible but not its own."""
    doc = await get_visible(mongo, principal, subscription_id)
    if not may_change(principal, doc):
        raise Forbidden("only the partner that owns the subscription changes it")
    return doc


async def get_stoppable(mongo: Mongo, principal: Principal, subscription_id: str) -> dict[str, Any]:
    """A subscription the caller may pause, resume or delete (owner or province admin)."""
    doc = await get_visible(mongo, principal, subscription_id)
    if not may_stop(principal, doc):
        raise Forbidden("only the owner or the province administrator stops a subscription")
    return doc


async def list_subscriptions(*, mongo: Mongo, principal: Principal, status: str | None, limit: int,
                             cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """A partner's own subscriptions, or (administrator) all of the province's, newest first."""
    flt = await authorize(mongo, principal)
    if status:
        flt["status"] = status
    docs, nxt = await paginate(mongo.repo(SUBSCRIPTIONS, principal.tenant), flt, limit=limit, cursor=cursor)
    return list(docs), nxt


async def list_deliveries(*, mongo: Mongo, principal: Principal, subscription_id: str, status: str | None,
                          limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Delivery attempts of a visible subscription, newest first."""
    await get_visible(mongo, principal, subscription_id)
    flt: dict[str, Any] = {"subscription_id": subscription_id}
    if status:
        flt["status"] = status
    docs, nxt = await paginate(mongo.repo(DELIVERIES, principal.tenant), flt, limit=limit, cursor=cursor)
    return list(docs), nxt


async def create_subscription(*, mongo: Mongo, settings: Settings, queues: PartnerQueues,
                              broker_admin: BrokerAdmin | None, principal: Principal, kind: str, url: str | None,
                              event_types: list[str], description: str | None,
                              resolver: Resolver = system_resolver) -> dict[str, Any]:
    """Subscribe the calling partner to its tenant's events matching ``event_types`` that
    its scopes grant (the subscription keeps the token's event scopes).

    ``webhook``: ``url`` (http/https) required; the answer holds the signing secret
    (``whsec_…``) once. ``amqp``: a queue ``partner.<id>`` and a broker user that may
    only read it; the answer holds its password once (422 naming ``kind`` when this
    deployment has no RabbitMQ management API configured). 422 naming ``event_types``
    or ``url`` for bad input; 403 naming ``event_types.<i>`` for a pattern of types the
    scopes don't grant; 401 for a disabled client.
    """
    held = require_partner(principal)
    await clients.require_enabled(mongo, principal)
    event_types = check_patterns(event_types, scopes=held)
    now = utcnow()
    sub_id = new_id()
    doc: dict[str, Any] = {
        "_id": sub_id, "client_id": principal.user_id, "client_name": principal.name, "kind": kind, "url": None,
        "event_types": event_types, "scopes": held, "description": description, "status": "active",
        "secrets": [], "amqp": None, "due_at": None, "work_version": 0, "lease_until": None, "lease_by": None,
        "paused_reason": None, "paused_at": None, "created_at": now, "updated_at": now}
    shown: dict[str, Any] = {}
    if kind == "webhook":
        if not url:
            raise Unprocessable("a webhook subscription needs a url", field="url")
        doc["url"] = await check_url(url, settings, resolver)
        secret = signing.new_secret()
        doc["secrets"] = [{"secret": secret, "created_at": now, "expires_at": None}]
        shown["secret"] = secret
    else:
        if url:
            raise Unprocessable("an amqp subscription has no url", field="url")
        if broker_admin is None:
            raise Unprocessable("AMQP delivery is not available on this deployment (no RabbitMQ management "
                                "API configured); use kind webhook", field="kind")
        password = secrets.token_urlsafe(24)
        vhost = broker_admin.partner_vhost(principal.user_id)
        try:
            await broker_admin.ensure_vhost(vhost)
            await queues.declare(sub_id, vhost=vhost)
            await broker_admin.create_reader(sub_id, password, vhost=vhost)
        except (BrokerAdminError, ConnectionError, OSError) as exc:
            log.warning("amqp subscription setup failed", error=str(exc)[:300])
            await _drop_amqp(queues, broker_admin, sub_id, vhost)
            raise ServiceUnavailable("the broker could not set up the queue; try again", retry_after=5) from exc
        doc["amqp"] = {"queue": queue_name(sub_id), "username": user_name(sub_id), "vhost": vhost,
                       "revoke_pending": False}
        shown["amqp_password"] = password

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        await clients.hold_enabled(uow, principal, now)
        return await uow.repo(SUBSCRIPTIONS).insert(doc)

    try:
        stored = await with_transaction(mongo, principal.tenant, fn)
    except Exception:
        if kind == "amqp":
            await _drop_amqp(queues, broker_admin, sub_id, doc["amqp"]["vhost"])
        raise
    return {**stored, **shown}


async def _drop_amqp(queues: PartnerQueues, broker_admin: BrokerAdmin | None, sub_id: str,
                     vhost: str | None) -> None:
    """Best effort: remove a subscription's broker user (closing its connections) and queue."""
    if broker_admin is not None:
        try:
            await broker_admin.delete_user(sub_id)
            await broker_admin.close_connections(sub_id, vhost=vhost, reason="subscription deleted")
            broker_admin.close_soon(sub_id, vhost=vhost, reason="subscription deleted")
        except BrokerAdminError as exc:
            log.warning("could not delete the broker user", subscription_id=sub_id, error=str(exc)[:300])
    try:
        await queues.delete(sub_id, vhost=vhost)
    except Exception as exc:  # noqa: BLE001 - already gone or broker away
        log.warning("could not delete the queue", subscription_id=sub_id, error=repr(exc)[:300])


def _status_change(principal: Principal, sub: dict[str, Any], status: str, now: Any) -> dict[str, Any]:
    """The update that pauses or resumes ``sub`` (409 naming ``status`` when not allowed)."""
    if status == "active":
        if sub.get("paused_reason") == "client_disabled":
            raise Conflict("the partner client was disabled", field="status")
        if sub.get("paused_reason") == "by_admin" and not is_admin(principal):
            raise Conflict("the province administrator paused this subscription; ask them to resume it",
                           field="status")
        return {"status": "active", "paused_reason": None, "paused_at": None, "due_at": now}
    reason = "by_partner" if may_change(principal, sub) else "by_admin"
    return {"status": "paused", "paused_reason": reason, "paused_at": now, "due_at": None}


async def _due_now(uow: UnitOfWork, subscription_id: str, now: Any) -> None:
    """Every undelivered event of the subscription is due at once: failed ones start over,
    pending ones waiting for a later attempt are tried now (the backlog follows in order)."""
    await update_many(uow.repo(DELIVERIES), {"subscription_id": subscription_id, "status": "failed"}, {
        "$set": {"status": "pending", "next_attempt_at": now, "first_attempt_at": None, "attempts": 0}})
    await update_many(uow.repo(DELIVERIES), {"subscription_id": subscription_id, "status": "pending"},
                      {"$set": {"next_attempt_at": now}})


async def update_subscription(*, mongo: Mongo, settings: Settings, principal: Principal, subscription_id: str,
                              changes: dict[str, Any], resolver: Resolver = system_resolver,
                              ) -> dict[str, Any]:
    """Change ``event_types``, ``url`` (webhook), ``description`` (owner only) or ``status``
    (owner or province administrator).

    ``status: paused`` stops deliveries (events keep being queued for the subscription);
    ``status: active`` resumes and delivers the backlog at once, in order: the
    deliveries that had given up and those waiting for a later attempt are due now.
    New patterns apply to events recorded from then on (use replay or redeliver for
    earlier ones). An administrator's pause emits ``partners.subscription.paused.v1``
    (reason ``by_admin``); only an administrator resumes it.
    """
    sub = await get_stoppable(mongo, principal, subscription_id)
    owner = may_change(principal, sub)
    if not owner and set(changes) - {"status"}:
        raise Forbidden("only the partner that owns the subscription changes its URL, patterns or description")
    now = utcnow()
    update: dict[str, Any] = {"updated_at": now}
    if changes.get("event_types") is not None:
        held = partner_scopes(principal)
        update["event_types"] = check_patterns(changes["event_types"], scopes=held)
        update["scopes"] = held
    if changes.get("url") is not None:
        if sub["kind"] != "webhook":
            raise Unprocessable("an amqp subscription has no url", field="url")
        update["url"] = await check_url(changes["url"], settings, resolver)
    if "description" in changes:
        update["description"] = changes["description"]
    resume = paused_by_admin = False
    if changes.get("status") is not None and changes["status"] != sub["status"]:
        update.update(_status_change(principal, sub, changes["status"], now))
        resume = changes["status"] == "active"
        paused_by_admin = update.get("paused_reason") == "by_admin"

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        if resume:
            await _due_now(uow, subscription_id, now)
        doc = await uow.repo(SUBSCRIPTIONS).update({"_id": subscription_id},
                                                   {"$set": update, "$inc": {"work_version": 1}})
        if doc is None:
            raise NotFound("subscription not found")
        if paused_by_admin:
            uow.emit("partners.subscription.paused.v1", subject=subscription_id, data=SubscriptionPaused(
                subscription_id=subscription_id, client_id=sub["client_id"], kind=sub["kind"],
                url=sub.get("url"), reason="by_admin", paused_at=now))
        return doc

    return await with_transaction(mongo, principal.tenant, fn)


async def retry_now(*, mongo: Mongo, principal: Principal, subscription_id: str) -> dict[str, Any]:
    """Try every undelivered event of an active subscription now (owner or administrator):
    the failed ones start over, the pending ones stop waiting for their next attempt.
    409 naming ``status`` for a paused subscription (resume it instead)."""
    sub = await get_stoppable(mongo, principal, subscription_id)
    if sub["status"] != "active":
        raise Conflict("the subscription is paused: resume it (PATCH status active) to deliver its backlog",
                       field="status")
    now = utcnow()

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        await _due_now(uow, subscription_id, now)
        doc = await uow.repo(SUBSCRIPTIONS).update({"_id": subscription_id}, {
            "$set": {"due_at": now, "updated_at": now}, "$inc": {"work_version": 1}})
        if doc is None:
            raise NotFound("subscription not found")
        return doc

    return await with_transaction(mongo, principal.tenant, fn)


def _delivery(sub_id: str, event_id: str, event_type: str, seq: int, now: Any, retention: timedelta,
              event: dict[str, Any] | None = None) -> dict[str, Any]:
    doc = {"_id": f"{sub_id}:{event_id}", "subscription_id": sub_id, "event_id": event_id,
           "event_type": event_type, "seq": seq, "status": "pending", "attempts": 0, "first_attempt_at": None,
           "last_attempt_at": None, "next_attempt_at": now, "last_response_code": None, "last_error": None,
           "delivered_at": None, "history": [], "created_at": now, "expires_at": now + retention}
    if event is not None:
        doc["event"] = event
    return doc


async def redeliver(*, mongo: Mongo, settings: Settings, principal: Principal, subscription_id: str,
                    event_id: str) -> dict[str, Any]:
    """Deliver one logged event again (owner or administrator), whether it was delivered,
    failed, or logged before the subscription existed: it goes to the head of the
    subscription's queue, due now. 404 when the event is not in the tenant's log or not
    one this subscription receives (patterns, scopes, another partner's)."""
    sub = await get_stoppable(mongo, principal, subscription_id)
    entry = await mongo.repo(EVENT_LOG, principal.tenant).get(event_id)
    if entry is None or entry["type"] not in receivable_types(sub) \
            or not delivers(sub, entry["type"], entry["event"].get("data")):
        raise NotFound("no such event for this subscription (unknown, not matched, or older than the retention)")
    now = utcnow()
    retention = timedelta(days=settings.event_retention_days)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        deliveries = uow.repo(DELIVERIES)
        fresh = _delivery(subscription_id, event_id, entry["type"], 0, now, retention)
        existing = await deliveries.get(fresh["_id"])
        if existing is None:
            doc = await deliveries.insert(fresh)
        else:
            doc = await deliveries.update({"_id": fresh["_id"]}, {"$set": {
                "status": "pending", "attempts": 0, "first_attempt_at": None, "next_attempt_at": now,
                "seq": 0, "delivered_at": None}})
        await uow.repo(SUBSCRIPTIONS).update({"_id": subscription_id}, {
            "$set": {"due_at": now}, "$inc": {"work_version": 1}})
        return doc  # type: ignore[return-value]

    return await with_transaction(mongo, principal.tenant, fn)


async def send_test(*, mongo: Mongo, settings: Settings, principal: Principal, subscription_id: str,
                    message: str | None) -> dict[str, Any]:
    """Queue a ``partners.test.sent.v1`` event for this subscription only (owner only),
    ahead of its backlog; delivered, signed and retried like any event, never logged for
    replay. Returns the delivery (its ``event_id`` is the test event's id)."""
    sub = await get_own(mongo, principal, subscription_id)
    now = utcnow()
    event = make_event(type=TEST_EVENT, tenant=principal.tenant, service="partners", subject=subscription_id,
                       data=TestSent(subscription_id=subscription_id, client_id=sub["client_id"],
                                     message=message or "这是一条测试事件 (a test event)", requested_at=now))
    wire = wire_event(event.model_dump(mode="json"))
    retention = timedelta(days=settings.event_retention_days)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        doc = await uow.repo(DELIVERIES).insert(
            _delivery(subscription_id, event.id, TEST_EVENT, 0, now, retention, event=wire))
        await uow.repo(SUBSCRIPTIONS).update({"_id": subscription_id, "status": "active"}, {
            "$set": {"due_at": now}, "$inc": {"work_version": 1}})
        return doc

    return await with_transaction(mongo, principal.tenant, fn)


async def delete_subscription(*, mongo: Mongo, queues: PartnerQueues, broker_admin: BrokerAdmin | None,
                              principal: Principal, subscription_id: str) -> None:
    """Delete the subscription (owner or province administrator), its pending deliveries
    and (AMQP) its queue and broker user, whose open connections are closed."""
    sub = await get_stoppable(mongo, principal, subscription_id)

    async def fn(uow: UnitOfWork) -> None:
        await uow.repo(SUBSCRIPTIONS).delete({"_id": subscription_id})
        await delete_many(uow.repo(DELIVERIES), {"subscription_id": subscription_id})

    await with_transaction(mongo, principal.tenant, fn)
    if sub["kind"] == "amqp":
        await _drop_amqp(queues, broker_admin, subscription_id, (sub.get("amqp") or {}).get("vhost"))


async def rotate_secret(*, mongo: Mongo, settings: Settings, broker_admin: BrokerAdmin | None,
                        principal: Principal, subscription_id: str,
                        grace_seconds: float | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Webhook: a new signing secret signs from now on; the previous one keeps signing
    (a second signature in ``webhook-signature``) for ``grace_seconds`` (default
    ``webhook_secret_grace_seconds``, 24 h), so the partner can switch without losing a
    delivery. AMQP: a new broker password, at once — the connections opened with the old
    one are closed (management API), so the old password stops receiving.
    Returns (subscription, shown)."""
    sub = await get_own(mongo, principal, subscription_id)
    now = utcnow()
    shown: dict[str, Any] = {}
    if sub["kind"] == "amqp":
        if broker_admin is None:
            raise Unprocessable("AMQP delivery is not available on this deployment", field="kind")
        password = secrets.token_urlsafe(24)
        try:
            await broker_admin.set_password(subscription_id, password)
            vhost = (sub.get("amqp") or {}).get("vhost")
            reason = "the subscription's AMQP password was rotated"
            await broker_admin.close_connections(subscription_id, vhost=vhost, reason=reason)
            broker_admin.close_soon(subscription_id, vhost=vhost, reason=reason)
        except BrokerAdminError as exc:
            raise ServiceUnavailable("the broker could not change the password; try again", retry_after=5) from exc
        shown["amqp_password"] = password
        update: dict[str, Any] = {"updated_at": now, "secret_rotated_at": now}
    else:
        grace = settings.webhook_secret_grace_seconds if grace_seconds is None else grace_seconds
        until = now + timedelta(seconds=grace)
        kept = []
        for s in sub.get("secrets", []):
            expires = s.get("expires_at")
            if expires is not None and expires <= now:
                continue
            kept.append({**s, "expires_at": min(expires, until) if expires else until})
        secret = signing.new_secret()
        shown["secret"] = secret
        shown["previous_secret_expires_at"] = until if kept else None
        update = {"secrets": [{"secret": secret, "created_at": now, "expires_at": None}, *kept],
                  "updated_at": now, "secret_rotated_at": now}
    doc = await mongo.repo(SUBSCRIPTIONS, principal.tenant).update({"_id": subscription_id}, {"$set": update})
    if doc is None:
        raise NotFound("subscription not found")
    return doc, shown
