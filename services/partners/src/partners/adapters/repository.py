"""MongoDB collections of partners (database ``anjian_partners``; every document has ``tenant_id``).

- ``event_log``: every event of the platform, per tenant, numbered ``seq`` (1, 2, … per
  tenant, in commit order: the counter is advanced in the recording transaction, so
  concurrent recorders conflict and retry). ``{_id: event id, seq, type, time, event
  (the CloudEvent), received_at, expires_at}``; a TTL index on ``expires_at`` keeps
  ``event_retention_days`` (30 by default). The replay source.
- ``subscriptions``: ``{_id, client_id, client_name, kind, url, event_types, status,
  secrets: [{secret, created_at, expires_at}], amqp: {queue, username}, due_at,
  work_version, lease_until, lease_by, paused_reason, paused_at, created_at, updated_at}``.
  ``due_at`` says when the delivery sweep should look at it (None: nothing to deliver);
  ``work_version`` grows with every new delivery (so the sweep never misses one).
- ``deliveries``: one per (subscription, event): ``{_id: "<subscription>:<event>",
  subscription_id, event_id, event_type, seq, status (pending|delivered|failed), attempts,
  first_attempt_at, last_attempt_at, next_attempt_at, last_response_code, last_error,
  delivered_at, history: [last 10 attempts], created_at, expires_at}``.
- ``counters``: ``{_id: "<tenant>:event_log", seq}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pymongo import ReturnDocument

from anjian_shared.mongo import TenantRepository, UnitOfWork

EVENT_LOG = "event_log"
SUBSCRIPTIONS = "subscriptions"
DELIVERIES = "deliveries"
COUNTERS = "counters"


async def ensure_indexes(app: FastAPI) -> None:
    """Startup hook: indexes, including the retention TTL of the event log (idempotent)."""
    db = app.state.mongo.db
    await db[EVENT_LOG].create_index([("tenant_id", 1), ("seq", 1)], unique=True, name="by_seq")
    await db[EVENT_LOG].create_index([("tenant_id", 1), ("time", 1)], name="by_time")
    await db[EVENT_LOG].create_index("expires_at", expireAfterSeconds=0, name="retention")
    await db[SUBSCRIPTIONS].create_index([("tenant_id", 1), ("client_id", 1), ("created_at", -1)],
                                         name="by_client")
    await db[SUBSCRIPTIONS].create_index([("tenant_id", 1), ("status", 1), ("due_at", 1)], name="due")
    await db[DELIVERIES].create_index([("tenant_id", 1), ("subscription_id", 1), ("status", 1), ("seq", 1)],
                                      name="queue")
    await db[DELIVERIES].create_index([("tenant_id", 1), ("subscription_id", 1), ("created_at", -1)],
                                      name="by_subscription")
    await db[DELIVERIES].create_index("expires_at", expireAfterSeconds=0, name="retention")


async def next_seq(uow: UnitOfWork) -> int:
    """Advance the tenant's event-log counter inside ``uow`` (1, 2, …)."""
    repo = uow.repo(COUNTERS)
    doc = await repo.collection.find_one_and_update(
        {"_id": f"{uow.tenant_id}:event_log", "tenant_id": uow.tenant_id}, {"$inc": {"seq": 1}},
        upsert=True, return_document=ReturnDocument.AFTER, session=repo.session)
    return int(doc["seq"])


async def update_many(repo: TenantRepository, flt: dict[str, Any], update: dict[str, Any]) -> int:
    """``update_many`` on a tenant's documents (the tenant is added to the filter)."""
    res = await repo.collection.update_many({**flt, "tenant_id": repo.tenant_id}, update, session=repo.session)
    return res.modified_count


async def delete_many(repo: TenantRepository, flt: dict[str, Any]) -> int:
    res = await repo.collection.delete_many({**flt, "tenant_id": repo.tenant_id}, session=repo.session)
    return res.deleted_count
