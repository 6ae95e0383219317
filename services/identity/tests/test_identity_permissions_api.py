"""HUN-19..HUN-22 and HN-01 bureau filings over HTTP on the real servers (identity + personnel):
an agency proposes a staff member personnel recorded (the record reaches identity by event), the
province office approves — two approvals fired together, exactly one wins — and the account
exists; another agency and another province don't see the application; a permission application
with its approval document grants a supervisor ``agencies.write`` and the token signed in after
it writes the agency's staff in personnel; a bureau's staff member files an account and signs in
only after approval; the flow help marks the caller's steps."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from anjian_local.scenario import PASSWORD, expect
from anjian_local.testing.fixtures import Platform, eventually

T = "hunan"
ID = "/api/identity/v1"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
STAFF = {"name": "李娜", "gender": "female", "birth_date": "1990-03-02", "post": "supervisor",
         "education": "bachelor", "title": "intermediate", "mobile": "13800000011"}


async def _world(platform: Platform) -> dict[str, Any]:
    admin = await platform.admin_token(T)
    sfx = secrets.token_hex(3)
    w: dict[str, Any] = {"admin": admin, "sfx": sfx}
    async with platform.api(admin) as c:
        for key, kind, division in (("furong", "agency", "430102"), ("yuelu", "agency", "430104"),
                                    ("bureau", "authority", "430100")):
            w[f"{key}_org"] = expect(await c.post(f"{ID}/organizations", json={
                "name": f"{key}{sfx}", "kind": kind, "division_code": division}), 201)["id"]
        for key, org, role in (("furong", "furong", "station_leader"), ("sup", "furong", "supervisor"),
                               ("yuelu", "yuelu", "station_leader")):
            w[f"{key}_user"] = expect(await c.post(f"{ID}/users", json={
                "org_id": w[f"{org}_org"], "username": f"{key}.{sfx}", "display_name": key, "password": PASSWORD,
                "roles": [role]}), 201)["id"]
            w[key] = await platform.sign_in(T, f"{key}.{sfx}", PASSWORD)
    w["hubei"] = await platform.admin_token("hubei")
    return w


async def test_hun20_user_application_over_http_other_agency_and_tenant_refused_one_of_two_approvals_wins(
        platform: Platform):
    """HUN-20: propose → (404 for another agency and another province) → accept → two approvals
    together: one 200, one 409 → the account exists once."""
    w = await _world(platform)
    base = f"/api/personnel/v1/agencies/{w['furong_org']}"
    async with platform.api(w["furong"]) as c:
        async def add_staff() -> dict[str, Any]:  # 404 until identity's organisation event has arrived
            return expect(await c.post(f"{base}/staff", json=STAFF), 201)
        staff = await eventually(add_staff, timeout=30)

        async def propose() -> dict[str, Any]:  # 409 staff-unknown until personnel's event has arrived
            return expect(await c.post(f"{ID}/user-applications", json={
                "staff_id": staff["id"], "username": f"li.{w['sfx']}", "roles": ["supervisor"]}), 201)
        app = await eventually(propose, timeout=30)
        assert app["stage"] == "submitted" and app["form"]["display_name"] == "李娜"
        again = await c.post(f"{ID}/user-applications", json={
            "staff_id": staff["id"], "username": f"li2.{w['sfx']}", "roles": ["supervisor"]})
        assert again.status_code == 409 and again.json()["code"] == "user-application-pending"
    app_url = f"{ID}/account-applications/{app['_id']}"

    for token in (w["yuelu"], w["hubei"]):  # another agency, another province: not even seen
        async with platform.api(token) as c:
            assert (await c.get(app_url)).status_code == 404
            assert (await c.delete(app_url)).status_code == 404
            assert (await c.post(f"{app_url}/decision", json={"action": "accept"})).status_code in (403, 404)
    async with platform.api(w["furong"]) as c:  # the applicant doesn't decide its own
        mine = await c.post(f"{app_url}/decision", json={"action": "accept"})
        assert mine.status_code == 403 and mine.json()["code"] == "not-province-office"
        listed = expect(await c.get(f"{ID}/account-applications", params={"kind": "user"}), 200)
        assert [a["_id"] for a in listed["items"]] == [app["_id"]]

    async with platform.api(w["admin"]) as c:
        expect(await c.post(f"{app_url}/decision", json={"action": "accept"}), 200)

    async def approve() -> Any:
        async with platform.api(w["admin"]) as c:
            return await c.post(f"{app_url}/decision", json={"action": "approve"})

    r1, r2 = await asyncio.gather(approve(), approve())
    assert sorted([r1.status_code, r2.status_code]) == [200, 409], (r1.text, r2.text)
    won = r1 if r1.status_code == 200 else r2
    assert won.json()["stage"] == "approved"
    async with platform.api(w["admin"]) as c:
        user = expect(await c.get(f"{ID}/users/{won.json()['account_user_id']}"), 200)
        assert user["username"] == f"li.{w['sfx']}" and user["org_id"] == w["furong_org"]
        found = expect(await c.get(f"{ID}/users", params={"org_id": w["furong_org"], "limit": 50}), 200)
        assert [u["username"] for u in found["items"]].count(f"li.{w['sfx']}") == 1
    async with platform.api(w["furong"]) as c:  # decided: no longer deletable
        gone = await c.delete(app_url)
        assert gone.status_code == 409 and gone.json()["code"] == "application-not-deletable"


async def test_hun21_permission_application_grants_agencies_write_and_the_next_token_writes_in_personnel(
        platform: Platform):
    """HUN-19/21: a supervisor can't write the agency's staff (403 permission-missing); the
    leader applies with a reason and the approval document; approved, the supervisor's old
    token ends (401) and the next one writes (201); GET permissions shows the grant."""
    w = await _world(platform)
    base = f"/api/personnel/v1/agencies/{w['furong_org']}"
    async with platform.api(w["sup"]) as c:
        async def refused() -> bool:
            r = await c.post(f"{base}/staff", json=STAFF)
            assert r.status_code == 403, r.text
            return r.json()["code"] == "permission-missing"
        assert await eventually(refused, timeout=30)
        own = expect(await c.get(f"{ID}/users/{w['sup_user']}/permissions"), 200)
        assert "agencies.write" not in {p["name"] for p in own["effective"]}
        other = await c.get(f"{ID}/users/{w['furong_user']}/permissions")
        assert other.status_code == 403 and other.json()["code"] == "permission-missing"
    async with platform.api(w["furong"]) as c:
        form = {"user_id": w["sup_user"], "reason": "兼任人员信息维护", "add": ["agencies.write"]}
        no_doc = await c.post(f"{ID}/permission-applications", data=form)
        assert no_doc.status_code == 422 and "document" in no_doc.text
        bad = await c.post(f"{ID}/permission-applications", data={**form, "add": ["agencies.fly"]},
                           files={"document": ("批复.pdf", PDF, "application/pdf")})
        assert bad.status_code == 422 and bad.json()["code"] == "permission-unknown"
        app = expect(await c.post(f"{ID}/permission-applications", data=form,
                                  files={"document": ("批复.pdf", PDF, "application/pdf")}), 201)
    async with platform.api(w["yuelu"]) as c:  # another agency's leader: not its user
        other = await c.post(f"{ID}/permission-applications", data=form,
                             files={"document": ("批复.pdf", PDF, "application/pdf")})
        assert other.status_code == 404
    async with platform.api(w["admin"]) as c:
        url = f"{ID}/account-applications/{app['_id']}/decision"
        expect(await c.post(url, json={"action": "accept"}), 200)
        expect(await c.post(url, json={"action": "approve", "comment": "同意"}), 200)
    async with platform.api(w["sup"]) as c:  # the token issued before the grant ended
        assert (await c.get(f"{ID}/me")).status_code == 401
    token = await platform.sign_in(T, f"sup.{w['sfx']}", PASSWORD)
    async with platform.api(token) as c:
        mine = expect(await c.get(f"{ID}/users/{w['sup_user']}/permissions"), 200)
        assert [p["name"] for p in mine["granted"]] == ["agencies.write"]
        expect(await c.post(f"{base}/staff", json=STAFF), 201)


async def test_hn01_bureau_filing_no_sign_in_until_approved_and_hun22_flows_mark_the_callers_steps(
        platform: Platform):
    """HN-01: a bureau's staff member files without signing in; 401 until the office approves,
    then sign-in works with the filed password; the status reads with the key. HUN-22: the flow
    help marks the agency leader's and the office's steps."""
    w = await _world(platform)
    hainan = await platform.admin_token("hainan")  # HN-01 is Hainan's: its bureaus, its province office
    async with platform.api(hainan) as c:
        bureau = expect(await c.post(f"{ID}/organizations", json={
            "name": f"海口市住建局{w['sfx']}", "kind": "authority", "division_code": "460100"}), 201)["id"]
        station = expect(await c.post(f"{ID}/organizations", json={
            "name": f"海口市监督站{w['sfx']}", "kind": "station", "division_code": "460100"}), 201)["id"]
    name = f"wang.{w['sfx']}"
    filing = {"tenant": "hainan", "display_name": "王芳", "mobile": "13900000002", "org_id": bureau,
              "post": "质安科科员", "username": name, "password": PASSWORD, "roles": ["supervisor"]}
    async with platform.api() as c:
        for org in (station, w["bureau_org"]):  # a station; another province's authority
            wrong = await c.post(f"{ID}/account-filings", json={**filing, "org_id": org})
            assert wrong.status_code == 422 and wrong.json()["code"] == "organization-not-bureau"
        admin_role = await c.post(f"{ID}/account-filings", json={**filing, "roles": ["province_admin"]})
        assert admin_role.status_code == 422
        filed = expect(await c.post(f"{ID}/account-filings", json=filing), 201)
        no = await c.post(f"{ID}/sessions", json={"tenant": "hainan", "username": name, "password": PASSWORD})
        assert no.status_code == 401
        status = expect(await c.post(f"{ID}/account-filings/status", json={
            "tenant": "hainan", "filing_id": filed["_id"], "status_key": filed["status_key"]}), 200)
        assert status["stage"] == "submitted"
        assert (await c.post(f"{ID}/account-filings/status", json={
            "tenant": "hainan", "filing_id": filed["_id"], "status_key": "x" * 20})).status_code == 404
    for token in (w["admin"], w["furong"]):  # Hunan's office and agencies don't see Hainan's filing
        async with platform.api(token) as c:
            assert (await c.get(f"{ID}/account-applications/{filed['_id']}")).status_code == 404
    async with platform.api(hainan) as c:
        url = f"{ID}/account-applications/{filed['_id']}/decision"
        expect(await c.post(url, json={"action": "accept"}), 200)
        expect(await c.post(url, json={"action": "approve"}), 200)
    async with platform.api() as c:  # approved: signs in (where the province requires a verified
        # mobile, the token first binds it, as for every user: HN-01)
        session = expect(await c.post(f"{ID}/sessions", json={"tenant": "hainan", "username": name,
                                                                "password": PASSWORD}), 200)
    async with platform.api(session["access_token"]) as c:
        me = expect(await c.get(f"{ID}/me"), 200)
        assert me["org_id"] == bureau

    async with platform.api(w["furong"]) as c:
        flows = {f["kind"]: f for f in expect(await c.get(f"{ID}/flows"), 200)["items"]}
    mine = {s["action"] for s in flows["user"]["steps"] if s["takes_part"]}
    assert mine == {"create", "submit", "delete"}
    async with platform.api(w["admin"]) as c:
        office = {f["kind"]: f for f in expect(await c.get(f"{ID}/flows"), 200)["items"]}
    assert {s["action"] for s in office["user"]["steps"] if s["takes_part"]} >= {"accept", "approve"}
