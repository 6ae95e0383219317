"""Helpers of the enforcement-document tests (处理文书, HN-07..HN-09): Hainan worlds whose
projects, users and supervision records reach notices through the real events, and
shortcuts for the document API.

Worlds (``anjian_local.scenario.build_world``): 张伟/李娜 supervisors and 王强 station leader
of the station, 刘洋 the contractor's project manager (participant project_manager), 赵敏 of
the supervision company (participant chief_supervising_engineer), 陈静 another contractor's
project manager (no part in the project).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from anjian_local.media import site_photo
from anjian_local.scenario import World, expect
from anjian_local.testing.fixtures import Platform, eventually

API = "/api/notices/v1"
INSPECTIONS = "/api/inspections/v1"
TERM = "JGJ59-A.0.2-06"          # 文明施工：现场防火 (JGJ 59-2011), seeded in every tenant
SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def today() -> date:
    return datetime.now(SHANGHAI).date()


def photo(seed: int = 1, field: str = "photos") -> tuple[str, tuple[str, bytes, str]]:
    return (field, (f"site-{seed}.jpg", site_photo(seed, (160, 120)), "image/jpeg"))


def pdf(name: str = "整改报告.pdf") -> tuple[str, tuple[str, bytes, str]]:
    return ("attachments", (name, PDF, "application/pdf"))


@dataclass
class DocKit:
    platform: Platform
    hn: World
    other: World
    """Another Hainan station with its own project."""
    hb: World
    """Hubei: another tenant."""

    @property
    def db(self) -> Any:
        return self.platform.app("notices").state.mongo.db

    @property
    def settings(self) -> Any:
        return self.platform.app("notices").state.settings

    @property
    def mongo(self) -> Any:
        return self.platform.app("notices").state.mongo

    async def known(self, world: World) -> None:
        """notices learns the project and the people from events: wait until they arrived."""
        ids = [p.user_id for p in world.people.values()]

        async def arrived() -> bool:
            project = await self.db["projects"].find_one({"_id": world.project_id, "tenant_id": world.tenant})
            users = await self.db["users"].count_documents({"_id": {"$in": ids}, "tenant_id": world.tenant})
            return project is not None and users == len(ids)

        await eventually(arrived, timeout=30)

    async def record(self, world: World, who: str = "zhang", *, reviewers: tuple[str, ...] = (),
                     project_id: str | None = None) -> str:
        """A supervision record submitted through inspections; returns its id once notices knows it."""
        data: dict[str, Any] = {"project_id": project_id or world.project_id, "check_type": "safety",
                                "part_checked": "3#楼12层 临边", "term_codes": [TERM], "supplement": "临边防护缺失"}
        if reviewers:
            data["report_recipient_ids"] = [world.people[r].user_id for r in reviewers]
        async with self.platform.api(world.token(who)) as c:
            record = expect(await c.post(f"{INSPECTIONS}/records", data=data), 201)
        await self.record_known(world, record["id"])
        return record["id"]

    async def record_known(self, world: World, record_id: str, status: str | None = None) -> dict[str, Any]:
        async def arrived() -> dict[str, Any] | None:
            doc = await self.db["records"].find_one({"_id": record_id, "tenant_id": world.tenant})
            if doc is None or "station_org_id" not in doc or (status and doc.get("status") != status):
                return None
            return doc

        return await eventually(arrived, timeout=30)

    def body(self, world: World, record_id: str, **over: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "document_type": "rectification", "project_id": world.project_id,
            "addressed_org_ids": [world.contractor_id], "record_id": record_id,
            "details": "3#楼12层临边防护缺失，限期整改", "deadline": (today() + timedelta(days=7)).isoformat(),
            "replier_user_ids": [world.people["liu"].user_id]}
        for key, value in over.items():
            if value is None:
                body.pop(key, None)
            else:
                body[key] = value
        return body

    def ids(self, world: World, *who: str) -> list[str]:
        return [world.people[w].user_id for w in who]

    async def submit(self, world: World, body: dict[str, Any], who: str = "zhang",
                     headers: dict[str, str] | None = None) -> httpx.Response:
        async with self.platform.api(world.token(who)) as c:
            return await c.post(f"{API}/documents", json=body, headers=headers or {})

    async def document(self, world: World, record_id: str | None = None, who: str = "zhang",
                       **over: Any) -> dict[str, Any]:
        record_id = record_id or await self.record(world)
        return expect(await self.submit(world, self.body(world, record_id, **over), who), 201)

    async def get(self, world: World, who: str, document_id: str, suffix: str = "") -> httpx.Response:
        async with self.platform.api(world.token(who)) as c:
            return await c.get(f"{API}/documents/{document_id}{suffix}")

    async def read(self, world: World, who: str, document_id: str) -> dict[str, Any]:
        return expect(await self.get(world, who, document_id), 200)

    async def reply(self, world: World, who: str, document_id: str, text: str | None = "已按要求整改完毕",
                    files: list[Any] | None = None) -> httpx.Response:
        data = {"text": text} if text is not None else {}
        async with self.platform.api(world.token(who)) as c:
            return await c.post(f"{API}/documents/{document_id}/replies", data=data,
                                files=files if files is not None else [photo()])

    async def review_reply(self, world: World, who: str, document_id: str, reply_id: str, verdict: bool | str,
                           comment: str | None = None) -> httpx.Response:
        """``verdict``: a ``decision`` (approve | reject), or a bool sent as the deprecated ``accepted``."""
        body: dict[str, Any] = {"decision": verdict} if isinstance(verdict, str) else {"accepted": verdict}
        if comment is not None:
            body["comment"] = comment
        async with self.platform.api(world.token(who)) as c:
            return await c.post(f"{API}/documents/{document_id}/replies/{reply_id}/reviews", json=body)

    async def review(self, world: World, who: str, document_id: str, decision: str,
                     comment: str | None = None) -> httpx.Response:
        body: dict[str, Any] = {"decision": decision}
        if comment is not None:
            body["comment"] = comment
        async with self.platform.api(world.token(who)) as c:
            return await c.post(f"{API}/documents/{document_id}/reviews", json=body)

    async def view(self, world: World, who: str, path: str, **params: Any) -> list[str]:
        async with self.platform.api(world.token(who)) as c:
            page = expect(await c.get(f"{API}{path}", params={"limit": 100, **params}), 200)
        return [item["id"] for item in page["items"]]

    async def counts(self, world: World, who: str, **params: Any) -> dict[str, Any]:
        async with self.platform.api(world.token(who)) as c:
            return expect(await c.get(f"{API}/documents/views/counts", params=params), 200)

    async def outbox(self, tenant: str, type_: str, subject: str) -> list[dict[str, Any]]:
        rows = await self.db["outbox"].find({"tenant_id": tenant, "type": type_, "event.subject": subject}).to_list()
        return [r["event"] for r in rows]

    async def count(self, collection: str, flt: dict[str, Any]) -> int:
        return await self.db[collection].count_documents(flt)
