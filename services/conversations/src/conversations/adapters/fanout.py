"""Fan-out of conversation events to EVERY replica (HN-12 real time).

The platform's consumer queues are shared by a service's replicas (competing consumers: one
replica handles each event). Live delivery needs the opposite: each replica must see every
posted message, to push it to the clients connected to it. So each process declares a queue
of its own — ``<live_queue_prefix>.<random>``, exclusive and auto-deleted (it disappears with
the process's connection; nothing piles up for a replica that is gone) — bound on the
platform's topic exchange to ``conversations.message.posted.v1`` and
``conversations.conversation.updated.v1``.

Losing such a queue's messages (the broker restarted, this process reconnecting) loses no
message: they are stored before they are published, and the hub fills its clients from the
database on the next message (gap in ``seq``) and after every reconnection (``on_connected``).
The handler is a plain callback; failures are logged and the message acked (a push is not
worth a redelivery: the database is the record).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Awaitable, Callable

import aio_pika
import structlog
from aio_pika.abc import AbstractIncomingMessage

from anjian_shared.bus import connection_alive
from anjian_shared.events import EVENT_TYPES, CloudEvent
from anjian_shared.retry import RECONNECT

log = structlog.get_logger("conversations.fanout")

LIVE_TYPES = ("conversations.message.posted.v1", "conversations.conversation.updated.v1")

OnEvent = Callable[[CloudEvent, object], Awaitable[None]]


class LiveFanout:
    """This process's exclusive queue of conversation events; ``run()`` until cancelled."""

    def __init__(self, url: str, exchange: str, *, prefix: str, on_event: OnEvent,
                 on_connected: Callable[[], Awaitable[None]] | None = None) -> None:
        self.url = url
        self.exchange = exchange
        self.queue_name = f"{prefix}.{secrets.token_hex(6)}"
        self.on_event = on_event
        self.on_connected = on_connected
        self.connection: aio_pika.abc.AbstractConnection | None = None
        self.received = 0
        self.ready = asyncio.Event()

    async def _connect(self) -> None:
        self.connection = await aio_pika.connect(self.url, timeout=10, client_properties={
            "connection_name": f"anjian-conversations-live-{self.queue_name}"})
        channel = await self.connection.channel()
        await channel.set_qos(prefetch_count=64)
        exchange = await channel.declare_exchange(self.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(self.queue_name, exclusive=True, auto_delete=True, durable=False,
                                            arguments={"x-queue-type": "classic"})
        for t in LIVE_TYPES:
            await queue.bind(exchange, routing_key=t)
        await queue.consume(self._on_message)
        self.ready.set()
        log.info("live fan-out consuming", queue=self.queue_name)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self.received += 1
        try:
            event = CloudEvent.model_validate_json(message.body)
            payload = EVENT_TYPES[event.type].model_validate(event.data)
            await self.on_event(event, payload)
        except Exception as exc:  # noqa: BLE001 - the database is the record; see module doc
            log.warning("live push failed", error=repr(exc)[:300])
        finally:
            await message.ack()

    async def run(self) -> None:
        """Connect (retrying, ``retry.RECONNECT``), consume, and reconnect whenever the
        connection is gone; after every (re)connection ``on_connected`` fills the clients."""
        try:
            while True:
                await RECONNECT.call(self._connect, what="live fan-out connect")
                if self.on_connected is not None:
                    await self.on_connected()
                while connection_alive(self.connection):
                    await asyncio.sleep(1.0)
                self.ready.clear()
                log.warning("live fan-out connection lost, reconnecting")
                if self.connection is not None and not self.connection.is_closed:
                    with contextlib.suppress(Exception):  # the broker dropped it: release what is left
                        await self.connection.close()
        finally:
            if self.connection is not None and not self.connection.is_closed:  # also a dropped one: free it
                await self.connection.close()
