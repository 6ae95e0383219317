"""``make demo``, Hainan conversation (企业号会话, HN-12): two users of the Hainan project chat
in the project's conversation, one of them connected over the WebSocket live channel.

The project's conversation exists because the project does (opened from its event, with its
supervisors and participants). 刘洋 (project manager) keeps the live channel open; 张伟
(supervisor) posts over HTTP with an ``Idempotency-Key``; the message arrives on 刘洋's
socket; 刘洋 replies with a site photo quoting it; 张伟 reads his unread count and marks the
conversation read; 刘洋 reconnects with the id of the last message he saw and catches up.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

from websockets.asyncio.client import connect

from .demo import Say, poll
from .media import site_photo
from .scenario import ApiFactory, World, expect

API = "/api/conversations/v1"


async def _next_message(ws: Any, timeout: float = 15) -> dict[str, Any]:
    """The next ``message`` frame of the live channel (others skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "message":
                return frame["message"]


def _live_url(ws_base: str, conversation_id: str, token: str, after: str | None = None) -> str:
    params = {"access_token": token, **({"after": after} if after else {})}
    base = ws_base.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    return f"{base}{API}/conversations/{conversation_id}/live?{urlencode(params)}"


async def play_conversation(api: ApiFactory, world: World, *, ws_base: str, say: Say = print) -> dict[str, Any]:
    """Two Hainan users chat in their project's conversation (HN-12); returns the ids."""
    zhang, liu = world.people["zhang"], world.people["liu"]
    cid = f"project-{world.project_id}"
    say("Ⓗ⑫ 企业号会话：项目会话随项目自动建立，成员为监督员和参建单位人员 (HN-12)")
    async with api(zhang.token) as zc, api(liu.token) as lc:
        async def opened() -> dict[str, Any] | None:
            r = await lc.get(f"{API}/conversations/{cid}")
            return r.json() if r.status_code == 200 else None  # 404 until the project's event arrived

        conv = await poll(opened, what="the project's conversation")
        say(f"   会话「{conv['title']}」，{len(conv['member_ids'])} 位成员")
        async with connect(_live_url(ws_base, cid, liu.token), proxy=None) as ws:
            ready = json.loads(await ws.recv())
            assert ready["type"] == "ready", ready
            say(f"   {liu.name} 打开会话（WebSocket 实时通道）")
            first = expect(await zc.post(f"{API}/conversations/{cid}/messages",
                                         data={"text": "明天上午9点复查3#楼临边防护，请项目部派人陪同"},
                                         headers={"Idempotency-Key": f"demo-{cid}-1"}), 201)
            pushed = await _next_message(ws)
            assert pushed["id"] == first["id"]
            say(f"   {zhang.name}：{first['text']}  → 实时送达 {liu.name}")
            reply = expect(await lc.post(f"{API}/conversations/{cid}/messages",
                                         data={"text": "收到，已整改完毕，附现场照片", "reply_to": first["id"]},
                                         files=[("photos", ("site.jpg", site_photo(12), "image/jpeg"))]), 201)
            say(f"   {liu.name}（引用「{reply['reply_to']['excerpt']}」）：{reply['text']} [图片]")
        unread = expect(await zc.get(f"{API}/conversations/{cid}"), 200)["unread"]
        say(f"   {zhang.name} 未读 {unread} 条；标记已读")
        expect(await zc.put(f"{API}/conversations/{cid}/read", json={"message_id": reply["id"]}), 200)
        later = expect(await zc.post(f"{API}/conversations/{cid}/messages", data={"text": "好的，明天见"}), 201)
        async with connect(_live_url(ws_base, cid, liu.token, after=reply["id"]), proxy=None) as ws:
            caught = await _next_message(ws)
            assert caught["id"] == later["id"]
            say(f"   {liu.name} 重新连接，补收离线消息：{caught['text']}")
    return {"conversation_id": cid, "messages": [first["id"], reply["id"], later["id"]]}
