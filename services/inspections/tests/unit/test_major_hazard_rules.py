"""Major accident hazards decide the measure (重大事故隐患, 建质规〔2024〕5号) on the in-memory fakes:
the one domain function ``inspections.domain.hazards`` (HB-04 flag, HB-06 disposition), the plan
submission that applies it with the tenant's catalog — never the client's flag — and Hainan
records flagged from their violations (HN-04, carried to notices for HN-07)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from anjian_shared.china_time import china_day
from anjian_shared.errors import Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from inspections.adapters.records_store import TERMS, VIOLATIONS
from inspections.adapters.repositories import CATALOG, PLANS, PROJECTS, RESULTS, USERS
from inspections.domain import hazards
from inspections.service_layer import records as record_cases
from inspections.service_layer import submission as cases
from inspections.settings import Settings

MAJOR = {"code": "ZD2024-5.4", "name": "基坑出现坍塌征兆", "major": True, "source": "major2024"}
GUARANTEE = {"code": "JGJ59-A.0.1-01", "name": "安全生产责任制", "major": False, "kind": "保证项目"}
GENERAL = {"code": "JGJ59-A.0.1-07", "name": "分包单位安全管理", "major": False, "kind": "一般项目"}
CATALOG_ITEMS = {i["code"]: i for i in (MAJOR, GUARANTEE, GENERAL)}


def cited(*codes: str) -> list[dict[str, Any]]:
    return hazards.cite(list(codes), CATALOG_ITEMS)


# --- the domain function ---------------------------------------------------------------------------

def test_hb04_the_catalog_decides_the_flag_not_the_code_or_the_client():
    """HB-04: ``major`` comes from the catalog item; an unknown code is refused naming it."""
    assert cited("ZD2024-5.4", "JGJ59-A.0.1-07") == [
        {"code": "ZD2024-5.4", "name": "基坑出现坍塌征兆", "major": True},
        {"code": "JGJ59-A.0.1-07", "name": "分包单位安全管理", "major": False}]
    assert hazards.is_major_hazard(cited("ZD2024-5.4")) and not hazards.is_major_hazard(cited("JGJ59-A.0.1-07"))
    with pytest.raises(Unprocessable) as exc:
        cited("ZD2024-99.9")
    assert exc.value.field == "hazard_codes" and "ZD2024-99.9" in str(exc.value)
    # a tenant's own violation named like a 2024 code is not in the catalog: never major
    assert hazards.major_codes(["ZD2024-99.9", "ZD2024-5.4", "ZD2024-5.4"], CATALOG_ITEMS) == ["ZD2024-5.4"]


@pytest.mark.parametrize("disposition", ["无隐患", "现场整改", "限期整改"])
def test_hb06_a_major_hazard_refuses_every_weaker_measure_naming_the_item(disposition):
    """HB-06: a result citing a major item allows only 停工整改 / 局部停工整改."""
    with pytest.raises(Unprocessable) as exc:
        hazards.check_disposition(disposition, findings=[cited("ZD2024-5.4")], catalog=CATALOG_ITEMS)
    assert exc.value.field == "disposition"
    if disposition != "无隐患":
        assert exc.value.slug == "major-hazard-requires-stop-work"
        assert "ZD2024-5.4 基坑出现坍塌征兆" in str(exc.value)


def test_hb06_stop_work_or_partial_stop_work_naming_the_part_is_accepted():
    """HB-06: 停工整改, or 局部停工整改 with the part (422 ``stop_work_part`` without it)."""
    findings = [cited("ZD2024-5.4"), cited("JGJ59-A.0.1-07")]
    assert hazards.check_disposition("停工整改", findings=findings, catalog=CATALOG_ITEMS) is None
    assert hazards.check_disposition("局部停工整改", findings=findings, catalog=CATALOG_ITEMS,
                                     stop_work_part=" 3#楼基坑 ") == "3#楼基坑"
    with pytest.raises(Unprocessable) as exc:
        hazards.check_disposition("局部停工整改", findings=findings, catalog=CATALOG_ITEMS, stop_work_part="  ")
    assert (exc.value.field, exc.value.slug) == ("stop_work_part", "stop-work-part-required")


def test_hb06_no_hazard_is_refused_when_results_exist():
    """HB-06: 无隐患 only for a plan without results."""
    with pytest.raises(Unprocessable) as exc:
        hazards.check_disposition("无隐患", findings=[cited("JGJ59-A.0.1-07")], catalog=CATALOG_ITEMS)
    assert exc.value.slug == "disposition-contradicts-results"
    assert hazards.check_disposition("无隐患", findings=[], catalog=CATALOG_ITEMS) is None


def test_hb06_on_site_fix_is_refused_for_an_item_that_needs_a_deadline():
    """HB-06: 现场整改 is refused for a 保证项目 (or a major item); a 一般项目 may be fixed on site."""
    with pytest.raises(Unprocessable) as exc:
        hazards.check_disposition("现场整改", findings=[cited("JGJ59-A.0.1-01")], catalog=CATALOG_ITEMS)
    assert exc.value.slug == "on-site-fix-not-allowed" and "JGJ59-A.0.1-01" in str(exc.value)
    assert hazards.check_disposition("现场整改", findings=[cited("JGJ59-A.0.1-07")], catalog=CATALOG_ITEMS) is None
    assert hazards.check_disposition("限期整改", findings=[cited("JGJ59-A.0.1-01")], catalog=CATALOG_ITEMS) is None


# --- HB-06 submission on the fakes -----------------------------------------------------------------

TENANT, STATION, SUP = "hubei", "org-station", "u-sup"
SIGNATURE = {"bucket": "b", "key": "hubei/plans/plan1/signature/s.png", "content_type": "image/png", "size": 10}
DEADLINE = china_day(datetime.now(UTC)) + timedelta(days=10)


@pytest.fixture
async def mongo() -> FakeDatabase:
    db = FakeDatabase(service="inspections")
    for item in CATALOG_ITEMS.values():
        await db.repo(CATALOG, TENANT).insert({**item, "_id": f"{TENANT}:{item['code']}"})
    await db.repo(PROJECTS, TENANT).insert({
        "_id": "p1", "project_id": "p1", "name": "武汉一号楼", "address": "江岸区", "station_org_id": STATION,
        "owner_org_id": "o", "contractor_org_id": "c", "supervision_org_id": "s", "participants": []})
    await db.repo(PLANS, TENANT).insert({
        "_id": "plan1", "title": "三月抽查", "status": "confirmed", "created_by": SUP, "station_org_id": STATION,
        "supervisor_user_ids": [SUP], "responsible_supervisor_id": SUP, "result_count": 1,
        "signature": SIGNATURE, "seal": None, "planned_date": DEADLINE.isoformat(), "project_ids": ["p1"],
        "people": {SUP: "张监督"}, "history": []})
    # the stored result says "not major" (as a client might have wished): the catalog still decides
    await db.repo(RESULTS, TENANT).insert({
        "_id": "r1", "plan_id": "plan1", "project_id": "p1", "building_name": "3#楼",
        "hazards": [{"code": "ZD2024-5.4", "name": "基坑出现坍塌征兆", "major": False}], "finding": "基坑边坡开裂",
        "photos": [], "major_hazard": False, "recorded_by": {"user_id": SUP, "name": "张监督"},
        "recorded_at": datetime(2026, 3, 1, 2, tzinfo=UTC), "created_at": datetime(2026, 3, 1, 2, tzinfo=UTC)})
    return db


async def submit(mongo: FakeDatabase, disposition: str, part: str | None = None) -> dict[str, Any]:
    return await cases.submit_plan(
        mongo=mongo, principal=Principal(user_id=SUP, tenant=TENANT, org_id=STATION, roles=["supervisor"],
                                         org_kind="station"),
        plan_id="plan1", disposition=disposition, title="告知书", construction_stage="基础施工", deadline=DEADLINE,
        seal_required=False, stop_work_part=part)


async def test_hb06_a_plan_with_a_major_result_is_submitted_only_with_stop_work(mongo):
    """HB-06: 限期整改 refused (nothing written, no event), then 局部停工整改 naming the part passes
    and the event carries the part."""
    with pytest.raises(Unprocessable) as exc:
        await submit(mongo, "限期整改")
    assert (exc.value.slug, exc.value.field) == ("major-hazard-requires-stop-work", "disposition")
    assert (await mongo.repo(PLANS, TENANT).get("plan1"))["status"] == "confirmed" and mongo.outbox == []
    plan = await submit(mongo, "局部停工整改", "3#楼基坑")
    assert plan["status"] == "submitted" and plan["submission"]["stop_work_part"] == "3#楼基坑"
    [event] = mongo.events(cases.PLAN_SUBMITTED, tenant=TENANT)
    assert event["data"]["disposition"] == "局部停工整改" and event["data"]["stop_work_part"] == "3#楼基坑"


# --- HN-04: a record's violations flag it ----------------------------------------------------------

@pytest.fixture
async def hainan() -> tuple[FakeDatabase, FakeStorage, Settings]:
    db = FakeDatabase(service="inspections")
    for item in CATALOG_ITEMS.values():
        await db.repo(CATALOG, "hainan").insert({**item, "_id": f"hainan:{item['code']}"})
    await db.repo(PROJECTS, "hainan").insert({"_id": "p1", "name": "海口一号楼", "station_org_id": STATION,
                                              "contractor_org_id": "c", "participants": []})
    await db.repo(USERS, "hainan").insert({"_id": "u-l", "org_id": STATION, "roles": ["station_leader"],
                                           "enabled": True})
    await db.repo(TERMS, "hainan").insert({"_id": "hainan:T1", "code": "T1", "check_type": "safety", "text": "临边"})
    for code, text in (("ZD2024-5.4", "基坑出现坍塌征兆"), ("V1", "未按方案施工")):
        await db.repo(VIOLATIONS, "hainan").insert({"_id": f"hainan:{code}", "code": code, "text": text})
    return db, FakeStorage(), Settings()


async def record(world: Any, violation_codes: list[str]) -> dict[str, Any]:
    db, storage, settings = world
    return await record_cases.submit_record(
        mongo=db, storage=storage, settings=settings,
        principal=Principal(user_id="u-s", tenant="hainan", org_id=STATION, roles=["supervisor"], org_kind="station"),
        project_id="p1", check_type="safety", part_checked="3#楼", term_codes=["T1"], violation_codes=violation_codes,
        supplement="", photos=[], annotations=None, videos=[], audios=[], report_recipient_ids=[],
        issue_recipient_ids=[], also_issue_notice=True)


async def test_hn04_a_record_citing_a_major_violation_is_flagged_and_its_event_says_so(hainan):
    """HN-04/HN-07: the flag comes from the catalog; the event carries it to notices; the notice
    draft proposes a 停工通知."""
    doc = await record(hainan, ["V1", "ZD2024-5.4"])
    assert doc["major_hazard"] is True and doc["major_hazard_codes"] == ["ZD2024-5.4"]
    assert doc["notice_draft"]["document_type"] == "stop_work"
    [event] = hainan[0].events(record_cases.RECORD_SUBMITTED, tenant="hainan")
    assert event["data"]["major_hazard"] is True and event["data"]["major_hazard_codes"] == ["ZD2024-5.4"]
    plain = await record(hainan, ["V1"])
    assert plain["major_hazard"] is False and plain["notice_draft"]["document_type"] == "rectification"
