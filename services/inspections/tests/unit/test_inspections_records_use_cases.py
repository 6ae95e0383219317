"""Use cases of supervision records on the in-memory fakes (no servers): HN-04 submission with
each route, HN-05/HN-06 review (approve, reject, not a reviewer, twice, after the round ended)
and the boxes' counts. Each test asserts the stored state, the committed events and the
refusals with their problem codes."""

from __future__ import annotations

from typing import Any

import pytest

from anjian_shared.errors import Conflict, DomainError, Forbidden, NotFound, Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from anjian_shared.testing.media import FakeUpload, image_bytes
from inspections.adapters.records_store import RECORDS, TERMS, VIOLATIONS
from inspections.adapters.repositories import PROJECTS, USERS
from inspections.service_layer import records as cases
from inspections.settings import Settings

TENANT = "hainan"
STATION, CONTRACTOR = "org-station", "org-contractor"
SENDER, LEADER, DEPUTY, PM = "u-sender", "u-leader", "u-deputy", "u-pm"
SUBMITTED, REVIEWED, RELEASED = (cases.RECORD_SUBMITTED, cases.RECORD_REVIEWED, cases.RECORD_RELEASED)


def person(user_id: str, *roles: str, org_id: str = STATION, org_kind: str = "station") -> Principal:
    return Principal(user_id=user_id, tenant=TENANT, org_id=org_id, roles=list(roles or ("supervisor",)),
                     name=user_id.upper(), org_kind=org_kind)


@pytest.fixture
async def world() -> tuple[FakeDatabase, FakeStorage, Settings]:
    mongo = FakeDatabase(service="inspections")
    await mongo.repo(PROJECTS, TENANT).insert({
        "_id": "p1", "name": "海口一号楼", "station_org_id": STATION, "contractor_org_id": CONTRACTOR,
        "participants": [{"user_id": PM, "name": "项目经理", "project_role": "project_manager"}]})
    for uid, org, roles in ((LEADER, STATION, ["station_leader"]), (DEPUTY, STATION, ["supervisor"]),
                            (PM, CONTRACTOR, ["project_manager"])):
        await mongo.repo(USERS, TENANT).insert({"_id": uid, "org_id": org, "roles": roles, "enabled": True,
                                                "display_name": uid.upper()})
    await mongo.repo(TERMS, TENANT).insert({"_id": f"{TENANT}:T1", "code": "T1", "check_type": "safety",
                                            "text": "临边防护缺失"})
    await mongo.repo(VIOLATIONS, TENANT).insert({"_id": f"{TENANT}:V1", "code": "V1", "text": "未按方案施工"})
    return mongo, FakeStorage(), Settings()


async def submit(world: Any, *, reviewers: list[str] = (), receivers: list[str] = (), photos: int = 0,
                 who: Principal | None = None, **over: Any) -> dict[str, Any]:
    mongo, storage, settings = world
    args: dict[str, Any] = dict(
        mongo=mongo, storage=storage, settings=settings, principal=who or person(SENDER), project_id="p1",
        check_type="safety", part_checked="2#楼5层", term_codes=["T1"], violation_codes=["V1"], supplement="",
        photos=[FakeUpload(image_bytes("PNG"), filename=f"p{i}.png", content_type="image/png")
                for i in range(photos)],
        annotations=None, videos=[], audios=[], report_recipient_ids=list(reviewers),
        issue_recipient_ids=list(receivers), also_issue_notice=False)
    args.update(over)
    return await cases.submit_record(**args)


async def review(world: Any, record_id: str, who: str, decision: str, comment: str | None = None) -> dict:
    mongo, _, settings = world
    return await cases.review_record(mongo=mongo, settings=settings, principal=person(who, "station_leader"),
                                     record_id=record_id, decision=decision, comment=comment)


def types(mongo: FakeDatabase) -> list[str]:
    return [e["type"] for e in mongo.outbox]


async def stored(world: Any, record_id: str) -> dict[str, Any]:
    return await world[0].repo(RECORDS, TENANT).get(record_id)


# --- HN-04: submission, each route -----------------------------------------------------------------

async def test_hn04_with_report_recipients_the_record_waits_for_review(world):
    doc = await submit(world, reviewers=[LEADER, DEPUTY], receivers=[PM], photos=1)
    assert doc["status"] == "pending_review" and doc["report_recipient_ids"] == [LEADER, DEPUTY]
    assert (await stored(world, doc["_id"]))["status"] == "pending_review"
    assert types(world[0]) == [SUBMITTED]
    assert len(world[1].objects) == 1 and doc["photos"][0]["width"] == 64


async def test_hn04_without_report_recipients_it_is_issued_at_once(world):
    doc = await submit(world, receivers=[PM])
    assert doc["status"] == "issued" and doc["released_at"] is not None
    assert types(world[0]) == [SUBMITTED, RELEASED]


async def test_hn04_without_any_recipient_it_is_an_internal_file(world):
    doc = await submit(world)
    assert doc["status"] == "internal" and types(world[0]) == [SUBMITTED]


async def test_hn04_only_station_staff_submit_and_a_refusal_writes_nothing(world):
    with pytest.raises(Forbidden):
        await submit(world, who=person(PM, "project_manager", org_id=CONTRACTOR, org_kind="company"))
    with pytest.raises(Unprocessable) as exc:
        await submit(world, reviewers=[PM])                       # a contractor cannot review
    assert exc.value.field == "report_recipient_ids"
    assert world[0].documents(RECORDS) == [] and world[0].outbox == []


async def test_hn04_a_failure_after_storing_photos_removes_them(world):
    world[1].fail_put_at(2)                                       # the second photo cannot be stored
    with pytest.raises(Exception):  # noqa: B017 - the storage's own error, whatever it is
        await submit(world, reviewers=[LEADER], photos=2)
    assert world[1].objects == {} and world[0].documents(RECORDS) == [] and world[0].outbox == []


# --- HN-05/HN-06: review ----------------------------------------------------------------------------

async def test_hn05_every_report_recipient_must_approve_then_it_is_released(world):
    doc = await submit(world, reviewers=[LEADER, DEPUTY], receivers=[PM])
    after_one = await review(world, doc["_id"], LEADER, "approve")
    assert after_one["status"] == "pending_review" and after_one["reviewed_by"] == [LEADER]
    after_two = await review(world, doc["_id"], DEPUTY, "approve", "同意下达")
    assert after_two["status"] == "issued" and after_two["released_at"] is not None
    assert [r["decision"] for r in after_two["reviews"]] == ["approve", "approve"]
    assert types(world[0]) == [SUBMITTED, REVIEWED, REVIEWED, RELEASED]
    last = world[0].events(REVIEWED, tenant=TENANT)[-1]["data"]
    assert last["status"] == "issued" and last["reviewer"]["user_id"] == DEPUTY


async def test_hn05_the_last_approval_without_issue_recipients_files_it_internally(world):
    doc = await submit(world, reviewers=[LEADER])
    assert (await review(world, doc["_id"], LEADER, "approve"))["status"] == "internal"
    assert types(world[0]) == [SUBMITTED, REVIEWED]


async def test_hn06_the_first_rejection_returns_it_and_ends_the_round(world):
    doc = await submit(world, reviewers=[LEADER, DEPUTY], receivers=[PM])
    rejected = await review(world, doc["_id"], LEADER, "reject", "请补充照片")
    assert rejected["status"] == "rejected" and rejected["reviews"][0]["comment"] == "请补充照片"
    with pytest.raises(Conflict) as exc:
        await review(world, doc["_id"], DEPUTY, "approve")
    assert exc.value.slug == "record-not-pending-review"
    assert types(world[0]) == [SUBMITTED, REVIEWED]


async def test_hn05_refusals_name_what_happened_and_change_nothing(world):
    doc = await submit(world, reviewers=[LEADER, DEPUTY])
    with pytest.raises(Forbidden) as exc:                         # the sender is not a reviewer
        await review(world, doc["_id"], SENDER, "approve")
    assert exc.value.slug == "not-a-reviewer"
    with pytest.raises(Unprocessable) as exc:
        await review(world, doc["_id"], LEADER, "reject", "  ")
    assert exc.value.slug == "comment-required" and exc.value.field == "comment"
    await review(world, doc["_id"], LEADER, "approve")
    with pytest.raises(Conflict) as exc:
        await review(world, doc["_id"], LEADER, "approve")
    assert exc.value.slug == "record-already-reviewed"
    record = await stored(world, doc["_id"])
    assert record["reviewed_by"] == [LEADER] and record["version"] == 1
    assert types(world[0]) == [SUBMITTED, REVIEWED]


async def test_hn04_a_record_never_changes(world):
    doc = await submit(world)
    with pytest.raises(Conflict) as exc:
        await cases.refuse_change(mongo=world[0], settings=world[2], principal=person(SENDER),
                                  record_id=doc["_id"])
    assert exc.value.slug == "record-immutable"


async def test_hn06_badge_counts_follow_the_review_boxes(world):
    first = await submit(world, reviewers=[LEADER, DEPUTY])
    await submit(world, reviewers=[LEADER])
    await review(world, first["_id"], LEADER, "approve")
    counts = await cases.view_counts(mongo=world[0], settings=world[2], principal=person(LEADER, "station_leader"),
                                     project_id=None, check_type=None, date_from=None, date_to=None)
    assert counts["received"] == {"to_review": 1, "reviewed": 1, "issued": 0}
    mine = await cases.view_counts(mongo=world[0], settings=world[2], principal=person(SENDER),
                                   project_id=None, check_type=None, date_from=None, date_to=None)
    assert mine["sent"] == {"pending_review": 2, "approved": 0, "rejected": 0}


async def test_other_tenants_do_not_see_the_record(world):
    doc = await submit(world, reviewers=[LEADER])
    stranger = Principal(user_id=LEADER, tenant="hubei", org_id=STATION, roles=["station_leader"])
    with pytest.raises(DomainError) as exc:
        await cases.review_record(mongo=world[0], settings=world[2], principal=stranger, record_id=doc["_id"],
                                  decision="approve", comment=None)
    assert exc.value.slug == "not-found" or exc.value.slug == "feature-disabled"


# --- the 403/404 rule (README "403 or 404"): cannot see it → 404; sees it, may not act → 403 -----

async def test_review_by_who_cannot_see_the_record_is_404_and_by_who_sees_it_403(world):
    doc = await submit(world, reviewers=[DEPUTY])
    outsider = person("u-other-supervisor", "supervisor")          # same station, neither sender nor recipient
    with pytest.raises(NotFound):
        await cases.get_record(mongo=world[0], settings=world[2], principal=outsider, record_id=doc["_id"])
    with pytest.raises(NotFound):
        await cases.review_record(mongo=world[0], settings=world[2], principal=outsider, record_id=doc["_id"],
                                  decision="approve", comment=None)
    leader = person(LEADER, "station_leader")                      # sees every record of the station
    assert (await cases.get_record(mongo=world[0], settings=world[2], principal=leader,
                                   record_id=doc["_id"]))["_id"] == doc["_id"]
    with pytest.raises(Forbidden) as exc:
        await cases.review_record(mongo=world[0], settings=world[2], principal=leader, record_id=doc["_id"],
                                  decision="approve", comment=None)
    assert exc.value.slug == "not-a-reviewer"
    assert types(world[0]) == [SUBMITTED]
