"""HEB-16 on-duty time of project managers (人员到岗履职): the pure rule on fixed times (no
clock, no sleeping), and the use case on the fakes (who sees whose time, paging)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from anjian_shared.china_time import CHINA_TZ, china_day
from anjian_shared.errors import Forbidden, NotFound, Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from anjian_shared.types import utcnow
from projects.domain import duty_time as rules
from projects.service_layer import duty_time as cases
from projects.settings import Settings

DAY = date(2026, 11, 20)
R = 500.0


def at(hh: int, mm: int = 0, *, day: date = DAY, distance: float | None = 20.0) -> dict[str, Any]:
    """A clock-in at hh:mm China time on ``day``, ``distance`` metres from the site."""
    return {"clocked_at": datetime(day.year, day.month, day.day, hh, mm, tzinfo=CHINA_TZ).astimezone(UTC),
            "distance_m": distance}


def test_heb16_first_to_last_on_site_clock_in_with_repeats_in_between():
    """HEB-16: 08:00 … 12:10 (repeat) … 17:30 on site: one stay, 570 minutes."""
    got = rules.on_duty([at(17, 30), at(8), at(12, 10), at(12, 10)], day=DAY, radius_m=R)
    assert got["on_site_minutes"] == 570 and got["stays"] == 1 and got["clock_ins"] == 4
    assert got["first_on_site_at"] == at(8)["clocked_at"] and got["last_on_site_at"] == at(17, 30)["clocked_at"]
    assert got["incomplete"] is False


def test_heb16_a_single_clock_in_is_presence_without_time():
    """HEB-16: a missing clock-out: one clock-in counts 0 minutes and marks the day incomplete."""
    got = rules.on_duty([at(9, 15)], day=DAY, radius_m=R)
    assert (got["on_site_minutes"], got["stays"], got["incomplete"]) == (0, 1, True)


def test_heb16_an_off_site_clock_in_cuts_the_stay():
    """HEB-16: 08:00 on site, 10:00 3 km away, 14:00 and 17:00 on site: 0 + 180 minutes, the
    first stay has no clock-out."""
    got = rules.on_duty([at(8), at(10, distance=3000), at(14), at(17)], day=DAY, radius_m=R)
    assert (got["on_site_minutes"], got["stays"], got["off_site_clock_ins"], got["incomplete"]) == (180, 2, 1, True)


def test_heb16_unlocated_clock_ins_neither_count_nor_cut():
    """HEB-16: clock-ins without a distance (project not positioned) are only counted."""
    got = rules.on_duty([at(8), at(12, distance=None), at(16)], day=DAY, radius_m=R)
    assert (got["on_site_minutes"], got["unlocated_clock_ins"], got["stays"]) == (480, 1, 1)
    none = rules.on_duty([at(8, distance=None), at(16, distance=None)], day=DAY, radius_m=R)
    assert none["on_site_minutes"] == 0 and none["first_on_site_at"] is None and none["stays"] == 0


def test_heb16_days_are_china_days_and_nothing_pairs_across_midnight():
    """HEB-16: 22:00 on the 20th and 02:00 on the 21st (China time) are two days of one clock-in
    each; 07:59 China time is 23:59 UTC of the day before and still counts for the 20th."""
    night = [at(22), at(2, day=DAY + timedelta(days=1))]
    assert rules.on_duty(night, day=DAY, radius_m=R)["on_site_minutes"] == 0
    assert rules.on_duty(night, day=DAY + timedelta(days=1), radius_m=R)["clock_ins"] == 1
    early = at(7, 59)
    assert early["clocked_at"].date() == date(2026, 11, 19)
    assert rules.on_duty([early, at(9)], day=DAY, radius_m=R)["on_site_minutes"] == 61


def test_heb16_the_radius_decides_and_seconds_are_truncated():
    """HEB-16: at exactly the radius a clock-in is on site; minutes are whole (30.5 → 30)."""
    a, b = at(8, distance=R), at(8, 30, distance=R)
    b["clocked_at"] += timedelta(seconds=30)
    assert rules.on_duty([a, b], day=DAY, radius_m=R)["on_site_minutes"] == 30
    assert rules.on_duty([a, b], day=DAY, radius_m=R - 1)["stays"] == 0


def test_heb16_period_rules():
    """HEB-16: 422 ``date_to`` before ``date_from`` or over 366 days; days after today are cut."""
    with pytest.raises(Unprocessable) as exc:
        rules.period(DAY, DAY - timedelta(days=1), today=DAY)
    assert exc.value.field == "date_to"
    with pytest.raises(Unprocessable):
        rules.period(DAY - timedelta(days=366), DAY, today=DAY)
    assert rules.period(DAY - timedelta(days=1), DAY + timedelta(days=5), today=DAY) == (DAY - timedelta(days=1), DAY)
    assert rules.period(DAY + timedelta(days=1), DAY + timedelta(days=5), today=DAY) is None


# ------------------------------------------------------------------------------ the use case

TENANT = "hebei"


def who(uid: str, org: str, *roles: str, kind: str = "company", tenant: str = TENANT) -> Principal:
    return Principal(user_id=uid, tenant=tenant, org_id=org, roles=list(roles), name=uid, org_kind=kind)


SUP = who("zhang", "st", "supervisor", kind="station")
PROVINCE = who("admin", "prov", "province_admin", kind="authority")
CITY = who("ma", "sjz", "supervisor", kind="authority")
LIU = who("liu", "con", "project_manager")
WU = who("wu", "con", "project_manager")
SUN = who("sun", "con", "company_admin")
OTHER_STATION = who("x", "st2", "supervisor", kind="station")


@pytest.fixture
async def mongo() -> FakeDatabase:
    db = FakeDatabase(service="projects")
    await db.repo("projects", TENANT).insert({
        "_id": "p1", "code": "P1", "name": "正定新区住宅", "address": "石家庄", "station_org_id": "st",
        "owner_org_id": "own", "contractor_org_id": "con", "supervision_org_id": "sv", "supervisor_user_ids": [],
        "participants": [{"user_id": "liu", "org_id": "con", "name": "刘洋", "project_role": "project_manager"},
                         {"user_id": "wu", "org_id": "con", "name": "吴刚", "project_role": "project_manager"},
                         {"user_id": "sun", "org_id": "con", "name": "孙丽", "project_role": "safety_officer"}]})
    today = china_day(utcnow())
    yesterday, before = today - timedelta(days=1), today - timedelta(days=2)
    for uid, day, hh, dist in (("liu", yesterday, 8, 30.0), ("liu", yesterday, 17, 40.0), ("wu", yesterday, 9, 10.0),
                               ("liu", before, 8, 9000.0), ("sun", yesterday, 8, 5.0)):
        await db.repo("clock_ins", TENANT).insert({
            "_id": f"{uid}-{day}-{hh}", "project_id": "p1", "user_id": uid, **at(hh, day=day, distance=dist)})
    return db


async def duty(mongo: FakeDatabase, actor: Principal, *, days_back: int = 2, limit: int = 20,
               cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    today = china_day(utcnow())
    rows, nxt, radius = await cases.duty_time(mongo=mongo, settings=Settings(), actor=actor, project_id="p1",
                                              date_from=today - timedelta(days=days_back),
                                              date_to=today + timedelta(days=3), limit=limit, cursor=cursor)
    assert radius == 500
    return rows, nxt


async def test_heb16_the_station_sees_every_project_manager_per_day(mongo):
    """HEB-16: rows per manager and day (the safety officer is not a manager), day ascending; a
    day without clock-ins is 0; future days are left out."""
    today = china_day(utcnow())
    for actor in (SUP, PROVINCE):
        rows, nxt = await duty(mongo, actor)
        assert [(r["day"], r["user_id"]) for r in rows] == [
            (today - timedelta(days=2), "liu"), (today - timedelta(days=2), "wu"),
            (today - timedelta(days=1), "liu"), (today - timedelta(days=1), "wu"), (today, "liu"), (today, "wu")]
        assert nxt is None
    by = {(r["day"], r["user_id"]): r for r in rows}
    assert by[(today - timedelta(days=1), "liu")]["on_site_minutes"] == 540
    assert by[(today - timedelta(days=1), "wu")]["incomplete"] is True
    assert by[(today - timedelta(days=2), "liu")]["off_site_clock_ins"] == 1
    assert by[(today - timedelta(days=2), "liu")]["on_site_minutes"] == 0


async def test_heb16_a_project_manager_sees_only_their_own_and_others_are_refused(mongo):
    """HEB-16: 刘洋 sees his rows only; the contractor's administrator and a city authority's
    staff (not the province administrator) 403; another station 404."""
    rows, _ = await duty(mongo, LIU)
    assert {r["user_id"] for r in rows} == {"liu"} and len(rows) == 3
    for actor in (SUN, CITY):
        with pytest.raises(Forbidden):
            await duty(mongo, actor)
    with pytest.raises(NotFound):
        await duty(mongo, OTHER_STATION)
    with pytest.raises(NotFound):
        await duty(mongo, who("zhang", "st", "supervisor", kind="station", tenant="hainan"))


async def test_heb16_pages_follow_each_other_without_repeats(mongo):
    """HEB-16: limit 4 then the cursor: 6 rows, none twice; a damaged cursor is 422 ``cursor``."""
    first, nxt = await duty(mongo, SUP, limit=4)
    rest, last = await duty(mongo, SUP, limit=4, cursor=nxt)
    assert len(first) == 4 and len(rest) == 2 and last is None
    assert len({(r["day"], r["user_id"]) for r in first + rest}) == 6
    with pytest.raises(Unprocessable) as exc:
        await duty(mongo, SUP, cursor=nxt[:-3] + "xyz")
    assert exc.value.field == "cursor"
