"""The outbox relay's drain (``OutboxRelay.drain_once``) on the fake database and a fake bus.

architecture.md "Events": pending rows are published in commit order with publisher
confirms and marked sent; a failed publish leaves its row pending for the next pass;
one relay of a service is active at a time (the lease), another takes over once it expired.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from anjian_shared.events.identity_v1 import OrganizationCreated
from anjian_shared.mongo import OUTBOX
from anjian_shared.outbox import LEASE, OutboxRelay
from anjian_shared.testing.fakes import FakeDatabase
from anjian_shared.types import utcnow

TYPE = "identity.organization.created.v1"


class Bus:
    """What the relay uses of ``bus.Bus``: ``connected`` and a confirmed ``publish``."""

    def __init__(self) -> None:
        self.connected = True
        self.confirmed: list[str] = []
        self.started: list[str] = []
        self.refuse: set[str] = set()

    async def publish(self, event: dict[str, Any]) -> None:
        self.started.append(event["subject"])
        await asyncio.sleep(0)  # waiting for the broker's confirm
        if event["subject"] in self.refuse:
            raise ConnectionError("broker refused (fake)")
        self.confirmed.append(event["subject"])


@pytest.fixture
def mongo() -> FakeDatabase:
    return FakeDatabase(service="identity")


async def commit_events(mongo: FakeDatabase, *subjects: str) -> None:
    for subject in subjects:  # one unit each: created_at gives the commit order
        async with mongo.uow("hubei") as uow:
            uow.emit(TYPE, subject=subject, data=OrganizationCreated(org_id=subject, name="n", kind="station"))
            await uow.commit()


def statuses(mongo: FakeDatabase) -> dict[str, tuple[str, int]]:
    return {row["event"]["subject"]: (row["status"], row["attempts"]) for row in mongo.documents(OUTBOX)}


async def test_pending_rows_go_out_in_commit_order_and_are_marked_sent_in_one_write(mongo: FakeDatabase) -> None:
    await commit_events(mongo, "o1", "o2", "o3")
    bus = Bus()
    relay = OutboxRelay(mongo, bus)  # type: ignore[arg-type]
    mongo.calls.clear()
    assert await relay.drain_once() == 3
    assert bus.started == ["o1", "o2", "o3"] and sorted(bus.confirmed) == ["o1", "o2", "o3"]
    assert statuses(mongo) == {s: ("sent", 0) for s in ("o1", "o2", "o3")}
    assert [c for c in mongo.calls if c[1] == OUTBOX and c[0] != "find"] == [("update_many", OUTBOX)]
    assert await relay.drain_once() == 0 and len(bus.started) == 3  # nothing published twice


async def test_a_failed_publish_leaves_its_row_pending_for_the_next_pass(mongo: FakeDatabase) -> None:
    await commit_events(mongo, "o1", "o2")
    bus = Bus()
    bus.refuse = {"o1"}
    relay = OutboxRelay(mongo, bus)  # type: ignore[arg-type]
    assert await relay.drain_once() == 1
    assert statuses(mongo) == {"o1": ("pending", 1), "o2": ("sent", 0)}
    bus.refuse.clear()
    assert await relay.drain_once() == 1 and statuses(mongo)["o1"] == ("sent", 1)


async def test_nothing_is_taken_while_the_broker_is_disconnected(mongo: FakeDatabase) -> None:
    await commit_events(mongo, "o1")
    bus = Bus()
    bus.connected = False
    assert await OutboxRelay(mongo, bus).drain_once() == 0  # type: ignore[arg-type]
    assert bus.started == [] and statuses(mongo) == {"o1": ("pending", 0)}


async def test_a_lease_held_by_another_live_relay_is_respected(mongo: FakeDatabase) -> None:
    await commit_events(mongo, "o1")
    await mongo.db[LEASE].insert_one({"_id": "relay", "holder": "other-replica",
                                      "until": utcnow() + timedelta(seconds=30)})
    bus = Bus()
    assert await OutboxRelay(mongo, bus).drain_once() == 0  # type: ignore[arg-type]
    assert bus.started == [] and statuses(mongo) == {"o1": ("pending", 0)}


async def test_an_expired_lease_is_taken_over(mongo: FakeDatabase) -> None:
    await commit_events(mongo, "o1")
    await mongo.db[LEASE].insert_one({"_id": "relay", "holder": "dead-replica",
                                      "until": utcnow() - timedelta(seconds=1)})
    bus = Bus()
    relay = OutboxRelay(mongo, bus)  # type: ignore[arg-type]
    assert await relay.drain_once() == 1
    assert mongo.documents(LEASE)[0]["holder"] == relay.relay_id
    other = OutboxRelay(mongo, Bus())  # type: ignore[arg-type]
    await commit_events(mongo, "o2")
    assert await other.drain_once() == 0  # now this relay's lease is the live one
