"""HEB-09 hazard sources (危险源) and the construction log (施工日志) on the in-memory fakes: the
contractor declares and closes sources, files one log per China day while one is open, the
station sees the missing days; who is refused and how."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from anjian_shared.china_time import china_day
from anjian_shared.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unprocessable,
    UnsupportedMedia,
)
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from anjian_shared.testing.media import FakeUpload, image_bytes
from anjian_shared.types import utcnow
from projects.domain import hazard_sources as rules
from projects.service_layer import construction_log as cases
from projects.settings import Settings

TENANT = "hebei"
SETTINGS = Settings()


def who(uid: str, org: str, *roles: str, kind: str = "company", tenant: str = TENANT) -> Principal:
    return Principal(user_id=uid, tenant=tenant, org_id=org, roles=list(roles), name=uid, org_kind=kind)


LIU = who("liu", "con", "project_manager")           # the contractor's project manager
SUN = who("sun", "con", "company_admin")             # the contractor's administrator
OWNER = who("o1", "own", "company_admin")            # the owner: sees the project, files nothing
SUP = who("zhang", "st", "supervisor", kind="station")
PROVINCE = who("admin", "prov", "province_admin", kind="authority")
CITY = who("ma", "sjz", "supervisor", kind="authority")  # a city authority's staff: not the province admin
CHEN = who("chen", "con2", "project_manager")        # another contractor: does not see the project
OTHER_TENANT = who("liu", "con", "project_manager", tenant="hainan")


def today() -> date:
    return china_day(utcnow())


def photo(fmt: str = "JPEG", **kw: Any) -> FakeUpload:
    return FakeUpload(image_bytes(fmt), filename="site.jpg", content_type="image/jpeg", **kw)


@pytest.fixture
async def mongo() -> FakeDatabase:
    db = FakeDatabase(service="projects")
    await cases.ensure_indexes(db)
    await db.repo("projects", TENANT).insert({
        "_id": "p1", "code": "P1", "name": "正定新区住宅", "address": "石家庄", "station_org_id": "st",
        "owner_org_id": "own", "contractor_org_id": "con", "supervision_org_id": "sv", "supervisor_user_ids": [],
        "participants": [{"user_id": "liu", "org_id": "con", "name": "刘洋", "project_role": "project_manager"}]})
    return db


async def declare(mongo: FakeDatabase, *, start: date, end: date | None = None, actor: Principal = LIU,
                  **kw: Any) -> dict[str, Any]:
    data = {"kind": "foundation_pit", "category": "general", "name": "1#楼基坑开挖"} | kw
    return await cases.declare_source(mongo=mongo, actor=actor, project_id="p1", start_date=start,
                                      planned_end_date=end or start + timedelta(days=30), **data)


async def file(mongo: FakeDatabase, day: date, *, storage: FakeStorage | None = None, actor: Principal = LIU,
               photos: list[FakeUpload] | None = None, text: str = "土方开挖至-4.5 m") -> dict[str, Any]:
    return await cases.file_log(mongo=mongo, storage=storage or FakeStorage(), settings=SETTINGS, actor=actor,
                                project_id="p1", log_date=day, text=text,
                                photos=[photo()] if photos is None else photos)


async def test_heb09_declare_file_close_and_the_events(mongo):
    """HEB-09: the contractor declares a source, files today's log with a photo, closes the source."""
    source = await declare(mongo, start=today() - timedelta(days=2))
    assert source["actual_end_date"] is None and source["declared_by"] == {"user_id": "liu", "name": "liu"}
    storage = FakeStorage()
    log = await file(mongo, today(), storage=storage)
    assert log["open_source_ids"] == [source["_id"]] and log["late"] is False and len(storage.objects) == 1
    assert log["photos"][0]["key"].startswith("hebei/projects/p1/logs/")
    closed = await cases.close_source(mongo=mongo, actor=SUN, project_id="p1", source_id=source["_id"],
                                      actual_end_date=today())
    assert closed["actual_end_date"] == today().isoformat() and closed["closed_by"]["user_id"] == "sun"
    types = [row["type"] for row in mongo.outbox]
    assert types == ["projects.hazard_source.declared.v1", "projects.construction_log.filed.v1",
                     "projects.hazard_source.closed.v1"]


async def test_heb09_a_second_log_of_the_same_day_is_409_and_its_photos_are_removed(mongo):
    """HEB-09: one log per project and China day; the refused log's photos do not stay behind."""
    await declare(mongo, start=today())
    await file(mongo, today())
    storage = FakeStorage()
    with pytest.raises(Conflict) as exc:
        await file(mongo, today(), storage=storage, actor=SUN)
    assert exc.value.slug == "construction-log-exists" and exc.value.field == "log_date"
    assert storage.objects == {} and len(storage.removed) == 1


async def test_heb09_the_unique_index_answers_409_when_a_concurrent_post_won(mongo):
    """HEB-09: when the database refuses the insert (a concurrent post of the same day passed the
    read check first) the answer is 409 ``construction-log-exists`` and nothing is left behind."""
    await declare(mongo, start=today())
    mongo.fail("insert_one", DuplicateKeyError("E11000 duplicate key one_log_per_project_day"),
               collection=cases.LOGS)
    storage = FakeStorage()
    with pytest.raises(Conflict) as exc:
        await file(mongo, today(), storage=storage)
    assert exc.value.slug == "construction-log-exists" and storage.objects == {}
    assert await mongo.repo(cases.LOGS, TENANT).count({}) == 0
    info = await mongo.db[cases.LOGS].index_information()
    assert info["one_log_per_project_day"]["unique"] is True


async def test_heb09_a_future_day_or_a_day_without_an_open_source_is_422_naming_log_date(mongo):
    """HEB-09: 422 ``log_date``: tomorrow (log-date-future), a day before the first source
    started or after it closed (no-open-hazard-source)."""
    source = await declare(mongo, start=today() - timedelta(days=5))
    for day, slug in ((today() + timedelta(days=1), "log-date-future"),
                      (today() - timedelta(days=6), "no-open-hazard-source")):
        with pytest.raises(Unprocessable) as exc:
            await file(mongo, day)
        assert (exc.value.field, exc.value.slug) == ("log_date", slug)
    await cases.close_source(mongo=mongo, actor=LIU, project_id="p1", source_id=source["_id"],
                             actual_end_date=today() - timedelta(days=2))
    with pytest.raises(Unprocessable) as exc:
        await file(mongo, today() - timedelta(days=1))
    assert exc.value.slug == "no-open-hazard-source"
    late = await file(mongo, today() - timedelta(days=2))   # the closing day is still open: filed late (补报)
    assert late["late"] is True


async def test_heb09_text_and_photos_are_checked_before_anything_is_stored(mongo):
    """HEB-09: 422 ``text`` (blank), 422 ``photos`` (none, ten), 415 ``photos`` (not an image),
    413 ``photos`` over Hebei's 600 KB limit — and no log, no object."""
    await declare(mongo, start=today())
    storage = FakeStorage()
    with pytest.raises(Unprocessable) as exc:
        await file(mongo, today(), text="  ", storage=storage)
    assert exc.value.field == "text"
    for photos in ([], [photo() for _ in range(10)]):
        with pytest.raises(Unprocessable) as exc:
            await file(mongo, today(), photos=photos, storage=storage)
        assert exc.value.field == "photos"
    with pytest.raises(UnsupportedMedia) as exc:
        await file(mongo, today(), photos=[photo(), FakeUpload(b"%PDF-1.4\n", filename="x.pdf")], storage=storage)
    assert exc.value.field == "photos"
    with pytest.raises(PayloadTooLarge) as exc:
        await file(mongo, today(), photos=[FakeUpload(b"\xff" * 10, size=600 * 1024 + 1)], storage=storage)
    assert exc.value.field == "photos"
    assert storage.objects == {} and await mongo.repo(cases.LOGS, TENANT).count({}) == 0


async def test_heb09_only_the_contractor_declares_closes_and_files(mongo):
    """HEB-09: station, owner → 403; another contractor and another tenant → 404."""
    source = await declare(mongo, start=today())
    for actor, error in ((SUP, Forbidden), (OWNER, Forbidden), (PROVINCE, Forbidden), (CHEN, NotFound),
                         (OTHER_TENANT, NotFound)):
        with pytest.raises(error):
            await declare(mongo, start=today(), actor=actor)
        with pytest.raises(error):
            await file(mongo, today(), actor=actor)
        with pytest.raises(error):
            await cases.close_source(mongo=mongo, actor=actor, project_id="p1", source_id=source["_id"],
                                     actual_end_date=today())


async def test_heb09_declaration_rules(mongo):
    """HEB-09: 422 naming ``kind``, ``category``, ``name``, ``planned_end_date``; a major source
    needs its plan's expert review (``expert_reviewed``)."""
    cases_ = ({"kind": "bridge"}, "kind"), ({"category": "huge"}, "category"), ({"name": " "}, "name"), \
        ({"category": "major"}, "expert_reviewed")
    for kw, field in cases_:
        with pytest.raises(Unprocessable) as exc:
            await declare(mongo, start=today(), **kw)
        assert exc.value.field == field
    with pytest.raises(Unprocessable) as exc:
        await declare(mongo, start=today(), end=today() - timedelta(days=1))
    assert exc.value.field == "planned_end_date"
    major = await declare(mongo, start=today(), category="major", expert_reviewed=True, kind="formwork")
    assert major["category"] == "major"


async def test_heb09_closing_rules(mongo):
    """HEB-09: 422 ``actual_end_date`` before the start or after today; a second close 409
    ``hazard-source-closed``; an unknown source 404."""
    source = await declare(mongo, start=today() - timedelta(days=3))
    for day in (today() - timedelta(days=4), today() + timedelta(days=1)):
        with pytest.raises(Unprocessable) as exc:
            await cases.close_source(mongo=mongo, actor=LIU, project_id="p1", source_id=source["_id"],
                                     actual_end_date=day)
        assert exc.value.field == "actual_end_date"
    await cases.close_source(mongo=mongo, actor=LIU, project_id="p1", source_id=source["_id"],
                             actual_end_date=today())
    with pytest.raises(Conflict) as exc:
        await cases.close_source(mongo=mongo, actor=LIU, project_id="p1", source_id=source["_id"],
                                 actual_end_date=today())
    assert exc.value.slug == "hazard-source-closed"
    with pytest.raises(NotFound):
        await cases.close_source(mongo=mongo, actor=LIU, project_id="p1", source_id="nope", actual_end_date=today())


async def test_heb09_missing_days_for_station_province_and_contractor(mongo):
    """HEB-09: the days with an open source and no log, ascending, paged, for the station, the
    province administrator and the contractor; the owner and a city authority's staff 403,
    another contractor 404."""
    t = today()
    a = await declare(mongo, start=t - timedelta(days=6), end=t - timedelta(days=5))
    await cases.close_source(mongo=mongo, actor=LIU, project_id="p1", source_id=a["_id"],
                             actual_end_date=t - timedelta(days=5))
    b = await declare(mongo, start=t - timedelta(days=2))
    await file(mongo, t - timedelta(days=1))
    for actor in (SUP, PROVINCE, LIU):
        gaps, nxt = await cases.missing_days(mongo=mongo, actor=actor, project_id="p1", date_from=None,
                                             date_to=None, limit=20, cursor=None)
        assert [(g["day"], g["open_source_ids"]) for g in gaps] == [
            (t - timedelta(days=6), [a["_id"]]), (t - timedelta(days=5), [a["_id"]]),
            (t - timedelta(days=2), [b["_id"]]), (t, [b["_id"]])] and nxt is None
    first, nxt = await cases.missing_days(mongo=mongo, actor=SUP, project_id="p1", date_from=None, date_to=None,
                                          limit=3, cursor=None)
    rest, last = await cases.missing_days(mongo=mongo, actor=SUP, project_id="p1", date_from=None, date_to=None,
                                          limit=3, cursor=nxt)
    assert len(first) == 3 and [g["day"] for g in rest] == [t] and last is None
    window, _ = await cases.missing_days(mongo=mongo, actor=SUP, project_id="p1", date_from=t - timedelta(days=5),
                                         date_to=t - timedelta(days=2), limit=20, cursor=None)
    assert [g["day"] for g in window] == [t - timedelta(days=5), t - timedelta(days=2)]
    for actor in (OWNER, CITY):
        with pytest.raises(Forbidden):
            await cases.missing_days(mongo=mongo, actor=actor, project_id="p1", date_from=None, date_to=None,
                                     limit=20, cursor=None)
    with pytest.raises(NotFound):
        await cases.missing_days(mongo=mongo, actor=CHEN, project_id="p1", date_from=None, date_to=None, limit=20,
                                 cursor=None)
    with pytest.raises(Unprocessable) as exc:
        await cases.missing_days(mongo=mongo, actor=SUP, project_id="p1", date_from=t, date_to=t - timedelta(days=1),
                                 limit=20, cursor=None)
    assert exc.value.field == "date_to"


async def test_heb09_no_source_no_missing_days_and_logs_are_listed_for_whoever_sees_the_project(mongo):
    """HEB-09: without sources nothing is missing; the owner reads the logs; another company 404."""
    gaps, _ = await cases.missing_days(mongo=mongo, actor=SUP, project_id="p1", date_from=None, date_to=None,
                                       limit=20, cursor=None)
    assert gaps == []
    await declare(mongo, start=today() - timedelta(days=1))
    log = await file(mongo, today())
    docs, _ = await cases.list_logs(mongo=mongo, actor=OWNER, project_id="p1", limit=20, cursor=None)
    assert [d["_id"] for d in docs] == [log["_id"]]
    assert (await cases.get_log(mongo=mongo, actor=SUP, project_id="p1", log_id=log["_id"]))["text"]
    with pytest.raises(NotFound):
        await cases.get_log(mongo=mongo, actor=CHEN, project_id="p1", log_id=log["_id"])
    sources, _ = await cases.list_sources(mongo=mongo, actor=SUP, project_id="p1", limit=20, cursor=None)
    assert len(sources) == 1


def test_heb09_open_on_a_day_and_status_are_whole_china_days():
    """HEB-09: a source is open from its start day through its actual end day inclusive; past its
    planned end and not closed it stays open (overdue)."""
    s = {"_id": "s", "start_date": "2026-11-10", "planned_end_date": "2026-11-12", "actual_end_date": None}
    assert not rules.is_open_on(s, date(2026, 11, 9)) and rules.is_open_on(s, date(2026, 11, 10))
    assert rules.is_open_on(s, date(2026, 12, 31)) and rules.status(s, date(2026, 11, 13)) == "overdue"
    assert rules.status(s, date(2026, 11, 9)) == "planned" and rules.status(s, date(2026, 11, 11)) == "open"
    closed = {**s, "actual_end_date": "2026-11-11"}
    assert rules.is_open_on(closed, date(2026, 11, 11)) and not rules.is_open_on(closed, date(2026, 11, 12))
    assert rules.status(closed, date(2026, 11, 11)) == "closed"
    gaps = rules.missing_days([closed], {date(2026, 11, 10)}, date(2026, 11, 8), date(2026, 11, 13))
    assert [g["day"] for g in gaps] == [date(2026, 11, 11)]


async def test_heb09_two_concurrent_closes_end_in_one_close_and_one_409(mongo):
    """HEB-09: closing is conditional on the source being open: fired together, one closes it,
    the other gets 409 ``hazard-source-closed``; one closed event."""
    source = await declare(mongo, start=today() - timedelta(days=1))
    results = await asyncio.gather(*(
        cases.close_source(mongo=mongo, actor=actor, project_id="p1", source_id=source["_id"],
                           actual_end_date=today()) for actor in (LIU, SUN)), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"]
    assert [r.slug for r in results if isinstance(r, Conflict)] == ["hazard-source-closed"]
    assert [row["type"] for row in mongo.outbox].count("projects.hazard_source.closed.v1") == 1
