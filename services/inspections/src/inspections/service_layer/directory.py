"""Read models this service keeps from other services' events: projects and user names.

inspections never reads another service's database: projects arrive through
``projects.project.registered.v1`` / ``projects.project.updated.v1`` (full snapshot, upserted
by project id per tenant) and user names through ``identity.user.created.v1`` /
``identity.user.updated.v1``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from anjian_shared.events.identity_v1 import UserCreated, UserUpdated
from anjian_shared.events.projects_v1 import ProjectSnapshot
from anjian_shared.mongo import TenantRepository, UnitOfWork
from anjian_shared.types import utcnow

from ..adapters.repositories import PROJECTS, USERS, by_ids, upsert


async def record_project(*, uow: UnitOfWork, snapshot: ProjectSnapshot) -> None:
    """Upsert the project's snapshot into the tenant's project directory (HB-02)."""
    doc = snapshot.model_dump(mode="json")
    doc["updated_at"] = utcnow()
    await upsert(uow.repo(PROJECTS), snapshot.project_id, doc)


async def record_user(*, uow: UnitOfWork, user: UserCreated | UserUpdated) -> None:
    """Upsert a user's display name, organisation and roles (for names in events, HB-03/06)."""
    doc = {"user_id": user.user_id, "org_id": user.org_id, "username": user.username,
           "display_name": user.display_name, "roles": list(user.roles),
           "enabled": getattr(user, "enabled", True), "updated_at": utcnow()}
    await upsert(uow.repo(USERS), user.user_id, doc)


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
