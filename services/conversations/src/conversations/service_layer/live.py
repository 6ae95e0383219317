"""Real-time delivery to connected clients (HN-12), one ``Hub`` per service process.

Each WebSocket (``entrypoints.api.live``) is a :class:`LiveClient` of one member on one
conversation. Every replica consumes ``conversations.message.posted.v1`` from a queue of its
own (``adapters.fanout``) and hands each event to :meth:`Hub.posted`, whatever replica the
message was sent through; the hub pushes it to its local clients of that conversation.

Nothing missed, nothing doubled: a client holds ``last_seq`` (the last message it was sent,
``seq`` numbers a conversation's messages 1, 2, 3 … without gaps). An offered message with
``seq <= last_seq`` is dropped (a redelivered event, a message the catch-up already sent); one
beyond ``last_seq + 1`` means something is missing (an event still on its way, the fan-out
reconnecting): the client is filled from the database, in order, up to it. A new connection
is registered BEFORE its catch-up from the database, under the client's lock, so a message
posted meanwhile is either in the catch-up or offered after it — and then deduplicated.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import structlog

log = structlog.get_logger("conversations.live")

SendMessage = Callable[[Mapping[str, Any]], Awaitable[None]]
"""Send one stored message (a ``messages`` document) to the client."""
FetchAfter = Callable[[str, str, int], Awaitable[list[dict[str, Any]]]]
"""``(tenant, conversation_id, after_seq)`` → the next messages from the database, oldest first."""
Close = Callable[[str], Awaitable[None]]
"""Close the client's connection, giving a reason (removed from the conversation …)."""


class LiveClient:
    """One connected member on one conversation."""

    def __init__(self, *, tenant: str, conversation_id: str, user_id: str, last_seq: int, send: SendMessage,
                 close: Close) -> None:
        self.tenant = tenant
        self.conversation_id = conversation_id
        self.user_id = user_id
        self.last_seq = last_seq
        self._send = send
        self._close = close
        self.lock = asyncio.Lock()
        self.sent: list[str] = []
        """Ids of the messages pushed to this client (tests and logs)."""
        self.closed = False

    async def deliver(self, message: Mapping[str, Any]) -> None:
        """Send ``message`` unless this client already has it (call with ``lock`` held)."""
        seq = int(message["seq"])
        if seq <= self.last_seq or self.closed:
            return
        await self._send(message)
        self.sent.append(str(message["_id"]))
        self.last_seq = seq

    async def close(self, reason: str) -> None:
        if not self.closed:
            self.closed = True
            await self._close(reason)


class Hub:
    """The process's connected clients by (tenant, conversation)."""

    def __init__(self, fetch_after: FetchAfter, *, page: int = 100) -> None:
        self.fetch_after = fetch_after
        self.page = page
        self._clients: dict[tuple[str, str], set[LiveClient]] = defaultdict(set)
        self.pushed = 0
        self.dropped_duplicates = 0

    def clients(self, tenant: str, conversation_id: str) -> list[LiveClient]:
        return list(self._clients.get((tenant, conversation_id), ()))

    @property
    def connected(self) -> int:
        return sum(len(v) for v in self._clients.values())

    async def connect(self, client: LiveClient) -> None:
        """Register ``client`` and send it what it missed (everything after its ``last_seq``)."""
        async with client.lock:
            self._clients[(client.tenant, client.conversation_id)].add(client)
            await self._fill(client, until=None)

    def disconnect(self, client: LiveClient) -> None:
        key = (client.tenant, client.conversation_id)
        self._clients[key].discard(client)
        if not self._clients[key]:
            del self._clients[key]

    async def _fill(self, client: LiveClient, *, until: int | None) -> None:
        """Send ``client`` the stored messages after its ``last_seq`` (up to ``until``), in order."""
        while until is None or client.last_seq < until:
            batch = await self.fetch_after(client.tenant, client.conversation_id, client.last_seq)
            if not batch:
                return
            for message in batch:
                if until is not None and int(message["seq"]) > until:
                    return
                await client.deliver(message)
                self.pushed += 1
            if len(batch) < self.page:
                return

    async def posted(self, tenant: str, message: Mapping[str, Any], member_ids: Iterable[str]) -> None:
        """A message was posted (from ``conversations.message.posted.v1``, on any replica): push
        it to the local clients of its conversation that are among ``member_ids``, all at once
        (a slow client delays nobody else); a client that is not (removed before the message)
        is closed."""
        members = set(member_ids)
        clients = self.clients(tenant, str(message["conversation_id"]))
        await asyncio.gather(*(self._offer(c, message, members) for c in clients))

    async def _offer(self, client: LiveClient, message: Mapping[str, Any], members: set[str]) -> None:
        if client.user_id not in members:
            await client.close("removed")
            self.disconnect(client)
            return
        seq = int(message["seq"])
        try:
            async with client.lock:
                if seq <= client.last_seq:
                    self.dropped_duplicates += 1
                    return
                if seq > client.last_seq + 1:  # a gap: fill from the database, in order
                    await self._fill(client, until=seq - 1)
                await client.deliver(message)
                self.pushed += 1
        except Exception as exc:  # noqa: BLE001 - a broken socket must not stop the others
            log.info("live client dropped", error=repr(exc)[:200], user_id=client.user_id)
            self.disconnect(client)

    async def members_changed(self, tenant: str, conversation_id: str, member_ids: Iterable[str]) -> None:
        """The conversation's members changed: close the local clients no longer among them."""
        members = set(member_ids)
        for client in self.clients(tenant, conversation_id):
            if client.user_id not in members:
                await client.close("removed")
                self.disconnect(client)

    async def resync(self) -> None:
        """After the fan-out reconnected: fill every client from the database (events that were
        published while this replica's queue did not exist reached nobody here)."""
        for clients in list(self._clients.values()):
            for client in list(clients):
                try:
                    async with client.lock:
                        await self._fill(client, until=None)
                except Exception as exc:  # noqa: BLE001
                    log.info("live client dropped", error=repr(exc)[:200])
                    self.disconnect(client)
