"""Same-shape limits for ``make bench`` (issue 16): each hot path's work done raw, in the same
run, so that every platform figure is a ratio to ITS OWN limit rather than to a bare endpoint.

- ``transaction``: the database transaction a request commits, without the service: the same
  documents (``add_result``: a result inserted and its plan updated; ``submit_plan``: a plan's
  status set; ``submit_filing``, HEB-06: the machine entered in the registry as pending and its
  application set submitted; ``answer_point``, FJ-06: one checklist point's answer set in the
  self-inspection, no event), an outbox row where the request emits an event, the commit marker,
  and — since the audit trail (``anjian_shared.audit``) — the staged audit entry, with the
  services' write concern; ``audit=False`` measures it without the audit part: the ratio of the
  two is the audit trail's cost (the sealing happens outside).
- ``s3_put``: the same JPEG put into the same bucket with the minio SDK.
- ``presign``: presigned GET URLs (a listing of 10 results presigns 10 photos).
- ``jwt_verify``: RS256 access-token verification with PyJWT (every request does one).
- ``consume_commit``: a raw consume-and-commit loop — a quorum queue, prefetch 32, per message
  one transaction (inbox insert + one upsert), ack — the limit of a consumer group's drain.

All figures per second; nothing asserted."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from typing import Any

import aio_pika

from anjian_shared import audit
from anjian_shared.mongo import connect
from anjian_shared.types import new_id, utcnow


async def _run_for(seconds: float, concurrency: int, once: Any) -> tuple[int, float, list[float]]:
    done = 0
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def worker(i: int) -> None:
        nonlocal done
        while time.monotonic() < deadline:
            t = time.perf_counter()
            await once(i)
            latencies.append(time.perf_counter() - t)
            done += 1

    started = time.monotonic()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return done, time.monotonic() - started, latencies


def _p50(latencies: list[float]) -> float | None:
    return round(sorted(latencies)[len(latencies) // 2] * 1000, 1) if latencies else None


SHAPES = ("add_result", "submit_plan", "submit_filing", "answer_point")


async def transaction(mongo_url: str, *, shape: str, audit_on: bool, seconds: float = 5,
                      concurrency: int = 16) -> dict[str, Any]:
    """Raw transactions of ``shape`` (one of ``SHAPES``) per second."""
    client = connect(mongo_url)
    db = client[f"bench_raw_txn_{shape}_{int(audit_on)}"]
    targets = [new_id() for _ in range(concurrency)]
    points = 1
    if shape == "answer_point":  # the very checklist a self-inspection copies (188 JGJ 59 points, 38 KB)
        from inspections.adapters.seed import seed_catalog
        from inspections.domain import libraries
        from inspections.domain.self_inspections import checklist

        catalog = checklist(libraries.check_points(seed_catalog()))
        points = len(catalog)
        await db["self_inspections"].insert_many([{
            "_id": t, "tenant_id": "fujian", "status": "in_progress", "version": 1, "points": catalog,
            "inspector": {"user_id": "u1", "name": "林志强"}, "companion_ids": []} for t in targets])
    elif shape == "submit_filing":
        await db["applications"].insert_many([{"_id": t, "tenant_id": "hebei", "kind": "filing", "stage": "draft",
                                               "version": 1, "history": []} for t in targets])
    else:
        await db["plans"].insert_many([{"_id": t, "tenant_id": "hubei", "status": "confirmed", "results_count": 0,
                                        "version": 1} for t in targets])
    await audit.ensure_indexes(db)
    conflicts = 0
    turn = 0

    async def statements(i: int, session: Any, journal: audit.Journal, now: Any) -> str | None:
        """The shape's own writes; returns the event type it emits (None: no event)."""
        nonlocal turn
        if shape == "answer_point":
            turn += 1
            update = {"$set": {f"points.{turn % points}.answer": {
                "value": "yes", "description": None, "photos": [], "answered_at": now,
                "answered_by": {"user_id": "u1", "name": "林志强"}}, "updated_at": now}, "$inc": {"version": 1}}
            await db["self_inspections"].find_one_and_update(
                {"_id": targets[i], "tenant_id": "fujian", "status": "in_progress"}, update, session=session)
            journal.note("update", "self_inspections", targets[i], update)
            return None
        if shape == "submit_filing":
            machine = {"_id": new_id(), "tenant_id": "hebei", "machine_kind": "tower_crane", "model": "QTZ80(TC5610)",
                       "maker": "中联重科股份有限公司", "factory_number": new_id()[:12], "status": "pending",
                       "maker_key": "中联重科股份有限公司", "factory_number_key": new_id()[:12],
                       "owner_org_id": "o1", "filing_application_id": targets[i], "created_at": now}
            await db["machines"].insert_one(machine, session=session)
            journal.note("insert", "machines", machine["_id"], machine)
            update = {"$set": {"stage": "submitted", "authority_org_id": "station", "updated_at": now,
                               "machine_id": machine["_id"]},
                      "$push": {"history": {"at": now, "action": "submitted", "by": "u1"}}, "$inc": {"version": 1}}
            await db["applications"].find_one_and_update({"_id": targets[i], "tenant_id": "hebei"}, update,
                                                         session=session)
            journal.note("update", "applications", targets[i], update)
            return "equipment.application.submitted.v1"
        if shape == "add_result":
            result = {"_id": new_id(), "tenant_id": "hubei", "plan_id": targets[i], "finding": "五层临边防护缺失",
                      "hazard_codes": ["JGJ59-A.0.6-01"], "building_name": "5#楼", "created_at": now,
                      "photos": [{"bucket": "bench", "key": f"hubei/results/{new_id()}.jpg",
                                  "content_type": "image/jpeg", "size": 40_000, "sha256": "0" * 64}]}
            await db["results"].insert_one(result, session=session)
            update = {"$inc": {"results_count": 1, "version": 1}, "$set": {"updated_at": now}}
            journal.note("insert", "results", result["_id"], result)
        else:
            update = {"$set": {"status": "submitted", "submitted_at": now}, "$inc": {"version": 1}}
        await db["plans"].find_one_and_update({"_id": targets[i], "tenant_id": "hubei"}, update, session=session)
        journal.note("update", "plans", targets[i], update)
        return f"inspections.{shape}.v1"

    async def once(i: int) -> None:
        nonlocal conflicts
        from pymongo.errors import OperationFailure

        while True:
            session = client.start_session()
            try:
                await session.start_transaction()
                now = utcnow()
                journal = audit.Journal()
                emitted = await statements(i, session, journal, now)
                events = []
                if emitted:
                    event = {"id": new_id(), "type": emitted, "tenant": "hubei", "data": {}}
                    events.append(event)
                    await db["outbox"].insert_one({"_id": event["id"], "tenant_id": "hubei", "type": event["type"],
                                                   "event": event, "status": "pending", "created_at": now,
                                                   "attempts": 0, "claimed_until": None}, session=session)
                if audit_on:
                    entry = audit.build_entry(tenant="hubei", service="bench", journal=journal, events=events, at=now)
                    await audit.stage(db, session, entry)
                await db["commits"].insert_one({"_id": new_id(), "tenant_id": "hubei", "at": now,
                                                "expires_at": now + timedelta(days=1)}, session=session)
                await session.commit_transaction()
                return
            except OperationFailure as exc:
                if exc.has_error_label("TransientTransactionError") or exc.code in (112, 251):
                    conflicts += 1
                    await asyncio.sleep(0.005)
                    continue
                raise
            finally:
                await session.end_session()

    done, elapsed, latencies = await _run_for(seconds, concurrency, once)
    await client.drop_database(db.name)
    await client.close()
    return {"transactions_per_s": round(done / elapsed, 1), "p50_ms": _p50(latencies), "conflicts_retried": conflicts,
            "shape": shape, "audit": audit_on, "concurrency": concurrency, "write_concern": "w=majority, j=true"}


async def s3_put(endpoint: str, access_key: str, secret_key: str, data: bytes, *, seconds: float = 5,
                 concurrency: int = 8) -> dict[str, Any]:
    """Raw ``put_object`` of ``data`` (the bench's JPEG) with the minio SDK, ``concurrency`` threads."""
    import io

    from minio import Minio

    client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=False, region="us-east-1")
    bucket = "bench-raw-put"
    if not client.bucket_exists(bucket):
        client.make_bucket(bucket)

    async def once(_i: int) -> None:
        await asyncio.to_thread(client.put_object, bucket, f"hubei/{new_id()}.jpg", io.BytesIO(data), len(data),
                                content_type="image/jpeg")

    done, elapsed, latencies = await _run_for(seconds, concurrency, once)
    return {"puts_per_s": round(done / elapsed, 1), "p50_ms": _p50(latencies), "bytes": len(data),
            "concurrency": concurrency}


def presign(endpoint: str, access_key: str, secret_key: str, *, count: int = 2000) -> dict[str, Any]:
    """Presigned GET URLs per second (CPU only: SigV4 signing)."""
    from minio import Minio

    client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=False, region="us-east-1")
    started = time.perf_counter()
    for i in range(count):
        client.presigned_get_object("bench-raw-put", f"hubei/{i}.jpg", expires=timedelta(minutes=15))
    return {"presigns_per_s": round(count / (time.perf_counter() - started), 1)}


def jwt_verify(*, count: int = 3000) -> dict[str, Any]:
    """RS256 access tokens verified per second (PyJWT, key object cached as the services do)."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    token = jwt.encode({"iss": "anjian", "aud": "anjian", "sub": "u1", "tenant": "hubei", "org": "o1",
                        "roles": ["supervisor"], "iat": now, "exp": now + 900, "jti": new_id()}, key,
                       algorithm="RS256", headers={"kid": "k1"})
    public = key.public_key()
    started = time.perf_counter()
    for _ in range(count):
        jwt.decode(token, public, algorithms=["RS256"], audience="anjian", issuer="anjian")
    return {"verifies_per_s": round(count / (time.perf_counter() - started), 1), "key": "RSA 2048"}


async def consume_commit(amqp_url: str, mongo_url: str, *, messages: int = 2000, prefetch: int = 32) -> dict[str, Any]:
    """A raw consume-and-commit loop: ``messages`` persistent messages in a quorum queue, consumed
    with ``prefetch``; each one transaction (inbox insert + read-model upsert), then ack."""
    client = connect(mongo_url)
    db = client["bench_raw_consume"]
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel(publisher_confirms=True)
    queue = await channel.declare_queue("bench.raw-consume", durable=True, arguments={"x-queue-type": "quorum"})
    body = json.dumps({"id": "x", "type": "notices.notice.closed.v1", "data": {"number": "鄂安监告〔2026〕0001号"}},
                      ensure_ascii=False).encode()
    await asyncio.gather(*(channel.default_exchange.publish(
        aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, message_id=new_id()),
        routing_key=queue.name) for _ in range(messages)))
    consumer_channel = await connection.channel()
    await consumer_channel.set_qos(prefetch_count=prefetch)
    cqueue = await consumer_channel.get_queue(queue.name)
    applied = 0
    conflicts = 0
    finished = asyncio.Event()

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        nonlocal applied, conflicts
        from pymongo.errors import OperationFailure

        while True:  # a transaction conflict is retried, as with_transaction does
            session = client.start_session()
            try:
                await session.start_transaction()
                await db["inbox"].insert_one({"_id": message.message_id, "tenant_id": "hubei",
                                              "received_at": utcnow()}, session=session)
                await db["notices"].update_one({"_id": message.message_id, "tenant_id": "hubei"},
                                               {"$set": {"status": "closed", "at": utcnow()}}, upsert=True,
                                               session=session)
                await session.commit_transaction()
                break
            except OperationFailure as exc:
                if not (exc.has_error_label("TransientTransactionError") or exc.code in (112, 251)):
                    raise
                conflicts += 1
                await asyncio.sleep(0.005)
            finally:
                await session.end_session()
        await message.ack()
        applied += 1
        if applied >= messages:
            finished.set()

    started = time.monotonic()
    tag = await cqueue.consume(on_message)
    try:
        await asyncio.wait_for(finished.wait(), timeout=180)
    except TimeoutError:
        pass
    elapsed = time.monotonic() - started
    await cqueue.cancel(tag)
    await queue.delete(if_unused=False, if_empty=False)
    await connection.close()
    await client.drop_database(db.name)
    await client.close()
    return {"applied_per_s": round(applied / elapsed, 1), "messages": messages, "applied": applied,
            "prefetch": prefetch, "conflicts_retried": conflicts}
