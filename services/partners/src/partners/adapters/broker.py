"""RabbitMQ for AMQP subscriptions (PLAT-03): the per-subscription queue and user.

``BrokerAdmin`` talks to the RabbitMQ management HTTP API (``rabbitmq_management_url``)
to create a user per subscription whose only permission is reading its own queue
(configure ``^$``, write ``^$``, read ``^partner\\.<id>$``) — the service can't run
``rabbitmqctl`` in production. ``PartnerQueues`` declares and deletes the queues and
republishes events into them on the service's own connection, with publisher confirms
and ``mandatory`` (a missing queue is a failed delivery, not a lost message).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import quote

import aio_pika
import httpx
from aio_pika.abc import AbstractChannel
from anjian_shared.bus import Bus


class BrokerAdminError(Exception):
    pass


def queue_name(subscription_id: str) -> str:
    return f"partner.{subscription_id}"


def user_name(subscription_id: str) -> str:
    return f"partner-{subscription_id}"


class BrokerAdmin:
    """Users and permissions through the management HTTP API."""

    def __init__(self, base_url: str, user: str, password: str, vhost: str) -> None:
        self.base = base_url.rstrip("/")
        self.auth = (user, password)
        self.vhost = vhost

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10, auth=self.auth) as client:
            try:
                resp = await client.request(method, f"{self.base}/api/{path}", json=body)
            except httpx.HTTPError as exc:
                raise BrokerAdminError(f"management API unreachable: {exc!r}"[:300]) from exc
        if resp.status_code >= 400 and not (method == "DELETE" and resp.status_code == 404):
            raise BrokerAdminError(f"management API {method} {path} → {resp.status_code}: {resp.text[:200]}")
        return resp

    async def create_reader(self, subscription_id: str, password: str) -> str:
        """Create (or reset) the subscription's user: may only read ``partner.<id>``."""
        name = user_name(subscription_id)
        await self._call("PUT", f"users/{quote(name, safe='')}", {"password": password, "tags": ""})
        await self._call("PUT", f"permissions/{quote(self.vhost, safe='')}/{quote(name, safe='')}", {
            "configure": "^$", "write": "^$", "read": f"^{re.escape(queue_name(subscription_id))}$"})
        return name

    async def set_password(self, subscription_id: str, password: str) -> None:
        await self._call("PUT", f"users/{quote(user_name(subscription_id), safe='')}",
                         {"password": password, "tags": ""})

    async def delete_user(self, subscription_id: str) -> None:
        await self._call("DELETE", f"users/{quote(user_name(subscription_id), safe='')}")


class PartnerQueues:
    """Queues ``partner.<id>`` on the service's broker connection."""

    def __init__(self, bus: Bus, *, message_ttl_ms: int) -> None:
        self.bus = bus
        self.message_ttl_ms = message_ttl_ms
        self._channel: AbstractChannel | None = None
        self._lock = asyncio.Lock()

    async def channel(self) -> AbstractChannel:
        async with self._lock:
            if self._channel is None or self._channel.is_closed:
                if self.bus.connection is None or self.bus.connection.is_closed:
                    raise ConnectionError("bus not connected")
                self._channel = await self.bus.connection.channel(publisher_confirms=True, on_return_raises=True)
            return self._channel

    async def declare(self, subscription_id: str) -> str:
        """A durable quorum queue; messages older than the event retention are dropped."""
        ch = await self.channel()
        name = queue_name(subscription_id)
        await ch.declare_queue(name, durable=True, arguments={
            "x-queue-type": "quorum", "x-message-ttl": self.message_ttl_ms})
        return name

    async def delete(self, subscription_id: str) -> None:
        ch = await self.channel()
        await ch.queue_delete(queue_name(subscription_id))

    async def publish(self, subscription_id: str, event: dict[str, Any], *, timeout: float = 10.0) -> None:
        """Republish one CloudEvent into the subscription's queue; returns once confirmed.
        Raises when the broker refuses it or the queue does not exist."""
        ch = await self.channel()
        message = aio_pika.Message(
            body=json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode(),
            content_type="application/cloudevents+json", message_id=event["id"], type=event["type"],
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT, headers={"tenant": event.get("tenant", "")})
        await asyncio.wait_for(ch.default_exchange.publish(message, routing_key=queue_name(subscription_id),
                                                           mandatory=True), timeout=timeout)
