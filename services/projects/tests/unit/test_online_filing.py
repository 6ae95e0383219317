"""HN-01 online filing (网上报监) on the in-memory fakes: the owner files the project with its parties
and personnel, the station returns it with a reason, the owner corrects and resubmits, the station
accepts and assigns supervisors — only then is the project registered and its people see it. The
tenant policy says which ways a province allows: online filing off, or direct registration off,
each refused 403 ``feature-disabled``."""

from __future__ import annotations

from typing import Any

import pytest

from anjian_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from projects.service_layer import filing as cases
from projects.service_layer import use_cases
from projects.settings import Settings

TENANT = "hainan"


def who(uid: str, org: str, *roles: str, kind: str = "company") -> Principal:
    return Principal(user_id=uid, tenant=TENANT, org_id=org, roles=list(roles), name=uid, org_kind=kind)


OWNER = who("o1", "own", "company_admin")
PM = who("pm", "con", "project_manager")
SUP = who("zhang", "st", "supervisor", kind="station")
OTHER_STATION = who("x", "st2", "station_leader", kind="station")


@pytest.fixture
async def mongo() -> FakeDatabase:
    db = FakeDatabase(service="projects")
    orgs = (("st", "station", []), ("st2", "station", []), ("own", "company", ["owner"]),
            ("con", "company", ["contractor"]), ("sv", "company", ["supervision"]))
    for org_id, kind, roles in orgs:
        await db.repo("organizations", TENANT).insert({"_id": org_id, "name": org_id, "kind": kind,
                                                       "company_roles": roles})
    for uid, org, roles in (("zhang", "st", ["supervisor"]), ("pm", "con", ["project_manager"]),
                            ("chief", "sv", ["company_staff"]), ("o1", "own", ["company_admin"])):
        await db.repo("users", TENANT).insert({"_id": uid, "display_name": uid.upper(), "org_id": org, "roles": roles})
    return db


def form(**over: Any) -> dict[str, Any]:
    data = {"name": "海口安居房一期", "address": "海口市美兰区", "station_org_id": "st", "contractor_org_id": "con",
            "supervision_org_id": "sv", "participants": [{"user_id": "pm", "project_role": "project_manager"},
                                                          {"user_id": "chief",
                                                           "project_role": "chief_supervising_engineer"}]}
    data.update(over)
    return data


async def visible_projects(mongo: FakeDatabase, principal: Principal) -> list[str]:
    page = await use_cases.list_projects(mongo=mongo, actor=principal, limit=50)
    return [p["_id"] for p in page.items]


async def test_hn01_filed_returned_corrected_accepted_then_the_parties_see_the_project(mongo):
    """HN-01: file → submit → 退回 with a reason → edit → resubmit → 受理 with supervisors."""
    settings = Settings()
    filing = await cases.create_filing(mongo=mongo, settings=settings, principal=OWNER, data=form())
    assert filing["stage"] == "draft" and filing["form"]["owner_org_id"] == "own"
    with pytest.raises(NotFound):   # a draft is not the station's business yet
        await cases.get_filing(mongo=mongo, settings=settings, principal=SUP, filing_id=filing["_id"])
    await cases.submit_filing(mongo=mongo, settings=settings, principal=OWNER, filing_id=filing["_id"])
    with pytest.raises(Unprocessable) as exc:
        await cases.decide_filing(mongo=mongo, settings=settings, principal=SUP, filing_id=filing["_id"],
                                  action="return", comment=" ", supervisor_user_ids=[])
    assert exc.value.field == "comment"
    returned = await cases.decide_filing(mongo=mongo, settings=settings, principal=SUP, filing_id=filing["_id"],
                                         action="return", comment="地址不全", supervisor_user_ids=[])
    assert returned["stage"] == "returned" and returned["decision"] == "地址不全"
    await cases.edit_filing(mongo=mongo, settings=settings, principal=OWNER, filing_id=filing["_id"],
                            data=form(address="海口市美兰区江东大道1号"))
    await cases.submit_filing(mongo=mongo, settings=settings, principal=OWNER, filing_id=filing["_id"])
    assert await visible_projects(mongo, PM) == [] and mongo.outbox == []          # no access before acceptance
    with pytest.raises(Unprocessable) as exc:
        await cases.decide_filing(mongo=mongo, settings=settings, principal=SUP, filing_id=filing["_id"],
                                  action="accept", comment=None, supervisor_user_ids=[])
    assert exc.value.field == "supervisor_user_ids"
    accepted = await cases.decide_filing(mongo=mongo, settings=settings, principal=SUP, filing_id=filing["_id"],
                                         action="accept", comment=None, supervisor_user_ids=["zhang"])
    assert accepted["stage"] == "accepted" and accepted["project_id"]
    assert await visible_projects(mongo, PM) == [accepted["project_id"]]
    [event] = mongo.events("projects.project.registered.v1", tenant=TENANT)
    data = event["data"]
    assert data["station_org_id"] == "st" and data["owner_org_id"] == "own" and data["supervisor_user_ids"] == ["zhang"]
    assert {p["user_id"] for p in data["participants"]} == {"pm", "chief"}
    assert data["address"] == "海口市美兰区江东大道1号"
    with pytest.raises(Conflict):   # decided once
        await cases.decide_filing(mongo=mongo, settings=settings, principal=SUP, filing_id=filing["_id"],
                                  action="accept", comment=None, supervisor_user_ids=["zhang"])


async def test_hn01_who_files_and_who_decides(mongo):
    """HN-01: a contractor cannot file (403 not-an-owner); another station neither sees nor
    decides it (404); the owner cannot decide (403); a participant outside the parties is 422."""
    settings = Settings()
    with pytest.raises(Forbidden) as exc:
        await cases.create_filing(mongo=mongo, settings=settings, principal=PM, data=form())
    assert exc.value.slug == "not-an-owner"
    with pytest.raises(Unprocessable) as exc:
        await cases.create_filing(mongo=mongo, settings=settings, principal=OWNER,
                                  data=form(participants=[{"user_id": "zhang", "project_role": "project_manager"}]))
    assert exc.value.field == "participants.0.user_id"
    with pytest.raises(Unprocessable) as exc:
        await cases.create_filing(mongo=mongo, settings=settings, principal=OWNER, data=form(station_org_id="con"))
    assert exc.value.field == "station_org_id"
    filing = await cases.create_filing(mongo=mongo, settings=settings, principal=OWNER, data=form())
    await cases.submit_filing(mongo=mongo, settings=settings, principal=OWNER, filing_id=filing["_id"])
    with pytest.raises(NotFound):
        await cases.decide_filing(mongo=mongo, settings=settings, principal=OTHER_STATION, filing_id=filing["_id"],
                                  action="accept", comment=None, supervisor_user_ids=["x"])
    with pytest.raises(Forbidden):
        await cases.decide_filing(mongo=mongo, settings=settings, principal=OWNER, filing_id=filing["_id"],
                                  action="accept", comment=None, supervisor_user_ids=["zhang"])
    with pytest.raises(Forbidden):   # the station does not edit the owner's filing
        await cases.edit_filing(mongo=mongo, settings=settings, principal=SUP, filing_id=filing["_id"], data=form())


async def test_hn01_a_province_without_online_filing_refuses_it(mongo):
    """HN-01 tenant policy: online filing off → 403 feature-disabled."""
    settings = Settings(online_filing_tenants=[])
    with pytest.raises(Forbidden) as exc:
        await cases.create_filing(mongo=mongo, settings=settings, principal=OWNER, data=form())
    assert exc.value.slug == "feature-disabled"


async def test_hn01_a_province_with_online_filing_only_refuses_direct_registration(mongo):
    """HN-01 tenant policy: direct registration off → the station's POST /projects is 403."""
    settings = Settings(direct_registration_tenants=["hubei"])
    with pytest.raises(Forbidden) as exc:
        await use_cases.register_project(mongo=mongo, actor=SUP, settings=settings, data={
            "name": "x", "address": "y", "owner_org_id": "own", "contractor_org_id": "con",
            "supervision_org_id": "sv", "supervisor_user_ids": ["zhang"], "participants": []})
    assert exc.value.slug == "feature-disabled" and mongo.outbox == []
    project = await use_cases.register_project(mongo=mongo, actor=SUP, settings=Settings(), data={
        "name": "x", "address": "y", "owner_org_id": "own", "contractor_org_id": "con",
        "supervision_org_id": "sv", "supervisor_user_ids": ["zhang"], "participants": []})
    assert project["station_org_id"] == "st"


async def test_hn01_two_decisions_at_once_register_one_project(mongo):
    """HN-01: two station staff accept the same filing at the same moment: one project, one event;
    the other answer is 409."""
    import asyncio

    settings = Settings()
    await mongo.repo("users", TENANT).insert({"_id": "li", "display_name": "LI", "org_id": "st",
                                              "roles": ["supervisor"]})
    filing = await cases.create_filing(mongo=mongo, settings=settings, principal=OWNER, data=form())
    await cases.submit_filing(mongo=mongo, settings=settings, principal=OWNER, filing_id=filing["_id"])
    outcomes = await asyncio.gather(*(
        cases.decide_filing(mongo=mongo, settings=settings, principal=p, filing_id=filing["_id"], action="accept",
                            comment=None, supervisor_user_ids=[p.user_id])
        for p in (SUP, who("li", "st", "supervisor", kind="station"))), return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "dict"]
    assert len(mongo.events("projects.project.registered.v1", tenant=TENANT)) == 1
    assert len(mongo.documents("projects")) == 1
