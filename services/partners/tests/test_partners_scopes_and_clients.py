"""A partner token reaches only what its scopes name, and a disabled client stops at once
(PLAT-03 security). Real servers: identity, partners (and the bus between them)."""

from __future__ import annotations

import secrets

from partners_testkit import (
    API,
    Partner,
    create_orgs,
    org_ids,
    register_partner,
    replay_all,
    subscribe_webhook,
)

from anjian_local.scenario import expect
from anjian_local.testing.fixtures import eventually
from anjian_local.webhooks import WebhookReceiver


async def _partner(platform, scopes: list[str], tenant: str = "hubei") -> Partner:
    admin = await platform.admin_token(tenant)
    name = f"合作方{secrets.token_hex(3)}"
    async with platform.api(admin) as c:
        client = expect(await c.post("/api/identity/v1/clients", json={"name": name, "scopes": scopes}), 201)
        tok = expect(await c.post("/api/identity/v1/oauth/token", data={
            "grant_type": "client_credentials", "client_id": client["client_id"],
            "client_secret": client["client_secret"]}), 200)
    return Partner(tenant, client["client_id"], client["client_secret"], tok["access_token"], name)


async def _create_user(platform, tenant: str = "hubei") -> str:
    admin = await platform.admin_token(tenant)
    async with platform.api(admin) as c:
        org = expect(await c.post("/api/identity/v1/organizations", json={
            "name": f"合作测试单位{secrets.token_hex(4)}", "kind": "company", "company_roles": ["contractor"]}), 201)
        user = expect(await c.post("/api/identity/v1/users", json={
            "org_id": org["id"], "username": f"u{secrets.token_hex(5)}", "display_name": "李四",
            "password": "Zx9!long-enough-pw", "roles": ["company_staff"], "mobile": "13800000000"}), 201)
    return user["id"]


async def test_plat03_partner_token_reaches_no_other_service(platform):
    """Partner A's token can't list the province's users (it used to: the authority's staff)
    nor any other service's data: a partner token is accepted by the partners API only."""
    partner = await register_partner(platform)
    async with platform.api(partner.token) as c:
        r = await c.get("/api/identity/v1/users")
        assert r.status_code == 403, r.text
        assert (await c.get("/api/identity/v1/organizations")).status_code == 403
        assert (await c.get("/api/projects/v1/projects")).status_code == 403
        assert (await c.get("/api/inspections/v1/plans")).status_code == 403
        expect(await c.get(f"{API}/subscriptions"), 200)


async def test_plat03_scopes_per_family_and_personal_data_only_with_its_scope(platform):
    """``events:read`` keeps every family but people: a ``#`` subscription matches no
    ``identity.user.*`` type and ``identity.user.#`` is refused (403 naming the pattern);
    ``events:personal`` grants them; a family scope grants its family only."""
    legacy = await register_partner(platform)
    personal = await _partner(platform, ["events:personal"])
    notices_only = await _partner(platform, ["events:notices"])
    async with platform.api(legacy.token) as c:
        everything = expect(await c.post(f"{API}/subscriptions", json={
            "kind": "webhook", "url": "http://127.0.0.1:9/x", "event_types": ["#"]}), 201)
        got = set(everything["matching_event_types"])
        assert {"notices.notice.issued.v1", "identity.organization.created.v1",
                "inspections.plan.submitted.v1", "projects.project.registered.v1"} <= got
        assert not {t for t in got if t.startswith("identity.user.")}, got
        assert everything["scopes"] == ["events:read"]
        r = await c.post(f"{API}/subscriptions", json={
            "kind": "webhook", "url": "http://127.0.0.1:9/x", "event_types": ["notices.#", "identity.user.#"]})
        assert r.status_code == 403 and r.json()["field"] == "event_types.1", r.text
        assert "events:personal" in r.json()["detail"]
    async with platform.api(personal.token) as c:
        people = expect(await c.post(f"{API}/subscriptions", json={
            "kind": "webhook", "url": "http://127.0.0.1:9/x", "event_types": ["identity.#"]}), 201)
        assert {"identity.user.created.v1", "identity.user.updated.v1"} <= set(people["matching_event_types"])
        assert "identity.organization.created.v1" not in people["matching_event_types"]
    async with platform.api(notices_only.token) as c:
        sub = expect(await c.post(f"{API}/subscriptions", json={
            "kind": "webhook", "url": "http://127.0.0.1:9/x", "event_types": ["#"]}), 201)
        assert {t.split(".")[0] for t in sub["matching_event_types"]} <= {"notices", "partners", "identity"}
        assert all(t.startswith(("notices.", "partners.", "identity.client.")) for t in sub["matching_event_types"])
    # the catalog says which scope grants which type
    async with platform.api() as c:
        listed = expect(await c.get(f"{API}/event-types"), 200)
    by_type = {i["type"]: i for i in listed["items"]}
    assert by_type["identity.user.created.v1"]["scopes"] == ["events:personal"]
    assert by_type["identity.user.created.v1"]["personal_data"] is True
    assert set(by_type["notices.notice.issued.v1"]["scopes"]) == {"events:notices", "events:read"}
    assert by_type["partners.subscription.paused.v1"]["own_only"] is True
    assert "notice_id" in by_type["notices.notice.issued.v1"]["data_schema"]["properties"]
    assert "events:personal" in listed["scopes"]


async def test_plat03_no_partner_receives_people_or_another_partners_registrations(platform):
    """Partner A (``events:read``, pattern ``#``) gets organisations but no user (names,
    mobiles) and none of partner B's events (its client registration, its subscription
    paused with its webhook URL) — neither delivered nor replayed; B gets its own."""
    a_receiver, b_receiver = WebhookReceiver(), WebhookReceiver()
    await a_receiver.start()
    await b_receiver.start()
    try:
        a = await register_partner(platform)
        sub_a = await subscribe_webhook(platform, a, a_receiver, ["#"])
        b = await register_partner(platform)
        await subscribe_webhook(platform, b, b_receiver, ["partners.#", "identity.client.#"])
        async with platform.api(b.token) as c:
            b_hook = expect(await c.post(f"{API}/subscriptions", json={
                "kind": "webhook", "url": "https://b-secret-endpoint.example/hook",
                "event_types": ["notices.#"]}), 201)
        user_id = await _create_user(platform)
        async with platform.api(await platform.admin_token()) as c:  # B's subscription is paused
            expect(await c.patch(f"{API}/subscriptions/{b_hook['id']}", json={"status": "paused"}), 200)
        marker = await create_orgs(platform, "hubei", 1)

        async def b_told() -> bool:
            notes = [e for e in b_receiver.of_type("partners.subscription.paused.v1")
                     if e.data["subscription_id"] == b_hook["id"]]
            assert notes and notes[0].data["reason"] == "by_admin"
            return True

        await eventually(b_told, timeout=30)

        async def a_got_marker() -> bool:
            assert set(marker) <= set(org_ids(a_receiver))
            return True

        await eventually(a_got_marker, timeout=30)
        types = {e.type for e in a_receiver.events.values()}
        assert not {t for t in types if t.startswith("identity.user.")}, "no personal data"
        for e in a_receiver.events.values():
            assert e.data.get("user_id") != user_id
            if e.type.startswith(("partners.", "identity.client.")):
                assert e.data["client_id"] == a.client_id, e.body
        assert "b-secret-endpoint" not in str([e.body for e in a_receiver.events.values()])
        async with platform.api(a.token) as c:
            replayed = await replay_all(c, sub_a["id"], since=sub_a["created_at"])
        assert marker[0] in [e["data"].get("org_id") for e in replayed]
        assert not [e for e in replayed if e["type"].startswith("identity.user.")]
        assert not [e for e in replayed if e["type"].startswith(("partners.", "identity.client."))
                    and e["data"]["client_id"] != a.client_id]
    finally:
        await a_receiver.stop()
        await b_receiver.stop()


async def test_plat03_disabled_client_is_refused_at_once_and_everything_it_owns_stops(platform, receiver):
    """After the province admin disables the client, its unexpired token is refused (401) by
    every partners request — listing, reading, creating — and its subscriptions are paused."""
    partner = await register_partner(platform)
    sub = await subscribe_webhook(platform, partner, receiver, ["identity.organization.#"])
    async with platform.api(await platform.admin_token()) as c:
        assert (await c.delete(f"/api/identity/v1/clients/{partner.client_id}")).status_code == 204

    async def refused() -> bool:
        async with platform.api(partner.token) as c:
            r = await c.get(f"{API}/subscriptions")
        assert r.status_code == 401, r.text
        return True

    await eventually(refused, timeout=10)
    async with platform.api(partner.token) as c:
        assert (await c.get(f"{API}/subscriptions/{sub['id']}")).status_code == 401
        r = await c.post(f"{API}/subscriptions", json={
            "kind": "webhook", "url": receiver.url, "event_types": ["notices.#"]})
        assert r.status_code == 401, "no new subscription with a disabled client's token"
        assert (await c.post(f"{API}/subscriptions/{sub['id']}/test")).status_code == 401
    async with platform.api(await platform.admin_token()) as c:
        s = expect(await c.get(f"{API}/subscriptions/{sub['id']}"), 200)
        assert s["status"] == "paused" and s["paused_reason"] == "client_disabled"
        assert (await c.delete(f"{API}/subscriptions/{sub['id']}")).status_code == 204
