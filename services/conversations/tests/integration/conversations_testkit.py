"""Helpers of the conversations integration tests (HN-12): a WebSocket client that records
what the live channel sends, and waiting for a project's conversation to exist."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from anjian_local.scenario import World
from anjian_local.testing.fixtures import eventually

API = "/api/conversations/v1"


def conversation_of(world: World) -> str:
    return f"project-{world.project_id}"


class LiveSocket:
    """One client of ``WS …/conversations/{id}/live``; ``frames`` holds every JSON frame."""

    def __init__(self, base_url: str, conversation_id: str, token: str | None, *, after: str | None = None,
                 auth_frame: bool = False) -> None:
        params = {}
        if token and not auth_frame:
            params["access_token"] = token
        if after:
            params["after"] = after
        ws_base = base_url.replace("http://", "ws://", 1)
        self.url = f"{ws_base}{API}/conversations/{conversation_id}/live" + (f"?{urlencode(params)}" if params else "")
        self.token, self.auth_frame = token, auth_frame
        self.frames: list[dict[str, Any]] = []
        self.close_code: int | None = None
        self.ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LiveSocket:
        self.ws = await connect(self.url, open_timeout=10, proxy=None)
        if self.auth_frame:
            await self.ws.send(json.dumps({"type": "auth", "token": self.token}))
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *_: Any) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                self.frames.append(json.loads(raw))
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code or 1006

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [f["message"] for f in self.frames if f["type"] == "message"]

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages]

    async def wait_ready(self, timeout: float = 15) -> dict[str, Any]:
        async def caught_up() -> dict[str, Any] | None:
            done = [f for f in self.frames if f["type"] == "caught_up"]
            assert done or self.close_code is None, f"closed with {self.close_code}"
            return done[0] if done else None

        return await eventually(caught_up, timeout=timeout)

    async def wait_texts(self, *texts: str, timeout: float = 15) -> list[str]:
        """Until every one of ``texts`` arrived; returns all texts so far."""
        async def arrived() -> list[str] | None:
            have = self.texts
            return have if all(t in have for t in texts) else None

        return await eventually(arrived, timeout=timeout)

    async def wait_closed(self, timeout: float = 15) -> int:
        async def closed() -> int | None:
            return self.close_code

        return await eventually(closed, timeout=timeout)


async def wait_for_conversation(api: Any, token: str, conversation_id: str, timeout: float = 30) -> dict[str, Any]:
    """The conversation as ``token``'s user sees it, once the project's event has arrived."""
    async with api(token) as c:
        async def known() -> dict[str, Any]:
            r = await c.get(f"{API}/conversations/{conversation_id}")
            assert r.status_code == 200, r.text
            return r.json()

        return await eventually(known, timeout=timeout)
