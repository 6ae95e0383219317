"""The transactional outbox relay.

Use cases write events to the ``outbox`` collection in the same transaction as their
state (``mongo.UnitOfWork``). ``OutboxRelay`` publishes pending rows in commit order
with publisher confirms and marks them sent.

Several replicas of a service run a relay each; one of them is active at a time: it
holds the service's relay lease (one document in ``outbox_lease``, renewed every pass,
``outbox_lease_seconds``). The others stand by and take over when the lease expired —
after the active replica died, for instance. A relay that dies between the broker's
confirm and "mark sent" leaves rows that the next holder publishes again; consumers
drop the duplicate by event id (inbox).

Why one lease and not a claim per row: a per-row compare-and-set needs a filter beyond
``_id``; on the embedded database (SecantusDB) such a filter scans the collection, and
``make bench`` measured ~1 event/s with 2000 rows pending. Sent rows are kept
``OUTBOX_RETENTION`` (TTL index on ``sent_at``) for inspection, then removed, so the
collection does not grow without bound.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import structlog
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from . import failpoints, metrics
from .bus import Bus
from .mongo import OUTBOX, UnitOfWorkFactory
from .retry import DEPENDENCY_WAIT
from .types import utcnow

log = structlog.get_logger("anjian.outbox")

LEASE = "outbox_lease"
OUTBOX_RETENTION = timedelta(days=7)


class OutboxRelay:
    """Publishes outbox rows; ``wake()`` after a commit makes it look at once."""

    def __init__(self, mongo: UnitOfWorkFactory, bus: Bus, *, poll_seconds: float = 1.0, batch: int = 100,
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

    async def ensure_indexes(self) -> None:
        await self.mongo.db[OUTBOX].create_index("sent_at", expireAfterSeconds=int(OUTBOX_RETENTION.total_seconds()))

    async def _hold_lease(self) -> bool:
        """Take or renew the relay lease; False while another live relay holds it."""
        now = utcnow()
        try:
            doc = await self.mongo.db[LEASE].find_one_and_update(
                {"_id": "relay", "$or": [{"holder": self.relay_id}, {"until": {"$lt": now}}]},
                {"$set": {"holder": self.relay_id, "until": now + self.lease, "tenant_id": "_platform"}},
                upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:  # the lease exists and is held by a live relay
            return False
        return doc is not None and doc.get("holder") == self.relay_id

    async def _publish(self, row: dict[str, Any]) -> bool:
        """Publish one row's event and wait for the broker's confirm; False if it failed."""
        try:
            failpoints.hit("outbox.before_publish")
            await self.bus.publish(row["event"])
        except Exception as exc:  # noqa: BLE001 - retried on the next pass
            log.warning("publish failed, will retry", event_id=row["_id"], error=repr(exc)[:300])
            return False
        failpoints.hit("outbox.after_publish")
        return True

    async def drain_once(self) -> int:
        """Publish one batch of pending rows if this relay holds the lease; how many went out.

        The batch is published at once (one channel, publisher confirms awaited together),
        then marked in two writes: sent rows ``status=sent``, failed rows ``attempts+1``.
        One write per batch instead of one per row: ``make bench`` showed the per-row
        updates queueing behind the consumers' transactions on the database."""
        if not self.bus.connected:
            return 0
        if not await self._hold_lease():
            return 0
        col = self.mongo.db[OUTBOX]
        rows = await col.find({"status": "pending"}).sort([("created_at", 1)]).limit(self.batch).to_list()
        if not rows:
            return 0
        results = await asyncio.gather(*(self._publish(r) for r in rows))
        sent = [r["_id"] for r, ok in zip(rows, results, strict=True) if ok]
        failed = [r["_id"] for r, ok in zip(rows, results, strict=True) if not ok]
        if sent:
            await col.update_many({"_id": {"$in": sent}}, {"$set": {"status": "sent", "sent_at": utcnow()}})
        if failed:
            await col.update_many({"_id": {"$in": failed}}, {"$inc": {"attempts": 1}})
        self.published += len(sent)
        metrics.OUTBOX_PUBLISHED.labels(metrics.service()).inc(len(sent))
        return len(sent)

    async def run(self) -> None:
        """Loop forever: drain, then sleep until woken or ``poll_seconds`` passed. A pass that
        finds the database restarting is tried again in place (``retry.DEPENDENCY_WAIT``:
        0.2 s → 2 s, up to 30 s); any other failure waits for the next pass."""
        try:
            await self.ensure_indexes()
        except Exception as exc:  # noqa: BLE001 - retention only; publishing must not wait for it
            log.warning("outbox retention index not created", error=repr(exc)[:300])
        while True:
            try:
                n = await DEPENDENCY_WAIT.call(self.drain_once, what="outbox relay pass")
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
