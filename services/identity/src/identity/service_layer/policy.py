"""The tenant policy, owned by identity: read it, change it (audited), publish it.

Collection ``tenant_policies``: one document per tenant, ``_id`` = the tenant code:
``{features, limits, settings, version, updated_at, updated_by}`` — the province
administrator's values only (names left out are at the services' defaults).

Collection ``policy_audit``: one entry per change, append-only, hash-chained per tenant
(``seq`` = the policy version it produced; ``prev_hash`` → ``hash``), written in the same
transaction as the change and its event ``identity.tenant_policy.updated.v1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo.errors import DuplicateKeyError

from anjian_shared.events.identity_v1 import TenantPolicyUpdated
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.pagination import paginate
from anjian_shared.principal import Principal
from anjian_shared.tenant_policy import (
    POLICY_UPDATED,
    PolicyOverrides,
    TenantPolicy,
    TenantPolicyPatch,
    apply_patch,
    effective_policy,
    overrides_from_doc,
)
from anjian_shared.types import new_id, utcnow

from ..domain.policy import GENESIS_HASH, chain_hash, check_may_manage_policy

POLICIES = "tenant_policies"
AUDIT = "policy_audit"


@dataclass(frozen=True)
class RequestOrigin:
    """Where a change came from, for the audit trail."""

    address: str | None = None
    """The peer address the service saw (the gateway's, behind one)."""
    forwarded_for: str | None = None
    """``X-Forwarded-For`` as received (the client's address behind the gateway; not verified)."""
    request_id: str | None = None
    user_agent: str | None = None


async def ensure_indexes(mongo: Mongo) -> None:
    await mongo.db[AUDIT].create_index([("tenant_id", 1), ("seq", 1)], unique=True)
    await mongo.db[AUDIT].create_index([("tenant_id", 1), ("created_at", -1), ("_id", -1)])


async def get_policy(*, mongo: Mongo, actor: Principal, tenant: str) -> TenantPolicy:
    """The effective policy of ``tenant`` with the platform defaults (HN-03/04/07/11, PLAT-01).

    Province or platform administrator of ``tenant`` only: 403 ``not-policy-admin`` for other
    users of the tenant, 404 for another tenant. The defaults shown are the registry's; a
    service's operator may have set other defaults in its environment (each name's ``env``).
    """
    check_may_manage_policy(actor, tenant)
    doc = await mongo.repo(POLICIES, tenant).get(tenant)
    return effective_policy(tenant, None, overrides_from_doc(doc))


async def update_policy(
    *, mongo: Mongo, actor: Principal, tenant: str, patch: TenantPolicyPatch, origin: RequestOrigin
) -> TenantPolicy:
    """Merge ``patch`` (RFC 7396: a value sets, ``null`` returns to the default) into the
    administrator's values of ``tenant``.

    When anything changed: ``version`` +1, an audit entry (who, when, each field's old and
    new value, from which address, request id; hash-chained) and the event
    ``identity.tenant_policy.updated.v1`` (the full set of values + version) commit in one
    transaction. A patch that changes nothing stores nothing. 403/404 as ``get_policy``;
    unknown names or values out of bounds are refused by ``TenantPolicyPatch`` (422).
    """
    check_may_manage_policy(actor, tenant)

    async def apply(uow: UnitOfWork) -> PolicyOverrides:
        policies = uow.repo(POLICIES)
        doc = await policies.get(tenant)
        current = overrides_from_doc(doc)
        now = utcnow()
        new, changes = apply_patch(current, patch, at=now, by=actor.user_id)
        if not changes:
            return current
        fields = {
            "features": new.features,
            "limits": new.limits,
            "settings": new.settings,
            "version": new.version,
            "updated_at": now,
            "updated_by": actor.user_id,
        }
        if doc is None:
            await policies.insert({"_id": tenant, **fields, "created_at": now})
        elif (
            await policies.update({"_id": tenant, "version": current.version}, {"$set": fields})
            is None
        ):
            raise RuntimeError("tenant policy changed during its own transaction")  # not reachable
        audit = uow.repo(AUDIT)
        prev = await audit.find_one({"seq": current.version}) if current.version else None
        entry: dict[str, Any] = {
            "seq": new.version,
            "action": "tenant_policy.updated",
            "created_at": now,
            "actor_id": actor.user_id,
            "actor_name": actor.name,
            "actor_roles": list(actor.roles),
            "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in changes],
            "address": origin.address,
            "forwarded_for": origin.forwarded_for,
            "request_id": origin.request_id,
            "user_agent": origin.user_agent,
        }
        prev_hash = prev["hash"] if prev else GENESIS_HASH
        entry.update(prev_hash=prev_hash, hash=chain_hash(prev_hash, entry))
        await audit.insert({"_id": new_id(), **entry})
        uow.emit(
            POLICY_UPDATED,
            subject=tenant,
            data=TenantPolicyUpdated(
                tenant=tenant,
                version=new.version,
                features=new.features,
                limits=new.limits,
                settings=new.settings,
                updated_by=actor.user_id,
                updated_at=now,
            ),
        )
        return new

    try:
        overrides = await with_transaction(mongo, tenant, apply, aggregate="tenant-policy")
    except DuplicateKeyError:  # another replica created the tenant's first policy at that moment
        overrides = await with_transaction(mongo, tenant, apply, aggregate="tenant-policy")
    return effective_policy(tenant, None, overrides)


async def list_policy_audit(
    *, mongo: Mongo, actor: Principal, tenant: str, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The policy's audit entries, newest first (same access as ``get_policy``)."""
    check_may_manage_policy(actor, tenant)
    docs, nxt = await paginate(mongo.repo(AUDIT, tenant), {}, limit=limit, cursor=cursor)
    return docs, nxt
