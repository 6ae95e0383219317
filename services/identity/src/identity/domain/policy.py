"""Who reads and changes a province's tenant policy, and the audit chain of its changes.

Pure rules (no I/O): the service layer loads and stores; ``anjian_shared.tenant_policy``
holds the registry of features, limits and settings and the merge of a patch.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from anjian_shared.errors import Forbidden, NotFound
from anjian_shared.principal import Principal, Role
from anjian_shared.types import TENANTS

GENESIS_HASH = "0" * 64
"""``prev_hash`` of a tenant's first policy audit entry."""


def check_may_manage_policy(actor: Principal, tenant: str) -> None:
    """The province administrator (or a platform administrator) of ``tenant`` reads and
    changes its policy. Another tenant (or an unknown one) is 404 — its policy is not even
    shown to exist; a user of the tenant without those roles is 403 ``not-policy-admin``."""
    if tenant not in TENANTS or actor.tenant != tenant:
        raise NotFound("no tenant policy of that province for you")
    if not actor.has(Role.PROVINCE_ADMIN, Role.PLATFORM_ADMIN):
        raise Forbidden(
            "only the province administrator reads and changes the tenant policy",
            slug="not-policy-admin",
        )


def chain_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    """SHA-256 of the previous entry's hash and this entry's canonical JSON (sorted keys,
    no ``hash``/``prev_hash``/``_id``/``tenant_id``): changing, removing or reordering an
    entry breaks every later hash."""
    body = {k: v for k, v in entry.items() if k not in ("hash", "prev_hash", "_id", "tenant_id")}
    canonical = json.dumps(
        body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def verify_chain(entries: list[Mapping[str, Any]]) -> bool:
    """True when ``entries`` (oldest first, from the first one) form an unbroken chain."""
    prev = GENESIS_HASH
    for entry in entries:
        if entry.get("prev_hash") != prev or entry.get("hash") != chain_hash(prev, entry):
            return False
        prev = entry["hash"]
    return True
