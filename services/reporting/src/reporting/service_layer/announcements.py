"""HEB-02 use cases of the home page's announcements (通知公告) and downloads (下载专区).

Every use case takes ``mongo`` (the service's ``Mongo`` or the in-memory ``FakeDatabase``) and
the caller's ``Principal``; files go through ``anjian_shared.media.MediaIntake`` (sniffed:
PDF, DOCX, XLSX, JPEG, PNG; the tenant limit ``announcement_file_max_bytes``; removed again
when the write fails). The write, its event and its audit line commit in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from anjian_shared.errors import Conflict, NotFound
from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.reporting_v1 import AnnouncementPublished, AnnouncementWithdrawn
from anjian_shared.media import MediaIntake, MediaPolicy, Upload
from anjian_shared.mongo import UnitOfWork, UnitOfWorkFactory, with_transaction
from anjian_shared.pagination import DocPage, paginate
from anjian_shared.principal import Principal, Role
from anjian_shared.tenant_policy import tenant_policy
from anjian_shared.types import new_id, utcnow

from ..adapters.repositories import ANNOUNCEMENTS, ORGANIZATIONS
from ..domain.announcements import (
    AnnouncementKind,
    check_content,
    check_publisher,
    check_withdraw,
    may_manage,
    visible,
)

NOT_FOUND = "no such announcement in your province"


def _by(p: Principal) -> PersonRef:
    return PersonRef(user_id=p.user_id, name=p.name)


async def publish(*, mongo: UnitOfWorkFactory, storage: Any, settings: Any, principal: Principal, kind: str,
                  title: str, body: str, files: Sequence[Upload]) -> dict[str, Any]:
    """HEB-02 publish an announcement (``kind`` ``announcement``: title, body, optional files)
    or a download (``download``: title, at least one file). Returns the stored document
    ``{_id, kind, title, body, files: [MediaRef], publisher_org_id, publisher_org_name,
    published_by, published_at, status: "published", version: 1}``. 403
    ``not-announcement-publisher``; 422 naming ``title``/``body``/``files``
    (``download-file-required``); 413/415 naming ``files`` (the tenant limit
    ``announcement_file_max_bytes``, default 10 MB); nothing stays behind on a refusal.
    Event ``reporting.announcement.published.v1``."""
    check_publisher(principal)
    kind_ = AnnouncementKind(kind)
    title, body = check_content(kind_, title, body, len(files))
    policy = await tenant_policy(mongo, principal.tenant, settings)
    limit = policy.limit("announcement_file_max_bytes")
    ann_id = new_id()
    org = await mongo.repo(ORGANIZATIONS, principal.tenant).get(principal.org_id) or {}
    async with MediaIntake(storage, tenant=principal.tenant, folder=f"announcements/{ann_id}") as intake:
        refs = await intake.take(list(files), MediaPolicy.attachment(max_bytes=limit, field="files")) if files else []
        now = utcnow()
        doc = {"_id": ann_id, "kind": kind_.value, "title": title, "body": body,
               "files": [r.model_dump(mode="json") for r in refs], "publisher_org_id": principal.org_id,
               "publisher_org_name": org.get("name"), "published_by": _by(principal).model_dump(),
               "published_at": now, "created_at": now, "status": "published", "version": 1}

        async def run(uow: UnitOfWork) -> dict[str, Any]:
            saved = await uow.repo(ANNOUNCEMENTS).insert(doc)
            uow.emit("reporting.announcement.published.v1", subject=ann_id, data=AnnouncementPublished(
                announcement_id=ann_id, kind=kind_.value, title=title, body=body,
                publisher_org_id=principal.org_id, publisher_org_name=org.get("name"), files=refs,
                by=_by(principal), published_at=now, version=1))
            return saved

        return await with_transaction(mongo, principal.tenant, run)


async def list_announcements(*, mongo: UnitOfWorkFactory, principal: Principal, kind: str | None = None,
                             include_withdrawn: bool = False, limit: int = 20,
                             cursor: str | None = None) -> DocPage:
    """HEB-02 the province's announcements and downloads, newest first (``anjian_shared.pagination``:
    ``limit`` 1..100, ``cursor``; 422 naming ``cursor``). ``kind`` filters. Everyone signed in
    to the province sees the published ones; ``include_withdrawn`` adds, for who may manage
    them, the withdrawn ones they may see (the province administrator: all; an authority's
    leader: its own). Another province's never appear (tenant-scoped repository)."""
    flt: dict[str, Any] = {}
    if kind:
        flt["kind"] = AnnouncementKind(kind).value
    if include_withdrawn and may_manage(principal):
        if not principal.has(Role.PROVINCE_ADMIN):  # an authority's leader: its own withdrawn ones only
            flt["$or"] = [{"status": "published"}, {"publisher_org_id": principal.org_id}]
    else:
        flt["status"] = "published"
    return await paginate(mongo.repo(ANNOUNCEMENTS, principal.tenant), flt,
                          sort=[("published_at", -1), ("_id", -1)], limit=limit, cursor=cursor)


async def get_announcement(*, mongo: UnitOfWorkFactory, principal: Principal, announcement_id: str) -> dict[str, Any]:
    """HEB-02 one announcement (404 ``announcement-not-found``: unknown, another province's, or
    withdrawn for a caller who may not manage it)."""
    doc = await mongo.repo(ANNOUNCEMENTS, principal.tenant).get(announcement_id)
    if doc is None or not visible(doc, principal):
        raise NotFound(NOT_FOUND, slug="announcement-not-found", field="announcement_id")
    return doc


async def file_link(*, mongo: UnitOfWorkFactory, storage: Any, principal: Principal, announcement_id: str,
                    index: int, ttl: timedelta) -> tuple[str, MediaRef]:
    """HEB-02 a fresh presigned URL (on the platform's own origin, ``<public base>/media/…``,
    valid ``ttl``) of file ``index`` (0-based) of a visible announcement, and its reference.
    404 ``announcement-not-found``; 404 ``announcement-file-not-found`` naming ``index``."""
    doc = await get_announcement(mongo=mongo, principal=principal, announcement_id=announcement_id)
    files = doc.get("files") or []
    if not 0 <= index < len(files):
        raise NotFound(f"the announcement has {len(files)} file(s)", slug="announcement-file-not-found",
                       field="index")
    ref = MediaRef.model_validate(files[index])
    return await storage.presigned_get(ref, expires=ttl), ref


async def withdraw(*, mongo: UnitOfWorkFactory, principal: Principal, announcement_id: str,
                   reason: str = "") -> dict[str, Any]:
    """HEB-02 withdraw (撤回) an announcement or download: the publishing organisation's leader
    or the province administrator (403 ``not-announcement-publisher``); 404 as ``get``; 409
    ``announcement-withdrawn`` when it already is (also when two withdrawals race: the version
    decides). The files stay in storage for the record. Event
    ``reporting.announcement.withdrawn.v1``."""
    reason = (reason or "").strip()

    async def run(uow: UnitOfWork) -> dict[str, Any]:
        repo = uow.repo(ANNOUNCEMENTS)
        doc = await repo.get(announcement_id)
        if doc is None or not visible(doc, principal):
            raise NotFound(NOT_FOUND, slug="announcement-not-found", field="announcement_id")
        check_withdraw(doc, principal)
        now = utcnow()
        version = int(doc.get("version") or 1) + 1
        updated = await repo.update({"_id": announcement_id, "status": "published", "version": doc.get("version")},
                                    {"$set": {"status": "withdrawn", "withdrawn_at": now, "withdraw_reason": reason,
                                              "withdrawn_by": _by(principal).model_dump(), "version": version}})
        if updated is None:  # a concurrent withdrawal won
            raise Conflict("this announcement was already withdrawn", slug="announcement-withdrawn")
        uow.emit("reporting.announcement.withdrawn.v1", subject=announcement_id, data=AnnouncementWithdrawn(
            announcement_id=announcement_id, kind=doc["kind"], title=doc["title"],
            publisher_org_id=doc["publisher_org_id"], reason=reason, by=_by(principal), withdrawn_at=now,
            version=version))
        return updated

    return await with_transaction(mongo, principal.tenant, run, aggregate=f"announcement:{announcement_id}")
