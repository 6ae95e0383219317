"""HEB-18 自由裁量基准 and HEB-10 安全整改报告 on the in-memory fakes (no servers).

The discretion-table figures below are a LABELLED SAMPLE (样例), not official figures: the
platform ships an empty table."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from anjian_shared.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from anjian_shared.testing.media import FakeUpload
from anjian_shared.types import utcnow
from notices.adapters.document_store import (
    ESCALATIONS,
    PROJECTS,
    RECORDS,
    USERS,
    ensure_document_indexes,
)
from notices.domain import discretion as rules
from notices.service_layer import discretion, escalation
from notices.service_layer import documents as cases
from notices.settings import Settings

TENANT, STATION, CONTRACTOR = "hebei", "org-heb-station", "org-heb-contractor"
ISSUER, LEADER, PM = "heb-zhao", "heb-qian", "heb-sun"

SAMPLE = {  # 样例 — illustrative only, not an official figure
    "violation_code": "SAMPLE-001", "violation_name": "样例：临边防护缺失",
    "legal_basis": "样例：《建设工程安全生产管理条例》第六十五条（示例）",
    "ranges": {"minor": {"min_yuan": 0, "max_yuan": 10000}, "general": {"min_yuan": 10000, "max_yuan": 50000},
               "serious": {"min_yuan": 50000, "max_yuan": 100000}},
}


def person(uid: str, org: str = STATION, *roles: str, kind: str = "station", tenant: str = TENANT) -> Principal:
    return Principal(user_id=uid, tenant=tenant, org_id=org, roles=list(roles or ("supervisor",)), name=uid,
                     org_kind=kind)


ADMIN = person("heb-admin", "org-province", "province_admin", kind="authority")


@pytest.fixture
async def world() -> tuple[FakeDatabase, FakeStorage, Settings]:
    mongo = FakeDatabase(service="notices")
    await ensure_document_indexes(mongo)
    await mongo.repo(PROJECTS, TENANT).insert({
        "_id": "hp1", "name": "石家庄一号楼", "station_org_id": STATION, "contractor_org_id": CONTRACTOR,
        "owner_org_id": "org-heb-owner", "supervision_org_id": "org-heb-sv",
        "participants": [{"user_id": PM, "name": "孙经理"}]})
    for uid, org, roles in ((LEADER, STATION, ["station_leader"]), (ISSUER, STATION, ["supervisor"]),
                            (PM, CONTRACTOR, ["project_manager"])):
        await mongo.repo(USERS, TENANT).insert({"_id": uid, "org_id": org, "roles": roles, "enabled": True,
                                                "display_name": uid})
    await mongo.repo(RECORDS, TENANT).insert({
        "_id": "hrec1", "project_id": "hp1", "status": "issued", "station_org_id": STATION,
        "submitted_by": {"user_id": ISSUER}, "check_type": "safety", "part_checked": "2#楼",
        "violations": [{"code": "OTHER-9", "text": "其他"}, {"code": "SAMPLE-001", "text": "临边防护缺失"}]})
    return mongo, FakeStorage(), Settings()


async def issue(world: Any, days: int = 7) -> dict[str, Any]:
    mongo, _, settings = world
    return await cases.submit_document(
        mongo=mongo, settings=settings, principal=person(ISSUER), document_type="rectification",
        project_id="hp1", addressed_org_ids=[CONTRACTOR], record_id="hrec1", details="临边防护缺失",
        deadline=(utcnow() + timedelta(days=days)).date(), backdated=False, replier_user_ids=[PM],
        report_recipient_ids=[], issue_recipient_ids=[])


def pdf(size: int) -> FakeUpload:
    return FakeUpload(b"%PDF-1.4\n" + b"0" * (size - 9), "整改报告.pdf", "application/pdf")


# --- HEB-18: the table ------------------------------------------------------------------------------

async def test_heb18_the_province_admin_keeps_the_table_others_403(world):
    """HEB-18"""
    mongo = world[0]
    assert (await discretion.list_entries(mongo=mongo, principal=ADMIN, violation_code=None, limit=10,
                                          cursor=None))[0] == []  # empty by default: no official figures
    entry, created = await discretion.put_entry(mongo=mongo, principal=ADMIN, body=SAMPLE)
    assert created and entry["ranges"]["general"] == {"min_yuan": 10000, "max_yuan": 50000}
    changed = {**SAMPLE, "legal_basis": "样例：修订后"}
    entry, created = await discretion.put_entry(mongo=mongo, principal=ADMIN, body=changed)
    assert not created and entry["legal_basis"] == "样例：修订后" and entry["version"] == 2
    for who in (person(ISSUER), person(LEADER, STATION, "station_leader"),
                person(PM, CONTRACTOR, "company_admin", kind="company")):
        with pytest.raises(Forbidden):
            await discretion.put_entry(mongo=mongo, principal=who, body=SAMPLE)
        with pytest.raises(Forbidden):
            await discretion.delete_entry(mongo=mongo, principal=who, violation_code="SAMPLE-001")
    events = [e for e in mongo.outbox if e["type"] == discretion.DISCRETION_CHANGED]
    assert [e["data"]["change"] for e in events] == ["created", "replaced"]
    await discretion.delete_entry(mongo=mongo, principal=ADMIN, violation_code="SAMPLE-001")
    with pytest.raises(NotFound):
        await discretion.delete_entry(mongo=mongo, principal=ADMIN, violation_code="SAMPLE-001")


async def test_heb18_the_table_is_tenant_scoped_and_paginated(world):
    """HEB-18"""
    mongo = world[0]
    for i in range(5):
        await discretion.put_entry(mongo=mongo, principal=ADMIN, body={**SAMPLE, "violation_code": f"S-{i}"})
    seen, cursor = [], None
    while True:
        items, cursor = await discretion.list_entries(mongo=mongo, principal=ADMIN, violation_code=None, limit=2,
                                                      cursor=cursor)
        seen += [e["violation_code"] for e in items]
        if cursor is None:
            break
    assert seen == [f"S-{i}" for i in range(5)]
    other = person("hn-admin", "org-x", "province_admin", kind="authority", tenant="hainan")
    assert (await discretion.list_entries(mongo=mongo, principal=other, violation_code=None, limit=10,
                                          cursor=None))[0] == []
    with pytest.raises(NotFound):
        await discretion.delete_entry(mongo=mongo, principal=other, violation_code="S-1")


@pytest.mark.parametrize(("change", "field"), [
    ({"violation_code": " "}, "violation_code"),
    ({"legal_basis": ""}, "legal_basis"),
    ({"ranges": {"minor": {"min_yuan": 0, "max_yuan": 1}}}, "ranges"),
    ({"ranges": {**SAMPLE["ranges"], "serious": {"min_yuan": 9, "max_yuan": 1}}}, "ranges.serious"),
    ({"ranges": {**SAMPLE["ranges"], "minor": {"min_yuan": -1, "max_yuan": 1}}}, "ranges.minor.min_yuan"),
    ({"ranges": {**SAMPLE["ranges"], "general": {"min_yuan": 1, "max_yuan": "many"}}}, "ranges.general.max_yuan"),
])
async def test_heb18_a_bad_entry_is_422_naming_the_field_and_stores_nothing(world, change, field):
    """HEB-18: min ≤ max, whole yuan, all three severities, texts required."""
    mongo = world[0]
    with pytest.raises(Unprocessable) as err:
        await discretion.put_entry(mongo=mongo, principal=ADMIN, body={**SAMPLE, **change})
    assert err.value.field == field
    assert mongo.documents(discretion.DISCRETION) == []


async def test_heb18_two_concurrent_creations_of_one_code_leave_one_entry(world):
    """HEB-18"""
    mongo = world[0]
    results = await asyncio.gather(*(discretion.put_entry(mongo=mongo, principal=ADMIN, body=SAMPLE)
                                     for _ in range(4)), return_exceptions=True)
    assert all(not isinstance(r, Exception) or isinstance(r, Conflict) for r in results)
    assert len(mongo.documents(discretion.DISCRETION)) == 1


def test_heb18_a_penalty_must_cite_an_entry_and_stay_inside_its_range():
    """HEB-18 (pure rule)"""
    entry = rules.validate_entry(SAMPLE)
    ok = rules.check_penalty(entry, violation_code="SAMPLE-001", severity="general", amount=20000)
    assert ok["min_yuan"] == 10000 and ok["max_yuan"] == 50000 and ok["penalty_amount"] == 20000
    assert rules.check_penalty(entry, violation_code="SAMPLE-001", severity="minor", amount=0)["penalty_amount"] == 0
    for kw, field in ((dict(violation_code=None, severity="general", amount=1), "penalty_citation"),
                      (dict(violation_code="SAMPLE-001", severity=None, amount=1), "penalty_citation"),
                      (dict(violation_code="SAMPLE-001", severity="huge", amount=1), "severity"),
                      (dict(violation_code="SAMPLE-001", severity="general", amount=None), "penalty_amount"),
                      (dict(violation_code="SAMPLE-001", severity="general", amount=50001), "penalty_amount"),
                      (dict(violation_code="SAMPLE-001", severity="serious", amount=49999), "penalty_amount")):
        with pytest.raises(Unprocessable) as err:
            rules.check_penalty(entry, **kw)
        assert err.value.field == field
    with pytest.raises(Unprocessable) as err:
        rules.check_penalty(entry, violation_code="SAMPLE-001", severity="general", amount=60000)
    assert "10000..50000" in str(err.value)
    with pytest.raises(Unprocessable) as err:
        rules.check_penalty(None, violation_code="NOPE", severity="general", amount=1)
    assert err.value.field == "violation_code"


# --- HEB-18: the escalation's 处罚建议书 cites the entry; the reviewer sets the amount ---------------

async def test_heb18_an_escalated_penalty_recommendation_cites_the_entry_and_the_reviewer_sets_the_amount(world):
    """HEB-18: the automatic escalation records the entry of the record's first violation with
    one and no amount; the station sets severity + amount inside the range, once."""
    mongo, _, settings = world
    await discretion.put_entry(mongo=mongo, principal=ADMIN, body=SAMPLE)
    doc = await issue(world)
    [done] = await escalation.sweep(mongo, settings, now=utcnow() + timedelta(days=10))
    [stored] = mongo.documents(ESCALATIONS)
    assert stored["kind"] == "penalty_recommendation" and stored["penalty"] is None
    assert stored["discretion_citation"]["violation_code"] == "SAMPLE-001"
    assert stored["discretion_citation"]["severity"] is None and stored["discretion_citation"]["penalty_amount"] is None
    [event] = mongo.events(escalation.DOCUMENT_ESCALATED, tenant=TENANT)
    assert event["data"]["discretion_violation_code"] == "SAMPLE-001"

    leader = person(LEADER, STATION, "station_leader")
    with pytest.raises(Unprocessable) as err:
        await discretion.set_escalation_penalty(mongo=mongo, principal=leader, document_id=doc["_id"],
                                                violation_code="SAMPLE-001", severity="general", penalty_amount=9999)
    assert err.value.field == "penalty_amount"
    with pytest.raises(Unprocessable) as err:
        await discretion.set_escalation_penalty(mongo=mongo, principal=leader, document_id=doc["_id"],
                                                violation_code=None, severity=None, penalty_amount=20000)
    assert err.value.field == "penalty_citation"
    with pytest.raises(NotFound):  # the contractor does not see the station's 处罚建议书
        await discretion.set_escalation_penalty(
            mongo=mongo, principal=person("stranger", CONTRACTOR, "project_manager", kind="company"),
            document_id=doc["_id"], violation_code="SAMPLE-001", severity="general", penalty_amount=20000)
    with pytest.raises(Forbidden):  # a replier sees the document but is not the station side
        await discretion.set_escalation_penalty(
            mongo=mongo, principal=person(PM, CONTRACTOR, "project_manager", kind="company"),
            document_id=doc["_id"], violation_code="SAMPLE-001", severity="general", penalty_amount=20000)
    assert (await mongo.repo(ESCALATIONS, TENANT).get(done.escalation_id))["penalty"] is None
    results = await asyncio.gather(*(discretion.set_escalation_penalty(
        mongo=mongo, principal=leader, document_id=doc["_id"], violation_code="SAMPLE-001", severity="general",
        penalty_amount=20000) for _ in range(3)), return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))
    penalty = (await mongo.repo(ESCALATIONS, TENANT).get(done.escalation_id))["penalty"]
    assert penalty["penalty_amount"] == 20000 and penalty["severity"] == "general"
    assert len(mongo.events(discretion.ESCALATION_PENALTY_SET, tenant=TENANT)) == 1


async def test_heb18_without_an_entry_the_escalation_cites_nothing_and_a_penalty_is_refused(world):
    """HEB-18: an empty table (the default) → no citation recorded; setting a penalty → 422."""
    mongo, _, settings = world
    doc = await issue(world)
    await escalation.sweep(mongo, settings, now=utcnow() + timedelta(days=10))
    [stored] = mongo.documents(ESCALATIONS)
    assert stored["discretion_citation"] is None
    with pytest.raises(Unprocessable) as err:
        await discretion.set_escalation_penalty(
            mongo=mongo, principal=person(ISSUER), document_id=doc["_id"], violation_code="SAMPLE-001",
            severity="general", penalty_amount=20000)
    assert err.value.field == "violation_code"


# --- HEB-10: the safety rectification report is the documents' reply, 600 KB per file for Hebei ----

async def test_heb10_the_contractor_answers_a_notice_with_its_report_and_attachments_600kb_each(world):
    """HEB-10 (HEB-17): a Hebei contractor replies to the station's 整改通知 with its report and
    attachments; a file above 600 KB is 413 naming ``attachments`` and stores nothing."""
    mongo, storage, settings = world
    doc = await issue(world)
    contractor = person(PM, CONTRACTOR, "project_manager", kind="company")
    with pytest.raises(PayloadTooLarge) as err:
        await cases.submit_reply(mongo=mongo, storage=storage, settings=settings, principal=contractor,
                                 document_id=doc["_id"], text="整改报告：已整改", photos=[],
                                 attachments=[pdf(600 * 1024 + 1)])
    assert err.value.field == "attachments"
    assert storage.objects == {}
    reply = await cases.submit_reply(mongo=mongo, storage=storage, settings=settings, principal=contractor,
                                     document_id=doc["_id"], text="整改报告：临边防护已恢复", photos=[],
                                     attachments=[pdf(600 * 1024), pdf(1000)])
    assert len(reply["attachments"]) == 2 and reply["status"] == "pending"
    reviewed = await cases.review_reply(mongo=mongo, settings=settings, principal=person(ISSUER),
                                        document_id=doc["_id"], reply_id=reply["_id"], decision="approve",
                                        comment=None)
    assert reviewed["status"] == "accepted"


async def test_heb10_the_600kb_rule_is_hebeis_not_hainans():
    """HEB-10: the limit is Hebei's registry default; Hainan keeps the platform's."""
    from anjian_shared.tenant_policy import tenant_policy
    mongo, settings = FakeDatabase(service="notices"), Settings()
    assert (await tenant_policy(mongo, "hebei", settings)).limit("document_attachment_max_bytes") == 600 * 1024
    assert (await tenant_policy(mongo, "hebei", settings)).limit("document_photo_max_bytes") == 600 * 1024
    assert (await tenant_policy(mongo, "hainan", settings)).limit("document_attachment_max_bytes") == 20 * 1024 * 1024
    named = Settings(document_attachment_max_bytes_per_tenant={"hebei": 1024 * 1024})
    assert (await tenant_policy(mongo, "hebei", named)).limit("document_attachment_max_bytes") == 1024 * 1024
