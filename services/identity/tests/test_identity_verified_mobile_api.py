"""HN-01 "every user is tied to a verified mobile number" over HTTP on the real servers: with
the tenant-policy feature ``verified_mobile_required`` on (the production default for Hainan;
the test run starts with it off and this file switches it on by the policy API, then back), a
password sign-in without a verified number gives a token that reaches only ``/me``,
``/me/mobile/otp`` and ``/me/mobile`` — every other route of every service answers 403
``mobile-not-verified`` — and after binding, a refresh gives a full token. Other provinces
are unaffected."""

from __future__ import annotations

import secrets

import pytest_asyncio

from anjian_local.scenario import PASSWORD, expect

T = "hainan"
POLICY = "/api/identity/v1/tenants/{}/policy"


@pytest_asyncio.fixture(loop_scope="session")
async def required(platform):
    """Hainan's ``verified_mobile_required`` on for the test, reset to the run's default after."""
    admin = await platform.admin_token(T)   # issued before the switch: a full token
    async with platform.api(admin) as c:
        expect(await c.patch(POLICY.format(T), json={"features": {"verified_mobile_required": True}}), 200)
    yield admin
    async with platform.api(admin) as c:
        expect(await c.patch(POLICY.format(T), json={"features": {"verified_mobile_required": None}}), 200)


async def _new_user(platform, admin: str, tenant: str) -> str:
    name = f"vm.{secrets.token_hex(3)}"
    async with platform.api(admin) as c:
        org = expect(await c.post("/api/identity/v1/organizations", json={
            "name": f"监督站{secrets.token_hex(3)}", "kind": "station"}), 201)["id"]
        expect(await c.post("/api/identity/v1/users", json={
            "org_id": org, "username": name, "display_name": "符", "password": PASSWORD,
            "roles": ["supervisor"]}), 201)
    return name


async def _session(platform, tenant: str, username: str) -> dict:
    async with platform.api() as c:
        return expect(await c.post("/api/identity/v1/sessions",
                                   json={"tenant": tenant, "username": username, "password": PASSWORD}), 200)


async def test_hn01_unverified_user_may_only_bind_the_mobile_then_refresh_gives_full_access(platform, required):
    """HN-01: binding-only token: ``/me`` and the binding routes answer, identity's user list
    and the projects service refuse with 403 ``mobile-not-verified``; after binding by code,
    the refreshed token reaches both."""
    name = await _new_user(platform, required, T)
    pair = await _session(platform, T, name)
    assert pair["mobile_binding_required"] is True
    number = f"136{secrets.randbelow(10 ** 8):08d}"
    async with platform.api(pair["access_token"]) as c:
        assert expect(await c.get("/api/identity/v1/me"), 200)["username"] == name
        for path in ("/api/identity/v1/users", "/api/projects/v1/projects"):
            r = await c.get(path)
            assert r.status_code == 403 and r.json()["code"] == "mobile-not-verified", (path, r.text)
        expect(await c.post("/api/identity/v1/me/mobile/otp", json={"mobile": number}), 202)
        code = expect(await c.get("/api/identity/v1/dev/sms", params={"tenant": T, "mobile": number}), 200)[0]["code"]
        assert expect(await c.post("/api/identity/v1/me/mobile", json={"mobile": number, "code": code}),
                      200)["mobile"] == number
    async with platform.api() as c:
        fresh = expect(await c.post("/api/identity/v1/sessions/refresh",
                                    json={"refresh_token": pair["refresh_token"]}), 200)
    assert fresh["mobile_binding_required"] is False
    async with platform.api(fresh["access_token"]) as c:
        expect(await c.get("/api/identity/v1/users"), 200)
        expect(await c.get("/api/projects/v1/projects"), 200)


async def test_hn01_other_provinces_are_unaffected(platform, required):
    """HN-01: with Hainan requiring verified numbers, a Hubei user without one gets a full token."""
    name = await _new_user(platform, await platform.admin_token("hubei"), "hubei")
    pair = await _session(platform, "hubei", name)
    assert pair["mobile_binding_required"] is False
    async with platform.api(pair["access_token"]) as c:
        expect(await c.get("/api/identity/v1/users"), 200)
