"""HUN-02..HUN-08 over HTTP on the real servers (identity + personnel): a county agency's leader
fills its record step by step, the city sees it and a sibling county does not, the refusals
answer RFC 9457 problems naming the field, one set of figures per year even when two adds race."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from hunan_testkit import COUNTIES_AND_OFFICE, hunan_world

from anjian_local.scenario import PASSWORD, expect
from anjian_local.testing.fixtures import Platform, eventually
from anjian_shared import credit_code

T = "hunan"
API = "/api/personnel/v1/agencies"


async def _world(platform: Platform) -> dict[str, Any]:
    out = await hunan_world(platform, (*COUNTIES_AND_OFFICE[:2], ("changsha", "authority", "430100", "supervisor"),
                                       COUNTIES_AND_OFFICE[2]))
    async with platform.api(out["admin"]) as c:  # a supervisor of the county agency: reads, never writes
        expect(await c.post("/api/identity/v1/users", json={
            "org_id": out["furong_org"], "username": f"sup.{out['sfx']}", "display_name": "监督员",
            "password": PASSWORD, "roles": ["supervisor"]}), 201)
    out["furong_supervisor"] = await platform.sign_in(T, f"sup.{out['sfx']}", PASSWORD)
    return out


def _basic(**over: Any) -> dict[str, Any]:
    code = "12430102MB000000"
    code += "1"
    code += credit_code.check_character(code)
    return {"name": "芙蓉区监督站", "credit_code": code, "kind": "combined", "approved_headcount": 30,
            "address": "长沙市芙蓉区 1 号", "leader_name": "周建国", "leader_mobile": "13800000001", **over}


async def test_hun02_to_hun08_an_agency_fills_its_record_and_the_city_follows_its_progress(platform: Platform):
    w = await _world(platform)
    base = f"{API}/{w['furong_org']}"
    year = date.today().year
    async with platform.api(w["furong"]) as c:
        async def basic() -> dict[str, Any]:  # 404 until identity's organisation event has arrived
            return expect(await c.put(f"{base}/basic-info", json=_basic()), 200)
        detail = await eventually(basic, timeout=30)
        assert detail["progress"]["next_step"] == "staffing" and detail["progress"]["completed"] == 1

        missing = await c.put(f"{base}/basic-info", json={k: v for k, v in _basic().items() if k != "kind"})
        assert missing.status_code == 422 and "kind" in missing.text
        bad = await c.put(f"{base}/basic-info", json=_basic(credit_code=_basic()["credit_code"][:-1] + "Z"))
        assert bad.status_code == 422 and bad.json()["field"] == "credit_code"

        staff = expect(await c.post(f"{base}/staff", json={
            "name": "李明", "gender": "male", "birth_date": "1988-04-12", "post": "supervisor",
            "education": "bachelor", "title": "intermediate"}), 201)
        young = await c.post(f"{base}/staff", json={
            "name": "童工", "gender": "male", "birth_date": f"{year - 10}-01-01", "post": "other",
            "education": "college", "title": "none"})
        assert young.status_code == 422 and young.json()["field"] == "birth_date"
        changed = expect(await c.patch(f"{base}/staff/{staff['id']}", json={"title": "senior", "version": 1}), 200)
        assert changed["version"] == 2
        stale = await c.patch(f"{base}/staff/{staff['id']}", json={"title": "junior", "version": 1})
        assert stale.status_code == 409 and stale.json()["code"] == "version-mismatch"
        structure = expect(await c.get(f"{base}/staffing-structure"), 200)
        assert structure["total"] == 1 and structure["by_title"]["senior"] == 1 and not structure["frozen"]
        last_year = await c.get(f"{base}/staffing-structure", params={"year": year - 1})
        assert last_year.status_code == 404 and last_year.json()["code"] == "no-staffing-return-for-year"

        record = await c.get(f"{base}/annual-record/{year}")
        assert record.status_code == 422 and record.json()["code"] == "annual-record-incomplete"
        assert record.json()["field"] == "supervised_projects"

        figures = {"year": year, "projects": 12, "new_projects": 4, "completed_projects": 3,
                   "floor_area_10k_m2": 35.5, "investment_10k_yuan": 81000}
        racing = await asyncio.gather(*(c.post(f"{base}/project-figures", json=figures) for _ in range(4)))
        assert sorted(r.status_code for r in racing) == [201, 409, 409, 409]
        assert all(r.json()["code"] == "figures-exist-for-year" for r in racing if r.status_code == 409)
        funding = expect(await c.post(f"{base}/funding-figures", json={
            "year": year, "fiscal_10k_yuan": 80, "other_income_10k_yuan": 3.5, "personnel_costs_10k_yuan": 60,
            "operating_costs_10k_yuan": 19, "equipment_costs_10k_yuan": 4}), 201)
        assert funding["figures"]["income_total_10k_yuan"] == 83.5
        assert funding["figures"]["expenditure_total_10k_yuan"] == 83
        mismatch = await c.put(f"{base}/funding-figures/{year - 1}", json={**funding["figures"], "year": year})
        assert mismatch.status_code == 422
        qualification = expect(await c.put(f"{base}/qualification", json={
            "certificate_number": "湘监资2026-001", "issued_on": f"{year}-01-01",
            "valid_until": f"{year + 2}-12-31"}), 200)
        assert qualification["status"] == "pending"
        record = expect(await c.get(f"{base}/annual-record/{year}"), 200)
        assert record["staffing"]["total"] == 1 and record["progress"]["next_step"] is None

    async with platform.api(w["furong_supervisor"]) as c:  # reads its agency, never writes it
        expect(await c.get(base), 200)
        role = await c.post(f"{base}/staff", json={
            "name": "某", "gender": "male", "birth_date": "1990-01-01", "post": "other", "education": "college",
            "title": "none"})
        assert role.status_code == 403 and role.json()["code"] == "permission-missing"  # agencies.write

    async with platform.api(w["changsha"]) as c:  # the city sees its counties' agencies
        listed = expect(await c.get(API, params={"limit": 100}), 200)
        ids = {i["agency"]["org_id"] for i in listed["items"]}
        assert {w["furong_org"], w["yuelu_org"]} <= ids
        assert expect(await c.get(base), 200)["progress"]["completed"] == 5
        decide = await c.post(f"{base}/qualification/decision", json={"decision": "verify"})
        assert decide.status_code == 403 and decide.json()["code"] == "not-province-office"

    async with platform.api(w["yuelu"]) as c:  # a sibling county: not even there
        assert (await c.get(base)).status_code == 404
        assert (await c.get(f"{base}/staff")).status_code == 404
        assert {i["agency"]["org_id"] for i in expect(await c.get(API), 200)["items"]} == {w["yuelu_org"]}

    async with platform.api(w["office"]) as c:  # the province office decides the qualification
        no_reason = await c.post(f"{base}/qualification/decision", json={"decision": "reject"})
        assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
        verified = expect(await c.post(f"{base}/qualification/decision", json={"decision": "verify"}), 200)
        assert verified["status"] == "verified"
        assert expect(await c.get(base), 200)["progress"]["qualification_status"] == "verified"

    async with platform.api(await platform.admin_token("hubei")) as c:  # another province's administrator
        assert (await c.get(base)).status_code == 404


async def test_hun16_hun18_a_group_assessment_and_a_dynamic_score_over_http(platform: Platform):
    w = await _world(platform)
    year = date.today().year
    async with platform.api(w["furong"]) as c:
        async def staff() -> dict[str, Any]:  # 404 until identity's organisation event has arrived
            return expect(await c.post(f"{API}/{w['furong_org']}/staff", json={
                "name": "李明", "gender": "male", "birth_date": "1988-04-12", "post": "supervisor",
                "education": "bachelor", "title": "intermediate"}), 201)
        member = await eventually(staff, timeout=30)
        catalog = expect(await c.get("/api/personnel/v1/assessment-catalog", params={"kind": "deduction"}), 200)
        assert catalog and "NOT an official standard" in catalog[0]["source"]
        sheet = expect(await c.post("/api/personnel/v1/assessments", json={
            "kind": "group", "assessed_staff_ids": [member["id"]]}), 201)
        base = f"/api/personnel/v1/assessments/{sheet['id']}"
        unknown = await c.post(f"{base}/projects", json={"project_name": "p", "construction_unit": "u",
                                                         "deductions": [{"code": "NOPE"}]})
        assert unknown.status_code == 422 and unknown.json()["field"] == "deductions.0.code"
        points = {i["code"]: i["points"] for i in catalog}
        expect(await c.post(f"{base}/projects", json={"project_name": "湘江某住宅", "construction_unit": "某置业",
                                                      "deductions": [{"code": "D02"}]}), 201)
        expect(await c.post(f"{base}/projects", json={"project_name": "岳麓某学校", "construction_unit": "某教育局",
                                                      "deductions": []}), 201)
        drafts = expect(await c.get("/api/personnel/v1/assessments", params={"status": "draft"}), 200)
        assert [d["id"] for d in drafts["items"]] == [sheet["id"]], "resume from the list of drafts"
        done = expect(await c.post(f"{base}/submission"), 200)
        expected = (100 - points["D02"] + 100) / 2
        assert done["score"] == f"{expected:.2f}"
        late = await c.put(f"{base}/projects/0", json={"project_name": "改", "construction_unit": "改",
                                                       "deductions": []})
        assert late.status_code == 409 and late.json()["code"] == "assessment-submitted"

        entry = expect(await c.post("/api/personnel/v1/dynamic-scores", json={
            "staff_id": member["id"], "date": f"{year}-01-02", "reason_codes": ["R04"]}), 201)
        expect(await c.post(f"/api/personnel/v1/dynamic-scores/{entry['id']}/approval"), 200)
        gone = await c.delete(f"/api/personnel/v1/dynamic-scores/{entry['id']}")
        assert gone.status_code == 409 and gone.json()["code"] == "score-already-approved"
        total = expect(await c.get(f"{API}/{w['furong_org']}/staff/{member['id']}/dynamic-score",
                                   params={"year": year}), 200)
        reasons = expect(await c.get("/api/personnel/v1/assessment-catalog", params={"kind": "scoring_reason"}), 200)
        r04 = {i["code"]: i["points"] for i in reasons}["R04"]
        assert total["total"] == r04 and total["pending"] == 0
        assert total["flagged"] == (r04 >= total["threshold"])
    async with platform.api(w["yuelu"]) as c:  # a sibling county: neither the sheet nor the entry
        assert (await c.get(base)).status_code == 404
        assert (await c.post(f"/api/personnel/v1/dynamic-scores/{entry['id']}/approval")).status_code == 404
