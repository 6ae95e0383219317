"""HN-12 real time with two replicas of the conversations service as real OS processes
(``anjian_local.subprocess_service``, the machinery of the F7 fault tests), on the run's
database and broker: a message sent through one replica reaches a client connected to the
other; a redelivered ``conversations.message.posted.v1`` pushes nothing twice; a replica
SIGKILLed right after answering 201 loses nothing, and its clients catch up on reconnect."""

from __future__ import annotations

import signal

import pytest
import pytest_asyncio
from conversations_testkit import API, LiveSocket, conversation_of, wait_for_conversation

from anjian_local.scenario import expect
from anjian_local.subprocess_service import ServiceProcess
from anjian_local.testing.fixtures import eventually

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def replicas(platform, world, tmp_path_factory):
    """Two conversations processes besides the in-process one, same database and vhost."""
    settings = {**platform.infra.settings_overrides(), "identity_url": platform.url("identity"),
                "service_name": "conversations", "log_json": True, "outbox_lease_seconds": 3}
    log_dir = tmp_path_factory.mktemp("conversations-replicas")
    procs = [ServiceProcess("conversations", settings, log_dir=log_dir, name=f"conversations-{i}") for i in (1, 2)]
    try:
        for proc in procs:
            await proc.start()
        await wait_for_conversation(platform.api, world.token("zhang"), conversation_of(world))
        yield procs
    finally:
        for proc in procs:
            proc.kill()


async def send(replica: ServiceProcess, token: str, cid: str, text: str) -> dict:
    import httpx

    async with httpx.AsyncClient(base_url=replica.url, headers={"Authorization": f"Bearer {token}"},
                                 timeout=30) as c:
        return expect(await c.post(f"{API}/conversations/{cid}/messages", data={"text": text}), 201)


async def test_hn12_a_message_sent_through_one_replica_reaches_a_client_of_the_other(platform, world, replicas):
    """HN-12: each replica consumes the posted messages from a queue of its own (fan-out)."""
    one, two = replicas
    cid = conversation_of(world)
    async with LiveSocket(one.url, cid, world.token("liu")) as on_one, \
            LiveSocket(two.url, cid, world.token("li")) as on_two:
        await on_one.wait_ready()
        await on_two.wait_ready()
        sent_via_two = await send(two, world.token("zhang"), cid, "经副本二发送")
        sent_via_one = await send(one, world.token("zhao"), cid, "经副本一发送")
        for ws in (on_one, on_two):
            await ws.wait_texts("经副本二发送", "经副本一发送")
            ids = [m["id"] for m in ws.messages]
            assert ids == [sent_via_two["id"], sent_via_one["id"]]


async def test_hn12_a_redelivered_posted_event_pushes_once(platform, world, replicas):
    """HN-12: the same ``conversations.message.posted.v1`` published again (a relay that died
    between the broker's confirm and "mark sent") reaches the clients once."""
    one, _two = replicas
    cid = conversation_of(world)
    outbox = platform.app("conversations").state.mongo.db["outbox"]
    async with LiveSocket(one.url, cid, world.token("liu")) as ws:
        await ws.wait_ready()
        first = await send(one, world.token("zhang"), cid, "只推送一次")
        await ws.wait_texts("只推送一次")
        row = await outbox.find_one({"type": "conversations.message.posted.v1", "event.data.message_id": first["id"]})
        assert row is not None
        for _ in range(2):
            await platform.publish(row["event"])
        after = await send(one, world.token("zhang"), cid, "之后的消息")
        await ws.wait_texts("之后的消息")
        ids = [m["id"] for m in ws.messages]
        assert ids == [first["id"], after["id"]]


async def test_hn12_a_replica_killed_after_answering_loses_no_message(platform, world, replicas):
    """HN-12: stored and queued in one transaction before the 201: a replica SIGKILLed right
    after answering loses nothing — the other replica's client gets it (its relay takes over
    the outbox), the restarted replica's client catches up with ``after``."""
    one, two = replicas
    cid = conversation_of(world)
    async with LiveSocket(one.url, cid, world.token("liu")) as ws:
        ready = await ws.wait_ready()
        sent = await send(two, world.token("zhang"), cid, "发送后副本被强杀")
        two.kill(signal.SIGKILL)
        await ws.wait_texts("发送后副本被强杀", timeout=60)
        assert [m["id"] for m in ws.messages] == [sent["id"]]
    await two.start()
    async with platform.api(world.token("li")) as c:
        history = expect(await c.get(f"{API}/conversations/{cid}/messages", params={"limit": 5}), 200)["items"]
        assert history[0]["id"] == sent["id"]
        before = expect(await c.get(f"{API}/conversations/{cid}/messages",
                                    params={"limit": 2, "cursor": None}), 200)["items"]
    async with LiveSocket(two.url, cid, world.token("li"), after=before[1]["id"]) as again:
        await again.wait_ready()
        assert [m["id"] for m in again.messages] == [sent["id"]]
        assert ready["last_seq"] < sent["seq"]

    async def one_copy() -> bool:
        async with platform.api(world.token("li")) as c:
            items = expect(await c.get(f"{API}/conversations/{cid}/messages", params={"limit": 100}), 200)["items"]
        return [m["text"] for m in items].count("发送后副本被强杀") == 1

    assert await eventually(one_copy)
