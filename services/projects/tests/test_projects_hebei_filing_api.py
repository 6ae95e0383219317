"""HEB-04/05/08 over HTTP on real servers, in Hebei (Shijiazhuang, division 130102): the owner's
safety-supervision filing (安全监督备案) is refused until the contractor has entered its project
leader (B) and safety officer (C) with valid certificates in personnel (a person projects has not
learnt yet is 409 + Retry-After); accepted by the station, the project exists and the contractor
reads it; then the owner's comprehensive evaluation (综合评定) and the contractor's civilized-site
application (文明工地申报) with their refusals; another company and another tenant see nothing."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

import pytest_asyncio

from anjian_local.demo_hebei import SHIJIAZHUANG, settled
from anjian_local.scenario import PASSWORD, build_world, expect, sign_in
from anjian_local.testing.fixtures import eventually

API = "/api/projects/v1"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def heb(platform):
    """A Shijiazhuang world without a project, with the owner's and the contractor's administrators."""
    world = await build_world(platform.api, admin_password=platform.admin_password, tenant="hebei",
                              register_project=False, place=SHIJIAZHUANG)
    admin = await platform.admin_token("hebei")
    sfx = world.station_id[:8]
    async with platform.api(admin) as c:
        for key, org in (("owner", world.owner_id), ("conadm", world.contractor_id)):
            expect(await c.post("/api/identity/v1/users", json={
                "org_id": org, "username": f"{key}.{sfx}", "display_name": f"{key}管理员", "password": PASSWORD,
                "roles": ["company_admin"]}), 201)
    world.owner_token = await sign_in(platform.api, "hebei", f"owner.{sfx}", PASSWORD)
    world.contractor_admin = await sign_in(platform.api, "hebei", f"conadm.{sfx}", PASSWORD)
    return world


async def enter_person(platform: Any, token: str, name: str, category: str, issued_days_ago: int = 30
                       ) -> dict[str, Any]:
    """The contractor enters one of its people (单位人员录入, HEB-11) in personnel."""
    async with platform.api(token) as c:
        return expect(await c.post("/api/personnel/v1/people", json={
            "name": name, "category": category, "certificate_number": f"冀建安{category}{secrets.token_hex(4)}",
            "issued_on": (date.today() - timedelta(days=issued_days_ago)).isoformat()}), 201)


def form(world: Any, leader: str, officer: str, **over: Any) -> dict[str, Any]:
    body = {"name": f"石家庄长安区保障房三期{world.station_id[:6]}", "address": "石家庄市长安区建设北大街 66 号",
            "division_code": "130102", "station_org_id": world.station_id, "civilized_site_standard": "municipal",
            "parties": {"contractor": {"org_id": world.contractor_id, "project_leader_person_id": leader,
                                       "safety_officer_person_ids": [officer]},
                        "supervision": {"org_id": world.supervision_id}},
            "participants": [{"user_id": world.people["liu"].user_id, "project_role": "project_manager"}]}
    body.update(over)
    return body


def problem(r: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code, r.text
    if field is not None:
        assert body.get("field") == field, r.text
    return body


async def test_heb04_heb05_heb08_filing_refused_until_b_and_c_then_accepted_evaluated_civilized(platform, heb):
    """HEB-04: refused without the contractor's B/C (409 + Retry-After for a person not yet known,
    422 for an expired certificate), accepted once entered: the project exists and the contractor
    reads it. HEB-05: the contractor may not apply (403), the owner's evaluation is approved and
    marked on the project. HEB-08: above the chosen standard 422, at it accepted. Another company
    and another tenant get 404."""
    async def unknown_person() -> Any:  # 403/422 until projects learnt the new organisations and users
        async with platform.api(heb.owner_token) as c:
            r = await c.post(f"{API}/supervision-filings", json=form(heb, "nobody-yet", "nobody-yet"))
        return r if r.status_code == 409 else None

    r = await eventually(unknown_person, timeout=30)
    problem(r, 409, "person-not-yet-known", "parties.contractor.project_leader_person_id")
    assert r.headers.get("Retry-After")
    expired = await enter_person(platform, heb.contractor_admin, "过期甲", "B", issued_days_ago=4 * 365)
    leader = await enter_person(platform, heb.contractor_admin, "项目负责人乙", "B")
    officer = await enter_person(platform, heb.contractor_admin, "安全员丙", "C2")
    async def listed() -> Any:  # the owner picks from the contractor's valid B and C (the expired one left out)
        async with platform.api(heb.owner_token) as c:
            page = expect(await c.get(f"{API}/contractor-safety-staff",
                                      params={"contractor_org_id": heb.contractor_id}), 200)
        ids = {p["person_id"] for p in page["items"]}
        return ids if {leader["id"], officer["id"]} <= ids else None

    assert expired["id"] not in await eventually(listed, timeout=30)
    async with platform.api(heb.owner_token) as c:
        r = await settled(lambda: c.post(f"{API}/supervision-filings",
                                         json=form(heb, expired["id"], officer["id"])))
        problem(r, 422, "certificate-expired", "parties.contractor.project_leader_person_id")
        r = await settled(lambda: c.post(f"{API}/supervision-filings", json=form(heb, officer["id"], officer["id"])))
        problem(r, 422, "certificate-category-mismatch", "parties.contractor.project_leader_person_id")
        filing = expect(await settled(lambda: c.post(f"{API}/supervision-filings",
                                                     json=form(heb, leader["id"], officer["id"]))), 201)
        fid = filing["id"]
        expect(await c.post(f"{API}/supervision-filings/{fid}/attachments",
                            files={"file": ("施工许可证.pdf", PDF, "application/pdf")}), 201)
        big = PDF + b"0" * (600 * 1024)
        problem(await c.post(f"{API}/supervision-filings/{fid}/attachments",
                             files={"file": ("big.pdf", big, "application/pdf")}), 413, "attachment-too-large", "file")
        submitted = expect(await c.post(f"{API}/supervision-filings/{fid}/submit"), 200)
        assert submitted["authority_org_id"] == heb.station_id and len(submitted["attachments"]) == 1
    async with platform.api(heb.token("chen")) as c:   # another contractor of the tenant
        assert (await c.get(f"{API}/supervision-filings/{fid}")).status_code == 404
    hubei_admin = await platform.admin_token("hubei")
    async with platform.api(hubei_admin) as c:   # another tenant
        assert (await c.get(f"{API}/supervision-filings/{fid}")).status_code in (403, 404)
    async with platform.api(heb.token("zhang")) as c:
        accepted = expect(await c.post(f"{API}/supervision-filings/{fid}/decisions", json={
            "action": "accept", "supervisor_user_ids": [heb.people["zhang"].user_id]}), 200)
    project_id = accepted["project_id"]
    async with platform.api(heb.token("liu")) as c:   # the contractor's project manager reads its project
        project = expect(await c.get(f"{API}/projects/{project_id}"), 200)
        assert project["contractor_org_id"] == heb.contractor_id
        problem(await c.post(f"{API}/project-applications", json={
            "kind": "comprehensive_evaluation", "project_id": project_id, "planned_completion_on": "2027-06-30"}),
            403, "not-project-owner")
    async with platform.api(heb.owner_token) as c:
        evaluation = expect(await c.post(f"{API}/project-applications", json={
            "kind": "comprehensive_evaluation", "project_id": project_id, "planned_completion_on": "2027-06-30",
            "summary": "主体结构已完工"}), 201)
        expect(await c.post(f"{API}/project-applications/{evaluation['id']}/submit"), 200)
    async with platform.api(heb.token("zhang")) as c:
        for action in ("accept", "approve"):
            done = expect(await c.post(f"{API}/project-applications/{evaluation['id']}/decisions",
                                       json={"action": action, "comment": "同意"}), 200)
        assert done["stage"] == "approved"
        assert expect(await c.get(f"{API}/projects/{project_id}"), 200)
    async with platform.api(heb.contractor_admin) as c:
        problem(await c.post(f"{API}/project-applications", json={
            "kind": "civilized_site", "project_id": project_id, "level": "provincial"}), 422,
            "civilized-level-above-standard", "level")
        civilized = expect(await c.post(f"{API}/project-applications", json={
            "kind": "civilized_site", "project_id": project_id, "level": "municipal"}), 201)
        assert expect(await c.post(f"{API}/project-applications/{civilized['id']}/submit"), 200)[
            "authority_org_id"] == heb.station_id
    async with platform.api(heb.token("chen")) as c:
        assert (await c.get(f"{API}/project-applications/{civilized['id']}")).status_code == 404
