"""Hunan agencies' exports (HUN-03): use cases.

Each loads the records the caller may see, builds a ``domain.exports.Table`` and renders it
through the one export helper (``adapters.export_documents.render``) in a worker thread.
Results are ``(file name, bytes, media type)``; the router serves a PDF ``inline`` (preview,
print) and an XLSX as an ``attachment`` (download). Without a CJK font a PDF answers 503
``pdf-unavailable``; the XLSX still works.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from anjian_shared import divisions
from anjian_shared.china_time import china_day
from anjian_shared.errors import NotFound, ServiceUnavailable
from anjian_shared.pdf_fonts import CjkFont
from anjian_shared.principal import Principal
from anjian_shared.types import utcnow

from ..adapters import export_documents as documents
from ..adapters.store import FIGURES, ORGANIZATIONS, QUALIFICATIONS, RECORDS, RETURNS, STAFF
from ..domain import agencies as rules
from ..domain import exports
from . import agencies as agency_cases
from . import certificates as certificate_cases
from . import training as training_cases
from .assessments import ASSESSMENTS, SCORES

EXPORT_MAX_AGENCIES = 5000
"""The most agencies one summary holds (a province has a few hundred)."""


def _today() -> date:
    return china_day(utcnow())


def need_font(font: CjkFont | None, fmt: str, pdf_error: str | None = None) -> CjkFont | None:
    """The font when a PDF is asked for: 503 ``pdf-unavailable`` (with the reason) without one."""
    if fmt == "pdf" and font is None:
        raise ServiceUnavailable(f"PDF exports can't be rendered: {pdf_error or 'no CJK font'}", slug="pdf-unavailable")
    return font


async def annual_record_pdf(*, mongo: Any, actor: Principal, agency_org_id: str, year: int,
                            font: CjkFont | None, pdf_error: str | None = None) -> tuple[str, bytes, str]:
    """HUN-03 one agency's annual record (监督机构年度情况表) as PDF: basic information, the
    year's staffing structure (frozen for a past year), supervised projects, funding and
    qualification. 422 ``annual-record-incomplete`` naming what is missing (as the JSON record);
    404 ``agency-not-found`` when the caller may not see the agency; 503 ``pdf-unavailable``."""
    font = need_font(font, "pdf", pdf_error)
    record = await agency_cases.annual_record(mongo=mongo, actor=actor, agency_org_id=agency_org_id, year=year)
    name = (record.get("basic_info") or {}).get("name") or record["agency"].get("name", "")
    title = "监督机构年度情况表"
    pdf = await asyncio.to_thread(documents.record_pdf, font, title=title, subtitle=f"{name} {year}年度",
                                  sections=exports.annual_record_sections(record, year))
    return f"{name}{year}年度情况表.pdf", pdf, documents.PDF


async def _staffing(mongo: Any, tenant: str, agency_org_id: str, year: int, today: date) -> dict[str, Any] | None:
    if year == today.year:
        staff = await mongo.repo(STAFF, tenant).find({"agency_org_id": agency_org_id, "deleted": False}, limit=0)
        return {**rules.staffing_structure(staff, year), "frozen": False}
    frozen = await mongo.repo(RETURNS, tenant).get(f"{agency_org_id}:{year}")
    return {**frozen["structure"], "frozen": True} if frozen else None


async def agency_rows(*, mongo: Any, tenant: str, orgs: list[dict[str, Any]], year: int) -> list[dict[str, Any]]:
    """Per agency of ``orgs`` the data of a summary row for ``year``: ``agency``, ``basic_info``,
    ``staffing`` (None for a past year not frozen), ``projects``, ``funding``,
    ``qualification_status``."""
    today = _today()
    items = []
    for org in orgs:
        oid = org["org_id"]
        record = await mongo.repo(RECORDS, tenant).get(oid)
        items.append({"agency": org, "basic_info": (record or {}).get("basic_info"),
                      "staffing": await _staffing(mongo, tenant, oid, year, today),
                      "projects": await mongo.repo(FIGURES, tenant).get(f"{oid}:projects:{year}"),
                      "funding": await mongo.repo(FIGURES, tenant).get(f"{oid}:funding:{year}"),
                      "qualification_status": rules.qualification_status(
                          await mongo.repo(QUALIFICATIONS, tenant).get(oid), today)})
    return items


async def _render(table: exports.Table, fmt: str, font: CjkFont | None) -> tuple[str, bytes, str]:
    data, media = await asyncio.to_thread(documents.render, font, table, fmt)
    return f"{table.title}{table.subtitle.split(' ')[-1]}.{fmt}", data, media


async def annual_summary(*, mongo: Any, actor: Principal, year: int, division_code: str | None, fmt: str,
                         font: CjkFont | None, pdf_error: str | None = None) -> tuple[str, bytes, str]:
    """HUN-03 省/市级机构情况年度汇总表: without ``division_code`` the province's (province
    office only, 403 ``not-province-office``), with a city code that city's agencies (the province
    office or the city itself; 403 ``summary-outside-jurisdiction``; 422 ``division-not-a-city``).
    Rows per agency, 合计 last. 422 ``year-out-of-range``."""
    font = need_font(font, fmt, pdf_error)
    rules.check_year(year, _today())
    own = await mongo.repo(ORGANIZATIONS, actor.tenant).get(actor.org_id)
    prefix = exports.summary_scope(division_code, (own or {}).get("division_code"),
                                   province_office=rules.is_province_office(actor, own), actor_kind=actor.org_kind)
    orgs = await mongo.repo(ORGANIZATIONS, actor.tenant).find(
        {"kind": "agency", "division_code": {"$regex": f"^{prefix}"}}, sort=[("name", 1)], limit=EXPORT_MAX_AGENCIES)
    items = await agency_rows(mongo=mongo, tenant=actor.tenant, orgs=orgs, year=year)
    city = divisions.get(division_code) if division_code else None
    table = exports.annual_summary(items, year=year, scope_name=city.name if city else "全省", city=city is not None)
    return await _render(table, fmt, font)


async def survey(*, mongo: Any, actor: Principal, kind: str, year: int, fmt: str, font: CjkFont | None,
                 pdf_error: str | None = None) -> tuple[str, bytes, str]:
    """HUN-03 调查汇总表 of combined / quality / safety / all agencies for ``year``: the agencies
    the caller sees (HUN-02: the province all, a city its counties', an agency itself; a company
    none → 404 ``agency-not-found``), staffing structure per agency, 合计 last."""
    font = need_font(font, fmt, pdf_error)
    rules.check_year(year, _today())
    own = await mongo.repo(ORGANIZATIONS, actor.tenant).get(actor.org_id)
    orgs = await mongo.repo(ORGANIZATIONS, actor.tenant).find(rules.visible_filter(actor, own), sort=[("name", 1)],
                                                             limit=EXPORT_MAX_AGENCIES)
    if not orgs:
        raise NotFound("no supervision agency is visible to the caller", slug="agency-not-found")
    items = await agency_rows(mongo=mongo, tenant=actor.tenant, orgs=orgs, year=year)
    division = divisions.get((own or {}).get("division_code") or "")
    table = exports.survey(items, kind=kind, year=year, scope_name=division.name if division else "")
    return await _render(table, fmt, font)


# -- HUN-09..18 summaries as files ------------------------------------------------------------------


async def _names(mongo: Any, tenant: str, org_ids: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for oid in sorted(org_ids):
        record = await mongo.repo(RECORDS, tenant).get(oid)
        org = await mongo.repo(ORGANIZATIONS, tenant).get(oid)
        out[oid] = ((record or {}).get("basic_info") or {}).get("name") or (org or {}).get("name") or oid
    return out


async def training_summary(*, mongo: Any, actor: Principal, kind: str | None, session_id: str | None, fmt: str,
                           font: CjkFont | None, pdf_error: str | None = None) -> tuple[str, bytes, str]:
    """HUN-13/14 报名总汇表 / 考核总汇表 as a file: the rows of ``GET /training-summary`` (the office
    every agency, an agency its own) named, with the 合计 row."""
    font = need_font(font, fmt, pdf_error)
    summary = await training_cases.summary(mongo=mongo, actor=actor, kind=kind, session_id=session_id)
    names = await _names(mongo, actor.tenant, {r["agency_org_id"] for r in summary["rows"]})
    return await _render(exports.training_summary(summary, names, kind=kind), fmt, font)


async def scoring_summary(*, mongo: Any, actor: Principal, year: int, fmt: str, font: CjkFont | None,
                          pdf_error: str | None = None) -> tuple[str, bytes, str]:
    """HUN-18 记分总汇表 of ``year``: the entries of the agencies the caller sees (the province all,
    a city its counties', an agency itself; a company 404 ``agency-not-found``), per person."""
    font = need_font(font, fmt, pdf_error)
    rules.check_year(year, _today())
    own = await mongo.repo(ORGANIZATIONS, actor.tenant).get(actor.org_id)
    orgs = await mongo.repo(ORGANIZATIONS, actor.tenant).find(rules.visible_filter(actor, own),
                                                             limit=EXPORT_MAX_AGENCIES, projection={"org_id": 1})
    if not orgs:
        raise NotFound("no supervision agency is visible to the caller", slug="agency-not-found")
    ids = [o["org_id"] for o in orgs]
    entries = await mongo.repo(SCORES, actor.tenant).find({"agency_org_id": {"$in": ids}, "year": year}, limit=0)
    names = await _names(mongo, actor.tenant, {e["agency_org_id"] for e in entries})
    return await _render(exports.scoring_summary(entries, names, year=year), fmt, font)


async def applications_summary(*, mongo: Any, actor: Principal, kind: str | None, fmt: str, font: CjkFont | None,
                               pdf_error: str | None = None) -> tuple[str, bytes, str]:
    """HUN-10..12 汇总表 of certificate applications: what ``GET /certificate-applications`` shows
    the caller (the province office those submitted to it, an agency its own; a company 403), per
    agency and stage."""
    font = need_font(font, fmt, pdf_error)
    apps = await certificate_cases.list_applications(mongo=mongo, actor=actor, kind=kind, limit=0)
    names = await _names(mongo, actor.tenant, {a["agency_org_id"] for a in apps})
    return await _render(exports.applications_summary(apps, names, kind=kind), fmt, font)


async def assessments_summary(*, mongo: Any, actor: Principal, kind: str | None, fmt: str, font: CjkFont | None,
                              pdf_error: str | None = None) -> tuple[str, bytes, str]:
    """HUN-16/17 考核情况汇总表: the submitted sheets the caller's organisation made (``kind``
    group | agency), per assessed agency: sheets, projects, mean / lowest / highest score."""
    font = need_font(font, fmt, pdf_error)
    flt: dict[str, Any] = {"assessor_org_id": actor.org_id, "status": "submitted"}
    if kind:
        flt["kind"] = kind
    sheets = await mongo.repo(ASSESSMENTS, actor.tenant).find(flt, limit=0)
    names = await _names(mongo, actor.tenant, {s["agency_org_id"] for s in sheets})
    return await _render(exports.assessments_summary(sheets, names), fmt, font)


async def staff_summary(*, mongo: Any, actor: Principal, agency_org_id: str | None, fmt: str, font: CjkFont | None,
                        pdf_error: str | None = None) -> tuple[str, bytes, str]:
    """HUN-09 导出汇总表: the current staff of the agencies the caller sees (or of one of them,
    ``agency_org_id``; 404 ``agency-not-found`` when not visible), with their certificates."""
    font = need_font(font, fmt, pdf_error)
    if agency_org_id is not None:
        await agency_cases.readable_agency(mongo, actor, agency_org_id)
        ids = [agency_org_id]
    else:
        own = await mongo.repo(ORGANIZATIONS, actor.tenant).get(actor.org_id)
        ids = [o["org_id"] for o in await mongo.repo(ORGANIZATIONS, actor.tenant).find(
            rules.visible_filter(actor, own), limit=EXPORT_MAX_AGENCIES, projection={"org_id": 1})]
        if not ids:
            raise NotFound("no supervision agency is visible to the caller", slug="agency-not-found")
    staff = await mongo.repo(STAFF, actor.tenant).find({"agency_org_id": {"$in": ids}, "deleted": False}, limit=0)
    names = await _names(mongo, actor.tenant, {p["agency_org_id"] for p in staff})
    return await _render(exports.staff_summary(staff, names), fmt, font)


async def staff_record_pdf(*, mongo: Any, actor: Principal, agency_org_id: str, staff_id: str,
                           font: CjkFont | None, pdf_error: str | None = None) -> tuple[str, bytes, str]:
    """HUN-09 导出 one supervisor's record (监督人员基本信息表) as PDF: personal data and each
    certificate. 404 ``agency-not-found`` / ``staff-not-found`` as the record itself."""
    font = need_font(font, "pdf", pdf_error)
    record = await certificate_cases.personal_record(mongo=mongo, actor=actor, agency_org_id=agency_org_id,
                                                     staff_id=staff_id)
    agency_name = (await _names(mongo, actor.tenant, {agency_org_id}))[agency_org_id]
    pdf = await asyncio.to_thread(documents.record_pdf, font, title="监督人员基本信息表",
                                  subtitle=f"{agency_name} {record.get('name', '')}",
                                  sections=exports.staff_record_sections(record, agency_name))
    return f"{record.get('name', '')}基本信息表.pdf", pdf, documents.PDF
