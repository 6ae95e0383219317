"""Hunan exports over HTTP (HUN-03): preview and print (PDF, served ``inline``) and download
(XLSX, served as an ``attachment``).

The format: ``?format=pdf|xlsx`` wins; without it the ``Accept`` header decides — the XLSX
media type (or ``application/vnd.ms-excel``) gets the workbook, anything else the PDF preview.
Responses are ``Cache-Control: private, no-store`` and ``Vary: Accept``. Without a CJK font a
PDF answers 503 ``pdf-unavailable``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Header, Path, Query, Request, Response

from anjian_shared.auth import CurrentPrincipal

from ...domain.exports import pick_format
from ...service_layer import exports as service

router = APIRouter(tags=["exports (Hunan)"])
AgencyId = Annotated[str, Path(max_length=64)]
Year = Annotated[int, Path(ge=2000, le=2100)]
YearQuery = Annotated[int, Query(ge=2000, le=2100, description="统计年度 (the statistical year)")]
Format = Annotated[Literal["pdf", "xlsx"] | None, Query(
    description="pdf: preview/print (inline); xlsx: download (attachment); unset: the Accept header decides")]
Accept = Annotated[str | None, Header(max_length=500)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOTH: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}, XLSX: {}}}}


def _state(request: Request) -> tuple[Any, Any, str | None]:
    state = request.app.state
    return state.mongo, getattr(state, "cjk_font", None), getattr(state, "pdf_error", None)


def _file(name: str, data: bytes, media: str) -> Response:
    disposition = "inline" if media == "application/pdf" else "attachment"
    return Response(data, media_type=media, headers={
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "private, no-store", "Vary": "Accept"})


@router.get("/agencies/{agency_id}/annual-record/{year}/export", response_class=Response,
            summary="One agency's annual record as PDF (preview/print)",
            responses={200: {"content": {"application/pdf": {}}}})
async def annual_record_pdf(agency_id: AgencyId, year: Year, principal: CurrentPrincipal,
                            request: Request) -> Response:
    """HUN-03 监督机构年度情况表 of one agency and year, as PDF served inline: basic information,
    staffing structure (a past year's frozen return), supervised projects, funding and
    qualification. 422 ``annual-record-incomplete`` naming the first missing part (all in
    ``errors``); 404 ``agency-not-found`` when not visible (a city sees its counties', the
    province all, an agency itself); 503 ``pdf-unavailable``."""
    mongo, font, error = _state(request)
    return _file(*await service.annual_record_pdf(mongo=mongo, actor=principal, agency_org_id=agency_id,
                                                  year=year, font=font, pdf_error=error))


@router.get("/agency-exports/annual-summary", response_class=Response, responses=BOTH,
            summary="省/市级机构情况年度汇总表 (province or city annual summary)")
async def annual_summary(principal: CurrentPrincipal, request: Request, year: YearQuery,
                         division_code: Annotated[str | None, Query(pattern=r"^\d{6}$", description=(
                             "a city's GB/T 2260 code for its summary; unset: the province's"))] = None,
                         format: Format = None, accept: Accept = None) -> Response:
    """HUN-03 annual summary of ``year``: one row per agency (name, division, kind, approved
    headcount, staff and certificates held, supervised projects, floor area, investment,
    funding income and expenditure in 万元, qualification) and a 合计 row summing each numeric
    column. Unset ``division_code``: the province's (province office only, 403
    ``not-province-office``); a city code: that city's agencies (province office or the city
    itself, 403 ``summary-outside-jurisdiction``; 422 ``division-not-a-city``)."""
    mongo, font, error = _state(request)
    return _file(*await service.annual_summary(mongo=mongo, actor=principal, year=year, division_code=division_code,
                                               fmt=pick_format(format, accept), font=font, pdf_error=error))


@router.get("/agency-exports/survey", response_class=Response, responses=BOTH,
            summary="监督机构调查汇总表 (survey of combined / quality / safety / all agencies)")
async def survey(principal: CurrentPrincipal, request: Request, year: YearQuery,
                 kind: Annotated[Literal["combined", "quality", "safety", "all"], Query(description=(
                     "combined 质量安全监督合署 / quality 独立质量 / safety 独立安全 / all 全部监督机构"))],
                 format: Format = None, accept: Accept = None) -> Response:
    """HUN-03 survey of ``year``: the agencies of ``kind`` the caller sees (the province all, a
    city its counties', an agency itself; 404 ``agency-not-found`` for a company), one row each
    with the staffing structure (by post, education, title, age band, certificates held) and a
    合计 row."""
    mongo, font, error = _state(request)
    return _file(*await service.survey(mongo=mongo, actor=principal, kind=kind, year=year,
                                       fmt=pick_format(format, accept), font=font, pdf_error=error))


@router.get("/agency-exports/training-summary", response_class=Response, responses=BOTH,
            summary="报名总汇表 / 考核总汇表 (training registrations and assessment results)")
async def training_summary(principal: CurrentPrincipal, request: Request,
                           kind: Annotated[Literal["new_staff", "continuing"] | None, Query(
                               description="new_staff 新进人员培训 / continuing 继续教育; unset: both")] = None,
                           session_id: Annotated[str | None, Query(max_length=64, description="one session")] = None,
                           format: Format = None, accept: Accept = None) -> Response:
    """HUN-13/14 the training summary as a file: per agency registered, awaiting review, approved,
    rejected, passed, failed, and 合计 (the rows of ``GET /training-summary``: the province office
    every agency, an agency its own row)."""
    mongo, font, error = _state(request)
    return _file(*await service.training_summary(mongo=mongo, actor=principal, kind=kind, session_id=session_id,
                                                 fmt=pick_format(format, accept), font=font, pdf_error=error))


@router.get("/agency-exports/scoring-summary", response_class=Response, responses=BOTH,
            summary="记分总汇表 (dynamic scoring per person)")
async def scoring_summary(principal: CurrentPrincipal, request: Request, year: YearQuery, format: Format = None,
                          accept: Accept = None) -> Response:
    """HUN-18 the dynamic-scoring summary of ``year``: per person of the agencies the caller sees
    the approved entries and points, the pending ones, and 合计. A company 404 ``agency-not-found``."""
    mongo, font, error = _state(request)
    return _file(*await service.scoring_summary(mongo=mongo, actor=principal, year=year,
                                                fmt=pick_format(format, accept), font=font, pdf_error=error))


@router.get("/agency-exports/certificate-applications-summary", response_class=Response, responses=BOTH,
            summary="证书变更 / 注销 / 补办汇总表 (certificate applications)")
async def applications_summary(principal: CurrentPrincipal, request: Request,
                               kind: Annotated[Literal["cert_change", "cert_cancellation", "cert_reissue"] | None,
                                               Query(description="one kind; unset: all three")] = None,
                               format: Format = None, accept: Accept = None) -> Response:
    """HUN-10..12 the certificate applications summary: per agency how many and by stage (草稿, 已上报,
    已受理, 已退回, 不予受理, 准予, 不予许可), and 合计 — what the caller's application list shows (the
    province office those submitted to it, an agency its own; a company 403)."""
    mongo, font, error = _state(request)
    return _file(*await service.applications_summary(mongo=mongo, actor=principal, kind=kind,
                                                     fmt=pick_format(format, accept), font=font, pdf_error=error))


@router.get("/agency-exports/assessments-summary", response_class=Response, responses=BOTH,
            summary="考核情况汇总表 / 考核综合评价总汇表 (submitted assessments)")
async def assessments_summary(principal: CurrentPrincipal, request: Request,
                              kind: Annotated[Literal["group", "agency"] | None, Query(
                                  description="group 监督组考核 / agency 层级考核; unset: both")] = None,
                              format: Format = None, accept: Accept = None) -> Response:
    """HUN-16/17 the caller organisation's submitted assessments per assessed agency and kind:
    sheets and projects (summed in 合计), mean, lowest and highest score (合计 over every sheet)."""
    mongo, font, error = _state(request)
    return _file(*await service.assessments_summary(mongo=mongo, actor=principal, kind=kind,
                                                    fmt=pick_format(format, accept), font=font, pdf_error=error))


@router.get("/agency-exports/staff-summary", response_class=Response, responses=BOTH,
            summary="人员基本信息汇总表 (supervisors and their certificates)")
async def staff_summary(principal: CurrentPrincipal, request: Request,
                        agency_id: Annotated[str | None, Query(max_length=64, description="one agency only")] = None,
                        format: Format = None, accept: Accept = None) -> Response:
    """HUN-09 导出汇总表: the current staff of the agencies the caller sees (the province all, a city
    its counties', an agency itself; or of ``agency_id``, 404 ``agency-not-found`` when not visible),
    one row each with the valid certificates; 合计 counts people and certificates."""
    mongo, font, error = _state(request)
    return _file(*await service.staff_summary(mongo=mongo, actor=principal, agency_org_id=agency_id,
                                              fmt=pick_format(format, accept), font=font, pdf_error=error))


@router.get("/agencies/{agency_id}/staff/{staff_id}/record/export", response_class=Response,
            summary="One supervisor's record as PDF (preview/print)",
            responses={200: {"content": {"application/pdf": {}}}})
async def staff_record_pdf(agency_id: AgencyId, staff_id: Annotated[str, Path(max_length=64)],
                           principal: CurrentPrincipal, request: Request) -> Response:
    """HUN-09 导出 one supervisor's record (监督人员基本信息表) as PDF served inline: personal
    data and each certificate. 404 ``agency-not-found`` / ``staff-not-found`` for what the caller
    may not see; 503 ``pdf-unavailable``."""
    mongo, font, error = _state(request)
    return _file(*await service.staff_record_pdf(mongo=mongo, actor=principal, agency_org_id=agency_id,
                                                 staff_id=staff_id, font=font, pdf_error=error))
