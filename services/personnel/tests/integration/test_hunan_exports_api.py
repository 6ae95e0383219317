"""HUN-03 exports over HTTP on the real servers (identity + personnel): the format from
``?format`` or the Accept header, PDF served inline and XLSX as an attachment, the annual record
refused until complete, who may export which summary, totals that add up in the file."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from hunan_testkit import COUNTIES_AND_OFFICE, hunan_world
from openpyxl import load_workbook

from anjian_local.scenario import expect
from anjian_local.testing.fixtures import Platform, eventually
from anjian_shared import credit_code

API = "/api/personnel/v1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _basic() -> dict[str, Any]:
    code = "12430102MB0000001"
    return {"name": "芙蓉区监督站", "credit_code": code + credit_code.check_character(code), "kind": "combined",
            "approved_headcount": 30, "address": "长沙市芙蓉区 1 号", "leader_name": "周建国",
            "leader_mobile": "13800000001"}


async def test_hun03_exports_over_http_format_disposition_refusals_and_totals(platform: Platform):
    """HUN-03: annual record PDF (inline; 422 until complete; 404 for a sibling county), the
    province summary as XLSX by Accept (attachment) and PDF by default, the city's summary refused
    to a county, a survey whose 合计 adds up."""
    w = await hunan_world(platform, (*COUNTIES_AND_OFFICE, ("changsha", "authority", "430100", "supervisor")))
    year = date.today().year
    base = f"{API}/agencies/{w['furong_org']}"
    async with platform.api(w["furong"]) as c:
        async def basic() -> dict[str, Any]:  # 404 until identity's organisation event has arrived
            return expect(await c.put(f"{base}/basic-info", json=_basic()), 200)
        await eventually(basic, timeout=30)
        early = await c.get(f"{base}/annual-record/{year}/export")
        assert early.status_code == 422 and early.json()["code"] == "annual-record-incomplete"
        assert early.json()["field"] == "staffing"
        for name in ("李明", "王芳"):
            expect(await c.post(f"{base}/staff", json={
                "name": name, "gender": "male", "birth_date": "1988-04-12", "post": "supervisor",
                "education": "bachelor", "title": "intermediate"}), 201)
        expect(await c.post(f"{base}/project-figures", json={
            "year": year, "projects": 12, "new_projects": 4, "completed_projects": 3, "floor_area_10k_m2": 35.5,
            "investment_10k_yuan": 81000}), 201)
        expect(await c.post(f"{base}/funding-figures", json={
            "year": year, "fiscal_10k_yuan": 80, "other_income_10k_yuan": 3.5, "personnel_costs_10k_yuan": 60,
            "operating_costs_10k_yuan": 19, "equipment_costs_10k_yuan": 4}), 201)
        expect(await c.put(f"{base}/qualification", json={
            "certificate_number": "湘监资2026-001", "issued_on": f"{year}-01-01", "valid_until": f"{year + 2}-12-31"}),
            200)
        pdf = await c.get(f"{base}/annual-record/{year}/export")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"].startswith("inline") and pdf.headers["cache-control"] == \
            "private, no-store"
        refused = await c.get(f"{API}/agency-exports/annual-summary", params={"year": year})
        assert refused.status_code == 403 and refused.json()["code"] == "not-province-office"
        city = await c.get(f"{API}/agency-exports/annual-summary", params={"year": year, "division_code": "430100"})
        assert city.status_code == 403 and city.json()["code"] == "summary-outside-jurisdiction"
    async with platform.api(w["yuelu"]) as other:
        hidden = await other.get(f"{base}/annual-record/{year}/export")
        assert hidden.status_code == 404 and hidden.json()["code"] == "agency-not-found"
    async with platform.api(w["office"]) as office:
        by_accept = await office.get(f"{API}/agency-exports/annual-summary", params={"year": year},
                                     headers={"Accept": XLSX})
        assert by_accept.status_code == 200 and by_accept.headers["content-type"].startswith(XLSX)
        assert by_accept.headers["content-disposition"].startswith("attachment")
        rows = [list(r) for r in load_workbook(io.BytesIO(by_accept.content)).active.iter_rows(values_only=True)]
        header, body, total = rows[0], rows[1:-1], rows[-1]
        ours = next(r for r in body if r[1] == "430102" and r[0] == "芙蓉区监督站" and r[4] == 2)
        assert ours[header.index("监督工程(个)")] == 12
        for col in ("在职人数", "核定编制", "监督工程(个)", "经费支出(万元)"):
            i = header.index(col)
            assert total[i] == sum(r[i] or 0 for r in body), col
        default = await office.get(f"{API}/agency-exports/annual-summary", params={"year": year})
        assert default.status_code == 200 and default.content.startswith(b"%PDF")
        assert default.headers["content-disposition"].startswith("inline")
        bad = await office.get(f"{API}/agency-exports/annual-summary", params={"year": year, "format": "docx"})
        assert bad.status_code == 422
    async with platform.api(w["changsha"]) as city:
        survey = await city.get(f"{API}/agency-exports/survey", params={"year": year, "kind": "combined",
                                                                        "format": "xlsx"})
        assert survey.status_code == 200, survey.text
        rows = [list(r) for r in load_workbook(io.BytesIO(survey.content)).active.iter_rows(values_only=True)]
        assert rows[-1][0] == "合计" and all(r[1].startswith("4301") for r in rows[1:-1])
        assert rows[-1][rows[0].index("在职人数")] == sum(r[rows[0].index("在职人数")] or 0 for r in rows[1:-1])


async def test_hun09_to_hun18_summary_exports_over_http(platform: Platform):
    """HUN-09..18: the summaries as files over HTTP — staff (HUN-09), certificate applications
    (HUN-10..12), training (HUN-13/14), assessments (HUN-16/17), scoring (HUN-18): each answers its
    file to whom it concerns, and a company is refused."""
    w = await hunan_world(platform)
    year = date.today().year
    base = f"{API}/agencies/{w['furong_org']}"
    async with platform.api(w["furong"]) as c:
        async def add() -> dict[str, Any]:  # 404 until identity's organisation event has arrived
            return expect(await c.post(f"{base}/staff", json={
                "name": "李明", "gender": "male", "birth_date": "1988-04-12", "post": "supervisor",
                "education": "bachelor", "title": "intermediate"}), 201)
        member = await eventually(add, timeout=30)
        entry = expect(await c.post(f"{API}/dynamic-scores", json={
            "staff_id": member["id"], "date": f"{year}-01-02", "reason_codes": ["R04"]}), 201)
        expect(await c.post(f"{API}/dynamic-scores/{entry['id']}/approval"), 200)
        record = await c.get(f"{base}/staff/{member['id']}/record/export")
        assert record.status_code == 200 and record.content.startswith(b"%PDF")
        assert record.headers["content-disposition"].startswith("inline")
        for path, params in (("staff-summary", {}), ("scoring-summary", {"year": year}),
                             ("training-summary", {}), ("certificate-applications-summary", {}),
                             ("assessments-summary", {})):
            r = await c.get(f"{API}/agency-exports/{path}", params={**params, "format": "xlsx"})
            assert r.status_code == 200 and r.headers["content-type"].startswith(XLSX), (path, r.text[:200])
            rows = [list(x) for x in load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True)]
            assert rows[-1][0] == "合计", path
        scoring = await c.get(f"{API}/agency-exports/scoring-summary", params={"year": year, "format": "xlsx"})
        rows = [list(x) for x in load_workbook(io.BytesIO(scoring.content)).active.iter_rows(values_only=True)]
        assert rows[1][1] == "李明" and rows[-1][2:4] == [1, 12]
    async with platform.api(w["yuelu"]) as other:
        hidden = await other.get(f"{base}/staff/{member['id']}/record/export")
        assert hidden.status_code == 404
