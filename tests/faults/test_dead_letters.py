"""PLAT-04 (nothing lost when a service, the broker or the database goes away).
F5: poison messages are dead-lettered, the rest keep flowing, an operator lists and
replays them with ``anjian-deadletters`` (``python -m anjian_shared.deadletters``).

On the shared platform's broker (delivery limit 3 in tests): an undecodable message goes
straight to ``notices.plan-submissions.dead``; an event whose handler keeps failing (a
failpoint for that one plan) is retried 3 times, then parked there; five good plans
published around them get their notices meanwhile. After the cause is gone the operator
replays the parked event: exactly one notice. The undecodable one, replayed, comes back.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import aio_pika
import pytest
from faultkit import Outcomes, duplicates, plan_submitted_event

from anjian_local.testing.fixtures import eventually
from anjian_shared import failpoints
from anjian_shared.bus import DELIVERY_STATS

pytestmark = pytest.mark.slow
QUEUE = "notices.plan-submissions"


async def deadletters(amqp_url: str, *args: str) -> list[dict[str, Any]]:
    """Run the operator command as a separate process; its JSON output."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "anjian_shared.deadletters", "--amqp-url", amqp_url, "--json", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()[-2000:]
    return json.loads(out)


async def test_poison_messages_are_parked_and_replayed_by_the_operator(platform, report):
    url = platform.infra.amqp_url
    db = platform.app("notices").state.mongo.db
    stats = DELIVERY_STATS[QUEUE]
    out = Outcomes("F5 poison messages, dead-letter queue, operator replay")
    failing = plan_submitted_event()
    plan_id = failing["data"]["plan_id"]
    good = [plan_submitted_event() for _ in range(5)]
    failpoint = f"bus.handler.{QUEUE}.{plan_id}"
    failpoints.enable(failpoint, "raise")
    failed_before = stats["failed"]
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("anjian.events")
        poison_id = "poison-" + plan_id
        await exchange.publish(aio_pika.Message(b"\xff\xfe not a cloud event {", message_id=poison_id,
                                                delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                               routing_key="inspections.plan.submitted.v1")
        for event in [good[0], good[1], failing, good[2], good[3], good[4]]:
            await platform.publish(event)
        out.acknowledged = 7

        async def good_ones_issued() -> bool:
            n = await db["notices"].count_documents({"plan_id": {"$in": [e["data"]["plan_id"] for e in good]}})
            assert n == len(good), n
            return True

        await eventually(good_ones_issued, timeout=60)

        async def both_parked() -> list[dict[str, Any]]:
            listed = await deadletters(url, "list", QUEUE)
            ids = {d["message_id"] for d in listed}
            assert {poison_id, failing["id"]} <= ids, ids
            return listed

        listed = {d["message_id"]: d for d in await eventually(both_parked, timeout=60, interval=1)}
        attempts = stats["failed"] - failed_before
        # x-delivery-limit counts returns: the first delivery plus `limit` retries, then parked
        assert attempts == platform.app("notices").state.settings.amqp_delivery_limit + 1
        assert await db["notices"].count_documents({"plan_id": plan_id}) == 0
        out.notes.append(f"undecodable: parked at once (reason {listed[poison_id]['reason']}); failing handler: "
                         f"{attempts} attempts, then parked (reason {listed[failing['id']]['reason']}); "
                         f"the 5 good plans got their notices meanwhile")
        # listing removed nothing
        again = {d["message_id"] for d in await deadletters(url, "list", QUEUE)}
        assert {poison_id, failing["id"]} <= again

        failpoints.disable(failpoint)  # the operator fixed the cause
        replayed = await deadletters(url, "replay", QUEUE, "--id", failing["id"])
        assert [r["message_id"] for r in replayed] == [failing["id"]] and replayed[0]["replayed_to"] == QUEUE

        async def issued_after_replay() -> bool:
            assert await db["notices"].count_documents({"plan_id": plan_id}) == 1
            return True

        await eventually(issued_after_replay, timeout=30)
        out.recovered = 1
        await deadletters(url, "replay", QUEUE, "--id", poison_id)  # still poison: parked again

        async def poison_back() -> dict[str, Any]:
            listed = {d["message_id"]: d for d in await deadletters(url, "list", QUEUE)}
            assert poison_id in listed and failing["id"] not in listed
            return listed[poison_id]

        back = await eventually(poison_back, timeout=30, interval=1)
        out.notes.append(f"replayed the fixed event: 1 notice; replayed the undecodable one: parked again "
                         f"(deaths {back['deaths']}) — it stays visible to the operator, never dropped")
        all_plans = [e["data"]["plan_id"] for e in good] + [plan_id]
        notices = await db["notices"].find({"plan_id": {"$in": all_plans}}).to_list()
        out.lost = len(all_plans) - len({n["plan_id"] for n in notices})
        out.duplicated_effects = duplicates([(n["plan_id"], n["project_id"]) for n in notices])
    finally:
        failpoints.disable(failpoint)
        await connection.close()
    out.check(report)
