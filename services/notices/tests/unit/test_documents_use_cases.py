"""Hainan's enforcement documents on the in-memory fakes (no servers): HN-07 submission (numbered,
routed), HN-08 review by all report recipients, HN-09 replies and their review by the issuer
(the review block with one reviewer), closing, and the escalation sweep exactly once. Each test
asserts state, committed events and refusals with their problem codes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from anjian_shared.errors import Conflict, Forbidden, NotFound, NotYetAvailable, Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from anjian_shared.testing.media import FakeUpload, image_bytes
from anjian_shared.types import utcnow
from notices.adapters.document_store import (
    DOCUMENTS,
    ESCALATIONS,
    PROJECTS,
    RECORDS,
    REPLIES,
    USERS,
    ensure_document_indexes,
)
from notices.service_layer import documents as cases
from notices.service_layer import escalation
from notices.settings import Settings

TENANT, STATION, CONTRACTOR = "hainan", "org-station", "org-contractor"
ISSUER, WANG, LI, LIU, PM2 = "zhang", "wang", "li", "liu", "pm2"
SUBMITTED, REVIEWED, ISSUED = cases.DOCUMENT_SUBMITTED, cases.DOCUMENT_REVIEWED, cases.DOCUMENT_ISSUED
REPLIED, REPLY_REVIEWED, CLOSED = cases.DOCUMENT_REPLIED, cases.DOCUMENT_REPLY_REVIEWED, cases.DOCUMENT_CLOSED


def person(uid: str, org: str = STATION, *roles: str, kind: str = "station") -> Principal:
    return Principal(user_id=uid, tenant=TENANT, org_id=org, roles=list(roles or ("supervisor",)), name=uid,
                     org_kind=kind)


def replier(uid: str) -> Principal:
    return person(uid, CONTRACTOR, "project_manager", kind="company")


@pytest.fixture
async def world() -> tuple[FakeDatabase, FakeStorage, Settings]:
    mongo = FakeDatabase(service="notices")
    await ensure_document_indexes(mongo)
    await mongo.repo(PROJECTS, TENANT).insert({
        "_id": "p1", "name": "海口一号楼", "station_org_id": STATION, "contractor_org_id": CONTRACTOR,
        "owner_org_id": "org-owner", "supervision_org_id": "org-sv",
        "participants": [{"user_id": LIU, "name": "刘经理"}, {"user_id": PM2, "name": "二经理"}]})
    for uid, org, roles in ((WANG, STATION, ["station_leader"]), (LI, STATION, ["supervisor"]),
                            (ISSUER, STATION, ["supervisor"]), (LIU, CONTRACTOR, ["project_manager"]),
                            (PM2, CONTRACTOR, ["project_manager"])):
        await mongo.repo(USERS, TENANT).insert({"_id": uid, "org_id": org, "roles": roles, "enabled": True,
                                                "display_name": uid})
    await mongo.repo(RECORDS, TENANT).insert({"_id": "rec1", "project_id": "p1", "status": "issued",
                                              "station_org_id": STATION, "submitted_by": {"user_id": ISSUER},
                                              "check_type": "safety", "part_checked": "3#楼"})
    return mongo, FakeStorage(), Settings()


async def submit(world: Any, *, reviewers: list[str] = (), repliers: list[str] = (LIU,), days: int = 7,
                 who: Principal | None = None, backdated: bool = False, record_id: str = "rec1",
                 project_id: str = "p1") -> dict[str, Any]:
    mongo, _, settings = world
    return await cases.submit_document(
        mongo=mongo, settings=settings, principal=who or person(ISSUER), document_type="rectification",
        project_id=project_id, addressed_org_ids=[CONTRACTOR], record_id=record_id, details="临边防护缺失",
        deadline=(utcnow() + timedelta(days=days)).date(), backdated=backdated, replier_user_ids=list(repliers),
        report_recipient_ids=list(reviewers), issue_recipient_ids=[])


async def review(world: Any, document_id: str, who: str, decision: str, comment: str | None = None) -> dict:
    mongo, _, settings = world
    return await cases.review_document(mongo=mongo, settings=settings, principal=person(who, STATION, "station_leader"),
                                       document_id=document_id, decision=decision, comment=comment)


async def reply(world: Any, document_id: str, who: str = LIU, photos: int = 0) -> dict:
    mongo, storage, settings = world
    return await cases.submit_reply(
        mongo=mongo, storage=storage, settings=settings, principal=replier(who), document_id=document_id,
        text="已整改", photos=[FakeUpload(image_bytes("JPEG"), "a.jpg", "image/jpeg") for _ in range(photos)],
        attachments=[])


async def review_reply(world: Any, document_id: str, reply_id: str, decision: str, comment: str | None = None,
                       who: str = ISSUER) -> dict:
    mongo, _, settings = world
    principal = person(who, STATION, "station_leader") if who == WANG else person(who)
    return await cases.review_reply(mongo=mongo, settings=settings, principal=principal, document_id=document_id,
                                    reply_id=reply_id, decision=decision, comment=comment)


def types(mongo: FakeDatabase) -> list[str]:
    return [e["type"] for e in mongo.outbox]


async def doc_of(world: Any, document_id: str) -> dict[str, Any]:
    return await world[0].repo(DOCUMENTS, TENANT).get(document_id)


# --- HN-07: submission --------------------------------------------------------------------------------

async def test_hn07_without_report_recipients_a_numbered_document_is_issued_at_once(world):
    doc = await submit(world)
    assert doc["status"] == "issued" and doc["number"] == "琼安监整〔{}〕0001号".format(doc["year"])
    assert types(world[0]) == [SUBMITTED, ISSUED]
    second = await submit(world)
    assert second["seq"] == 2


async def test_hn07_with_report_recipients_it_waits_for_review(world):
    doc = await submit(world, reviewers=[WANG, LI])
    assert doc["status"] == "pending_review" and types(world[0]) == [SUBMITTED]


async def test_hn07_refusals_store_nothing_and_burn_no_number(world):
    with pytest.raises(Forbidden):
        await submit(world, who=replier(LIU))
    with pytest.raises(Unprocessable) as exc:
        await submit(world, days=-2)
    assert exc.value.field == "deadline"
    with pytest.raises(Unprocessable) as exc:
        await submit(world, repliers=[WANG])                  # known, but of the station, not the project
    assert exc.value.field == "replier_user_ids"
    assert world[0].documents(DOCUMENTS) == [] and world[0].outbox == []
    assert (await submit(world))["seq"] == 1


async def add_record(world: Any, record_id: str, *, status: str, sender: str = ISSUER, reports: list[str] = (),
                     issues: list[str] = ()) -> None:
    await world[0].repo(RECORDS, TENANT).insert({
        "_id": record_id, "project_id": "p1", "status": status, "station_org_id": STATION,
        "submitted_by": {"user_id": sender}, "report_recipient_ids": list(reports),
        "issue_recipient_ids": list(issues), "check_type": "safety", "part_checked": "3#楼"})


async def test_hn04_hn07_a_document_rests_only_on_a_released_record(world):
    """HN-04/HN-07: a record still pending review is not yet released — 409
    ``record-not-released`` with Retry-After (it may be released later), never issued; a
    rejected record is refused for good (422 ``record-rejected``); an internal one (监督内档)
    is released."""
    await add_record(world, "pending", status="pending_review", reports=[WANG])
    await add_record(world, "rejected", status="rejected", reports=[WANG])
    await add_record(world, "internal", status="internal")
    with pytest.raises(NotYetAvailable) as exc:
        await submit(world, record_id="pending")
    assert exc.value.slug == "record-not-released" and exc.value.field == "record_id" and exc.value.retry_after
    with pytest.raises(Unprocessable) as exc:
        await submit(world, record_id="rejected")
    assert exc.value.slug == "record-rejected" and exc.value.field == "record_id"
    assert world[0].documents(DOCUMENTS) == [] and world[0].outbox == []
    assert (await submit(world, record_id="internal"))["status"] == "issued"


async def test_hn07_a_supervisor_cannot_cite_a_record_he_may_not_read(world):
    """HN-07: the record visibility of ``GET /records/{id}`` (``anjian_shared.record_access``):
    another supervisor of the station who is neither sender nor recipient gets the same 404;
    an issue recipient may cite it once issued; the station leader may."""
    await add_record(world, "lis", status="issued", sender=LI)
    await add_record(world, "to-zhang", status="issued", sender=LI, issues=[ISSUER])
    with pytest.raises(NotFound):
        await submit(world, record_id="lis")
    assert world[0].documents(DOCUMENTS) == []
    assert (await submit(world, record_id="to-zhang"))["record"]["record_id"] == "to-zhang"
    leader = person(WANG, STATION, "station_leader")
    assert (await submit(world, record_id="lis", who=leader))["record_id"] == "lis"


async def test_hn07_a_record_not_yet_arrived_is_retryable_never_422(world):
    """HN-07: the draft a record returns, posted before notices received the record (or only
    its review), answers 409 ``not-yet-available`` with Retry-After; so does a project or a
    person notices has not heard of yet. Never a 422: the same request succeeds later."""
    with pytest.raises(NotYetAvailable) as exc:
        await submit(world, record_id="just-submitted")
    assert exc.value.slug == "not-yet-available" and exc.value.field == "record_id" and exc.value.retry_after
    await world[0].repo(RECORDS, TENANT).insert({"_id": "review-only", "project_id": "p1", "status": "issued"})
    with pytest.raises(NotYetAvailable) as exc:
        await submit(world, record_id="review-only")
    assert exc.value.field == "record_id"
    with pytest.raises(NotYetAvailable) as exc:
        await submit(world, project_id="new-project")
    assert exc.value.field == "project_id"
    with pytest.raises(NotYetAvailable) as exc:
        await submit(world, repliers=[LIU, "new-user"])
    assert exc.value.field == "replier_user_ids"
    assert world[0].documents(DOCUMENTS) == [] and world[0].outbox == []


# --- HN-08: review by every report recipient ----------------------------------------------------------

async def test_hn08_all_must_approve_then_it_is_issued(world):
    doc = await submit(world, reviewers=[WANG, LI])
    assert (await review(world, doc["_id"], WANG, "approve"))["status"] == "pending_review"
    issued = await review(world, doc["_id"], LI, "approve", "同意")
    assert issued["status"] == "issued" and issued["issued_at"] is not None
    assert types(world[0]) == [SUBMITTED, REVIEWED, REVIEWED, ISSUED]


async def test_hn08_the_first_rejection_returns_it_to_the_issuer(world):
    doc = await submit(world, reviewers=[WANG, LI])
    rejected = await review(world, doc["_id"], LI, "reject", "改期限")
    assert rejected["status"] == "rejected"
    with pytest.raises(Conflict) as exc:
        await review(world, doc["_id"], WANG, "approve")
    assert exc.value.slug == "document-not-pending-review"
    assert types(world[0]) == [SUBMITTED, REVIEWED]


async def test_hn08_refusals_name_what_happened(world):
    doc = await submit(world, reviewers=[WANG, LI])
    with pytest.raises(Forbidden) as exc:
        await review(world, doc["_id"], ISSUER, "approve")
    assert exc.value.slug == "not-a-reviewer"
    with pytest.raises(Unprocessable) as exc:
        await review(world, doc["_id"], WANG, "reject")
    assert exc.value.slug == "comment-required"
    await review(world, doc["_id"], WANG, "approve")
    with pytest.raises(Conflict) as exc:
        await review(world, doc["_id"], WANG, "approve")
    assert exc.value.slug == "document-already-reviewed"
    assert (await doc_of(world, doc["_id"]))["reviewed_by"] == [WANG]


# --- HN-09: replies and their review ------------------------------------------------------------------

async def test_hn09_a_replier_replies_once_at_a_time(world):
    doc = await submit(world, repliers=[LIU, PM2])
    first = await reply(world, doc["_id"], photos=1)
    assert first["status"] == "pending" and first["round"] == 1 and len(world[1].objects) == 1
    with pytest.raises(Conflict) as exc:
        await reply(world, doc["_id"])
    assert exc.value.slug == "reply-pending"
    assert (await doc_of(world, doc["_id"]))["pending_replier_ids"] == [LIU]
    assert types(world[0])[-1] == REPLIED


async def test_hn09_not_yet_issued_documents_take_no_reply(world):
    doc = await submit(world, reviewers=[WANG])
    with pytest.raises(Conflict) as exc:
        await reply(world, doc["_id"])
    assert exc.value.slug == "document-not-open"


async def test_hn09_the_issuer_accepts_every_reply_and_the_document_closes(world):
    doc = await submit(world, repliers=[LIU, PM2])
    a, b = await reply(world, doc["_id"]), await reply(world, doc["_id"], PM2)
    accepted = await review_reply(world, doc["_id"], a["_id"], "approve")
    assert accepted["status"] == "accepted" and accepted["review"]["decision"] == "approve"
    assert (await doc_of(world, doc["_id"]))["status"] == "issued"
    await review_reply(world, doc["_id"], b["_id"], "approve")
    closed = await doc_of(world, doc["_id"])
    assert closed["status"] == "closed" and sorted(closed["accepted_replier_ids"]) == [LIU, PM2]
    assert types(world[0])[-2:] == [REPLY_REVIEWED, CLOSED]
    assert world[0].events(REPLY_REVIEWED, tenant=TENANT)[0]["data"]["accepted"] is True


async def test_hn09_a_rejected_replier_replies_again(world):
    doc = await submit(world)
    first = await reply(world, doc["_id"])
    with pytest.raises(Unprocessable) as exc:
        await review_reply(world, doc["_id"], first["_id"], "reject")
    assert exc.value.slug == "comment-required"
    rejected = await review_reply(world, doc["_id"], first["_id"], "reject", "缺整改照片")
    assert rejected["status"] == "rejected" and rejected["review"]["accepted"] is False
    assert (await reply(world, doc["_id"]))["round"] == 2


async def test_hn09_only_the_issuer_reviews_a_reply_once(world):
    doc = await submit(world)
    first = await reply(world, doc["_id"])
    with pytest.raises(Forbidden) as exc:
        await review_reply(world, doc["_id"], first["_id"], "approve", who=WANG)
    assert exc.value.slug == "not-a-reviewer"
    await review_reply(world, doc["_id"], first["_id"], "approve")
    with pytest.raises(Conflict) as exc:
        await review_reply(world, doc["_id"], first["_id"], "reject", "late")
    assert exc.value.slug == "reply-already-reviewed"
    with pytest.raises(Conflict) as exc:
        await reply(world, doc["_id"])
    assert exc.value.slug == "document-not-open"                      # closed: its only replier is done


async def test_hn08_hn09_badge_counts_of_both_review_boxes(world):
    doc = await submit(world, reviewers=[WANG, LI])
    await review(world, doc["_id"], WANG, "approve")
    await submit(world, reviewers=[WANG])
    counts = await cases.view_counts(mongo=world[0], settings=world[2], principal=person(WANG),
                                     project_id=None, document_type=None, date_from=None, date_to=None)
    assert counts["to_review"] == {"to_review": 1, "reviewed": 1}
    issued = await submit(world)
    await reply(world, issued["_id"])
    mine = await cases.view_counts(mongo=world[0], settings=world[2], principal=person(ISSUER),
                                   project_id=None, document_type=None, date_from=None, date_to=None)
    assert mine["replies_reviewed"] == {"to_review": 1, "reviewed": 0}


# --- HN-07: the escalation sweep, exactly once ----------------------------------------------------------

async def test_hn07_an_overdue_document_escalates_exactly_once(world):
    mongo, _, settings = world
    overdue = await submit(world, repliers=[LIU, PM2])
    await review_reply(world, overdue["_id"], (await reply(world, overdue["_id"]))["_id"], "approve")
    on_time = await submit(world, days=30)
    later = utcnow() + timedelta(days=10)
    first, second = await asyncio.gather(escalation.sweep(mongo, settings, now=later),
                                         escalation.sweep(mongo, settings, now=later))
    again = await escalation.sweep(mongo, settings, now=later + timedelta(days=1))
    done = [*first, *second, *again]
    assert [e.document_id for e in done] == [overdue["_id"]]
    [stored] = mongo.documents(ESCALATIONS)
    assert stored["missing_replier_ids"] == [PM2] and stored["kind"] == "penalty_recommendation"
    assert len(mongo.events(escalation.DOCUMENT_ESCALATED, tenant=TENANT)) == 1
    assert (await doc_of(world, overdue["_id"]))["escalated"] is True
    assert not (await doc_of(world, on_time["_id"]))["escalated"]
    assert mongo.documents(REPLIES)[0]["status"] == "accepted"


# --- the 403/404 rule (README "403 or 404"): cannot see it → 404; sees it, may not act → 403 -----

async def test_review_by_who_cannot_see_the_document_is_404_and_by_who_sees_it_403(world):
    mongo, _, settings = world
    doc = await submit(world, reviewers=[LI])
    outsider = person("another-supervisor")                        # same station, not issuer nor recipient
    with pytest.raises(NotFound):
        await cases.get_document(mongo=mongo, settings=settings, principal=outsider, document_id=doc["_id"])
    with pytest.raises(NotFound):
        await cases.review_document(mongo=mongo, settings=settings, principal=outsider, document_id=doc["_id"],
                                    decision="approve", comment=None)
    leader = person(WANG, STATION, "station_leader")               # sees every document of the station
    assert (await cases.get_document(mongo=mongo, settings=settings, principal=leader,
                                     document_id=doc["_id"]))[0]["_id"] == doc["_id"]
    with pytest.raises(Forbidden) as exc:
        await review(world, doc["_id"], WANG, "approve")
    assert exc.value.slug == "not-a-reviewer"
    assert types(mongo) == [SUBMITTED]
