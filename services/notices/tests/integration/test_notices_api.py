"""notices on real infrastructure: issue from inspections.plan.submitted.v1 (HB-06), numbering,
redelivery, visibility, replies (整改回复) and reviews (审核) round after round (HB-08)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from anjian_local.scenario import expect
from anjian_shared.events.common import MediaRef

API = "/api/notices/v1/notices"


def reply_files(kit: Any, n: int = 1, fmt: str = "PNG") -> list[tuple[str, tuple[str, bytes, str]]]:
    ext = "png" if fmt == "PNG" else "jpg"
    mime = "image/png" if fmt == "PNG" else "image/jpeg"
    return [("photos", (f"fixed{i}.{ext}", kit.image_bytes(fmt, "green"), mime)) for i in range(n)]


async def post_reply(kit: Any, token: str, notice_id: str, *, text: str | None = "临边防护已全部封闭",
                     files: list[Any] | None = None) -> httpx.Response:
    data = {"text": text} if text is not None else {}
    async with kit.platform.api(token) as c:
        return await c.post(f"{API}/{notice_id}/replies", data=data, files=files or None)


async def post_review(kit: Any, token: str, notice_id: str, reply_id: str, body: dict[str, Any], *,
                      path: str = "review") -> httpx.Response:
    """``path`` "review": the deprecated alias (200); "reviews": the one review path shape (201)."""
    async with kit.platform.api(token) as c:
        return await c.post(f"{API}/{notice_id}/replies/{reply_id}/{path}", json=body)


async def reply_objects(kit: Any, tenant: str, notice_id: str) -> list[str]:
    """Keys of the reply photos stored for the notice (to prove nothing was left behind)."""
    storage = kit.platform.app("notices").state.storage

    def _list() -> list[str]:
        return [o.object_name for o in storage.client.list_objects(
            storage.bucket, prefix=f"{tenant}/notices/{notice_id}/", recursive=True)]
    return await asyncio.to_thread(_list)


# ---------------------------------------------------------------- HB-06: issuing

@pytest.mark.parametrize("disposition", ["限期整改", "停工整改"])
async def test_rectification_plan_issues_one_notice_per_project_to_its_contractor(kit, disposition):
    hb = kit.hb
    mine = kit.project(hb)
    theirs = kit.project(hb, contractor_id=hb.other_contractor_id, pm_user_ids=[hb.people["chen"].user_id])
    event = kit.plan_event(hb, disposition=disposition, projects=[mine, theirs])
    await kit.publish(event)

    [mine_summary] = await kit.wait_notices(hb, mine.project_id)
    [theirs_summary] = await kit.wait_notices(hb, theirs.project_id)
    notice = await kit.get(hb.token("zhang"), mine_summary["id"])
    assert notice["addressee_org_id"] == hb.contractor_id
    assert theirs_summary["addressee_org_id"] == hb.other_contractor_id
    assert notice["disposition"] == disposition and notice["plan_id"] == event["data"]["plan_id"]
    assert notice["status"] == "awaiting_reply" and notice["status_label"] == "待整改回复"
    assert notice["reviewer_user_id"] == hb.people["zhang"].user_id
    assert notice["replier_user_ids"] == [hb.people["liu"].user_id]
    assert notice["title"] == "建设工程安全隐患整改告知书" and notice["rectification_date"] == "2026-03-09"
    assert notice["number"].startswith("鄂安监告〔") and notice["replies"] == []
    assert [r["project_id"] for r in event["data"]["results"]].count(mine.project_id) == len(notice["results"]) == 1
    # media of the plan come back with working presigned URLs
    async with kit.platform.api() as c:  # media come from the gateway origin (/media/…)
        photo = await c.get(notice["results"][0]["photos"][0]["url"])
        assert photo.status_code == 200 and photo.content == kit.result_photo_bytes
        assert (await c.get(notice["signature"]["url"])).status_code == 200
        assert (await c.get(notice["seal"]["url"])).status_code == 200
    # each notice announced once
    for n in (mine_summary, theirs_summary):
        [issued] = await kit.outbox("hubei", "notices.notice.issued.v1", n["id"])
        assert issued["data"]["number"] == n["number"]
        assert issued["data"]["issued_by"]["user_id"] == hb.people["zhang"].user_id


@pytest.mark.parametrize("disposition", ["无隐患", "现场整改"])
async def test_plan_without_rectification_issues_no_notice(kit, disposition):
    project = kit.project(kit.hb)
    event = kit.plan_event(kit.hb, disposition=disposition, projects=[project])
    await kit.publish(event)
    await kit.handled(event)
    assert await kit.list(kit.hb.token("zhang"), project_id=project.project_id) == []
    assert await kit.db["notices"].count_documents({"tenant_id": "hubei", "plan_id": event["data"]["plan_id"]}) == 0


async def test_numbers_are_sequential_per_tenant_and_shanghai_year(kit):
    year = kit.fresh_year()
    hb, hn = kit.hb, kit.hn
    first = await kit.issue(hb, submitted_at=datetime(year, 3, 1, 2, 0, tzinfo=UTC))
    second = await kit.issue(hb, submitted_at=datetime(year, 7, 1, 2, 0, tzinfo=UTC))
    # 16:30 UTC on 31 December is already the next year in Beijing
    third = await kit.issue(hb, submitted_at=datetime(year - 1, 12, 31, 16, 30, tzinfo=UTC))
    other_tenant = await kit.issue(hn, submitted_at=datetime(year, 5, 1, tzinfo=UTC))
    next_year = await kit.issue(hb, submitted_at=datetime(year + 1, 1, 2, tzinfo=UTC))
    assert first["number"] == f"鄂安监告〔{year}〕0001号"
    assert second["number"] == f"鄂安监告〔{year}〕0002号"
    assert third["number"] == f"鄂安监告〔{year}〕0003号"
    assert other_tenant["number"] == f"琼安监告〔{year}〕0001号"
    assert next_year["number"] == f"鄂安监告〔{year + 1}〕0001号"


async def test_redelivered_plan_event_creates_one_notice_and_burns_no_number(kit):
    year = kit.fresh_year()
    at = datetime(year, 4, 1, tzinfo=UTC)
    project = kit.project(kit.hb)
    event = kit.plan_event(kit.hb, projects=[project], submitted_at=at)
    await kit.publish(event)
    await kit.publish(event)                               # same event id: the broker redelivers
    [notice] = await kit.wait_notices(kit.hb, project.project_id)
    # the same plan published again under a new event id (e.g. a replayed outbox row)
    again = dict(event, id="replayed-" + event["id"])
    await kit.publish(again)
    await kit.handled(again)
    later = await kit.issue(kit.hb, submitted_at=at)
    assert notice["number"] == f"鄂安监告〔{year}〕0001号"
    assert later["number"] == f"鄂安监告〔{year}〕0002号"
    assert await kit.counter("hubei", year) == 2
    assert len(await kit.list(kit.hb.token("zhang"), project_id=project.project_id)) == 1
    assert len(await kit.outbox("hubei", "notices.notice.issued.v1", notice["id"])) == 1


# ---------------------------------------------------------------- reading

async def test_notice_is_visible_to_addressee_and_station_only(kit):
    hb = kit.hb
    notice = await kit.issue(hb)
    nid = notice["id"]
    for who in ("liu", "zhang", "li", "wang"):
        assert (await kit.get(hb.token(who), nid))["id"] == nid
        assert nid in [n["id"] for n in await kit.list(hb.token(who), project_id=notice["project_id"])]
    admin = await kit.platform.admin_token("hubei")
    for token in (hb.token("chen"), hb.token("zhao"), admin, kit.hn.token("liu")):
        async with kit.platform.api(token) as c:
            expect(await c.get(f"{API}/{nid}"), 404)
        assert await kit.list(token, project_id=notice["project_id"]) == []
    async with kit.platform.api(hb.token("zhang")) as c:
        r = await c.get(f"{API}/{'0' * 32}")
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
        assert (await c.get(API, params={"status": "nonsense"})).json()["field"] == "status"
        expect(await c.get(API), 200)
    async with kit.platform.api() as c:
        assert (await c.get(API)).status_code == 401


async def test_list_filters_by_status_and_pages(kit):
    hb = kit.hb
    a = await kit.issue(hb)
    b = await kit.issue(hb)
    reply = expect(await post_reply(kit, hb.token("liu"), b["id"]), 201)
    assert reply["status"] == "awaiting_review"
    token = hb.token("liu")
    waiting = [n["id"] for n in await kit.list(token, status="awaiting_reply", limit=100)]
    reviewing = [n["id"] for n in await kit.list(token, status="awaiting_review", limit=100)]
    assert a["id"] in waiting and b["id"] not in waiting and b["id"] in reviewing
    async with kit.platform.api(token) as c:
        page1 = expect(await c.get(API, params={"limit": 1}), 200)
        assert len(page1["items"]) == 1 and page1["next_cursor"]
        page2 = expect(await c.get(API, params={"limit": 1, "cursor": page1["next_cursor"]}), 200)
        assert page2["items"][0]["id"] != page1["items"][0]["id"]


# ---------------------------------------------------------------- HB-08: replies

async def test_project_manager_replies_with_photos_and_notice_awaits_review(kit):
    hb = kit.hb
    notice = await kit.issue(hb)
    r = await post_reply(kit, hb.token("liu"), notice["id"], files=reply_files(kit, 2, "JPEG"))
    body = expect(r, 201)
    assert body["status"] == "awaiting_review" and body["status_label"] == "待审核"
    [reply] = body["replies"]
    assert reply["round"] == 1 and reply["review_status"] == "pending" and reply["review"] is None
    assert reply["replied_by"]["user_id"] == hb.people["liu"].user_id
    assert len(reply["photos"]) == 2 and reply["photos"][0]["content_type"] == "image/jpeg"
    async with kit.platform.api() as c:  # media come from the gateway origin (/media/…)
        got = await c.get(reply["photos"][0]["url"])
    assert got.status_code == 200 and got.content == kit.image_bytes("JPEG", "green")
    [event] = await kit.outbox("hubei", "notices.reply.submitted.v1", notice["id"])
    assert event["data"]["round"] == 1 and event["data"]["reviewer_user_id"] == hb.people["zhang"].user_id
    assert [MediaRef(**p).content_type for p in event["data"]["photos"]] == ["image/jpeg", "image/jpeg"]


async def test_reply_refused_to_other_company_station_and_other_tenant(kit):
    hb = kit.hb
    notice = await kit.issue(hb)
    # the 403/404 rule: who cannot see the notice gets 404, who sees it but may not reply 403
    for who, status in (("chen", 404), ("zhao", 404), ("zhang", 403), ("wang", 403)):
        r = await post_reply(kit, hb.token(who), notice["id"])  # other contractor, supervision co., supervisor, leader
        assert r.status_code == status, (who, r.text)
    r = await post_reply(kit, kit.hn.token("liu"), notice["id"])
    assert r.status_code == 404
    after = await kit.get(hb.token("zhang"), notice["id"])
    assert after["replies"] == [] and after["status"] == "awaiting_reply"


async def test_reply_while_awaiting_review_is_409_and_review_by_non_reviewer_is_403(kit):
    hb = kit.hb
    notice = await kit.issue(hb)
    first = expect(await post_reply(kit, hb.token("liu"), notice["id"]), 201)
    r = await post_reply(kit, hb.token("liu"), notice["id"], files=reply_files(kit))
    assert r.status_code == 409 and r.json()["type"].endswith("/notice-awaiting-review")
    assert await reply_objects(kit, "hubei", notice["id"]) == []      # the refused photo was not kept
    reply_id = first["replies"][0]["id"]
    for who in ("li", "liu"):                                         # another supervisor, the replier: they see it
        r = await post_review(kit, hb.token(who), notice["id"], reply_id, {"passed": True})
        assert r.status_code == 403 and r.json()["type"].endswith("/not-a-reviewer"), (who, r.text)
    r = await post_review(kit, hb.token("chen"), notice["id"], reply_id, {"passed": True})
    assert r.status_code == 404, r.text                                # another company does not see it
    r = await post_review(kit, kit.hn.token("zhang"), notice["id"], reply_id, {"passed": True})
    assert r.status_code == 404
    r = await post_review(kit, hb.token("zhang"), notice["id"], "f" * 32, {"passed": True})
    assert r.status_code == 404
    after = await kit.get(hb.token("zhang"), notice["id"])
    assert after["status"] == "awaiting_review" and len(after["replies"]) == 1


async def test_deprecated_review_path_and_passed_still_work_for_one_release(kit):
    """HB-08 on the old shape (``…/review`` with ``passed``), kept for one release: a failed
    review asks for a new round, a pass closes the notice and every round is kept."""
    hb = kit.hb
    notice = await kit.issue(hb)
    nid = notice["id"]
    r1 = expect(await post_reply(kit, hb.token("liu"), nid, text="已设置临边防护"), 201)["replies"][0]["id"]

    missing = await post_review(kit, hb.token("zhang"), nid, r1, {"passed": False})
    assert missing.status_code == 422 and missing.json()["field"] == "comment"
    no_verdict = await post_review(kit, hb.token("zhang"), nid, r1, {"comment": "?"})
    assert no_verdict.status_code == 422 and no_verdict.json()["field"] == "decision"
    assert no_verdict.json()["type"].endswith("/decision-required")
    failed = expect(await post_review(kit, hb.token("zhang"), nid, r1,
                                      {"passed": False, "comment": "防护栏杆高度不足 1.2 米"}), 200)
    assert failed["status"] == "awaiting_reply"
    assert failed["replies"][0]["review_status"] == "failed"
    assert failed["replies"][0]["review_status_label"] == "审核不通过"
    again = await post_review(kit, hb.token("zhang"), nid, r1, {"passed": True})
    assert again.status_code == 409 and again.json()["type"].endswith("/reply-already-reviewed")

    r2 = expect(await post_reply(kit, hb.token("liu"), nid, text="栏杆加高至 1.2 米",
                                 files=reply_files(kit)), 201)["replies"][1]
    assert r2["round"] == 2
    closed = expect(await post_review(kit, hb.token("wang"), nid, r2["id"], {"passed": True, "comment": "合格"}),
                    200)                                              # a station leader may review too
    assert closed["status"] == "closed" and closed["status_label"] == "已闭环" and closed["closed_at"]
    assert closed["rounds"] == 2

    seen = await kit.get(hb.token("liu"), nid)
    assert [(r["round"], r["review_status"], r["review"]["comment"]) for r in seen["replies"]] == [
        (1, "failed", "防护栏杆高度不足 1.2 米"), (2, "passed", "合格")]
    assert seen["replies"][1]["review"]["reviewed_by"]["user_id"] == hb.people["wang"].user_id
    r = await post_reply(kit, hb.token("liu"), nid)
    assert r.status_code == 409 and r.json()["type"].endswith("/notice-closed")   # no more replies
    r = await post_review(kit, hb.token("zhang"), nid, r2["id"], {"passed": False, "comment": "x"})
    assert r.status_code == 409 and r.json()["type"].endswith("/reply-already-reviewed")

    reviewed = await kit.outbox("hubei", "notices.reply.reviewed.v1", nid)
    assert sorted((e["data"]["round"], e["data"]["passed"]) for e in reviewed) == [(1, False), (2, True)]
    [closed_event] = await kit.outbox("hubei", "notices.notice.closed.v1", nid)
    assert closed_event["data"]["rounds"] == 2
    assert [n["id"] for n in await kit.list(hb.token("liu"), status="closed", project_id=notice["project_id"])] == [nid]


async def test_hb08_one_review_shape_decision_on_reviews_status_accepted_rejected_and_deadline(kit):
    """HB-08 on the platform's one shape: ``POST …/reviews`` with ``{decision, comment}`` (201);
    the reply's ``status`` is accepted | rejected (``review_status``/``passed`` kept, deprecated);
    the notice carries ``deadline`` beside the deprecated ``rectification_date``."""
    hb = kit.hb
    notice = await kit.issue(hb)
    nid = notice["id"]
    assert notice["deadline"] == notice["rectification_date"] == "2026-03-09"
    r1 = expect(await post_reply(kit, hb.token("liu"), nid), 201)["replies"][0]
    assert r1["status"] == "pending" and r1["status_label"] == "待审核"
    no_comment = await post_review(kit, hb.token("zhang"), nid, r1["id"], {"decision": "reject"}, path="reviews")
    assert no_comment.status_code == 422 and no_comment.json()["type"].endswith("/comment-required")
    mixed = await post_review(kit, hb.token("zhang"), nid, r1["id"], {"decision": "approve", "passed": False},
                              path="reviews")
    assert mixed.status_code == 422 and mixed.json()["type"].endswith("/decision-mismatch")
    rejected = expect(await post_review(kit, hb.token("zhang"), nid, r1["id"],
                                        {"decision": "reject", "comment": "再整改"}, path="reviews"), 201)
    first = rejected["replies"][0]
    assert (first["status"], first["review_status"]) == ("rejected", "failed")
    assert first["review"]["decision"] == "reject" and first["review"]["accepted"] is False
    assert first["review"]["passed"] is False
    r2 = expect(await post_reply(kit, hb.token("liu"), nid), 201)["replies"][1]
    closed = expect(await post_review(kit, hb.token("zhang"), nid, r2["id"], {"decision": "approve"},
                                      path="reviews"), 201)
    assert closed["status"] == "closed" and closed["replies"][1]["status"] == "accepted"
    twice = await post_review(kit, hb.token("wang"), nid, r2["id"], {"decision": "reject", "comment": "x"},
                              path="reviews")
    assert twice.status_code == 409 and twice.json()["type"].endswith("/reply-already-reviewed")
    spec = kit.platform.app("notices").openapi()
    assert spec["paths"]["/api/notices/v1/notices/{notice_id}/replies/{reply_id}/review"]["post"]["deprecated"]
    schemas = spec["components"]["schemas"]
    assert schemas["ReviewCreate"]["properties"]["passed"]["deprecated"] is True
    assert schemas["NoticeSummary"]["properties"]["rectification_date"]["deprecated"] is True


# ---------------------------------------------------------------- malformed replies

async def test_reply_without_text_is_422_naming_text(kit):
    notice = await kit.issue(kit.hb)
    for text in (None, "", "   "):
        r = await post_reply(kit, kit.hb.token("liu"), notice["id"], text=text, files=reply_files(kit))
        assert r.status_code == 422, r.text
        assert r.json()["field"] == "text"
    assert (await kit.get(kit.hb.token("liu"), notice["id"]))["replies"] == []
    assert await reply_objects(kit, "hubei", notice["id"]) == []


async def test_reply_photo_not_an_image_is_415_and_nothing_is_kept(kit):
    notice = await kit.issue(kit.hb)
    files = reply_files(kit) + [("photos", ("notes.png", b"this is not an image at all", "image/png"))]
    r = await post_reply(kit, kit.hb.token("liu"), notice["id"], files=files)
    assert r.status_code == 415 and r.json()["field"] == "photos"
    after = await kit.get(kit.hb.token("liu"), notice["id"])
    assert after["replies"] == [] and after["status"] == "awaiting_reply"
    assert await reply_objects(kit, "hubei", notice["id"]) == []      # the valid first photo was removed again


async def test_reply_photo_too_large_is_413(kit):
    notice = await kit.issue(kit.hb)
    limit = kit.platform.app("notices").state.settings.photo_limit_bytes
    big = kit.image_bytes() + b"\0" * limit
    r = await post_reply(kit, kit.hb.token("liu"), notice["id"], files=[("photos", ("big.png", big, "image/png"))])
    assert r.status_code == 413 and r.json()["field"] == "photos"
    assert (await kit.get(kit.hb.token("liu"), notice["id"]))["replies"] == []


async def test_reply_with_ten_photos_is_422(kit):
    notice = await kit.issue(kit.hb)
    r = await post_reply(kit, kit.hb.token("liu"), notice["id"], files=reply_files(kit, 10))
    assert r.status_code == 422 and r.json()["field"] == "photos"
    assert await reply_objects(kit, "hubei", notice["id"]) == []
