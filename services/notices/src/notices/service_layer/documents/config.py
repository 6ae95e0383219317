"""The tenant's document numbering configuration (HN-07)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog

from anjian_shared.auth import Principal, Role
from anjian_shared.mongo import Mongo, UnitOfWork
from anjian_shared.problems import Forbidden
from anjian_shared.types import utcnow

from ...adapters.document_store import (
    CONFIG,
)
from ...adapters.tenants import notice_abbreviation
from ...domain import document_config as cfg
from ...settings import Settings
from .common import ensure_enabled

log = structlog.get_logger("notices.documents")


async def load_config(repo_or_uow: Any, tenant: str) -> dict[str, Any]:
    """HN-07: the tenant's numbering configuration: the stored one, else the defaults."""
    repo = repo_or_uow.repo(CONFIG) if isinstance(repo_or_uow, UnitOfWork) else repo_or_uow.repo(CONFIG, tenant)
    stored = await repo.get(tenant)
    if stored:
        return {k: stored[k] for k in ("format", "abbr", "short_names", "escalation_kinds")} | {
            "source": "tenant", "updated_at": stored.get("updated_at"), "updated_by": stored.get("updated_by")}
    defaults = cfg.default_config(await notice_abbreviation(repo_or_uow, tenant))
    return defaults | {"source": "default", "updated_at": None, "updated_by": None}


def _ensure_admin(principal: Principal) -> None:
    if not principal.has(Role.PROVINCE_ADMIN.value, Role.PLATFORM_ADMIN.value):
        raise Forbidden("requires the role province_admin", slug="role-required")


async def get_config(*, mongo: Mongo, settings: Settings, principal: Principal) -> dict[str, Any]:
    """HN-07: the caller's tenant's document numbering configuration (province admins; 403
    otherwise)."""
    await ensure_enabled(mongo, settings, principal.tenant)
    _ensure_admin(principal)
    return await load_config(mongo, principal.tenant)


async def put_config(*, mongo: Mongo, settings: Settings, principal: Principal,
                     config: Mapping[str, Any]) -> dict[str, Any]:
    """HN-07: replace the tenant's configuration (province admins; 403 otherwise; 422 naming
    ``format``/``abbr``/``short_names``/``escalation_kinds``, see
    ``domain.document_config.validate_config``). Numbers already given keep their text;
    counters continue."""
    await ensure_enabled(mongo, settings, principal.tenant)
    _ensure_admin(principal)
    clean = cfg.validate_config(config)
    now = utcnow()
    repo = mongo.repo(CONFIG, principal.tenant)
    await repo.collection.update_one(
        {"_id": principal.tenant, "tenant_id": principal.tenant},
        {"$set": {**clean, "updated_at": now, "updated_by": principal.user_id}, "$setOnInsert": {"created_at": now}},
        upsert=True)
    return await load_config(mongo, principal.tenant)
