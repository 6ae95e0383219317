"""Fixtures of the notices integration tests: Hubei and Hainan worlds (no projects needed),
real media objects, and real ``inspections.plan.submitted.v1`` events published on the broker.

Notices never learns projects from the projects service: the plan event carries
everything (``PlanProject``), so the tests build the event like inspections would and
publish it through the real RabbitMQ; the notices consumer does the rest.
"""

from __future__ import annotations

import io
import itertools
import random
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest_asyncio
from PIL import Image

from anjian_local.scenario import World, build_world, expect
from anjian_local.testing.fixtures import Platform, eventually
from anjian_shared.events import make_event
from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.inspections_v1 import (
    HazardRef,
    NoticeData,
    PlanProject,
    PlanSubmitted,
    ResultSnapshot,
)
from anjian_shared.storage import Storage
from anjian_shared.types import new_id, utcnow

PLAN_SUBMITTED = "inspections.plan.submitted.v1"
INBOX_PREFIX = "notices.plan-submissions:"
_years = itertools.count(random.randint(2200, 8000), 10)


def image_bytes(fmt: str = "PNG", color: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), color).save(buf, fmt)
    return buf.getvalue()


def fresh_year() -> int:
    """A numbering year no other test (nor service) uses in this run; year + 1..9 are free too."""
    return next(_years)


@dataclass
class Kit:
    """What the notices tests share: worlds, media, event building, waiting."""

    platform: Platform
    hb: World
    hn: World
    signature: MediaRef
    seal: MediaRef
    result_photo: MediaRef
    result_photo_bytes: bytes

    image_bytes = staticmethod(image_bytes)
    fresh_year = staticmethod(fresh_year)

    @property
    def db(self) -> Any:
        return self.platform.app("notices").state.mongo.db

    def project(self, world: World, *, contractor_id: str | None = None,
                pm_user_ids: list[str] | None = None) -> PlanProject:
        """A project of ``world``'s station (a fresh id: notices needs no projects read model)."""
        pid = new_id()
        return PlanProject(
            project_id=pid, name=f"光谷项目{pid[:6]}", address="武汉市东湖新技术开发区",
            station_org_id=world.station_id,
            owner_org_id=world.owner_id, contractor_org_id=contractor_id or world.contractor_id,
            supervision_org_id=world.supervision_id,
            project_manager_user_ids=pm_user_ids if pm_user_ids is not None else [world.people["liu"].user_id])

    def plan_event(self, world: World, *, disposition: str = "限期整改", projects: list[PlanProject] | None = None,
                   submitted_at: datetime | None = None, plan_id: str | None = None) -> dict[str, Any]:
        """A CloudEvent dict of ``inspections.plan.submitted.v1`` as inspections emits it."""
        projects = projects or [self.project(world)]
        zhang, li = world.people["zhang"], world.people["li"]
        sup = PersonRef(user_id=zhang.user_id, name=zhang.name)
        results = [ResultSnapshot(
            result_id=new_id(), project_id=p.project_id, building_name="3#楼",
            hazards=[HazardRef(code="GB-4.2.1", name="临边防护缺失", major=False)],
            finding="三层临边未设防护栏杆", photos=[self.result_photo], major_hazard=False, recorded_by=sup,
            recorded_at=utcnow()) for p in projects]
        plan_id = plan_id or new_id()
        payload = PlanSubmitted(
            plan_id=plan_id, title="三月日常抽查", planned_date=date(2026, 3, 2), station_org_id=world.station_id,
            projects=projects, responsible_supervisor=sup,
            supervisors=[sup, PersonRef(user_id=li.user_id, name=li.name)], disposition=disposition,
            notice=NoticeData(title="建设工程安全隐患整改告知书", construction_stage="主体结构施工",
                              rectification_date=date(2026, 3, 9)),
            signature=self.signature, seal=self.seal, results=results, submitted_at=submitted_at or utcnow())
        event = make_event(type=PLAN_SUBMITTED, tenant=world.tenant, service="inspections", subject=plan_id,
                           data=payload)
        return event.model_dump(mode="json")

    async def publish(self, event: dict[str, Any]) -> None:
        await self.platform.publish(event)

    async def handled(self, event: dict[str, Any]) -> None:
        """Wait until the notices consumer committed ``event`` (its inbox row exists)."""
        async def done() -> bool:
            return await self.db["inbox"].find_one({"_id": INBOX_PREFIX + event["id"]}) is not None
        await eventually(done)

    async def list(self, token: str, **params: Any) -> list[dict[str, Any]]:
        async with self.platform.api(token) as c:
            return expect(await c.get("/api/notices/v1/notices", params=params), 200)["items"]

    async def get(self, token: str, notice_id: str) -> dict[str, Any]:
        async with self.platform.api(token) as c:
            return expect(await c.get(f"/api/notices/v1/notices/{notice_id}"), 200)

    async def wait_notices(self, world: World, project_id: str, count: int = 1) -> list[dict[str, Any]]:
        """Wait until the station sees ``count`` notices of the project; return them."""
        token = world.token("zhang")

        async def found() -> list[dict[str, Any]]:
            items = await self.list(token, project_id=project_id)
            assert len(items) >= count, items
            return items
        return await eventually(found)

    async def issue(self, world: World | None = None, **kw: Any) -> dict[str, Any]:
        """Publish a 限期整改 plan for one fresh project of ``world`` and return its notice (detail)."""
        world = world or self.hb
        project = kw.pop("project", None) or self.project(world)
        event = self.plan_event(world, projects=[project], **kw)
        await self.publish(event)
        [summary] = await self.wait_notices(world, project.project_id)
        return await self.get(world.token("zhang"), summary["id"])

    async def outbox(self, tenant: str, type_: str, subject: str) -> list[dict[str, Any]]:
        rows = await self.db["outbox"].find({"tenant_id": tenant, "type": type_, "event.subject": subject}
                                            ).to_list()
        return [r["event"] for r in rows]

    async def counter(self, tenant: str, year: int) -> int:
        doc = await self.db["counters"].find_one({"_id": f"{tenant}:notice:{year}", "tenant_id": tenant})
        return int(doc["seq"]) if doc else 0


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def kit(platform: Platform) -> Kit:
    """Hubei + Hainan worlds and the plan's media, uploaded for real to the inspections bucket."""
    hb = await build_world(platform.api, admin_password=platform.admin_password, register_project=False)
    hn = await build_world(platform.api, admin_password=platform.admin_password, tenant="hainan",
                           register_project=False)
    s = platform.app("notices").state.settings
    inspections_bucket = Storage(s.s3_endpoint, s.s3_access_key, s.s3_secret_key,
                                 bucket=f"{s.s3_bucket_prefix}-inspections", region=s.s3_region, secure=s.s3_secure)
    await inspections_bucket.ensure_bucket()
    photo = image_bytes("JPEG", "blue")

    async def put(data: bytes, content_type: str, name: str) -> MediaRef:
        return await inspections_bucket.put_bytes(tenant="hubei", folder="plans/test", data=data,
                                                  content_type=content_type, filename=name)

    return Kit(platform=platform, hb=hb, hn=hn,
               signature=await put(image_bytes("PNG", "black"), "image/png", "signature.png"),
               seal=await put(image_bytes("PNG", "red"), "image/png", "seal.png"),
               result_photo=await put(photo, "image/jpeg", "site.jpg"), result_photo_bytes=photo)



@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def docs(platform: Platform):  # type: ignore[no-untyped-def]
    """Enforcement documents (HN-07..09): a Hainan world with a project, a second Hainan station
    with its own project, and a Hubei world — each known to notices' read models."""
    from documents_testkit import DocKit

    hn = await build_world(platform.api, admin_password=platform.admin_password, tenant="hainan")
    other = await build_world(platform.api, admin_password=platform.admin_password, tenant="hainan")
    hb = await build_world(platform.api, admin_password=platform.admin_password)
    kit = DocKit(platform=platform, hn=hn, other=other, hb=hb)
    for world in (hn, other, hb):
        await kit.known(world)
    return kit
