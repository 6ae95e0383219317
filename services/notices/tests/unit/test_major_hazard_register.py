"""The register of open major hazards (重大事故隐患挂牌督办) and the HN-07 document-type rule on the
in-memory fakes: a 告知书 whose results cite a 2024-standard item opens an entry that closes with
the notice (HB-06/HB-08); a document resting on a flagged record must be a (partial) stop-work
notice, opens an entry, closes with the document or leaves the open list when rejected (HN-07);
only station leaders (their station) and the province admin read it, paginated."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from anjian_shared.errors import Forbidden, Unprocessable
from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.inspections_v1 import (
    HazardRef,
    NoticeData,
    PlanProject,
    PlanSubmitted,
    ResultSnapshot,
)
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from anjian_shared.types import utcnow
from notices.adapters.document_store import (
    MAJOR_HAZARDS,
    PROJECTS,
    RECORDS,
    USERS,
    ensure_document_indexes,
)
from notices.adapters.repository import NOTICES
from notices.domain import major_hazards as rules
from notices.service_layer import documents as doc_cases
from notices.service_layer import major_hazards as cases
from notices.service_layer import notices as notice_cases
from notices.settings import Settings

STATION = "org-station"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SUP = PersonRef(user_id="sup1", name="张监督")


def who(uid: str, tenant: str, *roles: str, org: str = STATION) -> Principal:
    return Principal(user_id=uid, tenant=tenant, org_id=org, roles=list(roles), name=uid, org_kind="station")


def result(rid: str, project: str, major: bool) -> ResultSnapshot:
    hazard = HazardRef(code="ZD2024-5.4", name="基坑出现坍塌征兆", major=True) if major else \
        HazardRef(code="JGJ59-A.0.1-07", name="分包单位安全管理")
    return ResultSnapshot(result_id=rid, project_id=project, building_name="3#楼", hazards=[hazard], finding="x",
                          photos=[], major_hazard=major, recorded_by=SUP, recorded_at=T0)


def plan(deadline: date) -> PlanSubmitted:
    def project(pid: str) -> PlanProject:
        return PlanProject(project_id=pid, name=f"项目{pid}", address="武汉", station_org_id=STATION, owner_org_id="o",
                           contractor_org_id=f"c-{pid}", supervision_org_id="s", project_manager_user_ids=["pm1"])

    return PlanSubmitted(
        plan_id="plan1", title="抽查", planned_date=date(2026, 3, 1), station_org_id=STATION,
        projects=[project("p1"), project("p2")], responsible_supervisor=SUP, supervisors=[SUP],
        disposition="停工整改", stop_work_part=None,
        notice=NoticeData(title="告知书", construction_stage="基础", rectification_date=deadline),
        signature=MediaRef(bucket="b", key="s.png", content_type="image/png", size=1),
        results=[result("r1", "p1", True), result("r2", "p2", False)], submitted_at=T0)


async def entries(mongo: FakeDatabase, principal: Principal, **flt: Any) -> list[dict[str, Any]]:
    args: dict[str, Any] = {"status": None, "project_id": None, "overdue": None, "limit": 20, "cursor": None}
    args.update(flt)
    page = await cases.list_entries(mongo=mongo, principal=principal, now=utcnow(), **args)
    return page.items


async def test_hb06_a_notice_on_a_major_result_opens_an_entry_that_closes_with_the_notice():
    """HB-06/HB-08 挂牌督办: only the project with the major result is listed; overdue once the
    deadline passed; the entry closes when the reply is accepted (and a redelivery opens nothing)."""
    mongo = FakeDatabase(service="notices")
    for _ in range(2):  # the same event delivered twice
        async with mongo.uow("hubei") as uow:
            await notice_cases.issue_notices(uow, plan=plan(date(2026, 3, 9)))
            await uow.commit()
    leader = who("boss", "hubei", "station_leader")
    [entry] = await entries(mongo, leader)
    assert entry["project_id"] == "p1" and entry["status"] == "open" and entry["measure"] == "停工整改"
    assert entry["hazards"] == [{"code": "ZD2024-5.4", "name": "基坑出现坍塌征兆"}] and entry["found_at"] == T0
    assert rules.is_overdue(entry, now=utcnow())                                     # 2026-03-09 has passed
    assert [e["_id"] for e in await entries(mongo, leader, overdue=True)] == [entry["_id"]]
    assert await entries(mongo, leader, overdue=False) == []
    notice_id = entry["source_id"]
    storage = FakeStorage()
    pm = who("pm1", "hubei", "project_manager", org="c-p1")
    notice = await notice_cases.submit_reply(mongo=mongo, storage=storage, actor=pm, notice_id=notice_id,
                                             text="已整改", photos=[], photo_max_bytes=1_000_000)
    await notice_cases.review_reply(mongo=mongo, actor=who("sup1", "hubei", "supervisor"), notice_id=notice_id,
                                    reply_id=notice.replies[-1].reply_id, decision="approve", comment=None)
    assert await entries(mongo, leader, status=rules.EntryStatus.OPEN) == []
    [closed] = await entries(mongo, leader, status=rules.EntryStatus.CLOSED)
    assert closed["closed_at"] is not None and not rules.is_overdue(closed, now=utcnow())
    assert len(mongo.documents(NOTICES)) == 2 and len(mongo.documents(MAJOR_HAZARDS)) == 1


async def test_hb06_only_station_leaders_and_the_province_admin_read_the_register():
    """HB-06: a supervisor or a company is refused (403); a leader of another station sees none of
    it, the province admin the whole tenant; another tenant's register is its own (empty)."""
    mongo = FakeDatabase(service="notices")
    async with mongo.uow("hubei") as uow:
        await notice_cases.issue_notices(uow, plan=plan(date(2026, 3, 9)))
        await uow.commit()
    for principal in (who("sup1", "hubei", "supervisor"), who("pm1", "hubei", "project_manager", org="c-p1")):
        with pytest.raises(Forbidden):
            await entries(mongo, principal)
    assert await entries(mongo, who("b2", "hubei", "station_leader", org="org-other")) == []
    assert len(await entries(mongo, who("admin", "hubei", "province_admin", org="org-province"))) == 1
    assert await entries(mongo, who("boss", "hainan", "station_leader")) == []


# --- HN-07 ---------------------------------------------------------------------------------------

ISSUER, LIU, WANG = "zhang", "liu", "wang"


@pytest.fixture
async def hainan() -> tuple[FakeDatabase, FakeStorage, Settings]:
    mongo = FakeDatabase(service="notices")
    await ensure_document_indexes(mongo)
    await mongo.repo(PROJECTS, "hainan").insert({
        "_id": "p1", "name": "海口一号楼", "station_org_id": STATION, "contractor_org_id": "org-c",
        "owner_org_id": "o", "supervision_org_id": "s", "participants": [{"user_id": LIU, "name": "刘经理"}]})
    for uid, org, roles in ((ISSUER, STATION, ["supervisor"]), (WANG, STATION, ["station_leader"]),
                            (LIU, "org-c", ["project_manager"])):
        await mongo.repo(USERS, "hainan").insert({"_id": uid, "org_id": org, "roles": roles, "enabled": True,
                                                  "display_name": uid})
    await mongo.repo(RECORDS, "hainan").insert({
        "_id": "rec1", "project_id": "p1", "status": "issued", "station_org_id": STATION,
        "submitted_by": {"user_id": ISSUER}, "check_type": "safety", "part_checked": "3#楼", "submitted_at": T0,
        "violations": [{"code": "ZD2024-5.4", "text": "基坑出现坍塌征兆"}], "major_hazard": True,
        "major_hazard_codes": ["ZD2024-5.4"]})
    return mongo, FakeStorage(), Settings()


async def submit(world: Any, document_type: str, reviewers: list[str] = ()) -> dict[str, Any]:
    mongo, _, settings = world
    return await doc_cases.submit_document(
        mongo=mongo, settings=settings, principal=who(ISSUER, "hainan", "supervisor"), document_type=document_type,
        project_id="p1", addressed_org_ids=["org-c"], record_id="rec1", details="基坑边坡开裂",
        deadline=(utcnow() + timedelta(days=7)).date(), backdated=False, replier_user_ids=[LIU],
        report_recipient_ids=list(reviewers), issue_recipient_ids=[])


@pytest.mark.parametrize("document_type", ["rectification", "resume_work", "bad_conduct", "equipment_restriction"])
async def test_hn07_a_flagged_record_refuses_every_document_but_stop_work(hainan, document_type):
    """HN-07: 422 ``document_type`` ``major-hazard-requires-stop-work`` naming the item; nothing written."""
    with pytest.raises(Unprocessable) as exc:
        await submit(hainan, document_type)
    assert (exc.value.field, exc.value.slug) == ("document_type", "major-hazard-requires-stop-work")
    assert "ZD2024-5.4 基坑出现坍塌征兆" in str(exc.value)
    assert hainan[0].outbox == [] and hainan[0].documents(MAJOR_HAZARDS) == []


async def test_hn07_a_stop_work_document_opens_an_entry_closed_when_every_reply_is_accepted(hainan):
    """HN-07/HN-09: 停工通知 accepted, listed open; closes with the document."""
    mongo, storage, settings = hainan
    doc = await submit(hainan, "stop_work")
    leader = who(WANG, "hainan", "station_leader")
    [entry] = await entries(mongo, leader, status=rules.EntryStatus.OPEN)
    assert (entry["source"], entry["number"], entry["measure"]) == ("document", doc["number"], "stop_work")
    assert not rules.is_overdue(entry, now=utcnow())
    reply = await doc_cases.submit_reply(mongo=mongo, storage=storage, settings=settings,
                                         principal=who(LIU, "hainan", "project_manager", org="org-c"),
                                         document_id=doc["_id"], text="已停工整改", photos=[], attachments=[])
    await doc_cases.review_reply(mongo=mongo, settings=settings, principal=who(ISSUER, "hainan", "supervisor"),
                                 document_id=doc["_id"], reply_id=reply["_id"], decision="approve", comment=None)
    assert await entries(mongo, leader, status=rules.EntryStatus.OPEN) == []
    assert (await entries(mongo, leader))[0]["status"] == "closed"


async def test_hn07_a_partial_stop_work_document_rejected_in_review_leaves_the_open_list(hainan):
    """HN-07/HN-08: 局部停工通知 allowed; rejected by its reviewer → the entry is ``rejected``."""
    mongo, _, settings = hainan
    doc = await submit(hainan, "partial_stop_work", reviewers=[WANG])
    leader = who(WANG, "hainan", "station_leader")
    assert len(await entries(mongo, leader, status=rules.EntryStatus.OPEN)) == 1
    await doc_cases.review_document(mongo=mongo, settings=settings, principal=leader, document_id=doc["_id"],
                                    decision="reject", comment="请补充照片")
    assert await entries(mongo, leader, status=rules.EntryStatus.OPEN) == []
    assert (await entries(mongo, leader))[0]["status"] == "rejected"


async def test_hn07_an_unflagged_record_allows_every_document_type_and_lists_nothing(hainan):
    """HN-07: without the flag a 整改通知 is fine and the register stays empty."""
    mongo = hainan[0]
    await mongo.repo(RECORDS, "hainan").update({"_id": "rec1"}, {"$set": {"major_hazard": False,
                                                                          "major_hazard_codes": []}})
    await submit(hainan, "rectification")
    assert mongo.documents(MAJOR_HAZARDS) == []
