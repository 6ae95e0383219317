"""HEB-01 company registration over HTTP on the real servers: what is refused and why, the review,
and the duplicate credit-code race on the real database (two registrations with one credit code
fired together: exactly one 201, the other 409 ``credit-code-taken`` — a unique index decides)."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from anjian_local.demo_hebei import credit_code_for
from anjian_local.scenario import expect
from anjian_local.testing.fixtures import Platform

REG = "/api/identity/v1/company-registrations"


def body(**kw: Any) -> dict[str, Any]:
    sfx = secrets.token_hex(3)
    return {"tenant": "hebei", "company_name": f"河北某租赁有限公司{sfx}", "credit_code": credit_code_for(),
            "company_roles": ["leasing"], "in_province": True, "division_code": "130102", "contact_name": "李四",
            "contact_mobile": "13800000000", "admin": {"username": f"reg.{sfx}", "password": "Tower-crane-2026"},
            **kw}


def code(r: Any) -> str:
    return str(r.json().get("code"))


async def test_heb01_concurrent_registrations_with_one_credit_code_exactly_one_201(platform: Platform):
    """HEB-01 (GB 32100 code unique per province): fired together, many rounds, exactly one is
    accepted; the other is 409 ``credit-code-taken`` naming ``credit_code``."""
    for _ in range(8):
        shared = credit_code_for()

        async def register(shared: str = shared) -> Any:
            async with platform.api() as c:  # each its own client address (the throttle counts per address)
                return await c.post(REG, json=body(credit_code=shared))

        r1, r2 = await asyncio.gather(register(), register())
        assert sorted([r1.status_code, r2.status_code]) == [201, 409], (r1.text, r2.text)
        loser = r1 if r1.status_code == 409 else r2
        assert code(loser) == "credit-code-taken" and loser.json()["errors"][0]["field"] == "credit_code"


async def test_heb01_refusals_name_the_field(platform: Platform):
    """HEB-01 a wrong GB 32100 check character, an unknown GB/T 2260 division, a local company
    outside the province, a weak password: 422 naming the field; nothing is stored."""
    good = credit_code_for()
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    cases = [({"credit_code": wrong}, "credit_code", "credit-code-check-character"),
             ({"division_code": "139999"}, "division_code", "unknown-division"),
             ({"division_code": "110105"}, "division_code", "division-outside-province"),
             ({"admin": {"username": "weak.user", "password": "short"}}, "admin.password", None),
             ({"admin": {"username": "craneuser", "password": "craneuser2026"}}, "admin_password",
              "password-contains-username")]
    async with platform.api() as c:
        for change, field, slug in cases:
            r = await c.post(REG, json=body(**change))
            assert r.status_code == 422, r.text
            assert field in {e["field"] for e in r.json().get("errors", [])} or r.json().get("field") == field, r.text
            if slug:
                assert code(r) == slug, r.text
        assert (await c.post(REG, json=body(credit_code=good))).status_code == 201


async def test_heb01_review_enable_sign_in_refuse_needs_reason(platform: Platform):
    """HEB-01 the applicant polls with its token (wrong token 404); only the reviewing authority
    decides (a company 403/404); refusing needs a reason (422); enabling creates the company's
    administrator, who signs in; deciding twice is 409."""
    admin = await platform.admin_token("hebei")
    async with platform.api() as c:
        first = expect(await c.post(REG, json=(b1 := body())), 201)
        second = expect(await c.post(REG, json=body()), 201)
        expect(await c.get(f"{REG}/{first['id']}/status", params={"tenant": "hebei"},
                           headers={"X-Registration-Token": "x" * 30}), 404)
        polled = expect(await c.get(f"{REG}/{first['id']}/status", params={"tenant": "hebei"},
                                    headers={"X-Registration-Token": first["status_token"]}), 200)
        assert polled["status"] == "pending"
    async with platform.api(admin) as c:
        pending = expect(await c.get(REG, params={"status": "pending"}), 200)
        assert first["id"] in {r["id"] for r in pending["items"]}
        r = await c.post(f"{REG}/{second['id']}/decision", json={"decision": "refuse", "reason": ""})
        assert r.status_code == 422, r.text
        expect(await c.post(f"{REG}/{second['id']}/decision", json={"decision": "refuse", "reason": "材料不全"}), 200)
        enabled = expect(await c.post(f"{REG}/{first['id']}/decision", json={"decision": "enable"}), 200)
        assert enabled["status"] == "enabled" and enabled["org_id"]
        again = await c.post(f"{REG}/{first['id']}/decision", json={"decision": "enable"})
        assert again.status_code == 409, again.text
    token = await platform.sign_in("hebei", b1["admin"]["username"], b1["admin"]["password"])
    async with platform.api(token) as c:
        r = await c.post(f"{REG}/{second['id']}/decision", json={"decision": "enable"})
        assert r.status_code in (403, 404), r.text
        # the enabled company's credit code is taken now
    async with platform.api() as c:
        r = await c.post(REG, json=body(credit_code=b1["credit_code"]))
        assert r.status_code == 409 and code(r) == "credit-code-taken", r.text
