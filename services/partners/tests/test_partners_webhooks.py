"""Webhook delivery (PLAT-03): signed per Standard Webhooks, CloudEvents the official SDK
parses, in order, at least once, retried through the partner's own outage, paused after
the retry window, resumable, secrets rotatable."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from partners_testkit import (
    API,
    create_orgs,
    org_ids,
    register_partner,
    replay_all,
    subscribe_webhook,
    wait_for_orgs,
)
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from anjian_local.scenario import expect
from anjian_local.testing.fixtures import eventually
from anjian_local.webhooks import WebhookReceiver
from anjian_shared.types import utcnow


async def test_partner_receives_signed_cloudevents_of_its_subscription(platform, receiver):
    partner = await register_partner(platform)
    sub = await subscribe_webhook(platform, partner, receiver, ["identity.organization.#"])
    assert sub["secret"].startswith("whsec_") and sub["status"] == "active"
    assert sub["matching_event_types"] == ["identity.organization.created.v1"]
    ids = await create_orgs(platform, "hubei", 3)
    await wait_for_orgs(receiver, ids)
    got = receiver.of_type("identity.organization.created.v1")
    assert receiver.rejected == 0, "every delivery verifies with the standardwebhooks library"
    for e in got:
        assert e.headers["webhook-id"] == e.id, "webhook-id is the CloudEvent id (the partner dedupes on it)"
        assert e.headers["content-type"] == "application/cloudevents+json"
        assert e.headers["webhook-signature"].startswith("v1,")
        assert e.tenant == "hubei" and e.source == "/hubei/identity"
        assert e.body["specversion"] == "1.0"
    # only what the patterns match
    assert {e.type for e in receiver.events.values()} == {"identity.organization.created.v1"}
    # the deliveries are visible to the partner
    async with platform.api(partner.token) as c:
        page = expect(await c.get(f"{API}/subscriptions/{sub['id']}/deliveries", params={"limit": 100}), 200)
    mine = [d for d in page["items"] if d["event_id"] in receiver.events]
    assert mine and all(d["status"] == "delivered" and d["attempts"] >= 1 and d["last_response_code"] == 204
                        for d in mine)


async def test_events_arrive_in_log_order_and_match_the_replay(platform, receiver):
    partner = await register_partner(platform)
    sub = await subscribe_webhook(platform, partner, receiver, ["identity.organization.created.v1"])
    ids = await create_orgs(platform, "hubei", 6)
    await wait_for_orgs(receiver, ids)
    async with platform.api(partner.token) as c:
        replayed = await replay_all(c, sub["id"], since=sub["created_at"])
    replay_ids = [e["id"] for e in replayed if e["data"]["org_id"] in ids]
    received = [i for i in receiver.order if receiver.events[i].data["org_id"] in ids]
    assert received == replay_ids, "one subscription's events are delivered in the event log's order"


async def test_receiver_outage_events_are_retried_and_none_is_missing(platform, receiver):
    partner = await register_partner(platform)
    sub = await subscribe_webhook(platform, partner, receiver, ["identity.organization.created.v1"])
    before = await create_orgs(platform, "hubei", 2)
    await wait_for_orgs(receiver, before)

    await receiver.stop()  # the partner's endpoint goes down mid-stream
    during = await create_orgs(platform, "hubei", 4)

    async def retried_while_down() -> bool:
        async with platform.api(partner.token) as c:
            page = expect(await c.get(f"{API}/subscriptions/{sub['id']}/deliveries",
                                      params={"status": "pending", "limit": 100}), 200)
        head = [d for d in page["items"] if d["attempts"] >= 2]
        assert head, "the oldest pending delivery has been retried"
        assert head[0]["last_error"] and head[0]["next_attempt_at"] and head[0]["last_response_code"] is None
        return True

    await eventually(retried_while_down, timeout=30)
    after = await create_orgs(platform, "hubei", 2)  # more events while it is still down
    await receiver.start()  # back on the same port
    await wait_for_orgs(receiver, before + during + after, timeout=60)
    assert set(before + during + after) <= set(org_ids(receiver)), "no event is missing"
    async with platform.api(partner.token) as c:
        replayed = await replay_all(c, sub["id"], since=sub["created_at"])
    wanted = set(before + during + after)
    replay_ids = [e["id"] for e in replayed if e["data"]["org_id"] in wanted]
    received = [i for i in receiver.order if receiver.events[i].data["org_id"] in wanted]
    assert received == replay_ids, "after the outage the events follow in order, without a gap"


async def test_rotated_secret_both_signatures_during_grace_then_only_the_new(platform, receiver):
    partner = await register_partner(platform)
    sub = await subscribe_webhook(platform, partner, receiver, ["identity.organization.created.v1"])
    old_secret = sub["secret"]
    async with platform.api(partner.token) as c:
        rotated = expect(await c.post(f"{API}/subscriptions/{sub['id']}/secret/rotate"), 200)
    new_secret = rotated["secret"]
    assert new_secret != old_secret and new_secret.startswith("whsec_")
    assert rotated["previous_secret_expires_at"] and rotated["secret_rotated_at"]
    # the partner has not switched yet: it still verifies with the old secret
    ids = await create_orgs(platform, "hubei", 1)
    await wait_for_orgs(receiver, ids)
    (event,) = [e for e in receiver.of_type("identity.organization.created.v1") if e.data["org_id"] in ids]
    signatures = event.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    body = json.dumps(event.body, ensure_ascii=False, separators=(",", ":"))
    Webhook(old_secret).verify(body, event.headers)
    Webhook(new_secret).verify(body, event.headers)

    # rotate again without grace: only the newest secret signs
    async with platform.api(partner.token) as c:
        third = expect(await c.post(f"{API}/subscriptions/{sub['id']}/secret/rotate", json={"grace_seconds": 0}),
                       200)
    receiver.secret = third["secret"]
    ids = await create_orgs(platform, "hubei", 1)
    await wait_for_orgs(receiver, ids)
    (event,) = [e for e in receiver.of_type("identity.organization.created.v1") if e.data["org_id"] in ids]
    assert len(event.headers["webhook-signature"].split(" ")) == 1
    body = json.dumps(event.body, ensure_ascii=False, separators=(",", ":"))
    Webhook(third["secret"]).verify(body, event.headers)
    for stale in (old_secret, new_secret):
        with pytest.raises(WebhookVerificationError):
            Webhook(stale).verify(body, event.headers)


async def test_failing_endpoint_is_paused_after_the_window_then_resumed_without_loss(platform, receiver):
    partner = await register_partner(platform)
    sub = await subscribe_webhook(platform, partner, receiver, ["identity.organization.created.v1"])
    watcher = WebhookReceiver()
    await watcher.start()
    try:
        await subscribe_webhook(platform, partner, watcher, ["partners.subscription.paused.v1"])
        receiver.fail_with = 500
        ids = await create_orgs(platform, "hubei", 3)
        deliveries = platform.app("partners").state.mongo.db["deliveries"]

        async def head_failing() -> dict:
            async with platform.api(partner.token) as c:
                page = expect(await c.get(f"{API}/subscriptions/{sub['id']}/deliveries",
                                          params={"status": "pending", "limit": 100}), 200)
            failing = [d for d in page["items"] if d["attempts"] >= 1]
            assert failing
            assert failing[0]["last_response_code"] == 500 and failing[0]["history"]
            return failing[0]

        head = await eventually(head_failing, timeout=30)
        # 24 hours pass (the retry window): move the first attempt back instead of waiting
        await deliveries.update_one({"_id": head["id"]}, {"$set": {"first_attempt_at": utcnow() - timedelta(hours=25)}})

        async def paused() -> dict:
            async with platform.api(partner.token) as c:
                s = expect(await c.get(f"{API}/subscriptions/{sub['id']}"), 200)
            assert s["status"] == "paused" and s["paused_reason"] == "delivery_failed"
            return s

        await eventually(paused, timeout=30)
        async with platform.api(partner.token) as c:
            failed = expect(await c.get(f"{API}/subscriptions/{sub['id']}/deliveries",
                                        params={"status": "failed"}), 200)["items"]
        assert [d["id"] for d in failed] == [head["id"]]
        assert failed[0]["next_attempt_at"] is None and failed[0]["attempts"] >= 2

        # the owner is told: partners.subscription.paused.v1
        async def told() -> list:
            notes = [e for e in watcher.of_type("partners.subscription.paused.v1")
                     if e.data["subscription_id"] == sub["id"]]
            assert notes
            return notes

        (note,) = await eventually(told, timeout=30)
        assert note.data["reason"] == "delivery_failed" and note.data["failed_event_id"] == head["event_id"]
        assert note.data["last_response_code"] == 500 and note.tenant == "hubei"

        # events keep being kept for the paused subscription
        more = await create_orgs(platform, "hubei", 2)
        receiver.fail_with = None  # the partner fixed its endpoint and resumes
        async with platform.api(partner.token) as c:
            resumed = expect(await c.patch(f"{API}/subscriptions/{sub['id']}", json={"status": "active"}), 200)
        assert resumed["status"] == "active" and resumed["paused_reason"] is None
        await wait_for_orgs(receiver, ids + more)
        async with platform.api(partner.token) as c:
            replayed = await replay_all(c, sub["id"], since=sub["created_at"])
        wanted = set(ids + more)
        assert [i for i in receiver.order if receiver.events[i].data["org_id"] in wanted] == \
            [e["id"] for e in replayed if e["data"]["org_id"] in wanted], "resumed in order, nothing lost"
    finally:
        await watcher.stop()


async def test_redelivered_event_is_delivered_once(platform, receiver):
    partner = await register_partner(platform)
    sub = await subscribe_webhook(platform, partner, receiver, ["identity.organization.created.v1"])
    first = await create_orgs(platform, "hubei", 1)
    await wait_for_orgs(receiver, first)
    (event,) = [e for e in receiver.of_type("identity.organization.created.v1") if e.data["org_id"] in first]
    await platform.publish(event.body)  # the broker hands the same event over again
    marker = await create_orgs(platform, "hubei", 1)
    await wait_for_orgs(receiver, marker)
    assert receiver.duplicates == 0
    async with platform.api(partner.token) as c:
        page = expect(await c.get(f"{API}/subscriptions/{sub['id']}/deliveries", params={"limit": 100}), 200)
    assert [d["event_id"] for d in page["items"]].count(event.id) == 1


async def test_disabled_client_subscriptions_are_paused(platform, receiver):
    partner = await register_partner(platform)
    sub = await subscribe_webhook(platform, partner, receiver, ["identity.organization.created.v1"])
    admin = await platform.admin_token()
    async with platform.api(admin) as c:
        r = await c.delete(f"/api/identity/v1/clients/{partner.client_id}")
        assert r.status_code == 204

    async def paused() -> dict:
        async with platform.api(admin) as c:  # the partner's own token is refused now (401)
            s = expect(await c.get(f"{API}/subscriptions/{sub['id']}"), 200)
        assert s["status"] == "paused" and s["paused_reason"] == "client_disabled"
        return s

    await eventually(paused, timeout=30)
    async with platform.api(partner.token) as c:
        r = await c.patch(f"{API}/subscriptions/{sub['id']}", json={"status": "active"})
    assert r.status_code == 401, "a disabled client's unexpired token is refused (PLAT-03 security)"
    async with platform.api(admin) as c:  # nobody resumes a disabled client's subscription
        r = await c.patch(f"{API}/subscriptions/{sub['id']}", json={"status": "active"})
    assert r.status_code == 409 and r.json()["field"] == "status"
    ids = await create_orgs(platform, "hubei", 1)
    async with platform.api() as c:
        r = await c.post("/api/identity/v1/oauth/token", data={
            "grant_type": "client_credentials", "client_id": partner.client_id,
            "client_secret": partner.client_secret})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"

    async def kept_not_sent() -> bool:
        async with platform.api(admin) as c:
            logged = await replay_all(c, sub["id"], since=sub["created_at"])
            assert ids[0] in [e["data"]["org_id"] for e in logged]
            page = expect(await c.get(f"{API}/subscriptions/{sub['id']}/deliveries", params={"limit": 100}), 200)
        event_id = next(e["id"] for e in logged if e["data"]["org_id"] == ids[0])
        assert event_id not in [d["event_id"] for d in page["items"]], "nothing is queued for a disabled client"
        return True

    await eventually(kept_not_sent, timeout=30)
    assert not set(ids) & set(org_ids(receiver)), "a paused subscription is not delivered to"
