"""Collections of the inspections database and the few operations the tenant repository lacks.

Every document carries ``tenant_id``; reads and writes go through
``anjian_shared.mongo.TenantRepository`` (``uow.repo(...)``), which scopes them.

- ``plans``     抽查计划: one document per plan (state, team, signature/seal refs, history)
- ``results``   检查结果: one document per result (plan_id, hazards, photos as MediaRefs)
- ``catalog``   隐患库: per-tenant copy of the hazard catalog, ``_id`` = ``<tenant>:<code>``
- ``projects``  read model of projects (from ``projects.project.*.v1``), ``_id`` = project id
- ``users``     read model of user names (from ``identity.user.*.v1``), ``_id`` = user id
- ``plan_audit`` audit lines of deleted plans (their history goes with them otherwise)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo import ASCENDING, DESCENDING

from anjian_shared.mongo import Mongo, TenantRepository

PLANS = "plans"
RESULTS = "results"
CATALOG = "catalog"
PROJECTS = "projects"
USERS = "users"
PLAN_AUDIT = "plan_audit"
PLAN_NOTICES = "plan_notices"
"""Read model: the 告知书 issued from each plan (``notices.notice.issued.v1``), one per notice."""


async def ensure_indexes(mongo: Mongo) -> None:
    """Startup hook: the indexes every query of this service uses."""
    db = mongo.db
    await db[PLAN_NOTICES].create_index([("tenant_id", ASCENDING), ("plan_id", ASCENDING)])
    await db[PLANS].create_index([("tenant_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)])
    await db[PLANS].create_index([("tenant_id", ASCENDING), ("supervisor_user_ids", ASCENDING)])
    await db[PLANS].create_index([("tenant_id", ASCENDING), ("station_org_id", ASCENDING)])
    await db[RESULTS].create_index([("tenant_id", ASCENDING), ("plan_id", ASCENDING), ("created_at", DESCENDING)])
    await db[CATALOG].create_index([("tenant_id", ASCENDING), ("code", ASCENDING)], unique=True)
    await db[CATALOG].create_index([("tenant_id", ASCENDING), ("seq", ASCENDING)])
    await db[PROJECTS].create_index([("tenant_id", ASCENDING), ("station_org_id", ASCENDING)])


async def by_ids(repo: TenantRepository, ids: Iterable[str], *, key: str = "_id") -> dict[str, dict[str, Any]]:
    """Documents of ``repo`` whose ``key`` is one of ``ids``, keyed by it."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    docs = await repo.find({key: {"$in": wanted}}, limit=len(wanted))
    return {d[key]: d for d in docs}
