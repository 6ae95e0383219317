"""Partner clients as partners knows them: a local read model fed by identity's events
(PLAT-03, security: a disabled client is refused at once).

Collection ``clients``: ``{_id: client_id, tenant_id, name, scopes, enabled, disabled_at,
updated_at}``, upserted from ``identity.client.registered.v1`` and
``identity.client.disabled.v1`` in the event-log consumer's transaction.

Every partners request made with a partner token checks it: a client the read model
knows as disabled is refused with 401 although its token has not expired. Why a read
model rather than asking identity: partners keeps serving (and refusing) while identity
is briefly down, and the check costs one local read. The window between the disable and
the refusal is the event's trip through the broker (normally well under a second); a
subscription created in that window is paused with the others, because creating one
writes the client's document in the same transaction (it conflicts with the disable).
A client the read model has not heard of yet (registered a moment ago) is let through
on its token: identity checked it when issuing the token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from anjian_shared.errors import Unauthorized
from anjian_shared.mongo import Mongo, UnitOfWork
from anjian_shared.principal import Principal

from ..domain.model import is_partner

CLIENTS = "clients"


async def apply_client_event(uow: UnitOfWork, *, event_type: str, data: dict[str, Any],
                             now: datetime) -> None:
    """Update the read model from an ``identity.client.*`` event (never re-enables a
    disabled client: a registration that arrives late changes name and scopes only)."""
    client_id = str(data.get("client_id") or "")
    if not client_id:
        return
    repo = uow.repo(CLIENTS)
    if event_type == "identity.client.registered.v1":
        await repo.collection.update_one(
            {"_id": client_id, "tenant_id": uow.tenant_id},
            {"$set": {"name": data.get("name"), "scopes": list(data.get("scopes") or []),
                      "updated_at": now},
             "$setOnInsert": {"enabled": True, "disabled_at": None}},
            upsert=True, session=repo.session)
    elif event_type == "identity.client.disabled.v1":
        await repo.collection.update_one(
            {"_id": client_id, "tenant_id": uow.tenant_id},
            {"$set": {"enabled": False, "disabled_at": now, "updated_at": now}},
            upsert=True, session=repo.session)


async def require_enabled(mongo: Mongo, principal: Principal) -> None:
    """401 for a partner token whose client is known to be disabled (no-op for users)."""
    if not is_partner(principal):
        return
    doc = await mongo.repo(CLIENTS, principal.tenant).get(principal.user_id)
    if doc is not None and not doc.get("enabled", True):
        raise Unauthorized("this partner client was disabled by the province administrator",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


async def hold_enabled(uow: UnitOfWork, principal: Principal, now: datetime) -> None:
    """Inside a transaction that creates something for the client: 401 if it is disabled,
    and write the client's document so a concurrent disable conflicts with this one."""
    repo = uow.repo(CLIENTS)
    doc = await repo.get(principal.user_id)
    if doc is not None and not doc.get("enabled", True):
        raise Unauthorized("this partner client was disabled by the province administrator",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    await repo.collection.update_one(
        {"_id": principal.user_id, "tenant_id": uow.tenant_id},
        {"$set": {"last_seen_at": now}, "$setOnInsert": {"enabled": True, "name": principal.name,
                                                         "scopes": principal.scopes}},
        upsert=True, session=repo.session)
