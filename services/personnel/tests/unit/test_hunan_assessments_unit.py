"""Hunan assessments and dynamic scoring on the in-memory database (HUN-16..HUN-18): the
arithmetic by hand, the refusals, a submitted sheet that never changes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from anjian_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from personnel.domain import assessments as rules
from personnel.service_layer import agencies as agencies
from personnel.service_layer import assessments as service

T = "hunan"


def who(org: str, *roles: str, kind: str = "agency") -> Principal:
    return Principal(user_id=f"{org}-user", tenant=T, org_id=org, roles=list(roles) or ["station_leader"],
                     org_kind=kind)


LEADER = who("furong")
CLERK = who("furong", "supervisor")
STAFF = {"name": "李明", "gender": "male", "birth_date": date(1988, 4, 12), "post": "supervisor",
         "education": "bachelor", "title": "intermediate"}


@pytest.fixture
async def world() -> FakeDatabase:
    mongo = FakeDatabase(service="personnel")
    for org_id, kind, division in (("furong", "agency", "430102"), ("yuelu", "agency", "430104"),
                                   ("changsha", "authority", "430100"), ("zhuzhou", "authority", "430200"),
                                   ("office", "authority", "430000")):
        await mongo.repo("organizations", T).insert({"_id": org_id, "org_id": org_id, "kind": kind,
                                                     "division_code": division, "name": org_id})
    assert await service.seed_catalog(mongo) > 0
    assert await service.seed_catalog(mongo) == 0, "seeding twice adds nothing"
    return mongo


def test_hun16_project_and_assessment_scores_by_hand():
    assert rules.project_score([]) == 100
    assert rules.project_score([{"points": 5}, {"points": 3, "count": 2}]) == 100 - 5 - 6
    assert rules.project_score([{"points": 60}, {"points": 50}]) == 0, "never below zero"
    assert rules.assessment_score([89, 100, 90]) == Decimal("93.00")
    assert rules.assessment_score([90, 91]) == Decimal("90.50")
    assert rules.assessment_score([100, 100, 99]) == Decimal("99.67"), "(100+100+99)/3 = 99.666… → 99.67"
    with pytest.raises(Unprocessable):
        rules.assessment_score([])


async def test_hun16_a_group_assessment_saved_resumed_submitted_then_frozen(world):
    staff = await agencies.add_staff(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(STAFF))
    sheet = await service.start_assessment(mongo=world, actor=LEADER, kind="group",
                                           assessed_staff_ids=[staff["_id"]], assessed_agency_id=None)
    sid = sheet["_id"]
    await service.save_project(mongo=world, actor=LEADER, assessment_id=sid, project_name="湘江某住宅",
                               construction_unit="某置业", deductions=[{"code": "D02"}, {"code": "D04", "count": 2}])
    await service.save_project(mongo=world, actor=LEADER, assessment_id=sid, project_name="岳麓某学校",
                               construction_unit="某教育局", deductions=[])
    resumed = await service.save_project(mongo=world, actor=LEADER, assessment_id=sid, index=1,
                                         project_name="岳麓某学校", construction_unit="某教育局",
                                         deductions=[{"code": "D01"}])
    assert [p["score"] for p in resumed["projects"]] == [100 - 3 - 10, 100 - 5]
    with pytest.raises(Unprocessable) as unknown:
        await service.save_project(mongo=world, actor=LEADER, assessment_id=sid, project_name="x",
                                   construction_unit="y", deductions=[{"code": "R01"}])  # a scoring reason
    assert unknown.value.field == "deductions.0.code"
    with pytest.raises(NotFound):  # another agency does not see the sheet
        await service.save_project(mongo=world, actor=who("yuelu"), assessment_id=sid, project_name="x",
                                   construction_unit="y", deductions=[])
    done = await service.submit_assessment(mongo=world, actor=LEADER, assessment_id=sid)
    assert done["status"] == "submitted" and done["score"] == "91.00", "(87 + 95) / 2"
    with pytest.raises(Conflict) as frozen:
        await service.save_project(mongo=world, actor=LEADER, assessment_id=sid, project_name="x",
                                   construction_unit="y", deductions=[])
    assert frozen.value.code == "assessment-submitted"
    with pytest.raises(Conflict):
        await service.submit_assessment(mongo=world, actor=LEADER, assessment_id=sid)
    (event,) = [e for e in world.outbox if e["type"] == "personnel.assessment.submitted.v1"]
    assert event["data"]["score"] == 91.0 and event["data"]["projects"] == 2


async def test_hun16_refusals_wrong_role_other_agency_staff_empty_sheet(world):
    other = await agencies.add_staff(mongo=world, actor=who("yuelu"), agency_org_id="yuelu", data=dict(STAFF))
    with pytest.raises(Forbidden):
        await service.start_assessment(mongo=world, actor=CLERK, kind="group", assessed_staff_ids=["x"],
                                       assessed_agency_id=None)
    with pytest.raises(NotFound) as foreign:
        await service.start_assessment(mongo=world, actor=LEADER, kind="group", assessed_staff_ids=[other["_id"]],
                                       assessed_agency_id=None)
    assert foreign.value.field == "assessed_staff_ids.0"
    staff = await agencies.add_staff(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(STAFF))
    sheet = await service.start_assessment(mongo=world, actor=LEADER, kind="group",
                                           assessed_staff_ids=[staff["_id"]], assessed_agency_id=None)
    with pytest.raises(Unprocessable) as empty:
        await service.submit_assessment(mongo=world, actor=LEADER, assessment_id=sheet["_id"])
    assert empty.value.code == "assessment-without-projects"


@pytest.mark.parametrize(("assessor", "assessed", "allowed"), [
    (who("changsha", "supervisor", kind="authority"), "furong", True),     # a city assesses its county
    (who("office", "supervisor", kind="authority"), "furong", True),       # the province any below it
    (who("zhuzhou", "supervisor", kind="authority"), "furong", False),     # another city: not even seen
    (who("yuelu"), "furong", False),                                       # a sibling county
    (LEADER, "furong", False),                                             # itself
])
async def test_hun17_an_agency_is_assessed_by_the_level_above_it(world, assessor, assessed, allowed):
    """HUN-17: the province or the city above assesses an agency; a sibling, another city or itself may not."""
    if allowed:
        sheet = await service.start_assessment(mongo=world, actor=assessor, kind="agency", assessed_staff_ids=None,
                                               assessed_agency_id=assessed)
        await service.save_project(mongo=world, actor=assessor, assessment_id=sheet["_id"], project_name="p",
                                   construction_unit="u", deductions=[{"code": "D03"}])
        done = await service.submit_assessment(mongo=world, actor=assessor, assessment_id=sheet["_id"])
        assert done["score"] == "90.00"
        seen = await service.get_assessment(mongo=world, actor=LEADER, assessment_id=sheet["_id"])
        assert seen["agency_org_id"] == "furong", "the assessed agency reads its submitted sheet"
    else:
        with pytest.raises((Forbidden, NotFound)):
            await service.start_assessment(mongo=world, actor=assessor, kind="agency", assessed_staff_ids=None,
                                           assessed_agency_id=assessed)


async def test_hun18_dynamic_scores_approved_by_the_leader_count_and_flag(world):
    staff = await agencies.add_staff(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(STAFF))
    year = date.today().year
    entries = []
    for reasons in (["R04"], ["R02", "R05"]):  # 12, then 1 + 3
        entries.append(await service.record_score(mongo=world, actor=CLERK, staff_id=staff["_id"],
                                                  on=date(year, 1, 2), reason_codes=reasons, note=None))
    assert [e["points"] for e in entries] == [12, 4]
    total = await service.staff_total(mongo=world, actor=LEADER, agency_org_id="furong", staff_id=staff["_id"],
                                      year=year)
    assert total == {"staff_id": staff["_id"], "year": year, "total": 0, "threshold": 12, "flagged": False,
                     "pending": 2}, "unapproved entries do not count"
    with pytest.raises(Forbidden):
        await service.approve_score(mongo=world, actor=CLERK, score_id=entries[0]["_id"])
    await service.approve_score(mongo=world, actor=LEADER, score_id=entries[0]["_id"])
    with pytest.raises(Conflict) as twice:
        await service.approve_score(mongo=world, actor=LEADER, score_id=entries[0]["_id"])
    assert twice.value.code == "score-already-approved"
    total = await service.staff_total(mongo=world, actor=LEADER, agency_org_id="furong", staff_id=staff["_id"],
                                      year=year)
    assert total["total"] == 12 and total["flagged"], "12 reaches the default threshold of 12"
    with pytest.raises(Conflict) as approved:
        await service.delete_score(mongo=world, actor=LEADER, score_id=entries[0]["_id"])
    assert approved.value.code == "score-already-approved"
    await service.delete_score(mongo=world, actor=CLERK, score_id=entries[1]["_id"])
    with pytest.raises(NotFound):  # another agency's entry
        await service.delete_score(mongo=world, actor=who("yuelu"), score_id=entries[0]["_id"])
    with pytest.raises(NotFound) as foreign:
        await service.record_score(mongo=world, actor=who("yuelu"), staff_id=staff["_id"], on=date(year, 1, 2),
                                   reason_codes=["R01"], note=None)
    assert foreign.value.field == "staff_id"
    with pytest.raises(Unprocessable) as deduction:
        await service.record_score(mongo=world, actor=CLERK, staff_id=staff["_id"], on=date(year, 1, 2),
                                   reason_codes=["D01"], note=None)
    assert deduction.value.field == "reason_codes.0.code"


async def test_hun16_the_province_administrator_maintains_the_catalog_and_sheets_keep_their_points(world):
    admin = who("office", "province_admin", kind="authority")
    with pytest.raises(Forbidden):
        await service.save_catalog_item(mongo=world, actor=LEADER, code="D01",
                                        data={"kind": "deduction", "text": "x", "points": 1, "retired": False})
    staff = await agencies.add_staff(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(STAFF))
    sheet = await service.start_assessment(mongo=world, actor=LEADER, kind="group",
                                           assessed_staff_ids=[staff["_id"]], assessed_agency_id=None)
    saved = await service.save_project(mongo=world, actor=LEADER, assessment_id=sheet["_id"], project_name="p",
                                       construction_unit="u", deductions=[{"code": "D01"}])
    await service.save_catalog_item(mongo=world, actor=admin, code="D01",
                                    data={"kind": "deduction", "text": "改", "points": 9, "retired": False})
    item = [d for d in await service.list_catalog(mongo=world, actor=LEADER, kind="deduction") if d["code"] == "D01"]
    assert item[0]["points"] == 9 and item[0]["source"] == "province administrator"
    again = await service.get_assessment(mongo=world, actor=LEADER, assessment_id=sheet["_id"])
    assert again["projects"] == saved["projects"] and again["projects"][0]["score"] == 95
    await service.save_catalog_item(mongo=world, actor=admin, code="D01",
                                    data={"kind": "deduction", "text": "改", "points": 9, "retired": True})
    with pytest.raises(Unprocessable):
        await service.save_project(mongo=world, actor=LEADER, assessment_id=sheet["_id"], project_name="p",
                                   construction_unit="u", deductions=[{"code": "D01"}])
    assert "NOT an official standard" in service.seed_catalog_data()["source"]
