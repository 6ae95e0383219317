"""Routes of notices (告知书), replies (整改回复) and reviews (审核): HB-06, HB-08.

Thin: parse, call the use case, map to the response schema. Reading: users of the
addressee (contractor) org and of the notice's station see a notice; anybody else,
and every other tenant, gets 404. Writing (reply, review): another tenant gets 404,
a user of the tenant who is not the replier/reviewer gets 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.deps import MongoDep, StorageDep, app_settings
from anjian_shared.pagination import Cursor, Limit

from ...domain.model import MAX_REPLY_PHOTOS, MAX_TEXT_CHARS, NoticeStatus
from ...service_layer import notices as service
from ...settings import Settings
from .schemas import NoticePage, NoticeRead, ReviewCreate, to_read, to_summary

router = APIRouter(prefix="/notices", tags=["notices"])


SettingsDep = Annotated[Settings, Depends(app_settings)]
NoticeId = Annotated[str, Path(min_length=1, max_length=64, description="id of the notice")]
ReplyId = Annotated[str, Path(min_length=1, max_length=64, description="id of the reply round")]


@router.get("", response_model=NoticePage, summary="List visible notices")
async def list_notices(
    principal: CurrentPrincipal,
    mongo: MongoDep,
    status: Annotated[NoticeStatus | None, Query(description="awaiting_reply | awaiting_review | closed")] = None,
    project_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    plan_id: Annotated[str | None, Query(min_length=1, max_length=64,
                                         description="the notices issued from this spot-check plan")] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> NoticePage:
    """Notices the caller may see, newest first (HB-06/HB-08).

    Visible to users of the addressee org (the contractor's project department) and of
    the issuing station; others get an empty page. Filters: ``status``, ``project_id``,
    ``plan_id`` (the 告知书 of one plan: one per project with rectification).
    ``limit`` 1..100 (default 20); ``cursor`` = ``next_cursor`` of the previous page.
    Errors: 401 without a token; 422 for an unknown status or a bad cursor.
    """
    items, next_cursor = await service.list_notices(mongo=mongo, actor=principal, status=status,
                                                    project_id=project_id, plan_id=plan_id, limit=limit,
                                                    cursor=cursor)
    return NoticePage(items=[to_summary(n) for n in items], next_cursor=next_cursor)


@router.get("/{notice_id}", response_model=NoticeRead, summary="Read a notice with every reply round")
async def get_notice(notice_id: NoticeId, principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                     settings: SettingsDep) -> NoticeRead:
    """The notice: number, plan, disposition, notice data, results, signature and seal,
    and every reply round with its review; media carry presigned URLs (HB-06, HB-08).

    Errors: 404 when the notice does not exist, belongs to another tenant or the caller
    may not see it.
    """
    notice = await service.get_notice(mongo=mongo, actor=principal, notice_id=notice_id)
    return await to_read(notice, storage, presign_minutes=settings.presign_minutes)


@router.post("/{notice_id}/replies", response_model=NoticeRead, status_code=201,
             summary="Reply to a notice (整改回复)")
async def submit_reply(
    notice_id: NoticeId,
    principal: CurrentPrincipal,
    mongo: MongoDep,
    storage: StorageDep,
    settings: SettingsDep,
    text: Annotated[str, Form(min_length=1, max_length=MAX_TEXT_CHARS,
                              description="what was rectified, 1..2000 characters")],
    photos: Annotated[list[UploadFile] | None, File(
        description=f"0..{MAX_REPLY_PHOTOS} JPEG/PNG photos of the rectified site")] = None,
) -> NoticeRead:
    """Submit the next reply round (HB-08) as ``multipart/form-data`` {text, photos[]}.

    Allowed to the notice's repliers (the project's project managers, or any
    project_manager of the addressee org) while the notice awaits a reply; the notice
    then awaits review. Returns the notice (201).
    Errors: 404 unknown notice (or another tenant's); 403 not a replier (station
    users, other companies' users, non-manager staff); 409 notice awaiting review or closed; 413 a photo
    over the size limit; 415 a photo that is not JPEG/PNG; 422 missing/empty ``text``
    or more than 9 ``photos``.
    """
    notice = await service.submit_reply(mongo=mongo, storage=storage, actor=principal, notice_id=notice_id,
                                        text=text, photos=photos or [],
                                        photo_max_bytes=settings.photo_limit_bytes)
    return await to_read(notice, storage, presign_minutes=settings.presign_minutes)


@router.post("/{notice_id}/replies/{reply_id}/reviews", response_model=NoticeRead, status_code=201,
             summary="Review a reply (审核)")
async def review_reply(notice_id: NoticeId, reply_id: ReplyId, body: ReviewCreate, principal: CurrentPrincipal,
                       mongo: MongoDep, storage: StorageDep, settings: SettingsDep) -> NoticeRead:
    """Accept or reject the latest reply (HB-08) with JSON ``{decision: approve|reject, comment}``
    (the deprecated ``{passed: bool}`` still works for one release).

    By the responsible supervisor or a station leader of the notice's station, once per
    round. Approve accepts the reply and closes the notice (已闭环); reject sends it back for
    a new reply round (comment required). Returns the notice (201); the reply's ``status``
    is accepted | rejected. Errors: 404 unknown notice (or another tenant's) or unknown reply
    (``reply-not-found``); 403 ``not-a-reviewer``; 409 ``reply-not-latest``,
    ``reply-already-reviewed``; 422 ``comment`` (``comment-required``), ``decision``
    (``decision-required``, ``decision-mismatch``).
    """
    notice = await service.review_reply(mongo=mongo, actor=principal, notice_id=notice_id, reply_id=reply_id,
                                        decision=body.decision, passed=body.legacy_passed, comment=body.comment)
    return await to_read(notice, storage, presign_minutes=settings.presign_minutes)


@router.post("/{notice_id}/replies/{reply_id}/review", response_model=NoticeRead, deprecated=True,
             summary="Review a reply (deprecated path: use …/reviews)")
async def review_reply_deprecated(notice_id: NoticeId, reply_id: ReplyId, body: ReviewCreate,
                                  principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                                  settings: SettingsDep) -> NoticeRead:
    """Deprecated alias of ``POST …/replies/{reply_id}/reviews`` (HB-08), kept for one release:
    the same body, rules and errors; answers 200 as it always did."""
    return await review_reply(notice_id, reply_id, body, principal, mongo, storage, settings)
