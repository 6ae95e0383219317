"""HB-03 on the in-memory fakes: changing (or withdrawing) a confirmed plan tells its team —
``inspections.plan.changed.v1`` names who joined, who left and the new date; a draft's changes
tell nobody (nobody else sees a draft)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from inspections.adapters.repositories import PROJECTS
from inspections.service_layer import plans as cases

TENANT, STATION = "hubei", "org-station"
ZHANG, LI, ZHAO = "u-zhang", "u-li", "u-zhao"
DAY = date(2026, 12, 4)


def zhang() -> Principal:
    return Principal(user_id=ZHANG, tenant=TENANT, org_id=STATION, roles=["supervisor"], name="张伟",
                     org_kind="station")


@pytest.fixture
async def world() -> tuple[FakeDatabase, FakeStorage]:
    mongo = FakeDatabase(service="inspections")
    await mongo.repo(PROJECTS, TENANT).insert({
        "_id": "p1", "project_id": "p1", "name": "武汉一号楼", "station_org_id": STATION,
        "supervisor_user_ids": [ZHANG, LI, ZHAO], "participants": []})
    return mongo, FakeStorage()


async def plan(world, *, confirm: bool = True) -> str:  # type: ignore[no-untyped-def]
    mongo, _ = world
    doc = await cases.create_plan(mongo=mongo, principal=zhang(), title="十二月抽查", project_ids=["p1"],
                                  planned_date=DAY, supervisor_user_ids=[ZHANG, LI], responsible_supervisor_id=None)
    if confirm:
        await cases.confirm_plan(mongo=mongo, principal=zhang(), plan_id=doc["_id"])
    return doc["_id"]


async def test_hb03_replacing_a_member_and_the_date_of_a_confirmed_plan_is_announced(world):
    mongo, storage = world
    plan_id = await plan(world)
    new_day = DAY + timedelta(days=2)
    await cases.update_plan(mongo=mongo, storage=storage, principal=zhang(), plan_id=plan_id,
                            changes={"supervisor_user_ids": [ZHANG, ZHAO], "planned_date": new_day})
    [event] = mongo.events(cases.PLAN_CHANGED, tenant=TENANT)
    data = event["data"]
    assert data["added_user_ids"] == [ZHAO] and data["removed_user_ids"] == [LI]
    assert data["planned_date"] == new_day.isoformat() and data["previous_planned_date"] == DAY.isoformat()
    assert [p["user_id"] for p in data["supervisors"]] == [ZHANG, ZHAO] and data["changed_by"] == ZHANG


async def test_hb03_withdrawing_a_confirmed_plan_is_announced_and_draft_changes_are_not(world):
    mongo, storage = world
    draft = await plan(world, confirm=False)
    await cases.update_plan(mongo=mongo, storage=storage, principal=zhang(), plan_id=draft,
                            changes={"planned_date": DAY + timedelta(days=1)})
    assert mongo.events(cases.PLAN_CHANGED, tenant=TENANT) == []
    confirmed = await plan(world)
    await cases.withdraw_plan(mongo=mongo, principal=zhang(), plan_id=confirmed)
    [event] = mongo.events(cases.PLAN_WITHDRAWN, tenant=TENANT)
    assert event["data"]["supervisor_user_ids"] == [ZHANG, LI] and event["data"]["withdrawn_by"] == ZHANG
