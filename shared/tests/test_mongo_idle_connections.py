"""Pooled database connections that the network dropped while idle (``mongo.MAX_IDLE_MS``).

The embedded SecantusDB closes a connection idle for 300 s; NAT gateways and load balancers
do the same. PyMongo's async pool does not notice while the connection sits in the pool, so
the next write on it failed with ``AutoReconnect`` and the request answered 503 (``make
test``: two of five concurrent one-time-code sign-ins, HN-01). Here a TCP proxy in front of
the real database drops connections idle for 1.5 s, so both outcomes show in seconds:
a client that retires its idle connections sooner writes on fresh ones; one that keeps them
longer meets the dropped ones. Driver retries are off, so nothing hides a failed write."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from pymongo.errors import AutoReconnect

from anjian_shared.mongo import MAX_IDLE_MS, connect
from anjian_shared.types import new_id

PROXY_IDLE_S = 1.5


class IdleDroppingProxy:
    """Forwards TCP to ``upstream``; closes both sides of a connection idle ``idle_s``."""

    def __init__(self, upstream: tuple[str, int], idle_s: float) -> None:
        self.upstream, self.idle_s = upstream, idle_s
        self.dropped = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(*self.upstream)
        last = [time.monotonic()]

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await reader.read(65536):
                    last[0] = time.monotonic()
                    writer.write(data)
                    await writer.drain()

        pipes = [asyncio.create_task(pipe(client_r, server_w)), asyncio.create_task(pipe(server_r, client_w))]
        while not all(p.done() for p in pipes):
            await asyncio.wait(pipes, timeout=0.1)
            if time.monotonic() - last[0] > self.idle_s:
                self.dropped += 1
                break
        for p in pipes:
            p.cancel()
        for w in (client_w, server_w):
            w.close()

    async def _track(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(r, w)
        finally:
            self._tasks.discard(task)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[int]:
        server = await asyncio.start_server(self._track, "127.0.0.1", 0)
        try:
            yield server.sockets[0].getsockname()[1]
        finally:
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _upstream(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "mongodb" or "," in parts.netloc or "@" in parts.netloc:
        pytest.skip("the proxy stands in front of one unauthenticated host (the embedded or docker database)")
    return parts.hostname or "127.0.0.1", parts.port or 27017


async def _writes_after_idling(infra_url: str, *, max_idle_ms: int) -> tuple[list[object], int]:
    """Five concurrent writes fill the pool; all of it idles past the proxy's limit; five
    concurrent writes again. Returns the second round's outcomes and the proxy's drops."""
    proxy = IdleDroppingProxy(_upstream(infra_url), PROXY_IDLE_S)
    async with proxy.running() as port:
        # the monitor's heartbeats (every 0.5 s) keep its own connections busy: only the
        # pool's connections go idle
        client = connect(f"mongodb://127.0.0.1:{port}/?directConnection=true&retryWrites=false"
                         "&retryReads=false&heartbeatFrequencyMS=500", max_idle_ms=max_idle_ms)
        try:
            col = client[f"anjian_idle_{new_id()[:8]}"]["codes"]

            async def spend() -> object:
                doc_id = new_id()
                await col.insert_one({"_id": doc_id, "used_at": None})
                return await col.find_one_and_update({"_id": doc_id, "used_at": None}, {"$set": {"used_at": 1}})

            first = await asyncio.gather(*(spend() for _ in range(5)))
            assert all(first), "the first round must succeed: nothing has idled yet"
            await asyncio.sleep(PROXY_IDLE_S + 1.0)
            second = await asyncio.gather(*(spend() for _ in range(5)), return_exceptions=True)
            await client.drop_database(col.database.name)
        finally:
            await client.close()
        return second, proxy.dropped


async def test_hn01_connections_idle_past_the_network_limit_are_replaced_not_used(infra):
    """HN-01 (and every request): with idle connections retired before the network drops
    them, every write after a quiet spell succeeds, though the proxy did drop connections."""
    outcomes, dropped = await _writes_after_idling(infra.mongo_url, max_idle_ms=int(PROXY_IDLE_S * 1000 / 2))
    assert dropped >= 1, "the proxy must have dropped the idle pool for this test to mean anything"
    assert [type(o).__name__ for o in outcomes if isinstance(o, BaseException)] == []
    assert all(o is not None for o in outcomes)


async def test_hn01_connections_kept_past_the_network_limit_fail_writes(infra):
    """The hazard MAX_IDLE_MS exists for: a pool that keeps connections longer than the
    network does hands out dropped ones, and a write on one fails (a 503 to the user)."""
    outcomes, dropped = await _writes_after_idling(infra.mongo_url, max_idle_ms=60_000)
    assert dropped >= 1
    assert any(isinstance(o, AutoReconnect) for o in outcomes), outcomes


def test_hn01_idle_connections_are_retired_before_the_embedded_database_drops_them():
    """The default stays under SecantusDB's 300 s idle limit (its own constant)."""
    from secantus.server import DEFAULT_CLIENT_IDLE_TIMEOUT_S

    assert MAX_IDLE_MS < DEFAULT_CLIENT_IDLE_TIMEOUT_S * 1000


async def test_hn01_an_operator_sets_another_idle_limit_in_the_url():
    """A network that drops idle connections sooner: ``maxIdleTimeMS`` in the URL wins;
    without it every client retires connections after ``MAX_IDLE_MS``."""
    default = connect("mongodb://127.0.0.1:1/?directConnection=true")
    tuned = connect("mongodb://127.0.0.1:1/?directConnection=true&maxIdleTimeMS=30000")
    try:
        assert default.options.pool_options.max_idle_time_seconds == MAX_IDLE_MS / 1000
        assert tuned.options.pool_options.max_idle_time_seconds == 30
    finally:
        await default.close()
        await tuned.close()

