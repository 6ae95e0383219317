"""Replies (回复) to an issued document and their review by its issuer (HN-09).

A reply checks the caller and the document's state, then stores the media (see
``document_media``), then writes the reply in a transaction; if anything fails after
media were stored they are deleted again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from fastapi import UploadFile

from anjian_shared.auth import Principal
from anjian_shared.events.common import PersonRef
from anjian_shared.events.notices_v1 import (
    DocumentClosed,
    DocumentReplied,
    DocumentReplyReviewed,
)
from anjian_shared.media import MediaIntake
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.problems import Conflict, NotFound, Unprocessable
from anjian_shared.review import decision_of
from anjian_shared.storage import Storage
from anjian_shared.types import new_id, utcnow

from ...adapters.document_store import (
    DOCUMENTS,
    REPLIES,
)
from ...domain import documents as rules
from ...domain.documents import Decision, DocumentFacts, DocumentStatus, ReplyStatus
from ...settings import Settings
from .. import major_hazards
from ..document_media import reply_media
from .common import (
    DOCUMENT_CLOSED,
    DOCUMENT_REPLIED,
    DOCUMENT_REPLY_REVIEWED,
    Stale,
    ensure_enabled,
    retrying,
)

log = structlog.get_logger("notices.documents")


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
    policy = await ensure_enabled(mongo, settings, principal.tenant)
    body = rules.reply_text(text)
    if len(photos) > rules.MAX_REPLY_PHOTOS:
        raise Unprocessable(f"at most {rules.MAX_REPLY_PHOTOS} photos", field="photos", slug="too-many-photos")
    if len(attachments) > rules.MAX_REPLY_ATTACHMENTS:
        raise Unprocessable(f"at most {rules.MAX_REPLY_ATTACHMENTS} attachments", field="attachments",
                            slug="too-many-attachments")
    tenant, uid = principal.tenant, principal.user_id
    doc = await mongo.repo(DOCUMENTS, tenant).get(document_id)
    facts = DocumentFacts.from_doc(doc) if doc else None
    if facts is None or (uid not in facts.replier_user_ids and not rules.can_see(facts, principal)):
        raise NotFound("document not found")
    rules.ensure_can_reply(facts, principal)  # a named replier learns the state (409), others 403

    reply_id = new_id()
    folder = f"documents/{document_id}/replies/{reply_id}"
    async with MediaIntake(storage, tenant=tenant, folder=folder) as intake:
        photo_refs, attachment_refs = await intake.take_groups(
            *reply_media(policy, photos, attachments))

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
                reviewer_user_id=reply["reviewer_user_id"], submitted_at=now, project_id=updated["project_id"],
                project_name=updated["project_name"], document_type=updated["document_type"],
                deadline=updated.get("deadline")))
            return reply

        return await with_transaction(mongo, tenant, apply)


async def review_reply(*, mongo: Mongo, settings: Settings, principal: Principal, document_id: str,
                       reply_id: str, decision: Decision | str | None, comment: str | None,
                       accepted: bool | None = None) -> dict[str, Any]:
    """HN-09 审核 of one reply by the document's issuer (``anjian_shared.review``, one reviewer):
    ``approve`` (the reply is ``accepted``), or ``reject`` with a comment (422 ``comment``,
    ``comment-required``); a rejected replier replies again. When every replier's latest reply
    is accepted the document closes (已办结). 404 not visible or unknown reply; 403
    ``not-a-reviewer`` (not the issuer); 409 ``reply-already-reviewed``; 422 ``decision``
    (``decision-required`` / ``decision-mismatch``; ``accepted`` is the deprecated boolean). Emits
    ``notices.document.reply_reviewed.v1`` (+ ``…closed.v1``). Returns the reply."""
    await ensure_enabled(mongo, settings, principal.tenant)

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        docs, replies = uow.repo(DOCUMENTS), uow.repo(REPLIES)
        doc = await docs.get(document_id)
        if doc is None or not rules.can_see(DocumentFacts.from_doc(doc), principal):
            raise NotFound("document not found")
        rules.ensure_reply_reviewer(DocumentFacts.from_doc(doc), principal)
        reply = await replies.find_one({"_id": reply_id, "document_id": document_id})
        if reply is None:
            raise NotFound("reply not found")
        now = utcnow()
        decided = decision_of(decision, accepted, legacy_field="accepted")   # after the 403/404 checks
        step = rules.review_reply(reply, principal.user_id, decided, comment, now,
                                  reviewer_name=principal.name or doc["submitted_by"]["name"])
        review, approved = rules.reply_review_doc(step), step.review.approved
        status = rules.reply_status(step.outcome)
        updated_reply = await replies.update({"_id": reply_id, "status": ReplyStatus.PENDING.value},
                                             {"$set": {"status": status.value, "review": review, "reviewed_at": now}})
        if updated_reply is None:
            raise Conflict("this reply was already reviewed", slug="reply-already-reviewed")
        replier = reply["replied_by"]["user_id"]
        change: dict[str, Any] = {"$pull": {"pending_replier_ids": replier}, "$inc": {"version": 1}}
        if approved:
            change["$addToSet"] = {"accepted_replier_ids": replier}
        updated = await docs.update({"_id": document_id, "version": doc.get("version", 0)}, change)
        if updated is None:
            raise Stale()
        uow.emit(DOCUMENT_REPLY_REVIEWED, subject=document_id, data=DocumentReplyReviewed(
            document_id=document_id, number=doc["number"], reply_id=reply_id, replier_user_id=replier,
            accepted=approved, comment=review["comment"], reviewed_by=PersonRef(**review["reviewed_by"]),
            reviewed_at=now, project_id=doc["project_id"], project_name=doc.get("project_name"),
            document_type=doc.get("document_type"), deadline=doc.get("deadline")))
        if (updated["status"] == DocumentStatus.ISSUED.value
                and rules.all_accepted(updated["replier_user_ids"], updated["accepted_replier_ids"])):
            await docs.update({"_id": document_id}, {"$set": {
                "status": DocumentStatus.CLOSED.value, "closed_at": now,
                "closed_after_escalation": bool(updated.get("escalated"))}, "$inc": {"version": 1}})
            await major_hazards.close(uow, "document", document_id, now)
            uow.emit(DOCUMENT_CLOSED, subject=document_id, data=DocumentClosed(
                document_id=document_id, number=doc["number"], project_id=doc["project_id"], closed_at=now,
                project_name=doc.get("project_name"), document_type=doc.get("document_type"),
                station_org_id=doc.get("station_org_id")))
        return updated_reply

    return await retrying(mongo, principal.tenant, apply)
