"""PLAT-04 (nothing lost when a service, the broker or the database goes away).
F1, F4, F6: the infrastructure goes away under a steady stream of HB writes.

A ``Stream`` of workers plays plan → confirm → 2 results with photos → signature →
submit (限期整改) in a loop, each write with an ``Idempotency-Key`` and retried on 503 /
lost connections. Meanwhile:

- F1: RabbitMQ is stopped and restarted twice (SIGTERM once, SIGKILL once);
- F4: the database server is restarted; clients must see 503 with Retry-After, never 500,
  and every write acknowledged before (or after) the restart must be there;
- F6: the S3 endpoint is killed during uploads; no record may point at a missing object.

Afterwards every acknowledged result is stored once and every acknowledged submission
has exactly one notice (告知书) with a number of its own.
"""

from __future__ import annotations

import asyncio
import signal
import time

import pytest
from faultkit import Outcomes, Stream, dead_letter_counts

from anjian_local.fixtures_faults import restart_process
from anjian_shared.bus import DELIVERY_STATS
from anjian_shared.events.common import MediaRef

pytestmark = pytest.mark.slow


def embedded(platform):  # type: ignore[no-untyped-def]
    if platform.infra.embedded is None:
        pytest.skip("needs the embedded infrastructure to stop processes")
    return platform.infra.embedded


def redeliveries() -> int:
    return sum(c["duplicate"] for c in DELIVERY_STATS.values())


async def run_until(stream: Stream, condition, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.2)


async def test_broker_stopped_and_killed_under_a_stream_of_results_and_notices(platform, world, report):
    """F1."""
    infra = embedded(platform)
    out = Outcomes("F1 RabbitMQ stopped (SIGTERM) and killed (SIGKILL) under a stream of writes")
    before = redeliveries()
    stream = Stream(platform, world, workers=2)
    await stream.start()
    delayed = 0
    try:
        for sig, pause in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
            acked = len(stream.ledger.acknowledged["submit"])
            await run_until(stream, lambda a=acked: len(stream.ledger.acknowledged["submit"]) >= a + 2)
            infra.kill("rabbitmq", sig)
            down_at = len(stream.ledger.acknowledged["submit"])
            await asyncio.sleep(pause)
            t = time.monotonic()
            await restart_process(infra, "rabbitmq")
            while_away = len(stream.ledger.acknowledged["submit"]) - down_at
            delayed += while_away
            out.notes.append(f"{signal.Signals(sig).name}: broker back after {pause + time.monotonic() - t:.0f} s; "
                             f"{while_away} plans submitted while it was away")
        await platform.wait_ready()
        acked = len(stream.ledger.acknowledged["submit"])
        await run_until(stream, lambda: len(stream.ledger.acknowledged["submit"]) >= acked + 2)
    finally:
        await stream.stop()
    await stream.verify(out, timeout=120)
    out.recovered += delayed  # their events waited in the outbox; the notices came after the restart
    out.duplicated_deliveries = redeliveries() - before
    out.check(report)


@pytest.mark.parametrize(("sig", "down"), [(signal.SIGTERM, 8), (signal.SIGKILL, 20)], ids=["stopped", "killed"])
async def test_database_restarted_under_load_loses_nothing_and_answers_503(platform, world, report, sig, down):
    """F4: down for 8 s, then (SIGKILL) 20 s — longer than the driver's 5 s server selection
    (clients get 503s) and long enough for consumers to use up a delivery limit of 3 if
    they nacked while the database is away; no event may end in a dead-letter queue."""
    infra = embedded(platform)
    out = Outcomes(f"F4 database server {signal.Signals(sig).name} and restarted under a stream of writes")
    before = redeliveries()
    parked_before = {q: c["undecodable"] for q, c in DELIVERY_STATS.items()}
    waited_before = sum(c["waited_for_dependency"] for c in DELIVERY_STATS.values())
    parked = await dead_letter_counts(platform)
    stream = Stream(platform, world, workers=3)
    await stream.start()
    try:
        await run_until(stream, lambda: len(stream.ledger.acknowledged["submit"]) >= 2)
        acked_before = (len(stream.ledger.acknowledged["result"]), len(stream.ledger.acknowledged["submit"]))
        infra.kill("mongodb", sig)
        await asyncio.sleep(down)
        t = time.monotonic()
        await restart_process(infra, "mongodb")
        out.notes.append(f"database down ≈{down + time.monotonic() - t:.0f} s; acknowledged before the stop: "
                         f"{acked_before[0]} results, {acked_before[1]} submissions")
        await platform.wait_ready()
        acked = len(stream.ledger.acknowledged["submit"])
        await run_until(stream, lambda: len(stream.ledger.acknowledged["submit"]) >= acked + 2)
    finally:
        await stream.stop()
    await stream.verify(out, timeout=120)
    out.duplicated_deliveries = redeliveries() - before
    waited = sum(c["waited_for_dependency"] for c in DELIVERY_STATS.values()) - waited_before
    out.notes.append(f"consumers waited for the database {waited} times instead of burning their delivery limit")
    grown = {q: n - parked.get(q, 0) for q, n in (await dead_letter_counts(platform)).items() if n != parked.get(q, 0)}
    out.lost += sum(grown.values())
    out.notes.append(f"dead-letter queues: {'unchanged' if not grown else grown}")
    out.check(report)
    assert {q: c["undecodable"] for q, c in DELIVERY_STATS.items() if q in parked_before} == parked_before
    assert stream.ledger.statuses.get(500, 0) == 0


async def test_s3_endpoint_killed_during_uploads_leaves_no_record_without_its_object(platform, world, report):
    """F6."""
    infra = embedded(platform)
    out = Outcomes("F6 S3 endpoint killed during uploads")
    stream = Stream(platform, world, workers=3, retry_for=90)
    await stream.start()
    try:
        await run_until(stream, lambda: len(stream.ledger.acknowledged["result"]) >= 3)
        infra.kill("s3", signal.SIGKILL)
        await asyncio.sleep(12)  # longer than the S3 client's own retries (≈6 s): uploads fail
        await restart_process(infra, "s3")
        await platform.wait_ready()
        acked = len(stream.ledger.acknowledged["submit"])
        await run_until(stream, lambda: len(stream.ledger.acknowledged["submit"]) >= acked + 2)
    finally:
        await stream.stop()
    await stream.verify(out, timeout=120)
    # every stored record's photos, signature and seal exist in S3
    app = platform.app("inspections")
    db, storage = app.state.mongo.db, app.state.storage
    refs: list[MediaRef] = []
    async for doc in db["results"].find({"finding": {"$regex": "^连续写入"}}, {"photos": 1}):
        refs += [MediaRef.model_validate(p) for p in doc.get("photos", [])]
    async for doc in db["plans"].find({"title": {"$regex": "^连续抽查"}}, {"signature": 1, "seal": 1}):
        refs += [MediaRef.model_validate(doc[k]) for k in ("signature", "seal") if doc.get(k)]

    def missing() -> list[str]:
        gone = []
        for ref in refs:
            try:
                storage.client.stat_object(ref.bucket, ref.key)
            except Exception:  # noqa: BLE001 - NoSuchKey and friends
                gone.append(ref.key)
        return gone

    absent = await asyncio.to_thread(missing)
    out.lost += len(absent)
    out.notes.append(f"{len(refs)} media references in stored records checked in S3: {len(absent)} missing")
    out.check(report)
