"""Fujian self-inspections (监理单位自查) on the in-memory fakes: FJ-04 new inspection and
check-in, FJ-05 companions by QR token, FJ-06 checklist, FJ-07 drafts, FJ-08 completion,
FJ-09 notice, FJ-10 timeline, FJ-11 feedback, review and escalation, and the stations' view.
Projects are fed as H5's ``ProjectSnapshot`` carries them (``assessable``,
``supervision_org_id``, participants with their ``project_role``)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from anjian_shared.china_time import china_day
from anjian_shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    NotYetAvailable,
    Unprocessable,
)
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from anjian_shared.testing.media import FakeUpload, image_bytes
from anjian_shared.types import utcnow
from inspections.adapters.records_store import CHECK_POINTS
from inspections.adapters.repositories import PROJECTS
from inspections.adapters.self_inspection_store import PROJECT_POSITIONS, SELF_INSPECTIONS
from inspections.domain import self_inspections as rules
from inspections.service_layer import self_inspections as cases
from inspections.settings import Settings

TENANT = "fujian"
COMPANY, OTHER_CO, STATION = "org-jianli", "org-other-jianli", "org-station"
CHIEF, SITE, FEEDBACK, COLLEAGUE, STRANGER = "u-chief", "u-site", "u-fb", "u-colleague", "u-stranger"
POINTS = [("JGJ59-A.0.2-06", "现场防火", []), ("JGJ59-A.0.3-03", "架体与建筑结构拉结", ["ZD2024-7.2"]),
          ("JGJ59-A.0.1-01", "安全生产责任制", [])]


def person(uid: str, *roles: str, org: str = COMPANY, kind: str = "company", tenant: str = TENANT) -> Principal:
    return Principal(user_id=uid, tenant=tenant, org_id=org, roles=list(roles or ("company_staff",)),
                     name=uid.upper(), org_kind=kind)


def project(pid: str = "p1", *, assessable: bool = True) -> dict[str, Any]:
    return {"_id": pid, "name": "福州滨海新城3号地块", "platform_code": "FJ-2026-001", "assessable": assessable,
            "station_org_id": STATION, "supervision_org_id": COMPANY, "contractor_org_id": "org-builder",
            "participants": [
                {"user_id": CHIEF, "org_id": COMPANY, "name": "林总监", "project_role": "chief_supervising_engineer"},
                {"user_id": SITE, "org_id": COMPANY, "name": "陈监理员", "project_role": "site_supervisor"},
                {"user_id": FEEDBACK, "org_id": COMPANY, "name": "黄反馈", "project_role": "feedback_person"}]}


@pytest.fixture
async def world() -> tuple[FakeDatabase, FakeStorage, Settings]:
    mongo = FakeDatabase(service="inspections")
    await mongo.repo(PROJECTS, TENANT).insert(project())
    await mongo.repo(PROJECTS, TENANT).insert(project("p-old", assessable=False))
    await mongo.repo(PROJECT_POSITIONS, TENANT).insert({"_id": "p1", "longitude": 119.30, "latitude": 26.08,
                                                        "address": "福州市"})
    for seq, (code, text, hazards) in enumerate(POINTS):
        await mongo.repo(CHECK_POINTS, TENANT).insert({
            "_id": f"{TENANT}:{code}", "code": code, "text": text, "category": "表", "source": "JGJ59-2011",
            "hazard_codes": hazards, "seq": seq, "deleted": False})
    return mongo, FakeStorage(), Settings()


def photo(i: int = 0) -> FakeUpload:
    return FakeUpload(image_bytes("PNG"), filename=f"p{i}.png", content_type="image/png")


async def started(world: Any, who: str = CHIEF) -> dict[str, Any]:
    mongo, _, settings = world
    doc = await cases.create_inspection(mongo=mongo, settings=settings, principal=person(who), project_id="p1",
                                        title=None)
    return await cases.check_in(mongo=mongo, principal=person(who), inspection_id=doc["_id"], longitude=119.301,
                                latitude=26.08, captured_at=utcnow())


async def answer(world: Any, iid: str, code: str, value: str, *, who: str = CHIEF, description: str | None = None,
                 photos: int = 0) -> dict[str, Any]:
    mongo, storage, settings = world
    return await cases.answer_point(mongo=mongo, storage=storage, settings=settings, principal=person(who),
                                    inspection_id=iid, code=code, value=value, description=description,
                                    photos=[photo(i) for i in range(photos)])


async def completed(world: Any, *, problems: bool = True) -> dict[str, Any]:
    doc = await started(world)
    iid = doc["_id"]
    if problems:
        await answer(world, iid, POINTS[0][0], "no", description="灭火器过期", photos=1)
        await answer(world, iid, POINTS[1][0], "no", description="连墙件缺失", photos=2)
    else:
        await answer(world, iid, POINTS[0][0], "yes")
        await answer(world, iid, POINTS[1][0], "yes")
    await answer(world, iid, POINTS[2][0], "not_checked")
    return await cases.complete(mongo=world[0], principal=person(CHIEF), inspection_id=iid, confirm=True)


def types(mongo: FakeDatabase) -> list[str]:
    return [e["type"].removeprefix("inspections.self_inspection.") for e in mongo.outbox]


def slug(exc: pytest.ExceptionInfo[DomainError]) -> str | None:
    return exc.value.slug


# --- FJ-04 -----------------------------------------------------------------------------------------

async def test_fj04_an_inspector_creates_and_checks_in_with_distance_from_the_project(world):
    """FJ-04: basic data, then check-in with time and GPS; the distance from the project's position is kept."""
    doc = await started(world)
    assert doc["status"] == "in_progress" and len(doc["points"]) == 3
    assert doc["title"].startswith("福州滨海新城3号地块")
    assert 80 < doc["check_in"]["distance_m"] < 110  # 0.001° of longitude at 26° N ≈ 100 m
    assert [e["action"] for e in doc["timeline"]] == ["created", "checked_in"]
    assert types(world[0]) == ["created.v1", "checked_in.v1"]


async def test_fj04_who_may_not_inspect(world):
    """FJ-04: feedback person only / colleague not on the project → 403; other company → 404;
    not assessable → 409; unknown project → retryable 409."""
    mongo, _, settings = world

    async def create(who: Principal, pid: str = "p1") -> None:
        await cases.create_inspection(mongo=mongo, settings=settings, principal=who, project_id=pid, title="x")

    with pytest.raises(Forbidden) as e:
        await create(person(COLLEAGUE))
    assert slug(e) == "not-project-inspector"
    with pytest.raises(Forbidden):
        await create(person(FEEDBACK))
    with pytest.raises(NotFound):
        await create(person(CHIEF, org=OTHER_CO))
    with pytest.raises(Conflict) as e:
        await create(person(CHIEF), "p-old")
    assert slug(e) == "project-not-assessable-for-inspection"
    with pytest.raises(NotYetAvailable):
        await create(person(CHIEF), "p-unknown")
    assert mongo.outbox == []


async def test_fj04_check_in_refusals(world):
    """FJ-04: only the inspector, only once, with a plausible device time."""
    mongo, _, settings = world
    doc = await cases.create_inspection(mongo=mongo, settings=settings, principal=person(CHIEF), project_id="p1",
                                        title="月检")
    kw = dict(mongo=mongo, inspection_id=doc["_id"], longitude=119.3, latitude=26.08)
    with pytest.raises(NotFound):  # staff not on this inspection do not see it
        await cases.check_in(principal=person(SITE), captured_at=utcnow(), **kw)
    with pytest.raises(Unprocessable) as e:
        await cases.check_in(principal=person(CHIEF), captured_at=utcnow() + timedelta(hours=1), **kw)
    assert e.value.field == "captured_at"
    await cases.check_in(principal=person(CHIEF), captured_at=utcnow(), **kw)
    with pytest.raises(Conflict) as e:
        await cases.check_in(principal=person(CHIEF), captured_at=utcnow(), **kw)
    assert slug(e) == "self-inspection-wrong-status"


# --- FJ-05 -----------------------------------------------------------------------------------------

async def test_fj05_a_colleague_joins_by_qr_token_once(world):
    """FJ-05: the inspector's token lets a colleague of the same company join; reuse is refused."""
    mongo = world[0]
    doc = await started(world)
    code = await cases.companion_code(mongo=mongo, principal=person(CHIEF), inspection_id=doc["_id"])
    after = await cases.join(mongo=mongo, principal=person(COLLEAGUE), token=code["token"])
    assert after["companion_ids"] == [COLLEAGUE] and after["timeline"][-1]["action"] == "companion_joined"
    with pytest.raises(Conflict) as e:
        await cases.join(mongo=mongo, principal=person(SITE), token=code["token"])
    assert slug(e) == "companion-token-used"
    # a companion may fill in the checklist
    await answer(world, doc["_id"], POINTS[0][0], "yes", who=COLLEAGUE)


async def test_fj05_expired_foreign_and_forged_tokens_are_refused_distinctly(world):
    """FJ-05: expired (422 companion-token-expired), other company (403 companion-other-company),
    tampered (422 companion-token-invalid), the inspector himself (409 already-companion)."""
    mongo = world[0]
    doc = await started(world)
    code = await cases.companion_code(mongo=mongo, principal=person(CHIEF), inspection_id=doc["_id"])
    with pytest.raises(Forbidden) as e:
        await cases.join(mongo=mongo, principal=person(STRANGER, org=OTHER_CO), token=code["token"])
    assert slug(e) == "companion-other-company"
    with pytest.raises(Conflict) as e:
        await cases.join(mongo=mongo, principal=person(CHIEF), token=code["token"])
    assert slug(e) == "already-companion"
    forged = code["token"][:-3] + ("AAA" if not code["token"].endswith("AAA") else "BBB")
    with pytest.raises(Unprocessable) as e:
        await cases.join(mongo=mongo, principal=person(COLLEAGUE), token=forged)
    assert slug(e) == "companion-token-invalid"
    with pytest.raises(Unprocessable) as e:
        await cases.join(mongo=mongo, principal=person(COLLEAGUE), token="garbage")
    assert slug(e) == "companion-token-invalid"
    with pytest.raises(Unprocessable) as e:
        await cases.join(mongo=mongo, principal=person(COLLEAGUE, tenant="hubei"), token=code["token"])
    assert slug(e) == "companion-token-invalid"
    stored = await mongo.repo(SELF_INSPECTIONS, TENANT).get(doc["_id"])
    old = rules.companion_token(inspection_id=doc["_id"], tenant=TENANT, jti=next(iter(stored["companion_tokens"])),
                                expires_at=utcnow() - timedelta(seconds=1),
                                key=rules._unb64(stored["companion_key"]))
    with pytest.raises(Unprocessable) as e:
        await cases.join(mongo=mongo, principal=person(COLLEAGUE), token=old)
    assert slug(e) == "companion-token-expired"


async def test_fj05_two_concurrent_joins_with_one_token_one_wins(world):
    """FJ-05: single use under concurrency: exactly one of two scans joins."""
    mongo = world[0]
    doc = await started(world)
    code = await cases.companion_code(mongo=mongo, principal=person(CHIEF), inspection_id=doc["_id"])
    outcomes = await asyncio.gather(cases.join(mongo=mongo, principal=person(COLLEAGUE), token=code["token"]),
                                    cases.join(mongo=mongo, principal=person(SITE), token=code["token"]),
                                    return_exceptions=True)
    assert sum(isinstance(o, dict) for o in outcomes) == 1
    assert [o.slug for o in outcomes if isinstance(o, Exception)] == ["companion-token-used"]
    assert len((await mongo.repo(SELF_INSPECTIONS, TENANT).get(doc["_id"]))["companion_ids"]) == 1


# --- FJ-06 / FJ-07 / FJ-08 ---------------------------------------------------------------------------

async def test_fj06_no_needs_description_and_photo_and_filters_count(world):
    """FJ-06: "no" without description or photo is refused; filters answered/unanswered; progress."""
    mongo = world[0]
    doc = await started(world)
    iid = doc["_id"]
    with pytest.raises(Unprocessable) as e:
        await answer(world, iid, POINTS[0][0], "no", photos=1)
    assert e.value.field == "description"
    with pytest.raises(Unprocessable) as e:
        await answer(world, iid, POINTS[0][0], "no", description="灭火器过期")
    assert e.value.field == "photos" and slug(e) == "photo-required"
    with pytest.raises(Unprocessable) as e:
        await answer(world, iid, POINTS[0][0], "yes", photos=1)
    assert e.value.field == "photos"
    point = await answer(world, iid, POINTS[1][0], "no", description="连墙件缺失", photos=1)
    assert point["major"] is True and len(point["answer"]["photos"]) == 1
    # answering "no" again keeps the photos when none are sent
    point = await answer(world, iid, POINTS[1][0], "no", description="连墙件缺失，已拍照")
    assert len(point["answer"]["photos"]) == 1
    answered, counts = await cases.list_points(mongo=mongo, principal=person(CHIEF), inspection_id=iid,
                                               filled=rules.Filled.ANSWERED)
    unanswered, _ = await cases.list_points(mongo=mongo, principal=person(CHIEF), inspection_id=iid,
                                            filled=rules.Filled.UNANSWERED)
    assert [p["code"] for p in answered] == [POINTS[1][0]] and len(unanswered) == 2
    assert counts == {"total": 3, "answered": 1, "unanswered": 2, "yes": 0, "no": 1, "not_checked": 0,
                      "major_hazards": 1}
    with pytest.raises(NotFound):
        await answer(world, iid, "NOPE", "yes")
    with pytest.raises(NotFound):
        await answer(world, iid, POINTS[0][0], "yes", who=SITE)  # not a companion


async def test_fj06_answers_before_check_in_are_refused(world):
    """FJ-06: the checklist opens with the check-in."""
    mongo, _, settings = world
    doc = await cases.create_inspection(mongo=mongo, settings=settings, principal=person(CHIEF), project_id="p1",
                                        title=None)
    with pytest.raises(Conflict) as e:
        await answer(world, doc["_id"], POINTS[0][0], "yes")
    assert slug(e) == "self-inspection-wrong-status"


async def test_fj07_drafts_are_listed_and_resumed(world):
    """FJ-07: 我的检查 → 检查填报 lists the unfinished inspection; answers saved earlier are there."""
    mongo = world[0]
    doc = await started(world)
    await answer(world, doc["_id"], POINTS[0][0], "yes")
    drafts = await cases.my_inspections(mongo=mongo, principal=person(CHIEF), drafts=True, limit=10, cursor=None)
    done = await cases.my_inspections(mongo=mongo, principal=person(CHIEF), drafts=False, limit=10, cursor=None)
    assert [d["_id"] for d in drafts.items] == [doc["_id"]] and done.items == []
    resumed = await cases.get_inspection(mongo=mongo, principal=person(CHIEF), inspection_id=doc["_id"])
    assert resumed["points"][0]["answer"]["value"] == "yes"
    with pytest.raises(NotFound):
        await cases.get_inspection(mongo=mongo, principal=person(STRANGER, org=OTHER_CO), inspection_id=doc["_id"])


async def test_fj08_complete_needs_every_point_and_confirmation(world):
    """FJ-08: 409 listing the unanswered points; 422 without confirm; then completed."""
    mongo = world[0]
    doc = await started(world)
    await answer(world, doc["_id"], POINTS[0][0], "yes")
    with pytest.raises(Conflict) as e:
        await cases.complete(mongo=mongo, principal=person(CHIEF), inspection_id=doc["_id"], confirm=True)
    assert slug(e) == "checklist-incomplete" and POINTS[1][0] in str(e.value) and POINTS[2][0] in str(e.value)
    with pytest.raises(Unprocessable):
        await cases.complete(mongo=mongo, principal=person(CHIEF), inspection_id=doc["_id"], confirm=False)
    await answer(world, doc["_id"], POINTS[1][0], "yes")
    await answer(world, doc["_id"], POINTS[2][0], "not_checked")
    with pytest.raises(NotFound):
        await cases.complete(mongo=mongo, principal=person(SITE), inspection_id=doc["_id"], confirm=True)
    after = await cases.complete(mongo=mongo, principal=person(CHIEF), inspection_id=doc["_id"], confirm=True)
    assert after["status"] == "completed"
    with pytest.raises(Conflict):
        await answer(world, doc["_id"], POINTS[0][0], "no", description="x", photos=1)


# --- FJ-09 -------------------------------------------------------------------------------------------

async def test_fj09_notice_rules(world):
    """FJ-09: feedback person required and must be the project's; opinion and deadline required;
    deadline not past; a major hazard needs a stop-work opinion (naming the point)."""
    mongo = world[0]
    doc = await completed(world)
    tomorrow = china_day(utcnow()) + timedelta(days=1)

    async def issue(**kw: Any) -> dict[str, Any]:
        args = dict(opinion="立即停工整改", deadline=tomorrow, feedback_user_id=FEEDBACK)
        args.update(kw)
        return await cases.issue_notice(mongo=mongo, principal=person(CHIEF), inspection_id=doc["_id"], **args)

    for kw, field, code in ((dict(feedback_user_id=""), "feedback_user_id", "feedback-person-required"),
                            (dict(feedback_user_id=SITE), "feedback_user_id", "not-feedback-person"),
                            (dict(opinion=" "), "opinion", "opinion-required"),
                            (dict(deadline=None), "deadline", "deadline-required"),
                            (dict(deadline=date(2020, 1, 1)), "deadline", None),
                            (dict(opinion="请限期整改"), "opinion", "stop-work-required")):
        with pytest.raises(Unprocessable) as e:
            await issue(**kw)
        assert e.value.field == field, kw
        if code:
            assert slug(e) == code
    with pytest.raises(Unprocessable) as e:
        await issue(opinion="请限期整改")
    assert POINTS[1][0] in str(e.value)
    after = await issue()
    assert after["status"] == "rectifying" and after["notice"]["feedback_person"]["name"] == "黄反馈"
    assert after["notice"]["major_codes"] == [POINTS[1][0]]
    with pytest.raises(Conflict):
        await issue()


async def test_fj09_no_problem_closes_on_issue(world):
    """FJ-09: with no problem only the feedback person is chosen and the inspection closes itself."""
    mongo = world[0]
    doc = await completed(world, problems=False)
    with pytest.raises(Unprocessable):
        await cases.issue_notice(mongo=mongo, principal=person(CHIEF), inspection_id=doc["_id"], opinion="整改",
                                 deadline=None, feedback_user_id=FEEDBACK)
    after = await cases.issue_notice(mongo=mongo, principal=person(CHIEF), inspection_id=doc["_id"], opinion=None,
                                     deadline=None, feedback_user_id=FEEDBACK)
    assert after["status"] == "closed" and after["timeline"][-1]["action"] == "closed"
    assert types(mongo)[-2:] == ["notice_issued.v1", "closed.v1"]


# --- FJ-10 / FJ-11 -------------------------------------------------------------------------------------

async def test_fj11_feedback_sent_back_then_accepted_closes_and_fj10_timeline(world):
    """FJ-11: the feedback person's list; a reply with photos; sent back; second accepted closes.
    FJ-10: the timeline names every step, who and when."""
    mongo, storage, settings = world
    doc = await completed(world)
    iid = doc["_id"]
    await cases.issue_notice(mongo=mongo, principal=person(CHIEF), inspection_id=iid, opinion="停工整改",
                             deadline=china_day(utcnow()) + timedelta(days=3), feedback_user_id=FEEDBACK)
    todo = await cases.rectification_list(mongo=mongo, principal=person(FEEDBACK), open_only=True, limit=10,
                                          cursor=None)
    assert [d["_id"] for d in todo.items] == [iid]

    async def reply(who: str = FEEDBACK, text: str = "已整改") -> dict[str, Any]:
        return await cases.send_feedback(mongo=mongo, storage=storage, settings=settings, principal=person(who),
                                         inspection_id=iid, text=text, photos=[photo()], attachments=[])

    with pytest.raises(NotFound):
        await reply(SITE)  # not on the notice: cannot even see it
    with pytest.raises(Unprocessable):
        await reply(text=" ")
    first = await reply()
    with pytest.raises(Conflict) as e:
        await reply()
    assert slug(e) == "reply-pending"
    with pytest.raises(Forbidden):
        await cases.review_feedback(mongo=mongo, principal=person(FEEDBACK), inspection_id=iid,
                                    feedback_id=first["_id"], decision="approve", comment=None)
    with pytest.raises(Unprocessable):
        await cases.review_feedback(mongo=mongo, principal=person(CHIEF), inspection_id=iid,
                                    feedback_id=first["_id"], decision="reject", comment="")
    await cases.review_feedback(mongo=mongo, principal=person(CHIEF), inspection_id=iid, feedback_id=first["_id"],
                                decision="reject", comment="照片不清晰")
    with pytest.raises(Conflict):
        await cases.review_feedback(mongo=mongo, principal=person(CHIEF), inspection_id=iid,
                                    feedback_id=first["_id"], decision="approve", comment=None)
    second = await reply(text="已补设连墙件，照片见附件")
    await cases.review_feedback(mongo=mongo, principal=person(CHIEF), inspection_id=iid, feedback_id=second["_id"],
                                decision="approve", comment=None)
    final = await cases.get_inspection(mongo=mongo, principal=person(FEEDBACK), inspection_id=iid)
    assert final["status"] == "closed"
    assert [e["action"] for e in final["timeline"]] == [
        "created", "checked_in", "completed", "notice_issued", "feedback_sent", "feedback_returned",
        "feedback_sent", "feedback_accepted", "closed"]
    assert all(e["at"] for e in final["timeline"]) and final["timeline"][0]["by"]["user_id"] == CHIEF
    feedback = await cases.list_feedback(mongo=mongo, principal=person(CHIEF), inspection_id=iid)
    assert [f["status"] for f in feedback] == ["returned", "accepted"]
    assert types(mongo)[-6:] == ["notice_issued.v1", "feedback_sent.v1", "feedback_reviewed.v1",
                                 "feedback_sent.v1", "feedback_reviewed.v1", "closed.v1"]


async def test_fj11_overdue_notice_escalates_once(world):
    """FJ-11: an overdue notice escalates to the station exactly once, also with concurrent sweeps."""
    mongo = world[0]
    doc = await completed(world)
    await cases.issue_notice(mongo=mongo, principal=person(CHIEF), inspection_id=doc["_id"], opinion="停工整改",
                             deadline=china_day(utcnow()), feedback_user_id=FEEDBACK)
    assert await cases.escalate_overdue(mongo) == []  # due today: not overdue yet
    later = utcnow() + timedelta(days=2)
    runs = await asyncio.gather(cases.escalate_overdue(mongo, now=later), cases.escalate_overdue(mongo, now=later))
    assert sum(len(r) for r in runs) == 1
    assert types(mongo).count("escalated.v1") == 1
    stored = await mongo.repo(SELF_INSPECTIONS, TENANT).get(doc["_id"])
    assert stored["escalated"] and stored["timeline"][-1]["action"] == "escalated"


# --- the stations' view -----------------------------------------------------------------------------------

async def test_fj_station_overview_counts_and_projects_without_inspection(world):
    """Stations see per company and project the inspections, hazards, open notices; projects
    without a self-inspection in the configured period (五个一) are listed."""
    mongo, _, settings = world
    await mongo.repo(PROJECTS, TENANT).insert({**project("p2"), "name": "厦门二号楼"})
    doc = await completed(world)
    await cases.issue_notice(mongo=mongo, principal=person(CHIEF), inspection_id=doc["_id"], opinion="停工整改",
                             deadline=china_day(utcnow()) + timedelta(days=3), feedback_user_id=FEEDBACK)
    leader = person("u-leader", "station_leader", org=STATION, kind="station")
    view = await cases.station_overview(mongo=mongo, settings=settings, principal=leader, date_from=None,
                                        date_to=None)
    [company] = view["companies"]
    p1 = next(p for p in company["projects"] if p["project_id"] == "p1")
    assert (p1["inspections"], p1["hazards"], p1["major_hazards"], p1["notices_open"]) == (1, 2, 1, 1)
    assert [p["project_id"] for p in view["projects_without_inspection"]] == ["p2"]
    assert view["period_days"] == 30 and view["notices_open"] == 1 and view["notices_overdue"] == 0
    with pytest.raises(Forbidden):
        await cases.station_overview(mongo=mongo, settings=settings, principal=person(CHIEF), date_from=None,
                                     date_to=None)


def test_fj06_major_points_are_the_ones_citing_2024_items():
    """FJ-06: a point citing a ZD2024- item is flagged 重大事故隐患."""
    points = rules.checklist([{"code": "A", "text": "a", "hazard_codes": ["ZD2024-5.4"]},
                              {"code": "B", "text": "b", "hazard_codes": ["JGJ59-A.0.1-01"]}])
    assert [p["major"] for p in points] == [True, False]
    assert rules.major_codes(["ZD2024-5.4", "X"]) == ["ZD2024-5.4"]


def test_fj09_stop_work_wording():
    """FJ-09: the opinion orders work stopped when it says so."""
    assert rules.orders_stop("立即停工整改") and rules.orders_stop("暂停施工") and not rules.orders_stop("限期整改")


def test_fj04_distance_is_haversine_metres():
    """FJ-04: 0.001° of latitude ≈ 111 m."""
    assert 110 < rules.haversine_m(119.3, 26.08, 119.3, 26.081) < 112


def test_fj05_token_claims_round_trip():
    """FJ-05: a token carries tenant, inspection, id and expiry; anything else is invalid."""
    at = datetime(2026, 3, 2, 1, 0, tzinfo=utcnow().tzinfo)
    token = rules.companion_token(inspection_id="i1", tenant=TENANT, jti="j1", expires_at=at, key=b"k" * 32)
    assert rules.read_companion_token(token) == {"t": TENANT, "i": "i1", "j": "j1", "e": int(at.timestamp())}
