"""What a front end reads without further calls (issue 11, "for the people building front ends"):
a submitted plan links to the 告知书 issued from it (``GET /plans/{id}``: ``notices``, kept from
``notices.notice.issued.v1``), and plans and records carry Chinese labels next to their codes
(``status_label``, ``disposition_label``, ``check_type_label``, ``decision_label`` …)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from anjian_shared.events import make_event
from anjian_shared.events.common import PersonRef
from anjian_shared.events.notices_v1 import NoticeIssued
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from inspections.adapters.repositories import PLANS
from inspections.entrypoints.api.deps import plan_read
from inspections.entrypoints.api.records_schemas import record_read
from inspections.entrypoints.consumers import plan_notices
from inspections.service_layer import plans as plan_cases

TENANT, STATION = "hubei", "org-station"
SUP = "u-sup"
T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def supervisor() -> Principal:
    return Principal(user_id=SUP, tenant=TENANT, org_id=STATION, roles=["supervisor"], name="张监督",
                     org_kind="station")


@pytest.fixture
async def mongo() -> FakeDatabase:
    db = FakeDatabase(service="inspections")
    await db.repo(PLANS, TENANT).insert({
        "_id": "plan1", "title": "三月抽查", "status": "submitted", "created_by": SUP, "station_org_id": STATION,
        "supervisor_user_ids": [SUP], "responsible_supervisor_id": SUP, "result_count": 1, "signature": None,
        "seal": None, "planned_date": "2026-03-01", "project_ids": ["p1", "p2"], "people": {SUP: "张监督"},
        "project_names": {"p1": "武汉一号楼", "p2": "武汉二号楼"}, "history": [], "created_at": T0, "updated_at": T0,
        "submission": {"disposition": "限期整改", "seal_required": False, "submitted_by": SUP,
                       "notice": {"title": "安全隐患整改告知书", "construction_stage": "主体",
                                  "rectification_date": "2026-03-20"}},
        "submitted_at": T0})
    return db


async def issued(mongo: FakeDatabase, notice_id: str, number: str, project_id: str, plan_id: str = "plan1") -> None:
    payload = NoticeIssued(
        notice_id=notice_id, number=number, plan_id=plan_id, project_id=project_id, project_name=project_id,
        station_org_id=STATION, addressee_org_id="org-c", disposition="限期整改", title="安全隐患整改告知书",
        construction_stage="主体", rectification_date=date(2026, 3, 20),
        issued_by=PersonRef(user_id=SUP, name="张监督"), replier_user_ids=["pm"], issued_at=T0)
    event = make_event(type="notices.notice.issued.v1", tenant=TENANT, service="notices", subject=notice_id,
                       data=payload)
    async with mongo.uow(TENANT) as uow:
        await plan_notices.handlers["notices.notice.issued.v1"](uow, event, payload)
        await uow.commit()


async def test_a_submitted_plan_links_to_its_notices(mongo):
    await issued(mongo, "n2", "鄂安监告〔2026〕0002号", "p2")
    await issued(mongo, "n1", "鄂安监告〔2026〕0001号", "p1")
    await issued(mongo, "n9", "鄂安监告〔2026〕0009号", "p1", plan_id="another-plan")
    await issued(mongo, "n1", "鄂安监告〔2026〕0001号", "p1")          # redelivered: kept once
    doc = await plan_cases.get_plan(mongo=mongo, principal=supervisor(), plan_id="plan1")
    body = (await plan_read(FakeStorage(), doc)).model_dump(mode="json")
    assert [(n["notice_id"], n["number"], n["project_id"], n["project_name"]) for n in body["notices"]] == [
        ("n1", "鄂安监告〔2026〕0001号", "p1", "武汉一号楼"), ("n2", "鄂安监告〔2026〕0002号", "p2", "武汉二号楼")]
    assert body["notices"][0]["rectification_date"] == "2026-03-20"


async def test_plans_carry_chinese_labels(mongo):
    doc = await plan_cases.get_plan(mongo=mongo, principal=supervisor(), plan_id="plan1")
    body = (await plan_read(FakeStorage(), doc)).model_dump(mode="json")
    assert body["status"] == "submitted" and body["status_label"] == "已提交"
    assert body["notices"] == []                                        # none issued (yet)
    assert body["submission"]["disposition"] == "限期整改" and body["submission"]["disposition_label"] == "限期整改"
    draft = dict(doc, status="draft", submission=None)
    assert (await plan_read(FakeStorage(), draft)).status_label == "草稿"


async def test_records_carry_chinese_labels():
    doc = {"_id": "rec1", "project_id": "p1", "project_name": "海口一号楼", "station_org_id": STATION,
           "check_type": "combined", "part_checked": "2#楼", "submitted_by": {"user_id": SUP, "name": "张监督"},
           "report_recipient_ids": ["lead", "dep"], "issue_recipient_ids": [], "status": "rejected",
           "people": {"lead": "王站长", "dep": "李监督"}, "submitted_at": T0,
           "reviews": [{"reviewer": {"user_id": "lead", "name": "王站长"}, "decision": "reject", "comment": "补照片",
                        "reviewed_at": T0}]}
    body = (await record_read(FakeStorage(), doc, SUP)).model_dump(mode="json")
    assert (body["status_label"], body["sent_status_label"], body["check_type_label"]) == (
        "审核未通过", "审核未通过", "综合")
    assert body["reviews"][0]["decision_label"] == "不通过"
    assert [(r["decision"], r["decision_label"]) for r in body["report_recipients"]] == [
        ("reject", "不通过"), (None, "待审核")]
