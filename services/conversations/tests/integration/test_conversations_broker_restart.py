"""HN-12 live delivery and PLAT-04 (nothing lost when the broker restarts): RabbitMQ is
killed and started again under a running conversations service; a client that opens the live
channel afterwards must get new messages pushed again, not only by catching up from the
database. aio-pika 10 leaves ``is_closed`` False on a connection the broker dropped, so the
fan-out that waited on it never reconnected: every live push after a broker restart was lost
(found in CI, where the fault tests restart the broker before these tests run)."""

from __future__ import annotations

import asyncio
import signal

import pytest
from conversations_testkit import API, LiveSocket, conversation_of, wait_for_conversation

from anjian_local.fixtures_faults import restart_process
from anjian_local.scenario import expect
from anjian_local.testing.fixtures import eventually

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]


async def test_hn12_live_delivery_resumes_after_the_broker_is_killed_and_restarted(platform, world):
    """HN-12 / PLAT-04: after a SIGKILL of RabbitMQ and its restart, a message posted over HTTP
    reaches an open WebSocket again (the live fan-out reconnected and bound its queue)."""
    infra = platform.infra.embedded
    if infra is None:
        pytest.skip("needs the embedded infrastructure to kill the broker")
    cid = conversation_of(world)
    await wait_for_conversation(platform.api, world.token("zhang"), cid)
    infra.kill("rabbitmq", signal.SIGKILL)
    await asyncio.sleep(1.0)
    await restart_process(infra, "rabbitmq")
    await platform.wait_ready()
    tries = 0

    async def pushed_live() -> bool | None:
        nonlocal tries
        tries += 1
        text = f"重启后第{tries}条"
        async with LiveSocket(platform.url("conversations"), cid, world.token("liu")) as liu:
            await liu.wait_ready()
            async with platform.api(world.token("zhang")) as c:
                expect(await c.post(f"{API}/conversations/{cid}/messages", data={"text": text}), 201)
            try:
                await liu.wait_texts(text, timeout=8)
            except (TimeoutError, AssertionError):
                return None
            return True

    assert await eventually(pushed_live, timeout=60)
