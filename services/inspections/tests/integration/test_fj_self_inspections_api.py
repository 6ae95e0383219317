"""Fujian self-inspections (监理单位自查, FJ-04..FJ-11) over HTTP on the real platform (RabbitMQ,
SecantusDB, rclone S3): one inspection from check-in to the accepted feedback, and the refused
paths (wrong person, other company, reused/expired/foreign QR tokens, concurrent joins,
incomplete checklist, missing photo, notice rules, feedback rules), the stations' overview.

The Fujian project reaches inspections as the projects service publishes it
(``projects.project.updated.v1`` with ``assessable``, ``platform_code`` and the supervision
staff's ``project_role``s, H5's contract) and its position as ``projects.project.positioned.v1``;
the test publishes those two events on the real broker, standing in for the projects service,
with people the province admin created in identity.

Run: ``ANJIAN_TEST_SERVICES=identity,inspections .venv/bin/python -m pytest -q
services/inspections/tests/integration/test_fj_self_inspections_api.py``
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from typing import Any

import pytest_asyncio
from inspections_testkit import API, EventCapture, image_bytes

from anjian_local.scenario import PASSWORD, World, build_world, expect
from anjian_local.testing.fixtures import eventually
from anjian_shared.china_time import china_day
from anjian_shared.events import CloudEvent
from anjian_shared.types import utcnow

TENANT = "fujian"
MAJOR_POINT = "JGJ59-A.0.3-03"   # 架体与建筑结构拉结; the province makes it cite ZD2024-7.2 below
FIRE_POINT = "JGJ59-A.0.2-06"    # 现场防火


async def _user(c: Any, world: World, key: str, name: str, org_id: str, roles: list[str]) -> None:
    username = f"{key}.{world.station_id[:6]}"
    body = {"org_id": org_id, "username": username, "display_name": name, "password": PASSWORD, "roles": roles}
    user = expect(await c.post("/api/identity/v1/users", json=body), 201)
    from anjian_local.scenario import Person
    world.people[key] = Person(user["id"], username, name, org_id)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def fj(platform) -> World:  # type: ignore[no-untyped-def]
    """A Fujian world: station, supervision company with chief, site supervisor, feedback person,
    a colleague, and a second supervision company; one assessable project, positioned."""
    w = await build_world(platform.api, admin_password=platform.admin_password, tenant=TENANT,
                          register_project=False)
    admin = await platform.admin_token(TENANT)
    async with platform.api(admin) as c:
        other = expect(await c.post("/api/identity/v1/organizations", json={
            "name": f"福建另一监理有限公司{w.station_id[:6]}", "kind": "company", "company_roles": ["supervision"]}),
            201)["id"]
        for key, name, org in (("chief", "林总监", w.supervision_id), ("site", "陈监理员", w.supervision_id),
                               ("fb", "黄反馈", w.supervision_id), ("mate", "吴同事", w.supervision_id),
                               ("mate2", "郑同事", w.supervision_id), ("outsider", "外单位", other)):
            await _user(c, w, key, name, org, ["company_staff"])
        await _user(c, w, "jladmin", "监理管理员", w.supervision_id, ["company_admin"])
    for p in w.people.values():
        p.token = await platform.sign_in(TENANT, p.username, PASSWORD)
    w.project_id = "fj-" + secrets.token_hex(6)
    await publish_project(platform, w, w.project_id)
    await platform.publish(CloudEvent(
        type="projects.project.positioned.v1", source=f"/{TENANT}/projects", subject=w.project_id, tenant=TENANT,
        data={"project_id": w.project_id, "positioning_id": "pos-1", "longitude": 119.30, "latitude": 26.08,
              "address": "福州市长乐区", "captured_at": utcnow().isoformat(), "positioned_at": utcnow().isoformat(),
              "cover_photo": {"bucket": "b", "key": "k", "content_type": "image/jpeg", "size": 1},
              "positioned_by": {"user_id": w.people["zhang"].user_id, "name": "张伟"}}).model_dump(mode="json"))
    # the province makes the scaffold point cite the 2024 major-hazard item (tenant-editable catalog)
    async with platform.api(admin) as c:
        expect(await c.patch(f"{API}/check-points/{MAJOR_POINT}", json={"hazard_codes": ["ZD2024-7.2"]}), 200)
    return w


async def publish_project(platform: Any, w: World, pid: str, *, assessable: bool = True, version: int = 1) -> None:
    people = w.people
    snapshot = {
        "project_id": pid, "code": "350100", "name": f"福州滨海新城{pid[-4:]}", "address": "福州市长乐区",
        "station_org_id": w.station_id, "owner_org_id": w.owner_id, "contractor_org_id": w.contractor_id,
        "supervision_org_id": w.supervision_id, "supervisor_user_ids": [people["zhang"].user_id],
        "platform_code": f"FJ-{pid}", "assessable": assessable, "version": version,
        "participants": [
            {"user_id": people["chief"].user_id, "org_id": w.supervision_id, "name": "林总监",
             "project_role": "chief_supervising_engineer"},
            {"user_id": people["site"].user_id, "org_id": w.supervision_id, "name": "陈监理员",
             "project_role": "site_supervisor"},
            {"user_id": people["fb"].user_id, "org_id": w.supervision_id, "name": "黄反馈",
             "project_role": "feedback_person"}]}
    await platform.publish(CloudEvent(type="projects.project.updated.v1", source=f"/{TENANT}/projects", subject=pid,
                                      tenant=TENANT, data=snapshot).model_dump(mode="json"))

    async def known() -> bool:
        async with platform.api(w.token("zhang")) as c:
            r = await c.get(f"{API}/projects", params={"limit": 100})
        return pid in [p["project_id"] for p in r.json()["items"]]

    await eventually(known, timeout=30)


async def new_inspection(platform: Any, w: World, who: str = "chief", *, check_in: bool = True) -> dict[str, Any]:
    async with platform.api(w.token(who)) as c:
        doc = expect(await c.post(f"{API}/self-inspections", json={"project_id": w.project_id}), 201)
        if check_in:
            doc = expect(await c.post(f"{API}/self-inspections/{doc['id']}/check-in", json={
                "longitude": 119.301, "latitude": 26.08, "captured_at": utcnow().isoformat()}), 200)
    return doc


def png(seed: int = 0) -> tuple[str, tuple[str, bytes, str]]:
    return ("photos", (f"p{seed}.png", image_bytes("PNG", color=(seed * 40 % 255, 80, 20)), "image/png"))


async def answer(platform: Any, w: World, iid: str, code: str, value: str, who: str = "chief",
                 description: str | None = None, photos: int = 0) -> Any:
    data = {"value": value, **({"description": description} if description else {})}
    async with platform.api(w.token(who)) as c:
        return await c.put(f"{API}/self-inspections/{iid}/points/{code}", data=data,
                           files=[png(i) for i in range(photos)] or None)


async def answer_all(platform: Any, w: World, iid: str, *, problems: bool = True) -> None:
    async with platform.api(w.token("chief")) as c:
        points = expect(await c.get(f"{API}/self-inspections/{iid}/points"), 200)["items"]
    for p in points:
        if problems and p["code"] in (MAJOR_POINT, FIRE_POINT):
            expect(await answer(platform, w, iid, p["code"], "no", description=f"{p['text']}不符合要求", photos=1),
                   200)
        else:
            expect(await answer(platform, w, iid, p["code"], "yes" if p["code"][-1] in "02468" else "not_checked"),
                   200)


# --- the whole flow ---------------------------------------------------------------------------------

async def test_fj04_to_fj11_one_inspection_from_check_in_to_accepted_feedback(platform, fj):
    """FJ-04 check-in with distance; FJ-05 companion by QR (PNG); FJ-06 two "no" points with photos;
    FJ-08 complete; FJ-09 notice with stop-work opinion; FJ-11 feedback sent back then accepted;
    FJ-10 timeline; events published for each state change."""
    types = [f"inspections.self_inspection.{t}.v1" for t in (
        "created", "checked_in", "companion_joined", "completed", "notice_issued", "feedback_sent",
        "feedback_reviewed", "closed")]
    async with EventCapture(platform.infra.amqp_url, types) as events:
        doc = await new_inspection(platform, fj)
        iid = doc["id"]
        assert doc["status"] == "in_progress" and 80 < doc["check_in"]["distance_m"] < 110
        async with platform.api(fj.token("chief")) as c:
            code = expect(await c.post(f"{API}/self-inspections/{iid}/companion-codes"), 201)
            qr = await c.get(f"{API}/self-inspections/{iid}/companion-codes/qr.png", params={"token": code["token"]})
            assert qr.status_code == 200 and qr.headers["content-type"] == "image/png"
            assert qr.content.startswith(b"\x89PNG")
        async with platform.api(fj.token("mate")) as c:
            joined = expect(await c.post(f"{API}/self-inspections/companions", json={"token": code["token"]}), 200)
        assert [p["name"] for p in joined["companions"]] == ["吴同事"]
        await answer_all(platform, fj, iid)
        async with platform.api(fj.token("chief")) as c:
            pts = expect(await c.get(f"{API}/self-inspections/{iid}/points", params={"filled": "unanswered"}), 200)
            assert pts["items"] == [] and pts["progress"]["no"] == 2 and pts["progress"]["major_hazards"] == 1
            expect(await c.post(f"{API}/self-inspections/{iid}/complete", json={"confirm": True}), 200)
            deadline = (china_day(utcnow()) + timedelta(days=7)).isoformat()
            r = await c.post(f"{API}/self-inspections/{iid}/notice", json={
                "feedback_user_id": fj.people["fb"].user_id, "opinion": "限期整改", "deadline": deadline})
            assert r.status_code == 422 and r.json()["code"] == "stop-work-required"
            issued = expect(await c.post(f"{API}/self-inspections/{iid}/notice", json={
                "feedback_user_id": fj.people["fb"].user_id, "opinion": "立即停工整改：补设连墙件，更换灭火器。",
                "deadline": deadline}), 200)
        assert issued["status"] == "rectifying" and issued["notice"]["feedback_person"]["name"] == "黄反馈"
        async with platform.api(fj.token("fb")) as c:
            todo = expect(await c.get(f"{API}/rectifications"), 200)["items"]
            assert iid in [d["id"] for d in todo]
            first = expect(await c.post(f"{API}/self-inspections/{iid}/feedback", data={"text": "已整改"},
                                        files=[png(1)]), 201)
        async with platform.api(fj.token("chief")) as c:
            expect(await c.post(f"{API}/self-inspections/{iid}/feedback/{first['id']}/review",
                                json={"decision": "reject", "comment": "照片看不清连墙件"}), 200)
        async with platform.api(fj.token("fb")) as c:
            second = expect(await c.post(
                f"{API}/self-inspections/{iid}/feedback", data={"text": "已补设连墙件，附验收记录"},
                files=[png(2), ("attachments", ("验收记录.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"
                                                                 b"trailer<<>>\n%%EOF\n", "application/pdf"))]),
                201)
            assert len(second["attachments"]) == 1
        async with platform.api(fj.token("chief")) as c:
            expect(await c.post(f"{API}/self-inspections/{iid}/feedback/{second['id']}/review",
                                json={"decision": "approve"}), 200)
            timeline = expect(await c.get(f"{API}/self-inspections/{iid}/timeline"), 200)
        assert [e["action"] for e in timeline] == [
            "created", "checked_in", "companion_joined", "completed", "notice_issued", "feedback_sent",
            "feedback_returned", "feedback_sent", "feedback_accepted", "closed"]
        assert timeline[2]["by"]["name"] == "吴同事"
        closed = await events.wait_for("inspections.self_inspection.closed.v1", iid)
        assert closed["data"]["reason"] == "feedback_accepted" and closed["tenant"] == TENANT
        for t in types:
            await events.wait_for(t, iid)


async def test_fj09_no_problem_found_closes_on_issue(platform, fj):
    """FJ-09: without problems only the feedback person is chosen; the inspection closes itself."""
    doc = await new_inspection(platform, fj)
    await answer_all(platform, fj, doc["id"], problems=False)
    async with platform.api(fj.token("chief")) as c:
        expect(await c.post(f"{API}/self-inspections/{doc['id']}/complete", json={"confirm": True}), 200)
        r = await c.post(f"{API}/self-inspections/{doc['id']}/notice", json={"feedback_user_id": ""})
        assert r.status_code == 422 and r.json()["code"] == "feedback-person-required"
        r = await c.post(f"{API}/self-inspections/{doc['id']}/notice",
                         json={"feedback_user_id": fj.people["site"].user_id})
        assert r.status_code == 422 and r.json()["code"] == "not-feedback-person"
        done = expect(await c.post(f"{API}/self-inspections/{doc['id']}/notice",
                                   json={"feedback_user_id": fj.people["fb"].user_id}), 200)
    assert done["status"] == "closed" and done["timeline"][-1]["action"] == "closed"


# --- refused paths ------------------------------------------------------------------------------------

async def test_fj04_who_may_not_start_an_inspection(platform, fj):
    """FJ-04: a colleague not on the project 403; another company 404; a station supervisor 404;
    a project no longer assessable 409; an unknown project 409 retryable."""
    async with platform.api(fj.token("mate")) as c:
        r = await c.post(f"{API}/self-inspections", json={"project_id": fj.project_id})
        assert r.status_code == 403 and r.json()["code"] == "not-project-inspector"
    for who in ("outsider", "zhang"):
        async with platform.api(fj.token(who)) as c:
            assert (await c.post(f"{API}/self-inspections", json={"project_id": fj.project_id})).status_code == 404
    old = "fj-" + secrets.token_hex(6)
    await publish_project(platform, fj, old, assessable=False)
    async with platform.api(fj.token("chief")) as c:
        r = await c.post(f"{API}/self-inspections", json={"project_id": old})
        assert r.status_code == 409 and r.json()["code"] == "project-not-assessable-for-inspection"
        r = await c.post(f"{API}/self-inspections", json={"project_id": "fj-never"})
        assert r.status_code == 409 and r.json()["code"] == "not-yet-available" and "retry-after" in r.headers


async def test_fj05_tokens_refused_distinctly_and_single_use_under_concurrency(platform, fj):
    """FJ-05: other company 403; reused 409; forged 422; two concurrent joins with one token: one wins."""
    doc = await new_inspection(platform, fj)
    async with platform.api(fj.token("chief")) as c:
        code = expect(await c.post(f"{API}/self-inspections/{doc['id']}/companion-codes"), 201)
    async with platform.api(fj.token("outsider")) as c:
        r = await c.post(f"{API}/self-inspections/companions", json={"token": code["token"]})
        assert r.status_code == 403 and r.json()["code"] == "companion-other-company"
        r = await c.post(f"{API}/self-inspections/companions", json={"token": code["token"][:-2] + "xx"})
        assert r.status_code == 422 and r.json()["code"] == "companion-token-invalid"

    async def join(who: str) -> int:
        async with platform.api(fj.token(who)) as c:
            return (await c.post(f"{API}/self-inspections/companions", json={"token": code["token"]})).status_code

    assert sorted(await asyncio.gather(join("mate"), join("mate2"))) == [200, 409]
    async with platform.api(fj.token("site")) as c:
        r = await c.post(f"{API}/self-inspections/companions", json={"token": code["token"]})
        assert r.status_code == 409 and r.json()["code"] == "companion-token-used"
    async with platform.api(fj.token("mate")) as c:  # only the inspector shows QR codes
        assert (await c.post(f"{API}/self-inspections/{doc['id']}/companion-codes")).status_code in (403, 404)


async def test_fj06_fj08_checklist_refusals(platform, fj):
    """FJ-06: "no" without photo 422 photos; FJ-08: completing with unanswered points 409 listing them,
    without confirmation 422; FJ-07: the draft is listed under 检查填报."""
    doc = await new_inspection(platform, fj)
    iid = doc["id"]
    r = await answer(platform, fj, iid, FIRE_POINT, "no", description="灭火器过期")
    assert r.status_code == 422 and r.json()["code"] == "photo-required"
    r = await answer(platform, fj, iid, FIRE_POINT, "no", photos=1)
    assert r.status_code == 422 and r.json()["code"] == "description-required"
    async with platform.api(fj.token("chief")) as c:
        r = await c.post(f"{API}/self-inspections/{iid}/complete", json={"confirm": True})
        assert r.status_code == 409 and r.json()["code"] == "checklist-incomplete" and FIRE_POINT in r.text
        r = await c.post(f"{API}/self-inspections/{iid}/complete", json={"confirm": False})
        assert r.status_code == 422
        drafts = expect(await c.get(f"{API}/self-inspections", params={"drafts": "true", "limit": 100}), 200)
        assert iid in [d["id"] for d in drafts["items"]]
    async with platform.api(fj.token("outsider")) as c:
        assert (await c.get(f"{API}/self-inspections/{iid}")).status_code == 404


async def test_fj_station_overview_lists_projects_without_self_inspection(platform, fj):
    """Stations: counts per company and project; a project without a self-inspection is listed (五个一)."""
    idle = "fj-" + secrets.token_hex(6)
    await publish_project(platform, fj, idle)
    async with platform.api(fj.token("wang")) as c:
        view = expect(await c.get(f"{API}/self-inspection-overview"), 200)
    assert idle in [p["project_id"] for p in view["projects_without_inspection"]]
    assert view["period_days"] == 30
    async with platform.api(fj.token("chief")) as c:
        assert (await c.get(f"{API}/self-inspection-overview")).status_code == 403


async def test_fj06_check_points_are_tenant_editable(platform, fj):
    """FJ-06: seeded from JGJ 59-2011 (labelled), the province admin adds a point; others 403."""
    admin = await platform.admin_token(TENANT)
    async with platform.api(fj.token("chief")) as c:
        page = expect(await c.get(f"{API}/check-points", params={"q": "现场防火"}), 200)
        assert page["items"][0]["source"] == "JGJ59-2011"
        r = await c.post(f"{API}/check-points", json={"text": "自定义要点"})
        assert r.status_code == 403
    async with platform.api(admin) as c:
        made = expect(await c.post(f"{API}/check-points", json={
            "code": f"FJ-{secrets.token_hex(3)}", "text": "深基坑监测", "hazard_codes": ["ZD2024-5.4"]}), 201)
        assert made["major"] is True
        r = await c.post(f"{API}/check-points", json={"text": "x", "hazard_codes": ["NOPE-1"]})
        assert r.status_code == 422
        expect(await c.delete(f"{API}/check-points/{made['code']}"), 204)

