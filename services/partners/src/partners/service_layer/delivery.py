"""The delivery sweep: gets each subscription's pending events to the partner (PLAT-03).

A background task of the service (every replica may run one). Each pass claims, per
tenant, the active subscriptions that have something due (``due_at`` ≤ now) with a
lease (``lease_until``/``lease_by``: one replica delivers a subscription at a time),
then works through the subscription's pending deliveries **in log order**: the oldest
first; while it is failing and waiting for its next attempt, the later ones wait behind
it. Each attempt is persisted on the delivery (attempts, response code, error, next
attempt, the last 10 attempts). After a failure the next attempt follows
``webhook_retry_schedule``; once an attempt fails ``webhook_retry_window_seconds``
(24 h) after the first one, the delivery is marked ``failed``, the subscription
``paused`` (reason ``delivery_failed``) and ``partners.subscription.paused.v1`` emitted.
At least once: a replica that dies mid-attempt leaves a lease that expires; the
attempt is made again and the partner dedupes on ``webhook-id``.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from typing import Any

import structlog

from anjian_shared import audit, metrics
from anjian_shared.events.partners_v1 import SubscriptionPaused
from anjian_shared.mongo import Mongo, TenantRepository, UnitOfWork, with_transaction
from anjian_shared.retry import DEPENDENCY_WAIT
from anjian_shared.types import TENANTS, new_id, utcnow

from ..adapters.broker import BrokerAdmin, BrokerAdminError, PartnerQueues
from ..adapters.repository import DELIVERIES, EVENT_LOG, SUBSCRIPTIONS
from ..adapters.webhook import Attempt, WebhookSender
from ..domain import signing
from ..domain.retry import next_attempt_at
from ..settings import Settings

log = structlog.get_logger("partners.delivery")
HISTORY = 10


class DeliveryWorker:
    """Runs the sweep; ``run()`` is the service's background task."""

    def __init__(self, *, mongo: Mongo, settings: Settings, sender: WebhookSender, queues: PartnerQueues,
                 broker_admin: BrokerAdmin | None) -> None:
        self.mongo = mongo
        self.settings = settings
        self.sender = sender
        self.queues = queues
        self.broker_admin = broker_admin
        self.id = new_id()
        self.lease = timedelta(seconds=settings.delivery_lease_seconds)
        self._running: dict[str, asyncio.Task[None]] = {}
        self._last_housekeeping = 0.0

    async def run(self) -> None:
        """Sweep every ``delivery_poll_seconds`` until cancelled."""
        audit.set_system_actor("partners.delivery")  # who the audit trail names for its changes
        try:
            while True:
                try:  # a database restarting: the pass is retried per retry.DEPENDENCY_WAIT
                    await DEPENDENCY_WAIT.call(self.sweep_once, what="delivery sweep")
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - database away: try again next pass
                    log.warning("delivery sweep failed", error=repr(exc)[:300])
                await asyncio.sleep(self.settings.delivery_poll_seconds)
        finally:
            for task in list(self._running.values()):
                task.cancel()
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def sweep_once(self) -> int:
        """Claim the due subscriptions of every tenant and start delivering; returns how many started."""
        started = 0
        if time.monotonic() - self._last_housekeeping > 2:
            self._last_housekeeping = time.monotonic()
            await self._revoke_broker_users()
        for tenant in TENANTS:
            subs = self.mongo.repo(SUBSCRIPTIONS, tenant)
            free = self.settings.delivery_concurrency - len(self._running)
            if free <= 0:
                break
            now = utcnow()
            due = {"status": "active", "due_at": {"$ne": None, "$lte": now},
                   "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]}
            # a plain read first: most passes find nothing to do and write nothing
            candidates = await subs.find(due, sort=[("due_at", 1)], limit=free, projection={"_id": 1})
            for candidate in candidates:
                if candidate["_id"] in self._running:
                    continue
                claimed = await subs.update({**due, "_id": candidate["_id"]},
                                            {"$set": {"lease_until": now + self.lease, "lease_by": self.id}})
                if claimed is None:  # another replica took it
                    continue
                sub_id = claimed["_id"]
                task = asyncio.create_task(self._deliver(tenant, sub_id), name=f"partners-deliver-{sub_id}")
                self._running[sub_id] = task
                task.add_done_callback(lambda _t, k=sub_id: self._running.pop(k, None))
                started += 1
        return started

    async def _release(self, subs: TenantRepository, sub_id: str, *, due_at: Any, version: int | None = None) -> bool:
        """Give up the lease, next look at ``due_at``; with ``version``, only if the
        subscription's ``work_version`` is still that (False: it changed, look again)."""
        match: dict[str, Any] = {"_id": sub_id, "lease_by": self.id}
        if version is not None:
            match["work_version"] = version
        released = await subs.update(match, {"$set": {"due_at": due_at, "lease_until": None, "lease_by": None}})
        return released is not None

    async def _deliver(self, tenant: str, sub_id: str) -> None:
        subs = self.mongo.repo(SUBSCRIPTIONS, tenant)
        try:
            await self._work(tenant, sub_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - look again on a later pass
            log.warning("delivery failed unexpectedly", subscription_id=sub_id, error=repr(exc)[:300])
            try:
                await self._release(subs, sub_id, due_at=utcnow() + timedelta(seconds=5))
            except Exception as release_error:  # noqa: BLE001 - the lease expires on its own
                log.warning("could not release the lease", subscription_id=sub_id, error=repr(release_error)[:200])

    async def _work(self, tenant: str, sub_id: str) -> None:
        subs = self.mongo.repo(SUBSCRIPTIONS, tenant)
        deliveries = self.mongo.repo(DELIVERIES, tenant)
        event_log = self.mongo.repo(EVENT_LOG, tenant)
        while True:
            sub = await subs.get(sub_id)
            if sub is None or sub.get("lease_by") != self.id:
                return
            if sub["status"] != "active":
                await self._release(subs, sub_id, due_at=None)
                return
            version = sub.get("work_version", 0)
            heads = await deliveries.find({"subscription_id": sub_id, "status": "pending"}, sort=[("seq", 1)],
                                          limit=1)
            if not heads:
                idle = await subs.update({"_id": sub_id, "lease_by": self.id, "work_version": version},
                                         {"$set": {"due_at": None, "lease_until": None, "lease_by": None}})
                if idle is not None:
                    return
                continue  # a delivery arrived meanwhile
            head = heads[0]
            now = utcnow()
            if head["next_attempt_at"] is not None and head["next_attempt_at"] > now:
                # guarded by work_version: a resume, retry-now or new event since ``sub`` was read
                # made something due now; releasing with this later time would hide it
                if await self._release(subs, sub_id, due_at=head["next_attempt_at"], version=version):
                    return
                continue
            await subs.update({"_id": sub_id, "lease_by": self.id}, {"$set": {"lease_until": now + self.lease}})
            entry = {"event": head["event"]} if head.get("event") else await event_log.get(head["event_id"])
            if entry is None:  # (a test event travels in its delivery, never in the log)
                await deliveries.update({"_id": head["_id"]}, {"$set": {
                    "status": "failed", "next_attempt_at": None,
                    "last_error": "the event is no longer in the event log (retention)"}})
                continue
            started = utcnow()
            attempt = await self._attempt(sub, entry["event"])
            if not await self._record(tenant, sub, head, attempt, started, version=version):
                return

    async def _attempt(self, sub: dict[str, Any], event: dict[str, Any]) -> Attempt:
        if sub["kind"] == "amqp":
            t0 = time.monotonic()
            try:
                await self.queues.publish(sub["_id"], event, vhost=(sub.get("amqp") or {}).get("vhost"))
                return Attempt(True, None, None, int((time.monotonic() - t0) * 1000))
            except Exception as exc:  # noqa: BLE001 - broker refused or away: retried
                return Attempt(False, None, f"{type(exc).__name__}: {str(exc)[:200]}",
                               int((time.monotonic() - t0) * 1000))
        now = utcnow()
        active = [s["secret"] for s in sub.get("secrets", [])
                  if s.get("expires_at") is None or s["expires_at"] > now]
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        headers = signing.headers(active, msg_id=event["id"], timestamp=int(time.time()), body=body)
        return await self.sender.post(sub["url"], body=body, headers=headers)

    async def _record(self, tenant: str, sub: dict[str, Any], head: dict[str, Any], attempt: Attempt,
                      started: Any, *, version: int) -> bool:
        """Persist the attempt; True to go on with the next delivery, False when the
        subscription must wait (retry scheduled) or was paused.

        A failed attempt schedules the next one, unless a resume or retry-now made the
        delivery due meanwhile (its ``next_attempt_at`` changed under us): then the attempt is
        recorded, the earlier time kept, and the sweep goes on at once (PLAT-03)."""
        subs = self.mongo.repo(SUBSCRIPTIONS, tenant)
        deliveries = self.mongo.repo(DELIVERIES, tenant)
        now = utcnow()
        attempts = int(head.get("attempts", 0)) + 1
        first = head.get("first_attempt_at") or started
        history = [*head.get("history", []), {"at": started, "response_code": attempt.status_code,
                                               "error": attempt.error, "duration_ms": attempt.duration_ms}][-HISTORY:]
        common = {"attempts": attempts, "first_attempt_at": first, "last_attempt_at": started,
                  "last_response_code": attempt.status_code, "last_error": attempt.error, "history": history}
        kind = sub.get("kind", "webhook")
        if attempt.ok:
            metrics.webhook_delivery(kind, "delivered")
            await deliveries.update({"_id": head["_id"]}, {"$set": {
                **common, "status": "delivered", "delivered_at": now, "next_attempt_at": None}})
            await subs.update({"_id": sub["_id"]}, {"$set": {"last_delivered_at": now}})
            return True
        nxt = next_attempt_at(failures=attempts, first_attempt_at=first, now=now,
                              schedule=self.settings.webhook_retry_schedule,
                              window_seconds=self.settings.webhook_retry_window_seconds)
        metrics.webhook_delivery(kind, "retry" if nxt is not None else "failed")
        if nxt is not None:
            scheduled = await deliveries.update({"_id": head["_id"], "next_attempt_at": head["next_attempt_at"]},
                                                {"$set": {**common, "next_attempt_at": nxt}})
            if scheduled is None:  # made due meanwhile (resume / retry-now): keep that
                await deliveries.update({"_id": head["_id"]}, {"$set": common})
                return True
            log.info("delivery failed, will retry", subscription_id=sub["_id"], event_id=head["event_id"],
                     attempts=attempts, error=attempt.error, next_attempt_at=nxt.isoformat())
            return not await self._release(subs, sub["_id"], due_at=nxt, version=version)

        async def give_up(uow: UnitOfWork) -> None:
            await uow.repo(DELIVERIES).update({"_id": head["_id"]}, {"$set": {
                **common, "status": "failed", "next_attempt_at": None}})
            paused = await uow.repo(SUBSCRIPTIONS).update({"_id": sub["_id"], "lease_by": self.id}, {"$set": {
                "status": "paused", "paused_reason": "delivery_failed", "paused_at": now, "updated_at": now,
                "due_at": None, "lease_until": None, "lease_by": None}})
            if paused is not None:
                uow.emit("partners.subscription.paused.v1", subject=sub["_id"], data=SubscriptionPaused(
                    subscription_id=sub["_id"], client_id=sub["client_id"], kind=sub["kind"], url=sub.get("url"),
                    reason="delivery_failed", failed_event_id=head["event_id"],
                    last_response_code=attempt.status_code, last_error=attempt.error, attempts=attempts,
                    paused_at=now))

        await with_transaction(self.mongo, tenant, give_up)
        log.warning("subscription paused: delivery kept failing", subscription_id=sub["_id"],
                    event_id=head["event_id"], attempts=attempts)
        return False

    async def _revoke_broker_users(self) -> None:
        """Remove the broker users of AMQP subscriptions whose client was disabled and close
        the connections they have open (a disabled partner stops receiving at once)."""
        if self.broker_admin is None:
            return
        for tenant in TENANTS:
            subs = self.mongo.repo(SUBSCRIPTIONS, tenant)
            for sub in await subs.find({"amqp.revoke_pending": True}, limit=100):
                try:
                    await self.broker_admin.delete_user(sub["_id"])
                    vhost = (sub.get("amqp") or {}).get("vhost")
                    await self.broker_admin.close_connections(sub["_id"], vhost=vhost,
                                                              reason="the partner client was disabled")
                    self.broker_admin.close_soon(sub["_id"], vhost=vhost, reason="the partner client was disabled")
                except BrokerAdminError as exc:
                    log.warning("could not revoke the broker user", subscription_id=sub["_id"], error=str(exc)[:200])
                    continue
                await subs.update({"_id": sub["_id"]}, {"$set": {"amqp.revoke_pending": False}})
