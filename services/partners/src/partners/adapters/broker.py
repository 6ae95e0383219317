"""RabbitMQ for AMQP subscriptions (PLAT-03): the per-subscription queue and user.

Isolation (PLAT-03 security): every partner client gets a virtual host of its own,
``partner-<client_id>``, holding only its subscriptions' queues. A subscription's broker
user has permissions in that vhost only — configure ``^$``, write ``^$``, read
``^partner\\.<id>$`` — so it can read its own queue and nothing else: it cannot connect to
the platform's vhost at all (no ``queue.declare`` of the platform's queues, passive or not,
no message counts), and RabbitMQ ≥ 4.2.6 also refuses it passive declares of its sibling
queues by the same regexes. (RabbitMQ 3.x does not check permissions on passive declares,
hence the vhost.) Rotating a subscription's password or deleting it closes the
connections its user has open (management API), so an old password stops receiving at once.

``BrokerAdmin`` talks to the RabbitMQ management HTTP API (``rabbitmq_management_url``)
— the service can't run ``rabbitmqctl`` in production. ``PartnerQueues`` declares and
deletes the queues and republishes events into them on the service's own connections
(one per partner vhost, opened on first use), with publisher confirms and ``mandatory``
(a missing queue is a failed delivery, not a lost message). Subscriptions created before
vhosts per client keep their queue in the platform's vhost (``vhost`` None).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aio_pika
import httpx
import structlog
from aio_pika.abc import AbstractChannel, AbstractConnection

from anjian_shared.bus import Bus, connection_alive

CONTENT_TYPE = "application/cloudevents+json"
CONTENT_ENCODING = "utf-8"
"""AMQP ``content_type`` / ``content_encoding`` of every message put in a partner queue
(the AsyncAPI document's ``partnerQueue`` message bindings say the same)."""


log = structlog.get_logger("partners.broker")


class BrokerAdminError(Exception):
    pass


def queue_name(subscription_id: str) -> str:
    return f"partner.{subscription_id}"


def user_name(subscription_id: str) -> str:
    return f"partner-{subscription_id}"


def reader_permissions(subscription_id: str) -> dict[str, str]:
    """The only permissions of a subscription's broker user, in its client's vhost."""
    return {"configure": "^$", "write": "^$", "read": f"^{re.escape(queue_name(subscription_id))}$"}


class BrokerAdmin:
    """Vhosts, users, permissions and connections through the management HTTP API."""

    def __init__(self, base_url: str, user: str, password: str, vhost: str, *,
                 service_user: str | None = None) -> None:
        self.base = base_url.rstrip("/")
        self.auth = (user, password)
        self.vhost = vhost
        self.service_user = service_user or user
        self._tasks: set[asyncio.Task[None]] = set()

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
                    headers: dict[str, str] | None = None) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10, auth=self.auth) as client:
            try:
                resp = await client.request(method, f"{self.base}/api/{path}", json=body, headers=headers)
            except httpx.HTTPError as exc:
                raise BrokerAdminError(f"management API unreachable: {exc!r}"[:300]) from exc
        if resp.status_code >= 400 and not (method == "DELETE" and resp.status_code == 404):
            raise BrokerAdminError(f"management API {method} {path} → {resp.status_code}: {resp.text[:200]}")
        return resp

    @staticmethod
    def partner_vhost(client_id: str) -> str:
        """The vhost of one partner client's queues."""
        return f"partner-{client_id}"

    async def ensure_vhost(self, vhost: str) -> None:
        """Create ``vhost`` (idempotent) and let the service's own user use it."""
        q = quote(vhost, safe="")
        await self._call("PUT", f"vhosts/{q}", {"description": "Anjian partner queues (PLAT-03)"})
        await self._call("PUT", f"permissions/{q}/{quote(self.service_user, safe='')}",
                         {"configure": ".*", "write": ".*", "read": ".*"})

    async def create_reader(self, subscription_id: str, password: str, *, vhost: str | None = None) -> str:
        """Create (or reset) the subscription's user: may only read ``partner.<id>`` in ``vhost``."""
        name = user_name(subscription_id)
        await self._call("PUT", f"users/{quote(name, safe='')}", {"password": password, "tags": ""})
        await self._call("PUT", f"permissions/{quote(vhost or self.vhost, safe='')}/{quote(name, safe='')}",
                         reader_permissions(subscription_id))
        return name

    async def set_password(self, subscription_id: str, password: str) -> None:
        await self._call("PUT", f"users/{quote(user_name(subscription_id), safe='')}",
                         {"password": password, "tags": ""})

    async def delete_user(self, subscription_id: str) -> None:
        await self._call("DELETE", f"users/{quote(user_name(subscription_id), safe='')}")

    def close_soon(self, subscription_id: str, *, vhost: str | None = None, reason: str = "closed by the platform",
                   delays: tuple[float, ...] = (1, 2, 3, 4, 6)) -> None:
        """Look again for the user's connections over the next seconds and close them: the
        management API lists a new connection only after its first statistics emission
        (``collect_statistics_interval``, 5 s by default), so a connection opened just before
        a rotation may not be listed yet. Runs in the background; failures are logged."""

        async def sweep() -> None:
            for delay in delays:
                await asyncio.sleep(delay)
                try:
                    await self.close_connections(subscription_id, vhost=vhost, reason=reason)
                except BrokerAdminError as exc:
                    log.warning("could not close the broker connections", subscription_id=subscription_id,
                                error=str(exc)[:200])

        task = asyncio.get_running_loop().create_task(sweep(), name=f"partners-close-{subscription_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close_connections(self, subscription_id: str, *, vhost: str | None = None,
                                reason: str = "closed by the platform") -> int:
        """Close every open connection of the subscription's user; returns how many."""
        name = user_name(subscription_id)
        path = f"vhosts/{quote(vhost or self.vhost, safe='')}/connections"
        resp = await self._call("GET", path)
        closed = 0
        for conn in resp.json():
            if conn.get("user") != name:
                continue
            await self._call("DELETE", f"connections/{quote(conn['name'], safe='')}", headers={"X-Reason": reason})
            closed += 1
        return closed


class PartnerQueues:
    """Queues ``partner.<id>`` on the service's broker connections."""

    def __init__(self, bus: Bus, *, message_ttl_ms: int, amqp_url: str | None = None) -> None:
        self.bus = bus
        self.message_ttl_ms = message_ttl_ms
        self.amqp_url = amqp_url
        self._channels: dict[str | None, AbstractChannel] = {}
        self._connections: dict[str, AbstractConnection] = {}
        self._lock = asyncio.Lock()

    def _url(self, vhost: str) -> str:
        if not self.amqp_url:
            raise ConnectionError("no broker URL for partner vhosts")
        parts = urlsplit(self.amqp_url)
        return urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), parts.query, ""))

    async def channel(self, vhost: str | None = None) -> AbstractChannel:
        """A confirming channel on the platform's vhost (None) or a partner vhost."""
        async with self._lock:
            ch = self._channels.get(vhost)
            if ch is not None and not ch.is_closed:
                return ch
            if vhost is None:
                if not connection_alive(self.bus.connection):
                    raise ConnectionError("bus not connected")
                connection: AbstractConnection = self.bus.connection
            else:
                connection = self._connections.get(vhost)  # type: ignore[assignment]
                if not connection_alive(connection):  # never used, or dropped by a broker restart
                    connection = await aio_pika.connect(self._url(vhost), timeout=10)
                    self._connections[vhost] = connection
            ch = await connection.channel(publisher_confirms=True, on_return_raises=True)
            self._channels[vhost] = ch
            return ch

    async def declare(self, subscription_id: str, *, vhost: str | None = None) -> str:
        """A durable quorum queue; messages older than the event retention are dropped."""
        ch = await self.channel(vhost)
        name = queue_name(subscription_id)
        await ch.declare_queue(name, durable=True, arguments={
            "x-queue-type": "quorum", "x-message-ttl": self.message_ttl_ms})
        return name

    async def delete(self, subscription_id: str, *, vhost: str | None = None) -> None:
        ch = await self.channel(vhost)
        await ch.queue_delete(queue_name(subscription_id))

    async def publish(self, subscription_id: str, event: dict[str, Any], *, vhost: str | None = None,
                      timeout: float = 10.0) -> None:
        """Republish one CloudEvent into the subscription's queue; returns once confirmed.
        Raises when the broker refuses it or the queue does not exist. Properties: content
        type ``application/cloudevents+json``, content encoding ``utf-8``, ``message_id``
        the event id, ``type`` the event type, ``timestamp`` the event time, persistent,
        header ``tenant`` (see the AsyncAPI ``partnerQueue`` bindings)."""
        ch = await self.channel(vhost)
        message = aio_pika.Message(
            body=json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode(CONTENT_ENCODING),
            content_type=CONTENT_TYPE, content_encoding=CONTENT_ENCODING, message_id=event["id"],
            type=event["type"], delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            headers={"tenant": event.get("tenant", "")})
        await asyncio.wait_for(ch.default_exchange.publish(message, routing_key=queue_name(subscription_id),
                                                           mandatory=True), timeout=timeout)

    async def close(self) -> None:
        """Close the partner-vhost connections (the bus connection is the bus's)."""
        for connection in list(self._connections.values()):
            try:
                await connection.close()
            except Exception:  # noqa: BLE001 - already closed
                pass
        self._connections.clear()
        self._channels.clear()
