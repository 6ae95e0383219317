"""Helpers of the inspections integration tests: real images, plans, results, event capture."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import aio_pika
import httpx
from PIL import Image

from anjian_local.scenario import World, expect
from anjian_local.testing.fixtures import eventually
from anjian_shared.china_time import china_today

API = "/api/inspections/v1"


def planned() -> date:
    """A plan's date: tomorrow in China, asked when the plan is made (never kept from import)."""
    return china_today() + timedelta(days=1)


FIRE_CODES = ["JGJ59-A.0.2-06"]           # 现场防火 (ordinary)
MAJOR_CODES = ["JGJ59-A.0.3-03", "ZD2024-7.2"]  # 架体与建筑结构拉结 + 未设置连墙件 (major)


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48),
                color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real JPEG or PNG made with Pillow."""
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format=fmt)
    return buf.getvalue()


def photos(n: int = 1, fmt: str = "JPEG") -> list[tuple[str, tuple[str, bytes, str]]]:
    mime = "image/jpeg" if fmt == "JPEG" else "image/png"
    ext = "jpg" if fmt == "JPEG" else "png"
    return [("photos", (f"site-{i}.{ext}", image_bytes(fmt, color=(i * 20 % 255, 90, 40)), mime)) for i in range(n)]


def plan_body(world: World, **over: Any) -> dict[str, Any]:
    body = {"title": "光谷科技园二期日常抽查", "project_ids": [world.project_id], "planned_date": planned().isoformat(),
            "supervisor_user_ids": [world.people["zhang"].user_id, world.people["li"].user_id],
            "responsible_supervisor_id": world.people["zhang"].user_id}
    body.update(over)
    return body


async def wait_project_known(api: Callable[..., httpx.AsyncClient], world: World, token_of: str = "zhang",
                             project_id: str | None = None) -> None:
    """inspections learns projects from events: wait until the world's project arrived."""
    pid = project_id or world.project_id

    async def known() -> bool:
        async with api(world.token(token_of)) as c:
            r = await c.get(f"{API}/projects", params={"limit": 100})
        assert r.status_code == 200, r.text
        return pid in [p["project_id"] for p in r.json()["items"]]

    await eventually(known, timeout=30)


async def create_plan(api: Callable[..., httpx.AsyncClient], world: World, who: str = "zhang",
                      **over: Any) -> dict[str, Any]:
    async with api(world.token(who)) as c:
        return expect(await c.post(f"{API}/plans", json=plan_body(world, **over)), 201)


async def confirmed_plan(api: Callable[..., httpx.AsyncClient], world: World, **over: Any) -> dict[str, Any]:
    plan = await create_plan(api, world, **over)
    async with api(world.token("zhang")) as c:
        return expect(await c.post(f"{API}/plans/{plan['id']}/confirm"), 200)


def result_form(world: World, codes: list[str] | None = None, **over: Any) -> dict[str, Any]:
    form = {"project_id": world.project_id, "building_name": "3#楼", "hazard_codes": json.dumps(codes or FIRE_CODES),
            "finding": "3#楼北侧临边防护缺失，灭火器过期。"}
    form.update(over)
    return form


async def add_result(api: Callable[..., httpx.AsyncClient], world: World, plan_id: str, who: str = "zhang",
                     codes: list[str] | None = None, n_photos: int = 1, **over: Any) -> httpx.Response:
    async with api(world.token(who)) as c:
        return await c.post(f"{API}/plans/{plan_id}/results", data=result_form(world, codes, **over),
                            files=photos(n_photos))


async def sign(api: Callable[..., httpx.AsyncClient], world: World, plan_id: str, who: str = "zhang",
               kind: str = "signature") -> httpx.Response:
    async with api(world.token(who)) as c:
        return await c.put(f"{API}/plans/{plan_id}/{kind}",
                           files={"file": (f"{kind}.png", image_bytes("PNG", (120, 40), (0, 0, 0)), "image/png")})


def submit_body(disposition: str = "限期整改", days: int = 7, seal_required: bool = False) -> dict[str, Any]:
    return {"disposition": disposition,
            "notice": {"title": "安全隐患整改告知书", "construction_stage": "主体结构施工",
                       "rectification_date": (planned() + timedelta(days=days)).isoformat()},
            "seal_required": seal_required}


class EventCapture:
    """An exclusive queue on the real exchange collecting the events of some routing keys."""

    def __init__(self, amqp_url: str, routing_keys: list[str], exchange: str = "anjian.events") -> None:
        self.amqp_url, self.routing_keys, self.exchange = amqp_url, routing_keys, exchange
        self.events: list[dict[str, Any]] = []
        self._conn: aio_pika.abc.AbstractRobustConnection | None = None

    async def __aenter__(self) -> EventCapture:
        self._conn = await aio_pika.connect_robust(self.amqp_url)
        channel = await self._conn.channel()
        exchange = await channel.declare_exchange(self.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
        for key in self.routing_keys:
            await queue.bind(exchange, routing_key=key)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                self.events.append(json.loads(message.body))

        await queue.consume(on_message)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._conn is not None:
            await self._conn.close()

    def of(self, type_: str, subject: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == type_ and e.get("subject") == subject]

    async def wait_for(self, type_: str, subject: str, timeout: float = 20) -> dict[str, Any]:
        async def found() -> dict[str, Any] | None:
            hits = self.of(type_, subject)
            return hits[0] if hits else None

        return await eventually(found, timeout=timeout)
