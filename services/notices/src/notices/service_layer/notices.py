"""Use cases of notices: issue from a submitted plan, list/read, reply, review (HB-06, HB-08).

Keyword-only async functions; their dependencies (unit of work, ``Mongo``,
``Storage``) are passed in. Rule errors of the domain become problems here:
invisible or other-tenant notice → 404, visible but not allowed → 403, wrong
state → 409, broken field rule → 422 naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from fastapi import UploadFile

from anjian_shared.events.common import PersonRef
from anjian_shared.events.inspections_v1 import PlanSubmitted
from anjian_shared.events.notices_v1 import (
    NoticeClosed,
    NoticeIssued,
    ReplyReviewed,
    ReplySubmitted,
)
from anjian_shared.media import MediaIntake, MediaPolicy
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.pagination import paginate
from anjian_shared.problems import Conflict, Forbidden, NotFound, Unprocessable
from anjian_shared.storage import Storage
from anjian_shared.types import new_id, utcnow

from ..adapters.repository import NOTICES, NoticeRepository, next_sequence, visibility_filter
from ..adapters.tenants import notice_abbreviation
from ..domain import model
from ..domain.model import Actor, Decision, Notice, NoticeStatus
from ..domain.numbering import format_notice_number, numbering_year
from . import major_hazards

log = structlog.get_logger("notices.service")

NOTICE_ISSUED = "notices.notice.issued.v1"
REPLY_SUBMITTED = "notices.reply.submitted.v1"
REPLY_REVIEWED = "notices.reply.reviewed.v1"
NOTICE_CLOSED = "notices.notice.closed.v1"


def _person(actor: Any) -> PersonRef:
    return PersonRef(user_id=actor.user_id, name=getattr(actor, "name", "") or "")


# ---------------------------------------------------------------- HB-06: issue

async def issue_notices(uow: UnitOfWork, *, plan: PlanSubmitted) -> list[str]:
    """Issue one notice per project of a submitted plan whose disposition needs rectification.

    Runs inside the consumer's transaction (HB-06 → HB-08). For 无隐患/现场整改 nothing
    happens. A project that already has a notice for this plan is skipped, so a
    re-published plan creates no second notice and burns no number. Each new notice
    takes the next number of the tenant and year (Asia/Shanghai) of ``plan.submitted_at``
    and emits ``notices.notice.issued.v1``. Returns the ids of the notices issued now.
    """
    if not model.requires_notice(plan.disposition):
        log.info("plan needs no rectification, no notice", plan_id=plan.plan_id, disposition=plan.disposition)
        return []
    abbr = await notice_abbreviation(uow, uow.tenant_id)
    year = numbering_year(plan.submitted_at)
    notices = NoticeRepository.of(uow)
    issued: list[str] = []
    for project in plan.projects:
        if await notices.exists_for(plan_id=plan.plan_id, project_id=project.project_id):
            log.info("notice already issued", plan_id=plan.plan_id, project_id=project.project_id)
            continue
        seq = await next_sequence(uow, year=year)
        notice = model.issue_notice(plan=plan, project=project, tenant=uow.tenant_id, notice_id=new_id(),
                                    number=format_notice_number(abbr, year, seq), year=year, seq=seq,
                                    now=utcnow())
        await notices.add(notice)
        await major_hazards.open_for_notice(uow, notice, notice.created_at)
        uow.emit(NOTICE_ISSUED, subject=notice.id, data=NoticeIssued(
            notice_id=notice.id, number=notice.number, plan_id=notice.plan_id, project_id=notice.project_id,
            project_name=notice.project_name, station_org_id=notice.station_org_id,
            addressee_org_id=notice.addressee_org_id, disposition=notice.disposition, title=notice.title,
            construction_stage=notice.construction_stage, rectification_date=notice.rectification_date,
            issued_by=notice.issued_by, replier_user_ids=notice.replier_user_ids, issued_at=notice.issued_at,
            version=notice.version))
        issued.append(notice.id)
        log.info("notice issued", notice_id=notice.id, number=notice.number, project_id=project.project_id)
    return issued


# ---------------------------------------------------------------- reading

async def list_notices(*, mongo: Mongo, actor: Any, status: NoticeStatus | None, project_id: str | None,
                       limit: int, cursor: str | None, plan_id: str | None = None) -> tuple[list[Notice], str | None]:
    """One page (newest first) of the notices ``actor`` may see, optionally filtered by
    ``status``, ``project_id`` and ``plan_id`` (the 告知书 issued from one spot-check plan, one
    per project); returns (notices, next_cursor). 422 on a bad cursor."""
    flt: dict[str, Any] = visibility_filter(actor)
    if status is not None:
        flt["status"] = status.value
    if project_id is not None:
        flt["project_id"] = project_id
    if plan_id is not None:
        flt["plan_id"] = plan_id
    docs, next_cursor = await paginate(mongo.repo(NOTICES, actor.tenant), flt, limit=limit, cursor=cursor)
    return [Notice.model_validate(d) for d in docs], next_cursor


async def _load_visible(notices: NoticeRepository, actor: Actor, notice_id: str) -> Notice:
    """The notice if ``actor`` may see it; 404 otherwise (reading never reveals an id)."""
    notice = await notices.get(notice_id)
    if notice is None or not model.can_view(notice, actor):
        raise NotFound(f"notice {notice_id} not found")
    return notice


async def get_notice(*, mongo: Mongo, actor: Any, notice_id: str) -> Notice:
    """The notice with every reply round; 404 if it does not exist in the caller's tenant
    or the caller may not see it."""
    return await _load_visible(NoticeRepository(mongo.repo(NOTICES, actor.tenant)), actor, notice_id)


# ---------------------------------------------------------------- HB-08: reply

def _check_reply_allowed(notice: Notice, actor: Actor) -> None:
    """403 ``not-a-replier``; 409 ``notice-awaiting-review`` / ``notice-closed``."""
    if not model.may_reply(notice, actor):
        raise Forbidden("only the project department (a replier of this notice) may reply", slug="not-a-replier")
    model.ensure_can_reply(notice.status)


def _changed_meanwhile() -> Conflict:
    return Conflict("the notice changed meanwhile; reload and try again", slug="notice-changed")


async def submit_reply(*, mongo: Mongo, storage: Storage, actor: Any, notice_id: str, text: str,
                       photos: Sequence[UploadFile], photo_max_bytes: int) -> Notice:
    """Record a rectification reply (整改回复, HB-08) and return the notice (now awaiting_review).

    ``text`` 1..2000 characters; ``photos`` 0..9 JPEG/PNG files of at most
    ``photo_max_bytes`` bytes each (413 / 415 naming ``photos``). Refused: 404 when the
    notice is not in the caller's tenant or the caller may not see it (another company's or
    station's users: the 403/404 rule), 403 ``not-a-replier`` when the caller sees it but is
    not a replier (station users, the company's other staff), 409 ``notice-awaiting-review`` /
    ``notice-closed`` unless the notice awaits a reply (``notice-changed`` when a concurrent
    write won); 422 ``text`` / ``photos``. Photos are
    stored before the transaction and deleted again if anything fails afterwards (no
    orphan objects, no partial write). Emits ``notices.reply.submitted.v1``.
    """
    text = model.validate_reply_text(text)
    if len(photos) > model.MAX_REPLY_PHOTOS:
        raise Unprocessable(f"at most {model.MAX_REPLY_PHOTOS} photos", field="photos", slug="too-many-photos")
    notice = await _load_visible(NoticeRepository(mongo.repo(NOTICES, actor.tenant)), actor, notice_id)
    _check_reply_allowed(notice, actor)

    folder = f"notices/{notice_id}/replies"
    async with MediaIntake(storage, tenant=actor.tenant, folder=folder) as intake:
        stored = await intake.take(photos, MediaPolicy.photo(max_bytes=photo_max_bytes))

        async def apply(uow: UnitOfWork) -> Notice:
            notices = NoticeRepository.of(uow)
            current = await _load_visible(notices, actor, notice_id)
            _check_reply_allowed(current, actor)
            reply = current.add_reply(reply_id=new_id(), text=text, photos=stored, replied_by=_person(actor),
                                      now=utcnow())
            if not await notices.save(current):
                raise _changed_meanwhile()
            uow.emit(REPLY_SUBMITTED, subject=current.id, data=ReplySubmitted(
                notice_id=current.id, number=current.number, reply_id=reply.reply_id, round=reply.round,
                text=reply.text, photos=reply.photos, replied_by=reply.replied_by,
                reviewer_user_id=current.reviewer_user_id, submitted_at=reply.submitted_at,
                version=current.version, project_id=current.project_id, project_name=current.project_name,
                rectification_date=current.rectification_date))
            return current

        return await with_transaction(mongo, actor.tenant, apply)


# ---------------------------------------------------------------- HB-08: review

async def review_reply(*, mongo: Mongo, actor: Any, notice_id: str, reply_id: str,
                       decision: Decision | str | None = None, comment: str | None,
                       passed: bool | None = None) -> Notice:
    """Accept (``approve``) or reject the latest reply (审核, HB-08, the review block with
    ``Rule.ANY``); returns the notice. ``passed`` is the deprecated boolean (true = approve).

    Accept → closed (emits ``notices.reply.reviewed.v1`` and ``notices.notice.closed.v1``);
    reject → awaiting_reply for a new round (emits ``notices.reply.reviewed.v1``); a
    rejection needs ``comment`` (422 ``comment``, ``comment-required``). Refused: 404 when the
    notice is not in the caller's tenant, the caller may not see it (the 403/404 rule) or the
    reply is unknown (``reply-not-found``); 403 ``not-a-reviewer`` when the caller sees it but
    is neither the responsible supervisor nor a station leader of the notice's station; 409
    ``reply-not-latest``, ``reply-already-reviewed`` (or
    ``notice-changed`` when a concurrent write won); 422 ``decision`` without a decision.
    """
    async def apply(uow: UnitOfWork) -> Notice:
        notices = NoticeRepository.of(uow)
        notice = await _load_visible(notices, actor, notice_id)
        if not model.may_review(notice, actor):
            raise Forbidden("only the responsible supervisor or a station leader may review", slug="not-a-reviewer")
        reply = notice.review_reply(reply_id=reply_id, decision=decision, passed=passed, comment=comment,
                                    reviewed_by=_person(actor), now=utcnow(),
                                    station_leader=actor.user_id != notice.reviewer_user_id)
        if not await notices.save(notice):
            raise _changed_meanwhile()
        assert reply.review is not None
        uow.emit(REPLY_REVIEWED, subject=notice.id, data=ReplyReviewed(
            notice_id=notice.id, number=notice.number, reply_id=reply.reply_id, round=reply.round,
            passed=reply.review.passed, comment=reply.review.comment, reviewed_by=reply.review.reviewed_by,
            replier_user_ids=notice.replier_user_ids, reviewed_at=reply.review.reviewed_at,
            version=notice.version, project_id=notice.project_id, project_name=notice.project_name))
        if notice.status == NoticeStatus.CLOSED:
            assert notice.closed_at is not None
            await major_hazards.close(uow, "notice", notice.id, notice.closed_at)
            uow.emit(NOTICE_CLOSED, subject=notice.id, data=NoticeClosed(
                notice_id=notice.id, number=notice.number, closed_at=notice.closed_at, rounds=len(notice.replies),
                version=notice.version, project_id=notice.project_id, project_name=notice.project_name,
                plan_id=notice.plan_id, station_org_id=notice.station_org_id))
        return notice

    return await with_transaction(mongo, actor.tenant, apply)
