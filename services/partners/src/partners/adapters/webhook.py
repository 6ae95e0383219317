"""HTTP POST of one signed webhook delivery (PLAT-03).

A delivery succeeds on any 2xx within the timeout; redirects are not followed; proxy
variables of the environment are ignored (the guard must see the real destination).

SSRF guard (PLAT-03 security): every connection the sender opens goes through
``GuardedBackend``: the host is resolved once, **every** address it resolves to is
checked (``domain.addresses.blocked_reason``: private, loopback, link-local, shared
address space, 6to4/Teredo/NAT64/IPv4-mapped forms, the IANA special-purpose registries
…) and the socket is opened to that checked address — the name is never resolved again
between the check and the connect (no DNS rebinding window). The URL's host stays the
``Host`` header and the TLS SNI / certificate name. In development and test, private
addresses are allowed (``webhook_allow_private_addresses``); the pinning still applies.
"""

from __future__ import annotations

import asyncio
import socket
import time
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
import httpx

from ..domain.addresses import blocked_reason

USER_AGENT = "Anjian-Webhooks/1.0 (+https://www.standardwebhooks.com)"

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""``(host, port) → IP addresses`` (in the order to try)."""


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``getaddrinfo`` gives for ``host`` (TCP), without duplicates."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class BlockedAddress(httpcore.ConnectError):
    """The destination resolves to an address webhooks may not reach."""


async def blocked_host(host: str, port: int, resolver: Resolver) -> str | None:
    """Why ``host`` may not be connected to (one of its addresses is blocked), or None.
    An unresolvable host is not blocked (the attempt fails on its own)."""
    try:
        addresses = await resolver(host, port)
    except OSError:
        return None
    for address in addresses:
        why = blocked_reason(address)
        if why:
            return f"{host} resolves to {address}: {why}"
    return None


async def url_blocked(url: str, resolver: Resolver = system_resolver) -> str | None:
    """Subscription-time check of a webhook URL's host (the delivery checks again)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return await blocked_host(parts.hostname or "", port, resolver)


async def host_is_private(url: str) -> bool:
    """True when the URL's host is, or resolves to, a blocked address."""
    return await url_blocked(url) is not None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend: resolve, check every address, connect to a checked one."""

    def __init__(self, *, resolver: Resolver, allow_private: bool) -> None:
        self.resolver = resolver
        self.allow_private = allow_private
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: typing.Iterable[typing.Any] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self.resolver(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        if not self.allow_private:
            for address in addresses:
                why = blocked_reason(address)
                if why:
                    raise BlockedAddress(f"refused: {host} resolves to {address}, {why} (SSRF guard)")
        last: Exception | None = None
        for address in addresses:  # the checked addresses, never a fresh lookup
            try:
                return await self.inner.connect_tcp(address, port, timeout=timeout,
                                                    local_address=local_address,
                                                    socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: typing.Iterable[typing.Any] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are not delivered over unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool on ``GuardedBackend`` (httpx has no public
    parameter for httpcore's ``network_backend``; the pool is rebuilt with the same limits)."""

    def __init__(self, *, backend: GuardedBackend, limits: httpx.Limits) -> None:
        super().__init__(trust_env=False, limits=limits)
        ssl_context = httpx.create_ssl_context(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context, max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry, network_backend=backend)


@dataclass
class Attempt:
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int


class WebhookSender:
    """One pooled HTTP client for every delivery of the process. ``resolver`` and
    ``allow_private`` may be changed at run time (tests: DNS rebinding)."""

    def __init__(self, *, timeout: float, allow_private: bool,
                 resolver: Resolver = system_resolver) -> None:
        self.timeout = timeout
        self.backend = GuardedBackend(resolver=resolver, allow_private=allow_private)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self.client = httpx.AsyncClient(
            transport=GuardedTransport(backend=self.backend, limits=limits), timeout=timeout,
            follow_redirects=False, trust_env=False, headers={"user-agent": USER_AGENT})

    @property
    def allow_private(self) -> bool:
        return self.backend.allow_private

    @allow_private.setter
    def allow_private(self, value: bool) -> None:
        self.backend.allow_private = value

    @property
    def resolver(self) -> Resolver:
        return self.backend.resolver

    @resolver.setter
    def resolver(self, value: Resolver) -> None:
        self.backend.resolver = value

    async def post(self, url: str, *, body: bytes, headers: dict[str, str]) -> Attempt:
        """POST ``body`` to ``url``; the outcome (never raises for network errors)."""
        started = time.monotonic()

        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            resp = await self.client.post(url, content=body, headers={
                **headers, "content-type": "application/cloudevents+json"})
        except httpx.TimeoutException:
            return Attempt(False, None, f"no answer within {self.timeout:g} s", elapsed())
        except httpx.HTTPError as exc:
            return Attempt(False, None, f"{type(exc).__name__}: {str(exc)[:300]}", elapsed())
        ok = 200 <= resp.status_code < 300
        error = None if ok else f"HTTP {resp.status_code}"
        return Attempt(ok, resp.status_code, error, elapsed())

    async def close(self) -> None:
        await self.client.aclose()
