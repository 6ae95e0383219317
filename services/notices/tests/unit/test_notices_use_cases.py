"""Hubei's notices on the in-memory fakes (no servers): HB-06 issue from a submitted plan (once),
HB-08 reply, review accept / reject through the review block, the closed notice, and every
refusal with its problem code. Each test asserts state, committed events and codes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from anjian_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.inspections_v1 import (
    NoticeData,
    PlanProject,
    PlanSubmitted,
    ResultSnapshot,
)
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from anjian_shared.testing.media import FakeUpload, image_bytes
from notices.adapters.repository import NOTICES
from notices.service_layer import notices as cases

TENANT, STATION = "hubei", "org-station"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SUPERVISOR = PersonRef(user_id="sup1", name="张监督")
ISSUED, SUBMITTED, REVIEWED, CLOSED = (cases.NOTICE_ISSUED, cases.REPLY_SUBMITTED, cases.REPLY_REVIEWED,
                                       cases.NOTICE_CLOSED)


def media(key: str) -> MediaRef:
    return MediaRef(bucket="anjian-inspections", key=key, content_type="image/jpeg", size=10)


def plan(disposition: str = "限期整改") -> PlanSubmitted:
    def project(pid: str, contractor: str) -> PlanProject:
        return PlanProject(project_id=pid, name=f"项目{pid}", address="武汉", station_org_id=STATION,
                           owner_org_id="owner", contractor_org_id=contractor, supervision_org_id="sv",
                           project_manager_user_ids=["pm1"])

    return PlanSubmitted(
        plan_id="plan1", title="三月抽查", planned_date=date(2026, 3, 1), station_org_id=STATION,
        projects=[project("p1", "contractorA"), project("p2", "contractorB")],
        responsible_supervisor=SUPERVISOR, supervisors=[SUPERVISOR], disposition=disposition,
        notice=NoticeData(title="安全隐患整改告知书", construction_stage="主体施工",
                          rectification_date=date(2026, 3, 9)),
        signature=media("sig.png"), seal=None,
        results=[ResultSnapshot(result_id="r1", project_id="p1", building_name="1#楼", hazards=[], finding="临边",
                                photos=[], major_hazard=False, recorded_by=SUPERVISOR, recorded_at=T0)],
        submitted_at=T0)


def actor(user_id: str, org_id: str, *roles: str) -> Principal:
    return Principal(user_id=user_id, tenant=TENANT, org_id=org_id, roles=list(roles), name=user_id)


PM = actor("pm1", "contractorA", "project_manager")
SUP = actor("sup1", STATION, "supervisor")
LEADER = actor("boss", STATION, "station_leader")


async def issue(mongo: FakeDatabase, p: PlanSubmitted | None = None) -> list[str]:
    async with mongo.uow(TENANT) as uow:
        ids = await cases.issue_notices(uow, plan=p or plan())
        await uow.commit()
    return ids


@pytest.fixture
async def world() -> tuple[FakeDatabase, FakeStorage, str]:
    mongo = FakeDatabase(service="notices")
    ids = await issue(mongo)
    first = next(n for n in mongo.documents(NOTICES) if n["project_id"] == "p1")["_id"]
    assert first in ids
    return mongo, FakeStorage(), first


async def reply(world: Any, who: Principal = PM, photos: int = 0) -> Any:
    mongo, storage, notice_id = world
    uploads = [FakeUpload(image_bytes("JPEG"), filename="a.jpg", content_type="image/jpeg") for _ in range(photos)]
    return await cases.submit_reply(mongo=mongo, storage=storage, actor=who, notice_id=notice_id, text="已整改",
                                    photos=uploads, photo_max_bytes=1_000_000)


async def review(world: Any, reply_id: str, who: Principal = SUP, **body: Any) -> Any:
    mongo, _, notice_id = world
    return await cases.review_reply(mongo=mongo, actor=who, notice_id=notice_id, reply_id=reply_id,
                                    comment=body.pop("comment", None), **body)


def types(mongo: FakeDatabase) -> list[str]:
    return [e["type"] for e in mongo.outbox]


# --- HB-06: issue from the plan event ---------------------------------------------------------------

async def test_hb06_one_notice_per_project_numbered_and_emitted(world):
    mongo = world[0]
    notices = mongo.documents(NOTICES)
    assert sorted(n["number"] for n in notices) == ["鄂安监告〔2026〕0001号", "鄂安监告〔2026〕0002号"]
    assert {n["status"] for n in notices} == {"awaiting_reply"} and types(mongo) == [ISSUED, ISSUED]
    data = mongo.events(ISSUED, tenant=TENANT)[0]["data"]
    assert data["rectification_date"] == "2026-03-09"               # the event contract keeps its name


async def test_hb06_a_republished_plan_issues_nothing_twice(world):
    assert await issue(world[0]) == []
    assert len(world[0].documents(NOTICES)) == 2 and types(world[0]) == [ISSUED, ISSUED]


async def test_hb06_dispositions_without_rectification_issue_no_notice():
    mongo = FakeDatabase(service="notices")
    for disposition in ("无隐患", "现场整改"):
        assert await issue(mongo, plan(disposition)) == []
    assert mongo.documents(NOTICES) == [] and mongo.outbox == []


# --- HB-08: reply -----------------------------------------------------------------------------------

async def test_hb08_the_project_department_replies_and_the_notice_awaits_review(world):
    notice = await reply(world, photos=1)
    assert notice.status.value == "awaiting_review" and notice.replies[0].round == 1
    assert len(world[1].objects) == 1 and types(world[0])[-1] == SUBMITTED


async def test_hb08_no_second_reply_while_one_awaits_review(world):
    await reply(world)
    with pytest.raises(Conflict) as exc:
        await reply(world)
    assert exc.value.slug == "notice-awaiting-review"


async def test_hb08_only_a_replier_replies(world):
    for who in (SUP, actor("staff", "contractorA", "company_staff")):     # they see it: 403
        with pytest.raises(Forbidden) as exc:
            await reply(world, who)
        assert exc.value.slug == "not-a-replier"
    with pytest.raises(NotFound):                                          # another company's: 404
        await reply(world, actor("pm9", "contractorB", "project_manager"))
    assert types(world[0]) == [ISSUED, ISSUED]


# --- HB-08: review (the review block, any one of supervisor / station leader decides once) ------------

async def test_hb08_accepting_closes_the_notice(world):
    notice = await reply(world)
    closed = await review(world, notice.replies[0].reply_id, decision="approve")
    assert closed.status.value == "closed" and closed.closed_at is not None
    assert closed.replies[0].status.value == "accepted" and closed.replies[0].review.passed is True
    assert types(world[0])[-2:] == [REVIEWED, CLOSED]
    assert world[0].events(REVIEWED, tenant=TENANT)[0]["data"]["passed"] is True


async def test_hb08_rejecting_needs_a_comment_and_asks_for_a_new_round(world):
    notice = await reply(world)
    rid = notice.replies[0].reply_id
    with pytest.raises(Unprocessable) as exc:
        await review(world, rid, decision="reject")
    assert exc.value.field == "comment" and exc.value.slug == "comment-required"
    again = await review(world, rid, decision="reject", comment="临边仍未封闭")
    assert again.status.value == "awaiting_reply" and again.replies[0].status.value == "rejected"
    second = await reply(world)
    assert second.replies[1].round == 2 and types(world[0])[-3:] == [SUBMITTED, REVIEWED, SUBMITTED]


async def test_hb08_the_deprecated_passed_still_decides(world):
    notice = await reply(world)
    failed = await review(world, notice.replies[0].reply_id, passed=False, comment="no")
    assert failed.replies[0].status.value == "rejected" and failed.replies[0].review_status.value == "failed"


async def test_hb08_a_station_leader_may_review_and_a_round_is_decided_once(world):
    notice = await reply(world)
    rid = notice.replies[0].reply_id
    await review(world, rid, LEADER, decision="approve")
    with pytest.raises(Conflict) as exc:
        await review(world, rid, SUP, decision="reject", comment="late")
    assert exc.value.slug == "reply-already-reviewed"


async def test_hb08_refusals_name_what_happened(world):
    notice = await reply(world)
    rid = notice.replies[0].reply_id
    with pytest.raises(Forbidden) as exc:
        await review(world, rid, PM, decision="approve")
    assert exc.value.slug == "not-a-reviewer"
    with pytest.raises(NotFound):                                  # another station's leader does not see it
        await review(world, rid, actor("boss2", "other-station", "station_leader"), decision="approve")
    with pytest.raises(NotFound) as exc:
        await review(world, "nope", decision="approve")
    assert exc.value.slug == "reply-not-found"
    with pytest.raises(Unprocessable) as exc:
        await review(world, rid)
    assert exc.value.slug == "decision-required"
    assert types(world[0])[-1] == SUBMITTED                          # nothing reviewed


async def test_hb08_a_closed_notice_takes_no_reply_and_an_old_round_no_review(world):
    first = await reply(world)
    await review(world, first.replies[0].reply_id, decision="reject", comment="again")
    second = await reply(world)
    with pytest.raises(Conflict) as exc:
        await review(world, first.replies[0].reply_id, decision="approve")
    assert exc.value.slug == "reply-not-latest"
    await review(world, second.replies[1].reply_id, decision="approve")
    with pytest.raises(Conflict) as exc:
        await reply(world)
    assert exc.value.slug == "notice-closed"


# --- HB-09: every event says which version of the notice it leaves behind -------------------------

async def test_hb09_events_and_responses_carry_the_notices_version(world):
    """HB-09: the notice's ``version`` (1 issued, +1 per reply and per review) travels in every
    event of the notice, so reporting knows how far its read model got; the API shows it
    (a client passes it as ``min_version`` to the PDF)."""
    from notices.entrypoints.api.schemas import to_summary

    mongo = world[0]
    assert {e["data"]["version"] for e in mongo.events(ISSUED, tenant=TENANT)} == {1}
    replied = await reply(world)
    assert replied.version == 2 and mongo.events(SUBMITTED, tenant=TENANT)[-1]["data"]["version"] == 2
    closed = await review(world, replied.replies[0].reply_id, decision="approve")
    assert closed.version == 3 and to_summary(closed).version == 3
    assert mongo.events(REVIEWED, tenant=TENANT)[-1]["data"]["version"] == 3
    assert mongo.events(CLOSED, tenant=TENANT)[-1]["data"]["version"] == 3


# --- the 403/404 rule (README "403 or 404"): cannot see it → 404; sees it, may not act → 403 -----

async def test_acting_on_a_notice_one_cannot_see_is_404_and_on_one_one_sees_403(world):
    mongo, _, notice_id = world
    rid = (await reply(world)).replies[0].reply_id
    other_pm = actor("pm9", "contractorB", "project_manager")      # another company's project manager
    other_leader = actor("boss2", "other-station", "station_leader")
    for who in (other_pm, other_leader):
        with pytest.raises(NotFound):
            await cases.get_notice(mongo=mongo, actor=who, notice_id=notice_id)
        with pytest.raises(NotFound):
            await reply(world, who)
        with pytest.raises(NotFound):
            await review(world, rid, who, decision="approve")
    staff = actor("staff", "contractorA", "company_staff")         # sees it (its company's), may not act
    assert (await cases.get_notice(mongo=mongo, actor=staff, notice_id=notice_id)).id == notice_id
    with pytest.raises(Forbidden) as exc:
        await review(world, rid, staff, decision="approve")
    assert exc.value.slug == "not-a-reviewer"
    with pytest.raises(Forbidden) as exc:
        await reply(world, SUP)
    assert exc.value.slug == "not-a-replier"
    assert types(mongo) == [ISSUED, ISSUED, SUBMITTED]


# --- for front ends: the notices of one plan ----------------------------------------------------------

async def test_notices_filter_by_plan_id(world):
    mongo = world[0]
    other = plan().model_copy(update={"plan_id": "plan2"})
    await issue(mongo, other)
    mine, _ = await cases.list_notices(mongo=mongo, actor=SUP, status=None, project_id=None, plan_id="plan1",
                                       limit=50, cursor=None)
    assert len(mine) == 2 and {n.plan_id for n in mine} == {"plan1"}
    company_b = actor("staff-b", "contractorB", "company_staff")
    theirs, _ = await cases.list_notices(mongo=mongo, actor=company_b, status=None, project_id=None,
                                         plan_id="plan2", limit=50, cursor=None)
    assert [(n.plan_id, n.project_id) for n in theirs] == [("plan2", "p2")]   # still only what it may see
