"""``make demo``, Hunan part: the supervision agencies' own system (HUN-01..HUN-18) over HTTP.

In 长沙市 (GB/T 2260 ``430100``): the county agency 芙蓉区监督站 (``430102``) completes its record
(basic information → staff → supervised projects → funding → qualification, HUN-02..08) and adds
three supervisors with safety certificates (HUN-05, HUN-09) → applies for a certificate change
(HUN-10): the province office returns it once, it is resubmitted, accepted and approved (the
certificate takes the new number) → the office opens a continuing-education session with two
seats for the agency (HUN-15): two staff register (HUN-14), the third is refused 409
``training-quota-exhausted`` → the city (长沙市住建局) assesses the county agency (层级考核,
HUN-17: a project with its deductions, submitted) → a dynamic score of one supervisor is approved
by the agency's leader (HUN-18; with reporting running, the to-do appears first, HUN-01) → the
agency's annual record PDF and the province's annual summary XLSX are written (HUN-03).

``play_hunan`` is also what the end-to-end test runs.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from anjian_shared.china_time import china_today

from .demo import Say
from .media import site_photo
from .scenario import PASSWORD, ApiFactory, expect, sign_in

T = "hunan"
P = "/api/personnel/v1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _credit_code(body: str) -> str:
    from anjian_shared import credit_code

    return body + credit_code.check_character(body)


async def arrived(send: Any, *, timeout: float = 30) -> httpx.Response:
    """``await send()`` again while personnel does not know an organisation yet — identity's
    organisation event is on its way: 404 (the agency), 403 (the office not recognised yet),
    422 naming ``authority_org_id`` (the office to submit to) — and return the final answer."""
    deadline = time.monotonic() + timeout
    while True:
        r = await send()
        waiting = r.status_code in (403, 404) or (r.status_code == 422 and r.json().get("field") == "authority_org_id")
        if not waiting or time.monotonic() > deadline:
            return r
        await asyncio.sleep(0.2)


def _photo(name: str, seed: int) -> dict[str, Any]:
    return {"photo": (name, site_photo(seed, (320, 240)), "image/jpeg")}


async def build_hunan(api: ApiFactory, *, admin_password: str, suffix: str | None = None) -> dict[str, Any]:
    """The Changsha world in tenant hunan: the county agency 芙蓉区监督站 (430102, leader 周建国),
    the city authority 长沙市住建局 (430100, supervisor 陈刚), the province office 湖南省住建厅
    (430000, 刘芳). Returns tokens (``leader``, ``city``, ``office``) and org ids (``agency``,
    ``city_org``, ``office_org``)."""
    sfx = suffix or secrets.token_hex(3)
    admin = await sign_in(api, T, "admin", admin_password)
    out: dict[str, Any] = {"sfx": sfx, "admin": admin}
    async with api(admin) as c:
        for key, name, kind, division, person, role in (
                ("agency", "长沙市芙蓉区建设工程质量安全监督站", "agency", "430102", "周建国", "station_leader"),
                ("city_org", "长沙市住房和城乡建设局", "authority", "430100", "陈刚", "supervisor"),
                ("office_org", "湖南省住房和城乡建设厅", "authority", "430000", "刘芳", "station_leader")):
            org = expect(await c.post("/api/identity/v1/organizations", json={
                "name": f"{name}{sfx}", "kind": kind, "division_code": division}), 201)["id"]
            out[key] = org
            user = {"agency": "leader", "city_org": "city", "office_org": "office"}[key]
            expect(await c.post("/api/identity/v1/users", json={
                "org_id": org, "username": f"hn.{user}.{sfx}", "display_name": person, "password": PASSWORD,
                "roles": [role]}), 201)
            out[user] = await sign_in(api, T, f"hn.{user}.{sfx}", PASSWORD)
    return out


async def play_hunan(api: ApiFactory, *, admin_password: str, out_dir: Path, say: Say = print,
                     with_todos: bool = False) -> dict[str, Any]:
    """Play the Hunan flow (see the module). ``with_todos``: reporting runs, so the leader's
    to-do for the dynamic score is awaited before approving. Returns ids, refusals and files."""
    say("⑳ 湖南：长沙市芙蓉区监督站 (430102)、长沙市住建局 (430100)、湖南省住建厅 (430000)")
    w = await build_hunan(api, admin_password=admin_password)
    agency = w["agency"]
    base = f"{P}/agencies/{agency}"
    year = china_today().year
    out: dict[str, Any] = {"refusals": {}, "agency": agency, "year": year, "tokens": w}
    async with api(w["leader"]) as c, api(w["office"]) as office, api(w["city"]) as city:
        say("㉑ 监督机构信息完善：基本信息 → 人员 → 监督工程 → 监督经费 → 资格验证 (HUN-02..08)")
        expect(await arrived(lambda: c.put(f"{base}/basic-info", json={
            "name": "长沙市芙蓉区建设工程质量安全监督站", "credit_code": _credit_code("12430102MB0000001"),
            "kind": "combined", "approved_headcount": 30, "address": "长沙市芙蓉区五一大道 1 号",
            "leader_name": "周建国", "leader_mobile": "13800000001"})), 200)
        staff = []
        for i, (name, born) in enumerate((("李明", "1988-04-12"), ("王芳", "1979-09-30"), ("赵强", "1992-02-03"))):
            member = expect(await c.post(f"{base}/staff", json={
                "name": name, "gender": "female" if name == "王芳" else "male", "birth_date": born,
                "post": "supervisor", "education": "bachelor", "title": "intermediate"}), 201)
            held = expect(await c.post(f"{base}/staff/{member['id']}/certificates", data={
                "kind": "safety", "number": f"湘安监2022-{w['sfx']}{i}", "issued_on": "2022-05-01",
                "valid_until": f"{year + 3}-04-30"}, files=_photo("cert.jpg", i)), 201)
            staff.append(held)
        expect(await c.post(f"{base}/project-figures", json={
            "year": year, "projects": 128, "new_projects": 40, "completed_projects": 35, "floor_area_10k_m2": 356.5,
            "investment_10k_yuan": 812000}), 201)
        expect(await c.post(f"{base}/funding-figures", json={
            "year": year, "fiscal_10k_yuan": 820, "other_income_10k_yuan": 35.5, "personnel_costs_10k_yuan": 610,
            "operating_costs_10k_yuan": 190, "equipment_costs_10k_yuan": 40}), 201)
        expect(await c.put(f"{base}/qualification", json={
            "certificate_number": f"湘监资{year}-{w['sfx']}", "issued_on": f"{year}-01-01",
            "valid_until": f"{year + 2}-12-31"}), 200)
        progress = expect(await c.get(base), 200)["progress"]
        say(f"   完成 {progress['completed']}/{progress['of']} 步；3 名持安全监督证书的监督人员")

        say("㉒ 证书变更 (HUN-10)：省住建厅退回一次，重新上报后受理、准予，证书换新编号")
        first = staff[0]
        cert = first["certificates"][0]
        app = expect(await c.post(f"{P}/certificate-applications", data={
            "kind": "cert_change", "staff_id": first["id"], "certificate_id": cert["id"], "change_types": ["number"],
            "new_number": f"湘安监{year}-{w['sfx']}N"}, files=_photo("new.jpg", 9)), 201)
        apps = f"{P}/certificate-applications/{app['id']}"
        submit = {"authority_org_id": w["office_org"]}
        expect(await arrived(lambda: c.post(f"{apps}/submit", json=submit)), 200)
        expect(await office.post(f"{apps}/decision", json={"action": "return", "comment": "新证书照片不清晰"}), 200)
        expect(await c.post(f"{apps}/submit", json={**submit, "comment": "已重新上传"}), 200)
        expect(await office.post(f"{apps}/decision", json={"action": "accept"}), 200)
        approved = expect(await office.post(f"{apps}/decision", json={"action": "approve", "comment": "准予"}), 200)
        out["certificate_application"] = {"id": app["id"], "stage": approved["stage"],
                                          "steps": [s["action"] for s in approved["history"]]}
        say(f"   {approved['stage_label']}：{' → '.join(s['label'] for s in approved['history'])}")

        say("㉓ 继续教育 (HUN-14/15)：档期 5 个名额，给芙蓉区 2 个；两人报名成功，第三人被拒绝")
        start = china_today() + timedelta(days=30)
        session = expect(await arrived(lambda: office.post(f"{P}/training-sessions", json={
            "kind": "continuing", "title": f"{year + 1} 年第一期继续教育", "starts_on": start.isoformat(),
            "ends_on": (start + timedelta(days=2)).isoformat(), "capacity": 5})), 201)
        expect(await arrived(lambda: office.put(f"{P}/training-sessions/{session['id']}/quotas/{agency}",
                                                json={"seats": 2})), 200)
        registrations = []
        for i, member in enumerate(staff):
            r = await c.post(f"{P}/training-registrations", json={
                "kind": "continuing", "staff_id": member["id"], "session_id": session["id"],
                "personal": {"id_number": f"43010219880412001{i}", "mobile": f"1380000001{i}"}})
            registrations.append(r)
        assert [r.status_code for r in registrations] == [201, 201, 409], [r.text for r in registrations]
        refused = registrations[2].json()
        assert refused["code"] == "training-quota-exhausted", refused
        out["refusals"]["training-quota-exhausted"] = refused["detail"]
        say(f"   拒绝 409 training-quota-exhausted：{refused['detail']}")

        say("㉔ 长沙市住建局对芙蓉区监督站层级考核 (HUN-17)：一个工程扣分后提交")
        sheet = expect(await arrived(lambda: city.post(f"{P}/assessments", json={
            "kind": "agency", "assessed_agency_id": agency, "title": f"{year} 年度层级考核"})), 201)
        expect(await city.post(f"{P}/assessments/{sheet['id']}/projects", json={
            "project_name": "长沙芙蓉区某安置房项目", "construction_unit": "长沙城发置业有限公司",
            "deductions": [{"code": "D02"}]}), 201)
        assessed = expect(await city.post(f"{P}/assessments/{sheet['id']}/submission"), 200)
        out["assessment_score"] = assessed["score"]
        say(f"   考核得分 {assessed['score']}")

        say("㉕ 动态考核记分 (HUN-18)：记分待机构负责人审批（首页待办，HUN-01），负责人审批")
        entry = expect(await c.post(f"{P}/dynamic-scores", json={
            "staff_id": staff[1]["id"], "date": china_today().isoformat(), "reason_codes": ["R02"]}), 201)
        if with_todos:
            async def todo() -> dict[str, Any] | None:
                r = expect(await c.get("/api/reporting/v1/todos", params={"limit": 100}), 200)
                return next((t for t in r["items"] if t.get("object_id") == entry["id"]), None)

            deadline = time.monotonic() + 60
            while (found := await todo()) is None and time.monotonic() < deadline:
                await asyncio.sleep(0.3)
            assert found is not None, "the leader's to-do did not arrive"
            out["todo"] = found
            say(f"   待办：{found['title']}（{found['api_path']}）")
        approved_score = expect(await c.post(f"{P}/dynamic-scores/{entry['id']}/approval"), 200)
        out["score"] = {"id": entry["id"], "points": approved_score["points"], "status": approved_score["status"]}
        say(f"   {staff[1]['name']} 记 {approved_score['points']} 分，{approved_score['status']}")

        say("㉖ 导出 (HUN-03)：监督机构年度情况表 PDF、全省机构情况年度汇总表 XLSX")
        pdf = await c.get(f"{base}/annual-record/{year}/export")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.text[:300]
        assert pdf.headers["content-disposition"].startswith("inline")
        xlsx = await office.get(f"{P}/agency-exports/annual-summary", params={"year": year},
                                headers={"Accept": XLSX})
        assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith(XLSX), xlsx.text[:300]
        assert xlsx.headers["content-disposition"].startswith("attachment")
    out_dir.mkdir(parents=True, exist_ok=True)
    out["record_pdf_path"] = out_dir / f"hunan-annual-record-{year}.pdf"
    out["record_pdf_path"].write_bytes(pdf.content)
    out["summary_xlsx_path"] = out_dir / f"hunan-province-summary-{year}.xlsx"
    out["summary_xlsx_path"].write_bytes(xlsx.content)
    out["agency_name"] = "长沙市芙蓉区建设工程质量安全监督站"
    say(f"   {out['record_pdf_path']}")
    say(f"   {out['summary_xlsx_path']}")
    return out
