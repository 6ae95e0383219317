"""Message handling (``bus.handle_message``) on the fake database and small fake messages.

architecture.md "Events": a consumer records the event id in its inbox in the same
transaction as its effects (redelivery has no second effect); a failing message is
retried with back-off, then dead-lettered — never acked on error; an outage of the
database is waited out in place, not counted against the delivery limit.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pymongo.errors import AutoReconnect

from anjian_shared import bus
from anjian_shared.bus import DELIVERY_STATS, Subscription, handle_message, queue_arguments
from anjian_shared.events import make_event
from anjian_shared.events.identity_v1 import OrganizationCreated
from anjian_shared.retry import REDELIVERY
from anjian_shared.testing import instant_retries
from anjian_shared.testing.fakes import FakeDatabase

TYPE = "identity.organization.created.v1"
TENANT = "hubei"


class Channel:
    def __init__(self) -> None:
        self.is_closed = False


class Message:
    """What ``handle_message`` uses of an aio-pika ``AbstractIncomingMessage``."""

    def __init__(self, body: bytes, delivery_count: int = 0, channel: Channel | None = None) -> None:
        self.body = body
        self.headers: dict[str, Any] = {"x-delivery-count": delivery_count} if delivery_count else {}
        self.channel = channel or Channel()
        self.outcome: tuple[str, bool] | None = None

    async def ack(self) -> None:
        self.outcome = ("ack", False)

    async def nack(self, requeue: bool = True) -> None:
        self.outcome = ("nack", requeue)

    async def reject(self, requeue: bool = False) -> None:
        self.outcome = ("reject", requeue)


def event_body(org_id: str = "o1", **overrides: Any) -> bytes:
    event = make_event(type=TYPE, tenant=TENANT, service="identity", subject=org_id,
                       data=OrganizationCreated(org_id=org_id, name="Station", kind="station"))
    return json.dumps({**event.model_dump(mode="json"), **overrides}).encode()


@pytest.fixture
def mongo() -> FakeDatabase:
    return FakeDatabase(service="projects")


@pytest.fixture
def consumer(request: pytest.FixtureRequest) -> str:
    return f"projects.test-{request.node.name}"  # own DELIVERY_STATS counters per test


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The back-offs ``handle_message`` slept before a nack (not actually waited)."""
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(bus, "sleep", record)
    return slept


def subscription(effect: Any) -> Subscription:
    sub = Subscription("orgs")

    @sub.on(TYPE)
    async def handle(uow: Any, event: Any, payload: OrganizationCreated) -> None:
        await effect(uow, payload)

    return sub


async def store_org(uow: Any, payload: OrganizationCreated) -> None:
    await uow.repo("organizations").collection.update_one(
        {"_id": payload.org_id, "tenant_id": uow.tenant_id}, {"$inc": {"applied": 1}}, upsert=True,
        session=uow.session)


async def test_handled_event_is_recorded_in_the_inbox_and_acked(mongo: FakeDatabase, consumer: str) -> None:
    message = Message(event_body())
    await handle_message(message, subscription(store_org), mongo, consumer)  # type: ignore[arg-type]
    assert message.outcome == ("ack", False)
    assert mongo.documents("organizations") == [{"_id": "o1", "tenant_id": TENANT, "applied": 1}]
    [inbox] = mongo.documents("inbox")
    assert inbox["_id"].startswith(f"{consumer}:") and inbox["type"] == TYPE
    assert DELIVERY_STATS[consumer]["handled"] == 1


async def test_redelivered_event_id_has_no_second_effect_and_is_acked(mongo: FakeDatabase, consumer: str) -> None:
    body = event_body()
    sub = subscription(store_org)
    first, again = Message(body), Message(body, delivery_count=1)
    await handle_message(first, sub, mongo, consumer)  # type: ignore[arg-type]
    await handle_message(again, sub, mongo, consumer)  # type: ignore[arg-type]
    assert first.outcome == again.outcome == ("ack", False)
    assert mongo.documents("organizations")[0]["applied"] == 1
    assert DELIVERY_STATS[consumer]["duplicate"] == 1


async def test_failing_handler_is_nacked_with_back_off_and_nothing_kept(
        mongo: FakeDatabase, consumer: str, waits: list[float]) -> None:
    async def half_then_fail(uow: Any, payload: OrganizationCreated) -> None:
        await store_org(uow, payload)
        raise RuntimeError("handler bug")

    message = Message(event_body(), delivery_count=2)
    await handle_message(message, subscription(half_then_fail), mongo, consumer)  # type: ignore[arg-type]
    assert message.outcome == ("nack", True)  # requeued: the broker redelivers it
    assert mongo.documents("organizations") == [] and mongo.documents("inbox") == []  # rolled back
    assert len(waits) == 1 and 0.4 <= waits[0] <= 1.2  # the 3rd delivery waits 0.8 s ± 50 %
    assert DELIVERY_STATS[consumer]["failed"] == 1


async def test_failing_message_is_dead_lettered_after_the_delivery_limit_never_acked(
        mongo: FakeDatabase, consumer: str, waits: list[float]) -> None:
    """RabbitMQ's part simulated from the queue's own arguments: every nack redelivers with
    ``x-delivery-count`` + 1 until ``x-delivery-limit``, then the dead-letter exchange takes it."""
    async def always_fail(uow: Any, payload: OrganizationCreated) -> None:
        raise RuntimeError("handler bug")

    args = queue_arguments(consumer, delivery_limit=3)
    body, count, outcomes = event_body(), 0, []
    while True:
        message = Message(body, delivery_count=count)
        await handle_message(message, subscription(always_fail), mongo, consumer)  # type: ignore[arg-type]
        outcomes.append(message.outcome)
        if message.outcome != ("nack", True):
            break
        count += 1
        if count > args["x-delivery-limit"]:
            parked_in = args["x-dead-letter-exchange"]
            break
    assert parked_in == "anjian.dead-letter" and args["x-dead-letter-strategy"] == "at-least-once"
    assert outcomes == [("nack", True)] * 4  # never acked, so the broker parks it
    means = [min(REDELIVERY.initial * 2 ** n, REDELIVERY.maximum) for n in range(4)]  # 0.2, 0.4, 0.8, 1.6
    assert all(0.5 * m <= w <= 1.5 * m for w, m in zip(waits, means, strict=True))  # grows, jittered


@pytest.mark.parametrize("body", [
    b"{not json",
    event_body(type="identity.nothing.happened.v1"),
    event_body(data={"org_id": "o1"}),  # payload that does not validate
])
async def test_poison_message_is_dead_lettered_at_once(mongo: FakeDatabase, consumer: str, body: bytes) -> None:
    message = Message(body)
    await handle_message(message, subscription(store_org), mongo, consumer)  # type: ignore[arg-type]
    assert message.outcome == ("reject", False)  # no requeue: straight to the dead-letter queue
    assert DELIVERY_STATS[consumer]["undecodable"] == 1 and mongo.documents("inbox") == []


async def test_unavailable_database_is_waited_for_in_place_not_counted(mongo: FakeDatabase, consumer: str) -> None:
    mongo.fail("insert_one", AutoReconnect("database restarting"), collection="inbox", times=3)
    message = Message(event_body())
    with instant_retries():
        await handle_message(message, subscription(store_org), mongo, consumer)  # type: ignore[arg-type]
    assert message.outcome == ("ack", False)  # no nack: the delivery count is not used up
    assert DELIVERY_STATS[consumer]["waited_for_dependency"] == 3
    assert DELIVERY_STATS[consumer]["failed"] == 0 and mongo.documents("organizations")[0]["applied"] == 1


async def test_unavailable_database_with_the_channel_gone_is_nacked(
        mongo: FakeDatabase, consumer: str, waits: list[float]) -> None:
    channel = Channel()
    channel.is_closed = True
    mongo.fail("insert_one", AutoReconnect("database restarting"), collection="inbox", times=1)
    message = Message(event_body(), channel=channel)
    await handle_message(message, subscription(store_org), mongo, consumer)  # type: ignore[arg-type]
    assert message.outcome == ("nack", True) and DELIVERY_STATS[consumer]["waited_for_dependency"] == 0


def test_plat04_a_connection_the_broker_dropped_is_not_alive():
    """PLAT-04: aio-pika 10 keeps ``is_closed`` False on a connection the broker dropped and
    clears ``connected``; ``connection_alive`` says gone for both, so reconnect loops run."""
    import asyncio
    from types import SimpleNamespace

    from anjian_shared.bus import connection_alive

    up = asyncio.Event()
    up.set()
    assert connection_alive(SimpleNamespace(is_closed=False, connected=up))
    assert not connection_alive(SimpleNamespace(is_closed=False, connected=asyncio.Event()))  # dropped
    assert not connection_alive(SimpleNamespace(is_closed=True, connected=up))  # closed by us
    assert not connection_alive(None)


# --------------------------------------------------------------------------- batching (issue 16)


class Recorder:
    """A handler effect that notes the order in which events were applied, per organisation."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.applied: list[tuple[str, int]] = []
        self.fail_on = fail_on

    async def __call__(self, uow: Any, payload: OrganizationCreated) -> None:
        await store_org(uow, payload)
        if payload.name == self.fail_on:
            raise RuntimeError("handler bug")
        self.applied.append((payload.org_id, int(payload.name)))


def numbered_body(org_id: str, n: int, tenant: str = TENANT) -> bytes:
    event = make_event(type=TYPE, tenant=tenant, service="identity", subject=org_id,
                       data=OrganizationCreated(org_id=org_id, name=str(n), kind="station"))
    return json.dumps(event.model_dump(mode="json")).encode()


async def decoded(messages: list[Message], sub: Subscription, consumer: str) -> list[bus.Delivery]:
    out = [await bus.decode(m, sub, consumer, DELIVERY_STATS[consumer]) for m in messages]  # type: ignore[arg-type]
    assert all(d is not None for d in out)
    return out  # type: ignore[return-value]


async def test_issue16_a_batch_commits_once_applies_in_order_and_acks_each(
        mongo: FakeDatabase, consumer: str) -> None:
    """Issue 16: several events, one transaction (one commit), each recorded in the inbox."""
    recorder = Recorder()
    sub = subscription(recorder)
    messages = [Message(numbered_body("o1", n)) for n in range(5)]
    await bus.handle_batch(await decoded(messages, sub, consumer), sub, mongo, consumer)  # type: ignore[arg-type]
    assert mongo.commits == 1
    assert recorder.applied == [("o1", n) for n in range(5)]
    assert all(m.outcome == ("ack", False) for m in messages)
    assert len(mongo.documents("inbox")) == 5 and mongo.documents("organizations")[0]["applied"] == 5
    assert DELIVERY_STATS[consumer]["handled"] == 5


async def test_issue16_one_failing_event_in_a_batch_is_retried_alone_the_others_apply(
        mongo: FakeDatabase, consumer: str, waits: list[float]) -> None:
    """The batch keeps nothing when a handler fails; its events are applied one by one: the good
    ones committed and acked, the failing one nacked for a retry with nothing of it kept."""
    recorder = Recorder(fail_on="2")
    sub = subscription(recorder)
    messages = [Message(numbered_body(f"o{n}", n)) for n in range(4)]
    await bus.handle_batch(await decoded(messages, sub, consumer), sub, mongo, consumer)  # type: ignore[arg-type]
    assert [m.outcome for m in messages] == [("ack", False), ("ack", False), ("nack", True), ("ack", False)]
    assert sorted(d["_id"] for d in mongo.documents("organizations")) == ["o0", "o1", "o3"]
    assert all(d["applied"] == 1 for d in mongo.documents("organizations"))  # the aborted batch left nothing
    assert len(mongo.documents("inbox")) == 3 and len(waits) == 1
    assert DELIVERY_STATS[consumer]["failed"] == 1 and DELIVERY_STATS[consumer]["batch_split"] == 1


async def test_issue16_a_redelivered_event_in_a_batch_has_no_second_effect(mongo: FakeDatabase, consumer: str) -> None:
    recorder = Recorder()
    sub = subscription(recorder)
    first = numbered_body("o1", 1)
    await handle_message(Message(first), sub, mongo, consumer)  # type: ignore[arg-type]
    messages = [Message(numbered_body("o0", 0)), Message(first, delivery_count=1), Message(numbered_body("o2", 2))]
    await bus.handle_batch(await decoded(messages, sub, consumer), sub, mongo, consumer)  # type: ignore[arg-type]
    assert all(m.outcome == ("ack", False) for m in messages)
    assert {d["_id"]: d["applied"] for d in mongo.documents("organizations")} == {"o0": 1, "o1": 1, "o2": 1}
    assert DELIVERY_STATS[consumer]["duplicate"] == 1


async def test_issue16_lanes_keep_each_aggregates_order_and_batch_what_waits(
        mongo: FakeDatabase, consumer: str) -> None:
    """Issue 16: 60 events of 6 organisations (two provinces) delivered at once through 3 lanes:
    every organisation's events are applied in the order they were delivered, fewer commits
    than events, and every message is acked."""
    import asyncio

    recorder = Recorder()
    sub = subscription(recorder)
    lanes = bus.Lanes(sub, mongo, consumer, lanes=3, batch_max=8, delivery_limit=5)  # type: ignore[arg-type]
    messages = [Message(numbered_body(f"o{n % 6}", n, tenant="hubei" if n % 2 else "hainan")) for n in range(60)]
    for m in messages:
        await lanes.deliver(m)  # type: ignore[arg-type]
    tasks = lanes.start()
    try:
        for _ in range(200):
            if all(m.outcome is not None for m in messages):
                break
            await asyncio.sleep(0.01)
    finally:
        for t in tasks:
            t.cancel()
    assert all(m.outcome == ("ack", False) for m in messages)
    for org in range(6):
        seen = [n for o, n in recorder.applied if o == f"o{org}"]
        assert seen == list(range(org, 60, 6)), (org, seen)
    assert mongo.commits < 60 and len(mongo.documents("inbox")) == 60


def test_issue16_a_batch_is_cut_by_tenant_keeping_the_order() -> None:
    lanes = bus.Lanes(Subscription("x"), None, "c", lanes=1, batch_max=3, delivery_limit=None)  # type: ignore[arg-type]

    def d(tenant: str, n: int) -> Any:
        from types import SimpleNamespace
        return SimpleNamespace(event=SimpleNamespace(tenant=tenant), n=n)

    import asyncio
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for item in [d("hainan", 1), d("hubei", 2), d("hainan", 3), d("hubei", 4)]:
        queue.put_nowait(item)
    groups = lanes.take(queue, d("hubei", 0))
    assert [[x.n for x in g] for g in groups] == [[0, 2], [1]]  # batch_max 3: 4th and 5th wait
    assert queue.qsize() == 2


async def test_issue16_each_event_of_a_batch_keeps_its_own_audit_entry(mongo: FakeDatabase, consumer: str) -> None:
    """Issue 16's audit trail under batching: three events applied in one transaction leave three
    entries, each naming its own event as the actor; a read-model copy switching its journal
    off in the middle silences only its own event."""
    sub = Subscription("orgs")

    @sub.on(TYPE)
    async def handle(uow: Any, event: Any, payload: OrganizationCreated) -> None:
        if payload.name == "1":
            uow.journal.enabled = False  # as read_models does for a copy of another service's record
        await uow.repo("organizations").insert({"_id": payload.org_id, "name": payload.name})

    messages = [Message(numbered_body(f"o{n}", n)) for n in range(3)]
    batch = await decoded(messages, sub, consumer)
    await bus.handle_batch(batch, sub, mongo, consumer)  # type: ignore[arg-type]
    assert mongo.commits == 1 and len(mongo.documents("organizations")) == 3
    entries = mongo.documents("audit_pending")
    assert [e["actor"]["event_id"] for e in entries] == [batch[0].event.id, batch[2].event.id]
    assert [[o["id"] for o in e["objects"]] for e in entries] == [["o0"], ["o2"]]
