"""The audit trail on the real platform (issue 16; architecture.md: every state change audited
in the same transaction, hash-chained per tenant, kept ≥ 6 months): identity's changes,
sign-ins, failed sign-ins and token refreshes are entries with who, from where, request and
trace id; province administrators query and export them (XLSX); the verification command
finds an edited entry. Runs with identity alone (``ANJIAN_TEST_SERVICES=identity``)."""

from __future__ import annotations

import io
import secrets

from anjian_local.scenario import PASSWORD, expect
from anjian_local.testing.fixtures import eventually
from anjian_shared import audit

AUDIT = "/api/identity/v1/audit"


async def items_of(c, params, want=bool):
    """The query's items once ``want(items)``: an entry is in the chain (and the query) about
    half a second after its commit (the sealer)."""
    async def got():
        items = expect(await c.get(AUDIT, params=params), 200)["items"]
        assert want(items), items
        return items

    return await eventually(got, timeout=30)


async def test_a_change_and_sign_ins_are_audited_with_who_and_where(platform):
    admin = await platform.admin_token("hubei")
    request_id = f"req-{secrets.token_hex(4)}"
    async with platform.api(admin, client_address="198.51.100.23") as c:
        org = expect(await c.post("/api/identity/v1/organizations", json={"name": "审计测试监督站", "kind": "station"},
                                  headers={"X-Request-ID": request_id, "User-Agent": "pc-web/1.0"}), 201)
        username = f"audit.{secrets.token_hex(3)}"
        user = expect(await c.post("/api/identity/v1/users", json={
            "org_id": org["id"], "username": username, "display_name": "审计员", "password": PASSWORD,
            "roles": ["supervisor"]}), 201)
        [entry] = await items_of(c, {"object_id": org["id"]})
    assert entry["action"] == "identity.organization.created"
    assert entry["actor"]["roles"] == ["province_admin"] and entry["actor"]["tenant"] == "hubei"
    assert entry["origin"]["request_id"] == request_id and entry["origin"]["user_agent"] == "pc-web/1.0"
    assert len(entry["origin"]["trace_id"]) == 32 and entry["origin"]["address"]
    async with platform.api() as c:
        r = await c.post("/api/identity/v1/sessions", json={"tenant": "hubei", "username": username,
                                                            "password": "not-the-password"})
        assert r.status_code == 401
        pair = expect(await c.post("/api/identity/v1/sessions", json={"tenant": "hubei", "username": username,
                                                                      "password": PASSWORD}), 200)
        expect(await c.post("/api/identity/v1/sessions/refresh", json={"refresh_token": pair["refresh_token"]}), 200)
    wanted = {"session.sign_in_failed", "session.signed_in", "session.token_refreshed", "identity.user.created"}
    async with platform.api(admin) as c:
        items = await items_of(c, {"object_id": user["id"], "limit": 10},
                               lambda items: wanted <= {i["action"] for i in items})
    actions = [i["action"] for i in items]
    assert {"session.sign_in_failed", "session.signed_in", "session.token_refreshed",
            "identity.user.created"} <= set(actions), actions
    signed_in = next(i for i in items if i["action"] == "session.signed_in")
    assert signed_in["actor"]["user_id"] == user["id"] and "password" not in signed_in["changes"].lower().replace(
        "not-the-password", "")


async def test_only_the_province_administrator_reads_the_trail_and_filters_work(platform):
    admin = await platform.admin_token("hubei")
    username = f"audit.reader.{secrets.token_hex(3)}"
    async with platform.api(admin) as c:
        org = expect(await c.post("/api/identity/v1/organizations", json={"name": "审计读者监督站", "kind": "station"}),
                     201)
        expect(await c.post("/api/identity/v1/users", json={
            "org_id": org["id"], "username": username, "display_name": "监督员", "password": PASSWORD,
            "roles": ["supervisor"]}), 201)
        await items_of(c, {"action": "identity.user.created"})
        page = expect(await c.get(AUDIT, params={"action": "identity.user.created", "limit": 2}), 200)
        assert all(i["action"] == "identity.user.created" for i in page["items"])
        if page["next_cursor"]:
            more = expect(await c.get(AUDIT, params={"action": "identity.user.created", "limit": 2,
                                                     "cursor": page["next_cursor"]}), 200)
            assert {i["seq"] for i in more["items"]}.isdisjoint({i["seq"] for i in page["items"]})
        r = await c.get(AUDIT, params={"since": "2026-02-01T00:00:00+08:00", "until": "2026-01-01T00:00:00+08:00"})
        assert r.status_code == 422 and r.json()["code"] == "audit-period-invalid" and r.json()["field"] == "since"
    supervisor = await platform.sign_in("hubei", username, PASSWORD)
    async with platform.api(supervisor) as c:
        r = await c.get(AUDIT)
        assert r.status_code == 403 and r.json()["code"] == "not-audit-reader"
        assert (await c.get(AUDIT + "/export")).status_code == 403
    other = await platform.admin_token("hainan")
    async with platform.api(other) as c:  # another province's administrator sees only its own tenant
        items = expect(await c.get(AUDIT, params={"limit": 100}), 200)["items"]
    assert all(i["actor"].get("tenant") in (None, "hainan") for i in items)


async def test_export_is_xlsx_and_is_itself_audited(platform):
    from openpyxl import load_workbook

    admin = await platform.admin_token("hubei")
    async with platform.api(admin) as c:
        await items_of(c, {"action": "session.signed_in"})
        r = await c.get(AUDIT + "/export", params={"action": "session.signed_in"})
        assert r.status_code == 200 and r.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        rows = list(load_workbook(io.BytesIO(r.content))["审计日志"].values)
        assert rows[0][0] == "序号 seq" and len(rows) >= 2 and all(row[3] == "session.signed_in" for row in rows[1:])
        [exported] = await items_of(c, {"action": "audit.exported", "limit": 1})
    assert '"action":"session.signed_in"' in exported["changes"]


async def test_the_verification_command_detects_an_edited_entry(platform):
    mongo = platform.app("identity").state.mongo
    db = mongo.db
    admin = await platform.admin_token("hubei")  # at least one entry (the sign-in)
    assert admin
    await audit.seal_pending(mongo)  # (the service's sealer may be at it too: no fork either way)
    intact = await audit.verify(db, "hubei")
    assert intact.ok, intact.problems
    target = await db[audit.AUDIT].find_one({"tenant_id": "hubei"}, sort=[("seq", -1)])
    original = target["actor"]
    await db[audit.AUDIT].update_one({"_id": target["_id"]}, {"$set": {"actor": {"user_id": "someone-else"}}})
    try:
        broken = await audit.verify(db, "hubei")
        assert not broken.ok and any(f"seq {target['seq']}" in p for p in broken.problems), broken.problems
    finally:
        await db[audit.AUDIT].update_one({"_id": target["_id"]}, {"$set": {"actor": original}})
    assert (await audit.verify(db, "hubei")).ok
