"""HTTP POST of one signed webhook delivery (PLAT-03).

A delivery succeeds on any 2xx within the timeout; redirects are not followed. When
private addresses are not allowed (production), the host is resolved and every
address must be public (SSRF guard: no loopback, private, link-local … targets).
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from ..domain.model import address_is_private

USER_AGENT = "Anjian-Webhooks/1.0 (+https://www.standardwebhooks.com)"


@dataclass
class Attempt:
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int


async def host_is_private(url: str) -> bool:
    """True when the URL's host is, or resolves to, a non-public address."""
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False  # unresolvable: the attempt fails on its own
    return any(address_is_private(info[4][0]) for info in infos)


class WebhookSender:
    """One pooled HTTP client for every delivery of the process."""

    def __init__(self, *, timeout: float, allow_private: bool) -> None:
        self.timeout = timeout
        self.allow_private = allow_private
        self.client = httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                                        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
                                        headers={"user-agent": USER_AGENT})

    async def post(self, url: str, *, body: bytes, headers: dict[str, str]) -> Attempt:
        started = time.monotonic()

        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        if not self.allow_private and await host_is_private(url):
            return Attempt(False, None, "the URL's host is a private or loopback address", elapsed())
        try:
            resp = await self.client.post(url, content=body, headers={
                **headers, "content-type": "application/cloudevents+json"})
        except httpx.TimeoutException:
            return Attempt(False, None, f"no answer within {self.timeout:g} s", elapsed())
        except httpx.HTTPError as exc:
            return Attempt(False, None, f"{type(exc).__name__}: {str(exc)[:200]}", elapsed())
        ok = 200 <= resp.status_code < 300
        error = None if ok else f"HTTP {resp.status_code}"
        return Attempt(ok, resp.status_code, error, elapsed())

    async def close(self) -> None:
        await self.client.aclose()
