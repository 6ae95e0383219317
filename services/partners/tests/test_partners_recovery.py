"""Recovery after a receiver's outage (PLAT-03): a retry schedule that starts with seconds,
resume and retry-now deliver the backlog at once, manual redelivery of one event, a test
event. Real servers."""

from __future__ import annotations

from datetime import timedelta

from partners_testkit import (
    API,
    create_orgs,
    org_ids,
    register_partner,
    subscribe_webhook,
    wait_for_orgs,
)

from anjian_local.scenario import expect
from anjian_local.testing.fixtures import eventually
from anjian_shared.types import utcnow


async def _pending_head(platform, partner, sub_id: str) -> dict:
    async def failing() -> dict:
        async with platform.api(partner.token) as c:
            page = expect(await c.get(f"{API}/subscriptions/{sub_id}/deliveries",
                                      params={"status": "pending", "limit": 100}), 200)
        tried = [d for d in page["items"] if d["attempts"] >= 1]
        assert tried, "not tried yet"
        return tried[-1]

    return await eventually(failing, timeout=30)


async def _push_back(platform, sub_id: str) -> None:
    """Make the subscription's pending deliveries wait an hour (a long outage's back-off)."""
    later = utcnow() + timedelta(hours=1)
    db = platform.app("partners").state.mongo.db
    await db["deliveries"].update_many({"subscription_id": sub_id, "status": "pending"},
                                       {"$set": {"next_attempt_at": later}})
    await db["subscriptions"].update_one({"_id": sub_id}, {"$set": {"due_at": later}})


async def test_plat03_retry_now_delivers_the_backlog_at_once(platform, receiver):
    partner = await register_partner(platform)
    sub = await subscribe_webhook(platform, partner, receiver, ["identity.organization.created.v1"])
    receiver.fail_with = 500
    ids = await create_orgs(platform, "hubei", 3)
    await _pending_head(platform, partner, sub["id"])
    await _push_back(platform, sub["id"])
    receiver.fail_with = None  # the partner is back; it doesn't want to wait an hour
    async with platform.api(partner.token) as c:
        expect(await c.post(f"{API}/subscriptions/{sub['id']}/retry"), 200)
    await wait_for_orgs(receiver, ids, timeout=15)
    async with platform.api(partner.token) as c:  # paused: resume instead
        expect(await c.patch(f"{API}/subscriptions/{sub['id']}", json={"status": "paused"}), 200)
        r = await c.post(f"{API}/subscriptions/{sub['id']}/retry")
        assert r.status_code == 409 and r.json()["field"] == "status"


async def test_plat03_resume_delivers_the_backlog_at_once(platform, receiver):
    """Resuming a paused subscription no longer waits for the next attempt time."""
    partner = await register_partner(platform)
    sub = await subscribe_webhook(platform, partner, receiver, ["identity.organization.created.v1"])
    receiver.fail_with = 500
    ids = await create_orgs(platform, "hubei", 2)
    await _pending_head(platform, partner, sub["id"])
    async with platform.api(partner.token) as c:
        expect(await c.patch(f"{API}/subscriptions/{sub['id']}", json={"status": "paused"}), 200)
    await _push_back(platform, sub["id"])
    receiver.fail_with = None
    async with platform.api(partner.token) as c:
        expect(await c.patch(f"{API}/subscriptions/{sub['id']}", json={"status": "active"}), 200)
    await wait_for_orgs(receiver, ids, timeout=15)


async def test_plat03_redeliver_one_event_and_send_a_test_event(platform, receiver):
    partner = await register_partner(platform)
    sub = await subscribe_webhook(platform, partner, receiver, ["identity.organization.created.v1"])
    ids = await create_orgs(platform, "hubei", 1)
    await wait_for_orgs(receiver, ids)
    (event,) = [e for e in receiver.of_type("identity.organization.created.v1") if e.data["org_id"] in ids]
    base = f"{API}/subscriptions/{sub['id']}"
    async with platform.api(partner.token) as c:
        delivery = expect(await c.post(f"{base}/events/{event.id}/redeliver"), 202)
        assert delivery["event_id"] == event.id and delivery["status"] == "pending"
        assert (await c.post(f"{base}/events/00000000000000000000000000000000/redeliver")).status_code == 404
        test = expect(await c.post(f"{base}/test", json={"message": "联调测试"}), 202)
        assert test["event_type"] == "partners.test.sent.v1"

    async def arrived() -> bool:
        assert receiver.duplicates >= 1, "the redelivered event came again (same webhook-id)"
        tests = [e for e in receiver.of_type("partners.test.sent.v1") if e.id == test["event_id"]]
        assert tests and tests[0].data["subscription_id"] == sub["id"]
        assert tests[0].data["message"] == "联调测试" and tests[0].data["client_id"] == partner.client_id
        return True

    await eventually(arrived, timeout=30)
    assert receiver.rejected == 0, "both are signed like any delivery"
    other = await register_partner(platform)
    async with platform.api(other.token) as c:  # another partner: neither
        assert (await c.post(f"{base}/test")).status_code == 404
        assert (await c.post(f"{base}/events/{event.id}/redeliver")).status_code == 404
    assert set(ids) <= set(org_ids(receiver))
