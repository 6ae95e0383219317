"""HN-12 企业号会话 over HTTP and WebSocket on the real servers: the project's conversation
follows the project's people, members chat (text, photo, file, reply), unread counts, live
delivery, reconnect catch-up, retried and concurrent sends, outsiders refused, groups."""

from __future__ import annotations

import asyncio
import io

import pytest
import pytest_asyncio
from conversations_testkit import API, LiveSocket, conversation_of, wait_for_conversation
from PIL import Image

from anjian_local.scenario import expect
from anjian_local.testing.fixtures import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buf, format="JPEG")
    return buf.getvalue()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def conv(platform, world) -> str:
    cid = conversation_of(world)
    await wait_for_conversation(platform.api, world.token("zhang"), cid)
    return cid


def live_url(platform) -> str:
    return platform.url("conversations")


async def post(platform, token: str, cid: str, text: str = "", **kw) -> dict:
    async with platform.api(token) as c:
        return expect(await c.post(f"{API}/conversations/{cid}/messages", data={"text": text, **kw.pop("data", {})},
                                   **kw), 201)


async def test_hn12_project_conversation_members_chat_with_live_delivery(platform, world, conv):
    """HN-12: the project's supervisors and participants are its members; a message posted over
    HTTP reaches a member's open WebSocket; unread counts per member; read mark; reply; photo."""
    body = await wait_for_conversation(platform.api, world.token("liu"), conv)
    assert body["kind"] == "project" and body["project_id"] == world.project_id
    assert set(body["member_ids"]) == {world.people[p].user_id for p in ("zhang", "li", "liu", "zhao")}
    async with LiveSocket(live_url(platform), conv, world.token("liu")) as liu:
        await liu.wait_ready()
        first = await post(platform, world.token("zhang"), conv, "明天上午检查3#楼，请项目部准备资料",
                           headers={"Idempotency-Key": "hn12-first"})
        await liu.wait_texts("明天上午检查3#楼，请项目部准备资料")
        assert liu.messages[0]["id"] == first["id"] and liu.messages[0]["sender"]["name"] == "张伟"
        reply = await post(platform, world.token("liu"), conv, "收到", data={"reply_to": first["id"]},
                           files=[("photos", ("site.jpg", jpeg(), "image/jpeg"))])
        assert reply["kind"] == "photo" and reply["reply_to"]["message_id"] == first["id"]
        assert reply["attachments"][0]["content_type"] == "image/jpeg" and reply["attachments"][0]["url"]
        await liu.wait_texts("收到")
    async with platform.api(world.token("li")) as c:
        mine = expect(await c.get(f"{API}/conversations"), 200)["items"]
        assert [(m["id"], m["unread"]) for m in mine if m["id"] == conv][0][1] >= 2
        page = expect(await c.get(f"{API}/conversations/{conv}/messages", params={"limit": 1}), 200)
        assert page["items"][0]["id"] == reply["id"] and page["next_cursor"]
        older = expect(await c.get(f"{API}/conversations/{conv}/messages",
                                   params={"limit": 1, "cursor": page["next_cursor"]}), 200)
        assert older["items"][0]["id"] == first["id"]
        read = expect(await c.put(f"{API}/conversations/{conv}/read", json={"message_id": reply["id"]}), 200)
        assert read["unread"] == 0
        back = expect(await c.put(f"{API}/conversations/{conv}/read", json={"message_id": first["id"]}), 200)
        assert back["unread"] == 0 and back["last_read_seq"] == reply["seq"]
        muted = expect(await c.put(f"{API}/conversations/{conv}/mute", json={"muted": True}), 200)
        assert muted["muted"] is True
        r = await c.delete(f"{API}/conversations/{conv}/membership")
        assert r.status_code == 403 and r.json()["code"] == "project-conversation-membership"
    async with platform.api(world.token("zhang")) as c:
        zhang = expect(await c.get(f"{API}/conversations/{conv}"), 200)
        assert zhang["unread"] == 1  # 刘洋's reply; his own message is read


async def test_hn12_outsiders_neither_read_nor_write_nor_listen(platform, world, conv):
    """HN-12: another province, another company's people, station staff not on the project:
    404 on every route and 4404 on the live channel; no or a bad token: 4401."""
    hainan_admin = await platform.admin_token("hainan")
    msg = await post(platform, world.token("zhang"), conv, "仅项目成员可见")
    for token in (world.token("chen"), world.token("wang"), hainan_admin):
        async with platform.api(token) as c:
            for r in (await c.get(f"{API}/conversations/{conv}"),
                      await c.get(f"{API}/conversations/{conv}/messages"),
                      await c.get(f"{API}/conversations/{conv}/messages", params={"after": msg["id"]}),
                      await c.get(f"{API}/conversations/{conv}/messages/{msg['id']}"),
                      await c.post(f"{API}/conversations/{conv}/messages", data={"text": "闯入"}),
                      await c.put(f"{API}/conversations/{conv}/read", json={"message_id": msg["id"]}),
                      await c.put(f"{API}/conversations/{conv}/mute", json={"muted": True})):
                assert r.status_code == 404, r.text
        async with LiveSocket(live_url(platform), conv, token) as ws:
            assert await ws.wait_closed() == 4404 and ws.messages == []
    for token in (None, "not-a-token"):
        async with LiveSocket(live_url(platform), conv, token, auth_frame=token is not None) as ws:
            assert await ws.wait_closed() in (4401,) and ws.messages == []
    async with platform.api(world.token("zhang")) as c:
        r = await c.post(f"{API}/conversations/{conv}/messages", data={"text": ""})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "text"
        r = await c.post(f"{API}/conversations/{conv}/messages", data={"text": "引用", "reply_to": "nope"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reply_to"


async def test_hn12_a_retried_send_stores_one_message(platform, world, conv):
    """HN-12: the same Idempotency-Key twice (a lost answer): one message, the first answer."""
    async with platform.api(world.token("zhao")) as c:
        sent = [await c.post(f"{API}/conversations/{conv}/messages", data={"text": "监理已到场"},
                             headers={"Idempotency-Key": "hn12-retry-1"}) for _ in range(2)]
        assert [r.status_code for r in sent] == [201, 201]
        assert sent[0].json()["id"] == sent[1].json()["id"] and sent[1].headers.get("Idempotent-Replayed") == "true"
        history = expect(await c.get(f"{API}/conversations/{conv}/messages", params={"limit": 100}), 200)["items"]
    assert [m["text"] for m in history].count("监理已到场") == 1


async def test_hn12_concurrent_sends_get_consecutive_numbers(platform, world, conv):
    """HN-12: members sending at once: every message stored once, seq without gaps or repeats."""
    tokens = [world.token(p) for p in ("zhang", "li", "liu", "zhao")] * 3

    async def send(i: int, token: str) -> dict:
        return await post(platform, token, conv, f"并发{i}")

    sent = await asyncio.gather(*(send(i, t) for i, t in enumerate(tokens)))
    seqs = sorted(m["seq"] for m in sent)
    assert seqs == list(range(seqs[0], seqs[0] + len(tokens)))


async def test_hn12_reconnect_catches_up_without_missing_or_doubling(platform, world, conv):
    """HN-12: a client reconnecting with its last seen message id gets what it missed, in
    order, then live messages — each once."""
    async with LiveSocket(live_url(platform), conv, world.token("liu")) as first:
        await first.wait_ready()
        m1 = await post(platform, world.token("zhang"), conv, "重连前")
        await first.wait_texts("重连前")
    missed = [await post(platform, world.token("zhang"), conv, f"离线{i}") for i in range(3)]
    async with LiveSocket(live_url(platform), conv, world.token("liu"), after=m1["id"], auth_frame=True) as again:
        caught = await again.wait_ready()
        assert [m["id"] for m in again.messages] == [m["id"] for m in missed]
        assert caught["last_seq"] == missed[-1]["seq"]
        live = await post(platform, world.token("li"), conv, "重连后")
        await again.wait_texts("重连后")
        ids = [m["id"] for m in again.messages]
        assert ids == [m["id"] for m in missed] + [live["id"]] and len(set(ids)) == len(ids)
    async with platform.api(world.token("liu")) as c:
        after = expect(await c.get(f"{API}/conversations/{conv}/messages", params={"after": m1["id"]}), 200)
        assert [m["id"] for m in after["items"]] == [m["id"] for m in missed] + [live["id"]]


async def test_hn12_member_removed_from_the_project_loses_the_conversation(platform, world, conv):
    """HN-12: 赵敏 taken off the project: her open channel closes (4404), reads and writes 404."""
    zhao = world.people["zhao"]
    async with LiveSocket(live_url(platform), conv, world.token("zhao")) as ws:
        await ws.wait_ready()
        async with platform.api(world.token("zhang")) as c:
            expect(await c.delete(f"/api/projects/v1/projects/{world.project_id}/participants/{zhao.user_id}"), 200)
        assert await ws.wait_closed(timeout=30) == 4404
    async with platform.api(world.token("zhao")) as c:
        async def gone() -> bool:
            assert (await c.get(f"{API}/conversations/{conv}")).status_code == 404
            return True

        await eventually(gone, timeout=30)
        r = await c.post(f"{API}/conversations/{conv}/messages", data={"text": "我还在吗"})
        assert r.status_code == 404
        listed = expect(await c.get(f"{API}/conversations"), 200)["items"]
        assert conv not in [m["id"] for m in listed]


async def test_hn12_ad_hoc_group_create_and_leave(platform, world, conv):
    """HN-12: a user opens a group with people of the same province; another province's user
    is refused; a member leaves and loses it."""
    people = [world.people[p].user_id for p in ("li", "liu")]
    async with platform.api(world.token("zhang")) as c:
        async def create() -> dict:
            r = await c.post(f"{API}/conversations", json={"title": "3#楼整改协调", "member_ids": people})
            assert r.status_code == 201, r.text
            return r.json()

        group = await eventually(create, timeout=30)  # identity's user events on their way
        assert group["kind"] == "group" and group["member_ids"][0] == world.people["zhang"].user_id
        r = await c.post(f"{API}/conversations", json={"title": "越权", "member_ids": ["not-a-user"]})
        assert r.status_code == 422 and r.json()["code"] == "conversation-member-unknown"
    async with platform.api(world.token("liu")) as c:
        expect(await c.post(f"{API}/conversations/{group['id']}/messages", data={"text": "好的"}), 201)
        r = await c.delete(f"{API}/conversations/{group['id']}/membership")
        assert r.status_code == 204
        assert (await c.get(f"{API}/conversations/{group['id']}")).status_code == 404
    async with platform.api(world.token("chen")) as c:
        assert (await c.get(f"{API}/conversations/{group['id']}")).status_code == 404


async def test_hn12_the_demo_chat_plays(platform, world, conv):
    """HN-12: ``make demo``'s conversation part (two users chat, live channel, catch-up)."""
    from anjian_local.demo_conversations import play_conversation

    said: list[str] = []
    result = await play_conversation(platform.api, world, ws_base=live_url(platform), say=said.append)
    assert result["conversation_id"] == conv and len(result["messages"]) == 3
    assert any("实时送达" in line for line in said) and any("补收离线消息" in line for line in said)


async def test_hn12_a_disabled_account_loses_its_open_live_channel(platform, world, conv):
    """HN-12: the live channel checks the token again at every heartbeat: the province
    administrator disables 李娜's account → her socket closes with 4401, HTTP answers 401."""
    li = world.people["li"]
    admin = await platform.admin_token("hubei")
    async with LiveSocket(live_url(platform), conv, world.token("li")) as ws:
        await ws.wait_ready()
        async with platform.api(admin) as c:
            expect(await c.patch(f"/api/identity/v1/users/{li.user_id}", json={"enabled": False}), 200)
        assert await ws.wait_closed(timeout=30) == 4401
    async with platform.api(world.token("li")) as c:
        assert (await c.get(f"{API}/conversations/{conv}")).status_code == 401
