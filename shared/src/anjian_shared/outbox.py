"""The transactional outbox relay.

Use cases write events to the ``outbox`` collection in the same transaction as
their state (``mongo.UnitOfWork``). ``OutboxRelay`` claims pending rows with a lease
(so several replicas can run it), publishes them concurrently with publisher
confirms, and marks them sent. A row whose publish failed keeps ``pending`` and is
retried; a relay that dies mid-publish leaves a lease that expires, and another
relay (or itself after restart) publishes the row again — consumers dedupe by event id.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import structlog
from pymongo import ReturnDocument

from . import failpoints
from .bus import Bus
from .mongo import OUTBOX, Mongo
from .types import utcnow

log = structlog.get_logger("anjian.outbox")


class OutboxRelay:
    """Publishes outbox rows; ``wake()`` after a commit makes it look at once."""

    def __init__(self, mongo: Mongo, bus: Bus, *, poll_seconds: float = 1.0, batch: int = 100,
                 lease_seconds: float = 30.0) -> None:
        self.mongo = mongo
        self.bus = bus
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.lease = timedelta(seconds=lease_seconds)
        self.relay_id = uuid.uuid4().hex
        self._wake = asyncio.Event()
        self.published = 0

    def wake(self) -> None:
        self._wake.set()

    async def _claim(self) -> list[dict[str, Any]]:
        now = utcnow()
        col = self.mongo.db[OUTBOX]
        candidates = await col.find(
            {"status": "pending", "$or": [{"claimed_until": None}, {"claimed_until": {"$lt": now}}]},
            {"_id": 1}).sort([("created_at", 1)]).limit(self.batch).to_list()
        claimed = []
        for c in candidates:
            row = await col.find_one_and_update(
                {"_id": c["_id"], "status": "pending",
                 "$or": [{"claimed_until": None}, {"claimed_until": {"$lt": now}}]},
                {"$set": {"claimed_until": now + self.lease, "claimed_by": self.relay_id}},
                return_document=ReturnDocument.AFTER)
            if row is not None:
                claimed.append(row)
        return claimed

    async def _publish_row(self, row: dict[str, Any]) -> bool:
        col = self.mongo.db[OUTBOX]
        try:
            failpoints.hit("outbox.before_publish")
            await self.bus.publish(row["event"])
        except Exception as exc:  # noqa: BLE001 - retried on the next pass
            log.warning("publish failed, will retry", event_id=row["_id"], error=repr(exc)[:300])
            await col.update_one({"_id": row["_id"], "claimed_by": self.relay_id},
                                 {"$set": {"claimed_until": None}, "$inc": {"attempts": 1}})
            return False
        failpoints.hit("outbox.after_publish")
        await col.update_one({"_id": row["_id"]},
                             {"$set": {"status": "sent", "sent_at": utcnow(), "claimed_until": None}})
        return True

    async def drain_once(self) -> int:
        """Claim and publish one batch; returns how many rows were published."""
        if not self.bus.connected:
            return 0
        rows = await self._claim()
        if not rows:
            return 0
        results = await asyncio.gather(*(self._publish_row(r) for r in rows))
        done = sum(1 for ok in results if ok)
        self.published += done
        return done

    async def run(self) -> None:
        """Loop forever: drain, then sleep until woken or ``poll_seconds`` passed."""
        while True:
            try:
                n = await self.drain_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - database or broker down: try again later
                log.warning("relay pass failed", error=repr(exc)[:300])
                n = 0
            if n:
                continue
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass
