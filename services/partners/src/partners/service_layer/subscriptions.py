"""Subscription use cases (PLAT-03): create, list, change, resume, delete, rotate the secret,
list delivery attempts, replay.

A partner (token with role ``partner`` and scope ``events:read``) owns its
subscriptions; the province administrator may list and inspect every subscription of
the province. Other tenants' subscriptions answer 404.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import structlog
from anjian_shared.auth import Principal
from anjian_shared.events import EVENT_TYPES
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.problems import Conflict, Forbidden, NotFound, ServiceUnavailable, Unprocessable
from anjian_shared.types import new_id, utcnow

from ..adapters.broker import BrokerAdmin, BrokerAdminError, PartnerQueues, queue_name, user_name
from ..adapters.repository import DELIVERIES, SUBSCRIPTIONS, delete_many, update_many
from ..adapters.webhook import host_is_private
from ..domain import patterns, signing
from ..domain.model import SCOPE, is_partner, may_change, url_problem, visibility_filter
from ..settings import Settings

log = structlog.get_logger("partners.subscriptions")


def require_reader(principal: Principal) -> dict[str, Any]:
    """The visibility filter of the caller; 403 for callers who see no subscription, or a
    partner token without the ``events:read`` scope."""
    flt = visibility_filter(principal)
    if flt is None:
        raise Forbidden("partner systems and the province administrator only")
    if is_partner(principal) and SCOPE not in principal.scopes:
        raise Forbidden(f"the token lacks the scope {SCOPE}")
    return flt


def require_partner(principal: Principal) -> None:
    if not is_partner(principal):
        raise Forbidden("only a partner system (client credentials token) manages subscriptions")
    if SCOPE not in principal.scopes:
        raise Forbidden(f"the token lacks the scope {SCOPE}")


def check_patterns(event_types: list[str], field: str = "event_types") -> list[str]:
    """422 (naming ``event_types``) for a malformed pattern or one that matches no event type."""
    for i, p in enumerate(event_types):
        if not patterns.is_valid(p):
            raise Unprocessable(f"{p!r} is not a pattern: words of a-z, 0-9, _ separated by dots; * is one word, "
                                "# zero or more", field=f"{field}.{i}")
        if not patterns.matching_types([p], EVENT_TYPES):
            raise Unprocessable(f"{p!r} matches no event type of the catalog (GET /api/partners/v1/asyncapi.json)",
                                field=f"{field}.{i}")
    return list(dict.fromkeys(event_types))


async def check_url(url: str, settings: Settings) -> str:
    problem = url_problem(url)
    if problem:
        raise Unprocessable(problem, field="url")
    if not settings.allow_private_webhooks and await host_is_private(url):
        raise Unprocessable("url must point to a public address", field="url")
    return url


async def get_visible(mongo: Mongo, principal: Principal, subscription_id: str) -> dict[str, Any]:
    """The subscription if the caller may see it; 404 otherwise (also for other tenants)."""
    flt = require_reader(principal)
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


async def create_subscription(*, mongo: Mongo, settings: Settings, queues: PartnerQueues,
                              broker_admin: BrokerAdmin | None, principal: Principal, kind: str, url: str | None,
                              event_types: list[str], description: str | None) -> dict[str, Any]:
    """Subscribe the calling partner to its tenant's events matching ``event_types``.

    ``webhook``: ``url`` (http/https) required; the answer holds the signing secret
    (``whsec_…``) once. ``amqp``: a queue ``partner.<id>`` and a broker user that may
    only read it; the answer holds its password once (422 naming ``kind`` when this
    deployment has no RabbitMQ management API configured). 422 naming ``event_types``
    or ``url`` for bad input.
    """
    require_partner(principal)
    event_types = check_patterns(event_types)
    now = utcnow()
    sub_id = new_id()
    doc: dict[str, Any] = {
        "_id": sub_id, "client_id": principal.user_id, "client_name": principal.name, "kind": kind, "url": None,
        "event_types": event_types, "description": description, "status": "active", "secrets": [],
        "amqp": None, "due_at": None, "work_version": 0, "lease_until": None, "lease_by": None,
        "paused_reason": None, "paused_at": None, "created_at": now, "updated_at": now}
    shown: dict[str, Any] = {}
    if kind == "webhook":
        if not url:
            raise Unprocessable("a webhook subscription needs a url", field="url")
        doc["url"] = await check_url(url, settings)
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
        try:
            await queues.declare(sub_id)
            await broker_admin.create_reader(sub_id, password)
        except (BrokerAdminError, ConnectionError, OSError) as exc:
            log.warning("amqp subscription setup failed", error=str(exc)[:300])
            await _drop_amqp(queues, broker_admin, sub_id)
            raise ServiceUnavailable("the broker could not set up the queue; try again",
                                     headers={"Retry-After": "5"}) from exc
        doc["amqp"] = {"queue": queue_name(sub_id), "username": user_name(sub_id), "revoke_pending": False}
        shown["amqp_password"] = password

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        return await uow.repo(SUBSCRIPTIONS).insert(doc)

    try:
        stored = await with_transaction(mongo, principal.tenant, fn)
    except Exception:
        if kind == "amqp":
            await _drop_amqp(queues, broker_admin, sub_id)
        raise
    return {**stored, **shown}


async def _drop_amqp(queues: PartnerQueues, broker_admin: BrokerAdmin | None, sub_id: str) -> None:
    """Best effort: remove a subscription's broker user and queue."""
    if broker_admin is not None:
        try:
            await broker_admin.delete_user(sub_id)
        except BrokerAdminError as exc:
            log.warning("could not delete the broker user", subscription_id=sub_id, error=str(exc)[:300])
    try:
        await queues.delete(sub_id)
    except Exception as exc:  # noqa: BLE001 - already gone or broker away
        log.warning("could not delete the queue", subscription_id=sub_id, error=repr(exc)[:300])


async def update_subscription(*, mongo: Mongo, settings: Settings, principal: Principal, subscription_id: str,
                              changes: dict[str, Any]) -> dict[str, Any]:
    """Change ``event_types``, ``url`` (webhook), ``description`` or ``status``.

    ``status: paused`` stops deliveries (events keep being queued for the subscription);
    ``status: active`` resumes: the deliveries that had given up are tried again and
    everything queued meanwhile follows, in order. New patterns apply to events
    recorded from then on (use replay for earlier ones).
    """
    sub = await get_own(mongo, principal, subscription_id)
    now = utcnow()
    update: dict[str, Any] = {"updated_at": now}
    if changes.get("event_types") is not None:
        update["event_types"] = check_patterns(changes["event_types"])
    if changes.get("url") is not None:
        if sub["kind"] != "webhook":
            raise Unprocessable("an amqp subscription has no url", field="url")
        update["url"] = await check_url(changes["url"], settings)
    if "description" in changes:
        update["description"] = changes["description"]
    resume = False
    if changes.get("status") is not None and changes["status"] != sub["status"]:
        if changes["status"] == "active":
            if sub.get("paused_reason") == "client_disabled":
                raise Conflict("the partner client was disabled", field="status")
            resume = True
            update.update({"status": "active", "paused_reason": None, "paused_at": None, "due_at": now})
        else:
            update.update({"status": "paused", "paused_reason": "by_partner", "paused_at": now, "due_at": None})

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        if resume:
            await update_many(uow.repo(DELIVERIES), {"subscription_id": subscription_id, "status": "failed"}, {
                "$set": {"status": "pending", "next_attempt_at": now, "first_attempt_at": None, "attempts": 0}})
        doc = await uow.repo(SUBSCRIPTIONS).update({"_id": subscription_id},
                                                   {"$set": update, "$inc": {"work_version": 1}})
        if doc is None:
            raise NotFound("subscription not found")
        return doc

    return await with_transaction(mongo, principal.tenant, fn)


async def delete_subscription(*, mongo: Mongo, queues: PartnerQueues, broker_admin: BrokerAdmin | None,
                              principal: Principal, subscription_id: str) -> None:
    """Delete the subscription, its pending deliveries and (AMQP) its queue and broker user."""
    sub = await get_own(mongo, principal, subscription_id)

    async def fn(uow: UnitOfWork) -> None:
        await uow.repo(SUBSCRIPTIONS).delete({"_id": subscription_id})
        await delete_many(uow.repo(DELIVERIES), {"subscription_id": subscription_id})

    await with_transaction(mongo, principal.tenant, fn)
    if sub["kind"] == "amqp":
        await _drop_amqp(queues, broker_admin, subscription_id)


async def rotate_secret(*, mongo: Mongo, settings: Settings, broker_admin: BrokerAdmin | None,
                        principal: Principal, subscription_id: str,
                        grace_seconds: float | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Webhook: a new signing secret signs from now on; the previous one keeps signing
    (a second signature in ``webhook-signature``) for ``grace_seconds`` (default
    ``webhook_secret_grace_seconds``, 24 h), so the partner can switch without losing a
    delivery. AMQP: a new broker password (immediately). Returns (subscription, shown)."""
    sub = await get_own(mongo, principal, subscription_id)
    now = utcnow()
    shown: dict[str, Any] = {}
    if sub["kind"] == "amqp":
        if broker_admin is None:
            raise Unprocessable("AMQP delivery is not available on this deployment", field="kind")
        password = secrets.token_urlsafe(24)
        try:
            await broker_admin.set_password(subscription_id, password)
        except BrokerAdminError as exc:
            raise ServiceUnavailable("the broker could not change the password; try again",
                                     headers={"Retry-After": "5"}) from exc
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
