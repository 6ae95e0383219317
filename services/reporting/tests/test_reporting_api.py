"""reporting over HTTP on the real platform: events published on the real broker, media in
the real S3 (inspections' bucket), PDFs read back with pdftotext (HB-03, HB-08, HB-09)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest_asyncio
import reporting_testkit as kit
from pydantic import BaseModel

from anjian_local.infra import rabbitmqctl
from anjian_local.scenario import PASSWORD, World, expect
from anjian_local.testing.fixtures import Platform, eventually
from anjian_shared.events import make_event
from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.inspections_v1 import PlanChanged
from anjian_shared.storage import Storage
from anjian_shared.types import new_id, utcnow

API = "/api/reporting/v1"
INBOX = "reporting.read-models:"


def pdftotext(pdf: bytes) -> str:
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is needed"
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode("utf-8").replace(" ", "").replace("\n", "")


@dataclass
class Scene:
    platform: Platform
    hb: World
    hainan_admin: str
    photos: list[MediaRef]
    signature: MediaRef
    seal: MediaRef
    project: Any = None
    other_project: Any = None
    numbers: list[int] = field(default_factory=lambda: [0])

    @property
    def db(self) -> Any:
        return self.platform.app("reporting").state.mongo.db

    def person(self, key: str) -> PersonRef:
        p = self.hb.people[key]
        return PersonRef(user_id=p.user_id, name=p.name)

    def token(self, key: str) -> str:
        return self.hb.token(key)

    def number(self) -> str:
        self.numbers[0] += 1
        return f"鄂安监告〔2026〕{new_id()[:3]}{self.numbers[0]:04d}号"

    def event(self, type_: str, subject: str, data: BaseModel) -> dict[str, Any]:
        service = type_.split(".", 1)[0]
        return make_event(type=type_, tenant="hubei", service=service, subject=subject,
                          data=data).model_dump(mode="json")

    async def publish(self, event: dict[str, Any], *, wait: bool = True) -> dict[str, Any]:
        """Publish on the real broker; wait until reporting's consumer committed it (inbox row)."""
        await self.platform.publish(event)
        if wait:
            async def handled() -> bool:
                return await self.db["inbox"].find_one({"_id": INBOX + event["id"]}) is not None
            await eventually(handled)
        return event

    async def notifications(self, key: str, **params: Any) -> list[dict[str, Any]]:
        async with self.platform.api(self.token(key)) as c:
            return expect(await c.get(f"{API}/notifications", params={"limit": 100, **params}), 200)["items"]

    async def todos(self, key: str, **params: Any) -> list[dict[str, Any]]:
        async with self.platform.api(self.token(key)) as c:
            return expect(await c.get(f"{API}/todos", params={"limit": 100, **params}), 200)["items"]

    def submitted_plan(self, plan_id: str, *, projects: list[Any] | None = None) -> Any:
        projects = projects or [self.project]
        li = self.person("li")
        results = [kit.result(project_id=p.project_id, recorder=li, photos=self.photos, building=f"{i + 3}号楼",
                              finding=kit.FINDING if i == 0 else "塔吊附着装置螺栓松动", major=i == 0, minute=i)
                   for i, p in enumerate(projects)]
        return kit.plan_submitted(plan_id=plan_id, station=self.hb.station_id, projects=projects,
                                  responsible=self.person("zhang"), supervisors=[self.person("zhang"), li],
                                  results=results, signature=self.signature, seal=self.seal)

    def notice(self, notice_id: str, plan_id: str, number: str) -> Any:
        return kit.notice_issued(notice_id=notice_id, plan_id=plan_id, project=self.project,
                                 station=self.hb.station_id, issuer=self.person("zhang"),
                                 repliers=[self.hb.people["liu"].user_id], number=number)

    async def issued_notice(self, *, with_plan: bool = True) -> tuple[str, str, str]:
        """Publish a submitted plan and its notice; returns (plan_id, notice_id, number)."""
        plan_id, notice_id, number = new_id(), new_id(), self.number()
        if with_plan:
            await self.publish(self.event("inspections.plan.submitted.v1", plan_id, self.submitted_plan(plan_id)))
        await self.publish(self.event("notices.notice.issued.v1", notice_id, self.notice(notice_id, plan_id, number)))
        return plan_id, notice_id, number


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scene(platform: Platform, world: World) -> Scene:
    """The Hubei world, a Hainan admin (other tenant), photos/signature/seal in inspections' bucket."""
    s = platform.app("reporting").state.settings
    bucket = Storage(s.s3_endpoint, s.s3_access_key, s.s3_secret_key, bucket=f"{s.s3_bucket_prefix}-inspections",
                     region=s.s3_region, secure=s.s3_secure)
    await bucket.ensure_bucket()

    async def put(data: bytes, content_type: str) -> MediaRef:
        return await bucket.put_bytes(tenant="hubei", folder="plans/reporting-test", data=data,
                                      content_type=content_type)

    photos = [await put(kit.jpeg(color=(40, 90, 160)), "image/jpeg"), await put(kit.jpeg((800, 1200)), "image/jpeg")]
    sc = Scene(platform=platform, hb=world, hainan_admin=await platform.admin_token("hainan"), photos=photos,
               signature=await put(kit.png(), "image/png"), seal=await put(kit.png((300, 300)), "image/png"))
    people = world.people
    sc.project = kit.project(project_id=world.project_id or new_id(), station=world.station_id,
                             owner=world.owner_id, contractor=world.contractor_id,
                             supervision=world.supervision_id, managers=[people["liu"].user_id])
    sc.other_project = kit.project(project_id=new_id(), station=world.station_id, owner=world.owner_id,
                                   contractor=world.other_contractor_id, supervision=world.supervision_id,
                                   managers=[people["chen"].user_id], name="汉阳钢厂改造工程")
    return sc


# ---- HB-03: plan confirmed ----------------------------------------------------------------------

async def test_plan_confirmation_notifies_the_other_supervisors_not_the_confirmer(scene: Scene) -> None:
    plan_id = new_id()
    zhang, li, wang = scene.person("zhang"), scene.person("li"), scene.person("wang")
    data = kit.plan_confirmed(plan_id=plan_id, responsible=zhang, supervisors=[zhang, li, wang],
                              confirmed_by=zhang.user_id, projects=[scene.project])
    await scene.publish(scene.event("inspections.plan.confirmed.v1", plan_id, data))
    for key in ("li", "wang"):
        [n] = [n for n in await scene.notifications(key) if n["plan_id"] == plan_id]
        assert n["kind"] == "plan_confirmed" and n["title"] == "抽查计划已确认" and n["read_at"] is None
        assert "张伟" in n["body"] and scene.project.name in n["body"]
    assert [n for n in await scene.notifications("zhang") if n["plan_id"] == plan_id] == []
    # the plan is known but not submitted: its document is not yet available
    async with scene.platform.api(scene.token("li")) as c:
        r = await c.get(f"{API}/plans/{plan_id}/document.pdf")
    assert r.status_code == 409 and r.json()["type"].endswith("not-yet-available")


async def test_redelivered_event_creates_one_notification(scene: Scene) -> None:
    plan_id = new_id()
    zhang, li = scene.person("zhang"), scene.person("li")
    event = scene.event("inspections.plan.confirmed.v1", plan_id,
                        kit.plan_confirmed(plan_id=plan_id, responsible=zhang, supervisors=[zhang, li],
                                           confirmed_by=zhang.user_id, projects=[scene.project]))
    await scene.publish(event)
    await scene.publish(event, wait=False)  # the same event id again, as a redelivery would bring it
    infra = scene.platform.infra.embedded
    if infra is not None:  # wait until the broker has no message left for reporting (the copy was acked)
        async def drained() -> bool:
            res = await asyncio.to_thread(rabbitmqctl, infra.cfg, "list_queues", "-p", infra.cfg.vhost, "name",
                                          "messages", "--quiet")
            rows = dict(line.split() for line in res.stdout.splitlines() if line.strip())
            return rows.get("reporting.read-models") == "0"
        await eventually(drained, timeout=30, interval=0.3)
    marker = new_id()  # published after the copy: handled means the copy was delivered before it
    await scene.publish(scene.event("inspections.plan.confirmed.v1", marker,
                                    kit.plan_confirmed(plan_id=marker, responsible=zhang, supervisors=[zhang, li],
                                                       confirmed_by=zhang.user_id, projects=[scene.project])))
    mine = [n for n in await scene.notifications("li") if n["plan_id"] == plan_id]
    assert len(mine) == 1
    assert await scene.db["notifications"].count_documents({"tenant_id": "hubei", "event_id": event["id"]}) == 1


# ---- HB-08: the rectification loop ----------------------------------------------------------------

async def test_rectification_loop_notifies_each_step_and_keeps_todos(scene: Scene) -> None:
    plan_id, notice_id, number = await scene.issued_notice()
    liu, zhang = scene.person("liu"), scene.person("zhang")

    [n] = [n for n in await scene.notifications("liu") if n["notice_id"] == notice_id]
    assert n["kind"] == "notice_to_reply" and n["title"] == "告知书待整改回复" and number in n["body"]
    assert n["plan_id"] == plan_id
    [todo] = [t for t in await scene.todos("liu") if t["notice_id"] == notice_id]
    assert (todo["kind"], todo["round"], todo["number"]) == ("reply_due", 1, number)

    reply1 = new_id()
    await scene.publish(scene.event("notices.reply.submitted.v1", notice_id, kit.reply_submitted(
        notice_id=notice_id, number=number, reply_id=reply1, round=1, replier=liu, reviewer=zhang.user_id,
        photos=[scene.photos[1]])))
    [n] = [n for n in await scene.notifications("zhang") if n["notice_id"] == notice_id]
    assert (n["kind"], n["title"], n["reply_id"], n["round"]) == ("reply_to_review", "整改回复待审核", reply1, 1)
    assert [t["kind"] for t in await scene.todos("zhang") if t["notice_id"] == notice_id] == ["review_due"]
    assert [t for t in await scene.todos("liu") if t["notice_id"] == notice_id] == []

    await scene.publish(scene.event("notices.reply.reviewed.v1", notice_id, kit.reply_reviewed(
        notice_id=notice_id, number=number, reply_id=reply1, round=1, passed=False, reviewer=zhang,
        repliers=[liu.user_id], comment="支护桩间距仍不符合方案要求")))
    failed = [n for n in await scene.notifications("liu") if n["kind"] == "reply_reviewed"
              and n["notice_id"] == notice_id]
    assert len(failed) == 1 and failed[0]["passed"] is False and failed[0]["title"] == "整改回复审核未通过"
    assert "支护桩间距仍不符合方案要求" in failed[0]["body"]
    assert [(t["kind"], t["round"]) for t in await scene.todos("liu") if t["notice_id"] == notice_id] == [
        ("reply_due", 2)]

    reply2 = new_id()
    await scene.publish(scene.event("notices.reply.submitted.v1", notice_id, kit.reply_submitted(
        notice_id=notice_id, number=number, reply_id=reply2, round=2, replier=liu, reviewer=zhang.user_id,
        photos=[], text="已加密支护桩并经监理复核。")))
    await scene.publish(scene.event("notices.reply.reviewed.v1", notice_id, kit.reply_reviewed(
        notice_id=notice_id, number=number, reply_id=reply2, round=2, passed=True, reviewer=zhang,
        repliers=[liu.user_id], comment="整改到位")))
    await scene.publish(scene.event("notices.notice.closed.v1", notice_id,
                                    kit.notice_closed(notice_id=notice_id, number=number, rounds=2)))
    passed = [n for n in await scene.notifications("liu") if n["kind"] == "reply_reviewed"
              and n["notice_id"] == notice_id and n["round"] == 2]
    assert len(passed) == 1 and passed[0]["passed"] is True and passed[0]["title"] == "整改回复审核通过"
    assert [t for t in await scene.todos("liu") if t["notice_id"] == notice_id] == []
    assert [t for t in await scene.todos("zhang") if t["notice_id"] == notice_id] == []
    done = [t for t in await scene.todos("liu", include_done="true") if t["notice_id"] == notice_id]
    assert len(done) == 2 and all(t["done_at"] for t in done)

    # the document shows both rounds and their outcomes
    async with scene.platform.api(scene.token("wang")) as c:
        r = await c.get(f"{API}/notices/{notice_id}/document.pdf")
    assert r.status_code == 200, r.text
    text = pdftotext(r.content)
    for expected in ("第1次整改回复", "不通过", "支护桩间距仍不符合方案要求", "第2次整改回复",
                     "已加密支护桩并经监理复核。",
                     "整改流程已于"):
        assert expected in text, expected


async def test_events_of_a_notice_in_any_order_converge(scene: Scene) -> None:
    """The review, then the reply, then the notice, then the plan: the same state as in order."""
    plan_id, notice_id, number = new_id(), new_id(), scene.number()
    liu, zhang = scene.person("liu"), scene.person("zhang")
    reply1 = new_id()
    await scene.publish(scene.event("notices.reply.reviewed.v1", notice_id, kit.reply_reviewed(
        notice_id=notice_id, number=number, reply_id=reply1, round=1, passed=False, reviewer=zhang,
        repliers=[liu.user_id])))
    async with scene.platform.api(scene.token("wang")) as c:
        r = await c.get(f"{API}/notices/{notice_id}/document.pdf")
    assert r.status_code == 409, r.text  # only later events of the notice are known yet
    await scene.publish(scene.event("notices.reply.submitted.v1", notice_id, kit.reply_submitted(
        notice_id=notice_id, number=number, reply_id=reply1, round=1, replier=liu, reviewer=zhang.user_id,
        photos=[])))
    await scene.publish(scene.event("notices.notice.issued.v1", notice_id, scene.notice(notice_id, plan_id, number)))
    assert [t for t in await scene.todos("zhang") if t["notice_id"] == notice_id] == []
    assert [(t["kind"], t["round"]) for t in await scene.todos("liu") if t["notice_id"] == notice_id] == [
        ("reply_due", 2)]
    async with scene.platform.api(scene.token("wang")) as c:
        r = await c.get(f"{API}/notices/{notice_id}/document.pdf")
        assert r.status_code == 409 and r.json()["type"].endswith("not-yet-available")  # plan not arrived
        await scene.publish(scene.event("inspections.plan.submitted.v1", plan_id, scene.submitted_plan(plan_id)))
        r = await c.get(f"{API}/notices/{notice_id}/document.pdf")
    assert r.status_code == 200 and number in pdftotext(r.content)


# ---- notifications API ----------------------------------------------------------------------------

async def test_user_cannot_read_or_mark_another_users_notification(scene: Scene) -> None:
    _, notice_id, _ = await scene.issued_notice()
    [mine] = [n for n in await scene.notifications("liu") if n["notice_id"] == notice_id]
    assert all(n["id"] != mine["id"] for n in await scene.notifications("chen"))
    async with scene.platform.api(scene.token("chen")) as c:
        r = await c.post(f"{API}/notifications/{mine['id']}/read")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    async with scene.platform.api(scene.hainan_admin) as c:
        assert (await c.post(f"{API}/notifications/{mine['id']}/read")).status_code == 404
    async with scene.platform.api(scene.token("liu")) as c:
        assert (await c.post(f"{API}/notifications/{new_id()}/read")).status_code == 404
    [still] = [n for n in await scene.notifications("liu") if n["id"] == mine["id"]]
    assert still["read_at"] is None


async def test_marking_read_updates_unread_filter_and_count(scene: Scene) -> None:
    _, notice_id, _ = await scene.issued_notice()
    async with scene.platform.api(scene.token("liu")) as c:
        async def snapshot() -> tuple[int, list[dict]]:
            """(unread count, unread items) taken while no notification arrived in between:
            the scene's earlier steps may still be delivering theirs."""
            while True:
                first = expect(await c.get(f"{API}/notifications", params={"unread": "true", "limit": 100}),
                               200)["items"]
                count = expect(await c.get(f"{API}/notifications/count"), 200)["unread"]
                second = expect(await c.get(f"{API}/notifications", params={"unread": "true", "limit": 100}),
                                200)["items"]
                if {x["id"] for x in first} == {x["id"] for x in second}:
                    return count, second
        before, unread = await snapshot()
        [n] = [n for n in unread if n["notice_id"] == notice_id]
        read = expect(await c.post(f"{API}/notifications/{n['id']}/read"), 200)
        assert read["read_at"] is not None
        again = expect(await c.post(f"{API}/notifications/{n['id']}/read"), 200)
        assert again["read_at"] == read["read_at"]
        after, later = await snapshot()
        assert n["id"] not in {x["id"] for x in later}
        arrived = {x["id"] for x in later} - {x["id"] for x in unread}  # late notifications of the scene
        assert after == before - 1 + len(arrived)
        read_only = expect(await c.get(f"{API}/notifications", params={"unread": "false"}), 200)["items"]
        assert n["id"] in {x["id"] for x in read_only}
        expect(await c.post(f"{API}/notifications/read-all"), 200)
        assert expect(await c.get(f"{API}/notifications/count"), 200)["unread"] == 0


async def test_notifications_are_paginated(scene: Scene) -> None:
    async with scene.platform.api(scene.token("liu")) as c:
        total = len(expect(await c.get(f"{API}/notifications", params={"limit": 100}), 200)["items"])
        assert total >= 3
        first = expect(await c.get(f"{API}/notifications", params={"limit": 2}), 200)
        assert len(first["items"]) == 2 and first["next_cursor"]
        second = expect(await c.get(f"{API}/notifications", params={"limit": 2, "cursor": first["next_cursor"]}),
                        200)
        assert {n["id"] for n in first["items"]}.isdisjoint({n["id"] for n in second["items"]})
        r = await c.get(f"{API}/notifications", params={"limit": 0})
        assert r.status_code == 422 and r.json()["field"] == "limit"
        r = await c.get(f"{API}/notifications", params={"cursor": "@@@"})
        assert r.status_code == 422 and r.json()["field"] == "cursor"
    async with scene.platform.api() as c:
        assert (await c.get(f"{API}/notifications")).status_code == 401


# ---- HB-09: documents ---------------------------------------------------------------------------

async def test_notice_pdf_for_contractor_and_station_with_chinese_text(scene: Scene) -> None:
    _, notice_id, number = await scene.issued_notice()
    for key in ("liu", "wang", "zhao"):  # contractor, station, supervision company
        async with scene.platform.api(scene.token(key)) as c:
            r = await c.get(f"{API}/notices/{notice_id}/document.pdf")
        assert r.status_code == 200, (key, r.text)
        assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
    text = pdftotext(r.content)
    for expected in ("安全隐患整改告知书", number, kit.FINDING, "重大事故隐患", scene.project.name, "主体结构施工",
                     "限期整改", "2026年3月20日", "中建三局第一建设工程有限责任公司", "武汉市建设工程安全监督站"):
        assert expected in text, expected
    async with scene.platform.api(scene.token("liu")) as c:
        r = await c.get(f"{API}/notices/{notice_id}/document.pdf", params={"download": "true"})
    assert r.headers["content-disposition"].startswith("attachment;")


async def test_notice_pdf_refused_to_other_tenant_and_unrelated_company(scene: Scene) -> None:
    _, notice_id, _ = await scene.issued_notice()
    async with scene.platform.api(scene.hainan_admin) as c:
        assert (await c.get(f"{API}/notices/{notice_id}/document.pdf")).status_code == 404
    async with scene.platform.api(scene.token("chen")) as c:  # another contractor of the same province
        r = await c.get(f"{API}/notices/{notice_id}/document.pdf")
        assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
        assert (await c.get(f"{API}/notices/{new_id()}/document.pdf")).status_code == 404
    async with scene.platform.api() as c:
        assert (await c.get(f"{API}/notices/{notice_id}/document.pdf")).status_code == 401


async def test_notice_pdf_409_until_the_plan_arrives(scene: Scene) -> None:
    plan_id, notice_id, number = await scene.issued_notice(with_plan=False)
    async with scene.platform.api(scene.token("liu")) as c:
        r = await c.get(f"{API}/notices/{notice_id}/document.pdf")
        assert r.status_code == 409 and r.json()["type"].endswith("not-yet-available")
        async with scene.platform.api(scene.token("zhao")) as z:  # owner/supervision: undecidable yet
            assert (await z.get(f"{API}/notices/{notice_id}/document.pdf")).status_code == 409
        await scene.publish(scene.event("inspections.plan.submitted.v1", plan_id, scene.submitted_plan(plan_id)))
        r = await c.get(f"{API}/notices/{notice_id}/document.pdf")
    assert r.status_code == 200 and number in pdftotext(r.content)


async def test_plan_pdf_scoped_to_the_readers_projects(scene: Scene) -> None:
    plan_id = new_id()
    await scene.publish(scene.event("inspections.plan.submitted.v1", plan_id, scene.submitted_plan(
        plan_id, projects=[scene.project, scene.other_project])))
    async with scene.platform.api(scene.token("wang")) as c:
        r = await c.get(f"{API}/plans/{plan_id}/document.pdf")
    assert r.status_code == 200
    text = pdftotext(r.content)
    assert "日常抽查检查结果" in text and kit.FINDING in text and "塔吊附着装置螺栓松动" in text
    async with scene.platform.api(scene.token("chen")) as c:  # contractor of the other project only
        r = await c.get(f"{API}/plans/{plan_id}/document.pdf")
    assert r.status_code == 200
    text = pdftotext(r.content)
    assert "塔吊附着装置螺栓松动" in text and kit.FINDING not in text
    async with scene.platform.api(scene.hainan_admin) as c:
        assert (await c.get(f"{API}/plans/{plan_id}/document.pdf")).status_code == 404
    async with scene.platform.api(scene.token("liu")) as c:
        assert (await c.get(f"{API}/plans/{new_id()}/document.pdf")).status_code == 404
    unrelated = await scene.platform.admin_token("hubei")  # the province admin is no party of the plan
    async with scene.platform.api(unrelated) as c:
        assert (await c.get(f"{API}/plans/{plan_id}/document.pdf")).status_code == 403


# ---- HB-09: share links ---------------------------------------------------------------------------

async def test_share_link_opens_without_a_token_and_refuses_tampering(scene: Scene) -> None:
    _, notice_id, number = await scene.issued_notice()
    async with scene.platform.api(scene.token("liu")) as c:
        link = expect(await c.post(f"{API}/notices/{notice_id}/share-links", json={"expires_in_minutes": 60}), 201)
    assert link["url"] == f"http://gateway.test{API}/shared/{link['token']}"
    assert link["document"] == "notice" and link["target_id"] == notice_id
    stored = await scene.db["share_links"].find_one({"_id": link["id"], "tenant_id": "hubei"})
    assert link["token"] not in str(stored) and len(stored["token_sha256"]) == 64
    async with scene.platform.api() as anonymous:
        r = await anonymous.get(link["url"])
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert number in pdftotext(r.content) and kit.FINDING in pdftotext(r.content)
        qr = await anonymous.get(link["qr_url"])
        assert qr.status_code == 200 and qr.content.startswith(b"\x89PNG")
        token = link["token"]
        tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
        for bad in (tampered, "hainan." + token.split(".", 1)[1], "nonsense"):
            r = await anonymous.get(f"{API}/shared/{bad}")
            assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


async def test_expired_share_link_is_refused(scene: Scene) -> None:
    _, notice_id, _ = await scene.issued_notice()
    async with scene.platform.api(scene.token("wang")) as c:
        link = expect(await c.post(f"{API}/notices/{notice_id}/share-links", json={"expires_in_minutes": 1}), 201)
    await scene.db["share_links"].update_one({"_id": link["id"], "tenant_id": "hubei"},
                                             {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}})
    async with scene.platform.api() as anonymous:
        r = await anonymous.get(link["url"])
        assert r.status_code == 410 and r.json()["type"].endswith("/gone")
        assert (await anonymous.get(link["qr_url"])).status_code == 410


async def test_share_link_validation_and_entitlement(scene: Scene) -> None:
    _, notice_id, _ = await scene.issued_notice()
    async with scene.platform.api(scene.token("liu")) as c:
        for bad in (0, 10081, "soon"):
            r = await c.post(f"{API}/notices/{notice_id}/share-links", json={"expires_in_minutes": bad})
            assert r.status_code == 422 and r.json()["field"] == "expires_in_minutes", r.text
        default = expect(await c.post(f"{API}/notices/{notice_id}/share-links"), 201)
        lifetime = datetime.fromisoformat(default["expires_at"]) - utcnow()
        assert timedelta(hours=23) < lifetime <= timedelta(hours=24)
        assert (await c.post(f"{API}/notices/{new_id()}/share-links", json={})).status_code == 404
    before = await scene.db["share_links"].count_documents({"tenant_id": "hubei", "target_id": notice_id})
    async with scene.platform.api(scene.token("chen")) as c:
        assert (await c.post(f"{API}/notices/{notice_id}/share-links", json={})).status_code == 403
    async with scene.platform.api(scene.hainan_admin) as c:
        assert (await c.post(f"{API}/notices/{notice_id}/share-links", json={})).status_code == 404
    async with scene.platform.api() as c:
        assert (await c.post(f"{API}/notices/{notice_id}/share-links", json={})).status_code == 401
    assert await scene.db["share_links"].count_documents({"tenant_id": "hubei", "target_id": notice_id}) == before


async def test_hb09_share_links_are_revoked_by_creator_issuer_or_leader_and_410_at_once(scene: Scene) -> None:
    """Issue 11: revocation (DELETE /share-links/{id}), a list for who may revoke, 410 at once."""
    _, notice_id, _ = await scene.issued_notice()
    async with scene.platform.api(scene.token("liu")) as c:
        first = expect(await c.post(f"{API}/notices/{notice_id}/share-links", json={"expires_in_minutes": 60}), 201)
        second = expect(await c.post(f"{API}/notices/{notice_id}/share-links", json={"expires_in_minutes": 60}), 201)
    async with scene.platform.api(scene.token("li")) as c:  # station staff, not the issuer nor a leader
        r = await c.delete(f"{API}/share-links/{first['id']}")
        assert r.status_code == 403 and r.json()["type"].endswith("/not-link-manager")
        assert expect(await c.get(f"{API}/notices/{notice_id}/share-links"), 200)["items"] == []
    async with scene.platform.api(scene.hainan_admin) as c:
        assert (await c.delete(f"{API}/share-links/{first['id']}")).status_code == 404
    async with scene.platform.api(scene.token("zhang")) as c:  # the issuer sees and revokes every link
        listed = expect(await c.get(f"{API}/notices/{notice_id}/share-links"), 200)["items"]
        assert {i["id"] for i in listed} == {first["id"], second["id"]} and all("token" not in i for i in listed)
        assert (await c.delete(f"{API}/share-links/{first['id']}")).status_code == 204
    async with scene.platform.api(scene.token("wang")) as c:  # a station leader
        assert (await c.delete(f"{API}/share-links/{second['id']}")).status_code == 204
    async with scene.platform.api() as anonymous:
        for link in (first, second):
            r = await anonymous.get(link["url"])
            assert r.status_code == 410 and r.json()["type"].endswith("/share-link-revoked")
    async with scene.platform.api(scene.token("liu")) as c:
        own = expect(await c.get(f"{API}/notices/{notice_id}/share-links"), 200)["items"]
        assert {i["status"] for i in own} == {"revoked"}
        third = expect(await c.post(f"{API}/notices/{notice_id}/share-links", json={"expires_in_minutes": 60}), 201)
        assert (await c.delete(f"{API}/share-links/{third['id']}")).status_code == 204  # the creator


async def test_hb09_a_link_stops_working_when_its_creator_is_disabled(scene: Scene) -> None:
    """Issue 11: the link is as good as its creator's access (identity disables; reporting learns it)."""
    _, notice_id, _ = await scene.issued_notice()
    admin = await scene.platform.admin_token()
    username = f"sharer.{new_id()[:6]}"
    async with scene.platform.api(admin) as c:
        sharer = expect(await c.post("/api/identity/v1/users", json={
            "org_id": scene.hb.contractor_id, "username": username, "display_name": "周杰", "password": PASSWORD,
            "roles": ["company_staff"]}), 201)
    token = await scene.platform.sign_in("hubei", username, PASSWORD)
    async with scene.platform.api(token) as c:
        link = expect(await c.post(f"{API}/notices/{notice_id}/share-links", json={"expires_in_minutes": 60}), 201)
    async with scene.platform.api() as anonymous:
        assert (await anonymous.get(link["url"])).status_code == 200
    async with scene.platform.api(admin) as c:
        expect(await c.patch(f"/api/identity/v1/users/{sharer['id']}", json={"enabled": False}), 200)

    async def refused() -> bool:
        async with scene.platform.api() as anonymous:
            r = await anonymous.get(link["url"])
        assert r.status_code == 410 and r.json()["type"].endswith("/share-link-creator-no-access"), r.text
        return True

    await eventually(refused, timeout=10)


async def test_plan_share_link_keeps_the_creators_view(scene: Scene) -> None:
    plan_id = new_id()
    await scene.publish(scene.event("inspections.plan.submitted.v1", plan_id, scene.submitted_plan(
        plan_id, projects=[scene.project, scene.other_project])))
    async with scene.platform.api(scene.token("chen")) as c:
        link = expect(await c.post(f"{API}/plans/{plan_id}/share-links", json={"expires_in_minutes": 10}), 201)
    async with scene.platform.api() as anonymous:
        r = await anonymous.get(link["url"])
    assert r.status_code == 200
    text = pdftotext(r.content)
    assert "塔吊附着装置螺栓松动" in text and kit.FINDING not in text


# ---- HB-09: the PDF at least as new as the client's last write; HB-03: changed plans -----------------

async def test_hb09_the_pdf_waits_for_min_version_and_says_which_version_it_shows(scene: Scene) -> None:
    """HB-09 (issue 11): right after the final review closed the notice (version 3), the PDF asked
    with ``min_version=3`` answers 409 not-yet-available + Retry-After while the review is still
    on its way, then shows the closing, with ``Anjian-Notice-Version: 3``."""
    plan_id, notice_id, number = new_id(), new_id(), scene.number()
    liu, zhang = scene.person("liu"), scene.person("zhang")
    await scene.publish(scene.event("inspections.plan.submitted.v1", plan_id, scene.submitted_plan(plan_id)))
    await scene.publish(scene.event("notices.notice.issued.v1", notice_id,
                                    scene.notice(notice_id, plan_id, number).model_copy(update={"version": 1})))
    reply1 = new_id()
    await scene.publish(scene.event("notices.reply.submitted.v1", notice_id, kit.reply_submitted(
        notice_id=notice_id, number=number, reply_id=reply1, round=1, replier=liu, reviewer=zhang.user_id,
        photos=[]).model_copy(update={"version": 2})))
    url = f"{API}/notices/{notice_id}/document.pdf"
    async with scene.platform.api(scene.token("wang")) as c:
        r = await c.get(url, params={"min_version": 3})
        assert r.status_code == 409 and r.json()["type"].endswith("/not-yet-available"), r.text
        assert int(r.headers["Retry-After"]) >= 1
        r = await c.get(url, params={"min_version": 2})
        assert r.status_code == 200 and r.headers["Anjian-Notice-Version"] == "2"
        await scene.publish(scene.event("notices.reply.reviewed.v1", notice_id, kit.reply_reviewed(
            notice_id=notice_id, number=number, reply_id=reply1, round=1, passed=True, reviewer=zhang,
            repliers=[liu.user_id], comment="整改到位").model_copy(update={"version": 3})))
        r = await c.get(url, params={"min_version": 3})
    assert r.status_code == 200 and r.headers["Anjian-Notice-Version"] == "3"
    assert "整改流程已于" in pdftotext(r.content)          # the closing, before notice.closed arrived


async def test_hb03_a_changed_plan_notifies_the_new_member_and_withdraws_the_removed_ones(scene: Scene) -> None:
    """HB-03 (issue 11): 张伟 confirms a plan with 李娜, then replaces her by 王强 and
    moves the date: 李娜's notification is withdrawn (and she is told she left), the new member
    gets 站内通知."""
    plan_id = new_id()
    zhang, li, wang = scene.person("zhang"), scene.person("li"), scene.person("wang")
    confirmed = kit.plan_confirmed(plan_id=plan_id, responsible=zhang, supervisors=[zhang, li],
                                   confirmed_by=zhang.user_id, projects=[scene.project])
    await scene.publish(scene.event("inspections.plan.confirmed.v1", plan_id, confirmed))
    assert [n["kind"] for n in await scene.notifications("li") if n["plan_id"] == plan_id] == ["plan_confirmed"]
    changed = PlanChanged(
        plan_id=plan_id, title=confirmed.title, planned_date=confirmed.planned_date + timedelta(days=2),
        previous_planned_date=confirmed.planned_date, project_ids=confirmed.project_ids,
        project_names=confirmed.project_names, responsible_supervisor=zhang, supervisors=[zhang, wang],
        added_user_ids=[wang.user_id], removed_user_ids=[li.user_id], changed_by=zhang.user_id, changed_at=utcnow())
    await scene.publish(scene.event("inspections.plan.changed.v1", plan_id, changed))
    assert [n for n in await scene.notifications("li") if n["plan_id"] == plan_id] == []
    assert any(n["kind"] == "plan_left" and confirmed.title in n["body"] for n in await scene.notifications("li"))
    assert [n["kind"] for n in await scene.notifications("wang") if n["plan_id"] == plan_id] == ["plan_joined"]
