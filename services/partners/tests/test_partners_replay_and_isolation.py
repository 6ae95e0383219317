"""Replay from the event log (PLAT-03) and tenant isolation: no partner ever receives or
replays another province's event."""

from __future__ import annotations

import asyncio

from partners_testkit import (
    API,
    create_orgs,
    org_ids,
    register_partner,
    replay_all,
    subscribe_webhook,
    wait_for_orgs,
)

from anjian_local.scenario import expect
from anjian_local.testing.fixtures import eventually
from anjian_local.webhooks import WebhookReceiver


async def _logged(platform, partner, sub_id: str, ids: list[str], **params) -> list[dict]:
    async def all_logged() -> list[dict]:
        async with platform.api(partner.token) as c:
            items = await replay_all(c, sub_id, **params)
        found = [e for e in items if e["data"].get("org_id") in ids]
        assert len(found) == len(ids), f"{len(found)} of {len(ids)} in the log"
        return found

    return await eventually(all_logged, timeout=30)


async def test_replay_since_a_time_after_an_id_and_page_by_page(platform):
    partner = await register_partner(platform)
    async with platform.api(partner.token) as c:
        sub = expect(await c.post(f"{API}/subscriptions", json={
            "kind": "webhook", "url": "http://127.0.0.1:9/never", "event_types": ["identity.organization.#"]}), 201)
        # a paused subscription is not delivered to but still replays
        expect(await c.patch(f"{API}/subscriptions/{sub['id']}", json={"status": "paused"}), 200)
    ids = await create_orgs(platform, "hubei", 5)
    logged = await _logged(platform, partner, sub["id"], ids, since=sub["created_at"])
    assert sorted(e["data"]["org_id"] for e in logged) == sorted(ids)
    for e in logged:
        assert e["specversion"] == "1.0" and e["type"] == "identity.organization.created.v1" and e["tenant"] == "hubei"

    async with platform.api(partner.token) as c:
        # page by page (limit 2) gives the same sequence as one big page
        pages, cursor = [], None
        while True:
            params = {"since": sub["created_at"], "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = expect(await c.get(f"{API}/subscriptions/{sub['id']}/events", params=params), 200)
            assert len(page["items"]) <= 2
            pages += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        whole = expect(await c.get(f"{API}/subscriptions/{sub['id']}/events",
                                   params={"since": sub["created_at"], "limit": 100}), 200)["items"]
        assert [e["id"] for e in pages] == [e["id"] for e in whole]
        # after an event id: exactly the ones logged after it
        anchor = [e["id"] for e in whole].index(logged[1]["id"])
        after = await replay_all(c, sub["id"], after_id=logged[1]["id"])
        assert [e["id"] for e in after][: len(whole) - anchor - 1] == [e["id"] for e in whole[anchor + 1:]]
        assert logged[1]["id"] not in [e["id"] for e in after]
        # only what the subscription's patterns match
        assert {e["type"] for e in whole} <= {"identity.organization.created.v1"}


async def test_replay_refuses_bad_parameters_naming_them(platform):
    partner = await register_partner(platform)
    async with platform.api(partner.token) as c:
        sub = expect(await c.post(f"{API}/subscriptions", json={
            "kind": "webhook", "url": "http://127.0.0.1:9/never", "event_types": ["#"]}), 201)
        base = f"{API}/subscriptions/{sub['id']}/events"
        r = await c.get(base, params={"since": "2026-01-01T00:00:00Z", "after_id": "x"})
        assert r.status_code == 422 and r.json()["field"] == "after_id"
        r = await c.get(base, params={"after_id": "00000000-0000-0000-0000-000000000000"})
        assert r.status_code == 422 and r.json()["field"] == "after_id"
        r = await c.get(base, params={"since": "yesterday"})
        assert r.status_code == 422 and r.json()["field"] == "since"
        r = await c.get(base, params={"cursor": "not-a-cursor"})
        assert r.status_code == 422 and r.json()["field"] == "cursor"
        r = await c.get(base, params={"limit": 1000})
        assert r.status_code == 422 and r.json()["field"] == "limit"


async def test_two_tenants_interleaved_no_partner_gets_the_other_provinces_events(platform):
    hubei, hainan = await asyncio.gather(register_partner(platform, "hubei"), register_partner(platform, "hainan"))
    r_hubei, r_hainan = WebhookReceiver(), WebhookReceiver()
    await r_hubei.start()
    await r_hainan.start()
    try:
        sub_hubei = await subscribe_webhook(platform, hubei, r_hubei, ["#"])
        sub_hainan = await subscribe_webhook(platform, hainan, r_hainan, ["#"])
        hubei_ids: list[str] = []
        hainan_ids: list[str] = []
        for _ in range(4):  # interleaved traffic of both provinces
            a, b = await asyncio.gather(create_orgs(platform, "hubei", 1), create_orgs(platform, "hainan", 1))
            hubei_ids += a
            hainan_ids += b
        await wait_for_orgs(r_hubei, hubei_ids)
        await wait_for_orgs(r_hainan, hainan_ids)
        for receiver, tenant, foreign in ((r_hubei, "hubei", hainan_ids), (r_hainan, "hainan", hubei_ids)):
            assert receiver.events, tenant
            assert all(e.tenant == tenant and e.source.startswith(f"/{tenant}/") for e in receiver.events.values())
            assert not set(org_ids(receiver)) & set(foreign)
        # nor through replay, nor by naming the other province's subscription
        async with platform.api(hubei.token) as c:
            replayed = await replay_all(c, sub_hubei["id"], since=sub_hubei["created_at"])
            assert replayed and all(e["tenant"] == "hubei" for e in replayed)
            r = await c.get(f"{API}/subscriptions/{sub_hainan['id']}/events")
            assert r.status_code == 404
            r = await c.get(f"{API}/subscriptions/{sub_hainan['id']}")
            assert r.status_code == 404
            r = await c.get(f"{API}/subscriptions/{sub_hubei['id']}/events",
                            params={"after_id": r_hainan.order[0]})
            assert r.status_code == 422, "another province's event id is not in this province's log"
    finally:
        await r_hubei.stop()
        await r_hainan.stop()
