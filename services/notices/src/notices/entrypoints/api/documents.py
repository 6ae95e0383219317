"""Enforcement documents (处理文书 / 通知书), their review, replies, escalations and the views:
HN-07, HN-08, HN-09. Hainan's flow, a per-tenant feature (on for every tenant by default).

A document is immutable once submitted: ``PUT``, ``PATCH`` and ``DELETE`` on it answer 409
``document-immutable`` (404 when the caller cannot see it). Reading: another tenant's or an
invisible id is 404; visible but not allowed is 403; wrong state is 409; bad input is 422
naming the field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Response, UploadFile, status

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.deps import MongoDep, StorageDep, app_settings
from anjian_shared.events.notices_v1 import DocumentType, EscalationKind
from anjian_shared.pagination import Cursor, Limit
from anjian_shared.problems import Problem

from ...domain import documents as rules
from ...domain.document_config import render_number
from ...domain.documents import DocumentStatus, ReplyStatus, ReviewBox
from ...service_layer import documents as cases
from ...settings import Settings
from .documents_schemas import (
    DocumentConfigRead,
    DocumentConfigWrite,
    DocumentCountsRead,
    DocumentCreate,
    DocumentPage,
    DocumentRead,
    DocumentReviewCreate,
    EscalationPage,
    EscalationRead,
    ReplyPage,
    ReplyRead,
    ReplyReviewCreate,
    document_read,
    document_summary,
    escalation_read,
    reply_read,
)

router = APIRouter(tags=["documents"])

SettingsDep = Annotated[Settings, Depends(app_settings)]
DocumentId = Annotated[str, Path(max_length=64, description="document id")]
ReplyId = Annotated[str, Path(max_length=64, description="reply id")]
ProjectFilter = Annotated[str | None, Query(max_length=64, description="only this project")]
TypeFilter = Annotated[DocumentType | None, Query(description="only this document type")]
StatusFilter = Annotated[DocumentStatus | None, Query(
    alias="status", description="pending_review 待审核 | rejected 审核未通过 | issued 已下达 | closed 已办结")]
ReplyStatusFilter = Annotated[ReplyStatus | None, Query(
    alias="status", description="pending 待审核 | accepted 审核通过 | rejected 审核未通过")]
DateFrom = Annotated[date | None, Query(description="submitted on or after this day (Asia/Shanghai)")]
DateTo = Annotated[date | None, Query(description="submitted on or before this day (Asia/Shanghai)")]
BoxFilter = Annotated[ReviewBox | None, Query(description="to_review 待审核 (mine to decide) | reviewed 已审核; "
                                                          "none: both")]


@router.post("/documents", status_code=status.HTTP_201_CREATED, response_model=DocumentRead,
             summary="Submit an enforcement document (新建通知)")
async def submit_document(body: DocumentCreate, principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                          settings: SettingsDep, response: Response) -> DocumentRead:
    """HN-07 新建通知 (JSON). A station's supervisor or leader submits a document of one of six
    types about a project of the station, resting on ONE supervision record of that project
    (``record_id``, required, not rejected: "no record, no document"), addressed to 1..50 of
    the project's companies (``addressed_org_ids``), with ``details``, a ``deadline`` (a day;
    before today in Asia/Shanghai only with ``backdated: true`` — 补录 of a paper document),
    1..50 ``replier_user_ids`` (people of the project's parties), optional
    ``report_recipient_ids`` (station leaders/supervisors: ALL must approve before it is
    issued) and ``issue_recipient_ids``. Numbered per tenant, type and year, e.g.
    ``琼安监整〔2026〕0012号``. It never changes afterwards.

    Status: ``pending_review`` with report recipients, else ``issued`` at once. 201 +
    Location. 403 not a station's supervisor/leader, or ``feature-disabled``; 422 naming the
    field (``project_id`` not of your station, ``record_id``, ``addressed_org_ids``,
    ``replier_user_ids``, ``report_recipient_ids``, ``issue_recipient_ids``, ``deadline``).
    Retries with the same ``Idempotency-Key`` give the same document.
    """
    doc = await cases.submit_document(
        mongo=mongo, settings=settings, principal=principal, document_type=body.document_type,
        project_id=body.project_id, addressed_org_ids=body.addressed_org_ids, record_id=body.record_id,
        details=body.details, deadline=body.deadline, backdated=body.backdated,
        replier_user_ids=body.replier_user_ids, report_recipient_ids=body.report_recipient_ids,
        issue_recipient_ids=body.issue_recipient_ids)
    response.headers["Location"] = f"/api/notices/v1/documents/{doc['_id']}"
    return await document_read(storage, doc, [], None, presign_minutes=settings.presign_minutes)


async def _page(mongo: MongoDep, settings: Settings, principal: CurrentPrincipal, view: str, box: ReviewBox | None,
                project_id: str | None, document_type: str | None, status_: DocumentStatus | None,
                date_from: date | None, date_to: date | None, limit: int, cursor: str | None) -> DocumentPage:
    docs, next_cursor = await cases.list_documents(
        mongo=mongo, settings=settings, principal=principal, view=view, box=box, project_id=project_id,
        document_type=document_type, status=status_, date_from=date_from, date_to=date_to, limit=limit,
        cursor=cursor)
    return DocumentPage(items=[document_summary(d) for d in docs], next_cursor=next_cursor)


@router.get("/documents/views/reported", response_model=DocumentPage, summary="我上报的 (submitted by me)")
async def reported(principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep,
                   project_id: ProjectFilter = None, document_type: TypeFilter = None,
                   status_: StatusFilter = None, date_from: DateFrom = None, date_to: DateTo = None,
                   limit: Limit = 20, cursor: Cursor = None) -> DocumentPage:
    """HN-08 我上报的: the documents the caller submitted, newest first. Filters ``project_id``,
    ``document_type``, ``status``, ``date_from``/``date_to`` (submission days, Asia/Shanghai;
    422 ``date_to`` before ``date_from``). Paginated (``limit`` 1..100, ``cursor``)."""
    return await _page(mongo, settings, principal, "reported", None, project_id, document_type, status_,
                       date_from, date_to, limit, cursor)


@router.get("/documents/views/to-review", response_model=DocumentPage, summary="上报给我的 (for my review)")
async def to_review(principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep, box: BoxFilter = None,
                    project_id: ProjectFilter = None, document_type: TypeFilter = None,
                    status_: StatusFilter = None, date_from: DateFrom = None, date_to: DateTo = None,
                    limit: Limit = 20, cursor: Cursor = None) -> DocumentPage:
    """HN-08 上报给我的: documents whose report recipient the caller is — ``box=to_review``
    waiting for the caller's decision, ``box=reviewed`` decided by the caller, none: both.
    Newest first, same filters as 我上报的. Paginated."""
    return await _page(mongo, settings, principal, "to_review", box, project_id, document_type, status_,
                       date_from, date_to, limit, cursor)


@router.get("/documents/views/issued-to-me", response_model=DocumentPage, summary="下达给我的 (issued to me)")
async def issued_to_me(principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep,
                       project_id: ProjectFilter = None, document_type: TypeFilter = None,
                       status_: StatusFilter = None, date_from: DateFrom = None, date_to: DateTo = None,
                       limit: Limit = 20, cursor: Cursor = None) -> DocumentPage:
    """HN-08 下达给我的: issued (or since closed) documents naming the caller as issue recipient
    or replier. Newest first, same filters. Paginated."""
    return await _page(mongo, settings, principal, "issued_to_me", None, project_id, document_type, status_,
                       date_from, date_to, limit, cursor)


@router.get("/documents/views/to-reply", response_model=DocumentPage, summary="需我回复的 (waiting for my reply)")
async def to_reply(principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep,
                   project_id: ProjectFilter = None, document_type: TypeFilter = None,
                   date_from: DateFrom = None, date_to: DateTo = None,
                   limit: Limit = 20, cursor: Cursor = None) -> DocumentPage:
    """HN-08 需我回复的: issued documents where the caller is a replier with no accepted reply
    and none awaiting review (a rejected reply puts the document back here). Paginated."""
    return await _page(mongo, settings, principal, "to_reply", None, project_id, document_type, None,
                       date_from, date_to, limit, cursor)


@router.get("/documents/views/counts", response_model=DocumentCountsRead, summary="Badge counts of the views")
async def counts(principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep,
                 project_id: ProjectFilter = None, document_type: TypeFilter = None,
                 date_from: DateFrom = None, date_to: DateTo = None) -> DocumentCountsRead:
    """HN-08/09 badges of the caller: ``reported`` per status, ``to_review`` {to_review,
    reviewed}, ``issued_to_me``, ``to_reply``, ``replies_mine`` per reply status,
    ``replies_reviewed`` {to_review, reviewed}; same filters as the views."""
    return DocumentCountsRead.model_validate(await cases.view_counts(
        mongo=mongo, settings=settings, principal=principal, project_id=project_id, document_type=document_type,
        date_from=date_from, date_to=date_to))


async def _replies(mongo: MongoDep, storage: StorageDep, settings: Settings, principal: CurrentPrincipal,
                   view: str, box: ReviewBox | None, project_id: str | None, document_type: str | None,
                   status_: ReplyStatus | None, date_from: date | None, date_to: date | None, limit: int,
                   cursor: str | None) -> ReplyPage:
    docs, next_cursor = await cases.list_replies(
        mongo=mongo, settings=settings, principal=principal, view=view, box=box, project_id=project_id,
        document_type=document_type, status=status_, date_from=date_from, date_to=date_to, limit=limit,
        cursor=cursor)
    return ReplyPage(items=[await reply_read(storage, d, presign_minutes=settings.presign_minutes) for d in docs],
                     next_cursor=next_cursor)


@router.get("/documents/replies/views/mine", response_model=ReplyPage, summary="我回复的 (my replies)")
async def my_replies(principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep, settings: SettingsDep,
                     project_id: ProjectFilter = None, document_type: TypeFilter = None,
                     status_: ReplyStatusFilter = None, date_from: DateFrom = None, date_to: DateTo = None,
                     limit: Limit = 20, cursor: Cursor = None) -> ReplyPage:
    """HN-09 我回复的: every reply the caller gave, newest first, with its review and media.
    Filters ``project_id``, ``document_type``, ``status`` (pending | accepted | rejected),
    days. Paginated."""
    return await _replies(mongo, storage, settings, principal, "mine", None, project_id, document_type, status_,
                          date_from, date_to, limit, cursor)


@router.get("/documents/replies/views/reviewed", response_model=ReplyPage, summary="我审核的 (replies to me)")
async def replies_reviewed(principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                           settings: SettingsDep, box: BoxFilter = None, project_id: ProjectFilter = None,
                           document_type: TypeFilter = None, status_: ReplyStatusFilter = None,
                           date_from: DateFrom = None, date_to: DateTo = None, limit: Limit = 20,
                           cursor: Cursor = None) -> ReplyPage:
    """HN-09 我审核的: replies to documents the caller issued — ``box=to_review`` awaiting the
    caller's review, ``box=reviewed`` reviewed by the caller, none: both. Newest first.
    Paginated."""
    return await _replies(mongo, storage, settings, principal, "reviewed", box, project_id, document_type,
                          status_, date_from, date_to, limit, cursor)


@router.get("/escalations", response_model=EscalationPage, summary="处罚建议书 / 不良行为记录")
async def escalations(principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep,
                      project_id: ProjectFilter = None, document_type: TypeFilter = None,
                      kind: Annotated[EscalationKind | None, Query(description="penalty_recommendation | "
                                                                               "bad_conduct_record")] = None,
                      date_from: Annotated[date | None, Query(description="escalated on or after (Asia/Shanghai)")]
                      = None,
                      date_to: Annotated[date | None, Query(description="escalated on or before")] = None,
                      limit: Limit = 20, cursor: Cursor = None) -> EscalationPage:
    """HN-07: the escalations produced for overdue documents, newest first — a station leader
    sees those of the station, anybody else those of documents they issued (empty for
    others). Filters ``project_id``, ``document_type``, ``kind``, days. Paginated."""
    docs, next_cursor = await cases.list_escalations(
        mongo=mongo, settings=settings, principal=principal, project_id=project_id, document_type=document_type,
        kind=kind, date_from=date_from, date_to=date_to, limit=limit, cursor=cursor)
    return EscalationPage(items=[escalation_read(d) for d in docs], next_cursor=next_cursor)


@router.get("/documents/{document_id}", response_model=DocumentRead, summary="One enforcement document")
async def get_document(document_id: DocumentId, principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                       settings: SettingsDep) -> DocumentRead:
    """HN-07..09: a document the caller may see — its issuer, report recipients, repliers and
    issue recipients once issued, the leaders of its station — with the record's problem
    details, the reviews, every reply (oldest first; media URLs valid ``presign_minutes``)
    and, for the station side, its escalation. 404 for anybody else (also another tenant)."""
    doc, replies, escalation = await cases.get_document(mongo=mongo, settings=settings, principal=principal,
                                                        document_id=document_id)
    return await document_read(storage, doc, replies, escalation, presign_minutes=settings.presign_minutes)


IMMUTABLE = {409: {"model": Problem, "content": {"application/problem+json": {}},
                   "description": "always: a submitted document never changes (document-immutable)"}}


def _refusal(method: str) -> Callable[..., Awaitable[Response]]:
    """The endpoint refusing ``method`` on a document (HN-07: documents never change)."""

    async def refuse(document_id: DocumentId, principal: CurrentPrincipal, mongo: MongoDep,
                     settings: SettingsDep) -> Response:
        """HN-07 处理文书记录一旦形成，不可更改: always refused — 409 problem ``document-immutable``
        for a document the caller sees, 404 otherwise. Submit a new document instead."""
        await cases.refuse_change(mongo=mongo, settings=settings, principal=principal, document_id=document_id)
        return Response(status_code=status.HTTP_409_CONFLICT)  # not reached: refuse_change always raises

    refuse.__name__ = f"{method.lower()}_document_refused"
    return refuse


for _method in ("PUT", "PATCH", "DELETE"):
    router.add_api_route("/documents/{document_id}", _refusal(_method), methods=[_method],
                         status_code=status.HTTP_409_CONFLICT, responses=IMMUTABLE,
                         summary=f"{_method} refused: documents never change", response_class=Response)


@router.post("/documents/{document_id}/reviews", status_code=status.HTTP_201_CREATED, response_model=DocumentRead,
             summary="Review a document before its issue (审核)")
async def review_document(document_id: DocumentId, body: DocumentReviewCreate, principal: CurrentPrincipal,
                          mongo: MongoDep, storage: StorageDep, settings: SettingsDep) -> DocumentRead:
    """HN-08 审核 by a report recipient: ``{decision: approve|reject, comment}`` (comment
    required to reject). ALL report recipients must approve to issue the document; the first
    rejection returns it to the issuer (``rejected``). 201 with the document; 403
    ``not-a-reviewer`` (not a report recipient); 404 not visible; 409
    ``document-not-pending-review`` / ``document-already-reviewed``; 422 ``comment``
    (``comment-required``)."""
    await cases.review_document(mongo=mongo, settings=settings, principal=principal, document_id=document_id,
                                decision=body.decision, comment=body.comment)
    doc, replies, escalation = await cases.get_document(mongo=mongo, settings=settings, principal=principal,
                                                        document_id=document_id)
    return await document_read(storage, doc, replies, escalation, presign_minutes=settings.presign_minutes)


@router.post("/documents/{document_id}/replies", status_code=status.HTTP_201_CREATED, response_model=ReplyRead,
             summary="Reply to a document (回复)")
async def submit_reply(
    document_id: DocumentId, principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
    settings: SettingsDep,
    text: Annotated[str | None, Form(max_length=4000, description="what was done, 1..2000 characters")] = None,
    photos: Annotated[list[UploadFile] | None, File(
        description=f"0..{rules.MAX_REPLY_PHOTOS} JPEG/PNG photos (repeat the field)")] = None,
    attachments: Annotated[list[UploadFile] | None, File(
        description=f"0..{rules.MAX_REPLY_ATTACHMENTS} files: PDF, DOCX, XLSX, JPEG or PNG (by content)")] = None,
) -> ReplyRead:
    """HN-09 回复, multipart/form-data {text, photos[], attachments[]}: a replier of an issued
    document replies; the issuer then reviews it. Photos are checked by content (JPEG/PNG)
    and against the tenant's size limit; attachments by content signature against an
    allow-list and their size limit. 201 with the reply. 403 not a replier; 404 not visible;
    409 not issued or closed (``document-not-open``), the caller's previous reply awaits
    review (``reply-pending``) or was accepted (``reply-accepted``); 413/415 naming
    ``photos``/``attachments``; 422 ``text``. A refused reply stores nothing."""
    reply = await cases.submit_reply(mongo=mongo, storage=storage, settings=settings, principal=principal,
                                     document_id=document_id, text=text, photos=photos or [],
                                     attachments=attachments or [])
    return await reply_read(storage, reply, presign_minutes=settings.presign_minutes)


@router.post("/documents/{document_id}/replies/{reply_id}/reviews", status_code=status.HTTP_201_CREATED,
             response_model=ReplyRead, summary="Review a reply (审核)")
async def review_reply(document_id: DocumentId, reply_id: ReplyId, body: ReplyReviewCreate,
                       principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                       settings: SettingsDep) -> ReplyRead:
    """HN-09 审核 by the document's issuer: ``{decision: approve}`` or ``{decision: reject,
    comment}`` (the deprecated ``{accepted: true|false}`` still works for one release); a
    rejected replier replies again. When every replier's latest reply is accepted the document
    closes (已办结, ``notices.document.closed.v1``). 201 with the reviewed reply (``status``
    accepted | rejected); 403 ``not-a-reviewer`` (not the issuer); 404 not visible or unknown
    reply; 409 ``reply-already-reviewed``; 422 ``comment`` (``comment-required``) or
    ``decision`` (``decision-required`` / ``decision-mismatch``)."""
    reply = await cases.review_reply(mongo=mongo, settings=settings, principal=principal, document_id=document_id,
                                     reply_id=reply_id, decision=body.decision, accepted=body.legacy_accepted,
                                     comment=body.comment)
    return await reply_read(storage, reply, presign_minutes=settings.presign_minutes)


@router.get("/documents/{document_id}/escalation", response_model=EscalationRead,
            summary="The 处罚建议书 / 不良行为记录 of an overdue document")
async def get_escalation(document_id: DocumentId, principal: CurrentPrincipal, mongo: MongoDep,
                         settings: SettingsDep) -> EscalationRead:
    """HN-07: what the platform produced when the document's deadline passed without every
    reply accepted: kind, its own number, the repliers missing, the station's leaders. For
    the issuer, report recipients and station leaders. 404 not visible or not escalated
    (``not-escalated``); 403 for its repliers and issue recipients."""
    return escalation_read(await cases.get_escalation(mongo=mongo, settings=settings, principal=principal,
                                                      document_id=document_id))


def _config_read(config: dict) -> DocumentConfigRead:  # type: ignore[type-arg]
    examples = {key: render_number(config, key=key, year=2026, seq=1) for key in config["short_names"]}
    return DocumentConfigRead.model_validate({**config, "example_numbers": examples})


@router.get("/document-config", response_model=DocumentConfigRead, summary="The tenant's document numbering")
async def get_config(principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep) -> DocumentConfigRead:
    """HN-07: the caller's tenant's numbering format, abbreviation, short names per type/kind
    and escalation kind per document type (``source`` default until replaced), with example
    numbers. Province administrators only (403 otherwise)."""
    return _config_read(await cases.get_config(mongo=mongo, settings=settings, principal=principal))


@router.put("/document-config", response_model=DocumentConfigRead, summary="Replace the tenant's document numbering")
async def put_config(body: DocumentConfigWrite, principal: CurrentPrincipal, mongo: MongoDep,
                     settings: SettingsDep) -> DocumentConfigRead:
    """HN-07: replace the numbering configuration of the caller's tenant (province
    administrators; 403 otherwise). ``format`` uses ``{abbr} {type} {year} {seq}`` with
    ``{type}``, ``{year}``, ``{seq}`` exactly once (``{seq}`` renders 4 digits, zero-padded);
    ``short_names`` for all six types and both escalation kinds, all different;
    ``escalation_kinds`` for all six types. 422 naming the field. Numbers already given keep
    their text; the counters continue."""
    return _config_read(await cases.put_config(mongo=mongo, settings=settings, principal=principal,
                                               config=body.model_dump()))
