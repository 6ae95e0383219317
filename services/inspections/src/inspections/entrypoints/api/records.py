"""Supervision records (监督上报) and review routing endpoints: HN-04, HN-05, HN-06.

A record is immutable once submitted: there is no update or delete; ``PUT``, ``PATCH`` and
``DELETE`` on a record answer 409 ``record-immutable`` (404 when the caller cannot see it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile, status
from pydantic import StringConstraints

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.jsontext import loads_limited
from anjian_shared.pagination import Cursor, Limit
from anjian_shared.problems import Problem, Unprocessable

from ...domain.libraries import CheckType
from ...domain.records import ReceivedBox, SentStatus
from ...service_layer import records as cases
from .deps import MongoDep, SettingsDep, StorageDep
from .records_schemas import RecordCountsRead, RecordPage, RecordRead, ReviewCreate, record_read

router = APIRouter(prefix="/records", tags=["records"])

RecordId = Annotated[str, Path(max_length=64, description="record id")]
ProjectFilter = Annotated[str | None, Query(max_length=64, description="only this project")]
CheckTypeFilter = Annotated[CheckType | None, Query(description="quality | safety | combined")]
DateFrom = Annotated[date | None, Query(description="submitted on or after this day (China time)")]
DateTo = Annotated[date | None, Query(description="submitted on or before this day (China time)")]
Files = Annotated[list[UploadFile] | None, File()]
ListField = Annotated[list[str] | None, Form(description="repeat the field, or one JSON array, or comma-separated")]


def parse_list(values: list[str] | None, field: str) -> list[str]:
    """HN-04: A list sent as a repeated form field, once as a JSON array string (``["a","b"]``) or once
    comma-separated; 422 naming ``field`` when malformed."""
    out: list[str] = []
    for value in values or []:
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = loads_limited(text)
            except ValueError as exc:
                raise Unprocessable(f"{field} is not a JSON array", field=field, slug="list-invalid") from exc
            if not isinstance(parsed, list) or not all(isinstance(c, str) for c in parsed):
                raise Unprocessable(f"{field} must be an array of strings", field=field, slug="list-invalid")
            out.extend(parsed)
        else:
            out.extend(text.split(","))
    if any(len(v.strip()) > 64 for v in out):
        raise Unprocessable(f"{field}: an entry is longer than 64 characters", field=field, slug="list-invalid")
    return [v.strip() for v in out if v.strip()]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RecordRead,
             summary="Submit a supervision record (监督上报)")
async def submit_record(
    principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep, settings: SettingsDep, response: Response,
    project_id: Annotated[str, Form(min_length=1, max_length=64, description="a project of your station")],
    check_type: Annotated[CheckType, Form(description="抽查类型: quality | safety | combined (one)")],
    part_checked: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
                            Form(description="抽查部位: building no., floor, progress, materials")],
    term_codes: ListField = None,
    violation_codes: ListField = None,
    supplement: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000),
                          Form(description="问题补充说明")] = "",
    photos: Annotated[list[UploadFile] | None, File(description="0..9 JPEG/PNG photos (repeat the field)")] = None,
    annotations: Annotated[str | None, Form(max_length=200_000, description=(
        "JSON array, one entry per photo: list of {type: rect|arrow|circle|text, coords: [pixels], text?}"))] = None,
    video: Annotated[list[UploadFile] | None, File(description="0..2 MP4/QuickTime videos")] = None,
    audio: Annotated[list[UploadFile] | None, File(description="0..3 M4A/AAC/MP3/AMR audio clips")] = None,
    report_recipient_ids: ListField = None,
    issue_recipient_ids: ListField = None,
    also_issue_notice: Annotated[bool, Form(description="同时下发整改通知: return a notice draft")] = False,
) -> RecordRead:
    """HN-04 监督上报, multipart/form-data. A station's supervisor or leader submits a record:

    ``project_id`` (a project of the caller's station), ``check_type``, ``part_checked``
    (1..500), ``term_codes`` (from ``GET /terms?check_type=``), ``violation_codes`` (from
    ``GET /violations``), ``supplement``, ``photos`` (0..9 JPEG/PNG, optional ``annotations``),
    ``video`` (0..2, MP4/QuickTime), ``audio`` (0..3, M4A/AAC/MP3/AMR) — each file within the
    tenant's size limit, its type checked by content, not by name —, ``report_recipient_ids``
    (上报接收人: leaders/supervisors of the station; they review), ``issue_recipient_ids``
    (下达接收人: people of the project's parties or the station), ``also_issue_notice``.

    Status: ``pending_review`` with report recipients; else ``issued`` with issue
    recipients; else ``internal`` (监督内档). The record never changes afterwards. With
    ``also_issue_notice`` the answer carries ``notice_draft`` (a pre-filled 整改通知).

    201 + Location; 403 not a station's supervisor/leader, or ``feature-disabled`` (a tenant
    without the feature); 413/415 naming ``photos``/``video``/``audio``; 422 naming the field
    (``project_id``, ``term_codes``, ``violation_codes``, ``report_recipient_ids``,
    ``issue_recipient_ids``, ``annotations``, …). A refused request stores nothing.
    """
    doc = await cases.submit_record(
        mongo=mongo, storage=storage, settings=settings, principal=principal, project_id=project_id.strip(),
        check_type=check_type, part_checked=part_checked, term_codes=parse_list(term_codes, "term_codes"),
        violation_codes=parse_list(violation_codes, "violation_codes"), supplement=supplement,
        photos=photos or [], annotations=annotations, videos=video or [], audios=audio or [],
        report_recipient_ids=parse_list(report_recipient_ids, "report_recipient_ids"),
        issue_recipient_ids=parse_list(issue_recipient_ids, "issue_recipient_ids"),
        also_issue_notice=also_issue_notice)
    response.headers["Location"] = f"/api/inspections/v1/records/{doc['_id']}"
    return await record_read(storage, doc, principal.user_id)


@router.get("/views/sent", response_model=RecordPage, summary="我发送的 (sent by me)")
async def sent(principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep, settings: SettingsDep,
               status_: Annotated[SentStatus | None, Query(alias="status", description=(
                   "pending_review 待审核 | approved 审核通过 (issued or internal) | rejected 审核未通过"))] = None,
               project_id: ProjectFilter = None, check_type: CheckTypeFilter = None, date_from: DateFrom = None,
               date_to: DateTo = None, limit: Limit = 20, cursor: Cursor = None) -> RecordPage:
    """HN-05 我发送的: the caller's records, newest first, with ``status`` tab and filters
    ``project_id``, ``check_type``, ``date_from``/``date_to`` (days, China time). Paginated."""
    docs, next_cursor = await cases.list_sent(
        mongo=mongo, settings=settings, principal=principal, status=status_, project_id=project_id,
        check_type=check_type, date_from=date_from, date_to=date_to, limit=limit, cursor=cursor)
    return RecordPage(items=[await record_read(storage, d, principal.user_id) for d in docs], next_cursor=next_cursor)


@router.get("/views/received", response_model=RecordPage, summary="我接收的 (received)")
async def received(principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep, settings: SettingsDep,
                   box: Annotated[ReceivedBox | None, Query(description=(
                       "to_review 待审核 (mine to review) | reviewed 已审核 (I decided) | issued 下达接收; "
                       "none: all three"))] = None,
                   project_id: ProjectFilter = None, check_type: CheckTypeFilter = None, date_from: DateFrom = None,
                   date_to: DateTo = None, limit: Limit = 20, cursor: Cursor = None) -> RecordPage:
    """HN-06 我接收的: records waiting for the caller's review, reviewed by the caller, or issued
    to the caller; newest first; same filters as 我发送的. Paginated."""
    docs, next_cursor = await cases.list_received(
        mongo=mongo, settings=settings, principal=principal, box=box, project_id=project_id,
        check_type=check_type, date_from=date_from, date_to=date_to, limit=limit, cursor=cursor)
    return RecordPage(items=[await record_read(storage, d, principal.user_id) for d in docs], next_cursor=next_cursor)


@router.get("/views/counts", response_model=RecordCountsRead, summary="Badge counts of both views")
async def counts(principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep,
                 project_id: ProjectFilter = None, check_type: CheckTypeFilter = None, date_from: DateFrom = None,
                 date_to: DateTo = None) -> RecordCountsRead:
    """HN-05/06 badges: ``{sent: {pending_review, approved, rejected}, received: {to_review,
    reviewed, issued}}`` for the caller (same filters as the views)."""
    return RecordCountsRead.model_validate(await cases.view_counts(
        mongo=mongo, settings=settings, principal=principal, project_id=project_id, check_type=check_type,
        date_from=date_from, date_to=date_to))


@router.get("/{record_id}", response_model=RecordRead, summary="One supervision record")
async def get_record(record_id: RecordId, principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                     settings: SettingsDep) -> RecordRead:
    """HN-04..06: a record the caller may see — its sender, its report recipients, its issue
    recipients once issued, the leaders of its station — with media URLs (15 min) and the
    reviews so far. 404 otherwise (also another tenant's or another station's record)."""
    doc = await cases.get_record(mongo=mongo, settings=settings, principal=principal, record_id=record_id)
    return await record_read(storage, doc, principal.user_id)


IMMUTABLE = {409: {"model": Problem, "content": {"application/problem+json": {}},
                   "description": "always: a submitted record never changes (record-immutable)"}}


def _refusal(method: str) -> Callable[..., Awaitable[Response]]:
    """The endpoint refusing ``method`` on a record (HN-04: records never change)."""

    async def refuse(record_id: RecordId, principal: CurrentPrincipal, mongo: MongoDep,
                     settings: SettingsDep) -> Response:
        """HN-04 监督检查记录一旦形成，不可更改: always refused — 409 problem ``record-immutable``
        for a record the caller sees, 404 otherwise. Submit a new record instead."""
        await cases.refuse_change(mongo=mongo, settings=settings, principal=principal, record_id=record_id)
        return Response(status_code=status.HTTP_409_CONFLICT)  # not reached: refuse_change always raises

    refuse.__name__ = f"{method.lower()}_record_refused"
    return refuse


for _method in ("PUT", "PATCH", "DELETE"):
    router.add_api_route("/{record_id}", _refusal(_method), methods=[_method], status_code=status.HTTP_409_CONFLICT,
                         responses=IMMUTABLE, summary=f"{_method} refused: records never change",
                         response_class=Response)


@router.post("/{record_id}/reviews", status_code=status.HTTP_201_CREATED, response_model=RecordRead,
             summary="Review a record (审核)")
async def review(record_id: RecordId, body: ReviewCreate, principal: CurrentPrincipal, mongo: MongoDep,
                 storage: StorageDep, settings: SettingsDep) -> RecordRead:
    """HN-05/06 审核 by a report recipient: ``{decision: approve|reject, comment}`` (comment
    required to reject). All report recipients must approve to release the record (to its
    issue recipients: ``issued``; none: ``internal``); the first rejection returns it to the
    sender (``rejected``, 审核未通过). 201 with the record; 403 ``not-a-reviewer`` (not a report
    recipient); 404 not visible; 409 ``record-not-pending-review`` / ``record-already-reviewed``;
    422 ``comment`` (``comment-required``)."""
    doc = await cases.review_record(mongo=mongo, settings=settings, principal=principal, record_id=record_id,
                                    decision=body.decision, comment=body.comment)
    return await record_read(storage, doc, principal.user_id)
