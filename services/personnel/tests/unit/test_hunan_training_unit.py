"""Hunan training registrations and quotas on the in-memory database (HUN-13..HUN-15): who may
register whom, deletion only own and unreviewed, review and results, quotas, and the seats
under concurrent registrations (exactly ``capacity`` / ``seats`` succeed)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from anjian_shared.china_time import china_day
from anjian_shared.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from anjian_shared.testing.media import FakeUpload, image_bytes
from anjian_shared.types import utcnow
from personnel.domain import training as rules
from personnel.service_layer import agencies
from personnel.service_layer import training as service

T = "hunan"


def who(org: str, *roles: str, kind: str = "agency") -> Principal:
    return Principal(user_id=f"{org}-user", tenant=T, org_id=org, roles=list(roles) or ["station_leader"],
                     org_kind=kind)


LEADER = who("furong")
OTHER = who("yuelu")
OFFICE = who("office", "supervisor", kind="authority")
CITY = who("changsha", "supervisor", kind="authority")
PERSONAL = {"id_number": "430102198804120012", "mobile": "13800000000"}
STAFF = {"name": "李明", "gender": "male", "birth_date": date(1988, 4, 12), "post": "supervisor",
         "education": "bachelor", "title": "intermediate"}


def soon(days: int = 30) -> date:
    return china_day(utcnow()) + timedelta(days=days)


@pytest.fixture
async def world() -> FakeDatabase:
    mongo = FakeDatabase(service="personnel")
    for org_id, kind, division in (("furong", "agency", "430102"), ("yuelu", "agency", "430104"),
                                   ("changsha", "authority", "430100"), ("office", "authority", "430000")):
        await mongo.repo("organizations", T).insert({"_id": org_id, "org_id": org_id, "kind": kind,
                                                     "division_code": division, "name": org_id})
    await service.ensure_training_indexes(mongo)
    return mongo


async def staff_of(mongo: FakeDatabase, actor: Principal, *certificates: str, name: str = "李明") -> str:
    doc = await agencies.add_staff(mongo=mongo, actor=actor, agency_org_id=actor.org_id, data={**STAFF, "name": name})
    if certificates:
        await mongo.repo("agency_staff", T).update({"_id": doc["_id"]}, {"$set": {"certificates": list(certificates)}})
    return doc["_id"]


async def session_of(mongo: FakeDatabase, kind: str = "continuing", capacity: int = 5) -> str:
    doc = await service.create_session(mongo=mongo, actor=OFFICE, kind=kind, title="2027 第一期", starts_on=soon(),
                                       ends_on=soon(32), capacity=capacity)
    return doc["_id"]


def test_hun13_hun14_eligibility_by_certificates_held():
    """HUN-13 new-staff: none or one certificate; HUN-14 continuing: certified."""
    rules.check_eligible("new_staff", [])
    rules.check_eligible("new_staff", ["safety"])
    rules.check_eligible("continuing", ["quality"])
    rules.check_eligible("continuing", ["quality", "safety"])
    with pytest.raises(Unprocessable) as both:
        rules.check_eligible("new_staff", ["quality", "safety"])
    assert both.value.code == "training-not-eligible" and both.value.field == "staff_id"
    with pytest.raises(Unprocessable):
        rules.check_eligible("continuing", [])


async def test_hun14_sessions_only_by_the_province_office_with_sane_dates(world):
    """HUN-14/15: the office opens sessions; dates checked; anyone of the tenant lists them."""
    with pytest.raises(Forbidden):
        await service.create_session(mongo=world, actor=CITY, kind="continuing", title="x", starts_on=soon(),
                                     ends_on=soon(), capacity=3)
    with pytest.raises(Unprocessable) as past:
        await service.create_session(mongo=world, actor=OFFICE, kind="continuing", title="x",
                                     starts_on=soon(-1) - timedelta(days=30), ends_on=soon(), capacity=3)
    assert past.value.field == "starts_on"
    with pytest.raises(Unprocessable) as order:
        await service.create_session(mongo=world, actor=OFFICE, kind="continuing", title="x", starts_on=soon(5),
                                     ends_on=soon(4), capacity=3)
    assert order.value.field == "ends_on"
    sid = await session_of(world)
    page = await service.list_sessions(mongo=world, actor=LEADER, kind="continuing", limit=10, cursor=None)
    assert [s["_id"] for s in page.items] == [sid] and page.items[0]["free"] == 5


async def test_hun14_continuing_registration_within_quota_and_refused_beyond(world):
    """HUN-14/15: two seats for the agency — two registrations pass, the third is refused
    (training-quota-exhausted); an agency without seats is refused; deletion gives a seat back."""
    sid = await session_of(world)
    a, b, c = [await staff_of(world, LEADER, "safety", name=n) for n in ("甲", "乙", "丙")]
    with pytest.raises(Conflict) as none:
        await service.register(mongo=world, actor=LEADER, kind="continuing", staff_id=a, session_id=sid,
                               personal=PERSONAL)
    assert none.value.code == "training-quota-exhausted"
    await service.set_quota(mongo=world, actor=OFFICE, session_id=sid, agency_org_id="furong", seats=2)
    r1 = await service.register(mongo=world, actor=LEADER, kind="continuing", staff_id=a, session_id=sid,
                                personal=PERSONAL)
    await service.register(mongo=world, actor=LEADER, kind="continuing", staff_id=b, session_id=sid,
                           personal=PERSONAL)
    with pytest.raises(Conflict) as beyond:
        await service.register(mongo=world, actor=LEADER, kind="continuing", staff_id=c, session_id=sid,
                               personal=PERSONAL)
    assert beyond.value.code == "training-quota-exhausted" and beyond.value.field == "session_id"
    session = await service.get_session(mongo=world, actor=LEADER, session_id=sid)
    assert (session["taken"], session["free"]) == (2, 3)
    assert [(q["seats"], q["used"], q["free"]) for q in session["quotas"]] == [(2, 2, 0)]
    await service.delete_registration(mongo=world, actor=LEADER, registration_id=r1["_id"])
    await service.register(mongo=world, actor=LEADER, kind="continuing", staff_id=c, session_id=sid,
                           personal=PERSONAL)
    assert (await service.get_session(mongo=world, actor=OFFICE, session_id=sid))["taken"] == 2


async def test_hun14_refusals_wrong_role_other_agency_staff_missing_data_duplicate(world):
    """HUN-14: only the agency's leader registers its own current certified staff, with id
    number and mobile, once per session."""
    sid = await session_of(world)
    await service.set_quota(mongo=world, actor=OFFICE, session_id=sid, agency_org_id="furong", seats=3)
    mine = await staff_of(world, LEADER, "quality")
    theirs = await staff_of(world, OTHER, "quality")
    uncertified = await staff_of(world, LEADER, name="新人")
    with pytest.raises(Forbidden):
        await service.register(mongo=world, actor=who("furong", "supervisor"), kind="continuing", staff_id=mine,
                               session_id=sid, personal=PERSONAL)
    with pytest.raises(NotFound) as other:
        await service.register(mongo=world, actor=LEADER, kind="continuing", staff_id=theirs, session_id=sid,
                               personal=PERSONAL)
    assert other.value.field == "staff_id"
    with pytest.raises(Unprocessable) as missing:
        await service.register(mongo=world, actor=LEADER, kind="continuing", staff_id=mine, session_id=sid,
                               personal={"id_number": "430102198804120012"})
    assert missing.value.field == "mobile"
    with pytest.raises(Unprocessable) as eligible:
        await service.register(mongo=world, actor=LEADER, kind="continuing", staff_id=uncertified, session_id=sid,
                               personal=PERSONAL)
    assert eligible.value.code == "training-not-eligible"
    with pytest.raises(Unprocessable) as no_session:
        await service.register(mongo=world, actor=LEADER, kind="continuing", staff_id=mine, personal=PERSONAL)
    assert no_session.value.field == "session_id"
    new_staff_session = await session_of(world, kind="new_staff")
    with pytest.raises(Unprocessable) as kind:
        await service.register(mongo=world, actor=LEADER, kind="continuing", staff_id=mine,
                               session_id=new_staff_session, personal=PERSONAL)
    assert kind.value.code == "session-kind-mismatch"
    await service.register(mongo=world, actor=LEADER, kind="continuing", staff_id=mine, session_id=sid,
                           personal=PERSONAL)
    with pytest.raises(Conflict) as twice:
        await service.register(mongo=world, actor=LEADER, kind="continuing", staff_id=mine, session_id=sid,
                               personal=PERSONAL)
    assert twice.value.code == "already-registered"
    session = await service.get_session(mongo=world, actor=OFFICE, session_id=sid)
    assert session["taken"] == 1, "the refused duplicate took no seat (its transaction rolled back)"


async def test_hun13_new_staff_registration_assigned_reviewed_passed_on_history(world):
    """HUN-13/15: a new-staff registration (no session), the province assigns a session, the
    office approves, the result is recorded; a pass goes on the staff record and emits
    personnel.training.passed.v1. Delete only own and unreviewed."""
    novice = await staff_of(world, LEADER, name="新人")
    reg = await service.register(mongo=world, actor=LEADER, kind="new_staff", staff_id=novice, personal=PERSONAL)
    assert reg["session_id"] is None and reg["status"] == "submitted"
    with pytest.raises(Conflict) as unassigned:
        await service.review(mongo=world, actor=OFFICE, registration_id=reg["_id"], decision="approve", reason=None)
    assert unassigned.value.code == "session-not-assigned"
    sid = await session_of(world, kind="new_staff", capacity=1)
    with pytest.raises(Forbidden):
        await service.assign_session(mongo=world, actor=LEADER, registration_id=reg["_id"], session_id=sid)
    await service.assign_session(mongo=world, actor=OFFICE, registration_id=reg["_id"], session_id=sid)
    other = await service.register(mongo=world, actor=LEADER, kind="new_staff",
                                   staff_id=await staff_of(world, LEADER, name="新人二"), personal=PERSONAL)
    with pytest.raises(Conflict) as full:
        await service.assign_session(mongo=world, actor=OFFICE, registration_id=other["_id"], session_id=sid)
    assert full.value.code == "training-session-full"
    with pytest.raises(Forbidden):
        await service.review(mongo=world, actor=LEADER, registration_id=reg["_id"], decision="approve", reason=None)
    with pytest.raises(Conflict) as early:
        await service.record_result(mongo=world, actor=OFFICE, registration_id=reg["_id"], score=80)
    assert early.value.code == "training-registration-not-approved"
    approved = await service.review(mongo=world, actor=OFFICE, registration_id=reg["_id"], decision="approve",
                                    reason=None)
    assert approved["status"] == "approved"
    with pytest.raises(Conflict) as reviewed:
        await service.delete_registration(mongo=world, actor=LEADER, registration_id=reg["_id"])
    assert reviewed.value.code == "registration-reviewed"
    done = await service.record_result(mongo=world, actor=OFFICE, registration_id=reg["_id"], score=86)
    assert done["result"]["passed"] is True and done["result"]["score"] == 86
    with pytest.raises(Conflict) as again:
        await service.record_result(mongo=world, actor=OFFICE, registration_id=reg["_id"], score=90)
    assert again.value.code == "result-recorded"
    staff = await world.repo("agency_staff", T).get(novice)
    assert [(h["kind"], h["score"], h["session_id"]) for h in staff["training_history"]] == [("new_staff", 86, sid)]
    (event,) = [e for e in world.outbox if e["type"] == "personnel.training.passed.v1"]
    assert event["data"]["staff_id"] == novice and event["data"]["score"] == 86


async def test_hun13_delete_only_own_and_rejection_frees_the_seat(world):
    """HUN-13/14: another agency cannot delete (403 not-own-registration, 404 when it cannot
    even see it); a rejection needs a reason and gives the seat back; a fail frees the staff
    member to register again; new-staff training refused for holders of both certificates."""
    sid = await session_of(world, capacity=2)
    await service.set_quota(mongo=world, actor=OFFICE, session_id=sid, agency_org_id="furong", seats=1)
    certified = await staff_of(world, LEADER, "quality", "safety")
    with pytest.raises(Unprocessable):
        await service.register(mongo=world, actor=LEADER, kind="new_staff", staff_id=certified, personal=PERSONAL)
    reg = await service.register(mongo=world, actor=LEADER, kind="continuing", staff_id=certified, session_id=sid,
                                 personal=PERSONAL)
    with pytest.raises(NotFound):  # a sibling agency does not see it
        await service.delete_registration(mongo=world, actor=OTHER, registration_id=reg["_id"])
    seen = await service.get_registration(mongo=world, actor=CITY, registration_id=reg["_id"])
    assert seen["_id"] == reg["_id"], "the city above sees its county's registration"
    with pytest.raises(Forbidden) as city_delete:
        await service.delete_registration(mongo=world, actor=who("changsha", kind="authority"),
                                          registration_id=reg["_id"])
    assert city_delete.value.code == "not-own-registration"
    with pytest.raises(Unprocessable) as no_reason:
        await service.review(mongo=world, actor=OFFICE, registration_id=reg["_id"], decision="reject", reason=" ")
    assert no_reason.value.field == "reason"
    rejected = await service.review(mongo=world, actor=OFFICE, registration_id=reg["_id"], decision="reject",
                                    reason="证书已过期")
    assert rejected["status"] == "rejected" and rejected["review"]["reason"] == "证书已过期"
    session = await service.get_session(mongo=world, actor=OFFICE, session_id=sid)
    assert session["taken"] == 0 and session["quotas"][0]["used"] == 0
    again = await service.register(mongo=world, actor=LEADER, kind="continuing", staff_id=certified,
                                   session_id=sid, personal=PERSONAL)
    await service.review(mongo=world, actor=OFFICE, registration_id=again["_id"], decision="approve", reason=None)
    failed = await service.record_result(mongo=world, actor=OFFICE, registration_id=again["_id"], score=59)
    assert failed["result"]["passed"] is False
    assert not [e for e in world.outbox if e["type"] == "personnel.training.passed.v1"]


async def test_hun15_quotas_within_capacity_and_not_below_used(world):
    """HUN-15: the seats of all agencies never exceed the capacity; an agency's seats never
    drop below those used; the capacity never drops below taken or given seats; only the
    province office gives seats, and only in continuing-education sessions."""
    sid = await session_of(world, capacity=3)
    await service.set_quota(mongo=world, actor=OFFICE, session_id=sid, agency_org_id="furong", seats=2)
    with pytest.raises(Conflict) as over:
        await service.set_quota(mongo=world, actor=OFFICE, session_id=sid, agency_org_id="yuelu", seats=2)
    assert over.value.code == "quota-exceeds-capacity"
    with pytest.raises(Forbidden):
        await service.set_quota(mongo=world, actor=CITY, session_id=sid, agency_org_id="furong", seats=1)
    with pytest.raises(Unprocessable):
        await service.set_quota(mongo=world, actor=OFFICE, session_id=await session_of(world, kind="new_staff"),
                                agency_org_id="furong", seats=1)
    await service.register(mongo=world, actor=LEADER, kind="continuing",
                           staff_id=await staff_of(world, LEADER, "safety"), session_id=sid, personal=PERSONAL)
    with pytest.raises(Conflict) as below:
        await service.set_quota(mongo=world, actor=OFFICE, session_id=sid, agency_org_id="furong", seats=0)
    assert below.value.code == "quota-below-used"
    with pytest.raises(Conflict) as cap:
        await service.change_capacity(mongo=world, actor=OFFICE, session_id=sid, capacity=1)
    assert cap.value.code == "capacity-below-quotas"
    assert (await service.change_capacity(mongo=world, actor=OFFICE, session_id=sid, capacity=4))["free"] == 3


async def test_hun15_concurrent_registrations_never_exceed_capacity(world):
    """HUN-15: twelve agencies' registrations at once for a session of 4 seats (each agency
    holding a seat of its own): exactly 4 succeed, the rest are training-session-full."""
    capacity = 4
    sid = await session_of(world, capacity=12)
    leaders = []
    for i in range(12):
        org = f"county{i}"
        await world.repo("organizations", T).insert({"_id": org, "org_id": org, "kind": "agency",
                                                     "division_code": "430102", "name": org})
        await service.set_quota(mongo=world, actor=OFFICE, session_id=sid, agency_org_id=org, seats=1)
        leaders.append((who(org), await staff_of(world, who(org), "safety")))
    await world.repo("training_sessions", T).update({"_id": sid}, {"$set": {"capacity": capacity, "free": capacity}})
    outcomes = await asyncio.gather(*(
        service.register(mongo=world, actor=leader, kind="continuing", staff_id=staff, session_id=sid,
                         personal=PERSONAL) for leader, staff in leaders), return_exceptions=True)
    ok = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(ok) == capacity and len(refused) == 12 - capacity, outcomes
    assert {r.code for r in refused} == {"training-session-full"}
    session = await world.repo("training_sessions", T).get(sid)
    assert (session["taken"], session["free"]) == (capacity, 0)
    assert await world.repo("training_registrations", T).count({"session_id": sid}) == capacity


async def test_hun15_concurrent_registrations_of_one_agency_never_exceed_its_seats(world):
    """HUN-15: ten registrations of one agency at once against its 3 seats: exactly 3 succeed."""
    sid = await session_of(world, capacity=10)
    await service.set_quota(mongo=world, actor=OFFICE, session_id=sid, agency_org_id="furong", seats=3)
    staff = [await staff_of(world, LEADER, "quality", name=f"员{i}") for i in range(10)]
    outcomes = await asyncio.gather(*(
        service.register(mongo=world, actor=LEADER, kind="continuing", staff_id=s, session_id=sid,
                         personal=PERSONAL) for s in staff), return_exceptions=True)
    assert sum(isinstance(o, dict) for o in outcomes) == 3, outcomes
    assert {o.code for o in outcomes if isinstance(o, Conflict)} == {"training-quota-exhausted"}
    assert (await world.repo("training_sessions", T).get(sid))["taken"] == 3


async def test_hun13_photos_through_the_media_intake(world):
    """HUN-13: photos on an unreviewed own registration; oversize refused naming photos."""
    storage = FakeStorage()
    novice = await staff_of(world, LEADER, name="新人")
    reg = await service.register(mongo=world, actor=LEADER, kind="new_staff", staff_id=novice, personal=PERSONAL)
    png = image_bytes("PNG")
    out = await service.add_photos(mongo=world, storage=storage, actor=LEADER, registration_id=reg["_id"],
                                   photos=[FakeUpload(png, "a.png", "image/png")], max_bytes=100_000)
    assert len(out["photos"]) == 1 and len(storage.objects) == 1
    with pytest.raises(PayloadTooLarge) as big:
        await service.add_photos(mongo=world, storage=storage, actor=LEADER, registration_id=reg["_id"],
                                 photos=[FakeUpload(png, "b.png", "image/png")], max_bytes=10)
    assert big.value.field == "photos"
    with pytest.raises(NotFound):
        await service.add_photos(mongo=world, storage=storage, actor=OTHER, registration_id=reg["_id"],
                                 photos=[FakeUpload(png, "c.png", "image/png")], max_bytes=100_000)


async def test_hun13_hun14_summary_adds_up_from_the_records(world):
    """HUN-13/14 报名汇总 / 考核汇总: the rows per agency recomputed from the registrations and
    their sum is the total; an agency sees only its own row."""
    sid = await session_of(world, capacity=6)
    for actor, seats in ((LEADER, 3), (OTHER, 2)):
        await service.set_quota(mongo=world, actor=OFFICE, session_id=sid, agency_org_id=actor.org_id, seats=seats)
    regs = []
    for actor, n in ((LEADER, 3), (OTHER, 2)):
        for i in range(n):
            regs.append(await service.register(
                mongo=world, actor=actor, kind="continuing", session_id=sid, personal=PERSONAL,
                staff_id=await staff_of(world, actor, "safety", name=f"{actor.org_id}{i}")))
    await service.review(mongo=world, actor=OFFICE, registration_id=regs[0]["_id"], decision="reject",
                         reason="材料不全")
    for reg, score in ((regs[1], 90), (regs[3], 40)):
        await service.review(mongo=world, actor=OFFICE, registration_id=reg["_id"], decision="approve", reason=None)
        await service.record_result(mongo=world, actor=OFFICE, registration_id=reg["_id"], score=score)
    out = await service.summary(mongo=world, actor=OFFICE, kind="continuing", session_id=sid)
    stored = await world.repo("training_registrations", T).find({"session_id": sid}, limit=0)
    for row in out["rows"]:
        mine = [r for r in stored if r["agency_org_id"] == row["agency_org_id"]]
        assert row["registered"] == len(mine)
        for status in ("submitted", "approved", "rejected"):
            assert row[status] == sum(r["status"] == status for r in mine)
        assert row["passed"] == sum(bool(r["result"] and r["result"]["passed"]) for r in mine)
        assert row["failed"] == sum(bool(r["result"] and not r["result"]["passed"]) for r in mine)
    assert out["total"] == {k: sum(r[k] for r in out["rows"]) for k in out["total"]}
    assert out["total"] == {"registered": 5, "submitted": 2, "approved": 2, "rejected": 1, "passed": 1, "failed": 1}
    own = await service.summary(mongo=world, actor=OTHER, kind=None, session_id=None)
    assert [r["agency_org_id"] for r in own["rows"]] == ["yuelu"] and own["total"]["failed"] == 1
