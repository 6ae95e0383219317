"""The province's integration platform's project feed (一体化平台, FJ-01), read over HTTP.

The feed is paged: ``GET <url>`` answers ``{"items": [project, …], "next_cursor": "…" | null}``;
the next page is ``GET <url>?cursor=<next_cursor>``. Each page is fetched under ``FEED``
(tenacity via ``anjian_shared.retry``: connection errors, timeouts and 5xx/429 answers are
tried again with jittered back-off, 5 attempts); a 4xx answer is not retried (a wrong URL or
token will not heal by itself).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from anjian_shared.retry import Policy

FEED = Policy("platform-feed", initial=0.5, maximum=10.0, attempts=5)
"""A platform page that failed for a passing reason: 5 attempts, 0.5 s → 10 s apart."""


class FeedError(Exception):
    """The feed answered something that is not a page (a 4xx, or not the page shape)."""


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code >= 500 or exc.response.status_code == 429
    return isinstance(exc, httpx.TransportError)


async def pages(url: str, *, token: str | None = None, timeout: float = 30.0, max_pages: int = 1000,
                client: httpx.AsyncClient | None = None) -> AsyncIterator[list[Any]]:
    """Yield the items of each page of the feed at ``url``, following ``next_cursor`` (at most
    ``max_pages`` pages: a feed that never ends is cut off). Raises ``FeedError`` for a 4xx or
    a malformed page, the last ``httpx`` error once the retries are spent."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    own = client is None
    http = client or httpx.AsyncClient(timeout=timeout, headers=headers)
    try:
        cursor: str | None = None
        for _ in range(max_pages):
            # the configured URL's own query (e.g. ?region=350000) is kept; the cursor is added to it
            page_url = httpx.URL(url).copy_merge_params({"cursor": cursor}) if cursor else httpx.URL(url)

            async def fetch(page_url: httpx.URL = page_url) -> httpx.Response:
                response = await http.get(page_url, headers=headers)
                response.raise_for_status()
                return response

            try:
                response = await FEED.call(fetch, retry_if=_retryable, what="platform feed page")
            except httpx.HTTPStatusError as exc:
                if _retryable(exc):
                    raise
                raise FeedError(f"the platform feed answered {exc.response.status_code}") from exc
            body = response.json()
            if not isinstance(body, dict) or not isinstance(body.get("items"), list):
                raise FeedError("the platform feed's page has no items list")
            yield body["items"]
            cursor = body.get("next_cursor")
            if not cursor:
                return
    finally:
        if own:
            await http.aclose()
