"""HN-01 online filing (网上报监) over HTTP on real servers, in Hainan: the owner files the project with
its parties and personnel; before the station accepts, the parties' people do not see any project;
the station returns it with a reason, the owner corrects and resubmits, the station accepts and
assigns supervisors — the project is registered and its participants see it. Other tenant and
other station get 404; the tenant policy refuses what the province does not allow."""

from __future__ import annotations

from typing import Any

import pytest_asyncio

from anjian_local.scenario import PASSWORD, build_world, expect, sign_in
from anjian_local.testing.fixtures import eventually

API = "/api/projects/v1"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def hn(platform):
    """A Hainan world without a project and an owner's user (建设单位 staff)."""
    world = await build_world(platform.api, admin_password=platform.admin_password, tenant="hainan",
                              register_project=False)
    admin = await platform.admin_token("hainan")
    username = f"owner.{world.station_id[:8]}"
    async with platform.api(admin) as c:
        expect(await c.post("/api/identity/v1/users", json={
            "org_id": world.owner_id, "username": username, "display_name": "业主代表", "password": PASSWORD,
            "roles": ["company_admin"]}), 201)
    world.owner_token = await sign_in(platform.api, "hainan", username, PASSWORD)
    return world


def form(world: Any, **over: Any) -> dict[str, Any]:
    body = {"name": "海口江东新区安居房一期", "address": "海口市美兰区", "station_org_id": world.station_id,
            "contractor_org_id": world.contractor_id, "supervision_org_id": world.supervision_id,
            "participants": [{"user_id": world.people["liu"].user_id, "project_role": "project_manager"},
                             {"user_id": world.people["zhao"].user_id,
                              "project_role": "chief_supervising_engineer"}]}
    body.update(over)
    return body


async def projects_of(platform: Any, token: str) -> list[str]:
    async with platform.api(token) as c:
        return [p["id"] for p in expect(await c.get(f"{API}/projects", params={"limit": 100}), 200)["items"]]


async def test_hn01_owner_files_station_returns_then_accepts_and_only_then_the_parties_see_it(platform, hn):
    """HN-01: the whole loop through HTTP (file, submit, 退回, correct, resubmit, 受理 + supervisors)."""
    async def created() -> dict[str, Any]:  # 422 until projects learnt the new organisations and users
        async with platform.api(hn.owner_token) as c:
            r = await c.post(f"{API}/filings", json=form(hn))
        return r.json() if r.status_code == 201 else None  # type: ignore[return-value]

    filing = await eventually(created, timeout=30)
    fid = filing["id"]
    assert filing["stage"] == "draft" and filing["owner_org_id"] == hn.owner_id
    async with platform.api(hn.token("zhang")) as c:
        assert (await c.get(f"{API}/filings/{fid}")).status_code == 404          # a draft is the owner's
    async with platform.api(hn.owner_token) as c:
        expect(await c.post(f"{API}/filings/{fid}/submit"), 200)
    async with platform.api(hn.token("zhang")) as c:
        r = await c.post(f"{API}/filings/{fid}/decisions", json={"action": "return"})
        assert r.status_code == 422 and r.json()["field"] == "comment", r.text
        returned = expect(await c.post(f"{API}/filings/{fid}/decisions",
                                       json={"action": "return", "comment": "工程地址请写到门牌号"}), 200)
    assert returned["stage"] == "returned" and returned["decision"] == "工程地址请写到门牌号"
    async with platform.api(hn.owner_token) as c:
        expect(await c.put(f"{API}/filings/{fid}", json=form(hn, address="海口市美兰区江东大道 1 号")), 200)
        expect(await c.post(f"{API}/filings/{fid}/submit"), 200)
    assert await projects_of(platform, hn.token("liu")) == []                      # no access before acceptance
    async with platform.api(hn.token("zhang")) as c:
        r = await c.post(f"{API}/filings/{fid}/decisions", json={"action": "accept"})
        assert r.status_code == 422 and r.json()["field"] == "supervisor_user_ids", r.text
        accepted = expect(await c.post(f"{API}/filings/{fid}/decisions", json={
            "action": "accept", "supervisor_user_ids": [hn.people["zhang"].user_id]}), 200)
        r = await c.post(f"{API}/filings/{fid}/decisions", json={
            "action": "accept", "supervisor_user_ids": [hn.people["zhang"].user_id]})
        assert r.status_code == 409, r.text                                         # decided once
    assert accepted["stage"] == "accepted" and accepted["project_id"]
    assert accepted["project_id"] in await projects_of(platform, hn.token("liu"))
    assert accepted["project_id"] in await projects_of(platform, hn.token("zhao"))
    async with platform.api(hn.token("liu")) as c:
        project = expect(await c.get(f"{API}/projects/{accepted['project_id']}"), 200)
    assert project["address"] == "海口市美兰区江东大道 1 号" and project["station_org_id"] == hn.station_id
    assert project["supervisor_user_ids"] == [hn.people["zhang"].user_id]
    # another company never sees the filing (404); another tenant is refused — 403 feature-disabled
    # where the province has no online filing, 404 otherwise: the id never leaks
    async with platform.api(hn.token("chen")) as c:
        assert (await c.get(f"{API}/filings/{fid}")).status_code == 404
    async with platform.api(await platform.admin_token("hubei")) as c:
        assert (await c.get(f"{API}/filings/{fid}")).status_code in (403, 404)


async def test_hn01_only_the_owner_files_and_the_policy_decides_the_ways(platform, hn):
    """HN-01: a contractor is refused (403 not-an-owner); with online filing switched off the
    filing is 403 feature-disabled; with direct registration switched off the station's POST
    /projects is 403 feature-disabled."""
    async with platform.api(hn.token("liu")) as c:
        r = await c.post(f"{API}/filings", json=form(hn))
        assert r.status_code == 403 and r.json()["code"] == "not-an-owner", r.text
    settings = platform.app("projects").state.settings
    online, direct = list(settings.online_filing_tenants), list(settings.direct_registration_tenants)
    try:
        settings.online_filing_tenants = [t for t in online if t != "hainan"]
        settings.direct_registration_tenants = [t for t in direct if t != "hainan"]
        async with platform.api(hn.owner_token) as c:
            r = await c.post(f"{API}/filings", json=form(hn))
            assert r.status_code == 403 and r.json()["code"] == "feature-disabled", r.text
        async with platform.api(hn.token("zhang")) as c:
            r = await c.post(f"{API}/projects", json={
                "name": "直接登记", "address": "海口", "owner_org_id": hn.owner_id,
                "contractor_org_id": hn.contractor_id, "supervision_org_id": hn.supervision_id,
                "supervisor_user_ids": [hn.people["zhang"].user_id]})
            assert r.status_code == 403 and r.json()["code"] == "feature-disabled", r.text
    finally:
        settings.online_filing_tenants, settings.direct_registration_tenants = online, direct
