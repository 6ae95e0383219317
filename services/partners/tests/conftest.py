"""Fixtures of the partners tests (PLAT-03)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from anjian_local.webhooks import WebhookReceiver


@pytest_asyncio.fixture(loop_scope="session")
async def receiver() -> AsyncIterator[WebhookReceiver]:
    """A partner's webhook endpoint on a free port (verifies signatures; see anjian_local.webhooks)."""
    r = WebhookReceiver()
    await r.start()
    try:
        yield r
    finally:
        await r.stop()


@pytest_asyncio.fixture(loop_scope="session", autouse=True)
async def _forget_test_subscriptions(request) -> AsyncIterator[None]:  # type: ignore[no-untyped-def]
    """After a test that uses the platform, drop the subscriptions it left behind, so their
    receivers (gone with the test) are not retried for the rest of the run."""
    if "platform" not in request.fixturenames:
        yield
        return
    platform = request.getfixturevalue("platform")
    db = platform.app("partners").state.mongo.db
    before = {d["_id"] for d in await db["subscriptions"].find({}, {"_id": 1}).to_list()}
    yield
    left = [d["_id"] for d in await db["subscriptions"].find({"_id": {"$nin": list(before)}}, {"_id": 1}).to_list()]
    if left:
        await db["subscriptions"].delete_many({"_id": {"$in": left}})
        await db["deliveries"].delete_many({"subscription_id": {"$in": left}})
