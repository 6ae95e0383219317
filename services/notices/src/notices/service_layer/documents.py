"""Use cases of enforcement documents (处理文书, HN-07..HN-09): submit, review (上报), read,
the views, replies (回复) and their review (审核), and the tenant's numbering configuration.

Submission checks everything first (role, project of the caller's station, record of the
same project, addressed units, people, deadline), then takes the next number of the
tenant, type and year and writes the document and its events in one transaction. Replies
check the caller and the document's state, then store the media (type by content, size
by the tenant's limit), then write the reply in a transaction; if anything fails after
media were stored they are deleted again. A refused request leaves no row, no event and
no object behind.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import structlog
from fastapi import UploadFile
from pymongo.errors import DuplicateKeyError

from anjian_shared.auth import Principal, Role
from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.notices_v1 import (
    DocumentClosed,
    DocumentIssued,
    DocumentReplied,
    DocumentReplyReviewed,
    DocumentReviewed,
    DocumentSubmitted,
)
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.pagination import paginate
from anjian_shared.problems import Conflict, Forbidden, NotFound, Unprocessable
from anjian_shared.storage import Storage, read_limited, sniff_image
from anjian_shared.types import new_id, utcnow

from ..adapters.document_store import (
    CONFIG,
    DOCUMENTS,
    ESCALATIONS,
    PROJECTS,
    RECORDS,
    REPLIES,
    USERS,
    by_ids,
    next_counter,
)
from ..adapters.tenants import tenant_config
from ..domain import document_config as cfg
from ..domain import documents as rules
from ..domain.attachments import EXTENSIONS, attachment_type
from ..domain.documents import Decision, DocumentFacts, DocumentStatus, ReplyStatus, ReviewBox
from ..settings import Settings

log = structlog.get_logger("notices.documents")

DOCUMENT_SUBMITTED = "notices.document.submitted.v1"
DOCUMENT_REVIEWED = "notices.document.reviewed.v1"
DOCUMENT_ISSUED = "notices.document.issued.v1"
DOCUMENT_REPLIED = "notices.document.replied.v1"
DOCUMENT_REPLY_REVIEWED = "notices.document.reply_reviewed.v1"
DOCUMENT_CLOSED = "notices.document.closed.v1"


class _Stale(Exception):
    """The document changed between read and conditional write (a concurrent writer)."""


def ensure_enabled(settings: Settings, tenant: str) -> None:
    """HN-07..09 are a per-tenant feature (``Settings.documents_enabled``): 403 problem
    ``feature-disabled`` for a tenant that has them switched off."""
    if not settings.documents_enabled(tenant):
        raise Forbidden("enforcement documents are not enabled for this province", slug="feature-disabled")


# --- configuration ----------------------------------------------------------------------------

async def load_config(repo_or_uow: Any, tenant: str) -> dict[str, Any]:
    """HN-07: the tenant's numbering configuration: the stored one, else the defaults."""
    repo = repo_or_uow.repo(CONFIG) if isinstance(repo_or_uow, UnitOfWork) else repo_or_uow.repo(CONFIG, tenant)
    stored = await repo.get(tenant)
    if stored:
        return {k: stored[k] for k in ("format", "abbr", "short_names", "escalation_kinds")} | {
            "source": "tenant", "updated_at": stored.get("updated_at"), "updated_by": stored.get("updated_by")}
    return cfg.default_config(tenant_config(tenant).abbr) | {"source": "default", "updated_at": None,
                                                             "updated_by": None}


def _ensure_admin(principal: Principal) -> None:
    if not principal.has(Role.PROVINCE_ADMIN.value, Role.PLATFORM_ADMIN.value):
        raise Forbidden("requires the role province_admin")


async def get_config(*, mongo: Mongo, settings: Settings, principal: Principal) -> dict[str, Any]:
    """HN-07: the caller's tenant's document numbering configuration (province admins; 403
    otherwise)."""
    ensure_enabled(settings, principal.tenant)
    _ensure_admin(principal)
    return await load_config(mongo, principal.tenant)


async def put_config(*, mongo: Mongo, settings: Settings, principal: Principal,
                     config: Mapping[str, Any]) -> dict[str, Any]:
    """HN-07: replace the tenant's configuration (province admins; 403 otherwise; 422 naming
    ``format``/``abbr``/``short_names``/``escalation_kinds``, see
    ``domain.document_config.validate_config``). Numbers already given keep their text;
    counters continue."""
    ensure_enabled(settings, principal.tenant)
    _ensure_admin(principal)
    clean = cfg.validate_config(config)
    now = utcnow()
    repo = mongo.repo(CONFIG, principal.tenant)
    await repo.collection.update_one(
        {"_id": principal.tenant, "tenant_id": principal.tenant},
        {"$set": {**clean, "updated_at": now, "updated_by": principal.user_id}, "$setOnInsert": {"created_at": now}},
        upsert=True)
    return await load_config(mongo, principal.tenant)


# --- reading ----------------------------------------------------------------------------------

async def _visible(mongo: Mongo, principal: Principal, document_id: str) -> dict[str, Any]:
    doc = await mongo.repo(DOCUMENTS, principal.tenant).get(document_id)
    if doc is None or not rules.can_see(DocumentFacts.from_doc(doc), principal):
        raise NotFound("document not found")
    return doc


async def get_document(*, mongo: Mongo, settings: Settings, principal: Principal,
                       document_id: str) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any] | None]:
    """HN-07..09: a document the caller may see, its replies (oldest first) and — for the
    station side (issuer, report recipients, station leaders) — its escalation. 404 for
    anybody else and for another tenant's id."""
    ensure_enabled(settings, principal.tenant)
    doc = await _visible(mongo, principal, document_id)
    replies = await mongo.repo(REPLIES, principal.tenant).find({"document_id": document_id},
                                                               sort=[("created_at", 1), ("_id", 1)], limit=1000)
    escalation = None
    if doc.get("escalated") and rules.is_station_side(DocumentFacts.from_doc(doc), principal):
        escalation = await mongo.repo(ESCALATIONS, principal.tenant).find_one({"document_id": document_id})
    return doc, replies, escalation


async def get_escalation(*, mongo: Mongo, settings: Settings, principal: Principal,
                         document_id: str) -> dict[str, Any]:
    """HN-07: the 处罚建议书/不良行为记录 produced for an overdue document. 404 document not
    visible or not escalated; 403 for a replier or issue recipient (the station's
    recommendation is not theirs to read)."""
    ensure_enabled(settings, principal.tenant)
    doc = await _visible(mongo, principal, document_id)
    if not rules.is_station_side(DocumentFacts.from_doc(doc), principal):
        raise Forbidden("only the issuer, the report recipients and the station's leaders read escalations")
    esc = await mongo.repo(ESCALATIONS, principal.tenant).find_one({"document_id": document_id})
    if esc is None:
        raise NotFound("the document has not been escalated", slug="not-escalated")
    return esc


async def list_escalations(*, mongo: Mongo, settings: Settings, principal: Principal, project_id: str | None,
                           document_type: str | None, kind: str | None, date_from: date | None,
                           date_to: date | None, limit: int, cursor: str | None
                           ) -> tuple[list[dict[str, Any]], str | None]:
    """HN-07: escalations, newest first: a station leader sees those of their station, anybody
    else those of documents they issued. Filters project, document type, kind, days of
    ``escalated_at`` (Asia/Shanghai)."""
    ensure_enabled(settings, principal.tenant)
    if principal.has(Role.STATION_LEADER.value):
        who: dict[str, Any] = {"$or": [{"station_org_id": principal.org_id},
                                       {"issuer_user_id": principal.user_id}]}
    else:
        who = {"issuer_user_id": principal.user_id}
    flt: dict[str, Any] = {}
    if project_id:
        flt["project_id"] = project_id
    if document_type:
        flt["document_type"] = document_type
    if kind:
        flt["kind"] = kind
    rng = rules.day_range(date_from, date_to)
    if rng:
        flt["escalated_at"] = rng
    return await paginate(mongo.repo(ESCALATIONS, principal.tenant), rules.and_filters(who, flt),
                          limit=limit, cursor=cursor)


async def refuse_change(*, mongo: Mongo, settings: Settings, principal: Principal, document_id: str) -> None:
    """HN-07 处理文书记录一旦形成，不可更改: every change or deletion is refused (409
    ``document-immutable``), after the visibility check (404 for an invisible id)."""
    ensure_enabled(settings, principal.tenant)
    await _visible(mongo, principal, document_id)
    raise Conflict("a submitted enforcement document never changes; submit a new document instead",
                   slug="document-immutable")


# --- submission -------------------------------------------------------------------------------

def _names(users: Mapping[str, Mapping[str, Any]], project: Mapping[str, Any], ids: Sequence[str],
           known: Mapping[str, str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for part in project.get("participants", []):
        if part.get("name"):
            names[part["user_id"]] = part["name"]
    for uid, doc in users.items():
        if doc.get("display_name"):
            names[uid] = doc["display_name"]
    for uid, name in known.items():
        if name:
            names.setdefault(uid, name)
    return {uid: names.get(uid) or uid for uid in dict.fromkeys(ids)}


def _record_snapshot(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"record_id": record["_id"], "check_type": record.get("check_type"),
            "part_checked": record.get("part_checked", ""), "terms": record.get("terms", []),
            "violations": record.get("violations", []), "supplement": record.get("supplement", ""),
            "photo_count": record.get("photo_count", 0), "submitted_by": record.get("submitted_by"),
            "submitted_at": record.get("submitted_at")}


def submitted_event(doc: Mapping[str, Any]) -> DocumentSubmitted:
    """HN-07: the ``notices.document.submitted.v1`` payload of a stored document."""
    return DocumentSubmitted(
        document_id=doc["_id"], number=doc["number"], document_type=doc["document_type"],
        project_id=doc["project_id"], project_name=doc["project_name"], station_org_id=doc["station_org_id"],
        record_id=doc["record_id"], addressed_org_ids=doc["addressed_org_ids"], details=doc["details"],
        deadline=date.fromisoformat(doc["deadline"]), replier_user_ids=doc["replier_user_ids"],
        report_recipient_ids=doc["report_recipient_ids"], issue_recipient_ids=doc["issue_recipient_ids"],
        status=doc["status"], submitted_by=PersonRef(**doc["submitted_by"]), submitted_at=doc["submitted_at"])


def issued_event(doc: Mapping[str, Any], at: datetime) -> DocumentIssued:
    """HN-07: the ``notices.document.issued.v1`` payload."""
    return DocumentIssued(
        document_id=doc["_id"], number=doc["number"], document_type=doc["document_type"],
        project_id=doc["project_id"], project_name=doc["project_name"], station_org_id=doc["station_org_id"],
        record_id=doc["record_id"], deadline=date.fromisoformat(doc["deadline"]),
        replier_user_ids=doc["replier_user_ids"], issue_recipient_ids=doc["issue_recipient_ids"],
        submitted_by_user_id=doc["submitted_by"]["user_id"], issued_at=at)


async def submit_document(*, mongo: Mongo, settings: Settings, principal: Principal, document_type: str,
                          project_id: str, addressed_org_ids: list[str], record_id: str, details: str,
                          deadline: date, backdated: bool, replier_user_ids: list[str],
                          report_recipient_ids: list[str], issue_recipient_ids: list[str]) -> dict[str, Any]:
    """HN-07 新建通知: a station's supervisor or leader submits an enforcement document.

    ``project_id`` a project of the caller's station (422 ``project_id``); ``record_id`` one
    supervision record of that project, not rejected (422 ``record_id``);
    ``addressed_org_ids`` 1..50 of the project's companies; ``replier_user_ids`` 1..50
    people of the project's parties; ``report_recipient_ids`` leaders/supervisors of the
    station; ``issue_recipient_ids`` people of the parties or the station (each 422 naming
    the field); ``deadline`` not before today in Asia/Shanghai unless ``backdated`` (422
    ``deadline``). Numbered from the tenant's counter of the type and year. Emits
    ``notices.document.submitted.v1`` (+ ``…issued.v1`` without report recipients).
    403 not a station's supervisor/leader or ``feature-disabled``.
    """
    ensure_enabled(settings, principal.tenant)
    rules.ensure_issuer_role(principal)
    tenant = principal.tenant
    now = utcnow()
    project = await mongo.repo(PROJECTS, tenant).get(project_id)
    if project is None or project.get("station_org_id") != principal.org_id:
        raise Unprocessable("not a project of your station", field="project_id")
    record = await mongo.repo(RECORDS, tenant).get(record_id)
    rules.check_record(record, project_id=project_id)
    assert record is not None
    addressed = rules.validate_addressed_orgs(addressed_org_ids, project)
    users = await by_ids(mongo.repo(USERS, tenant), [*replier_user_ids, *report_recipient_ids,
                                                     *issue_recipient_ids, principal.user_id])
    repliers = rules.validate_repliers(replier_user_ids, users, project, issuer_id=principal.user_id)
    reviewers = rules.validate_report_recipients(report_recipient_ids, users, station_org_id=principal.org_id,
                                                 issuer_id=principal.user_id)
    receivers = rules.validate_issue_recipients(issue_recipient_ids, users, project, issuer_id=principal.user_id)
    rules.check_deadline(deadline, now=now, backdated=backdated)
    details = (details or "").strip()
    if len(details) > rules.MAX_TEXT_CHARS:
        raise Unprocessable(f"details: at most {rules.MAX_TEXT_CHARS} characters", field="details")
    people = _names(users, project, [principal.user_id, *repliers, *reviewers, *receivers],
                    {principal.user_id: principal.name})
    year = rules.numbering_year(now)
    document_id = new_id()

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        config = await load_config(uow, tenant)
        seq = await next_counter(uow, cfg.document_counter_id(tenant, document_type, year), year=year,
                                 kind="document", document_type=document_type)
        status = rules.initial_status(reviewers)
        doc: dict[str, Any] = {
            "_id": document_id, "number": cfg.render_number(config, key=document_type, year=year, seq=seq),
            "year": year, "seq": seq, "document_type": document_type, "project_id": project_id,
            "project_name": project.get("name", ""), "station_org_id": project["station_org_id"],
            "record_id": record_id, "record": _record_snapshot(record), "addressed_org_ids": addressed,
            "details": details, "deadline": deadline.isoformat(), "backdated": backdated,
            "replier_user_ids": repliers, "report_recipient_ids": reviewers, "issue_recipient_ids": receivers,
            "people": people, "status": status.value, "reviews": [], "reviewed_by": [],
            "pending_replier_ids": [], "accepted_replier_ids": [], "reply_count": 0,
            "submitted_by": {"user_id": principal.user_id, "name": people[principal.user_id]},
            "submitted_at": now, "created_at": now,
            "issued_at": now if status is DocumentStatus.ISSUED else None,
            "decided_at": None if status is DocumentStatus.PENDING_REVIEW else now, "closed_at": None,
            "escalated": False, "escalation_id": None, "escalated_at": None, "closed_after_escalation": False,
            "version": 0,
        }
        await uow.repo(DOCUMENTS).insert(doc)
        uow.emit(DOCUMENT_SUBMITTED, subject=document_id, data=submitted_event(doc))
        if status is DocumentStatus.ISSUED:
            uow.emit(DOCUMENT_ISSUED, subject=document_id, data=issued_event(doc, now))
        return doc

    try:
        doc = await with_transaction(mongo, tenant, apply)
    except DuplicateKeyError as exc:  # only after a format change that renders an old number again
        raise Conflict("the configured number format renders a number already used; change the format",
                       slug="document-number-taken") from exc
    log.info("document submitted", document_id=document_id, number=doc["number"], status=doc["status"])
    return doc


# --- 上报 review (HN-08 上报给我的) ----------------------------------------------------------------

async def review_document(*, mongo: Mongo, settings: Settings, principal: Principal, document_id: str,
                          decision: Decision, comment: str | None) -> dict[str, Any]:
    """HN-08 审核 by a report recipient: ``approve`` / ``reject`` (comment required). ALL must
    approve to issue it; the first rejection returns it to the issuer (``rejected``). 404 not
    visible; 403 not a report recipient; 409 not pending or already decided by the caller;
    422 ``comment``. Emits ``notices.document.reviewed.v1`` (+ ``…issued.v1`` on the last
    approval). Returns the document after it."""
    ensure_enabled(settings, principal.tenant)
    decision = Decision(decision)

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        docs = uow.repo(DOCUMENTS)
        doc = await docs.get(document_id)
        if doc is None or not rules.can_see(DocumentFacts.from_doc(doc), principal):
            raise NotFound("document not found")
        status = rules.review(DocumentFacts.from_doc(doc), principal.user_id, decision)
        text = rules.comment_text(comment, required=decision is Decision.REJECT,
                                  why="telling the issuer what to change")
        now = utcnow()
        entry = {"reviewer": {"user_id": principal.user_id,
                              "name": principal.name or doc.get("people", {}).get(principal.user_id, "")},
                 "decision": decision.value, "comment": text, "reviewed_at": now}
        changes: dict[str, Any] = {"status": status.value}
        if status is not DocumentStatus.PENDING_REVIEW:
            changes["decided_at"] = now
        if status is DocumentStatus.ISSUED:
            changes["issued_at"] = now
        updated = await docs.update(
            {"_id": document_id, "status": DocumentStatus.PENDING_REVIEW.value, "version": doc.get("version", 0)},
            {"$set": changes, "$inc": {"version": 1}, "$push": {"reviews": entry, "reviewed_by": principal.user_id}})
        if updated is None:
            raise _Stale()
        uow.emit(DOCUMENT_REVIEWED, subject=document_id, data=DocumentReviewed(
            document_id=document_id, number=doc["number"], project_id=doc["project_id"],
            reviewer=PersonRef(**entry["reviewer"]), decision=decision.value, comment=text, status=status.value,
            submitted_by_user_id=doc["submitted_by"]["user_id"], reviewed_at=now))
        if status is DocumentStatus.ISSUED:
            uow.emit(DOCUMENT_ISSUED, subject=document_id, data=issued_event(updated, now))
        return updated

    return await _retrying(mongo, principal.tenant, apply)


async def _retrying(mongo: Mongo, tenant: str, apply: Any) -> Any:
    for _attempt in range(5):
        try:
            return await with_transaction(mongo, tenant, apply)
        except _Stale:
            continue  # another writer changed the document meanwhile: decide again on the new state
    raise Conflict("the document is being changed concurrently; try again", slug="document-busy")


# --- replies (HN-09) ----------------------------------------------------------------------------

async def _discard(storage: Storage, refs: Sequence[MediaRef]) -> None:
    for ref in refs:
        with contextlib.suppress(Exception):
            await storage.delete(ref)


async def _store_uploads(storage: Storage, settings: Settings, tenant: str, folder: str,
                         photos: Sequence[UploadFile], attachments: Sequence[UploadFile],
                         stored: list[MediaRef]) -> tuple[list[MediaRef], list[MediaRef]]:
    photo_refs: list[MediaRef] = []
    for upload in photos:
        data = await read_limited(upload, max_bytes=settings.document_photo_limit(tenant), field="photos")
        if not data:
            raise Unprocessable("photos: an empty file", field="photos")
        content_type = sniff_image(data, field="photos")
        ref = await storage.put_bytes(tenant=tenant, folder=folder, data=data, content_type=content_type,
                                      filename=upload.filename)
        stored.append(ref)
        photo_refs.append(ref)
    attachment_refs: list[MediaRef] = []
    for upload in attachments:
        data = await read_limited(upload, max_bytes=settings.document_attachment_limit(tenant), field="attachments")
        if not data:
            raise Unprocessable("attachments: an empty file", field="attachments")
        content_type = attachment_type(data)
        ref = await storage.put_bytes(tenant=tenant, folder=folder, data=data, content_type=content_type,
                                      filename=upload.filename or f"attachment.{EXTENSIONS[content_type]}")
        stored.append(ref)
        attachment_refs.append(ref)
    return photo_refs, attachment_refs


async def submit_reply(*, mongo: Mongo, storage: Storage, settings: Settings, principal: Principal,
                       document_id: str, text: str | None, photos: Sequence[UploadFile],
                       attachments: Sequence[UploadFile]) -> dict[str, Any]:
    """HN-09 回复: a replier of an issued document replies with ``text`` (1..2000), 0..9
    ``photos`` (JPEG/PNG by content, tenant size limit: 413/415 ``photos``) and 0..5
    ``attachments`` (PDF/DOCX/XLSX/JPEG/PNG by content signature, size limit: 413/415
    ``attachments``). 404 not visible; 403 not a replier; 409 not issued / closed
    (``document-not-open``), a reply of the caller awaiting review (``reply-pending``) or
    already accepted (``reply-accepted``); 422 ``text``. Emits
    ``notices.document.replied.v1``; returns the stored reply."""
    ensure_enabled(settings, principal.tenant)
    body = rules.reply_text(text)
    if len(photos) > rules.MAX_REPLY_PHOTOS:
        raise Unprocessable(f"at most {rules.MAX_REPLY_PHOTOS} photos", field="photos")
    if len(attachments) > rules.MAX_REPLY_ATTACHMENTS:
        raise Unprocessable(f"at most {rules.MAX_REPLY_ATTACHMENTS} attachments", field="attachments")
    tenant, uid = principal.tenant, principal.user_id
    doc = await mongo.repo(DOCUMENTS, tenant).get(document_id)
    facts = DocumentFacts.from_doc(doc) if doc else None
    if facts is None or (uid not in facts.replier_user_ids and not rules.can_see(facts, principal)):
        raise NotFound("document not found")
    rules.ensure_can_reply(facts, principal)  # a named replier learns the state (409), others 403

    reply_id = new_id()
    stored: list[MediaRef] = []
    try:
        photo_refs, attachment_refs = await _store_uploads(
            storage, settings, tenant, f"documents/{document_id}/replies/{reply_id}", photos, attachments, stored)

        async def apply(uow: UnitOfWork) -> dict[str, Any]:
            docs = uow.repo(DOCUMENTS)
            updated = await docs.update(
                {"_id": document_id, "status": DocumentStatus.ISSUED.value, "replier_user_ids": uid,
                 "pending_replier_ids": {"$ne": uid}, "accepted_replier_ids": {"$ne": uid}},
                {"$addToSet": {"pending_replier_ids": uid}, "$inc": {"reply_count": 1, "version": 1}})
            if updated is None:
                current = await docs.get(document_id)
                if current is None:
                    raise NotFound("document not found")
                rules.ensure_can_reply(DocumentFacts.from_doc(current), principal)
                raise Conflict("the document changed meanwhile; try again", slug="document-busy")
            replies = uow.repo(REPLIES)
            previous = await replies.count({"document_id": document_id, "replied_by.user_id": uid})
            now = utcnow()
            name = principal.name or updated.get("people", {}).get(uid, "") or uid
            reply = {"_id": reply_id, "document_id": document_id, "number": updated["number"],
                     "document_type": updated["document_type"], "project_id": updated["project_id"],
                     "project_name": updated["project_name"], "round": previous + 1, "text": body,
                     "photos": [p.model_dump() for p in photo_refs],
                     "attachments": [a.model_dump() for a in attachment_refs],
                     "replied_by": {"user_id": uid, "name": name},
                     "reviewer_user_id": updated["submitted_by"]["user_id"], "status": ReplyStatus.PENDING.value,
                     "review": None, "submitted_at": now, "created_at": now, "reviewed_at": None}
            await replies.insert(reply)
            uow.emit(DOCUMENT_REPLIED, subject=document_id, data=DocumentReplied(
                document_id=document_id, number=updated["number"], reply_id=reply_id, text=body,
                photos=photo_refs, attachments=attachment_refs, replied_by=PersonRef(user_id=uid, name=name),
                reviewer_user_id=reply["reviewer_user_id"], submitted_at=now))
            return reply

        return await with_transaction(mongo, tenant, apply)
    except BaseException:
        await _discard(storage, stored)
        raise


async def review_reply(*, mongo: Mongo, settings: Settings, principal: Principal, document_id: str,
                       reply_id: str, accepted: bool, comment: str | None) -> dict[str, Any]:
    """HN-09 审核 of one reply by the document's issuer: accept, or reject with a comment (422
    ``comment``); a rejected replier replies again. When every replier's latest reply is
    accepted the document closes (已办结). 404 not visible or unknown reply; 403 not the
    issuer; 409 the reply was already reviewed (``reply-already-reviewed``). Emits
    ``notices.document.reply_reviewed.v1`` (+ ``…closed.v1``). Returns the reply."""
    ensure_enabled(settings, principal.tenant)

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        docs, replies = uow.repo(DOCUMENTS), uow.repo(REPLIES)
        doc = await docs.get(document_id)
        if doc is None or not rules.can_see(DocumentFacts.from_doc(doc), principal):
            raise NotFound("document not found")
        rules.ensure_reply_reviewer(DocumentFacts.from_doc(doc), principal)
        reply = await replies.find_one({"_id": reply_id, "document_id": document_id})
        if reply is None:
            raise NotFound("reply not found")
        if reply["status"] != ReplyStatus.PENDING.value:
            raise Conflict("this reply was already reviewed", slug="reply-already-reviewed")
        text = rules.comment_text(comment, required=not accepted, why="telling the replier what is missing")
        now = utcnow()
        review = {"accepted": accepted, "comment": text,
                  "reviewed_by": {"user_id": principal.user_id, "name": principal.name or doc["submitted_by"]["name"]},
                  "reviewed_at": now}
        status = ReplyStatus.ACCEPTED if accepted else ReplyStatus.REJECTED
        updated_reply = await replies.update({"_id": reply_id, "status": ReplyStatus.PENDING.value},
                                             {"$set": {"status": status.value, "review": review, "reviewed_at": now}})
        if updated_reply is None:
            raise Conflict("this reply was already reviewed", slug="reply-already-reviewed")
        replier = reply["replied_by"]["user_id"]
        change: dict[str, Any] = {"$pull": {"pending_replier_ids": replier}, "$inc": {"version": 1}}
        if accepted:
            change["$addToSet"] = {"accepted_replier_ids": replier}
        updated = await docs.update({"_id": document_id, "version": doc.get("version", 0)}, change)
        if updated is None:
            raise _Stale()
        uow.emit(DOCUMENT_REPLY_REVIEWED, subject=document_id, data=DocumentReplyReviewed(
            document_id=document_id, number=doc["number"], reply_id=reply_id, replier_user_id=replier,
            accepted=accepted, comment=text, reviewed_by=PersonRef(**review["reviewed_by"]), reviewed_at=now))
        if (updated["status"] == DocumentStatus.ISSUED.value
                and rules.all_accepted(updated["replier_user_ids"], updated["accepted_replier_ids"])):
            await docs.update({"_id": document_id}, {"$set": {
                "status": DocumentStatus.CLOSED.value, "closed_at": now,
                "closed_after_escalation": bool(updated.get("escalated"))}, "$inc": {"version": 1}})
            uow.emit(DOCUMENT_CLOSED, subject=document_id, data=DocumentClosed(
                document_id=document_id, number=doc["number"], project_id=doc["project_id"], closed_at=now))
        return updated_reply

    return await _retrying(mongo, principal.tenant, apply)


# --- views (HN-08 / HN-09) ----------------------------------------------------------------------

DocumentView = str
"""reported | to_review | issued_to_me | to_reply"""


def _document_view_filter(view: DocumentView, user_id: str, box: ReviewBox | None) -> dict[str, Any]:
    if view == "reported":
        return rules.reported_filter(user_id)
    if view == "to_review":
        return rules.to_review_filter(user_id, box)
    if view == "issued_to_me":
        return rules.issued_to_me_filter(user_id)
    if view == "to_reply":
        return rules.to_reply_filter(user_id)
    raise ValueError(view)


async def list_documents(*, mongo: Mongo, settings: Settings, principal: Principal, view: DocumentView,
                         box: ReviewBox | None = None, project_id: str | None, document_type: str | None,
                         status: str | None, date_from: date | None, date_to: date | None, limit: int,
                         cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """HN-08: one page (newest first) of a document view of the caller: ``reported`` 我上报的,
    ``to_review`` 上报给我的 (``box`` to_review | reviewed), ``issued_to_me`` 下达给我的,
    ``to_reply`` 需我回复的; filters project, type, status, submission days."""
    ensure_enabled(settings, principal.tenant)
    flt = rules.and_filters(_document_view_filter(view, principal.user_id, box), rules.common_filter(
        project_id=project_id, document_type=document_type, status=status, date_from=date_from, date_to=date_to))
    return await paginate(mongo.repo(DOCUMENTS, principal.tenant), flt, limit=limit, cursor=cursor)


async def list_replies(*, mongo: Mongo, settings: Settings, principal: Principal, view: str,
                       box: ReviewBox | None = None, project_id: str | None, document_type: str | None,
                       status: str | None, date_from: date | None, date_to: date | None, limit: int,
                       cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """HN-09: one page (newest first) of a reply view: ``mine`` 我回复的 (replies I gave) or
    ``reviewed`` 我审核的 (replies to my documents; ``box`` to_review | reviewed)."""
    ensure_enabled(settings, principal.tenant)
    who = rules.my_replies_filter(principal.user_id) if view == "mine" else \
        rules.replies_reviewed_filter(principal.user_id, box)
    flt = rules.and_filters(who, rules.reply_common_filter(
        project_id=project_id, document_type=document_type, status=status, date_from=date_from, date_to=date_to))
    return await paginate(mongo.repo(REPLIES, principal.tenant), flt, limit=limit, cursor=cursor)


async def view_counts(*, mongo: Mongo, settings: Settings, principal: Principal, project_id: str | None,
                      document_type: str | None, date_from: date | None, date_to: date | None
                      ) -> dict[str, Any]:
    """HN-08/09 badges of the caller with the views' filters: ``reported`` per status,
    ``to_review`` {to_review, reviewed}, ``issued_to_me``, ``to_reply``, ``replies_mine`` per
    reply status, ``replies_reviewed`` {to_review, reviewed}."""
    ensure_enabled(settings, principal.tenant)
    uid = principal.user_id
    docs = mongo.repo(DOCUMENTS, principal.tenant)
    replies = mongo.repo(REPLIES, principal.tenant)
    common = rules.common_filter(project_id=project_id, document_type=document_type, status=None,
                                 date_from=date_from, date_to=date_to)
    rcommon = rules.reply_common_filter(project_id=project_id, document_type=document_type, status=None,
                                        date_from=date_from, date_to=date_to)

    async def n(repo: Any, *filters: Mapping[str, Any]) -> int:
        return await repo.count(rules.and_filters(*filters))

    return {
        "reported": {s.value: await n(docs, rules.reported_filter(uid), common, {"status": s.value})
                     for s in DocumentStatus},
        "to_review": {b.value: await n(docs, rules.to_review_filter(uid, b), common) for b in ReviewBox},
        "issued_to_me": await n(docs, rules.issued_to_me_filter(uid), common),
        "to_reply": await n(docs, rules.to_reply_filter(uid), common),
        "replies_mine": {s.value: await n(replies, rules.my_replies_filter(uid), rcommon, {"status": s.value})
                         for s in ReplyStatus},
        "replies_reviewed": {b.value: await n(replies, rules.replies_reviewed_filter(uid, b), rcommon)
                             for b in ReviewBox},
    }
