"""Hainan flows in projects: project positioning (工程定位, HN-03) and key-personnel
attendance (关键岗位人员到岗监督, HN-11), over HTTP on the real platform, plus the pure
attendance and distance rules with fixed times."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from PIL import Image

from anjian_local.media import site_photo
from anjian_local.scenario import build_world, expect
from anjian_shared.problems import Unprocessable
from projects.domain import attendance as rules
from projects.domain.positioning import haversine_m, validate_captured_at

API = "/api/projects/v1/projects"
HAIKOU = (110.3312, 20.0311)
"""A point in Haikou (WGS-84 decimal degrees: longitude, latitude)."""
METRES_PER_DEGREE_LAT = 6_371_008.8 * 3.141592653589793 / 180


def _png_photo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 200)).save(buf, "PNG")
    return buf.getvalue()


def _form(**over: Any) -> dict[str, Any]:
    data = {"longitude": str(HAIKOU[0]), "latitude": str(HAIKOU[1]), "address": "海口市美兰区国兴大道 5 号",
            "captured_at": datetime.now(UTC).astimezone().isoformat()}
    data.update({k: v for k, v in over.items() if v is not None})
    for k, v in over.items():
        if v is None:
            data.pop(k, None)
    return data


def _photo_files(data: bytes | None = None, name: str = "site.jpg", ctype: str = "image/jpeg",
                 ) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("cover_photo", (name, data if data is not None else site_photo(3), ctype))]


async def _position(platform, token: str, project_id: str, *, data: dict[str, Any] | None = None,
                    files: Any = None) -> httpx.Response:
    async with platform.api(token) as c:
        return await c.put(f"{API}/{project_id}/positioning", data=data or _form(),
                           files=files if files is not None else _photo_files())


async def _new_project(platform, world, name: str, participants: list[tuple[str, str]] | None = None
                       ) -> dict[str, Any]:
    """A fresh project of the world's station (so each test has its own history and clock-ins)."""
    if participants is None:
        participants = [("liu", "project_manager"), ("zhao", "chief_supervising_engineer")]
    body = {"name": name, "address": "海口市美兰区", "owner_org_id": world.owner_id,
            "contractor_org_id": world.contractor_id, "supervision_org_id": world.supervision_id,
            "supervisor_user_ids": [world.people["zhang"].user_id],
            "participants": [{"user_id": world.people[k].user_id, "project_role": r} for k, r in participants]}
    async with platform.api(world.token("zhang")) as c:
        return expect(await c.post(API, json=body), 201)


async def _outbox(platform, type_: str, subject: str) -> list[dict[str, Any]]:
    db = platform.app("projects").state.mongo.db
    rows = await db["outbox"].find({"type": type_, "event.subject": subject}).sort("created_at", 1).to_list()
    return [r["event"] for r in rows]


async def _stored_objects(platform, tenant: str, project_id: str) -> list[str]:
    storage = platform.app("projects").state.storage

    def _list() -> list[str]:
        prefix = f"{tenant}/projects/{project_id}/"
        return [o.object_name for o in storage.client.list_objects(storage.bucket, prefix=prefix, recursive=True)]

    return await asyncio.to_thread(_list)


async def _history(platform, world, project_id: str) -> dict[str, Any]:
    async with platform.api(world.token("zhang")) as c:
        return expect(await c.get(f"{API}/{project_id}/positioning"), 200)


# ---------------------------------------------------------------- HN-03 positioning

async def test_supervisor_positions_project_and_resubmission_keeps_history(platform, world):
    project = await _new_project(platform, world, "海口江东新区起步区 A1")
    pid = project["id"]
    assert expect(await _position(platform, world.token("zhang"), pid, files=[]), 422)["field"] == "cover_photo"
    empty = await _history(platform, world, pid)
    assert empty["current"] is None and empty["history"] == []

    photo1 = site_photo(11)
    first = expect(await _position(platform, world.token("zhang"), pid, files=_photo_files(photo1)), 200)
    assert first["positioned_by"]["user_id"] == world.people["zhang"].user_id
    assert (first["longitude"], first["latitude"]) == HAIKOU
    assert first["cover_photo"]["content_type"] == "image/jpeg" and first["cover_photo"]["size"] == len(photo1)

    # the station leader resubmits: the position is updated, the first one stays in the history
    photo2 = _png_photo()
    second = expect(await _position(
        platform, world.token("wang"), pid,
        data=_form(longitude="110.3400", latitude="20.0400", address="海口市江东大道"),
        files=_photo_files(photo2, "site.png", "image/png")), 200)
    view = await _history(platform, world, pid)
    assert view["current"]["id"] == second["id"]
    assert [h["id"] for h in view["history"]] == [second["id"], first["id"]]
    assert view["current"]["address"] == "海口市江东大道" and view["current"]["longitude"] == 110.34
    assert view["history"][1]["positioned_by"]["user_id"] == world.people["zhang"].user_id
    async with platform.api() as raw:  # the presigned URLs (gateway origin, /media/…) really serve the photos
        assert (await raw.get(view["history"][0]["cover_photo"]["url"])).content == photo2
        assert (await raw.get(view["history"][1]["cover_photo"]["url"])).content == photo1

    # a participant (company user) reads the position; the project shows it and the list filters by it
    async with platform.api(world.token("liu")) as c:
        assert expect(await c.get(f"{API}/{pid}/positioning"), 200)["current"]["id"] == second["id"]
        read = expect(await c.get(f"{API}/{pid}"), 200)
        assert read["positioning"]["positioning_id"] == second["id"]
        assert read["positioning"]["positioned_by"]["user_id"] == world.people["wang"].user_id
    async with platform.api(world.token("zhang")) as c:
        hit = expect(await c.get(API, params={"q": "江东新区起步区 A1", "positioned": "true"}), 200)
        assert [p["id"] for p in hit["items"]] == [pid]
        miss = expect(await c.get(API, params={"q": "江东新区起步区 A1", "positioned": "false"}), 200)
        assert miss["items"] == []
        unpositioned = expect(await c.get(API, params={"positioned": "false", "limit": 100}), 200)
        assert world.project_id in [p["id"] for p in unpositioned["items"]]
        assert pid not in [p["id"] for p in unpositioned["items"]]

    events = await _outbox(platform, "projects.project.positioned.v1", pid)
    assert [e["data"]["positioning_id"] for e in events] == [first["id"], second["id"]]
    data = events[1]["data"]
    assert data["project_id"] == pid and data["address"] == "海口市江东大道"
    assert (data["longitude"], data["latitude"]) == (110.34, 20.04)
    assert data["positioned_by"] == {"user_id": world.people["wang"].user_id, "name": world.people["wang"].name}
    assert data["cover_photo"]["content_type"] == "image/png" and data["cover_photo"]["size"] == len(photo2)
    assert len(await _stored_objects(platform, "hubei", pid)) == 2


async def test_company_user_cannot_position(platform, world):
    pid = world.project_id
    before = await _history(platform, world, pid)
    for who in ("liu", "zhao"):  # participants of the contractor and the supervision company
        r = await _position(platform, world.token(who), pid)
        assert r.status_code == 403, r.text
    # 403 comes before the body is even looked at
    assert (await _position(platform, world.token("liu"), pid, data=_form(longitude="200"))).status_code == 403
    after = await _history(platform, world, pid)
    assert [h["id"] for h in after["history"]] == [h["id"] for h in before["history"]]
    assert await _stored_objects(platform, "hubei", pid) == []


async def test_other_company_and_other_tenant_get_404(platform, world):
    pid = world.project_id
    hainan_admin = await platform.admin_token("hainan")
    for token in (world.token("chen"), hainan_admin):
        assert (await _position(platform, token, pid)).status_code == 404
        async with platform.api(token) as c:
            assert (await c.get(f"{API}/{pid}/positioning")).status_code == 404
    async with platform.api(world.token("zhang")) as c:
        assert (await c.get(f"{API}/{'0' * 32}/positioning")).status_code == 404
    assert (await _position(platform, world.token("zhang"), "0" * 32)).status_code == 404


async def test_invalid_fields_are_422_naming_the_field(platform, world):
    project = await _new_project(platform, world, "海口美安科技新城 B2")
    pid, zhang = project["id"], world.token("zhang")
    cases = [
        (_form(longitude="200"), "longitude"),
        (_form(longitude="nan"), "longitude"),
        (_form(latitude="-90.5"), "latitude"),
        (_form(address=None), "address"),
        (_form(address="海" * 201), "address"),
        (_form(captured_at="2026-11-21T09:30:00"), "captured_at"),  # no offset
        (_form(captured_at=(datetime.now(UTC) + timedelta(minutes=10)).isoformat()), "captured_at"),
        (_form(captured_at="yesterday"), "captured_at"),
    ]
    for data, field in cases:
        r = await _position(platform, zhang, pid, data=data)
        assert r.status_code == 422 and r.json()["field"] == field, (data, r.text)
    two = _photo_files() + _photo_files(site_photo(4))
    r = await _position(platform, zhang, pid, files=two)
    assert r.status_code == 422 and r.json()["field"] == "cover_photo", r.text
    # a device clock a little ahead (within 5 minutes) is accepted
    ahead = (datetime.now(UTC) + timedelta(minutes=2)).astimezone().isoformat()
    expect(await _position(platform, zhang, pid, data=_form(captured_at=ahead)), 200)
    assert len((await _history(platform, world, pid))["history"]) == 1
    assert len(await _stored_objects(platform, "hubei", pid)) == 1  # refused requests left no photo behind


async def test_cover_photo_not_an_image_is_415(platform, world):
    project = await _new_project(platform, world, "三亚崖州湾科技城 C3")
    pid = project["id"]
    r = await _position(platform, world.token("zhang"), pid,
                        files=_photo_files(b"%PDF-1.4 not a photo", "site.jpg", "image/jpeg"))
    assert r.status_code == 415 and r.json()["field"] == "cover_photo", r.text
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    r = await _position(platform, world.token("zhang"), pid, files=_photo_files(gif.getvalue(), "a.gif", "image/gif"))
    assert r.status_code == 415 and r.json()["field"] == "cover_photo", r.text
    assert (await _history(platform, world, pid))["history"] == []
    assert await _stored_objects(platform, "hubei", pid) == []
    assert await _outbox(platform, "projects.project.positioned.v1", pid) == []


async def test_issue_11_cover_photo_decompression_bomb_is_413_naming_cover_photo(platform, world):
    """Issue 11: a 13000×13000 PNG of ~20 KB is refused (413 ``image-too-large``), not a 500."""
    from anjian_shared.testing.media import huge_png

    pid = (await _new_project(platform, world, "文昌航天城 F6"))["id"]
    r = await _position(platform, world.token("zhang"), pid, files=_photo_files(huge_png(), "b.png", "image/png"))
    assert r.status_code == 413 and r.json()["field"] == "cover_photo", r.text
    assert r.json()["type"].endswith("image-too-large")
    assert await _stored_objects(platform, "hubei", pid) == []


async def test_cover_photo_too_large_is_413(platform, world):
    project = await _new_project(platform, world, "儋州洋浦港区 D4")
    pid = project["id"]
    photo = site_photo(7)
    settings = platform.app("projects").state.settings
    settings.positioning_photo_max_bytes_per_tenant["hubei"] = len(photo) - 1
    try:
        r = await _position(platform, world.token("zhang"), pid, files=_photo_files(photo))
    finally:
        settings.positioning_photo_max_bytes_per_tenant.pop("hubei", None)
    assert r.status_code == 413 and r.json()["field"] == "cover_photo", r.text
    assert (await _history(platform, world, pid))["history"] == []
    assert await _stored_objects(platform, "hubei", pid) == []
    expect(await _position(platform, world.token("zhang"), pid, files=_photo_files(photo)), 200)


async def test_features_switched_off_for_a_tenant_are_403(platform, world):
    settings = platform.app("projects").state.settings
    saved = (list(settings.positioning_tenants), list(settings.attendance_tenants))
    settings.positioning_tenants = [t for t in saved[0] if t != "hubei"]
    settings.attendance_tenants = [t for t in saved[1] if t != "hubei"]
    try:
        r = await _position(platform, world.token("zhang"), world.project_id)
        async with platform.api(world.token("liu")) as c:
            clock = await c.post(f"{API}/{world.project_id}/clock-ins", json={"longitude": 110.0, "latitude": 20.0})
        async with platform.api(world.token("zhang")) as c:
            check = await c.get(f"{API}/{world.project_id}/attendance-checks")
    finally:
        settings.positioning_tenants, settings.attendance_tenants = saved
    for resp in (r, clock, check):
        assert resp.status_code == 403 and resp.json()["type"].endswith("/feature-disabled"), resp.text


# ---------------------------------------------------------------- HN-11 attendance

async def test_key_person_clocks_in_and_others_are_refused(platform, world):
    project = await _new_project(platform, world, "海口国际免税城 E5")
    pid = project["id"]
    url = f"{API}/{pid}/clock-ins"
    async with platform.api(world.token("liu")) as c:
        first = expect(await c.post(url, json={"longitude": HAIKOU[0], "latitude": HAIKOU[1]}), 201)
        assert first["user_id"] == world.people["liu"].user_id and first["project_roles"] == ["project_manager"]
        assert first["distance_m"] is None and first["address"] is None  # the project has no position yet
        assert abs(datetime.fromisoformat(first["clocked_at"]) - datetime.now(UTC)) < timedelta(minutes=1)
        bad = await c.post(url, json={"longitude": 200, "latitude": 20})
        assert bad.status_code == 422 and bad.json()["field"] == "longitude"
        forged = await c.post(url, json={"longitude": 110, "latitude": 20, "clocked_at": "2020-01-01T00:00:00Z"})
        assert forged.status_code == 422 and forged.json()["field"] == "clocked_at"
    expect(await _position(platform, world.token("zhang"), pid), 200)
    async with platform.api(world.token("zhao")) as c:  # chief supervising engineer, ~100 m north of the site
        second = expect(await c.post(url, json={"longitude": HAIKOU[0], "latitude": HAIKOU[1] + 0.0009,
                                                "address": "项目部办公室"}), 201)
        assert second["project_roles"] == ["chief_supervising_engineer"]
        assert abs(second["distance_m"] - 0.0009 * METRES_PER_DEGREE_LAT) < 0.5
    for who in ("zhang", "wang"):  # supervisors and leaders are not key personnel
        async with platform.api(world.token(who)) as c:
            r = await c.post(url, json={"longitude": HAIKOU[0], "latitude": HAIKOU[1]})
        assert r.status_code == 403, r.text
    async with platform.api(world.token("chen")) as c:  # another contractor does not see the project
        assert (await c.post(url, json={"longitude": HAIKOU[0], "latitude": HAIKOU[1]})).status_code == 404
    async with platform.api(await platform.admin_token("hainan")) as c:
        assert (await c.post(url, json={"longitude": HAIKOU[0], "latitude": HAIKOU[1]})).status_code == 404
    db = platform.app("projects").state.mongo.db
    assert await db["clock_ins"].count_documents({"tenant_id": "hubei", "project_id": pid}) == 2


async def test_attendance_check_reports_present_late_and_absent(platform, world):
    project = await _new_project(platform, world, "海口江东新区起步区 F6")
    pid = project["id"]
    liu, zhao = world.people["liu"].user_id, world.people["zhao"].user_id
    expect(await _position(platform, world.token("zhang"), pid), 200)
    async with platform.api(world.token("liu")) as c:
        clock = expect(await c.post(f"{API}/{pid}/clock-ins",
                                    json={"longitude": HAIKOU[0], "latitude": HAIKOU[1] + 0.0009}), 201)
    clocked_at = datetime.fromisoformat(clock["clocked_at"])

    async with platform.api(world.token("zhang")) as c:
        plain = expect(await c.post(f"{API}/{pid}/attendance-checks", json={"user_ids": [liu, zhao]}), 201)
        early = expect(await c.post(f"{API}/{pid}/attendance-checks",
                                    json={"user_ids": [liu], "window_minutes": 30, "on_time_before": "00:00"}), 201)
        late_ok = expect(await c.post(f"{API}/{pid}/attendance-checks",
                                      json={"user_ids": [liu, liu], "on_time_before": "23:59"}), 201)

    by_user = {r["user_id"]: r for r in plain["results"]}
    assert by_user[liu]["status"] == "present" and by_user[zhao]["status"] == "absent"
    assert datetime.fromisoformat(by_user[liu]["clocked_in_at"]) == clocked_at
    assert abs(by_user[liu]["distance_m"] - 0.0009 * METRES_PER_DEGREE_LAT) < 0.5
    assert by_user[zhao]["clocked_in_at"] is None and by_user[zhao]["distance_m"] is None
    assert by_user[liu]["project_roles"] == ["project_manager"] and by_user[liu]["name"] == world.people["liu"].name
    assert (plain["present"], plain["late"], plain["absent"]) == (1, 0, 1)
    assert plain["window_minutes"] == 120 and plain["position_known"] is True
    assert plain["checked_by"]["user_id"] == world.people["zhang"].user_id

    def expected(check: dict[str, Any], hhmm: str) -> str:
        local = datetime.fromisoformat(check["checked_at"]).astimezone(rules.LOCAL_TZ)
        h, m = map(int, hhmm.split(":"))
        threshold = local.replace(hour=h, minute=m, second=0, microsecond=0)
        return "late" if clocked_at > threshold else "present"

    # on_time_before 00:00: a clock-in later that local day is late (unless the check ran
    # exactly across local midnight from the clock-in, where the rule says present)
    assert [r["status"] for r in early["results"]] == [expected(early, "00:00")]
    assert early["on_time_before"] == "00:00" and early["window_minutes"] == 30
    # 23:59: on time (unless the clock-in itself happened in the last local minute); duplicates collapse
    assert [r["status"] for r in late_ok["results"]] == [expected(late_ok, "23:59")]

    events = await _outbox(platform, "projects.attendance.checked.v1", pid)
    assert [e["data"]["check_id"] for e in events] == [plain["id"], early["id"], late_ok["id"]]
    data = events[0]["data"]
    assert (data["present"], data["late"], data["absent"]) == (1, 0, 1)
    assert {r["user_id"]: r["status"] for r in data["results"]} == {liu: "present", zhao: "absent"}
    assert data["checked_by"]["user_id"] == world.people["zhang"].user_id


async def test_attendance_check_refuses_people_who_are_not_key_personnel(platform, world):
    project = await _new_project(platform, world, "文昌航天城 G7",
                                 participants=[("liu", "project_manager"), ("zhao", "supervising_engineer")])
    pid = project["id"]
    url = f"{API}/{pid}/attendance-checks"
    async with platform.api(world.token("zhang")) as c:
        for ids in ([world.people["liu"].user_id, world.people["zhang"].user_id],  # a supervisor
                    [world.people["zhao"].user_id],                               # on it, but no key role
                    [world.people["chen"].user_id],                               # not on the project
                    []):
            r = await c.post(url, json={"user_ids": ids})
            assert r.status_code == 422 and r.json()["field"] == "user_ids", (ids, r.text)
        for body, field in (({"user_ids": [world.people["liu"].user_id], "window_minutes": 0}, "window_minutes"),
                            ({"user_ids": [world.people["liu"].user_id], "window_minutes": 1441}, "window_minutes"),
                            ({"user_ids": [world.people["liu"].user_id], "on_time_before": "8:30"}, "on_time_before"),
                            ({"user_ids": [world.people["liu"].user_id], "on_time_before": "24:00"},
                             "on_time_before")):
            r = await c.post(url, json=body)
            assert r.status_code == 422 and r.json()["field"] == field, (body, r.text)
        assert expect(await c.get(url), 200)["items"] == []
    async with platform.api(world.token("zhao")) as c:  # a supervising engineer (not key) cannot clock in
        assert (await c.post(f"{API}/{pid}/clock-ins", json={"longitude": 110, "latitude": 20})).status_code == 403
    assert await _outbox(platform, "projects.attendance.checked.v1", pid) == []


async def test_check_is_a_record_readable_by_everyone_who_sees_the_project(platform, world):
    pid = world.project_id
    liu = world.people["liu"].user_id
    url = f"{API}/{pid}/attendance-checks"
    async with platform.api(world.token("liu")) as c:
        refused = await c.post(url, json={"user_ids": [liu]})  # company users do not run checks
        assert refused.status_code == 403, refused.text
    async with platform.api(world.token("li")) as c:
        check = expect(await c.post(url, json={"user_ids": [liu]}), 201)
    for who in ("liu", "zhao", "wang", "zhang"):
        async with platform.api(world.token(who)) as c:
            page = expect(await c.get(url, params={"limit": 100}), 200)
            assert check["id"] in [x["id"] for x in page["items"]]
            one = expect(await c.get(f"{url}/{check['id']}"), 200)
            assert one == check
    async with platform.api(world.token("zhang")) as c:
        assert (await c.get(f"{url}/{'0' * 32}")).status_code == 404
        other = await _new_project(platform, world, "琼海博鳌 H8")
        assert (await c.get(f"{API}/{other['id']}/attendance-checks/{check['id']}")).status_code == 404
    hainan_admin = await platform.admin_token("hainan")
    for token in (world.token("chen"), hainan_admin):
        async with platform.api(token) as c:
            assert (await c.get(url)).status_code == 404
            assert (await c.get(f"{url}/{check['id']}")).status_code == 404
            assert (await c.post(url, json={"user_ids": [liu]})).status_code == 404


async def test_check_pages_newest_first(platform, world):
    project = await _new_project(platform, world, "三亚海棠湾 I9")
    url = f"{API}/{project['id']}/attendance-checks"
    async with platform.api(world.token("zhang")) as c:
        ids = [expect(await c.post(url, json={"user_ids": [world.people["liu"].user_id]}), 201)["id"]
               for _ in range(3)]
        first = expect(await c.get(url, params={"limit": 2}), 200)
        second = expect(await c.get(url, params={"limit": 2, "cursor": first["next_cursor"]}), 200)
    assert [x["id"] for x in first["items"] + second["items"]] == ids[::-1]
    assert second["next_cursor"] is None


async def test_hainan_supervision_positions_and_checks_attendance(platform):
    hn = await build_world(platform.api, admin_password=platform.admin_password, tenant="hainan")
    pid = hn.project_id
    r = await _position(platform, hn.token("zhang"), pid, data=_form(address="海口市秀英区长滨路"))
    positioned = expect(r, 200)
    async with platform.api(hn.token("zhao")) as c:
        expect(await c.post(f"{API}/{pid}/clock-ins", json={"longitude": HAIKOU[0], "latitude": HAIKOU[1]}), 201)
    async with platform.api(hn.token("zhang")) as c:
        check = expect(await c.post(f"{API}/{pid}/attendance-checks", json={
            "user_ids": [hn.people["zhao"].user_id, hn.people["liu"].user_id]}), 201)
        view = expect(await c.get(f"{API}/{pid}/positioning"), 200)
    assert view["current"]["id"] == positioned["id"]
    assert [(x["user_id"], x["status"]) for x in check["results"]] == [
        (hn.people["zhao"].user_id, "present"), (hn.people["liu"].user_id, "absent")]
    assert check["results"][0]["distance_m"] == 0.0
    [event] = await _outbox(platform, "projects.project.positioned.v1", pid)
    assert event["tenant"] == "hainan" and event["source"] == "/hainan/projects"
    assert len(await _stored_objects(platform, "hainan", pid)) == 1


# ---------------------------------------------------------------- pure rules (fixed times)

T0 = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
PROJECT = {"positioning": {"longitude": HAIKOU[0], "latitude": HAIKOU[1]},
           "participants": [{"user_id": "u1", "org_id": "o", "name": "刘洋", "project_role": "project_manager"},
                            {"user_id": "u1", "org_id": "o", "name": "刘洋", "project_role": "safety_officer"},
                            {"user_id": "u2", "org_id": "o", "name": "赵敏", "project_role": "supervising_engineer"}]}


def _clock(minutes_before: float, lat_offset: float = 0.0) -> dict[str, Any]:
    return {"_id": f"c{minutes_before}", "clocked_at": T0 - timedelta(minutes=minutes_before),
            "longitude": HAIKOU[0], "latitude": HAIKOU[1] + lat_offset}


def _assess(clock_ins: list[dict[str, Any]], window: int = 120, on_time_before: str | None = None) -> dict[str, Any]:
    person = rules.key_personnel(PROJECT)["u1"]
    return rules.assess(person, clock_ins, project=PROJECT, checked_at=T0, window_minutes=window,
                        on_time_before=on_time_before)


def test_key_personnel_are_the_four_key_roles_once_per_person():
    keys = rules.key_personnel(PROJECT)
    assert list(keys) == ["u1"] and keys["u1"]["project_roles"] == ["project_manager", "safety_officer"]


def test_window_bounds_decide_present_or_absent():
    assert _assess([])["status"] == "absent"
    assert _assess([_clock(120)])["status"] == "present"       # the window's first instant counts
    assert _assess([_clock(120.5)])["status"] == "absent"      # before the window
    assert _assess([_clock(-1)])["status"] == "absent"         # after the check
    assert _assess([_clock(30)], window=20)["status"] == "absent"


def test_earliest_clock_in_of_the_window_counts_for_lateness_and_distance():
    # local time of T0 is 10:00; clock-ins at 08:00 (on time, 100 m away) and 09:50
    result = _assess([_clock(10), _clock(120, 0.0009)], on_time_before="08:30")
    assert result["status"] == "present" and result["clocked_in_at"] == T0 - timedelta(minutes=120)
    assert abs(result["distance_m"] - 0.0009 * METRES_PER_DEGREE_LAT) < 0.5
    assert _assess([_clock(10)], on_time_before="08:30")["status"] == "late"     # 09:50 > 08:30
    assert _assess([_clock(90)], on_time_before="08:30")["status"] == "present"  # 08:30 exactly is on time
    assert _assess([_clock(89)], on_time_before="08:30")["status"] == "late"


def test_late_threshold_is_shanghai_local_time_of_the_check_day():
    # 2026-11-21T16:30Z is 00:30 on the 22nd in Shanghai: the threshold is the 22nd, 00:00 local
    checked_at = datetime(2026, 11, 21, 16, 30, tzinfo=UTC)
    assert rules.late_after(checked_at, "00:00") == datetime(2026, 11, 21, 16, 0, tzinfo=UTC)
    assert rules.late_after(T0, "09:00") == datetime(2026, 11, 21, 1, 0, tzinfo=UTC)


def test_no_position_means_no_distance():
    person = rules.key_personnel(PROJECT)["u1"]
    result = rules.assess(person, [_clock(5)], project={**PROJECT, "positioning": None}, checked_at=T0,
                          window_minutes=120, on_time_before=None)
    assert result["status"] == "present" and result["distance_m"] is None


def test_haversine_distances_in_metres():
    assert abs(haversine_m(0, 0, 0, 1) - METRES_PER_DEGREE_LAT) < 1e-6
    assert abs(haversine_m(0, 0, 1, 0) - METRES_PER_DEGREE_LAT) < 1e-6  # along the equator
    assert haversine_m(*HAIKOU, *HAIKOU) == 0
    # London → Paris: 343.5 km on the mean sphere (the textbook haversine example)
    assert abs(haversine_m(-0.1278, 51.5074, 2.3522, 48.8566) - 343_500) < 1_000


def test_captured_at_needs_an_offset_and_may_not_lie_ahead():
    validate_captured_at(T0 + timedelta(minutes=5), now=T0, future_skew_minutes=5)
    for bad in (T0 + timedelta(minutes=5, seconds=1), datetime(2026, 11, 21, 9, 0)):
        with pytest.raises(Unprocessable) as exc:
            validate_captured_at(bad, now=T0, future_skew_minutes=5)
        assert exc.value.field == "captured_at"
