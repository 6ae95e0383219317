"""Payloads sparing partner call-backs (issue 11, PLAT-03): every enforcement-document event
a partner acts on names the project, the document type and the deadline, not ids alone.
On the in-memory fakes, reusing the document world of ``test_documents_use_cases``."""

from __future__ import annotations

from test_documents_use_cases import (  # noqa: F401 - world is a fixture
    CLOSED,
    ISSUED,
    LIU,
    REPLIED,
    REPLY_REVIEWED,
    REVIEWED,
    TENANT,
    WANG,
    reply,
    review,
    review_reply,
    submit,
    world,
)


async def test_plat03_document_events_name_the_project_type_and_deadline(world):  # noqa: F811
    doc = await submit(world, reviewers=[WANG])
    await review(world, doc["_id"], WANG, "approve")
    answer = await reply(world, doc["_id"], LIU, photos=1)
    await review_reply(world, doc["_id"], answer["_id"], "approve")
    mongo = world[0]
    for event_type in (REVIEWED, ISSUED, REPLIED, REPLY_REVIEWED, CLOSED):
        (event,) = mongo.events(event_type, tenant=TENANT)
        data = event["data"]
        assert data["project_id"] == "p1" and data["project_name"] == "海口一号楼", event_type
        assert data["document_type"] == "rectification", event_type
        if event_type != CLOSED:
            assert data["deadline"] == doc["deadline"], event_type
    issued = mongo.events(ISSUED, tenant=TENANT)[0]["data"]
    assert issued["details"] == "临边防护缺失" and issued["addressed_org_ids"] == ["org-contractor"]
    assert mongo.events(CLOSED, tenant=TENANT)[0]["data"]["station_org_id"] == "org-station"


async def test_plat03_hubei_notice_events_name_the_project_and_the_deadline() -> None:
    """告知书: the reply, its review and the closing name the project (and the reply its
    rectification date); the closing names its plan and station."""
    import test_notices_use_cases as hb

    from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
    from notices.adapters.repository import NOTICES

    mongo = FakeDatabase(service="notices")
    await hb.issue(mongo)
    notice_id = next(n for n in mongo.documents(NOTICES) if n["project_id"] == "p1")["_id"]
    hb_world = (mongo, FakeStorage(), notice_id)
    notice = await hb.reply(hb_world)
    await hb.review(hb_world, notice.replies[0].reply_id, decision="approve")
    for event_type in (hb.SUBMITTED, hb.REVIEWED, hb.CLOSED):
        data = mongo.events(event_type, tenant=hb.TENANT)[0]["data"]
        assert data["project_id"] == "p1" and data["project_name"] == "项目p1", event_type
    assert mongo.events(hb.SUBMITTED, tenant=hb.TENANT)[0]["data"]["rectification_date"] == "2026-03-09"
    closed = mongo.events(hb.CLOSED, tenant=hb.TENANT)[0]["data"]
    assert closed["plan_id"] == "plan1" and closed["station_org_id"] == hb.STATION
