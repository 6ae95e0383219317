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
