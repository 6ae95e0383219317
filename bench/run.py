"""``make bench``: what this machine does with this stack, measured in one run.

Starts the embedded infrastructure (RabbitMQ, SecantusDB, rclone S3 — the same as
``make run`` and the tests) and identity, projects, inspections, notices and reporting as
real processes (``python -m uvicorn --factory …``), builds a Hubei world over HTTP, then
measures from separate processes — HTTP load with ``wrk`` (Debian package), the rest
from this runner:

- the machine: cores, memory, CPU model;
- the limits of this machine for this stack: a bare FastAPI endpoint taking a pydantic
  body (one uvicorn worker, like each service), a raw insert into the database (with
  the services' write concern), a raw publish with confirms to a quorum queue, raw
  Argon2id verifications with identity's parameters (the ceiling of signing in);
- the platform: requests/s and p50/p95/p99 of signing in, listing a plan's results,
  adding an inspection result (multipart, one JPEG), submitting a plan (HB-06: the
  record is frozen and ``inspections.plan.submitted.v1`` goes out; each prepared plan
  once, ``ANJIAN_BENCH_SUBMIT_PLANS`` (600) of them in ``ANJIAN_BENCH_SUBMIT_SECONDS`` (4)),
  submitting a Hainan supervision record (HN-04: multipart, one JPEG, a standard term and
  a violation cited, issued to the project manager) — each write alone (its consumers,
  ``DOWNSTREAM``, paused: the figure its same-shape limit is about) and again with its
  consumers running; events/s through the
  outbox relay; commit-to-consumer latency at a fixed request rate; seconds to render a
  notice PDF; each figure as a ratio to its limit; the scaling factor of the results
  listing from one to two worker processes.

Prints a table and writes ``bench/results.json``. Nothing here is asserted: the
figures depend on the machine.

Stopped with SIGTERM, SIGINT (Ctrl-C) or SIGHUP, it stops every process it started (the
services, then RabbitMQ, SecantusDB and rclone) and exits 128 + the signal's number
(``anjian_local.processes``). ``--hold`` is the short mode: start the infrastructure and the
services, print ``holding`` and wait for a signal (the test of that cleanup uses it).

``ANJIAN_BENCH`` chooses what runs (empty: everything; ``hot``: only the hot paths; ``bulk``: only the bulk figures of
``bench/bulk.py``, ``bulk:sync,freeze``: some of them; sizes by ``ANJIAN_BENCH_BULK_*``).
``ANJIAN_BENCH_SECONDS`` (default 8) is the length of each wrk run,
``ANJIAN_BENCH_CONNECTIONS`` (default 16) its connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform as pyplatform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import bulk  # bench/bulk.py: the bulk figures (issue 16)
import httpx
import shapes  # bench/shapes.py, next to this file (the script's folder is on sys.path)

from anjian_local.demo_fujian import play_fujian
from anjian_local.demo_hebei import CERTIFICATES, SHIJIAZHUANG, draft, settled, tower_crane
from anjian_local.gatewayclient import RoutingTransport
from anjian_local.infra import EmbeddedInfra, InfraConfig, free_port
from anjian_local.media import signature_png, site_photo
from anjian_local.processes import Stopped, reap_descendants, stop_on_signals
from anjian_local.scenario import HAIKOU, PASSWORD, build_world, expect, sign_in
from anjian_local.subprocess_service import ServiceProcess
from anjian_shared.events import make_event
from anjian_shared.events.notices_v1 import NoticeClosed
from anjian_shared.mongo import connect
from anjian_shared.settings import DEV_ADMIN_PASSWORD
from anjian_shared.types import new_id, utcnow

HERE = Path(__file__).resolve().parent
SECONDS = int(os.environ.get("ANJIAN_BENCH_SECONDS", "8"))
CONNECTIONS = int(os.environ.get("ANJIAN_BENCH_CONNECTIONS", "16"))
SUBMIT_PLANS = int(os.environ.get("ANJIAN_BENCH_SUBMIT_PLANS", "600"))
SUBMIT_SECONDS = int(os.environ.get("ANJIAN_BENCH_SUBMIT_SECONDS", "4"))
FILINGS = int(os.environ.get("ANJIAN_BENCH_FILINGS", "600"))
"""Hebei crane filings (HEB-06) prepared as drafts with their certificates, each submitted once."""
SERVICES = ["identity", "projects", "inspections", "notices", "reporting", "equipment"]
DOWNSTREAM = ("notices", "reporting")
"""The services consuming the events of the measured writes (a result added, a plan or a record
submitted): each write path is measured with them paused (its own work, the figure compared with
its same-shape limit) and again with them consuming (what a user sees while they catch up)."""
BENCH = os.environ.get("ANJIAN_BENCH", "")
"""What to run: empty or ``all`` (the hot paths, then the bulk figures), ``hot`` (only the hot
paths and their limits), ``bulk`` (only the
bulk figures), ``bulk:sync,xlsx`` (only those of ``bulk.FIGURES``)."""

LUA_DONE = r"""
local threads = {}
setup = function(thread) table.insert(threads, thread) end
statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
done = function(summary, latency, requests)
  local e = summary.errors
  local counts = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do counts[k] = (counts[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(counts) do table.insert(parts, string.format("\"%d\":%d", k, v)) end
  io.write(string.format(
    "BENCH{\"requests\":%d,\"duration_us\":%d,\"non_2xx\":%d,\"socket_errors\":%d," ..
    "\"p50_us\":%d,\"p95_us\":%d,\"p99_us\":%d,\"statuses\":{%s}}\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), table.concat(parts, ",")))
end
"""


_T0 = time.monotonic()


def say(text: str) -> None:
    print(f"[{time.monotonic() - _T0:6.1f}s] {text}", flush=True)


async def measured(name: str, figures: dict[str, Any], coro: Any) -> Any:
    """Run one measurement; a failure is recorded (and printed), the run goes on."""
    started = time.monotonic()
    try:
        figures[name] = await coro
    except Exception as exc:  # noqa: BLE001 - one broken figure must not lose the others
        figures[name] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    figures[name]["took_s"] = round(time.monotonic() - started, 1)
    say(f"  {name}: {json.dumps({k: v for k, v in figures[name].items() if k != 'two_workers'}, ensure_ascii=False)}")
    return figures[name]


# --------------------------------------------------------------------------- machine


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = pyplatform.processor()
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory_gib": round(mem_kb / 1024 / 1024, 1), "cpu_model": model,
            "kernel": pyplatform.release(), "python": pyplatform.python_version()}


# --------------------------------------------------------------------------- wrk


def wrk(url: str, lua: str, *, seconds: int = SECONDS, connections: int = CONNECTIONS, threads: int = 1,
        workdir: Path) -> dict[str, Any]:
    """Run wrk with ``lua`` (+ the reporting ``done``); requests/s of 2xx answers and latency."""
    script = workdir / f"wrk-{time.monotonic_ns()}.lua"
    script.write_text(lua + LUA_DONE)
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s",
                          "-s", str(script), url], capture_output=True, text=True, timeout=seconds + 120,
                         check=False)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH{")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout[-500:]} {out.stderr[-500:]}")
    r = json.loads(line[5:])
    secs = r["duration_us"] / 1e6
    ok = sum(v for k, v in r["statuses"].items() if 200 <= int(k) < 300)
    return {"requests_per_s": round(ok / secs, 1), "p50_ms": round(r["p50_us"] / 1000, 1),
            "p95_ms": round(r["p95_us"] / 1000, 1), "p99_ms": round(r["p99_us"] / 1000, 1),
            "requests": r["requests"], "statuses": r["statuses"], "socket_errors": r["socket_errors"],
            "seconds": round(secs, 1), "connections": connections}


def lua_string(value: str) -> str:
    return "[==[" + value + "]==]"


def lua_request(method: str, path: str, *, token: str | None = None, json_body: Any = None,
                body_file: Path | None = None, content_type: str | None = None) -> str:
    lines = [f'wrk.method = "{method}"', f"wrk.path = {lua_string(path)}"]
    if token:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    if json_body is not None:
        lines.append('wrk.headers["Content-Type"] = "application/json"')
        lines.append(f"wrk.body = {lua_string(json.dumps(json_body, ensure_ascii=False))}")
    if body_file is not None:
        lines.append(f'wrk.headers["Content-Type"] = "{content_type}"')
        lines.append(f'local f = io.open({lua_string(str(body_file))}, "rb"); wrk.body = f:read("*all"); f:close()')
    return "\n".join(lines) + "\n"


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes, str]]) -> tuple[bytes, str]:
    boundary = "anjianbench" + new_id()
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data, ctype in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {ctype}\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# --------------------------------------------------------------------------- limits


BARE_APP = '''
from fastapi import FastAPI
from pydantic import BaseModel, Field

app = FastAPI()


class Finding(BaseModel):
    project_id: str = Field(min_length=1, max_length=64)
    building_name: str = Field(min_length=1, max_length=200)
    hazard_codes: list[str]
    finding: str = Field(min_length=1, max_length=2000)


@app.post("/echo")
async def echo(body: Finding) -> Finding:
    return body
'''


async def limit_bare_fastapi(workdir: Path) -> dict[str, Any]:
    (workdir / "bare_app.py").write_text(BARE_APP)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port),  # noqa: ASYNC220
                             "--no-access-log", "--log-level", "warning"], cwd=workdir, start_new_session=True)
    try:
        async with httpx.AsyncClient() as c:
            for _ in range(100):
                try:
                    await c.get(f"http://127.0.0.1:{port}/docs")
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
        body = {"project_id": new_id(), "building_name": "3#楼", "hazard_codes": ["JGJ59-A.0.6-01"],
                "finding": "三层临边未设防护栏杆"}
        return await asyncio.to_thread(wrk, f"http://127.0.0.1:{port}", lua_request("POST", "/echo", json_body=body),
                                       workdir=workdir)
    finally:
        proc.terminate()
        proc.wait(10)


async def limit_db_insert(mongo_url: str, seconds: float = 5, concurrency: int = 16) -> dict[str, Any]:
    """Raw ``insert_one`` of a small document, with the services' write concern (majority, journaled)."""
    client = connect(mongo_url)
    col = client["bench_raw"]["inserts"]
    done = 0
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal done
        while time.monotonic() < deadline:
            t = time.perf_counter()
            await col.insert_one({"_id": new_id(), "tenant_id": "hubei", "at": utcnow(), "finding": "临边防护缺失"})
            latencies.append(time.perf_counter() - t)
            done += 1

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.monotonic() - started
    await client.drop_database("bench_raw")
    await client.close()
    return {"inserts_per_s": round(done / elapsed, 1), "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "write_concern": "w=majority, j=true", "concurrency": concurrency}


async def limit_publish(amqp_url: str, seconds: float = 5, in_flight: int = 64) -> dict[str, Any]:
    """Raw persistent publishes with confirms into a quorum queue."""
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.declare_exchange("bench.raw", aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue("bench.raw", durable=True, arguments={"x-queue-type": "quorum"})
    await queue.bind(exchange, routing_key="#")
    body = json.dumps({"specversion": "1.0", "type": "bench.raw.v1", "data": {"finding": "临边防护缺失" * 10}},
                      ensure_ascii=False).encode()
    done = 0
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal done
        while time.monotonic() < deadline:
            await exchange.publish(aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                                    message_id=new_id()), routing_key="bench.raw.v1")
            done += 1

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    elapsed = time.monotonic() - started
    await queue.delete(if_unused=False, if_empty=False)
    await exchange.delete()
    await connection.close()
    return {"publishes_per_s": round(done / elapsed, 1), "in_flight": in_flight, "queue": "quorum, persistent"}


async def limit_argon2_verify(seconds: float = 5) -> dict[str, Any]:
    """Raw Argon2id verifications per second with identity's parameters (argon2-cffi's
    ``PasswordHasher()`` defaults), one thread per core: the ceiling of signing in."""
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    stored = hasher.hash(PASSWORD)
    threads = os.cpu_count() or 1
    deadline = time.monotonic() + seconds

    def worker() -> int:
        n = 0
        while time.monotonic() < deadline:
            hasher.verify(stored, PASSWORD)
            n += 1
        return n

    started = time.monotonic()
    counts = await asyncio.gather(*(asyncio.to_thread(worker) for _ in range(threads)))
    return {"verifies_per_s": round(sum(counts) / (time.monotonic() - started), 1), "threads": threads,
            "parameters": f"time_cost={hasher.time_cost}, memory_cost={hasher.memory_cost} KiB, "
                          f"parallelism={hasher.parallelism}"}


# --------------------------------------------------------------------------- platform


class Platform:
    def __init__(self, infra: EmbeddedInfra, workdir: Path) -> None:
        self.infra = infra
        self.workdir = workdir
        cfg = infra.cfg
        self.ports: dict[str, int] = {name: free_port() for name in SERVICES}
        self.settings = {
            "environment": "development", "mongo_url": cfg.mongo_url, "mongo_db_prefix": "bench_",
            "amqp_url": cfg.amqp_url, "s3_endpoint": cfg.s3_endpoint, "s3_access_key": cfg.s3_access_key,
            "s3_secret_key": cfg.s3_secret_key, "s3_region": "us-east-1", "s3_bucket_prefix": "bench",
            "identity_url": f"http://127.0.0.1:{self.ports['identity']}", "public_base_url": "http://127.0.0.1",
            "log_json": True,
        }
        self.procs: dict[str, ServiceProcess] = {}
        for name in SERVICES:
            self.add(name)

    def add(self, name: str) -> ServiceProcess:
        """Define one more service process (started by ``start`` or by hand)."""
        self.ports.setdefault(name, free_port())
        settings: dict[str, Any] = {**self.settings, "service_name": name}
        if name == "identity":
            # HN-01's verified mobile is off, as in `make run`: the bench's Hainan users sign in with
            # passwords (production keeps it on)
            settings["verified_mobile_tenants"] = []
        self.procs[name] = ServiceProcess(name, settings, log_dir=self.workdir,
                                          port=self.ports[name])
        return self.procs[name]

    def url(self, name: str) -> str:
        return self.procs[name].url

    def api(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url="http://bench.local", headers=headers, timeout=60,
                                 transport=RoutingTransport({n: p.url for n, p in self.procs.items()}))

    async def start(self) -> None:
        await self.procs["identity"].start()
        await asyncio.gather(*(p.start() for n, p in self.procs.items() if n != "identity"))

    def stop(self) -> None:
        for p in self.procs.values():
            p.stop()


async def make_plan(api: Any, world: Any, *, results: int, submit: bool = False, sign: bool = True) -> str:
    zhang = world.people["zhang"]
    async with api(zhang.token) as c:
        plan = expect(await c.post("/api/inspections/v1/plans", json={
            "title": "压测抽查", "project_ids": [world.project_id], "planned_date": date.today().isoformat(),
            "supervisor_user_ids": [zhang.user_id]}), 201)
        pid = plan["id"]
        expect(await c.post(f"/api/inspections/v1/plans/{pid}/confirm"), 200)
        for i in range(results):
            expect(await c.post(f"/api/inspections/v1/plans/{pid}/results", data={
                "project_id": world.project_id, "building_name": f"{i + 1}#楼", "hazard_codes": ["JGJ59-A.0.6-01"],
                "finding": f"第{i + 1}处临边防护缺失"},
                files=[("photos", ("p.jpg", site_photo(i), "image/jpeg"))]), 201)
        if sign:
            expect(await c.put(f"/api/inspections/v1/plans/{pid}/signature",
                               files={"file": ("s.png", signature_png(), "image/png")}), 200)
        if submit:
            expect(await c.post(f"/api/inspections/v1/plans/{pid}/submit", json=submit_body()), 200)
    return pid


async def record_fields(p: Platform, world: Any) -> tuple[list[tuple[str, str]], Any]:
    """The form of a Hainan supervision record (HN-04) citing one standard term and one
    violation, issued straight to the project manager; waits until inspections learned
    the project (one record is submitted to find out). Returns (fields, the submitter)."""
    zhang, liu = world.people["zhang"], world.people["liu"]
    async with p.api(zhang.token) as c:
        term = expect(await c.get("/api/inspections/v1/terms", params={"check_type": "safety", "q": "临边"}),
                      200)["items"][0]["code"]
        violation = expect(await c.get("/api/inspections/v1/violations", params={"q": "基坑"}), 200)["items"][0]["code"]
        fields = [("project_id", world.project_id), ("check_type", "safety"),
                  ("part_checked", "2#楼 12层 主体结构施工"), ("term_codes", term), ("violation_codes", violation),
                  ("supplement", "东侧临边防护栏杆缺失，未设挡脚板。"), ("issue_recipient_ids", liu.user_id)]
        for _ in range(150):
            r = await c.post("/api/inspections/v1/records", data=dict(fields))
            if r.status_code == 201:
                return fields, zhang
            await asyncio.sleep(0.2)
    raise RuntimeError(f"inspections never accepted a record: {r.status_code} {r.text[:300]}")


def submit_body() -> dict[str, Any]:
    return {"disposition": "限期整改", "seal_required": False,
            "notice": {"title": "建设工程安全隐患整改告知书", "construction_stage": "主体结构施工",
                       "rectification_date": (date.today() + timedelta(days=7)).isoformat()}}


async def gather_limited(coros: list[Any], limit: int = 8) -> list[Any]:
    sem = asyncio.Semaphore(limit)

    async def run(coro: Any) -> Any:
        async with sem:
            return await coro

    return await asyncio.gather(*(run(c) for c in coros))


async def relay_throughput(p: Platform, mongo: Any, events: int = 1000) -> dict[str, Any]:
    """Commit ``events`` outbox rows at once (as one big unit of work would) in notices'
    database with reporting, their consumer, stopped: the relay's own rate, from the
    ``sent_at`` stamps of its batches (the first batch and the relay's idle poll, ≤ 1 s,
    excluded). Then reporting starts and drains the backlog: the consumer's rate, until
    its inbox holds them all."""
    db = mongo["bench_notices"]
    now = utcnow()
    rows = []
    for _ in range(events):
        notice_id = new_id()
        event = make_event(type="notices.notice.closed.v1", tenant="hubei", service="notices", subject=notice_id,
                           data=NoticeClosed(notice_id=notice_id, number="鄂安监告〔2026〕0001号", closed_at=now,
                                             rounds=1)).model_dump(mode="json")
        rows.append({"_id": event["id"], "tenant_id": "hubei", "type": event["type"], "event": event,
                     "status": "pending", "created_at": now, "attempts": 0})
    ids = [r["_id"] for r in rows]
    p.procs["reporting"].stop()
    baseline = await bulk.inbox_counts(mongo, ["reporting.read-models"])
    try:
        await db["outbox"].insert_many(rows)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and await db["outbox"].count_documents({"status": "pending"}):
            await asyncio.sleep(0.2)
        stamps = sorted({d["sent_at"] for d in await db["outbox"].find(
            {"_id": {"$in": ids}, "status": "sent"}, {"sent_at": 1}).to_list()})
        sent = await db["outbox"].count_documents({"_id": {"$in": ids}, "status": "sent"})
    finally:
        await p.procs["reporting"].start()
    first_batch = await db["outbox"].count_documents({"_id": {"$in": ids}, "sent_at": stamps[0]}) if stamps else 0
    window = (stamps[-1] - stamps[0]).total_seconds() if len(stamps) > 1 else 0
    started = time.monotonic()
    done, held = await bulk.applied_by(mongo, p.infra.cfg.amqp_url, ["reporting.read-models"], ids,
                                       baseline=baseline, limit_s=180, started=started)
    applied = events if done else held["reporting.read-models"]
    elapsed = done.get("reporting.read-models", time.monotonic() - started)
    return {"events": events, "sent": sent, "batches": len(stamps),
            "published_per_s": round((sent - first_batch) / window, 1) if window else None,
            "applied_by_consumer_per_s": round(applied / elapsed, 1), "applied": applied,
            "complete": sent == events and applied >= events,
            "note": "publishing measured with the consumer stopped; the consumer then drains the backlog "
                    "(reporting.read-models: lanes batching what has arrived, prefetch 32); seconds from the "
                    "consumer's start (process start included)"}


async def commit_to_consumer_latency(p: Platform, world: Any, mongo: Any, *, rate: float = 10,
                                     seconds: float = 10) -> dict[str, Any]:
    """PUT a project's supervisors at ``rate``/s (each commits projects.project.updated.v1);
    latency = the consumer's inbox ``received_at`` (inspections) − the outbox row's commit time."""
    zhang, li = world.people["zhang"], world.people["li"]
    t0 = utcnow()
    sent = 0
    async with p.api(zhang.token) as c:
        start = time.monotonic()
        tasks = []
        while time.monotonic() - start < seconds:
            team = [zhang.user_id, li.user_id] if sent % 2 else [zhang.user_id]
            tasks.append(asyncio.create_task(c.put(f"/api/projects/v1/projects/{world.project_id}/supervisors",
                                                   json={"supervisor_user_ids": team})))
            sent += 1
            await asyncio.sleep(max(0.0, start + sent / rate - time.monotonic()))
        answers = await asyncio.gather(*tasks)
    ok = sum(1 for r in answers if r.status_code == 200)
    statuses: dict[str, int] = {}
    for r in answers:
        statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1
    rows = await mongo["bench_projects"]["outbox"].find(
        {"type": "projects.project.updated.v1", "created_at": {"$gte": t0}}, {"created_at": 1}).to_list()
    inbox = mongo["bench_inspections"]["inbox"]
    wanted = {f"inspections.project-directory:{r['_id']}": r["created_at"] for r in rows}
    deadline = time.monotonic() + 60
    got: dict[str, Any] = {}
    while time.monotonic() < deadline and len(got) < len(wanted):
        for d in await inbox.find({"_id": {"$in": list(wanted)}}, {"received_at": 1}).to_list():
            got[d["_id"]] = d["received_at"]
        await asyncio.sleep(0.2)
    lat = sorted((got[k] - wanted[k]).total_seconds() * 1000 for k in got)
    if not lat:
        return {"rate_per_s": rate, "requests_ok": ok, "statuses": statuses, "events": 0}
    return {"rate_per_s": rate, "requests_ok": ok, "statuses": statuses, "events": len(lat),
            "p50_ms": round(lat[len(lat) // 2], 1), "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 1),
            "max_ms": round(lat[-1], 1)}


async def pdf_seconds(p: Platform, world: Any, notice_id: str, runs: int = 5) -> dict[str, Any]:
    times = []
    async with p.api(world.people["zhang"].token) as c:
        for _ in range(runs):
            t = time.perf_counter()
            r = await c.get(f"/api/reporting/v1/notices/{notice_id}/document.pdf")
            assert r.status_code == 200 and r.content.startswith(b"%PDF"), r.text[:200]
            times.append(time.perf_counter() - t)
    return {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3), "runs": runs,
            "bytes": len(r.content)}


# --------------------------------------------------------------------------- main


async def quiesce(mongo: Any, amqp_url: str, timeout: float = 180, *, services: list[str] | None = None,
                  queues: list[str] | None = None) -> float:
    """Wait until no outbox row is pending and no consumer queue holds a message: a measurement
    must not pay for the backlog of the previous one. Returns the seconds waited."""
    started = time.monotonic()
    services = services or SERVICES
    queues = queues or ["projects.directory", "inspections.project-directory", "inspections.user-directory",
              "inspections.plan-notices",
              "notices.plan-submissions", "notices.document-projects", "notices.document-users",
              "notices.document-records", "reporting.read-models", "equipment.project-directory",
              "equipment.org-directory", "equipment.people-directory"]
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        while time.monotonic() - started < timeout:
            pending = sum([await mongo[f"bench_{s}"]["outbox"].count_documents({"status": "pending"})
                           for s in services])
            depth = 0
            for q in queues:
                try:
                    depth += (await channel.declare_queue(q, passive=True)).declaration_result.message_count
                except aio_pika.exceptions.ChannelClosed:
                    channel = await connection.channel()
            if pending == 0 and depth == 0:
                break
            await asyncio.sleep(0.5)
    finally:
        await connection.close()
    await asyncio.sleep(1)
    return round(time.monotonic() - started, 1)


async def measure_limits(infra: EmbeddedInfra, workdir: Path) -> dict[str, Any]:
    """Phase 1: the limits of this machine for this stack, before any service runs; then the
    same-shape limits (``bench/shapes.py``, issue 16): each hot path's own work done raw."""
    say("limits of this machine: bare FastAPI, raw database insert, raw confirmed publish …")
    limits = {"bare_fastapi_pydantic_body": await limit_bare_fastapi(workdir),
              "database_insert": await limit_db_insert(infra.cfg.mongo_url),
              "rabbitmq_confirmed_publish": await limit_publish(infra.cfg.amqp_url),
              "argon2_verify": await limit_argon2_verify()}
    say("same-shape limits: the transactions (with and without the audit trail), S3 put, presigning, JWT, "
        "consume-and-commit …")
    cfg = infra.cfg
    shaped: dict[str, Any] = {}
    for shape in shapes.SHAPES:
        for audit_on in (True, False):
            await measured(f"txn_{shape}{'' if audit_on else '_no_audit'}", shaped,
                           shapes.transaction(cfg.mongo_url, shape=shape, audit_on=audit_on))
    await measured("s3_put_jpeg", shaped, shapes.s3_put(cfg.s3_endpoint, cfg.s3_access_key, cfg.s3_secret_key,
                                                        site_photo(9)))
    await measured("presign", shaped, asyncio.to_thread(shapes.presign, cfg.s3_endpoint, cfg.s3_access_key,
                                                        cfg.s3_secret_key))
    await measured("jwt_verify", shaped, asyncio.to_thread(shapes.jwt_verify))
    await measured("consume_and_commit", shaped, shapes.consume_commit(cfg.amqp_url, cfg.mongo_url))
    limits["same_shape"] = shaped
    return limits


@dataclass
class Prepared:
    """What the measurements work on (phase 2)."""

    world: Any
    users: list[str]
    listed_plan: str
    targets: list[str]
    notice_plan: str
    to_submit: list[str]
    zhang: Any
    record_form: list[tuple[str, str]]
    hainan_zhang: Any
    fj_chief: str = ""
    """the Fujian chief supervising engineer's token (FJ-01 code sign-in)"""
    fj_points: list[tuple[str, str]] = field(default_factory=list)
    """(self-inspection id, check point code): 16 checked-in inspections × their checklist"""
    heb_lease: str = ""
    """the Hebei leasing company administrator's token"""
    heb_station: str = ""
    heb_drafts: list[str] = field(default_factory=list)
    """crane filing drafts (HEB-06) with their three certificates, each to be submitted once"""


async def prepare(p: Platform) -> Prepared:
    """Phase 2: start the services, build the Hubei world, 20 more users, the plans to work on,
    and the Hainan world for supervision records."""
    say(f"starting {', '.join(SERVICES)} as processes …")
    await p.start()
    say("building the Hubei world, 20 more users and the plans to work on …")
    world = await build_world(p.api, admin_password=DEV_ADMIN_PASSWORD)
    async with p.api(world.people["zhang"].token) as c:
        for _ in range(150):
            r = await c.get("/api/inspections/v1/projects", params={"limit": 100})
            if any(x["project_id"] == world.project_id for x in r.json().get("items", [])):
                break
            await asyncio.sleep(0.2)
    async with p.api() as c:
        admin_token = expect(await c.post("/api/identity/v1/sessions", json={
            "tenant": "hubei", "username": "admin", "password": DEV_ADMIN_PASSWORD}), 200)["access_token"]
    users = [f"bench.{i}.{new_id()[:6]}" for i in range(20)]
    async with p.api(admin_token) as c:
        await gather_limited([c.post("/api/identity/v1/users", json={
            "org_id": world.station_id, "username": u, "display_name": "压测用户", "password": PASSWORD,
            "roles": ["supervisor"]}) for u in users], limit=4)
    listed_plan = await make_plan(p.api, world, results=10, sign=False)
    targets = await gather_limited([make_plan(p.api, world, results=0, sign=False) for _ in range(16)])
    notice_plan = await make_plan(p.api, world, results=3, submit=True)
    to_submit = await gather_limited([make_plan(p.api, world, results=1) for _ in range(
        SUBMIT_PLANS)], limit=6)
    say("building the Hainan world for supervision records (HN-04) …")
    hainan = await build_world(p.api, admin_password=DEV_ADMIN_PASSWORD, tenant="hainan", place=HAIKOU)
    record_form, hainan_zhang = await record_fields(p, hainan)
    prep = Prepared(world=world, users=users, listed_plan=listed_plan, targets=targets, notice_plan=notice_plan,
                    to_submit=to_submit, zhang=world.people["zhang"], record_form=record_form,
                    hainan_zhang=hainan_zhang)
    say("building the Fujian world (FJ-01 sync, code sign-in, staff roles) and 16 self-inspections …")
    await prepare_fujian(p, prep)
    say(f"building the Hebei world and {FILINGS} crane filing drafts with their certificates (HEB-06) …")
    await prepare_hebei(p, prep)
    return prep


async def prepare_fujian(p: Platform, prep: Prepared) -> None:
    """FJ-01..03 as ``make demo`` plays them, then 16 self-inspections of the chief, checked in
    (FJ-04): one per wrk connection, so that answers to one inspection do not race each other."""
    fujian = await play_fujian(p.api, admin_password=DEV_ADMIN_PASSWORD, say=lambda *_: None)
    prep.fj_chief, project_id = fujian["tokens"]["chief"], fujian["project_ids"][0]
    site = {"longitude": 119.5231, "latitude": 25.9614}
    async with p.api(prep.fj_chief) as c:
        async def one() -> str:
            r = await settled(lambda: c.post("/api/inspections/v1/self-inspections", json={"project_id": project_id}))
            for _ in range(150):  # the project and the chief's role reach inspections by event
                if r.status_code == 201:
                    break
                await asyncio.sleep(0.2)
                r = await c.post("/api/inspections/v1/self-inspections", json={"project_id": project_id})
            iid = expect(r, 201)["id"]
            expect(await c.post(f"/api/inspections/v1/self-inspections/{iid}/check-in",
                                json={**site, "captured_at": utcnow().isoformat()}), 200)
            return str(iid)

        first = await one()
        inspections = [first, *await gather_limited([one() for _ in range(15)], limit=4)]
        codes = [x["code"] for x in expect(await c.get(f"/api/inspections/v1/self-inspections/{first}/points"),
                                           200)["items"]]
    prep.fj_points = [(i, code) for code in codes for i in inspections]


async def prepare_hebei(p: Platform, prep: Prepared) -> None:
    """The Shijiazhuang world (station of 130102), a leasing company and its administrator, and
    ``FILINGS`` tower-crane filing drafts, each with its three certificates; one more is
    submitted first, to be sure equipment knows the company and the station (events)."""
    sfx = new_id()[:6]
    world = await build_world(p.api, admin_password=DEV_ADMIN_PASSWORD, tenant="hebei", suffix=sfx,
                              place=SHIJIAZHUANG)
    admin = await sign_in(p.api, "hebei", "admin", DEV_ADMIN_PASSWORD)
    async with p.api(admin) as c:
        org = expect(await c.post("/api/identity/v1/organizations", json={
            "name": f"河北华建机械租赁有限公司{sfx}", "kind": "company", "company_roles": ["leasing"],
            "division_code": "130102"}), 201)
        expect(await c.post("/api/identity/v1/users", json={
            "org_id": org["id"], "username": f"lease.{sfx}", "display_name": "租赁公司管理员",
            "password": PASSWORD, "roles": ["company_admin"]}), 201)
    prep.heb_lease, prep.heb_station = await sign_in(p.api, "hebei", f"lease.{sfx}", PASSWORD), world.station_id
    async with p.api(prep.heb_lease) as c:
        probe = await draft(c, "filing", tower_crane(f"ZL{sfx}P"), CERTIFICATES)
        expect(await settled(lambda: c.post(f"/api/equipment/v1/applications/{probe}/submission",
                                            json={"authority_org_id": prep.heb_station})), 200)
        prep.heb_drafts = await gather_limited([draft(c, "filing", tower_crane(f"ZL{sfx}{i:04d}"), CERTIFICATES)
                                                for i in range(FILINGS)], limit=6)


async def measure_sign_in(p: Platform, prep: Prepared, workdir: Path, figures: dict[str, Any]) -> None:
    say("signing in (20 users in turn) …")
    bodies = ",".join(lua_string(json.dumps({"tenant": "hubei", "username": u, "password": PASSWORD}))
                      for u in prep.users)
    sign_lua = (f"local bodies = {{{bodies}}}\nlocal n = 0\n"
                'wrk.headers["Content-Type"] = "application/json"\n'
                "request = function()\n  n = n + 1\n"
                '  return wrk.format("POST", "/api/identity/v1/sessions", nil, bodies[((n - 1) % #bodies) + 1])\n'
                "end\n")
    await measured("sign_in", figures, asyncio.to_thread(wrk, p.url("identity"), sign_lua, workdir=workdir))


async def measure_list_results(p: Platform, prep: Prepared, workdir: Path,
                               figures: dict[str, Any]) -> dict[str, Any]:
    """Listing a plan's results on one, then two worker processes; returns the scaling figure."""
    say("listing a plan's results (10 results, 1 photo each, presigned URLs) …")
    list_lua = lua_request("GET", f"/api/inspections/v1/plans/{prep.listed_plan}/results", token=prep.zhang.token)
    await measured("list_results", figures,
                   asyncio.to_thread(wrk, p.url("inspections"), list_lua, workdir=workdir))
    say("… and again with inspections on two worker processes")
    p.procs["inspections"].stop()
    p.procs["inspections"].workers = 2
    await p.procs["inspections"].start()
    two = await measured("list_results_two_workers", figures,
                         asyncio.to_thread(wrk, p.url("inspections"), list_lua, workdir=workdir))
    p.procs["inspections"].stop()
    p.procs["inspections"].workers = 1
    await p.procs["inspections"].start()
    one = figures["list_results"]
    return {
        "figure": "list_results", "one_worker_rps": one.get("requests_per_s"),
        "two_workers_rps": two.get("requests_per_s"),
        "factor": _ratio(two.get("requests_per_s"), one.get("requests_per_s")),
        "note": "2 cores carry the workers, wrk, SecantusDB, RabbitMQ and S3 at the same time"}


async def measure_add_result(p: Platform, prep: Prepared, workdir: Path, figures: dict[str, Any],
                             name: str = "add_result") -> None:
    say(f"adding inspection results (multipart, one JPEG photo; 16 plans in turn) [{name}] …")
    body, ctype = multipart([("project_id", prep.world.project_id), ("building_name", "5#楼"),
                             ("hazard_codes", "JGJ59-A.0.6-01"), ("finding", "五层临边防护缺失")],
                            [("photos", "site.jpg", site_photo(9), "image/jpeg")])
    (workdir / "result.bin").write_bytes(body)
    add_lua = (f'local ids = {{{",".join(json.dumps(i) for i in prep.targets)}}}\nlocal n = 0\n'
               f'local f = io.open({lua_string(str(workdir / "result.bin"))}, "rb"); '
               f'local body = f:read("*all"); f:close()\n'
               f'wrk.headers["Authorization"] = "Bearer {prep.zhang.token}"\n'
               f'wrk.headers["Content-Type"] = "{ctype}"\n'
               "request = function()\n  n = n + 1\n  local id = ids[((n - 1) % #ids) + 1]\n"
               '  return wrk.format("POST", "/api/inspections/v1/plans/" .. id .. "/results", nil, body)\n'
               "end\n")
    await measured(name, figures, asyncio.to_thread(wrk, p.url("inspections"), add_lua, workdir=workdir))


async def measure_submit_plan(p: Platform, prep: Prepared, workdir: Path, figures: dict[str, Any],
                              name: str = "submit_plan", plans: list[str] | None = None) -> None:
    """Submit each of ``plans`` (default: all prepared) once, for ``SUBMIT_SECONDS``."""
    plans = prep.to_submit if plans is None else plans
    say(f"submitting plans (each once; {len(plans)} prepared) [{name}] …")
    (workdir / "submit.json").write_text(json.dumps(submit_body(), ensure_ascii=False))
    submit_lua = (f'local ids = {{{",".join(json.dumps(i) for i in plans)}}}\nlocal n = 0\n'
                  f'local f = io.open({lua_string(str(workdir / "submit.json"))}, "rb"); '
                  f'local body = f:read("*all"); f:close()\n'
                  f'wrk.headers["Authorization"] = "Bearer {prep.zhang.token}"\n'
                  'wrk.headers["Content-Type"] = "application/json"\n'
                  "request = function()\n  n = n + 1\n  local id = ids[((n - 1) % #ids) + 1]\n"
                  '  return wrk.format("POST", "/api/inspections/v1/plans/" .. id .. "/submit", nil, body)\n'
                  "end\n")
    await measured(name, figures, asyncio.to_thread(
        wrk, p.url("inspections"), submit_lua, seconds=SUBMIT_SECONDS, workdir=workdir))
    if figures[name].get("requests", 0) > len(plans):
        figures[name]["exhausted"] = True
        figures[name]["note"] = (
            f"all {len(plans)} prepared plans were submitted before the run ended: requests after "
            "those answered 409 (fast) and the figures understate the rate; raise "
            "ANJIAN_BENCH_SUBMIT_PLANS or lower ANJIAN_BENCH_SUBMIT_SECONDS")


async def count_submissions_to_notices(mongo: Any, prep: Prepared, figures: dict[str, Any], *,
                                       since: float) -> None:
    """The notices issued for the plans submitted (one each, distinct numbers)."""
    notices = await mongo["bench_notices"]["notices"].find({"plan_id": {"$in": prep.to_submit}},
                                                           {"plan_id": 1, "number": 1}).to_list()
    submitted = await mongo["bench_inspections"]["plans"].count_documents(
        {"_id": {"$in": prep.to_submit}, "status": "submitted"})
    figures["submissions_to_notices"] = {
        "plans_submitted": submitted, "answered_200_within_the_runs": sum(
            figures.get(k, {}).get("statuses", {}).get("200", 0)
            for k in ("submit_plan", "submit_plan_with_consumers")),
        "notices_issued": len(notices),
        "plans_with_a_notice": len({n["plan_id"] for n in notices}),
        "distinct_numbers": len({n["number"] for n in notices}),
        "seconds_until_all_events_consumed": round(time.monotonic() - since, 1)}


async def measure_submit_record(p: Platform, prep: Prepared, workdir: Path, figures: dict[str, Any],
                                name: str = "submit_record") -> None:
    say(f"submitting supervision records (HN-04: multipart, one JPEG, issued to the project manager) [{name}] …")
    body, ctype = multipart(prep.record_form, [("photos", "edge.jpg", site_photo(22), "image/jpeg")])
    (workdir / "record.bin").write_bytes(body)
    record_lua = lua_request("POST", "/api/inspections/v1/records", token=prep.hainan_zhang.token,
                             body_file=workdir / "record.bin", content_type=ctype)
    await measured(name, figures, asyncio.to_thread(wrk, p.url("inspections"), record_lua, workdir=workdir))


async def measure_fj_answer(p: Platform, prep: Prepared, workdir: Path, figures: dict[str, Any]) -> None:
    """FJ-06: the chief answers "是" to one check point after the other, each wrk connection
    on its own inspection (no event: nothing downstream)."""
    say("answering Fujian checklist points (FJ-06: 是, 16 self-inspections in turn) …")
    points = ",".join(f"{{{json.dumps(i)},{json.dumps(c)}}}" for i, c in prep.fj_points)
    lua = (f"local points = {{{points}}}\nlocal n = 0\n"
           f'wrk.headers["Authorization"] = "Bearer {prep.fj_chief}"\n'
           'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
           "request = function()\n  n = n + 1\n  local pt = points[((n - 1) % #points) + 1]\n"
           '  return wrk.format("PUT", "/api/inspections/v1/self-inspections/" .. pt[1] .. "/points/" .. pt[2], '
           'nil, "value=yes")\nend\n')
    await measured("fj_answer", figures, asyncio.to_thread(wrk, p.url("inspections"), lua, workdir=workdir))


async def measure_heb_filing(p: Platform, prep: Prepared, workdir: Path, figures: dict[str, Any],
                             name: str = "heb_filing", drafts: list[str] | None = None) -> None:
    """HEB-06 上报: each prepared crane filing submitted once to the station (the machine enters
    the registry as pending; ``equipment.application.submitted.v1``), for ``SUBMIT_SECONDS``."""
    drafts = prep.heb_drafts if drafts is None else drafts
    say(f"submitting Hebei crane filings (HEB-06, each once; {len(drafts)} prepared) [{name}] …")
    body = json.dumps({"authority_org_id": prep.heb_station})
    lua = (f'local ids = {{{",".join(json.dumps(i) for i in drafts)}}}\nlocal n = 0\n'
           f'wrk.headers["Authorization"] = "Bearer {prep.heb_lease}"\n'
           'wrk.headers["Content-Type"] = "application/json"\n'
           "request = function()\n  n = n + 1\n  local id = ids[((n - 1) % #ids) + 1]\n"
           f'  return wrk.format("POST", "/api/equipment/v1/applications/" .. id .. "/submission", nil, '
           f"{lua_string(body)})\nend\n")
    await measured(name, figures, asyncio.to_thread(wrk, p.url("equipment"), lua, seconds=SUBMIT_SECONDS,
                                                    workdir=workdir))
    if figures[name].get("requests", 0) > len(drafts):
        figures[name]["exhausted"] = True
        figures[name]["note"] = (f"all {len(drafts)} prepared filings were submitted before the run ended: "
                                 "requests after those answered 409 (fast); raise ANJIAN_BENCH_FILINGS")


async def measure_notice_pdf(p: Platform, prep: Prepared, mongo: Any, figures: dict[str, Any]) -> None:
    say("rendering the notice PDF …")
    async with p.api(prep.zhang.token) as c:
        notice_id = None
        for _ in range(300):
            doc = await mongo["bench_notices"]["notices"].find_one({"plan_id": prep.notice_plan}, {"_id": 1})
            notice_id = doc and doc["_id"]
            if notice_id and (await c.get(f"/api/reporting/v1/notices/{notice_id}/document.pdf")
                              ).status_code == 200:
                break
            await asyncio.sleep(0.2)
    await measured("notice_pdf", figures, pdf_seconds(p, prep.world, notice_id))


def ratios(limits: dict[str, Any], figures: dict[str, Any]) -> dict[str, float | None]:
    """Each platform figure as a ratio to the limit it is bounded by."""
    bare = limits["bare_fastapi_pydantic_body"]["requests_per_s"]
    publish = limits["rabbitmq_confirmed_publish"]["publishes_per_s"]
    insert = limits["database_insert"]["inserts_per_s"]
    argon = limits["argon2_verify"]["verifies_per_s"]

    def rps(name: str) -> float | None:
        return figures.get(name, {}).get("requests_per_s")

    same = limits.get("same_shape", {})

    def per_s(name: str, key: str) -> float | None:
        return (same.get(name) or {}).get(key)

    def serial(*rates: float | None) -> float | None:
        """The limit of doing each of these once per request, one after the other."""
        return round(1 / sum(1 / r for r in rates), 1) if all(rates) else None

    jwt_s, presign_s, put_s = per_s("jwt_verify", "verifies_per_s"), per_s("presign", "presigns_per_s"), \
        per_s("s3_put_jpeg", "puts_per_s")
    add_txn, submit_txn = per_s("txn_add_result", "transactions_per_s"), per_s("txn_submit_plan",
                                                                                "transactions_per_s")
    shaped = {
        # issue 16: each figure against ITS OWN limit (the same work done raw in this run)
        "SAME-SHAPE sign_in / raw Argon2id verify": _ratio(rps("sign_in"), argon),
        "SAME-SHAPE list_results / (JWT + 10 presigns)": _ratio(rps("list_results"),
                                                                serial(jwt_s, *([presign_s] * 10))),
        "SAME-SHAPE add_result / min(raw txn, raw S3 put)": _ratio(
            rps("add_result"), min(x for x in (add_txn, put_s) if x) if add_txn and put_s else None),
        "SAME-SHAPE submit_plan / raw txn": _ratio(rps("submit_plan"), submit_txn),
        "SAME-SHAPE submit_record / min(raw txn, raw S3 put)": _ratio(
            rps("submit_record"), min(add_txn, put_s) if add_txn and put_s else None),
        "  with notices and reporting consuming: add_result": _ratio(
            rps("add_result_with_consumers"), min(x for x in (add_txn, put_s) if x) if add_txn and put_s else None),
        "  with notices and reporting consuming: submit_plan": _ratio(rps("submit_plan_with_consumers"), submit_txn),
        "  with notices and reporting consuming: submit_record": _ratio(
            rps("submit_record_with_consumers"), min(add_txn, put_s) if add_txn and put_s else None),
        "SAME-SHAPE heb_filing / raw txn": _ratio(rps("heb_filing"), per_s("txn_submit_filing",
                                                                            "transactions_per_s")),
        "  with reporting consuming: heb_filing": _ratio(rps("heb_filing_with_consumers"),
                                                         per_s("txn_submit_filing", "transactions_per_s")),
        "SAME-SHAPE fj_answer / raw txn": _ratio(rps("fj_answer"), per_s("txn_answer_point", "transactions_per_s")),
        "SAME-SHAPE reporting drain / raw consume-and-commit": _ratio(
            figures["outbox_relay"].get("applied_by_consumer_per_s"), per_s("consume_and_commit", "applied_per_s")),
        "audit trail: txn with audit / without (add_result)": _ratio(
            add_txn, per_s("txn_add_result_no_audit", "transactions_per_s")),
        "audit trail: txn with audit / without (submit_plan)": _ratio(
            submit_txn, per_s("txn_submit_plan_no_audit", "transactions_per_s")),
    }
    return {
        **shaped,
        "sign_in / bare FastAPI": _ratio(rps("sign_in"), bare),
        "list_results / bare FastAPI": _ratio(rps("list_results"), bare),
        "add_result / bare FastAPI": _ratio(rps("add_result"), bare),
        "add_result / raw database insert": _ratio(rps("add_result"), insert),
        "submit_plan / bare FastAPI": _ratio(rps("submit_plan"), bare),
        "submit_plan / raw database insert": _ratio(rps("submit_plan"), insert),
        "submit_record / bare FastAPI": _ratio(rps("submit_record"), bare),
        "submit_record / raw database insert": _ratio(rps("submit_record"), insert),
        "sign_in / raw Argon2id verify": _ratio(rps("sign_in"), argon),
        "outbox relay / raw confirmed publish": _ratio(figures["outbox_relay"].get("published_per_s"), publish),
    }


def keep_logs(workdir: Path) -> None:
    """Copy the services' and the infrastructure's logs to ``bench/logs``."""
    logs = HERE / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir()
    for f in list(workdir.glob("*.log")) + list((workdir / "infra").glob("*.log")):
        shutil.copy(f, logs / f.name)


@contextlib.asynccontextmanager
async def downstream_paused(p: Platform, mongo: Any, amqp: str, waits: dict[str, float], label: str) -> Any:
    """``DOWNSTREAM``'s processes stopped (SIGSTOP to each process group) while the block runs,
    then continued and their backlog drained (the wait recorded under ``label``). They are
    idle when stopped (the caller quiesced first), so no transaction is held open; their
    queues keep the events; a pause of seconds is far inside the AMQP heartbeat."""
    stopped = [p.procs[n].proc for n in DOWNSTREAM if n in p.procs and p.procs[n].running]
    for proc in stopped:
        os.killpg(proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for proc in stopped:
            os.killpg(proc.pid, signal.SIGCONT)
    waits[label] = await quiesce(mongo, amqp)


async def measure_platform(p: Platform, prep: Prepared, mongo: Any, amqp: str, workdir: Path,
                           results: dict[str, Any], waits: dict[str, float]) -> dict[str, Any]:
    """Phase 3: every platform figure, each after the previous one's backlog drained. Each
    write path twice: alone (``DOWNSTREAM`` paused: the figure its same-shape limit is about),
    then with its consumers running (``…_with_consumers``)."""
    figures: dict[str, Any] = {}
    waits["before sign in"] = await quiesce(mongo, amqp)
    await measure_sign_in(p, prep, workdir, figures)
    results["scaling_one_to_two_workers"] = await measure_list_results(p, prep, workdir, figures)
    waits["before add result"] = await quiesce(mongo, amqp)
    async with downstream_paused(p, mongo, amqp, waits, "results consumed"):
        await measure_add_result(p, prep, workdir, figures)
    await measure_add_result(p, prep, workdir, figures, name="add_result_with_consumers")
    waits["before submit"] = await quiesce(mongo, amqp)
    half = len(prep.to_submit) // 2
    t = time.monotonic()
    async with downstream_paused(p, mongo, amqp, waits, "notices and notifications for the submitted plans"):
        await measure_submit_plan(p, prep, workdir, figures, plans=prep.to_submit[:half])
    await measure_submit_plan(p, prep, workdir, figures, name="submit_plan_with_consumers",
                              plans=prep.to_submit[half:])
    waits["after submit with consumers"] = await quiesce(mongo, amqp)
    await count_submissions_to_notices(mongo, prep, figures, since=t)
    async with downstream_paused(p, mongo, amqp, waits, "records consumed"):
        await measure_submit_record(p, prep, workdir, figures)
    await measure_submit_record(p, prep, workdir, figures, name="submit_record_with_consumers")
    waits["records consumed with consumers"] = await quiesce(mongo, amqp)
    await measure_fj_answer(p, prep, workdir, figures)
    waits["before filings"] = await quiesce(mongo, amqp)
    half = len(prep.heb_drafts) // 2
    async with downstream_paused(p, mongo, amqp, waits, "filings consumed"):
        await measure_heb_filing(p, prep, workdir, figures, drafts=prep.heb_drafts[:half])
    await measure_heb_filing(p, prep, workdir, figures, name="heb_filing_with_consumers",
                             drafts=prep.heb_drafts[half:])
    waits["filings consumed with consumers"] = await quiesce(mongo, amqp)
    say("events through the outbox relay …")
    await measured("outbox_relay", figures, relay_throughput(p, mongo))
    waits["before latency"] = await quiesce(mongo, amqp)
    say("commit-to-consumer latency at 10 requests/s …")
    await measured("commit_to_consumer", figures, commit_to_consumer_latency(p, prep.world, mongo))
    await measure_notice_pdf(p, prep, mongo, figures)
    figures.pop("list_results_two_workers", None)
    return figures


async def main_async(hold: bool = False) -> dict[str, Any]:
    """The whole run: limits, preparation, platform figures, ratios (see the module docstring).
    ``hold``: only start the infrastructure and the services, then wait for a stop signal."""
    if not hold and not shutil.which("wrk"):
        sys.exit("wrk is not installed: run `make install` (deploy/local/bin/install-system-deps)")
    results: dict[str, Any] = {"machine": machine(), "settings": {"wrk_seconds": SECONDS,
                                                                   "wrk_connections": CONNECTIONS}}
    with tempfile.TemporaryDirectory(prefix="anjian-bench-") as tmp:
        workdir = Path(tmp)
        say(f"machine: {results['machine']}")
        say("starting RabbitMQ, SecantusDB and S3 …")
        infra = EmbeddedInfra(InfraConfig.ephemeral(workdir / "infra"))
        p = Platform(infra, workdir)
        mongo = connect(infra.cfg.mongo_url)
        waits: dict[str, float] = {}
        try:  # everything started from here on is stopped in `finally`, also on SIGTERM/SIGINT
            infra.start()
            if hold:
                await p.start()
                say(f"holding: infrastructure and {', '.join(SERVICES)} running; stop with SIGTERM or Ctrl-C")
                await asyncio.Event().wait()
            if BENCH in ("", "all", "hot"):
                results["limits"] = limits = await measure_limits(infra, workdir)
                prep = await prepare(p)
                figures = await measure_platform(p, prep, mongo, infra.cfg.amqp_url, workdir, results, waits)
                results["platform"] = figures
                results["waited_for_quiet_seconds"] = waits
                results["ratios"] = ratios(limits, figures)
            if BENCH in ("", "all") or BENCH.startswith("bulk"):
                results["bulk"] = await measure_bulk(p, mongo, infra.cfg.amqp_url)
        finally:
            p.stop()
            await mongo.close()
            infra.stop()
            keep_logs(workdir)
    return results


async def measure_bulk(p: Platform, mongo: Any, amqp: str) -> dict[str, Any]:
    """The bulk figures (``bench/bulk.py``) with the services they need started."""
    which = tuple(x for x in BENCH.partition(":")[2].split(",") if x) or bulk.FIGURES
    unknown = set(which) - set(bulk.FIGURES)
    if unknown:
        raise SystemExit(f"unknown bulk figures {sorted(unknown)}: choose from {bulk.FIGURES}")
    for name in bulk.SERVICES:
        if name not in p.procs:
            p.add(name)
    if not p.procs["identity"].running:
        await p.procs["identity"].start()
    await asyncio.gather(*(s.start() for s in p.procs.values() if not s.running))
    services = list(p.procs)
    queues = bulk.all_queues(services)

    async def quiet() -> float:
        return await quiesce(mongo, amqp, bulk.DRAIN_LIMIT_S, services=services, queues=queues)

    return await bulk.run_bulk(p, mongo, quiet, which=which, say=say)


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def table(results: dict[str, Any]) -> str:
    def g(d: dict[str, Any], k: str) -> str:
        v = d.get(k)
        return "-" if v is None else str(v)

    m = results["machine"]
    lines = [f"machine: {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu_model']}", "",
             f"{'figure':<46} {'per second':>11} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"]
    lim = results.get("limits", {})
    b = lim.get("bare_fastapi_pydantic_body", {})
    lines.append(f"{'LIMIT bare FastAPI, pydantic body (1 worker)':<46} {g(b, 'requests_per_s'):>11} "
                 f"{g(b, 'p50_ms'):>8} {g(b, 'p95_ms'):>8} {g(b, 'p99_ms'):>8}")
    d = lim.get("database_insert", {})
    lines.append(f"{'LIMIT raw database insert (w=majority, j)':<46} {g(d, 'inserts_per_s'):>11} {g(d, 'p50_ms'):>8}")
    q = lim.get("rabbitmq_confirmed_publish", {})
    lines.append(f"{'LIMIT raw publish, confirms, quorum queue':<46} {g(q, 'publishes_per_s'):>11}")
    a = lim.get("argon2_verify", {})
    lines.append(f"{'LIMIT raw Argon2id verify (' + g(a, 'threads') + ' threads)':<46} {g(a, 'verifies_per_s'):>11}")
    same = lim.get("same_shape", {})
    for key, label, unit in (("txn_add_result", "SAME-SHAPE raw txn add_result (+audit)", "transactions_per_s"),
                             ("txn_add_result_no_audit", "SAME-SHAPE raw txn add_result (no audit)",
                              "transactions_per_s"),
                             ("txn_submit_plan", "SAME-SHAPE raw txn submit_plan (+audit)", "transactions_per_s"),
                             ("txn_submit_plan_no_audit", "SAME-SHAPE raw txn submit_plan (no audit)",
                              "transactions_per_s"),
                             ("txn_submit_filing", "SAME-SHAPE raw txn submit_filing (+audit)",
                              "transactions_per_s"),
                             ("txn_answer_point", "SAME-SHAPE raw txn answer_point (+audit)", "transactions_per_s"),
                             ("s3_put_jpeg", "SAME-SHAPE raw S3 put (the JPEG)", "puts_per_s"),
                             ("presign", "SAME-SHAPE presigned GET URL", "presigns_per_s"),
                             ("jwt_verify", "SAME-SHAPE RS256 JWT verify", "verifies_per_s"),
                             ("consume_and_commit", "SAME-SHAPE raw consume-and-commit", "applied_per_s")):
        f = same.get(key, {})
        lines.append(f"{label:<46} {g(f, unit):>11} {g(f, 'p50_ms'):>8}"
                     + (f"  ERROR {f['error'][:60]}" if "error" in f else ""))
    plat = results.get("platform", {})
    names = {"sign_in": "sign in (Argon2id)", "list_results": "list a plan's results (10, presigned)",
             "add_result": "add an inspection result (1 JPEG)",
             "add_result_with_consumers": "  … with notices and reporting consuming",
             "submit_plan": "submit a plan (HB-06)",
             "submit_plan_with_consumers": "  … with notices and reporting consuming",
             "submit_record": "submit a supervision record (HN-04, 1 JPEG)",
             "submit_record_with_consumers": "  … with notices and reporting consuming",
             "fj_answer": "answer a Fujian check point (FJ-06, 是)",
             "heb_filing": "submit a Hebei crane filing (HEB-06)",
             "heb_filing_with_consumers": "  … with reporting consuming"}
    for key, label in names.items():
        f = plat.get(key, {})
        lines.append(f"{label:<46} {g(f, 'requests_per_s'):>11} {g(f, 'p50_ms'):>8} {g(f, 'p95_ms'):>8} "
                     f"{g(f, 'p99_ms'):>8}" + (f"  ERROR {f['error'][:60]}" if "error" in f else ""))
    r = plat.get("outbox_relay", {})
    lines.append(f"{'events through the outbox relay':<46} {g(r, 'published_per_s'):>11}   "
                 f"(applied by reporting: {g(r, 'applied_by_consumer_per_s')}/s)")
    c = plat.get("commit_to_consumer", {})
    lines.append(f"{'commit→consumer latency @ ' + g(c, 'rate_per_s') + ' req/s':<46} {'':>11} "
                 f"{g(c, 'p50_ms'):>8} {'':>8} {g(c, 'p99_ms'):>8}")
    pdf = plat.get("notice_pdf", {})
    lines.append(f"{'notice PDF render (seconds, median)':<46} {g(pdf, 'median_s'):>11}")
    lines.append("")
    lines.append("ratios to the limits:")
    for k, v in results.get("ratios", {}).items():
        lines.append(f"  {k:<42} {v}")
    sc = results.get("scaling_one_to_two_workers", {})
    lines.append(f"scaling list_results 1 → 2 worker processes: {g(sc, 'one_worker_rps')} → "
                 f"{g(sc, 'two_workers_rps')} req/s (×{g(sc, 'factor')})")
    return "\n".join(lines)


def main() -> None:
    started = time.monotonic()
    hold = "--hold" in sys.argv[1:]
    with stop_on_signals():
        try:
            results = asyncio.run(main_async(hold=hold))
        except Stopped as stop:
            left = reap_descendants()
            say(f"stopped by {stop}: every process it started is stopped"
                + (f" ({len(left)} had to be signalled again)" if left else ""))
            sys.exit(stop.exit_code)
        finally:
            reap_descendants()
    results["took_seconds"] = round(time.monotonic() - started, 1)
    out = HERE / "results.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    say("")
    if "platform" in results:
        say(table(results))
    if "bulk" in results:
        say(bulk.bulk_table(results["bulk"]))
    say(f"\nwritten to {out.relative_to(HERE.parent)} in {results['took_seconds']} s")


if __name__ == "__main__":
    main()
