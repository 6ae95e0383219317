"""identity over HTTP, issue 11 (security): sign-in throttled per client address (HB-01), the
last administrator of a province (HUN-19), the password policy (PLAT-01), user names that tell
nobody who holds them, and access tokens that stop working at once in every service."""

from __future__ import annotations

import secrets

from anjian_local.scenario import PASSWORD, expect
from anjian_local.testing.fixtures import eventually


async def test_hb01_40_random_user_names_from_one_client_are_429_well_before_40(platform):
    codes: list[int] = []
    async with platform.api(client_address="203.0.113.40") as c:
        for _ in range(40):
            r = await c.post("/api/identity/v1/sessions", json={
                "tenant": "hubei", "username": f"nobody.{secrets.token_hex(4)}", "password": "a-guess-at-it"})
            codes.append(r.status_code)
            if r.status_code == 429:
                assert int(r.headers["retry-after"]) > 0
                assert r.json()["type"].endswith("/too-many-sign-ins")
                break
    assert codes[-1] == 429 and len(codes) <= 21, codes
    async with platform.api(client_address="198.51.100.41") as c:  # another client still signs in
        expect(await c.post("/api/identity/v1/sessions", json={
            "tenant": "hubei", "username": "admin", "password": platform.admin_password}), 200)


async def test_hun19_the_last_admin_of_a_province_cannot_disable_or_strip_themselves(platform):
    admin = await platform.admin_token("hunan")
    async with platform.api(admin) as c:
        me = expect(await c.get("/api/identity/v1/me"), 200)
        admins = expect(await c.get("/api/identity/v1/users", params={"role": "province_admin", "limit": 100}), 200)
        assert [u["id"] for u in admins["items"] if u["enabled"]] == [me["id"]], "hunan has one administrator"
        for body in ({"enabled": False}, {"roles": ["station_leader"]}):
            r = await c.patch(f"/api/identity/v1/users/{me['id']}", json=body)
            assert r.status_code == 409 and r.json()["type"].endswith("/last-admin"), r.text
        r = await c.patch(f"/api/identity/v1/users/{me['id']}", json={"roles": []})
        assert r.status_code == 422 and r.json()["field"] == "roles"
        assert expect(await c.get("/api/identity/v1/me"), 200)["enabled"] is True


async def test_plat01_weak_passwords_are_refused_naming_the_field(platform, world):
    async with platform.api(await platform.admin_token()) as c:
        name = f"weak.{secrets.token_hex(3)}"
        for password, code in (("12345678", "password-too-short"), ("password", "password-too-short"),
                               ("Password2026!", "password-common"), (f"{name}1", "password-contains-username")):
            r = await c.post("/api/identity/v1/users", json={
                "org_id": world.station_id, "username": name, "display_name": "弱密码", "password": password,
                "roles": ["supervisor"]})
            assert r.status_code == 422 and r.json()["field"] == "password", r.text
            assert r.json()["type"].endswith(f"/{code}")


async def test_a_company_admin_cannot_tell_a_station_users_name_from_a_reserved_one(platform, world):
    admin = await platform.admin_token()
    name = f"cadmin.{secrets.token_hex(3)}"
    async with platform.api(admin) as c:
        expect(await c.post("/api/identity/v1/users", json={
            "org_id": world.contractor_id, "username": name, "display_name": "公司管理员", "password": PASSWORD,
            "roles": ["company_admin"]}), 201)
    company_admin = await platform.sign_in("hubei", name, PASSWORD)
    answers = []
    async with platform.api(company_admin) as c:
        for username in (world.people["zhang"].username, "admin"):  # a station supervisor's name; a reserved one
            r = await c.post("/api/identity/v1/users", json={
                "org_id": world.contractor_id, "username": username, "display_name": "某人", "password": PASSWORD,
                "roles": ["company_staff"]})
            body = r.json()
            answers.append((r.status_code, body["type"], body.get("field"), body.get("detail")))
    assert answers[0] == answers[1] and answers[0][0] == 422 and answers[0][1].endswith("/username-unavailable")


async def test_a_disabled_users_token_stops_at_once_in_identity_and_in_projects(platform, world):
    """HUN-19: 401 ``token-revoked`` from identity at once and from projects as soon as its read model
    has the event (it took up to 15 minutes: the token's lifetime); a new password ends old tokens too."""
    admin = await platform.admin_token()
    name = f"revoked.{secrets.token_hex(3)}"
    async with platform.api(admin) as c:
        user = expect(await c.post("/api/identity/v1/users", json={
            "org_id": world.station_id, "username": name, "display_name": "吴昊", "password": PASSWORD,
            "roles": ["supervisor"]}), 201)
    token = await platform.sign_in("hubei", name, PASSWORD)

    async def status(tok: str, path: str) -> int:
        async with platform.api(tok) as c:
            r = await c.get(path)
        assert r.status_code != 401 or r.json()["type"].endswith("/token-revoked"), r.text
        return r.status_code

    assert await status(token, "/api/identity/v1/me") == 200
    assert await status(token, "/api/projects/v1/projects") == 200
    async with platform.api(admin) as c:
        expect(await c.patch(f"/api/identity/v1/users/{user['id']}", json={"enabled": False}), 200)
    assert await status(token, "/api/identity/v1/me") == 401

    async def projects_refuses() -> bool:
        assert await status(token, "/api/projects/v1/projects") == 401
        return True

    await eventually(projects_refuses, timeout=10)

    async with platform.api(admin) as c:
        expect(await c.patch(f"/api/identity/v1/users/{user['id']}", json={"enabled": True}), 200)
    assert await status(token, "/api/identity/v1/me") == 401, "re-enabling does not revive old tokens"
    second = await platform.sign_in("hubei", name, PASSWORD)

    async def projects_accepts() -> bool:
        assert await status(second, "/api/projects/v1/projects") == 200
        return True

    await eventually(projects_accepts, timeout=10)
    async with platform.api(second) as c:
        r = await c.post("/api/identity/v1/me/password", json={"current_password": PASSWORD,
                                                               "new_password": "Quiet-harbour-93-x"})
        assert r.status_code == 204, r.text
    assert await status(second, "/api/identity/v1/me") == 401
    third = await platform.sign_in("hubei", name, "Quiet-harbour-93-x")
    assert await status(third, "/api/identity/v1/me") == 200

    async def projects_switched() -> bool:
        assert await status(second, "/api/projects/v1/projects") == 401
        assert await status(third, "/api/projects/v1/projects") == 200
        return True

    await eventually(projects_switched, timeout=10)
