"""Bulk work users will do (issue 16), each with its own figures and the peak RSS of every
service process while it runs. Run alone with ``make bench BENCH=bulk`` (or one of them:
``BENCH=bulk:sync``, ``bulk:xlsx``, ``bulk:freeze``, ``bulk:backlog``); the full ``make bench``
runs them after the hot paths.

- ``fujian_sync``: a Fujian platform sync of ``ANJIAN_BENCH_BULK_PROJECTS`` (10 000) projects
  pushed over HTTP (``POST /api/projects/v1/platform/projects``, batches of its maximum, 200)
  by a partner client holding the scope ``projects:sync``, one batch after the other as the
  platform does; projects/s, batch latency p50/p95, then the seconds until the events the
  sync published were consumed (identity opens the accounts, directories, …).
- ``station_search_xlsx``: HN-10's export of ``ANJIAN_BENCH_BULK_ROWS`` (10 000) rows by
  Hainan's province admin. SEEDED DIRECTLY: the rows are inserted into reporting's
  ``station_items`` read model in the exact shape its consumer writes from
  ``inspections.record.submitted.v1`` (``complete``, status ``pending_review``, the record's
  content), with ``insert_many`` — the consumer's own rate is what ``backlog`` measures; the
  export is what is timed (median of 3, bytes, rows).
- ``year_end_freeze``: HUN-04's year-end job ``freeze_all`` over ``ANJIAN_BENCH_BULK_STAFF``
  (10 000) Hunan staff in ``ANJIAN_BENCH_BULK_AGENCIES`` (200) agencies. SEEDED DIRECTLY:
  one staff revision each (``agency_staff_revisions``, dated last year, the shape
  ``personnel.service_layer.agencies._revision`` writes), personnel stopped meanwhile; then
  personnel starts and its year-end job (a pass at start, as in production) freezes every
  agency's return: seconds from the process start to the last return, and the span of the
  returns' ``frozen_at`` (the job itself).
- ``backlog``: a broker outage's backlog of ``ANJIAN_BENCH_BULK_EVENTS`` (10 000)
  ``projects.project.registered.v1`` events: every consuming service stopped, the rows
  committed to projects' outbox at once and published by its relay into the durable
  queues; then the consumers start and each consumer group's drain is timed (events in its
  inbox / seconds from the start of its service).

Peak RSS: ``/proc/<pid>/status`` ``VmRSS`` of each service process and its descendants,
sampled every 0.2 s while the figure runs (no psutil: /proc is enough on Linux).
"""

from __future__ import annotations

import asyncio
import importlib
import os
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from anjian_local.scenario import expect, sign_in
from anjian_shared import credit_code
from anjian_shared.events import make_event
from anjian_shared.events.projects_v1 import ProjectRegistered
from anjian_shared.settings import DEV_ADMIN_PASSWORD
from anjian_shared.types import new_id, utcnow

PROJECTS = int(os.environ.get("ANJIAN_BENCH_BULK_PROJECTS", "10000"))
ROWS = int(os.environ.get("ANJIAN_BENCH_BULK_ROWS", "10000"))
STAFF = int(os.environ.get("ANJIAN_BENCH_BULK_STAFF", "10000"))
AGENCIES = int(os.environ.get("ANJIAN_BENCH_BULK_AGENCIES", "200"))
EVENTS = int(os.environ.get("ANJIAN_BENCH_BULK_EVENTS", "10000"))
DRAIN_LIMIT_S = float(os.environ.get("ANJIAN_BENCH_BULK_DRAIN_LIMIT_S", "900"))
"""How long ``backlog`` and the wait after ``sync`` give the consumers (a group not done by then is
reported ``incomplete`` with how many it applied)."""
SYNC_LIMIT_S = float(os.environ.get("ANJIAN_BENCH_BULK_SYNC_LIMIT_S", "2400"))
"""How long the Fujian sync may push batches: past it no further batch is sent and the figure
says ``incomplete`` with the projects synced and the rate of each quarter of the run (on the
embedded database the rate falls as the consumers of the synced projects' events catch up)."""
BATCH = 200  # the push endpoint's maximum (projects.entrypoints.api.fujian.PlatformBatch)
SERVICES = ["identity", "projects", "inspections", "notices", "reporting", "personnel", "conversations"]
FIGURES = ("sync", "xlsx", "freeze", "backlog")

Say = Callable[[str], None]


# --------------------------------------------------------------------------- RSS


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            pass
    return out


def rss_mib(pid: int) -> float:
    """VmRSS of ``pid`` and its descendants, MiB (0 when gone)."""
    total_kb = 0
    for p in _descendants(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            pass
    return round(total_kb / 1024, 1)


class PeakRss:
    """Samples every running service process every 0.2 s; ``peaks`` in MiB per service."""

    def __init__(self, procs: dict[str, Any]) -> None:
        self.procs = procs
        self.peaks: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(0.2)

    def sample(self) -> None:
        for name, svc in self.procs.items():
            proc = getattr(svc, "proc", None)
            if proc is not None and proc.poll() is None:
                self.peaks[name] = max(self.peaks.get(name, 0.0), rss_mib(proc.pid))

    async def __aenter__(self) -> PeakRss:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self.sample()


async def with_rss(p: Any, coro: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    async with PeakRss(p.procs) as rss:
        out = await coro
    out["peak_rss_mib"] = rss.peaks
    return out


def _pcts(lat: list[float]) -> dict[str, float]:
    lat = sorted(lat)
    return {"p50_ms": round(lat[len(lat) // 2] * 1000, 1),
            "p95_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.95))] * 1000, 1)}


# --------------------------------------------------------------------------- 1. Fujian sync


def _mobile(i: int) -> str:
    return f"139{i:08d}"


def _credit(i: int) -> str:
    first17 = f"91350100MA{i % 10 ** 7:07d}"
    return first17 + credit_code.check_character(first17)


async def fujian_sync(p: Any, quiesce: Callable[[], Awaitable[float]], n: int = PROJECTS) -> dict[str, Any]:
    """FJ-01 at scale: ``n`` projects in batches of 200, one batch at a time."""
    admin = await sign_in(p.api, "fujian", "admin", DEV_ADMIN_PASSWORD)
    sfx = secrets.token_hex(3)
    async with p.api(admin) as c:
        client = expect(await c.post("/api/identity/v1/clients", json={
            "name": f"一体化平台压测{sfx}", "scopes": ["projects:sync"]}), 201)

    async def client_token() -> str:
        """A fresh client-credentials token: it lives 15 minutes, the sync longer (the platform's
        client takes a new one before it expires, as this does every 10 minutes)."""
        async with p.api() as c:
            return str(expect(await c.post("/api/identity/v1/oauth/token", data={
                "grant_type": "client_credentials", "client_id": client["client_id"],
                "client_secret": client["client_secret"]}), 200)["access_token"])

    token, token_at = await client_token(), time.monotonic()
    base = secrets.randbelow(9 * 10 ** 6) * 10  # 139 + 8 digits: base + 1000 + n stays below 10**8
    companies = [{"credit_code": _credit(base + k), "name": f"福建压测监理有限公司{sfx}-{k}",
                  "administrator": {"name": "陈明", "mobile": _mobile(base + k)}} for k in range(50)]
    items = [{"platform_code": f"FJ-{sfx}-{i:05d}", "name": f"福州压测项目{i}", "address": "福州市长乐区",
              "assessable": True, "division_code": "350112" if i % 2 else "350213",
              "supervision_company": companies[i % len(companies)],
              "chief_engineer": {"name": "林志强", "mobile": _mobile(base + 1000 + i)}} for i in range(n)]
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    done_at: list[tuple[float, int]] = []  # (seconds from the start, projects synced)
    started = time.monotonic()
    async with p.api(token) as c:
        c.timeout = httpx.Timeout(600)  # one batch is 200 transactions: minutes on a loaded machine
        for k in range(0, n, BATCH):
            if time.monotonic() - started > SYNC_LIMIT_S:
                break
            if time.monotonic() - token_at > 600:
                token, token_at = await client_token(), time.monotonic()
                c.headers["Authorization"] = f"Bearer {token}"
            t = time.perf_counter()
            r = await c.post("/api/projects/v1/platform/projects", json={"projects": items[k:k + BATCH]})
            latencies.append(time.perf_counter() - t)
            for res in expect(r, 200)["results"]:
                outcomes[res["outcome"]] = outcomes.get(res["outcome"], 0) + 1
            done_at.append((time.monotonic() - started, k + len(items[k:k + BATCH])))
    took = time.monotonic() - started
    synced = done_at[-1][1] if done_at else 0
    quarters = []  # projects/s in each quarter of the run
    for q in range(4):
        lo, hi = took * q / 4, took * (q + 1) / 4
        before = max((m for s_, m in done_at if s_ <= lo), default=0)
        upto = max((m for s_, m in done_at if s_ <= hi), default=0)
        quarters.append(round((upto - before) / (hi - lo), 2) if hi > lo else None)
    consumed = await quiesce()
    return {"projects": n, "synced": synced, "complete": synced == n, "batches": len(latencies),
            "seconds": round(took, 1), "projects_per_s": round(synced / took, 1) if took else None,
            "projects_per_s_by_quarter": quarters, **_pcts(latencies), "outcomes": outcomes,
            "then_events_consumed_s": consumed}


# --------------------------------------------------------------------------- 2. HN-10 XLSX


async def station_search_xlsx(p: Any, mongo: Any, n: int = ROWS, runs: int = 3) -> dict[str, Any]:
    """HN-10: the export of ``n`` seeded records by Hainan's province admin."""
    now = utcnow()
    station = new_id()
    col = mongo["bench_reporting"]["station_items"]
    docs = []
    for i in range(n):
        rid = new_id()
        at = now - timedelta(minutes=i)
        docs.append({"_id": f"record:{rid}", "tenant_id": "hainan", "kind": "record", "item_id": rid,
                     "complete": True, "number": "", "type": ("safety", "quality", "combined")[i % 3],
                     "project_id": f"p{i % 500}", "project_name": f"海口江东新区压测项目{i % 500}",
                     "station_org_id": station, "submitter_id": f"u{i % 40}", "submitter_name": f"监督员{i % 40}",
                     "submitted_at": at, "created_at": at, "status": "pending_review", "status_at": at,
                     "summary": "2#楼 12层 主体结构施工；东侧临边防护栏杆缺失，未设挡脚板。",
                     "report_recipient_ids": [], "issue_recipient_ids": [], "first_seen_at": now,
                     "updated_at": now, "version": 1})
    t = time.perf_counter()
    for k in range(0, n, 1000):
        await col.insert_many(docs[k:k + 1000])
    seeded = time.perf_counter() - t
    admin = await sign_in(p.api, "hainan", "admin", DEV_ADMIN_PASSWORD)
    times, size, rows = [], 0, None
    async with p.api(admin) as c:
        for _ in range(runs):
            t = time.perf_counter()
            r = await c.get("/api/reporting/v1/station-search.xlsx", params={"station_org_id": station})
            if r.status_code != 200:
                raise RuntimeError(f"export answered {r.status_code}: {r.text[:300]}")
            times.append(time.perf_counter() - t)
            size, rows = len(r.content), r.headers.get("X-Total-Rows")
    return {"rows": int(rows or 0), "median_s": round(statistics.median(times), 2), "max_s": round(max(times), 2),
            "rows_per_s": round(n / statistics.median(times), 1), "bytes": size, "runs": runs,
            "seeded": f"{n} station_items inserted directly ({round(seeded, 1)} s)"}


# --------------------------------------------------------------------------- 3. HUN-04 freeze


async def year_end_freeze(p: Any, mongo: Any, staff: int = STAFF, agencies: int = AGENCIES) -> dict[str, Any]:
    """HUN-04: personnel's year-end job over ``staff`` people in ``agencies`` agencies."""
    from personnel.domain import agencies as rules  # the staff codes the job counts

    db = mongo["bench_personnel"]
    last_year = utcnow().replace(month=6, day=30) - timedelta(days=365)
    ids = [new_id() for _ in range(agencies)]
    rows = []
    for i in range(staff):
        agency = ids[i % agencies]
        state = {"agency_org_id": agency, "name": f"人员{i}", "post": rules.POSTS[i % len(rules.POSTS)],
                 "education": rules.EDUCATION[i % len(rules.EDUCATION)],
                 "title": rules.TITLES[i % len(rules.TITLES)],
                 "birth_date": f"{1965 + i % 35}-0{1 + i % 9}-15", "certificates": ["quality", "safety"][: i % 3],
                 "deleted": False}
        rows.append({"_id": new_id(), "tenant_id": "hunan", "agency_org_id": agency, "staff_id": new_id(),
                     "seq": i // agencies + 1, "at": last_year + timedelta(seconds=i), "state": state})
    p.procs["personnel"].stop()
    for k in range(0, staff, 1000):
        await db["agency_staff_revisions"].insert_many(rows[k:k + 1000])
    started = time.monotonic()
    await p.procs["personnel"].start()   # the year-end job runs a pass at start
    returns = db["staffing_returns"]
    flt = {"tenant_id": "hunan", "agency_org_id": {"$in": ids}}
    frozen = 0
    while time.monotonic() - started < 600:
        frozen = await returns.count_documents(flt)
        if frozen >= agencies:
            break
        await asyncio.sleep(0.2)
    took = time.monotonic() - started
    stamps = sorted(d["frozen_at"] for d in await returns.find(flt, {"frozen_at": 1}).to_list())
    span = (stamps[-1] - stamps[0]).total_seconds() if len(stamps) > 1 else 0.0
    return {"staff": staff, "agencies": agencies, "returns_frozen": frozen,
            "seconds_from_process_start": round(took, 1), "job_span_s": round(span, 1),
            "agencies_per_s": round(frozen / span, 1) if span else None,
            "seeded": f"{staff} staff revisions inserted directly, personnel stopped meanwhile"}


# --------------------------------------------------------------------------- 4. backlog


def subscriptions(svc: str) -> list[Any]:
    """The consumer groups (``anjian_shared.bus.Subscription``) a service's
    ``entrypoints.consumers`` module defines (its tenant-policy queue aside)."""
    from anjian_shared.bus import Subscription

    try:
        mod = importlib.import_module(f"{svc}.entrypoints.consumers")
    except ImportError:
        return []
    found: dict[int, Any] = {}
    for value in vars(mod).values():
        for v in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(v, Subscription):
                found[id(v)] = v
    return list(found.values())


def all_queues(services: list[str]) -> list[str]:
    """Every queue of ``services`` (``<service>.<purpose>``), for waiting until they are empty."""
    return [f"{s}.{sub.purpose}" for s in services for sub in subscriptions(s)] + [
        f"{s}.tenant-policy" for s in services if s != "identity"]


def consumer_groups(event_type: str, services: list[str]) -> list[str]:
    """The queues (``<service>.<purpose>``) bound to ``event_type`` among ``services``."""
    return [f"{s}.{sub.purpose}" for s in services for sub in subscriptions(s) if event_type in sub.handlers]


async def inbox_counts(mongo: Any, groups: list[str]) -> dict[str, int]:
    """The size of each group's service's inbox (collection metadata: free for the database)."""
    return {g: await mongo[f"bench_{g.split('.', 1)[0]}"]["inbox"].estimated_document_count() for g in groups}


async def applied_by(mongo: Any, amqp_url: str, groups: list[str], event_ids: list[str], *,
                     baseline: dict[str, int], limit_s: float, started: float
                     ) -> tuple[dict[str, float], dict[str, int]]:
    """When each consumer group (``<service>.<purpose>``) held every one of ``event_ids`` in its
    inbox: seconds since ``started`` per group, and how many the others held when ``limit_s``
    ran out. ``baseline``: ``inbox_counts`` taken before the consumers started.

    The wait must not load the database it measures (the first version counted the inbox by a
    regular expression every second, a scan of a growing collection per group on the embedded
    database; a count by 10,000 ids took 91 s there): it asks the broker how many messages
    still wait in the group's queue (free for the database); once none does, it reads the
    inbox's size, and once that grew by ``len(event_ids)`` checks by ``_id`` that they are all
    there (else it goes on watching)."""
    import aio_pika

    remaining = set(groups)
    done: dict[str, float] = {}
    held: dict[str, int] = {g: 0 for g in groups}
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    while remaining and time.monotonic() - started < limit_s:
        for g in sorted(remaining):
            try:
                waiting = (await channel.declare_queue(g, passive=True)).declaration_result.message_count
            except aio_pika.exceptions.ChannelClosed:
                channel = await connection.channel()
                continue
            if waiting:
                continue
            inbox = mongo[f"bench_{g.split('.', 1)[0]}"]["inbox"]
            held[g] = min(len(event_ids), await inbox.estimated_document_count() - baseline[g])
            if held[g] < len(event_ids):
                continue
            at = time.monotonic() - started
            wanted = [f"{g}:{e}" for e in event_ids]
            found = 0
            for k in range(0, len(wanted), 1000):
                found += len(await inbox.find({"_id": {"$in": wanted[k:k + 1000]}}, {"_id": 1}).to_list())
            if found == len(event_ids):
                done[g] = at
                remaining.discard(g)
            else:
                held[g] = found
        await asyncio.sleep(0.25)
    await connection.close()
    return done, {g: held[g] for g in remaining}


async def backlog(p: Any, mongo: Any, n: int = EVENTS, say: Say = print) -> dict[str, Any]:
    """``n`` projects.project.registered.v1 published with every consumer stopped, then drained."""
    etype = "projects.project.registered.v1"
    consumers = [s for s in p.procs if s != "projects"]
    groups = consumer_groups(etype, consumers)
    example = ProjectRegistered.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
    now = utcnow()
    rows, ids = [], []
    for i in range(n):
        pid = new_id()
        data = ProjectRegistered(**{**example, "project_id": pid, "code": f"4201002026{i:08d}",
                                    "name": f"压测项目{i}", "version": 1})
        event = make_event(type=etype, tenant="hubei", service="projects", subject=pid,
                           data=data).model_dump(mode="json")
        ids.append(event["id"])
        rows.append({"_id": event["id"], "tenant_id": "hubei", "type": etype, "event": event,
                     "status": "pending", "created_at": now, "attempts": 0})
    for s in consumers:
        p.procs[s].stop()
    outbox = mongo["bench_projects"]["outbox"]
    t = time.monotonic()
    for k in range(0, n, 1000):
        await outbox.insert_many(rows[k:k + 1000])
    # by the status index: a count by 10,000 ids took 91 s on the embedded database
    while time.monotonic() - t < 600 and await outbox.count_documents({"status": "pending"}):
        await asyncio.sleep(0.5)
    published_s = time.monotonic() - t
    say(f"    {n} events published into {len(groups)} stopped consumer groups in {published_s:.1f} s; starting them")
    baseline = await inbox_counts(mongo, groups)
    started = time.monotonic()
    await p.procs["identity"].start()
    await asyncio.gather(*(p.procs[s].start() for s in consumers if s != "identity"))
    done, pending = await applied_by(mongo, p.infra.cfg.amqp_url, groups, ids, baseline=baseline, limit_s=DRAIN_LIMIT_S,
                                     started=started)
    per_group = {g: {"seconds": round(s, 1), "events_per_s": round(n / s, 1)} for g, s in done.items()}
    per_group.update({g: {"incomplete": c, "after_s": DRAIN_LIMIT_S,
                          "events_per_s": round(c / DRAIN_LIMIT_S, 1)} for g, c in pending.items()})
    return {"events": n, "consumer_groups": per_group, "published_s": round(published_s, 1),
            "note": "seconds from starting the consumers (process start included) until the group's inbox "
                    "holds every event"}


# --------------------------------------------------------------------------- run


async def run_bulk(p: Any, mongo: Any, quiesce: Callable[[], Awaitable[float]], *, which: tuple[str, ...] = FIGURES,
                   say: Say = print) -> dict[str, Any]:
    """The bulk figures chosen (``which`` ⊆ FIGURES), each after the previous one's backlog
    drained; a failure is recorded and the others still run."""
    out: dict[str, Any] = {"sizes": {"projects": PROJECTS, "rows": ROWS, "staff": STAFF, "agencies": AGENCIES,
                                     "events": EVENTS}, "rss": "/proc/<pid>/status VmRSS, sampled every 0.2 s"}
    jobs: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
        "sync": lambda: fujian_sync(p, quiesce),
        "xlsx": lambda: station_search_xlsx(p, mongo),
        "freeze": lambda: year_end_freeze(p, mongo),
        "backlog": lambda: backlog(p, mongo, say=say),
    }
    for name in which:
        await quiesce()
        say(f"bulk: {name} …")
        started = time.monotonic()
        try:
            out[name] = await with_rss(p, jobs[name]())
        except Exception as exc:  # noqa: BLE001 - one broken figure must not lose the others
            out[name] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        out[name]["took_s"] = round(time.monotonic() - started, 1)
        say(f"  {name}: {out[name]}")
    return out


def bulk_table(bulk: dict[str, Any]) -> str:
    lines = ["", f"bulk work (sizes {bulk.get('sizes')}; peak RSS MiB per service: {bulk.get('rss')}):"]

    def rss(d: dict[str, Any]) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(d.get("peak_rss_mib", {}).items()))

    s = bulk.get("sync", {})
    if s and "error" in s:
        lines.append(f"  Fujian sync: FAILED {s['error'][:300]}")
    elif s:
        lines.append(f"  Fujian sync: {s.get('synced')} of {s.get('projects')} projects in {s.get('seconds')} s"
                     f"{'' if s.get('complete') else ' (INCOMPLETE: the time limit)'}; by quarter of the run "
                     f"{s.get('projects_per_s_by_quarter')} projects/s")
        lines.append(f"  Fujian sync: {s.get('projects_per_s')} projects/s, batch of 200 p50 "
                     f"{s.get('p50_ms')} ms p95 {s.get('p95_ms')} ms; events consumed after "
                     f"{s.get('then_events_consumed_s')} s | RSS {rss(s)}")
    x = bulk.get("xlsx", {})
    if x:
        lines.append(f"  HN-10 XLSX {x.get('rows')} rows: {x.get('median_s', x.get('error'))} s median, "
                     f"{x.get('bytes')} bytes | RSS {rss(x)}")
    f = bulk.get("freeze", {})
    if f:
        lines.append(f"  HUN-04 freeze {f.get('staff')} staff / {f.get('returns_frozen')} agencies: job "
                     f"{f.get('job_span_s', f.get('error'))} s ({f.get('agencies_per_s')} agencies/s), "
                     f"{f.get('seconds_from_process_start')} s from process start | RSS {rss(f)}")
    b = bulk.get("backlog", {})
    if b:
        lines.append(f"  backlog of {b.get('events')} events (published in {b.get('published_s')} s) "
                     f"{b.get('error', '')}| RSS {rss(b)}")
        for g, v in b.get("consumer_groups", {}).items():
            lines.append(f"    {g:<40} {v}")
    return "\n".join(lines)
