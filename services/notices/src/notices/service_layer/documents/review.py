"""The review (审核) of a document by its report recipients before its issue (HN-08)."""

from __future__ import annotations

from typing import Any

import structlog

from anjian_shared.auth import Principal
from anjian_shared.events.common import PersonRef
from anjian_shared.events.notices_v1 import (
    DocumentReviewed,
)
from anjian_shared.mongo import Mongo, UnitOfWork
from anjian_shared.review import Verdict, decide_stored
from anjian_shared.types import utcnow

from ...adapters.document_store import (
    DOCUMENTS,
)
from ...domain import documents as rules
from ...domain.documents import Decision, DocumentStatus
from ...domain.major_hazards import EntryStatus
from ...settings import Settings
from .. import major_hazards
from .common import DOCUMENT_ISSUED, DOCUMENT_REVIEWED, Stale, ensure_enabled, retrying
from .submission import issued_event

log = structlog.get_logger("notices.documents")


async def review_document(*, mongo: Mongo, settings: Settings, principal: Principal, document_id: str,
                          decision: Decision, comment: str | None) -> dict[str, Any]:
    """HN-08 审核 by a report recipient: ``approve`` / ``reject`` (comment required). ALL must
    approve to issue it; the first rejection returns it to the issuer (``rejected``). 404 not
    visible; 403 ``not-a-reviewer``; 409 ``document-not-pending-review`` or
    ``document-already-reviewed``; 422 ``comment`` (``comment-required``); 409
    ``document-busy`` after five concurrent changes in a row. Emits
    ``notices.document.reviewed.v1`` (+ ``…issued.v1`` on the last approval). Returns the document after it."""
    await ensure_enabled(mongo, settings, principal.tenant)
    decision = Decision(decision)

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        now = utcnow()

        def judge(doc: dict[str, Any] | None) -> Verdict:
            return rules.judge(doc, principal, decision, comment, now)

        done = await decide_stored(uow.repo(DOCUMENTS), document_id, judge,
                                   pending=DocumentStatus.PENDING_REVIEW.value, now=now)
        if done is None:
            raise Stale()
        updated, review = done.after, done.review
        uow.emit(DOCUMENT_REVIEWED, subject=document_id, data=DocumentReviewed(
            document_id=document_id, number=updated["number"], project_id=updated["project_id"],
            reviewer=PersonRef(**review.reviewer), decision=review.decision.value, comment=review.comment,
            status=done.verdict.status, submitted_by_user_id=updated["submitted_by"]["user_id"], reviewed_at=now,
            project_name=updated.get("project_name"), document_type=updated.get("document_type"),
            deadline=updated.get("deadline")))
        if done.verdict.status == DocumentStatus.ISSUED.value:
            uow.emit(DOCUMENT_ISSUED, subject=document_id, data=issued_event(updated, now))
        if done.verdict.status == DocumentStatus.REJECTED.value:
            await major_hazards.close(uow, "document", document_id, now, EntryStatus.REJECTED)
        return updated

    return await retrying(mongo, principal.tenant, apply)
