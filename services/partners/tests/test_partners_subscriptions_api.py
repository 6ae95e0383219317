"""The subscriptions API (PLAT-03): who may do what, and problems naming the field."""

from __future__ import annotations

import yaml
from partners_testkit import API, register_partner

from anjian_local.scenario import expect
from anjian_shared import asyncapi

WEBHOOK = {"kind": "webhook", "url": "https://partner.example/anjian", "event_types": ["notices.*.*.v1"]}


async def test_catalog_is_served_without_sign_in_and_is_the_committed_document(platform):
    async with platform.api() as c:
        as_json = expect(await c.get(f"{API}/asyncapi.json"), 200)
        r = await c.get(f"{API}/asyncapi.yaml")
    assert as_json == asyncapi.build_document()
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(r.text) == as_json
    assert as_json["asyncapi"] == "3.0.0"


async def test_partner_creates_lists_changes_and_deletes_its_subscription(platform):
    partner = await register_partner(platform)
    async with platform.api(partner.token) as c:
        sub = expect(await c.post(f"{API}/subscriptions", json=WEBHOOK), 201)
        assert sub["client_id"] == partner.client_id and sub["tenant"] == "hubei"
        # `notices.*.*.v1`: every notices event of four words — the Hubei notices and replies, the
        # Hainan enforcement documents, Hebei's discretion table — and nothing of another service
        assert sub["matching_event_types"] == [
            "notices.discretion_entry.changed.v1", "notices.document.closed.v1", "notices.document.escalated.v1",
            "notices.document.issued.v1", "notices.document.replied.v1", "notices.document.reply_reviewed.v1",
            "notices.document.reviewed.v1", "notices.document.submitted.v1", "notices.escalation.penalty_set.v1",
            "notices.notice.closed.v1", "notices.notice.issued.v1", "notices.reply.reviewed.v1",
            "notices.reply.submitted.v1"]
        listed = expect(await c.get(f"{API}/subscriptions"), 200)["items"]
        assert [s["id"] for s in listed] == [sub["id"]] and "secret" not in listed[0]
        got = expect(await c.get(f"{API}/subscriptions/{sub['id']}"), 200)
        assert "secret" not in got and got["url"] == WEBHOOK["url"]
        changed = expect(await c.patch(f"{API}/subscriptions/{sub['id']}", json={
            "event_types": ["inspections.plan.submitted.v1"], "url": "https://partner.example/v2"}), 200)
        assert changed["matching_event_types"] == ["inspections.plan.submitted.v1"]
        assert changed["url"] == "https://partner.example/v2"
        paused = expect(await c.patch(f"{API}/subscriptions/{sub['id']}", json={"status": "paused"}), 200)
        assert paused["status"] == "paused" and paused["paused_reason"] == "by_partner"
        assert (await c.delete(f"{API}/subscriptions/{sub['id']}")).status_code == 204
        assert (await c.get(f"{API}/subscriptions/{sub['id']}")).status_code == 404
        assert (await c.delete(f"{API}/subscriptions/{sub['id']}")).status_code == 404


async def test_bad_input_is_a_problem_naming_the_field(platform):
    partner = await register_partner(platform)
    cases = [
        ({**WEBHOOK, "kind": "email"}, "kind"),
        ({**WEBHOOK, "url": "ftp://partner.example/x"}, "url"),
        ({**WEBHOOK, "url": "not a url"}, "url"),
        ({"kind": "webhook", "event_types": ["#"]}, "url"),
        ({**WEBHOOK, "event_types": ["notices..v1"]}, "event_types.0"),
        ({**WEBHOOK, "event_types": ["notices.*.*.v1", "Notices.#"]}, "event_types.1"),
        ({**WEBHOOK, "event_types": ["weather.#"]}, "event_types.0"),
        ({**WEBHOOK, "event_types": []}, "event_types"),
        ({k: v for k, v in WEBHOOK.items() if k != "event_types"}, "event_types"),
        ({**WEBHOOK, "colour": "red"}, "colour"),
        ({"kind": "amqp", "url": "https://partner.example/x", "event_types": ["#"]}, "url"),
    ]
    async with platform.api(partner.token) as c:
        for body, field in cases:
            r = await c.post(f"{API}/subscriptions", json=body)
            assert r.status_code == 422, (body, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["field"] == field, (body, r.json())
        assert expect(await c.get(f"{API}/subscriptions"), 200)["items"] == [], "nothing was written"
        sub = expect(await c.post(f"{API}/subscriptions", json=WEBHOOK), 201)
        r = await c.patch(f"{API}/subscriptions/{sub['id']}", json={"event_types": ["*"]})
        assert r.status_code == 422 and r.json()["field"] == "event_types.0"
        r = await c.patch(f"{API}/subscriptions/{sub['id']}", json={"status": "deleted"})
        assert r.status_code == 422 and r.json()["field"] == "status"
        r = await c.post(f"{API}/subscriptions/{sub['id']}/secret/rotate", json={"grace_seconds": -1})
        assert r.status_code == 422 and r.json()["field"] == "grace_seconds"


async def test_who_may_do_what(platform, world):
    owner = await register_partner(platform)
    other = await register_partner(platform)
    foreign = await register_partner(platform, "hainan")
    async with platform.api(owner.token) as c:
        sub = expect(await c.post(f"{API}/subscriptions", json=WEBHOOK), 201)
    path = f"{API}/subscriptions/{sub['id']}"
    # users are not partners: a supervisor may not subscribe
    async with platform.api(world.token("zhang")) as c:
        assert (await c.post(f"{API}/subscriptions", json=WEBHOOK)).status_code == 403
        assert (await c.get(f"{API}/subscriptions")).status_code == 403
        assert (await c.get(path)).status_code == 403
    # another partner of the same province doesn't see it; another province's neither
    for p in (other, foreign):
        async with platform.api(p.token) as c:
            assert (await c.get(path)).status_code == 404
            assert (await c.patch(path, json={"status": "paused"})).status_code == 404
            assert (await c.delete(path)).status_code == 404
            assert (await c.post(f"{path}/secret/rotate")).status_code == 404
            assert (await c.get(f"{path}/deliveries")).status_code == 404
            assert sub["id"] not in [s["id"] for s in expect(await c.get(f"{API}/subscriptions"), 200)["items"]]
    # the province administrator lists and inspects; it may stop (pause, delete) any
    # subscription of the province, but not change its URL or patterns (PLAT-03 security)
    async with platform.api(await platform.admin_token()) as c:
        assert sub["id"] in [s["id"] for s in expect(await c.get(f"{API}/subscriptions",
                                                                 params={"limit": 100}), 200)["items"]]
        assert expect(await c.get(path), 200)["id"] == sub["id"]
        expect(await c.get(f"{path}/deliveries"), 200)
        assert (await c.patch(path, json={"url": "https://elsewhere.example/x"})).status_code == 403
        assert (await c.post(f"{path}/secret/rotate")).status_code == 403
        assert (await c.post(f"{API}/subscriptions", json=WEBHOOK)).status_code == 403
    async with platform.api(await platform.admin_token("hainan")) as c:
        assert (await c.get(path)).status_code == 404
    async with platform.api() as c:
        assert (await c.get(f"{API}/subscriptions")).status_code == 401
    async with platform.api(owner.token) as c:
        assert expect(await c.get(path), 200)["status"] == "active", "nothing changed it"


async def test_province_admin_pauses_resumes_and_deletes_any_subscription(platform):
    """PLAT-03 security: the province administrator can always stop a partner's subscription
    (was 403); a partner can't resume what the administrator paused."""
    partner = await register_partner(platform)
    async with platform.api(partner.token) as c:
        sub = expect(await c.post(f"{API}/subscriptions", json=WEBHOOK), 201)
    path = f"{API}/subscriptions/{sub['id']}"
    async with platform.api(await platform.admin_token()) as c:
        paused = expect(await c.patch(path, json={"status": "paused"}), 200)
        assert paused["status"] == "paused" and paused["paused_reason"] == "by_admin"
    async with platform.api(partner.token) as c:
        r = await c.patch(path, json={"status": "active"})
        assert r.status_code == 409 and r.json()["field"] == "status"
    async with platform.api(await platform.admin_token()) as c:
        assert expect(await c.patch(path, json={"status": "active"}), 200)["status"] == "active"
        assert (await c.delete(path)).status_code == 204
    async with platform.api(partner.token) as c:
        assert (await c.get(path)).status_code == 404


async def test_long_patterns_are_refused_naming_the_field(platform):
    """PLAT-03 security: at most 10 words per pattern (a 40-word ``#.#…`` used to stall the
    service for seconds on every match)."""
    partner = await register_partner(platform)
    async with platform.api(partner.token) as c:
        r = await c.post(f"{API}/subscriptions", json={**WEBHOOK, "event_types": [".".join(["#"] * 40)]})
        assert r.status_code == 422 and r.json()["field"] == "event_types.0", r.text
        r = await c.post(f"{API}/subscriptions", json={**WEBHOOK, "event_types": ["#", ".".join(["#"] * 11)]})
        assert r.status_code == 422 and r.json()["field"] == "event_types.1", r.text
        ok = expect(await c.post(f"{API}/subscriptions", json={**WEBHOOK, "event_types": [
            ".".join(["#"] * 10)]}), 201)
        assert "notices.notice.issued.v1" in ok["matching_event_types"]
