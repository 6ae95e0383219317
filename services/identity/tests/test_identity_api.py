"""identity over HTTP: sign-in (HB-01), throttling, token rotation, organisations, users."""

from __future__ import annotations

import secrets

import jwt

from anjian_local.scenario import PASSWORD, expect


async def test_admin_signs_in_and_sees_me(platform):
    token = await platform.admin_token("hubei")
    async with platform.api(token) as c:
        me = expect(await c.get("/api/identity/v1/me"), 200)
    assert me["username"] == "admin" and me["tenant"] == "hubei"
    assert me["organization"]["kind"] == "authority"
    assert "password_hash" not in me


async def test_wrong_password_is_401_problem(platform):
    async with platform.api() as c:
        r = await c.post("/api/identity/v1/sessions", json={"tenant": "hubei", "username": "admin",
                                                            "password": "wrong-password"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 401


async def test_missing_field_names_it(platform):
    async with platform.api() as c:
        r = await c.post("/api/identity/v1/sessions", json={"tenant": "hubei", "username": "admin"})
    assert r.status_code == 422
    assert r.json()["field"] == "password"


async def test_repeated_failures_are_throttled_with_429(platform, world):
    user = f"throttled.{secrets.token_hex(3)}"
    async with platform.api(await platform.admin_token()) as c:
        expect(await c.post("/api/identity/v1/users", json={
            "org_id": world.station_id, "username": user, "display_name": "孙磊", "password": PASSWORD,
            "roles": ["supervisor"]}), 201)
    async with platform.api() as c:
        codes = []
        for _ in range(6):
            r = await c.post("/api/identity/v1/sessions", json={"tenant": "hubei", "username": user,
                                                                "password": "not-the-password"})
            codes.append(r.status_code)
        assert codes[:5] == [401] * 5 and codes[5] == 429
        assert "retry-after" in r.headers
        # even the right password is refused while throttled
        r = await c.post("/api/identity/v1/sessions", json={"tenant": "hubei", "username": user,
                                                            "password": PASSWORD})
        assert r.status_code == 429


async def test_token_carries_tenant_org_roles_and_is_rs256(platform, world):
    token = world.token("zhang")
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "RS256" and header["kid"]
    assert claims["tenant"] == "hubei" and claims["org"] == world.station_id
    assert claims["roles"] == ["supervisor"] and claims["org_kind"] == "station"
    async with platform.api() as c:
        jwks = expect(await c.get("/api/identity/v1/.well-known/jwks.json"), 200)
    assert header["kid"] in {k["kid"] for k in jwks["keys"]}
    assert all("d" not in k for k in jwks["keys"]), "private key material must never be published"


async def test_refresh_rotates_and_reuse_revokes_family(platform, world):
    async with platform.api() as c:
        pair = expect(await c.post("/api/identity/v1/sessions", json={
            "tenant": "hubei", "username": world.people["wang"].username, "password": PASSWORD}), 200)
        second = expect(await c.post("/api/identity/v1/sessions/refresh",
                                     json={"refresh_token": pair["refresh_token"]}), 200)
        assert second["refresh_token"] != pair["refresh_token"]
        # the spent token again: refused, and the family (including `second`) is revoked
        r = await c.post("/api/identity/v1/sessions/refresh", json={"refresh_token": pair["refresh_token"]})
        assert r.status_code == 401
        r = await c.post("/api/identity/v1/sessions/refresh", json={"refresh_token": second["refresh_token"]})
        assert r.status_code == 401


async def test_only_province_admin_registers_organisations(platform, world):
    async with platform.api(world.token("zhang")) as c:
        r = await c.post("/api/identity/v1/organizations", json={"name": "某公司", "kind": "company",
                                                                 "company_roles": ["contractor"]})
    assert r.status_code == 403


async def test_company_needs_a_role(platform):
    async with platform.api(await platform.admin_token()) as c:
        r = await c.post("/api/identity/v1/organizations", json={"name": "某公司", "kind": "company"})
    assert r.status_code == 422 and r.json()["field"] == "company_roles"


async def test_user_roles_must_fit_the_organisation(platform, world):
    async with platform.api(await platform.admin_token()) as c:
        r = await c.post("/api/identity/v1/users", json={
            "org_id": world.contractor_id, "username": f"x{secrets.token_hex(3)}", "display_name": "某人",
            "password": PASSWORD, "roles": ["supervisor"]})
    assert r.status_code == 422 and r.json()["field"] == "roles"


async def test_duplicate_username_is_422_unavailable_and_nothing_written(platform, world):
    """Issue 11: a taken name answers like a reserved one (422 ``username-unavailable``), never who has it."""
    async with platform.api(await platform.admin_token()) as c:
        r = await c.post("/api/identity/v1/users", json={
            "org_id": world.station_id, "username": world.people["zhang"].username, "display_name": "另一个张伟",
            "password": PASSWORD, "roles": ["supervisor"]})
        assert r.status_code == 422 and r.json()["field"] == "username"
        assert r.json()["type"].endswith("/username-unavailable")
        users = expect(await c.get("/api/identity/v1/users", params={"org_id": world.station_id, "limit": 100}), 200)
    assert [u["display_name"] for u in users["items"]].count("另一个张伟") == 0


async def test_other_tenant_cannot_see_users_or_orgs(platform, world):
    hainan_admin = await platform.admin_token("hainan")
    async with platform.api(hainan_admin) as c:
        assert (await c.get(f"/api/identity/v1/users/{world.people['zhang'].user_id}")).status_code == 404
        assert (await c.get(f"/api/identity/v1/organizations/{world.station_id}")).status_code == 404
        r = await c.post("/api/identity/v1/users", json={
            "org_id": world.station_id, "username": f"x{secrets.token_hex(3)}", "display_name": "某人",
            "password": PASSWORD, "roles": ["supervisor"]})
        assert r.status_code == 422 and r.json()["field"] == "org_id"


async def test_company_sees_only_its_own_staff(platform, world):
    async with platform.api(world.token("liu")) as c:
        r = await c.get(f"/api/identity/v1/users/{world.people['chen'].user_id}")
        assert r.status_code == 404
        own = expect(await c.get("/api/identity/v1/users"), 200)
    assert {u["org_id"] for u in own["items"]} == {world.contractor_id}


async def test_disabled_user_cannot_sign_in(platform, world):
    admin = await platform.admin_token()
    async with platform.api(admin) as c:
        expect(await c.patch(f"/api/identity/v1/users/{world.people['zhao'].user_id}", json={"enabled": False}), 200)
        r = await c.post("/api/identity/v1/sessions", json={"tenant": "hubei",
                                                            "username": world.people["zhao"].username,
                                                            "password": PASSWORD})
        assert r.status_code == 401
        expect(await c.patch(f"/api/identity/v1/users/{world.people['zhao'].user_id}", json={"enabled": True}), 200)


async def test_the_user_picker_leaves_disabled_users_out_unless_an_admin_asks(platform, world):
    """Issue 11: GET /users offers enabled users; include_disabled=true for user administrators only."""
    admin = await platform.admin_token()
    zhao = world.people["zhao"].user_id
    async with platform.api(admin) as c:
        expect(await c.patch(f"/api/identity/v1/users/{zhao}", json={"enabled": False}), 200)
        try:
            org = {"org_id": world.supervision_id, "limit": 100}
            listed = expect(await c.get("/api/identity/v1/users", params=org), 200)
            assert zhao not in {u["id"] for u in listed["items"]}
            everyone = expect(await c.get("/api/identity/v1/users", params={**org, "include_disabled": "true"}), 200)
            assert [u["enabled"] for u in everyone["items"] if u["id"] == zhao] == [False]
            async with platform.api(world.token("zhang")) as supervisor:
                r = await supervisor.get("/api/identity/v1/users", params={"include_disabled": "true"})
                assert r.status_code == 403 and r.json()["code"] == "not-user-admin"
        finally:
            expect(await c.patch(f"/api/identity/v1/users/{zhao}", json={"enabled": True}), 200)


async def test_no_token_is_401(platform):
    async with platform.api() as c:
        r = await c.get("/api/identity/v1/me")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
