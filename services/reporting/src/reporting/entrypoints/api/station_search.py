"""HN-10 监督记录及处理文书查询: leaders search the station's supervision records and
enforcement documents, and export them as XLSX."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Response

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.events.notices_v1 import DocumentType
from anjian_shared.pagination import Cursor, Limit

from ...domain import station_search as rules
from ...domain.station_search import SearchFilters
from ...service_layer import station_search as svc
from .deps import MongoDep, SettingsDep
from .schemas import EscalationRead, StationSearchItem, StationSearchPage

router = APIRouter(tags=["station search"])

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}},
          "description": "the matches as an XLSX workbook (one sheet, Chinese headers)"},
}
Status = Literal["pending_review", "issued", "internal", "rejected", "closed"]


def search_filters(
    kind: Annotated[Literal["record", "document"] | None, Query(
        description="record 监督检查记录 or document 处理文书; absent: both")] = None,
    project_id: Annotated[str | None, Query(max_length=64, description="one project")] = None,
    project_name: Annotated[str | None, Query(max_length=100, description="part of the project's name (工程名称)")]
    = None,
    submitter: Annotated[str | None, Query(max_length=100, description="the submitter's user id, or part of the "
                                                                       "submitter's name (提交人)")] = None,
    station_org_id: Annotated[str | None, Query(max_length=64, description="the station (监督站)")] = None,
    date_from: Annotated[date | None, Query(description="submitted on or after this day (开始日期, China time)")]
    = None,
    date_to: Annotated[date | None, Query(description="submitted on or before this day (截止日期, China time)")]
    = None,
    document_type: Annotated[DocumentType | None, Query(description="documents of this type only")] = None,
    check_type: Annotated[Literal["quality", "safety", "combined"] | None, Query(
        description="records of this check type only")] = None,
    status: Annotated[Status | None, Query(description="records: pending_review/issued/internal/rejected; "
                                                       "documents: pending_review/rejected/issued/closed")] = None,
) -> SearchFilters:
    """The filters shared by the search and its export."""
    return SearchFilters(kind=kind, project_id=project_id, project_name=project_name, submitter=submitter,
                         station_org_id=station_org_id, date_from=date_from, date_to=date_to,
                         document_type=document_type, check_type=check_type, status=status)


FiltersDep = Annotated[SearchFilters, Depends(search_filters)]


def _item(doc: dict[str, Any], names: dict[str, str]) -> StationSearchItem:
    kind = doc["kind"]
    labels = rules.CHECK_TYPE_LABELS if kind == "record" else rules.DOCUMENT_TYPE_LABELS
    esc = doc.get("escalation")
    return StationSearchItem(
        kind=kind, id=doc["item_id"], number=doc.get("number") or "", type=doc.get("type") or "",
        type_label=labels.get(doc.get("type") or "", doc.get("type") or ""),
        project_id=doc.get("project_id") or "", project_name=doc.get("project_name") or "",
        submitter_id=doc.get("submitter_id") or "", submitter_name=doc.get("submitter_name") or "",
        station_org_id=doc.get("station_org_id") or "", station_name=names.get(doc.get("station_org_id") or "", ""),
        submitted_at=doc["submitted_at"], status=doc.get("status") or "",
        status_label=rules.STATUS_LABELS[kind].get(doc.get("status") or "", doc.get("status") or ""),
        deadline=date.fromisoformat(doc["deadline"]) if doc.get("deadline") else None,
        escalation=EscalationRead(kind=esc["kind"], number=esc["number"], escalated_at=esc["escalated_at"])
        if esc else None,
        summary=doc.get("summary") or "")


@router.get("/station-search", response_model=StationSearchPage,
            summary="Search the station's records and documents (监督记录及处理文书查询)")
async def station_search(principal: CurrentPrincipal, mongo: MongoDep, filters: FiltersDep, limit: Limit = 20,
                         cursor: Cursor = None) -> StationSearchPage:
    """HN-10: supervision records (HN-04) and enforcement documents (HN-07) of the caller's
    station, newest first by submission time, ``limit`` 1..100 (``next_cursor`` for the next
    page). Filters (all optional, combined with AND): ``kind``, ``project_id``,
    ``project_name`` (substring), ``submitter`` (user id or part of the name), ``station_org_id``,
    ``date_from``/``date_to`` (days in China time, inclusive), ``document_type``/``check_type``,
    ``status``. Who: a station leader — their own station only (another ``station_org_id`` →
    403 ``other-station``); the province admin — every station of the tenant. Anyone else 403.
    Other tenants' items are never visible. 422 naming the field: ``date_to`` before
    ``date_from``, ``limit`` over 100, ``document_type`` with ``kind=record``, ``check_type``
    with ``kind=document``, a status the kind never has, a malformed cursor."""
    docs, names, nxt = await svc.search(mongo=mongo, principal=principal, filters=filters, limit=limit,
                                        cursor=cursor)
    return StationSearchPage(items=[_item(d, names) for d in docs], next_cursor=nxt)


@router.get("/station-search.xlsx", response_class=Response, responses=XLSX_RESPONSE,
            summary="Export the station search as XLSX")
async def station_search_xlsx(principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep,
                              filters: FiltersDep) -> Response:
    """HN-10: every match of the same filters and rules as ``GET /station-search`` in one
    XLSX sheet, newest first: 类别, 类型, 编号, 项目, 提交人, 监督站, 提交日期 (Excel date-time, China
    time), 状态, 回复期限 (Excel date), 升级处理, 内容, 标识; frozen bold header, auto-filter, set
    column widths. Attachment with a UTF-8 file name (RFC 6266/5987). At most
    ``ANJIAN_STATION_SEARCH_MAX_EXPORT_ROWS`` (10 000) rows: more matches → 422
    ``export-too-large`` naming the filters given — narrow them; the file is never truncated."""
    out = await svc.export(mongo=mongo, principal=principal, filters=filters,
                           max_rows=settings.station_search_max_export_rows)
    headers = {
        "Content-Disposition": f"attachment; filename=\"{out.ascii_filename}\"; "
                               f"filename*=UTF-8''{quote(out.filename, safe='')}",
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Total-Rows": str(out.rows),
    }
    return Response(content=out.content, media_type=XLSX_TYPE, headers=headers)
