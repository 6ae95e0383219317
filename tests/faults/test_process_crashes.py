"""PLAT-04 (nothing lost when a service, the broker or the database goes away).
F3, F2, F7: service processes killed at the worst moments, and two replicas competing.

The services run as real processes (``python -m uvicorn --factory …``) in a world of
their own (vhost, databases); events are ``inspections.plan.submitted.v1`` as inspections
publishes them, so every plan must yield exactly one notice (告知书) per project, one
number each, one ``notices.notice.issued.v1`` and one notification per replier.
Failpoints (``anjian_shared.failpoints``) end a process with ``os._exit`` at an exact
line — the same as a SIGKILL arriving there.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from typing import Any

import pytest
from faultkit import FaultWorld, Outcomes, duplicates, plan_submitted_event

from anjian_local.testing.fixtures import eventually

pytestmark = pytest.mark.slow

ISSUED = "notices.notice.issued.v1"


async def notices_of(world: FaultWorld, plan_ids: list[str]) -> list[dict[str, Any]]:
    return await world.db("notices")["notices"].find({"plan_id": {"$in": plan_ids}}).to_list()


async def wait_for_notices(world: FaultWorld, events: list[dict[str, Any]], timeout: float = 90) -> list[dict]:
    expected = sum(len(e["data"]["projects"]) for e in events)
    plan_ids = [e["data"]["plan_id"] for e in events]

    async def all_there() -> list[dict]:
        found = await notices_of(world, plan_ids)
        assert len(found) >= expected, f"{len(found)} of {expected} notices"
        return found

    return await eventually(all_there, timeout=timeout, interval=0.3)


def effect_duplicates(notices: list[dict[str, Any]]) -> int:
    """Two notices for one (plan, project), or one number given twice."""
    return (duplicates([(n["plan_id"], n["project_id"]) for n in notices])
            + duplicates([(n["tenant_id"], n["number"]) for n in notices]))


def lost(events: list[dict[str, Any]], notices: list[dict[str, Any]]) -> int:
    have = {(n["plan_id"], n["project_id"]) for n in notices}
    return sum(1 for e in events for p in e["data"]["projects"] if (e["data"]["plan_id"], p["project_id"]) not in have)


def log_count(proc: Any, message: str) -> int:
    return sum(1 for line in proc.log_lines() if line.get("event") == message)


async def test_consumer_killed_after_its_effect_before_its_ack_applies_once(fault_world: FaultWorld, report):
    """F3: the handler's transaction committed (notice + inbox row), then the process dies
    before the ack; the broker redelivers, the inbox recognises the event: no second notice."""
    notices = fault_world.service("notices", replica=1)
    await notices.start(extra_env={"ANJIAN_FAILPOINTS": "bus.before_ack=exit"})
    events = [plan_submitted_event() for _ in range(5)]
    out = Outcomes("F3 consumer killed after its effect, before its ack")
    try:
        for e in events:
            await fault_world.publish(e)
            out.acknowledged += 1  # the broker confirmed the publish
        assert await notices.wait_exit(60) == 137  # died at the failpoint
        committed = await notices_of(fault_world, [e["data"]["plan_id"] for e in events])
        out.notes.append(f"at the crash: {len(committed)} notice committed, its message not acked")
        assert len(committed) >= 1
        await notices.start()  # without the failpoint
        found = await wait_for_notices(fault_world, events)
        await asyncio.sleep(1.0)  # late redeliveries would show up now
        found = await notices_of(fault_world, [e["data"]["plan_id"] for e in events])
        out.duplicated_deliveries = log_count(notices, "duplicate delivery ignored")
        out.duplicated_effects = effect_duplicates(found)
        out.lost = lost(events, found)
        out.recovered = len(found) - len(committed)
        out.notes.append(f"after the restart: {len(found)} notices for {len(events)} plans, "
                         f"{out.duplicated_deliveries} redelivery recognised by the inbox")
        assert out.duplicated_deliveries >= 1, "the scenario must include a redelivery of an applied event"

        async def outbox_drained() -> bool:  # leave nothing pending for the next scenario's relay
            return await fault_world.db("notices")["outbox"].count_documents({"status": "pending"}) == 0

        await eventually(outbox_drained, timeout=30)
    finally:
        notices.kill()
    out.check(report)


async def test_service_killed_between_commit_and_publish_publishes_after_restart(fault_world: FaultWorld, report):
    """F2: notices commits a notice and its outbox row, then dies (a) before publishing or
    (b) after the broker confirmed but before the row is marked sent. After a restart the
    relay publishes once the dead relay's lease expired: (a) exactly once, (b) a second
    copy of the same event id, which reporting applies once (one notification)."""
    tap = await fault_world.tap("notices.#")
    reporting = fault_world.service("reporting", replica=1)
    notices = fault_world.service("notices", replica=2)
    await reporting.start()
    try:
        for failpoint in ("outbox.before_publish", "outbox.after_publish"):
            out = Outcomes(f"F2 notices killed at {failpoint}")
            await notices.start(extra_env={"ANJIAN_FAILPOINTS": f"{failpoint}=exit"})
            event = plan_submitted_event(projects=2)
            plan_id = event["data"]["plan_id"]
            await fault_world.publish(event)
            assert await notices.wait_exit(60) == 137
            found = await notices_of(fault_world, [plan_id])
            ids = [n["_id"] for n in found]
            outbox = await fault_world.db("notices")["outbox"].find({"event.subject": {"$in": ids}}).to_list()
            out.acknowledged = len(found)  # committed with their outbox rows
            out.notes.append(f"at the crash: {len(found)} notices committed, outbox rows "
                             f"{sorted(Counter(r['status'] for r in outbox).items())}, tap saw "
                             f"{sum(1 for e in tap.events if e['subject'] in ids)} events")
            started = time.monotonic()
            await notices.start()

            async def published_and_applied(ids: list[str] = ids) -> bool:
                got = [e for e in tap.events if e["type"] == ISSUED and e["subject"] in ids]
                notes = await fault_world.db("reporting")["notifications"].count_documents(
                    {"notice_id": {"$in": ids}, "kind": "notice_to_reply"})
                assert {e["subject"] for e in got} == set(ids) and notes >= len(ids), (len(got), notes)
                return True

            await eventually(published_and_applied, timeout=60, interval=0.2)
            out.notes.append(f"published {time.monotonic() - started:.1f} s after the restart "
                             f"(outbox lease {fault_world.settings['outbox_lease_seconds']} s)")
            await asyncio.sleep(fault_world.settings["outbox_lease_seconds"] + 1)  # any late copy shows up now
            copies = [e["id"] for e in tap.events if e["type"] == ISSUED and e["subject"] in ids]
            notifications = await fault_world.db("reporting")["notifications"].find(
                {"notice_id": {"$in": ids}, "kind": "notice_to_reply"}).to_list()
            out.duplicated_deliveries = duplicates(copies)
            out.duplicated_effects = (effect_duplicates(await notices_of(fault_world, [plan_id]))
                                      + duplicates([(n["notice_id"], n["user_id"]) for n in notifications]))
            out.lost = len(set(ids) - {e["subject"] for e in tap.events if e["type"] == ISSUED})
            out.recovered = len(set(copies))
            sent = await fault_world.db("notices")["outbox"].count_documents(
                {"event.subject": {"$in": ids}, "status": "sent"})
            out.notes.append(f"{len(copies)} copies of {len(set(copies))} events on the exchange, "
                             f"{len(notifications)} notifications, outbox rows sent {sent}/{len(ids)}")
            if failpoint == "outbox.before_publish":
                assert out.duplicated_deliveries == 0, "killed before publishing: the event goes out once"
            notices.kill()
            out.check(report)
    finally:
        notices.kill()
        reporting.kill()


async def test_two_replicas_compete_and_nothing_is_published_or_applied_twice(fault_world: FaultWorld, report):
    """F7: two notices replicas (competing consumers on one queue, competing outbox relays)
    and two reporting replicas. Phase 1: a burst, nobody dies — every event is published
    once and applied once; notice numbers stay unique and gap-free. Phase 2: the same while
    one notices replica is SIGKILLed mid-burst and restarted."""
    tap = await fault_world.tap("notices.#")
    replicas = [fault_world.service("notices", replica=10 + i) for i in range(2)]
    readers = [fault_world.service("reporting", replica=10 + i) for i in range(2)]
    try:
        await asyncio.gather(*(p.start() for p in replicas + readers))
        for phase, kill in (("F7 two replicas", False), ("F7 two replicas, one SIGKILLed mid-burst", True)):
            out = Outcomes(phase)
            events = [plan_submitted_event(projects=1 + i % 2) for i in range(30)]
            for i, e in enumerate(events):
                await fault_world.publish(e)
                out.acknowledged += 1
                if kill and i == 10:
                    replicas[0].kill(signal.SIGKILL)
                if kill and i == 20:
                    await replicas[0].start()
            found = await wait_for_notices(fault_world, events)
            ids = {n["_id"] for n in found}

            async def all_published(ids: set[str] = ids) -> bool:
                got = {e["subject"] for e in tap.events if e["type"] == ISSUED} & ids
                notes = await fault_world.db("reporting")["notifications"].count_documents(
                    {"notice_id": {"$in": list(ids)}, "kind": "notice_to_reply"})
                assert got == ids and notes >= len(ids), (len(got), len(ids), notes)
                return True

            await eventually(all_published, timeout=90, interval=0.3)
            await asyncio.sleep(fault_world.settings["outbox_lease_seconds"] + 1)
            found = await notices_of(fault_world, [e["data"]["plan_id"] for e in events])
            copies = [e["id"] for e in tap.events if e["type"] == ISSUED and e["subject"] in ids]
            notifications = await fault_world.db("reporting")["notifications"].find(
                {"notice_id": {"$in": list(ids)}, "kind": "notice_to_reply"}).to_list()
            out.lost = lost(events, found)
            out.duplicated_effects = (effect_duplicates(found)
                                      + duplicates([(n["notice_id"], n["user_id"]) for n in notifications]))
            out.duplicated_deliveries = duplicates(copies) + sum(
                log_count(p, "duplicate delivery ignored") for p in replicas + readers)
            handled = [log_count(p, "event handled") for p in replicas]
            out.notes.append(f"{len(found)} notices, {len(copies)} notices.notice.issued.v1 on the exchange, "
                             f"{len(notifications)} notifications; events handled per notices replica "
                             f"(cumulative) {handled}")
            if not kill:
                assert duplicates(copies) == 0, "no replica publishes an event another one published"
            out.check(report)
        # numbering: unique and without gaps in this fresh database (a rolled-back issue burns no number)
        seqs = sorted(n["seq"] for n in await fault_world.db("notices")["notices"].find(
            {"tenant_id": "hubei"}, {"seq": 1}).to_list() if "seq" in n)
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    finally:
        for p in replicas + readers:
            p.kill()
