"""Use cases of Fujian's self-inspections (监理单位自查), FJ-04..FJ-11, and the stations' view.

Every change is one transaction writing the inspection (conditionally: the status or
``version`` it was read at) together with its timeline line and its event
(``inspections.self_inspection.*.v1``), so a retried or concurrent request changes nothing
twice. Photos and attachments go through the shared media intake (checked, stored before the
transaction, removed again when it fails). Reviews of feedback use the shared review block.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import structlog

from anjian_shared.auth import Principal
from anjian_shared.china_time import day_range
from anjian_shared.events.common import PersonRef
from anjian_shared.events.inspections_v1 import (
    SelfInspectionCheckedIn,
    SelfInspectionClosed,
    SelfInspectionCompanionJoined,
    SelfInspectionCompleted,
    SelfInspectionCreated,
    SelfInspectionEscalated,
    SelfInspectionFeedbackReviewed,
    SelfInspectionFeedbackSent,
    SelfInspectionNoticeIssued,
)
from anjian_shared.media import MediaIntake, MediaPolicy, Upload
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.pagination import DocPage, paginate
from anjian_shared.problems import Conflict, Forbidden, NotFound, Unprocessable
from anjian_shared.review import Decision
from anjian_shared.storage import Storage
from anjian_shared.tenant_policy import tenant_policy
from anjian_shared.types import TENANTS, new_id, utcnow

from ..adapters.records_store import CHECK_POINTS
from ..adapters.repositories import PROJECTS
from ..adapters.self_inspection_store import FEEDBACK, PROJECT_POSITIONS, SELF_INSPECTIONS
from ..domain import self_inspections as rules
from ..domain.self_inspections import Filled, Status
from ..settings import Settings

log = structlog.get_logger("inspections.self_inspections")

CREATED = "inspections.self_inspection.created.v1"
CHECKED_IN = "inspections.self_inspection.checked_in.v1"
COMPANION_JOINED = "inspections.self_inspection.companion_joined.v1"
COMPLETED = "inspections.self_inspection.completed.v1"
NOTICE_ISSUED = "inspections.self_inspection.notice_issued.v1"
FEEDBACK_SENT = "inspections.self_inspection.feedback_sent.v1"
FEEDBACK_REVIEWED = "inspections.self_inspection.feedback_reviewed.v1"
CLOSED = "inspections.self_inspection.closed.v1"
ESCALATED = "inspections.self_inspection.escalated.v1"

MAX_POINT_PHOTOS = 9
MAX_FEEDBACK_PHOTOS = 9
MAX_FEEDBACK_ATTACHMENTS = 5
MAX_CATALOG_POINTS = 2000
OVERVIEW_LIMIT = 5000


def _me(principal: Principal) -> dict[str, str]:
    return {"user_id": principal.user_id, "name": principal.name or principal.user_id}


def _base(doc: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {"inspection_id": doc["_id"], "project_id": doc["project_id"], "project_name": doc["project_name"],
            "supervision_org_id": doc["supervision_org_id"], "station_org_id": doc.get("station_org_id"),
            "inspector": PersonRef(**doc["inspector"]), "status": doc["status"], "at": at}


async def _load(mongo: Mongo | UnitOfWork, principal: Principal, inspection_id: str, *,
                without_points: bool = False) -> dict[str, Any]:
    """The inspection ``principal`` may see (404 otherwise); ``without_points``: all but its
    checklist (``points``, hundreds of entries: most of the document), for a check that needs
    only its state and people."""
    repo = mongo.repo(SELF_INSPECTIONS) if isinstance(mongo, UnitOfWork) else \
        mongo.repo(SELF_INSPECTIONS, principal.tenant)
    doc = await (repo.find_one({"_id": inspection_id}, projection={"points": 0}) if without_points
                 else repo.get(inspection_id))
    return dict(rules.visible(doc, principal))


async def _write(uow: UnitOfWork, doc: dict[str, Any], changes: dict[str, Any], *, entry: dict[str, Any] | None,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``changes`` only if the inspection is still at the version it was read at (409
    ``inspection-changed`` otherwise: a concurrent request won; read again)."""
    update: dict[str, Any] = {"$set": {**changes, "updated_at": utcnow()}, "$inc": {"version": 1}}
    if entry:
        update["$push"] = {"timeline": entry}
    for op, value in (extra or {}).items():
        update.setdefault(op, {}).update(value)
    after = await uow.repo(SELF_INSPECTIONS).update({"_id": doc["_id"], "version": doc.get("version", 0)}, update)
    if after is None:
        raise Conflict("the inspection changed meanwhile; reload it and try again", slug="inspection-changed")
    return after


# --- FJ-04 new inspection and check-in -------------------------------------------------------------

async def create_inspection(*, mongo: Mongo, settings: Settings, principal: Principal, project_id: str,
                            title: str | None) -> dict[str, Any]:
    """FJ-04 新增检查: an inspector (supervision staff of an assessable project of their company)
    starts a self-inspection with its basic data; the project's check points are copied from
    the tenant's catalog (检查要点, FJ-06). 409 ``not-yet-available`` (project unknown yet),
    404 (another company's project), 403 ``not-project-inspector``, 409
    ``project-not-assessable-for-inspection``, 409 ``checklist-empty``. Emits ``…created.v1``."""
    tenant = principal.tenant
    project = await mongo.repo(PROJECTS, tenant).get(project_id)
    rules.ensure_inspector(project, principal)
    assert project is not None
    now = utcnow()
    text = rules.basic_data(title, now=now, project=project)
    entries = await mongo.repo(CHECK_POINTS, tenant).find({"deleted": {"$ne": True}}, sort=[("seq", 1), ("code", 1)],
                                                          limit=MAX_CATALOG_POINTS)
    points = rules.checklist(entries)

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        me = _me(principal)
        doc: dict[str, Any] = {
            "_id": new_id(), "project_id": project_id, "project_name": project.get("name", ""),
            "platform_code": project.get("platform_code"), "station_org_id": project.get("station_org_id"),
            "supervision_org_id": project["supervision_org_id"], "title": text, "inspector": me,
            "status": Status.CREATED.value, "check_in": None, "companion_ids": [], "companions": [],
            "companion_key": rules._b64(secrets.token_bytes(32)), "companion_tokens": {}, "points": points,
            "notice": None, "pending_feedback_id": None, "feedback_count": 0, "escalated": False,
            "timeline": [rules.step_entry("created", me, now, title=text)], "version": 0,
            "created_at": now, "updated_at": now, "completed_at": None, "closed_at": None}
        await uow.repo(SELF_INSPECTIONS).insert(doc)
        uow.emit(CREATED, subject=doc["_id"], data=SelfInspectionCreated(
            **_base(doc, now), title=text, point_count=len(points)))
        return doc

    return await with_transaction(mongo, tenant, apply)


async def check_in(*, mongo: Mongo, principal: Principal, inspection_id: str, longitude: float, latitude: float,
                   captured_at: datetime) -> dict[str, Any]:
    """FJ-04 检查打卡: the inspector checks in with device time and GPS position; the distance
    (metres) from the project's position (HN-03, ``projects.project.positioned.v1``) is kept
    (null while the project has none). Once only: 409 ``self-inspection-wrong-status`` after. 403
    ``not-the-inspector``; 422 ``captured_at``/``longitude``/``latitude``. Emits
    ``…checked_in.v1``."""

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        doc = await _load(uow, principal, inspection_id)
        rules.ensure_inspector_of(doc, principal, "checks in")
        rules.ensure_status(doc, Status.CREATED, what="check in")
        position = await uow.repo(PROJECT_POSITIONS).get(doc["project_id"])
        now = utcnow()
        ci = rules.check_in(longitude=longitude, latitude=latitude, captured_at=captured_at, now=now,
                            position=position)
        after = await _write(uow, doc, {"check_in": ci, "status": Status.IN_PROGRESS.value},
                             entry=rules.step_entry("checked_in", _me(principal), now, distance_m=ci["distance_m"]))
        uow.emit(CHECKED_IN, subject=inspection_id, data=SelfInspectionCheckedIn(
            **_base(after, now), longitude=longitude, latitude=latitude, captured_at=captured_at,
            distance_m=ci["distance_m"]))
        return after

    return await with_transaction(mongo, principal.tenant, apply)


# --- FJ-05 companions --------------------------------------------------------------------------------

async def companion_code(*, mongo: Mongo, principal: Principal, inspection_id: str) -> dict[str, Any]:
    """FJ-05 查看二维码: a new single-use token valid 5 minutes, ``{token, expires_at}``; the
    inspector only (403), while checked in (409). Render it with ``qr_png``."""

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        doc = await _load(uow, principal, inspection_id)
        rules.ensure_inspector_of(doc, principal, "shows the companion QR code")
        rules.ensure_status(doc, Status.IN_PROGRESS, what="invite companions")
        now = utcnow()
        jti = new_id()
        expires = now + rules.COMPANION_TOKEN_TTL
        token = rules.companion_token(inspection_id=inspection_id, tenant=principal.tenant, jti=jti,
                                      expires_at=expires, key=rules._unb64(doc["companion_key"]))
        await _write(uow, doc, {f"companion_tokens.{jti}": {"expires_at": expires, "used_by": None}}, entry=None)
        return {"token": token, "expires_at": expires, "inspection_id": inspection_id}

    return await with_transaction(mongo, principal.tenant, apply)


async def ensure_own_token(*, mongo: Mongo, principal: Principal, inspection_id: str, token: str) -> str:
    """FJ-05: the token, if it is one the inspector issued for this inspection (for its PNG)."""
    doc = await _load(mongo, principal, inspection_id)
    rules.ensure_inspector_of(doc, principal, "shows the companion QR code")
    claims = rules.read_companion_token(token)
    if claims["i"] != inspection_id or claims["j"] not in doc.get("companion_tokens", {}):
        raise NotFound("no such QR code for this inspection", field="token")
    return token


async def join(*, mongo: Mongo, principal: Principal, token: str) -> dict[str, Any]:
    """FJ-05 同行检查: a colleague of the inspecting company scans the QR code and joins.

    Refused with distinct problems: 422 ``companion-token-invalid`` / ``companion-token-expired``,
    409 ``companion-token-used`` (single use — of two concurrent scans one wins), 403
    ``companion-other-company``, 409 ``already-companion``. Emits ``…companion_joined.v1``."""
    claims = rules.read_companion_token(token)
    if claims["t"] != principal.tenant:
        raise Unprocessable("not a companion QR code of this province", field="token",
                                  slug="companion-token-invalid")

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        doc = await uow.repo(SELF_INSPECTIONS).get(claims["i"])
        if doc is None:
            raise Unprocessable("not a companion QR code", field="token", slug="companion-token-invalid")
        now = utcnow()
        jti = rules.verify_companion_token(token, doc, principal, now)
        me = _me(principal)
        after = await uow.repo(SELF_INSPECTIONS).update(
            {"_id": doc["_id"], f"companion_tokens.{jti}.used_by": None},
            {"$set": {f"companion_tokens.{jti}.used_by": principal.user_id, "updated_at": now},
             "$push": {"companion_ids": principal.user_id, "companions": {**me, "joined_at": now},
                       "timeline": rules.step_entry("companion_joined", me, now)},
             "$inc": {"version": 1}})
        if after is None:
            raise Conflict("the QR code was already used; ask the inspector to show a new one",
                           slug="companion-token-used", field="token")
        uow.emit(COMPANION_JOINED, subject=doc["_id"], data=SelfInspectionCompanionJoined(
            **_base(after, now), companion=PersonRef(**me)))
        return after

    return await with_transaction(mongo, principal.tenant, apply)


# --- FJ-06/FJ-07 checklist and drafts --------------------------------------------------------------

async def get_inspection(*, mongo: Mongo, principal: Principal, inspection_id: str) -> dict[str, Any]:
    """FJ-07/FJ-10: one inspection (404 when not visible)."""
    return await _load(mongo, principal, inspection_id)


async def list_points(*, mongo: Mongo, principal: Principal, inspection_id: str,
                      filled: Filled | None) -> tuple[list[Any], dict[str, int]]:
    """FJ-06: the inspection's check points (``filled``: answered / unanswered) and its progress."""
    doc = await _load(mongo, principal, inspection_id)
    return rules.filter_points(doc["points"], filled), rules.progress(doc["points"])


def _may_fill(doc: dict[str, Any], principal: Principal) -> None:
    if principal.user_id != doc["inspector"]["user_id"] and principal.user_id not in doc.get("companion_ids", []):
        raise Forbidden("only the inspector and the companions fill in the checklist", slug="not-the-inspector")
    rules.ensure_status(doc, Status.IN_PROGRESS, what="answer check points (check in first)")


async def answer_point(*, mongo: Mongo, storage: Storage, settings: Settings, principal: Principal,
                       inspection_id: str, code: str, value: str, description: str | None,
                       photos: Sequence[Upload]) -> dict[str, Any]:
    """FJ-06/FJ-07 是 / 否 / 本次不检查, saved at once (暂存: the draft is the stored state; 我的检查
    → 检查填报 resumes it). "no" needs a description and ≥ 1 photo (new, or kept from the
    point's earlier "no"); photos are JPEG/PNG within the tenant's limit (413/415 ``photos``).
    Answering again replaces the answer (and, with new photos, the old ones). 404 unknown
    point; 403 neither inspector nor companion; 409 not checked in / completed. Returns the
    point."""
    tenant = principal.tenant
    doc = await _load(mongo, principal, inspection_id)
    _may_fill(doc, principal)
    index = rules.point_index(doc["points"], code)
    old = doc["points"][index].get("answer") or {}
    kept = old.get("photos", []) if old.get("value") == "no" and not photos else []
    answer, text = rules.answer_point(value=value, description=description, photo_count=len(photos),
                                      kept_photos=len(kept), max_photos=MAX_POINT_PHOTOS)
    policy = await tenant_policy(mongo, tenant, settings)
    async with MediaIntake(storage, tenant=tenant, folder=f"self-inspections/{inspection_id}") as intake:
        refs = await intake.take(photos, MediaPolicy.photo(max_bytes=policy.limit("photo_max_bytes")))
        stored = [r.model_dump() for r in refs] or (kept if answer is rules.Answer.NO else [])
        replaced = [p for p in old.get("photos", []) if p not in stored]

        async def apply(uow: UnitOfWork) -> dict[str, Any]:
            # who may fill and the state, again in the transaction; the checklist is neither read
            # nor read back (most of the document: make bench, issue 16) — the update's filter
            # holds the point's place, and the point's other fields never change
            _may_fill(await _load(uow, principal, inspection_id, without_points=True), principal)
            now = utcnow()
            record = {"value": answer.value, "description": text, "photos": stored,
                      "answered_by": _me(principal), "answered_at": now}
            touched = await uow.repo(SELF_INSPECTIONS).update(
                {"_id": inspection_id, "status": Status.IN_PROGRESS.value, f"points.{index}.code": code},
                {"$set": {f"points.{index}.answer": record, "updated_at": now}, "$inc": {"version": 1}},
                returning=False)
            if touched is None:
                raise Conflict("the inspection changed meanwhile; reload it", slug="inspection-changed")
            return {**doc["points"][index], "answer": record}

        point = await with_transaction(mongo, tenant, apply)
        intake.replaced(*replaced)
        return point


async def my_inspections(*, mongo: Mongo, principal: Principal, drafts: bool | None, limit: int,
                         cursor: str | None) -> DocPage:
    """FJ-07 我的检查: inspections I lead or joined, newest first; ``drafts`` true → 检查填报
    (created / in progress), false → 已检查 (completed, rectifying, closed)."""
    flt: dict[str, Any] = {"$or": [{"inspector.user_id": principal.user_id}, {"companion_ids": principal.user_id}]}
    if drafts is True:
        flt["status"] = {"$in": list(rules.DRAFT_STATUSES)}
    elif drafts is False:
        flt["status"] = {"$nin": list(rules.DRAFT_STATUSES)}
    return await paginate(mongo.repo(SELF_INSPECTIONS, principal.tenant), flt,
                          sort=[("created_at", -1), ("_id", -1)], limit=limit, cursor=cursor,
                          projection={"points": 0, "companion_key": 0, "companion_tokens": 0})


# --- FJ-08 complete ------------------------------------------------------------------------------

async def complete(*, mongo: Mongo, principal: Principal, inspection_id: str, confirm: bool) -> dict[str, Any]:
    """FJ-08 完成检查 → 确认: the inspector completes once every point is answered (409
    ``checklist-incomplete`` listing the unanswered codes); ``confirm`` must be true (422).
    Emits ``…completed.v1``."""
    rules.ensure_confirmed(confirm)

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        doc = await _load(uow, principal, inspection_id)
        rules.ensure_inspector_of(doc, principal, "completes the inspection")
        rules.ensure_status(doc, Status.IN_PROGRESS, what="complete")
        rules.ensure_complete(doc["points"])
        now = utcnow()
        counts = rules.progress(doc["points"])
        after = await _write(uow, doc, {"status": Status.COMPLETED.value, "completed_at": now},
                             entry=rules.step_entry("completed", _me(principal), now, problems=counts["no"]))
        uow.emit(COMPLETED, subject=inspection_id, data=SelfInspectionCompleted(
            **_base(after, now), yes=counts["yes"], no=counts["no"], not_checked=counts["not_checked"],
            major_hazards=counts["major_hazards"], problem_codes=[p["code"] for p in rules.problems(doc["points"])]))
        return after

    return await with_transaction(mongo, principal.tenant, apply)


# --- FJ-09 notice ----------------------------------------------------------------------------------

def _participant(project: dict[str, Any], user_id: str) -> dict[str, str]:
    p = next((p for p in project.get("participants", []) if p["user_id"] == user_id), {})
    return {"user_id": user_id, "name": p.get("name") or user_id}


async def issue_notice(*, mongo: Mongo, principal: Principal, inspection_id: str, opinion: str | None,
                       deadline: date | None, feedback_user_id: str) -> dict[str, Any]:
    """FJ-09 下发整改通知 to the project's feedback person (required, 422 ``feedback_user_id``).
    With problems: opinion and deadline (not past, China time) required, and a major hazard
    needs an opinion ordering work stopped (422 ``stop-work-required``) → ``rectifying``.
    Without problems: only the feedback person → ``closed`` at once. The inspector only,
    once, after completing (409). Emits ``…notice_issued.v1`` (and ``…closed.v1``)."""

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        doc = await _load(uow, principal, inspection_id)
        rules.ensure_inspector_of(doc, principal, "issues the notice")
        rules.ensure_status(doc, Status.COMPLETED, what="issue the notice (complete the inspection first)")
        project = await uow.repo(PROJECTS).get(doc["project_id"]) or {}
        now = utcnow()
        decided = rules.notice(points=doc["points"], project=project, opinion=opinion, deadline=deadline,
                               feedback_user_id=feedback_user_id, now=now)
        person = _participant(project, decided["feedback_user_id"])
        stored = {"opinion": decided["opinion"], "deadline": decided["deadline"], "feedback_person": person,
                  "problem_count": decided["problem_count"], "major_codes": decided["major_codes"],
                  "issued_by": _me(principal), "issued_at": now}
        status = Status.CLOSED if decided["closes"] else Status.RECTIFYING
        changes: dict[str, Any] = {"notice": stored, "status": status.value}
        entries = [rules.step_entry("notice_issued", _me(principal), now, feedback_person=person,
                                    deadline=decided["deadline"])]
        if decided["closes"]:
            changes["closed_at"] = now
            entries.append(rules.step_entry("closed", None, now, reason="no_problem"))
        after = await _write(uow, doc, changes, entry=None, extra={"$push": {"timeline": {"$each": entries}}})
        uow.emit(NOTICE_ISSUED, subject=inspection_id, data=SelfInspectionNoticeIssued(
            **_base(after, now), feedback_person=PersonRef(**person), opinion=decided["opinion"],
            deadline=deadline if not decided["closes"] else None, problem_count=decided["problem_count"],
            major_codes=decided["major_codes"]))
        if decided["closes"]:
            uow.emit(CLOSED, subject=inspection_id, data=SelfInspectionClosed(**_base(after, now),
                                                                               reason="no_problem"))
        return after

    return await with_transaction(mongo, principal.tenant, apply)


# --- FJ-11 feedback --------------------------------------------------------------------------------

async def rectification_list(*, mongo: Mongo, principal: Principal, open_only: bool, limit: int,
                             cursor: str | None) -> DocPage:
    """FJ-11 整改清单: the notices addressed to me as feedback person, newest first; ``open_only``:
    still rectifying (待整改)."""
    flt: dict[str, Any] = {"notice.feedback_person.user_id": principal.user_id}
    flt["status"] = Status.RECTIFYING.value if open_only else {"$in": [Status.RECTIFYING.value, Status.CLOSED.value]}
    return await paginate(mongo.repo(SELF_INSPECTIONS, principal.tenant), flt,
                          sort=[("created_at", -1), ("_id", -1)], limit=limit, cursor=cursor,
                          projection={"companion_key": 0, "companion_tokens": 0})


async def send_feedback(*, mongo: Mongo, storage: Storage, settings: Settings, principal: Principal,
                        inspection_id: str, text: str | None, photos: Sequence[Upload],
                        attachments: Sequence[Upload]) -> dict[str, Any]:
    """FJ-11 整改反馈: the notice's feedback person replies with text (required) and 0..9 photos
    (JPEG/PNG) and 0..5 attachments (PDF, DOCX, XLSX, images), each within the tenant's limit.
    403 ``not-the-feedback-person``; 409 not rectifying / ``reply-pending``. Emits
    ``…feedback_sent.v1``."""
    tenant = principal.tenant
    doc = await _load(mongo, principal, inspection_id)
    rules.ensure_can_reply(doc, principal)
    body = rules.feedback_text(text)
    if len(photos) > MAX_FEEDBACK_PHOTOS:
        raise Unprocessable(f"at most {MAX_FEEDBACK_PHOTOS} photos", field="photos", slug="too-many-files")
    if len(attachments) > MAX_FEEDBACK_ATTACHMENTS:
        raise Unprocessable(f"at most {MAX_FEEDBACK_ATTACHMENTS} attachments", field="attachments",
                                  slug="too-many-files")
    policy = await tenant_policy(mongo, tenant, settings)
    feedback_id = new_id()
    async with MediaIntake(storage, tenant=tenant, folder=f"self-inspections/{inspection_id}/{feedback_id}") as intake:
        photo_refs, attachment_refs = await intake.take_groups(
            (photos, MediaPolicy.photo(max_bytes=policy.limit("photo_max_bytes"))),
            (attachments, MediaPolicy.attachment(max_bytes=policy.limit("document_attachment_max_bytes"))))

        async def apply(uow: UnitOfWork) -> dict[str, Any]:
            current = await _load(uow, principal, inspection_id)
            rules.ensure_can_reply(current, principal)
            now = utcnow()
            me = _me(principal)
            fb = {"_id": feedback_id, "inspection_id": inspection_id, "project_id": current["project_id"],
                  "feedback_person": me, "text": body, "photos": [r.model_dump() for r in photo_refs],
                  "attachments": [r.model_dump() for r in attachment_refs], "status": "pending",
                  "reviewer_user_id": current["inspector"]["user_id"], "review": None, "created_at": now}
            await uow.repo(FEEDBACK).insert(fb)
            after = await _write(uow, current, {"pending_feedback_id": feedback_id},
                                 entry=rules.step_entry("feedback_sent", me, now, feedback_id=feedback_id),
                                 extra={"$inc": {"feedback_count": 1}})
            uow.emit(FEEDBACK_SENT, subject=inspection_id, data=SelfInspectionFeedbackSent(
                **_base(after, now), feedback_id=feedback_id, feedback_person=PersonRef(**me), text=body,
                photo_count=len(photo_refs), attachment_count=len(attachment_refs)))
            return fb

        return await with_transaction(mongo, tenant, apply)


async def list_feedback(*, mongo: Mongo, principal: Principal, inspection_id: str) -> list[dict[str, Any]]:
    """FJ-11: every feedback of the inspection, oldest first (whoever sees the inspection)."""
    await _load(mongo, principal, inspection_id)
    return await mongo.repo(FEEDBACK, principal.tenant).find({"inspection_id": inspection_id},
                                                             sort=[("created_at", 1), ("_id", 1)], limit=200)


async def review_feedback(*, mongo: Mongo, principal: Principal, inspection_id: str, feedback_id: str,
                          decision: Decision | str, comment: str | None) -> dict[str, Any]:
    """FJ-11: the inspector accepts a feedback (``approve``: the inspection closes) or sends it
    back (``reject`` with a comment: the feedback person replies again), by the shared review
    block. 404 unknown feedback; 403 ``not-a-reviewer``; 409 ``feedback-already-reviewed``.
    Emits ``…feedback_reviewed.v1`` (and ``…closed.v1``)."""

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        doc = await _load(uow, principal, inspection_id)
        fb = await uow.repo(FEEDBACK).get(feedback_id)
        if fb is None or fb["inspection_id"] != inspection_id:
            raise NotFound("feedback not found")
        now = utcnow()
        step = rules.review_feedback(fb, principal, decision, comment, now)
        status = rules.feedback_status(step)
        updated = await uow.repo(FEEDBACK).update({"_id": feedback_id, "review": None},
                                                  {"$set": {"review": step.review.to_doc(), "status": status.value}})
        if updated is None:
            raise Conflict("the feedback was already reviewed", slug="feedback-already-reviewed")
        accepted = status is rules.FeedbackStatus.ACCEPTED
        me = _me(principal)
        entries = [rules.step_entry("feedback_accepted" if accepted else "feedback_returned", me, now,
                                    feedback_id=feedback_id, comment=step.review.comment)]
        changes: dict[str, Any] = {"pending_feedback_id": None}
        if accepted:
            changes.update(status=Status.CLOSED.value, closed_at=now)
            entries.append(rules.step_entry("closed", None, now, reason="feedback_accepted"))
        after = await _write(uow, doc, changes, entry=None, extra={"$push": {"timeline": {"$each": entries}}})
        uow.emit(FEEDBACK_REVIEWED, subject=inspection_id, data=SelfInspectionFeedbackReviewed(
            **_base(after, now), feedback_id=feedback_id, decision=step.review.decision.value,
            comment=step.review.comment))
        if accepted:
            uow.emit(CLOSED, subject=inspection_id, data=SelfInspectionClosed(**_base(after, now),
                                                                               reason="feedback_accepted"))
        return updated

    return await with_transaction(mongo, principal.tenant, apply)


# --- FJ-11 escalation of overdue notices -----------------------------------------------------------

async def escalate_overdue(mongo: Mongo, *, now: datetime | None = None) -> list[tuple[str, str]]:
    """FJ-11: every overdue notice (rectifying, deadline day passed, China time) is escalated
    to the project's station exactly once, as notices escalates Hainan's documents: a
    conditional mark (``escalated`` false → true) in the transaction that writes the timeline
    line and emits ``inspections.self_inspection.escalated.v1`` — so concurrent sweeps and a
    concurrent accepting review leave one escalation or none. Returns (tenant, id) escalated."""
    now = now or utcnow()
    done: list[tuple[str, str]] = []
    for tenant in TENANTS:
        due = await mongo.repo(SELF_INSPECTIONS, tenant).find(rules.overdue_filter(now), sort=[("_id", 1)],
                                                              limit=500)
        for doc in due:
            async def apply(uow: UnitOfWork, iid: str = doc["_id"], station: str | None = doc.get("station_org_id")
                            ) -> bool:
                after = await uow.repo(SELF_INSPECTIONS).update(
                    {"_id": iid, **rules.overdue_filter(now)},
                    {"$set": {"escalated": True, "escalated_at": now},
                     "$push": {"timeline": rules.step_entry("escalated", None, now,
                                                            station_org_id=station)},
                     "$inc": {"version": 1}})
                if after is None:
                    return False
                uow.emit(ESCALATED, subject=iid, data=SelfInspectionEscalated(
                    **_base(after, now), deadline=date.fromisoformat(after["notice"]["deadline"]),
                    feedback_person=PersonRef(**after["notice"]["feedback_person"])))
                return True

            if await with_transaction(mongo, tenant, apply):
                done.append((tenant, doc["_id"]))
    return done


async def escalation_loop(app: Any) -> None:
    """FJ-11: background task of every replica (``ServiceSpec.background``): a sweep at start,
    then every ``self_inspection_escalation_interval_seconds``; errors are logged, the loop goes on."""
    import asyncio

    settings: Settings = app.state.settings
    while True:
        try:
            done = await escalate_overdue(app.state.mongo)
            if done:
                log.info("self-inspection notices escalated", count=len(done))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. the database is away: try again later
            log.warning("self-inspection escalation sweep failed", error=repr(exc)[:300])
        await asyncio.sleep(settings.self_inspection_escalation_interval_seconds)


# --- the stations' view ------------------------------------------------------------------------------

def _ensure_station(principal: Principal) -> None:
    if not principal.has("supervisor", "station_leader") or principal.org_kind not in ("", "station"):
        raise Forbidden("the self-inspection overview is for supervision stations' staff", slug="not-station-staff")


async def station_overview(*, mongo: Mongo, settings: Settings, principal: Principal, date_from: date | None,
                           date_to: date | None) -> dict[str, Any]:
    """For the stations: per supervision company and project of the caller's station, the
    self-inspections completed between ``date_from`` and ``date_to`` (China days; default the
    configured period, tenant policy ``self_inspection_period_days``, ending today), the hazards
    found, notices open and overdue; and the assessable projects without a completed
    self-inspection in the configured period (五个一). 403 other than station staff."""
    _ensure_station(principal)
    tenant = principal.tenant
    policy = await tenant_policy(mongo, tenant, settings)
    days = policy.limit("self_inspection_period_days")
    now = utcnow()
    period_start = now - timedelta(days=days)
    rng = day_range(date_from, date_to) or {"$gte": period_start}
    projects = await mongo.repo(PROJECTS, tenant).find({"station_org_id": principal.org_id, "assessable": True},
                                                       sort=[("_id", 1)], limit=OVERVIEW_LIMIT)
    repo = mongo.repo(SELF_INSPECTIONS, tenant)
    in_range = await repo.find({"station_org_id": principal.org_id, "completed_at": rng},
                               sort=[("_id", 1)], limit=OVERVIEW_LIMIT)
    summary = rules.station_summary(projects, in_range, now=now)
    in_period = await repo.find({"station_org_id": principal.org_id, "completed_at": {"$gte": period_start}},
                                sort=[("_id", 1)], limit=OVERVIEW_LIMIT)
    done = {d["project_id"] for d in in_period}
    open_docs = await repo.find({"station_org_id": principal.org_id, "status": Status.RECTIFYING.value},
                                sort=[("_id", 1)], limit=OVERVIEW_LIMIT)
    summary["notices_open"] = len(open_docs)
    summary["notices_overdue"] = sum(1 for d in open_docs if rules.is_overdue(d, now))
    summary["period_days"] = days
    summary["projects_without_inspection"] = [
        {"project_id": p["_id"], "project_name": p.get("name", ""), "supervision_org_id": p.get("supervision_org_id")}
        for p in projects if p["_id"] not in done]
    return summary
