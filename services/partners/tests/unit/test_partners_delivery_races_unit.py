"""PLAT-03: resume and retry-now race the delivery sweep; the sweep must never hide what they
made due. Deterministic interleavings on the in-memory database (the flaky end-to-end
``test_plat03_resume_delivers_the_backlog_at_once`` lost an event this way once in CI)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from anjian_shared.mongo import UnitOfWork, with_transaction
from anjian_shared.testing.fakes import FakeDatabase
from anjian_shared.types import utcnow
from partners.adapters.repository import DELIVERIES, SUBSCRIPTIONS
from partners.adapters.webhook import Attempt
from partners.service_layer.delivery import DeliveryWorker
from partners.service_layer.subscriptions import _due_now
from partners.settings import Settings

TENANT = "hubei"
SUB = "sub-1"


class ScriptedSender:
    """Answers each POST from a script; runs ``during`` (another request's write) while the
    attempt is in flight."""

    def __init__(self, outcomes: list[bool], during: Any = None) -> None:
        self.outcomes = outcomes
        self.during = during
        self.posted: list[str] = []

    async def post(self, url: str, *, body: bytes, headers: dict[str, str]) -> Attempt:
        self.posted.append(headers["webhook-id"])
        if self.during is not None:
            during, self.during = self.during, None
            await during()
        ok = self.outcomes.pop(0)
        return Attempt(ok, 200 if ok else 500, None if ok else "HTTP 500", 1)


async def _setup(mongo: FakeDatabase, events: int) -> DeliveryWorker:
    now = utcnow()
    await mongo.repo(SUBSCRIPTIONS, TENANT).insert({
        "_id": SUB, "client_id": "c1", "kind": "webhook", "url": "https://partner.example/hook", "status": "active",
        "event_types": ["#"], "secrets": [{"secret": "whsec_" + "A" * 43, "created_at": now, "expires_at": None}],
        "due_at": now, "work_version": events, "lease_until": None, "lease_by": None})
    for seq in range(1, events + 1):
        await mongo.repo(DELIVERIES, TENANT).insert({
            "_id": f"{SUB}:e{seq}", "subscription_id": SUB, "event_id": f"e{seq}", "event_type": "x.y.z.v1",
            "seq": seq, "status": "pending", "attempts": 0, "first_attempt_at": None, "next_attempt_at": now,
            "history": [], "event": {"id": f"e{seq}", "type": "x.y.z.v1", "data": {}}})
    return DeliveryWorker(mongo=mongo, settings=Settings(environment="test", webhook_retry_schedule=[3600.0]),
                          sender=None, queues=None, broker_admin=None)  # type: ignore[arg-type]


async def _resume(mongo: FakeDatabase) -> None:
    """What PATCH status=active / POST retry do (the same helper, in a transaction): every
    pending delivery due now, the subscription due now, its work version bumped."""
    now = utcnow()

    async def fn(uow: UnitOfWork) -> None:
        await _due_now(uow, SUB, now)
        await uow.repo(SUBSCRIPTIONS).update({"_id": SUB}, {"$set": {"due_at": now}, "$inc": {"work_version": 1}})

    await with_transaction(mongo, TENANT, fn)


async def _claim(worker: DeliveryWorker, mongo: FakeDatabase) -> None:
    await mongo.repo(SUBSCRIPTIONS, TENANT).update({"_id": SUB}, {"$set": {
        "lease_by": worker.id, "lease_until": utcnow() + timedelta(minutes=1)}})


async def test_plat03_a_resume_during_a_failing_attempt_is_not_overwritten_by_its_back_off():
    """The partner resumes (or retries now) while an attempt is in flight and fails: the sweep
    goes on at once instead of scheduling the next attempt an hour later over the resume."""
    mongo = FakeDatabase(service="partners")
    worker = await _setup(mongo, events=2)
    sender = ScriptedSender([False, True, True], during=lambda: _resume(mongo))
    worker.sender = sender  # type: ignore[assignment]
    await _claim(worker, mongo)
    await worker._work(TENANT, SUB)
    assert sender.posted == ["e1", "e1", "e2"], "tried again at once, then the backlog in order"
    pending = await mongo.repo(DELIVERIES, TENANT).find({"status": "pending"})
    assert pending == []
    head = await mongo.repo(DELIVERIES, TENANT).get(f"{SUB}:e1")
    assert head["attempts"] == 2 and head["history"][0]["response_code"] == 500, "the failed attempt is kept"


async def test_plat03_a_failing_attempt_without_a_resume_waits_for_its_back_off():
    """Control: with nothing happening meanwhile the failure schedules the next attempt and
    the subscription waits for it (the later events wait behind the head)."""
    mongo = FakeDatabase(service="partners")
    worker = await _setup(mongo, events=2)
    sender = ScriptedSender([False])
    worker.sender = sender  # type: ignore[assignment]
    await _claim(worker, mongo)
    await worker._work(TENANT, SUB)
    assert sender.posted == ["e1"]
    sub = await mongo.repo(SUBSCRIPTIONS, TENANT).get(SUB)
    head = await mongo.repo(DELIVERIES, TENANT).get(f"{SUB}:e1")
    assert sub["lease_by"] is None and sub["due_at"] == head["next_attempt_at"] > utcnow() + timedelta(minutes=59)


async def test_plat03_a_head_not_yet_due_does_not_hide_a_resume_that_lands_meanwhile():
    """The sweep reads the head (waiting an hour), the partner resumes, then the sweep
    releases: the resume wins (the release is guarded by the subscription's work version)."""
    mongo = FakeDatabase(service="partners")
    worker = await _setup(mongo, events=1)
    later = utcnow() + timedelta(hours=1)
    await mongo.repo(DELIVERIES, TENANT).update({"_id": f"{SUB}:e1"}, {"$set": {"next_attempt_at": later}})
    await _claim(worker, mongo)
    deliveries = mongo.repo(DELIVERIES, TENANT)
    real_find = deliveries.find
    resumed = []

    async def find_then_resume(*args: Any, **kw: Any) -> list[dict[str, Any]]:
        found = await real_find(*args, **kw)
        if not resumed:
            resumed.append(True)
            await _resume(mongo)
        return found

    sender = ScriptedSender([True])
    worker.sender = sender  # type: ignore[assignment]
    original_repo = mongo.repo

    def repo(collection: str, tenant: str) -> Any:
        r = original_repo(collection, tenant)
        if collection == DELIVERIES:
            r.find = find_then_resume  # type: ignore[method-assign]
        return r

    mongo.repo = repo  # type: ignore[method-assign]
    await worker._work(TENANT, SUB)
    assert sender.posted == ["e1"], "delivered at once after the resume"
