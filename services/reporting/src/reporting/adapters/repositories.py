"""reporting's collections (its own database) and the little storage helpers it needs.

Every access goes through ``TenantRepository`` (tenant-scoped); ``upsert`` adds the
one operation it lacks, keeping the tenant in the filter. Read models are stored as
the event payloads in JSON form (``model_dump(mode="json")``: BSON has no ``date``)
and validated back into the payload models when read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from anjian_shared.mongo import TenantRepository

NOTIFICATIONS = "notifications"
"""站内通知: one document per recipient and event (HB-03, HB-08)."""
TODOS = "todos"
"""To-dos (待办) of the rectification loop, recomputed per notice (HB-08)."""
PLANS = "plans"
"""Plan read model: ``confirmed`` (PlanConfirmed) and ``submitted`` (PlanSubmitted) payloads."""
NOTICES = "notices"
"""Notice read model: ``issued`` (NoticeIssued) and ``closed`` (NoticeClosed) payloads;
``versions``: the notice versions whose events were applied (HB-09 ``min_version``)."""
REPLIES = "replies"
"""Reply rounds: ``submitted`` (ReplySubmitted) and ``reviewed`` (ReplyReviewed) payloads."""
ORGANIZATIONS = "organizations"
"""Organisation names for documents (from identity.organization.created.v1)."""
STATION_ITEMS = "station_items"
"""HN-10 search read model: one document per supervision record (``record:<id>``) and per
enforcement document (``document:<id>``), from inspections.record.*.v1 and notices.document.*.v1."""
ANNOUNCEMENTS = "announcements"
"""HEB-02 the home page's announcements (通知公告) and downloads (下载专区): title, body, files
(S3 references), publisher, status published | withdrawn, version."""
SHARE_LINKS = "share_links"
"""Share links: SHA-256 of the token, what it opens, until when (HB-09)."""


async def upsert(repo: TenantRepository, id: str, *, set: Mapping[str, Any] | None = None,
                 set_on_insert: Mapping[str, Any] | None = None,
                 inc: Mapping[str, Any] | None = None, add_to_set: Mapping[str, Any] | None = None) -> None:
    """Create or update the document ``id`` of the repository's tenant, in its session."""
    update: dict[str, Any] = {}
    if add_to_set:
        update["$addToSet"] = dict(add_to_set)
    if set:
        update["$set"] = dict(set)
    if set_on_insert:
        update["$setOnInsert"] = dict(set_on_insert)
    if inc:
        update["$inc"] = dict(inc)
    await repo.collection.update_one({"_id": id, "tenant_id": repo.tenant_id}, update, upsert=True,
                                     session=repo.session)


async def ensure_indexes(db: AsyncDatabase) -> None:
    """Indexes of every query reporting makes (run at startup, idempotent)."""
    await db[NOTIFICATIONS].create_index(
        [("tenant_id", ASCENDING), ("user_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)])
    await db[NOTIFICATIONS].create_index([("tenant_id", ASCENDING), ("user_id", ASCENDING), ("read_at", ASCENDING)])
    await db[TODOS].create_index(
        [("tenant_id", ASCENDING), ("user_id", ASCENDING), ("done_at", ASCENDING), ("created_at", DESCENDING)])
    await db[TODOS].create_index([("tenant_id", ASCENDING), ("notice_id", ASCENDING)])
    await db[TODOS].create_index(  # HUN-01: to-dos addressed to an organisation's roles
        [("tenant_id", ASCENDING), ("org_id", ASCENDING), ("done_at", ASCENDING), ("created_at", DESCENDING)])
    await db[REPLIES].create_index([("tenant_id", ASCENDING), ("notice_id", ASCENDING)])
    await db[SHARE_LINKS].create_index([("tenant_id", ASCENDING), ("token_sha256", ASCENDING)], unique=True)
    await db[SHARE_LINKS].create_index([("tenant_id", ASCENDING), ("target_id", ASCENDING), ("created_at", DESCENDING),
                                        ("_id", DESCENDING)])  # a document's links, newest first (HB-09)
    await db[STATION_ITEMS].create_index(
        [("tenant_id", ASCENDING), ("station_org_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)])
    await db[STATION_ITEMS].create_index([("tenant_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)])
    await db[SHARE_LINKS].create_index("expires_at", expireAfterSeconds=7 * 24 * 3600)
    await db[ANNOUNCEMENTS].create_index(
        [("tenant_id", ASCENDING), ("status", ASCENDING), ("published_at", DESCENDING), ("_id", DESCENDING)])
