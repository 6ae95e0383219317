"""Read models this service keeps from other services' events: projects and user names.

inspections never reads another service's database: projects arrive through
``projects.project.registered.v1`` / ``projects.project.updated.v1`` (full snapshot, kept by
project id per tenant) and user names through ``identity.user.created.v1`` /
``identity.user.updated.v1``; ``entrypoints.consumers`` keeps both with
``anjian_shared.read_models.read_model`` (an older snapshot never overwrites a newer one).
This module reads them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from anjian_shared.auth import Principal
from anjian_shared.mongo import Mongo, TenantRepository
from anjian_shared.pagination import DocPage, paginate

from ..adapters.repositories import PROJECTS, by_ids
from ..domain.plans import ensure_planner


async def station_projects(*, mongo: Mongo, principal: Principal, limit: int,
                           cursor: str | None) -> DocPage:
    """HB-02: the projects of the caller's station in the directory, newest first (a plan can
    only name these); one page of ``limit``. 403 unless a planner (supervisor / leader)."""
    ensure_planner(principal)
    return await paginate(mongo.repo(PROJECTS, principal.tenant),
                          {"station_org_id": principal.org_id}, limit=limit, cursor=cursor)


async def projects_by_id(repo: TenantRepository, project_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The directory's projects among ``project_ids`` (missing ones are simply absent)."""
    return await by_ids(repo, project_ids)


async def person_names(users: TenantRepository, user_ids: Iterable[str], *,
                       known: Mapping[str, str] | None = None,
                       projects: Iterable[Mapping[str, Any]] = ()) -> dict[str, str]:
    """Display names of ``user_ids``: the user directory first, then names seen elsewhere
    (``known``: e.g. the caller's token name; project participants), else the user id."""
    ids = list(dict.fromkeys(user_ids))
    names: dict[str, str] = {}
    for p in projects:
        for part in p.get("participants", []):
            if part.get("name"):
                names.setdefault(part["user_id"], part["name"])
    for uid, name in (known or {}).items():
        if name:
            names[uid] = name
    found = await by_ids(users, ids)
    for uid, doc in found.items():
        if doc.get("display_name"):
            names[uid] = doc["display_name"]
    return {uid: names.get(uid) or uid for uid in ids}
