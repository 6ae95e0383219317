"""HB-06 提交 on the in-memory fakes (no servers): the responsible supervisor submits a confirmed,
signed plan with its disposition and the notice data; the rules refuse everything else with
their problem codes and leave the plan and the outbox untouched."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from anjian_shared.china_time import china_today
from anjian_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from inspections.adapters.repositories import PLANS, PROJECTS, RESULTS
from inspections.service_layer import submission as cases

TENANT, STATION = "hubei", "org-station"
SUP, OTHER, PM = "u-sup", "u-other", "u-pm"
PLANNED = date(2026, 3, 1)
SIGNATURE = {"bucket": "b", "key": "hubei/plans/plan1/signature/s.png", "content_type": "image/png", "size": 10}


def person(user_id: str = SUP) -> Principal:
    return Principal(user_id=user_id, tenant=TENANT, org_id=STATION, roles=["supervisor"], name=user_id.upper(),
                     org_kind="station")


@pytest.fixture
async def mongo() -> FakeDatabase:
    db = FakeDatabase(service="inspections")
    await db.repo(PROJECTS, TENANT).insert({
        "_id": "p1", "project_id": "p1", "name": "武汉一号楼", "address": "江岸区", "station_org_id": STATION,
        "owner_org_id": "org-owner", "contractor_org_id": "org-contractor", "supervision_org_id": "org-sup",
        "participants": [{"user_id": PM, "name": "项目经理", "project_role": "project_manager"}]})
    await db.repo(PLANS, TENANT).insert({
        "_id": "plan1", "title": "三月抽查", "status": "confirmed", "created_by": SUP, "station_org_id": STATION,
        "supervisor_user_ids": [SUP, OTHER], "responsible_supervisor_id": SUP, "result_count": 1,
        "signature": SIGNATURE, "seal": None, "planned_date": PLANNED.isoformat(), "project_ids": ["p1"],
        "people": {SUP: "张监督", OTHER: "李监督"}, "history": []})
    await db.repo(RESULTS, TENANT).insert({
        "_id": "r1", "plan_id": "plan1", "project_id": "p1", "building_name": "1#楼",
        "hazards": [{"code": "H1", "name": "临边防护缺失", "major": False}], "finding": "5层临边无防护",
        "photos": [], "major_hazard": False, "recorded_by": {"user_id": SUP, "name": "张监督"},
        "recorded_at": datetime(2026, 3, 1, 2, tzinfo=UTC), "created_at": datetime(2026, 3, 1, 2, tzinfo=UTC)})
    return db


DEADLINE = china_today() + timedelta(days=20)


async def submit(mongo: FakeDatabase, *, who: str = SUP, disposition: str = "限期整改",
                 deadline: date = DEADLINE, seal_required: bool = False, backdated: bool = False) -> dict[str, Any]:
    return await cases.submit_plan(mongo=mongo, principal=person(who), plan_id="plan1", disposition=disposition,
                                   title="安全隐患整改告知书", construction_stage="主体结构施工", deadline=deadline,
                                   seal_required=seal_required, backdated=backdated)


async def unchanged(mongo: FakeDatabase) -> None:
    plan = await mongo.repo(PLANS, TENANT).get("plan1")
    assert plan["status"] == "confirmed" and "submission" not in plan and mongo.outbox == []


async def test_hb06_the_responsible_supervisor_submits_and_the_whole_plan_is_emitted(mongo):
    plan = await submit(mongo)
    assert plan["status"] == "submitted" and plan["submission"]["disposition"] == "限期整改"
    assert plan["submission"]["notice"]["rectification_date"] == DEADLINE.isoformat()
    [event] = mongo.events(cases.PLAN_SUBMITTED, tenant=TENANT)
    data = event["data"]
    assert data["notice"]["rectification_date"] == DEADLINE.isoformat()  # the event contract keeps its name
    assert data["projects"][0]["project_manager_user_ids"] == [PM]
    assert [r["result_id"] for r in data["results"]] == ["r1"] and data["seal"] is None
    assert data["responsible_supervisor"] == {"user_id": SUP, "name": "U-SUP"}   # the token name


async def test_hb06_a_deadline_already_past_is_refused_unless_backdated(mongo):
    """HB-06: the plan was planned in the past (3月1日); a 限期整改/停工整改 deadline after the
    planned date but before today (China time) is refused (422 ``deadline-past``) — the rule
    Hainan's documents apply (``anjian_shared.china_time.check_not_past``) — unless the
    supervisor says ``backdated`` (补录 of an inspection on paper)."""
    yesterday = china_today() - timedelta(days=1)
    assert yesterday > PLANNED
    for disposition in ("限期整改", "停工整改"):
        with pytest.raises(Unprocessable) as exc:
            await submit(mongo, disposition=disposition, deadline=yesterday)
        assert exc.value.field == "notice.rectification_date" and exc.value.slug == "deadline-past"
    await unchanged(mongo)
    plan = await submit(mongo, deadline=yesterday, backdated=True)
    assert plan["status"] == "submitted" and plan["submission"]["backdated"] is True


async def test_hb06_a_deadline_before_the_planned_date_is_refused_for_rectification(mongo):
    for disposition in ("限期整改", "停工整改"):
        with pytest.raises(Unprocessable) as exc:
            await submit(mongo, disposition=disposition, deadline=date(2026, 2, 28))
        assert exc.value.field == "notice.rectification_date"
    await unchanged(mongo)


async def test_hb06_dispositions_without_rectification_accept_any_deadline(mongo):
    plan = await submit(mongo, disposition="现场整改", deadline=date(2026, 2, 1))
    assert plan["status"] == "submitted"


async def test_hb06_a_chosen_seal_must_have_been_uploaded(mongo):
    with pytest.raises(Unprocessable) as exc:
        await submit(mongo, seal_required=True)
    assert exc.value.field == "seal"
    await unchanged(mongo)


async def test_hb06_the_signature_comes_first(mongo):
    await mongo.repo(PLANS, TENANT).update({"_id": "plan1"}, {"$set": {"signature": None}})
    with pytest.raises(Unprocessable) as exc:
        await submit(mongo)
    assert exc.value.field == "signature"
    await unchanged(mongo)


async def test_hb06_only_the_responsible_supervisor_submits(mongo):
    with pytest.raises(Forbidden):
        await submit(mongo, who=OTHER)
    with pytest.raises(NotFound):                                      # not in the team: cannot see it
        await submit(mongo, who="u-stranger")
    await unchanged(mongo)


async def test_hb06_a_draft_cannot_be_submitted_and_a_submitted_plan_never_changes(mongo):
    await mongo.repo(PLANS, TENANT).update({"_id": "plan1"}, {"$set": {"status": "draft"}})
    with pytest.raises(Conflict) as exc:
        await submit(mongo)
    assert exc.value.slug == "plan-not-confirmed"
    await mongo.repo(PLANS, TENANT).update({"_id": "plan1"}, {"$set": {"status": "confirmed"}})
    await submit(mongo)
    with pytest.raises(Conflict) as exc:
        await submit(mongo)
    assert exc.value.slug == "plan-submitted"
    assert len(mongo.events(cases.PLAN_SUBMITTED, tenant=TENANT)) == 1


async def test_hb06_a_project_gone_from_the_directory_is_a_conflict(mongo):
    await mongo.repo(PLANS, TENANT).update({"_id": "plan1"}, {"$set": {"project_ids": ["p1", "p-gone"]}})
    with pytest.raises(Conflict) as exc:
        await submit(mongo)
    assert exc.value.slug == "plan-project-unknown"
    assert mongo.outbox == []
