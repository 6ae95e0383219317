"""RabbitMQ through aio-pika: topology, confirmed publishing, idempotent consumers.

Topology (architecture.md "Events"):

- one durable topic exchange (``amqp_exchange``, default ``anjian.events``); routing key = event ``type``;
- each consumer group has a quorum queue ``<service>.<purpose>`` with an explicit
  ``x-delivery-limit`` and at-least-once dead-lettering into ``<queue>.dead`` through
  the direct exchange ``anjian.dead-letter``;
- a handler runs in a MongoDB transaction together with the insert of the event id
  into the ``inbox`` collection (unique ``_id``), so a redelivered event has no
  second effect; a failing handler is nacked with back-off and retried until the
  delivery limit parks it in the dead-letter queue. Nothing is acked on error.

Consumer batching (issue 16): a consumer group's drain is bound by the database's commit rate
(one journaled majority commit per event: ``make bench``'s raw consume-and-commit loop). So the
messages of a queue are spread over ``lanes`` by aggregate (tenant and event ``subject``), and
each lane applies what has arrived — up to ``batch_max`` events of one tenant, in delivery
order — in ONE transaction: every event's inbox record and effects commit together, then each
message is acked. Events of one aggregate always take the same lane, so they are applied in
the order they were delivered. When the lane is idle an event is applied alone at once (no
waiting to fill a batch). If anything in a batch fails (a handler error, a redelivered event
already in the inbox, the database away), nothing of it is kept and its events are applied one
by one as before, so a poison event is retried and dead-lettered alone.
"""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import AbstractIncomingMessage
from pydantic import BaseModel, ValidationError
from pymongo.errors import DuplicateKeyError

from . import audit, failpoints, metrics, tracing
from .events import EVENT_TYPES, CloudEvent
from .logging import bind_context, trace_id_of
from .mongo import INBOX, UnitOfWork, UnitOfWorkFactory, with_transaction
from .problems import dependency_unavailable
from .retry import DEPENDENCY_WAIT, RECONNECT, REDELIVERY, sleep
from .types import utcnow

log = structlog.get_logger("anjian.bus")

DEAD_LETTER_EXCHANGE = "anjian.dead-letter"

Handler = Callable[[UnitOfWork, CloudEvent, BaseModel], Awaitable[None]]


def connection_alive(connection: Any) -> bool:
    """Whether an aio-pika connection is still usable.

    aio-pika 10 sets ``is_closed`` only when this client closes the connection; one the broker
    dropped (restarted, killed) keeps ``is_closed`` False and clears ``connected`` instead (its
    close callbacks ran). Both mean gone: a loop that waited on ``is_closed`` alone never
    reconnected after a broker restart (found by the fault tests: HN-12 live delivery stayed
    dead after RabbitMQ was killed and restarted)."""
    if connection is None or connection.is_closed:
        return False
    connected = getattr(connection, "connected", None)
    return connected is None or connected.is_set()


@dataclass
class Subscription:
    """A consumer group: queue ``<service>.<purpose>`` bound to ``event_types``; ``handlers``
    maps each type to ``async def handle(uow, event, payload)`` run inside a transaction."""

    purpose: str
    handlers: dict[str, Handler] = field(default_factory=dict)
    prefetch: int | None = None
    """Messages in flight at once in one process (default: the service's ``amqp_prefetch``).
    1 runs the handlers one after the other: for handlers that all write one document (a
    number counter), where concurrency only produces transaction conflicts and retries."""
    batch_max: int | None = None
    """Events applied in one transaction at most (default: the service's ``amqp_batch_max``);
    1 applies each event in its own transaction."""

    def on(self, event_type: str) -> Callable[[Handler], Handler]:
        if event_type not in EVENT_TYPES:
            raise KeyError(f"unknown event type {event_type}")

        def register(fn: Handler) -> Handler:
            self.handlers[event_type] = fn
            return fn

        return register


class _AlreadyProcessed(Exception):
    pass


def queue_arguments(queue_name: str, delivery_limit: int) -> dict[str, Any]:
    """Arguments of every consumer queue (see README "Queues")."""
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": delivery_limit,
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
        "x-dead-letter-routing-key": queue_name,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


class Bus:
    """One connection per service process: a confirming publisher channel and the consumers.

    ``ensure_connected`` (re)builds everything: connection, exchanges, queues, consumers.
    ``supervise`` runs for the life of the service and rebuilds it whenever the broker
    went away (restart, network cut) — explicit, so recovery does not depend on a
    client library's automatic restoration.
    """

    def __init__(self, url: str, exchange: str, service: str, *, prefetch: int = 32,
                 delivery_limit: int = 5, publish_timeout: float = 10.0, lanes: int = 4,
                 batch_max: int = 32) -> None:
        self.url = url
        self.lanes = lanes
        self.batch_max = batch_max
        self._lane_tasks: list[asyncio.Task[None]] = []
        self.publish_timeout = publish_timeout
        self.exchange_name = exchange
        self.service = service
        self.prefetch = prefetch
        self.delivery_limit = delivery_limit
        self.connection: aio_pika.abc.AbstractConnection | None = None
        self._publish_channel: aio_pika.abc.AbstractChannel | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._subscriptions: list[tuple[Subscription, UnitOfWorkFactory]] = []
        self._lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        return (connection_alive(self.connection)
                and self._publish_channel is not None and not self._publish_channel.is_closed)

    def add_subscription(self, subscription: Subscription, mongo: UnitOfWorkFactory) -> None:
        """Consume ``subscription`` on every (re)connection."""
        self._subscriptions.append((subscription, mongo))

    async def ensure_connected(self) -> None:
        """Connect and declare the topology and consumers unless already connected."""
        async with self._lock:
            if self.connected:
                return
            await self._drop()
            self.connection = await aio_pika.connect(self.url, timeout=10, client_properties={
                "connection_name": f"anjian-{self.service}"})
            self._publish_channel = await self.connection.channel(publisher_confirms=True)
            self._exchange = await self._publish_channel.declare_exchange(
                self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)
            await self._publish_channel.declare_exchange(DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.DIRECT,
                                                         durable=True)
            for subscription, mongo in self._subscriptions:
                await self._consume(subscription, mongo)
            log.info("broker connected", consumers=len(self._subscriptions))

    async def supervise(self, interval: float = 1.0) -> None:
        """Look every ``interval`` seconds; when the connection or a channel is gone, reconnect
        (policy ``retry.RECONNECT``: 0.5 s → 5 s, jittered, until it succeeds). Runs until
        cancelled."""
        while True:
            await asyncio.sleep(interval)
            if self.connected:
                continue
            log.warning("broker connection lost, reconnecting")
            await RECONNECT.call(self.ensure_connected, what="broker reconnect")

    async def publish(self, event: dict[str, Any]) -> None:
        """Publish one CloudEvent (dict) persistently; returns once the broker confirmed it."""
        if self._exchange is None or not self.connected:
            raise ConnectionError("bus not connected")
        message = aio_pika.Message(
            body=json.dumps(event, ensure_ascii=False).encode(),
            content_type="application/cloudevents+json",
            message_id=event["id"],
            type=event["type"],
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            headers={"tenant": event.get("tenant", ""), "traceparent": event.get("traceparent") or ""},
        )
        with tracing.publish_span(event, exchange=self.exchange_name, service=self.service):
            await asyncio.wait_for(self._exchange.publish(message, routing_key=event["type"], mandatory=False),
                                   timeout=self.publish_timeout)

    async def declare_queue(self, purpose: str, event_types: Iterable[str]) -> str:
        """Declare ``<service>.<purpose>`` and its dead-letter queue, bound to ``event_types``."""
        assert self._publish_channel is not None
        name = f"{self.service}.{purpose}"
        ch = self._publish_channel
        dead = await ch.declare_queue(f"{name}.dead", durable=True, arguments={"x-queue-type": "quorum"})
        await dead.bind(DEAD_LETTER_EXCHANGE, routing_key=name)
        queue = await ch.declare_queue(name, durable=True, arguments=queue_arguments(name, self.delivery_limit))
        for t in event_types:
            await queue.bind(self.exchange_name, routing_key=t)
        return name

    async def _consume(self, subscription: Subscription, mongo: UnitOfWorkFactory) -> None:
        assert self.connection is not None
        name = await self.declare_queue(subscription.purpose, subscription.handlers)
        channel = await self.connection.channel()
        await channel.set_qos(prefetch_count=subscription.prefetch or self.prefetch)
        queue = await channel.get_queue(name, ensure=False)

        prefetch = subscription.prefetch or self.prefetch
        batch_max = subscription.batch_max or self.batch_max
        lanes = Lanes(subscription, mongo, name, lanes=min(self.lanes, prefetch), batch_max=batch_max,
                      delivery_limit=self.delivery_limit)
        self._lane_tasks.extend(lanes.start())
        await queue.consume(lanes.deliver)

    async def _drop(self) -> None:
        # the lanes' unacked messages go back to the queue with the connection
        for task in self._lane_tasks:
            task.cancel()
        self._lane_tasks.clear()
        if self.connection is not None:
            try:
                await self.connection.close()
            except Exception:  # noqa: BLE001 - already broken
                pass
        self.connection = None
        self._publish_channel = None
        self._exchange = None

    async def close(self) -> None:
        async with self._lock:
            await self._drop()


DELIVERY_STATS: dict[str, Counter[str]] = defaultdict(Counter)
"""Per consumer queue, what this process saw: ``delivered``, ``handled``, ``duplicate``
(redelivery of an event already applied: no second effect), ``failed`` (nacked for a
retry), ``undecodable`` (rejected to the dead-letter queue), ``waited_for_dependency``
(the database was unreachable: retried in place, not counted against the delivery limit)."""


def _channel_open(message: AbstractIncomingMessage) -> bool:
    channel = getattr(message, "channel", None)
    return channel is None or not getattr(channel, "is_closed", False)


@dataclass
class Delivery:
    """A decoded message: the event, its validated payload and the handler that applies it."""

    message: AbstractIncomingMessage
    event: CloudEvent
    payload: BaseModel
    handler: Handler
    started: float

    @property
    def key(self) -> str:
        """The aggregate the event is about (its lane): tenant and ``subject``."""
        return f"{self.event.tenant}:{self.event.subject or self.event.id}"


async def decode(message: AbstractIncomingMessage, subscription: Subscription, consumer_name: str,
                 stats: Counter[str]) -> Delivery | None:
    """Count the delivery and decode it; an undecodable message is rejected without requeue
    (straight to the dead-letter queue) and None returned."""
    stats["delivered"] += 1
    started = time.perf_counter()
    if getattr(message, "redelivered", False):
        metrics.EVENTS_REDELIVERED.labels(metrics.service(), consumer_name).inc()
    try:
        event = CloudEvent.model_validate_json(message.body)
        model = EVENT_TYPES[event.type]
        payload = model.model_validate(event.data)
        handler = subscription.handlers[event.type]
    except (ValidationError, KeyError, ValueError) as exc:
        log.error("undecodable event, dead-lettering", consumer=consumer_name, error=str(exc)[:500])
        stats["undecodable"] += 1
        metrics.event_outcome(consumer_name, "dead_lettered")
        await message.reject(requeue=False)
        return None
    return Delivery(message, event, payload, handler, started)


@contextmanager
def _event_context(consumer_name: str, event: CloudEvent) -> Iterator[None]:
    """The consumer span of ``event`` and the log and audit context of its handler."""
    with tracing.consume_span(consumer_name, event_id=event.id, event_type=event.type,
                              traceparent=event.traceparent, service=metrics.service()) as span:
        # events the handler emits continue the trace from this consumer span
        traceparent = (tracing.traceparent_of(span) if span is not None else None) or event.traceparent
        structlog.contextvars.clear_contextvars()
        bind_context(event_id=event.id, event_type=event.type, tenant=event.tenant,
                     traceparent=traceparent, trace_id=trace_id_of(traceparent), consumer=consumer_name)
        audit.set_system_actor(consumer_name, event_id=event.id, event_type=event.type,
                               trace_id=trace_id_of(traceparent))
        yield


async def handle_message(message: AbstractIncomingMessage, subscription: Subscription, mongo: UnitOfWorkFactory,
                         consumer_name: str, *, delivery_limit: int | None = None) -> None:
    """Decode, dedupe through the inbox, run the handler in a transaction, then ack.

    Undecodable messages are rejected without requeue (straight to the dead-letter
    queue); a failing handler is nacked after ``retry.REDELIVERY.backoff(delivery count)``
    and redelivered until the queue's delivery limit dead-letters it. When the database is
    unreachable (restarting, failing over) the message is NOT nacked: the transaction is
    retried in place (``retry.DEPENDENCY_WAIT``'s waits) while the channel is open, so an
    outage does not use up the delivery limit and park good events in the dead-letter
    queue (``problems.dependency_unavailable`` tells the two apart).

    Every outcome is counted in ``DELIVERY_STATS`` and in ``metrics.EVENTS`` (a failure on the
    last delivery ``delivery_limit`` allows counts as ``dead_lettered``).
    """
    stats = DELIVERY_STATS[consumer_name]
    delivery = await decode(message, subscription, consumer_name, stats)
    if delivery is not None:
        await apply_one(delivery, subscription, mongo, consumer_name, delivery_limit=delivery_limit)


async def apply_one(d: Delivery, subscription: Subscription, mongo: UnitOfWorkFactory, consumer_name: str, *,
                    delivery_limit: int | None = None) -> None:
    """Apply one decoded event in its own transaction, then ack or nack (``handle_message``)."""
    with _event_context(consumer_name, d.event):
        await _apply_and_ack(d.message, subscription, mongo, consumer_name, d.event, d.payload, d.handler,
                             DELIVERY_STATS[consumer_name], d.started, delivery_limit)


async def handle_batch(deliveries: list[Delivery], subscription: Subscription, mongo: UnitOfWorkFactory,
                       consumer_name: str, *, delivery_limit: int | None = None) -> None:
    """Apply decoded events of ONE tenant in one transaction, in order, then ack each (issue 16).

    Every event's inbox record is written with its effects, so a redelivered event still has no
    second effect. If anything fails — a handler, an event already in the inbox (a redelivery),
    the database — the transaction keeps nothing and the events are applied one by one
    (``apply_one``: the failing one is nacked with back-off and dead-lettered alone, a
    duplicate acked, an outage waited out). ``BATCH_SIZE`` observes each batch's size.
    """
    if len(deliveries) == 1:
        await apply_one(deliveries[0], subscription, mongo, consumer_name, delivery_limit=delivery_limit)
        return
    tenant = deliveries[0].event.tenant
    if any(d.event.tenant != tenant for d in deliveries):
        raise ValueError("a batch holds the events of one tenant")
    stats = DELIVERY_STATS[consumer_name]

    async def apply(uow: UnitOfWork) -> None:
        for d in deliveries:
            with _event_context(consumer_name, d.event):
                await uow.db[INBOX].insert_one(
                    {"_id": f"{consumer_name}:{d.event.id}", "tenant_id": d.event.tenant, "type": d.event.type,
                     "received_at": utcnow()}, session=uow.session)
                failpoints.hit(f"bus.handler.{consumer_name}")
                failpoints.hit(f"bus.handler.{consumer_name}.{d.event.subject}")
                await d.handler(uow, d.event, d.payload)
                await uow.stage_audit()  # this event's own audit entry, under its own actor and trace

    try:
        await with_transaction(mongo, tenant, apply)
    except Exception as exc:  # noqa: BLE001 - nothing was kept: one by one decides each event's outcome
        log.info("batch not applied, applying its events one by one", consumer=consumer_name,
                 events=len(deliveries), error=repr(exc)[:300])
        stats["batch_split"] += 1
        for d in deliveries:
            await apply_one(d, subscription, mongo, consumer_name, delivery_limit=delivery_limit)
        return
    metrics.BATCH_SIZE.labels(metrics.service(), consumer_name).observe(len(deliveries))
    failpoints.hit("bus.before_ack")
    for d in deliveries:
        stats["handled"] += 1
        metrics.event_outcome(consumer_name, "handled")
        metrics.EVENT_SECONDS.labels(metrics.service(), consumer_name).observe(time.perf_counter() - d.started)
        await d.message.ack()
    log.info("events handled", consumer=consumer_name, events=len(deliveries))


class Lanes:
    """The consumer of one queue: each message is decoded and put on the lane of its aggregate
    (``Delivery.key``); each lane applies what has arrived in batches (``handle_batch``), so
    one aggregate's events are applied in delivery order and a lane's commits carry up to
    ``batch_max`` events. ``lanes`` is at most the prefetch (prefetch 1: one event at a time)."""

    def __init__(self, subscription: Subscription, mongo: UnitOfWorkFactory, consumer_name: str, *,
                 lanes: int, batch_max: int, delivery_limit: int | None) -> None:
        self.subscription = subscription
        self.mongo = mongo
        self.consumer_name = consumer_name
        self.batch_max = max(1, batch_max)
        self.delivery_limit = delivery_limit
        self.queues: list[asyncio.Queue[Delivery]] = [asyncio.Queue() for _ in range(max(1, lanes))]

    def start(self) -> list[asyncio.Task[None]]:
        """One task per lane, running until cancelled."""
        return [asyncio.create_task(self._run(q), name=f"{self.consumer_name}:lane{i}")
                for i, q in enumerate(self.queues)]

    async def deliver(self, message: AbstractIncomingMessage) -> None:
        """aio-pika's consumer callback: decode, then queue on the aggregate's lane."""
        delivery = await decode(message, self.subscription, self.consumer_name, DELIVERY_STATS[self.consumer_name])
        if delivery is not None:
            self.queues[zlib.crc32(delivery.key.encode()) % len(self.queues)].put_nowait(delivery)

    def take(self, queue: asyncio.Queue[Delivery], first: Delivery) -> list[list[Delivery]]:
        """``first`` and what else waits on the lane (up to ``batch_max``), grouped by tenant in
        delivery order."""
        taken = [first]
        while len(taken) < self.batch_max and not queue.empty():
            taken.append(queue.get_nowait())
        groups: dict[str, list[Delivery]] = {}
        for d in taken:
            groups.setdefault(d.event.tenant, []).append(d)
        return list(groups.values())

    async def _run(self, queue: asyncio.Queue[Delivery]) -> None:
        while True:
            first = await queue.get()
            for batch in self.take(queue, first):
                try:
                    await handle_batch(batch, self.subscription, self.mongo, self.consumer_name,
                                       delivery_limit=self.delivery_limit)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - e.g. an ack on a channel gone: the broker redelivers
                    log.warning("lane could not finish a batch", consumer=self.consumer_name, error=repr(exc)[:300])


async def _apply_and_ack(message: AbstractIncomingMessage, subscription: Subscription, mongo: UnitOfWorkFactory,
                         consumer_name: str, event: CloudEvent, payload: BaseModel, handler: Handler,
                         stats: Counter[str], started: float, delivery_limit: int | None) -> None:
    """The inbox insert, the handler in a transaction, then ack or nack (see ``handle_message``)."""

    async def apply(uow: UnitOfWork) -> None:
        try:
            await uow.db[INBOX].insert_one(
                {"_id": f"{consumer_name}:{event.id}", "tenant_id": event.tenant, "type": event.type,
                 "received_at": utcnow()}, session=uow.session)
        except DuplicateKeyError as exc:
            raise _AlreadyProcessed from exc
        failpoints.hit(f"bus.handler.{consumer_name}")
        failpoints.hit(f"bus.handler.{consumer_name}.{event.subject}")
        await handler(uow, event, payload)

    def wait_in_place(exc: BaseException) -> bool:
        """The database is unreachable and the message still held: retry here, uncounted."""
        if dependency_unavailable(exc) and _channel_open(message):
            stats["waited_for_dependency"] += 1
            metrics.event_outcome(consumer_name, "waited_for_dependency")
            return True
        return False

    try:
        # retry.DEPENDENCY_WAIT's waits, without its 30 s limit: as long as the channel holds
        # the message (a closed channel hands it back to the broker)
        await DEPENDENCY_WAIT.call(lambda: with_transaction(mongo, event.tenant, apply), timeout=None,
                                   retry_if=wait_in_place, what="handler (database unavailable)")
    except _AlreadyProcessed:
        log.info("duplicate delivery ignored")
        stats["duplicate"] += 1
        metrics.event_outcome(consumer_name, "duplicate")
        await message.ack()
        return
    except Exception as exc:  # noqa: BLE001 - any failure is retried, then dead-lettered
        count = int((message.headers or {}).get("x-delivery-count", 0) or 0)
        log.warning("handler failed, will retry", error=repr(exc)[:500], delivery_count=count)
        stats["failed"] += 1
        last = delivery_limit is not None and count + 1 >= delivery_limit
        metrics.event_outcome(consumer_name, "dead_lettered" if last else "failed")
        await sleep(REDELIVERY.backoff(count + 1))
        await message.nack(requeue=True)
        return
    failpoints.hit("bus.before_ack")
    log.info("event handled")
    stats["handled"] += 1
    metrics.event_outcome(consumer_name, "handled")
    metrics.EVENT_SECONDS.labels(metrics.service(), consumer_name).observe(time.perf_counter() - started)
    await message.ack()
