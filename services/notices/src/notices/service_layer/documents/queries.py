"""Reading enforcement documents (HN-07..HN-09): one document, its escalation, the views
and their badge counts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import structlog

from anjian_shared.auth import Principal, Role
from anjian_shared.mongo import Mongo
from anjian_shared.pagination import paginate
from anjian_shared.problems import Forbidden, NotFound

from ...adapters.document_store import (
    DOCUMENTS,
    ESCALATIONS,
    REPLIES,
)
from ...domain import documents as rules
from ...domain.documents import DocumentFacts, DocumentStatus, ReplyStatus, ReviewBox
from ...settings import Settings
from .common import ensure_enabled, visible

log = structlog.get_logger("notices.documents")


async def get_document(*, mongo: Mongo, settings: Settings, principal: Principal,
                       document_id: str) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any] | None]:
    """HN-07..09: a document the caller may see, its replies (oldest first) and — for the
    station side (issuer, report recipients, station leaders) — its escalation. 404 for
    anybody else and for another tenant's id."""
    await ensure_enabled(mongo, settings, principal.tenant)
    doc = await visible(mongo, principal, document_id)
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
    await ensure_enabled(mongo, settings, principal.tenant)
    doc = await visible(mongo, principal, document_id)
    if not rules.is_station_side(DocumentFacts.from_doc(doc), principal):
        raise Forbidden("only the issuer, the report recipients and the station's leaders read escalations",
                        slug="not-station-side")
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
    await ensure_enabled(mongo, settings, principal.tenant)
    if principal.has(Role.STATION_LEADER.value):
        who: dict[str, Any] = {"$or": [{"station_org_id": principal.org_id},
                                       {"issuer_user_id": principal.user_id}]}
    else:
        who = {"issuer_user_id": principal.user_id}
    flt = rules.escalation_filter(project_id=project_id, document_type=document_type, kind=kind,
                                  date_from=date_from, date_to=date_to)
    return await paginate(mongo.repo(ESCALATIONS, principal.tenant), rules.and_filters(who, flt),
                          limit=limit, cursor=cursor)



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
    await ensure_enabled(mongo, settings, principal.tenant)
    flt = rules.and_filters(_document_view_filter(view, principal.user_id, box), rules.common_filter(
        project_id=project_id, document_type=document_type, status=status, date_from=date_from, date_to=date_to))
    return await paginate(mongo.repo(DOCUMENTS, principal.tenant), flt, limit=limit, cursor=cursor)


async def list_replies(*, mongo: Mongo, settings: Settings, principal: Principal, view: str,
                       box: ReviewBox | None = None, project_id: str | None, document_type: str | None,
                       status: str | None, date_from: date | None, date_to: date | None, limit: int,
                       cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """HN-09: one page (newest first) of a reply view: ``mine`` 我回复的 (replies I gave) or
    ``reviewed`` 我审核的 (replies to my documents; ``box`` to_review | reviewed)."""
    await ensure_enabled(mongo, settings, principal.tenant)
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
    await ensure_enabled(mongo, settings, principal.tenant)
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
        "to_review": await rules.DOCUMENT_BOXES.counts(docs.count, uid, common),
        "issued_to_me": await n(docs, rules.issued_to_me_filter(uid), common),
        "to_reply": await n(docs, rules.to_reply_filter(uid), common),
        "replies_mine": {s.value: await n(replies, rules.my_replies_filter(uid), rcommon, {"status": s.value})
                         for s in ReplyStatus},
        "replies_reviewed": await rules.REPLY_BOXES.counts(replies.count, uid, rcommon),
    }
