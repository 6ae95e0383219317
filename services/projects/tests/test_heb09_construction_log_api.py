"""Hebei over HTTP on the real platform: hazard sources and the construction log (HEB-09) with
concurrent double posts of one day, the station's missing days, and project managers' on-duty
time from their clock-ins (HEB-16). Needs ``ANJIAN_TEST_SERVICES=identity,projects``."""

from __future__ import annotations

import asyncio
import io
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_asyncio
from PIL import Image

from anjian_local.media import site_photo
from anjian_local.scenario import Place, World, build_world, expect
from anjian_local.testing.fixtures import eventually
from anjian_shared.china_time import china_day

API = "/api/projects/v1/projects"
SHIJIAZHUANG = Place(station="石家庄市建设工程安全监督站", owner="石家庄正定新区开发建设有限公司",
                     contractor="河北建工集团有限责任公司", supervision="河北冀达建设监理有限公司",
                     other_contractor="河北建设集团股份有限公司", project="正定新区某住宅项目",
                     address="石家庄市正定新区崇德街 1 号")
SITE = (114.5690, 38.1470)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def hebei(platform) -> World:  # type: ignore[no-untyped-def]
    """A Hebei world (station, the three parties, another contractor, people, a project)."""
    return await build_world(platform.api, admin_password=platform.admin_password, tenant="hebei",
                             place=SHIJIAZHUANG)


def today() -> Any:
    return china_day(datetime.now(UTC))


def photos(n: int = 1, seed: int = 3) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("photos", (f"site{i}.jpg", site_photo(seed + i), "image/jpeg")) for i in range(n)]


def noisy_png(side: int = 600) -> bytes:
    """A real PNG well over 600 KB (random pixels do not compress)."""
    buf = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buf, "PNG")
    return buf.getvalue()


async def _objects(platform, project_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    storage = platform.app("projects").state.storage

    def _list() -> list[str]:
        prefix = f"hebei/projects/{project_id}/logs/"
        return [o.object_name for o in storage.client.list_objects(storage.bucket, prefix=prefix, recursive=True)]

    return await asyncio.to_thread(_list)


async def _outbox_types(platform, project_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    rows = await platform.app("projects").state.mongo.db["outbox"].find(
        {"event.subject": project_id, "type": {"$regex": r"^projects\.(hazard_source|construction_log)\."}}
    ).sort("created_at", 1).to_list()
    return [r["type"] for r in rows]


async def test_heb09_sources_logs_races_and_missing_days_over_http(platform, hebei):
    """HEB-09: the contractor declares a source open since 5 days ago; two posts of the same day
    fired together end in exactly one 201 and one 409 ``construction-log-exists`` (four days in a
    row), the loser's photo is not left in S3; the station's missing days are the two days left;
    refusals by role, company, date, size; closing emits its event."""
    w, pid, t = hebei, hebei.project_id, today()
    body = {"kind": "foundation_pit", "category": "general", "name": "1#楼基坑开挖",
            "start_date": (t - timedelta(days=5)).isoformat(), "planned_end_date": (t + timedelta(days=30)).isoformat()}
    async with platform.api(w.token("zhang")) as c:
        assert expect(await c.post(f"{API}/{pid}/hazard-sources", json=body), 403)
    async with platform.api(w.token("chen")) as c:
        expect(await c.post(f"{API}/{pid}/hazard-sources", json=body), 404)
    async with platform.api(w.token("liu")) as c:
        major = expect(await c.post(f"{API}/{pid}/hazard-sources", json={**body, "category": "major"}), 422)
        assert major["field"] == "expert_reviewed"

        async def declared() -> dict[str, Any]:  # the project's people reach projects by events
            r = await c.post(f"{API}/{pid}/hazard-sources", json=body)
            assert r.status_code == 201, r.text
            return r.json()

        source = await eventually(declared, timeout=30)
        assert source["status"] == "open" and source["kind_name"] == "基坑工程"

        for back in range(4):  # concurrent double posts of one day: one 201, one 409
            day = (t - timedelta(days=back)).isoformat()
            r1, r2 = await asyncio.gather(
                c.post(f"{API}/{pid}/construction-logs", data={"log_date": day, "text": "土方开挖"},
                       files=photos(1, seed=10 + back)),
                c.post(f"{API}/{pid}/construction-logs", data={"log_date": day, "text": "土方开挖（重复）"},
                       files=photos(1, seed=20 + back)))
            assert sorted((r1.status_code, r2.status_code)) == [201, 409], (r1.text, r2.text)
            lost = r1 if r1.status_code == 409 else r2
            assert lost.json()["code"] == "construction-log-exists" and lost.json()["field"] == "log_date"
        assert len(await _objects(platform, pid)) == 4   # one photo per filed log, none of the losers'

        future = expect(await c.post(f"{API}/{pid}/construction-logs", files=photos(), data={
            "log_date": (t + timedelta(days=1)).isoformat(), "text": "明天"}), 422)
        assert (future["field"], future["code"]) == ("log_date", "log-date-future")
        before = expect(await c.post(f"{API}/{pid}/construction-logs", files=photos(), data={
            "log_date": (t - timedelta(days=6)).isoformat(), "text": "开工前"}), 422)
        assert before["code"] == "no-open-hazard-source"
        big = expect(await c.post(f"{API}/{pid}/construction-logs", data={
            "log_date": (t - timedelta(days=5)).isoformat(), "text": "大照片"},
            files=[("photos", ("big.png", noisy_png(), "image/png"))]), 413)
        assert big["field"] == "photos"   # Hebei: 600 KB per photo
        assert len(await _objects(platform, pid)) == 4

        logs = expect(await c.get(f"{API}/{pid}/construction-logs"), 200)["items"]
        assert [x["log_date"] for x in logs] == [(t - timedelta(days=b)).isoformat() for b in range(4)]
        one = expect(await c.get(f"{API}/{pid}/construction-logs/{logs[0]['id']}"), 200)
        async with platform.api() as raw:
            assert (await raw.get(one["photos"][0]["url"])).status_code == 200

    expected = [(t - timedelta(days=5)).isoformat(), (t - timedelta(days=4)).isoformat()]
    for person in ("zhang", "liu"):
        async with platform.api(w.token(person)) as c:
            gaps = expect(await c.get(f"{API}/{pid}/construction-logs/missing-days"), 200)
            assert [g["day"] for g in gaps["items"]] == expected and gaps["items"][0]["open_source_ids"] == [
                source["id"]]
    async with platform.api(w.token("zhao")) as c:   # the supervision company sees the project, not the list
        expect(await c.get(f"{API}/{pid}/construction-logs/missing-days"), 403)
    async with platform.api(w.token("chen")) as c:
        expect(await c.get(f"{API}/{pid}/construction-logs/missing-days"), 404)
        expect(await c.get(f"{API}/{pid}/construction-logs/{logs[0]['id']}"), 404)

    async with platform.api(w.token("liu")) as c:
        closed = expect(await c.post(f"{API}/{pid}/hazard-sources/{source['id']}/close",
                                     json={"actual_end_date": t.isoformat()}), 200)
        assert closed["status"] == "closed"
        again = expect(await c.post(f"{API}/{pid}/hazard-sources/{source['id']}/close",
                                    json={"actual_end_date": t.isoformat()}), 409)
        assert again["code"] == "hazard-source-closed"
    types = await _outbox_types(platform, pid)
    assert types.count("projects.construction_log.filed.v1") == 4
    assert types[0] == "projects.hazard_source.declared.v1" and types[-1] == "projects.hazard_source.closed.v1"


async def test_heb16_on_duty_time_from_clock_ins_over_http(platform, hebei):
    """HEB-16: the station positions the project, the project manager clocks in twice on site;
    the station sees his day with one stay and both clock-ins, he sees his own, the
    supervision company is refused 403 and another contractor 404; bad periods 422."""
    w, pid, t = hebei, hebei.project_id, today()
    async with platform.api(w.token("zhang")) as c:
        expect(await c.put(f"{API}/{pid}/positioning", files=[("cover_photo", ("s.jpg", site_photo(2), "image/jpeg"))],
                           data={"longitude": str(SITE[0]), "latitude": str(SITE[1]), "address": "正定新区崇德街 1 号",
                                 "captured_at": datetime.now(UTC).isoformat()}), 200)
    async with platform.api(w.token("liu")) as c:
        for lon in (SITE[0], SITE[0] + 0.0001):   # ~9 m apart: both on site
            expect(await c.post(f"{API}/{pid}/clock-ins", json={"longitude": lon, "latitude": SITE[1]}), 201)
    period = {"date_from": (t - timedelta(days=1)).isoformat(), "date_to": t.isoformat()}
    async with platform.api(w.token("zhang")) as c:
        page = expect(await c.get(f"{API}/{pid}/duty-time", params=period), 200)
        assert page["site_radius_m"] == 500
        rows = {(r["day"], r["user_id"]): r for r in page["items"]}
        mine = rows[(t.isoformat(), w.people["liu"].user_id)]
        assert (mine["clock_ins"], mine["stays"], mine["incomplete"]) == (2, 1, False)
        assert mine["on_site_minutes"] >= 0 and mine["first_on_site_at"] <= mine["last_on_site_at"]
        assert rows[((t - timedelta(days=1)).isoformat(), w.people["liu"].user_id)]["clock_ins"] == 0
        bad = expect(await c.get(f"{API}/{pid}/duty-time", params={"date_from": t.isoformat(),
                                                                     "date_to": (t - timedelta(days=1)).isoformat()}),
                     422)
        assert bad["field"] == "date_to"
        expect(await c.get(f"{API}/{pid}/duty-time"), 422)
    async with platform.api(w.token("liu")) as c:
        own = expect(await c.get(f"{API}/{pid}/duty-time", params=period), 200)["items"]
        assert {r["user_id"] for r in own} == {w.people["liu"].user_id}
    async with platform.api(w.token("zhao")) as c:
        expect(await c.get(f"{API}/{pid}/duty-time", params=period), 403)
    async with platform.api(w.token("chen")) as c:
        expect(await c.get(f"{API}/{pid}/duty-time", params=period), 404)
