"""One-time-code sign-in over HTTP on the real servers (FJ-01, HN-01): a Hainan user binds a
verified mobile number with a code and then signs in with codes; a code is single use even
when fired concurrently (exactly one of the uses succeeds); an expired code is
``otp-expired``; the development gateway's outbox is readable outside production only."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta

from anjian_local.scenario import PASSWORD, expect
from anjian_shared.types import utcnow

T = "hainan"


def mobile() -> str:
    return f"136{secrets.randbelow(10 ** 8):08d}"


async def _user_with_verified_mobile(platform) -> tuple[str, str]:
    number, name = mobile(), f"otp.{secrets.token_hex(3)}"
    async with platform.api(await platform.admin_token(T)) as c:
        org = expect(await c.post("/api/identity/v1/organizations", json={
            "name": f"海口站{secrets.token_hex(3)}", "kind": "station"}), 201)["id"]
        expect(await c.post("/api/identity/v1/users", json={
            "org_id": org, "username": name, "display_name": "吴", "password": PASSWORD,
            "roles": ["supervisor"], "mobile": number}), 201)
    token = await platform.sign_in(T, name, PASSWORD)
    async with platform.api(token) as c:
        r = await c.post("/api/identity/v1/otp", json={"tenant": T, "mobile": number})
        assert r.status_code == 422 and r.json()["code"] == "mobile-not-registered"   # set by the admin: unverified
        expect(await c.post("/api/identity/v1/me/mobile/otp", json={"mobile": number}), 202)
        code = expect(await c.get("/api/identity/v1/dev/sms", params={"tenant": T, "mobile": number}), 200)[0]["code"]
        me = expect(await c.post("/api/identity/v1/me/mobile", json={"mobile": number, "code": code}), 200)
    assert me["mobile"] == number
    return token, number


async def _code(c, number: str) -> str:
    expect(await c.post("/api/identity/v1/otp", json={"tenant": T, "mobile": number}), 202)
    return expect(await c.get("/api/identity/v1/dev/sms", params={"tenant": T, "mobile": number}), 200)[0]["code"]


async def test_hn01_a_bound_mobile_signs_in_with_a_code_used_once_even_concurrently(platform):
    """HN-01/FJ-01: after binding, the number gets codes; five concurrent uses of one code:
    exactly one token pair, four ``otp-invalid``; the code then stays spent."""
    _, number = await _user_with_verified_mobile(platform)
    async with platform.api() as c:
        code = await _code(c, number)
        body = {"tenant": T, "mobile": number, "code": code}
        answers = await asyncio.gather(*(c.post("/api/identity/v1/sessions/otp", json=body) for _ in range(5)))
        assert sorted(r.status_code for r in answers) == [200, 401, 401, 401, 401]
        assert {r.json()["code"] for r in answers if r.status_code == 401} == {"otp-invalid"}
        [ok] = [r.json() for r in answers if r.status_code == 200]
        r = await c.post("/api/identity/v1/sessions/otp", json=body)
        assert r.status_code == 401 and r.json()["code"] == "otp-invalid"
    async with platform.api(ok["access_token"]) as c:
        assert expect(await c.get("/api/identity/v1/me"), 200)["mobile"] == number


async def test_fj01_an_expired_code_is_refused_distinctly(platform):
    """FJ-01/HN-01: a code past its 5 minutes is ``otp-expired`` (the clock is moved in the
    database, no waiting)."""
    _, number = await _user_with_verified_mobile(platform)
    async with platform.api() as c:
        code = await _code(c, number)
        await platform.app("identity").state.mongo.db.otp_codes.update_many(
            {"tenant_id": T, "mobile": number, "used_at": None},
            {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}})
        r = await c.post("/api/identity/v1/sessions/otp", json={"tenant": T, "mobile": number, "code": code})
    assert r.status_code == 401 and r.json()["code"] == "otp-expired"


async def test_hn01_a_number_bound_by_one_account_is_not_bound_by_another(platform):
    """HN-01: 409 ``mobile-taken``; the stored code is a hash, never the digits."""
    _, number = await _user_with_verified_mobile(platform)
    async with platform.api(await platform.admin_token(T)) as c:
        r = await c.post("/api/identity/v1/me/mobile/otp", json={"mobile": number})
    assert r.status_code == 409 and r.json()["code"] == "mobile-taken"
    rows = await platform.app("identity").state.mongo.db.otp_codes.find({"tenant_id": T, "mobile": number}).to_list()
    sent = await platform.app("identity").state.mongo.db.dev_sms_outbox.find({"mobile": number}).to_list()
    assert rows and all(s["code"] not in str(r) for r in rows for s in sent)
