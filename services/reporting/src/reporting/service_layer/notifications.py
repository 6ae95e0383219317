"""站内通知 and to-dos of the caller (HB-03, HB-08): list, count, mark read.

A user only ever sees their own: every query is scoped by tenant (repository) and
by ``user_id``; somebody else's notification id answers 404.
"""

from __future__ import annotations

from typing import Any

from anjian_shared.auth import Principal
from anjian_shared.mongo import Mongo
from anjian_shared.pagination import paginate
from anjian_shared.problems import NotFound
from anjian_shared.types import utcnow

from ..adapters.repositories import NOTIFICATIONS, TODOS
from ..domain.todos import visible_to


async def list_notifications(*, mongo: Mongo, principal: Principal, unread: bool | None, limit: int,
                             cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The caller's notifications, newest first; ``unread`` True/False filters, None lists all.
    Withdrawn ones (HB-03: of a plan the caller left, or that was withdrawn) are not listed."""
    flt: dict[str, Any] = {"user_id": principal.user_id, "withdrawn_at": None}
    if unread is True:
        flt["read_at"] = None
    elif unread is False:
        flt["read_at"] = {"$ne": None}
    return await paginate(mongo.repo(NOTIFICATIONS, principal.tenant), flt, limit=limit, cursor=cursor)


async def count_unread(*, mongo: Mongo, principal: Principal) -> int:
    """How many of the caller's notifications are unread."""
    return await mongo.repo(NOTIFICATIONS, principal.tenant).count({"user_id": principal.user_id, "read_at": None,
                                                                     "withdrawn_at": None})


async def mark_read(*, mongo: Mongo, principal: Principal, notification_id: str) -> dict[str, Any]:
    """Mark one of the caller's notifications read (again: keeps the first ``read_at``).
    Unknown, other user's or other tenant's id → 404."""
    repo = mongo.repo(NOTIFICATIONS, principal.tenant)
    doc = await repo.update({"_id": notification_id, "user_id": principal.user_id, "read_at": None},
                            {"$set": {"read_at": utcnow()}})
    if doc is None:
        doc = await repo.find_one({"_id": notification_id, "user_id": principal.user_id})
    if doc is None:
        raise NotFound("notification not found", field="notification_id")
    return doc


async def mark_all_read(*, mongo: Mongo, principal: Principal) -> int:
    """Mark every unread notification of the caller read; returns how many changed."""
    repo = mongo.repo(NOTIFICATIONS, principal.tenant)
    res = await repo.collection.update_many({"tenant_id": repo.tenant_id, "user_id": principal.user_id,
                                             "read_at": None}, {"$set": {"read_at": utcnow()}})
    return res.modified_count


async def list_todos(*, mongo: Mongo, principal: Principal, include_done: bool, limit: int,
                     cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """HB-08: the caller's to-dos (reply due / review due), newest first; open ones unless ``include_done``.
    HUN-01: also Hunan's to-dos addressed to the caller's organisation and one of their roles
    (``domain.todos.visible_to``)."""
    flt: dict[str, Any] = visible_to(principal.user_id, principal.org_id, [str(r) for r in principal.roles])
    if not include_done:
        flt["done_at"] = None
    return await paginate(mongo.repo(TODOS, principal.tenant), flt, limit=limit, cursor=cursor)
