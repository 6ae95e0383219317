"""Fault-test kit: Jepsen-style outcome counts and an isolated world of service
processes.

``Outcomes`` classifies what happened to every write or event of a scenario, like
RabbitMQ's Jepsen suite does for its messages:

- acknowledged — the platform said yes (HTTP 2xx, or the broker confirmed the publish);
- lost — acknowledged, but missing once everything recovered;
- recovered — refused or delayed during the fault (a 503, a late event) and present afterwards;
- duplicated deliveries — an event delivered or published more than once (fine: consumers dedupe);
- duplicated effects — something applied twice (two notices for one plan and project, one
  notice number twice, a notification twice…) — never acceptable;
- unexpected — anything else (a 500, a wrong answer).

Every scenario prints its counts and asserts lost = 0, duplicated effects = 0 and
unexpected = 0.

``fault_world`` (module scope) gives a RabbitMQ vhost and database/bucket prefixes of its
own, where services run as real processes (``anjian_local.subprocess_service``) that
the test kills; nothing of the shared in-process platform consumes there.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aio_pika
from pymongo import AsyncMongoClient

from anjian_local.subprocess_service import ServiceProcess
from anjian_shared.events import make_event
from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.inspections_v1 import (
    HazardRef,
    NoticeData,
    PlanProject,
    PlanSubmitted,
    ResultSnapshot,
)
from anjian_shared.types import new_id, utcnow


@dataclass
class Outcomes:
    scenario: str
    acknowledged: int = 0
    lost: int = 0
    recovered: int = 0
    duplicated_deliveries: int = 0
    duplicated_effects: int = 0
    unexpected: int = 0
    notes: list[str] = field(default_factory=list)

    def table(self) -> str:
        return (f"acknowledged {self.acknowledged} · lost {self.lost} · recovered {self.recovered} · "
                f"duplicated deliveries {self.duplicated_deliveries} · duplicated effects "
                f"{self.duplicated_effects} · unexpected {self.unexpected}"
                + "".join(f"\n  {n}" for n in self.notes))

    def check(self, report: Any) -> None:
        report(f"fault {self.scenario}", self.table())
        assert self.lost == 0, self.table()
        assert self.duplicated_effects == 0, self.table()
        assert self.unexpected == 0, self.table()


def duplicates(values: list[Any]) -> int:
    """How many values occur more than once (extra copies)."""
    return sum(n - 1 for n in Counter(values).values() if n > 1)


MEDIA = MediaRef(bucket="fault-world", key="hubei/plans/x/signature.png", content_type="image/png", size=68,
                 sha256="0" * 64)


def plan_submitted_event(*, tenant: str = "hubei", projects: int = 1, plan_id: str | None = None,
                         station_org_id: str | None = None) -> dict[str, Any]:
    """An ``inspections.plan.submitted.v1`` CloudEvent like inspections emits (限期整改: a
    notice per project), for fresh ids."""
    station = station_org_id or new_id()
    sup = PersonRef(user_id=new_id(), name="张伟")
    plan_projects = [PlanProject(project_id=new_id(), name=f"光谷项目{i}", address="武汉市东湖新技术开发区",
                                 station_org_id=station, owner_org_id=new_id(), contractor_org_id=new_id(),
                                 supervision_org_id=new_id(), project_manager_user_ids=[new_id()])
                     for i in range(projects)]
    results = [ResultSnapshot(result_id=new_id(), project_id=p.project_id, building_name="3#楼",
                              hazards=[HazardRef(code="JGJ59-A.0.6-01", name="临边防护", major=False)],
                              finding="三层临边未设防护栏杆", photos=[MEDIA], major_hazard=False, recorded_by=sup,
                              recorded_at=utcnow()) for p in plan_projects]
    plan_id = plan_id or new_id()
    payload = PlanSubmitted(plan_id=plan_id, title="故障演练抽查", planned_date=date(2026, 11, 21),
                            station_org_id=station, projects=plan_projects, responsible_supervisor=sup,
                            supervisors=[sup], disposition="限期整改",
                            notice=NoticeData(title="建设工程安全隐患整改告知书", construction_stage="主体结构施工",
                                              rectification_date=date(2026, 11, 28)),
                            signature=MEDIA, results=results, submitted_at=utcnow())
    return make_event(type="inspections.plan.submitted.v1", tenant=tenant, service="inspections", subject=plan_id,
                      data=payload).model_dump(mode="json")


class Tap:
    """A private queue bound to the exchange: every copy of every matching event published."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def ids(self, type_: str | None = None) -> list[str]:
        return [e["id"] for e in self.events if type_ is None or e["type"] == type_]


@dataclass
class FaultWorld:
    settings: dict[str, Any]
    amqp_url: str
    db_prefix: str
    log_dir: Path
    mongo: AsyncMongoClient
    connection: aio_pika.abc.AbstractRobustConnection | None = None
    processes: list[ServiceProcess] = field(default_factory=list)

    def db(self, service: str) -> Any:
        return self.mongo[f"{self.db_prefix}{service}"]

    def service(self, name: str, *, replica: int = 1, **settings: Any) -> ServiceProcess:
        proc = ServiceProcess(name, {**self.settings, "service_name": name, **settings}, log_dir=self.log_dir,
                              name=f"{name}-{replica}")
        self.processes.append(proc)
        return proc

    async def channel(self) -> aio_pika.abc.AbstractChannel:
        if self.connection is None:
            self.connection = await aio_pika.connect_robust(self.amqp_url)
        channel = await self.connection.channel(publisher_confirms=True)
        await channel.declare_exchange(self.settings["amqp_exchange"], aio_pika.ExchangeType.TOPIC, durable=True)
        return channel

    async def publish(self, event: dict[str, Any] | bytes, *, routing_key: str | None = None) -> None:
        """Publish (with a confirm) an event dict, or raw bytes (a poison message)."""
        channel = await self.channel()
        exchange = await channel.get_exchange(self.settings["amqp_exchange"])
        if isinstance(event, bytes):
            message = aio_pika.Message(body=event, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                       message_id=new_id())
        else:
            routing_key = routing_key or event["type"]
            message = aio_pika.Message(body=json.dumps(event, ensure_ascii=False).encode(),
                                       content_type="application/cloudevents+json", message_id=event["id"],
                                       type=event["type"], delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                       headers={"tenant": event["tenant"]})
        await exchange.publish(message, routing_key=routing_key or "")
        await channel.close()

    async def tap(self, pattern: str) -> Tap:
        """Start collecting every event published with a routing key matching ``pattern``."""
        tap = Tap()
        channel = await self.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(self.settings["amqp_exchange"], routing_key=pattern)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                tap.events.append(json.loads(message.body))

        await queue.consume(on_message)
        return tap




# --------------------------------------------------------------------------- a steady stream of HB writes

@dataclass
class Ledger:
    """What a ``Stream`` did: every logical write, how it ended and after how many tries."""

    acknowledged: dict[str, list[str]] = field(default_factory=lambda: {"result": [], "submit": []})
    """kind → ids the platform acknowledged (result ids; plan ids for submissions)."""
    recovered: int = 0
    """logical writes that got a 503 or lost their connection at least once, then succeeded"""
    statuses: Counter = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    retry_after_missing: int = 0
    """503 answers without a Retry-After header"""
    gave_up: int = 0


class Stream:
    """Workers playing the HB flow (plan → confirm → result with photo → signature → submit)
    in a loop, every write with an ``Idempotency-Key`` and retried on 503 / connection
    loss with the same key — what a well-behaved mobile client does."""

    def __init__(self, platform: Any, world: Any, *, workers: int = 2, retry_for: float = 120) -> None:
        self.platform, self.world, self.workers, self.retry_for = platform, world, workers, retry_for
        self.ledger = Ledger()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def write(self, client: Any, kind: str, method: str, url: str, **kw: Any) -> dict[str, Any] | None:
        """One logical write; returns the JSON answer once acknowledged (None if given up)."""
        import time
        import uuid

        key = uuid.uuid4().hex
        deadline = time.monotonic() + self.retry_for
        failures = 0
        while True:
            try:
                r = await client.request(method, url, headers={"Idempotency-Key": key}, **kw)
                status = r.status_code
            except Exception as exc:  # noqa: BLE001 - connection refused/reset while a dependency restarts
                status = type(exc).__name__
                r = None
            self.ledger.statuses[status] += 1
            if r is not None and 200 <= r.status_code < 300:
                if failures:
                    self.ledger.recovered += 1
                return r.json() if r.content else {}
            if r is not None and r.status_code == 503:
                if "retry-after" not in r.headers:
                    self.ledger.retry_after_missing += 1
            elif r is not None and r.status_code == 409 and "Idempotency-Key" in r.text:
                pass  # the first attempt is still being processed: retry later
            elif r is not None:
                self.ledger.unexpected.append(f"{method} {url} → {r.status_code} {r.text[:200]}")
                return None
            failures += 1
            if time.monotonic() > deadline:
                self.ledger.gave_up += 1
                return None
            await asyncio.sleep(min(0.2 * failures, 1.0))

    async def _worker(self, n: int) -> None:
        from anjian_local.media import signature_png, site_photo

        w = self.world
        zhang = w.people["zhang"]
        photo = site_photo(n)
        async with self.platform.api(zhang.token) as c:
            while not self._stop.is_set():
                plan = await self.write(c, "plan", "POST", "/api/inspections/v1/plans", json={
                    "title": f"连续抽查{n}", "project_ids": [w.project_id], "planned_date": date.today().isoformat(),
                    "supervisor_user_ids": [zhang.user_id]})
                if plan is None:
                    continue
                pid = plan["id"]
                if await self.write(c, "confirm", "POST", f"/api/inspections/v1/plans/{pid}/confirm") is None:
                    continue
                for i in range(2):
                    result = await self.write(c, "result", "POST", f"/api/inspections/v1/plans/{pid}/results", data={
                        "project_id": w.project_id, "building_name": f"{i + 1}#楼", "hazard_codes": ["JGJ59-A.0.6-01"],
                        "finding": f"连续写入 {n}-{i}"}, files=[("photos", ("p.jpg", photo, "image/jpeg"))])
                    if result is not None:
                        self.ledger.acknowledged["result"].append(result["id"])
                if await self.write(c, "signature", "PUT", f"/api/inspections/v1/plans/{pid}/signature",
                                    files={"file": ("s.png", signature_png(), "image/png")}) is None:
                    continue
                submitted = await self.write(c, "submit", "POST", f"/api/inspections/v1/plans/{pid}/submit", json={
                    "disposition": "限期整改", "seal_required": False,
                    "notice": {"title": "整改告知书", "construction_stage": "主体施工",
                               "rectification_date": (date.today() + timedelta(days=1)).isoformat()}})
                if submitted is not None:
                    self.ledger.acknowledged["submit"].append(pid)

    async def start(self) -> None:
        """Wait until inspections knows the world's project (it learns it from an event), then go."""
        from anjian_local.testing.fixtures import eventually

        async with self.platform.api(self.world.people["zhang"].token) as c:
            async def known() -> bool:
                r = await c.get("/api/inspections/v1/projects", params={"limit": 100})
                return r.status_code == 200 and any(
                    p.get("project_id", p.get("id")) == self.world.project_id for p in r.json()["items"])

            await eventually(known, timeout=60, interval=0.2)
        self._tasks = [asyncio.create_task(self._worker(i)) for i in range(self.workers)]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    async def verify(self, outcomes: Outcomes, *, timeout: float = 120) -> None:
        """After recovery: every acknowledged result stored once, every acknowledged submission
        has exactly one notice; fills ``outcomes``."""
        from anjian_local.testing.fixtures import eventually

        led = self.ledger
        insp = self.platform.app("inspections").state.mongo.db
        notices_db = self.platform.app("notices").state.mongo.db
        plans = led.acknowledged["submit"]
        results = led.acknowledged["result"]
        outcomes.acknowledged = len(results) + len(plans)
        stored = await insp["results"].count_documents({"_id": {"$in": results}})
        outcomes.lost += len(results) - stored

        async def notices_issued() -> bool:
            n = await notices_db["notices"].count_documents({"plan_id": {"$in": plans}})
            assert n >= len(plans), f"{n} of {len(plans)} notices"
            return True

        try:
            await eventually(notices_issued, timeout=timeout, interval=0.5)
        except AssertionError:
            pass
        notices = await notices_db["notices"].find({"plan_id": {"$in": plans}}).to_list()
        missing = set(plans) - {n["plan_id"] for n in notices}
        outcomes.lost += len(missing)
        for pid in sorted(missing):  # where did it stop?
            plan = await insp["plans"].find_one({"_id": pid}, {"status": 1})
            rows = await insp["outbox"].find({"event.subject": pid}, {"type": 1, "status": 1}).to_list()
            outcomes.notes.append(f"LOST submission {pid}: plan {plan and plan.get('status')}, outbox "
                                  f"{[(r['type'], r['status']) for r in rows]}")
        if stored != len(results):
            gone = set(results) - {d["_id"] for d in await insp["results"].find({"_id": {"$in": results}}, {"_id": 1})
                                   .to_list()}
            outcomes.notes.append(f"LOST results: {sorted(gone)}")
        outcomes.duplicated_effects += duplicates([(n["plan_id"], n["project_id"]) for n in notices])
        outcomes.duplicated_effects += duplicates([n["number"] for n in notices])
        # results: as many stored per plan as acknowledged (a retried write stored twice shows here)
        stream_plans = await insp["plans"].find({"title": {"$regex": "^连续抽查"}}, {"_id": 1, "result_count": 1}
                                                ).to_list()
        per_plan = Counter()
        for doc in await insp["results"].find({"plan_id": {"$in": [p["_id"] for p in stream_plans]}},
                                              {"plan_id": 1}).to_list():
            per_plan[doc["plan_id"]] += 1
        outcomes.duplicated_effects += sum(max(0, n - 2) for n in per_plan.values())
        outcomes.recovered = led.recovered
        outcomes.unexpected = len(led.unexpected) + led.gave_up + led.retry_after_missing
        outcomes.notes.append("answers: " + ", ".join(f"{k}×{v}" for k, v in sorted(led.statuses.items(), key=str)))
        outcomes.notes += [f"unexpected: {u}" for u in led.unexpected[:10]]
        if led.retry_after_missing:
            outcomes.notes.append(f"{led.retry_after_missing} answers 503 without Retry-After")
        if led.gave_up:
            outcomes.notes.append(f"{led.gave_up} writes still failing after {self.retry_for} s")


async def dead_letter_counts(platform: Any) -> dict[str, int]:
    """Messages in every consumer's dead-letter queue (``<service>.<purpose>.dead``)."""
    counts: dict[str, int] = {}
    bus = platform.app("identity").state.bus
    channel = await bus.connection.channel()
    try:
        for name, svc in platform.services.items():
            for subscription, _ in svc.app.state.bus._subscriptions:
                queue = await channel.declare_queue(f"{name}.{subscription.purpose}.dead", passive=True)
                counts[queue.name] = queue.declaration_result.message_count
    finally:
        await channel.close()
    return counts
