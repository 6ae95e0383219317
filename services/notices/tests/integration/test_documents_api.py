"""Enforcement documents (处理文书, HN-07), their review (上报给我的), replies (HN-09) and the
views (HN-08/09) over HTTP on the real platform: real records from inspections, real
events, real media in S3."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

from documents_testkit import API, DocKit, pdf, photo, today

from anjian_local.scenario import expect
from anjian_local.testing.fixtures import eventually
from anjian_shared.events import make_event
from anjian_shared.events.common import PersonRef
from anjian_shared.events.inspections_v1 import RecordSubmitted
from anjian_shared.types import new_id, utcnow


def year() -> int:
    return today().year


async def stored_objects(kit: DocKit, document_id: str) -> list[str]:
    storage = kit.platform.app("notices").state.storage

    def _list() -> list[str]:
        return sorted(o.object_name for o in storage.client.list_objects(
            storage.bucket, prefix=f"hainan/documents/{document_id}/", recursive=True))

    return await asyncio.to_thread(_list)


# --- submission ---------------------------------------------------------------------------------

async def test_document_without_reviewers_is_issued_numbered_and_announced(docs: DocKit):
    w = docs.hn
    record_id = await docs.record(w)
    r = await docs.submit(w, docs.body(w, record_id, addressed_org_ids=[w.contractor_id, w.supervision_id],
                                       replier_user_ids=docs.ids(w, "liu", "zhao"),
                                       issue_recipient_ids=docs.ids(w, "li")))
    doc = expect(r, 201)
    assert r.headers["Location"] == f"/api/notices/v1/documents/{doc['id']}"
    assert re.fullmatch(rf"琼安监整〔{year()}〕\d{{4}}号", doc["number"]), doc["number"]
    assert doc["status"] == "issued" and doc["status_label"] == "已下达" and doc["issued_at"]
    assert doc["document_type_label"] == "整改通知"
    assert doc["record"]["record_id"] == record_id and doc["record"]["part_checked"] == "3#楼12层 临边"
    assert doc["record"]["terms"][0]["code"] == "JGJ59-A.0.2-06"
    assert [p["name"] for p in doc["repliers"]] == ["刘洋", "赵敏"]
    assert doc["submitted_by"]["name"] == "张伟" and not doc["escalated"] and not doc["overdue"]
    [submitted] = await docs.outbox("hainan", "notices.document.submitted.v1", doc["id"])
    [issued] = await docs.outbox("hainan", "notices.document.issued.v1", doc["id"])
    assert submitted["data"]["status"] == "issued" and submitted["data"]["record_id"] == record_id
    assert issued["data"]["replier_user_ids"] == docs.ids(w, "liu", "zhao")
    for who in ("zhang", "liu", "zhao", "li", "wang"):        # issuer, repliers, issue recipient, station leader
        assert (await docs.read(w, who, doc["id"]))["id"] == doc["id"]
    assert (await docs.get(w, "chen", doc["id"])).status_code == 404    # another company
    assert (await docs.get(docs.other, "wang", doc["id"])).status_code == 404  # another station's leader
    assert (await docs.get(docs.hb, "zhang", doc["id"])).status_code == 404    # another tenant


async def post_until_known(docs: DocKit, w: Any, body: dict[str, Any], who: str = "zhang") -> Any:
    """POST the body; while notices has not received what it rests on, the answer is a
    retryable 409 (``not-yet-available`` + Retry-After), never a 422 (HN-07). Returns the
    first other answer."""
    async def attempt() -> Any:
        r = await docs.submit(w, body, who)
        if r.status_code == 409 and r.json()["type"].endswith("/not-yet-available"):
            assert r.headers.get("Retry-After"), r.headers
            return None
        return r

    return await eventually(attempt, timeout=30, interval=0.05)


async def test_the_record_draft_of_inspections_posts_as_returned_at_once(docs: DocKit):
    """HN-04 同时下发整改通知 / HN-07: the record's notice_draft (document_type 整改通知, display
    fields project_name/repliers included) is the body as returned, plus the deadline. Posted
    at once — before notices received the record — it answers a retryable 409
    ``not-yet-available`` with Retry-After, never 422; then 201."""
    w = docs.hn
    async with docs.platform.api(w.token("zhang")) as c:
        record = expect(await c.post("/api/inspections/v1/records", data={
            "project_id": w.project_id, "check_type": "safety", "part_checked": "2#楼",
            "term_codes": ["JGJ59-A.0.2-06"],
            "also_issue_notice": "true"}), 201)
    draft = dict(record["notice_draft"])
    assert {"project_name", "repliers"} <= set(draft)
    first = await docs.submit(w, {**draft, "deadline": today().isoformat()})
    assert first.status_code in (201, 409), first.text
    if first.status_code == 409:
        assert first.json()["type"].endswith("/not-yet-available") and first.headers["Retry-After"]
    r = await post_until_known(docs, w, {**draft, "deadline": today().isoformat()})
    doc = expect(r, 201)
    assert doc["document_type"] == "rectification" and doc["record_id"] == record["id"]
    assert doc["addressed_org_ids"] == [w.contractor_id] and doc["details"].startswith("抽查类型：安全")
    assert doc["repliers"][0]["user_id"] == w.people["liu"].user_id


async def test_hn04_hn07_a_document_never_rests_on_a_record_under_review(docs: DocKit):
    """HN-04/HN-07: a supervisor submits a record for 王强's review (and "also issue a notice"),
    then at once a 整改通知 resting on it: refused 409 ``record-not-released`` + Retry-After
    while the record is pending — never issued; after 王强 rejects the record, 422
    ``record-rejected``. No document rests on the record, so no search shows one 已下达
    beside its record 审核未通过."""
    w = docs.hn
    async with docs.platform.api(w.token("zhang")) as c:
        record = expect(await c.post("/api/inspections/v1/records", data={
            "project_id": w.project_id, "check_type": "safety", "part_checked": "5#楼",
            "term_codes": ["JGJ59-A.0.2-06"], "report_recipient_ids": [w.people["wang"].user_id],
            "also_issue_notice": "true"}), 201)
    assert record["status"] == "pending_review"
    body = {**record["notice_draft"], "deadline": today().isoformat()}
    r = await post_until_known(docs, w, body)
    assert r.status_code == 409 and r.json()["type"].endswith("/record-not-released"), r.text
    assert r.json()["field"] == "record_id" and int(r.headers["Retry-After"]) > 0
    async with docs.platform.api(w.token("wang")) as c:
        expect(await c.post(f"/api/inspections/v1/records/{record['id']}/reviews",
                            json={"decision": "reject", "comment": "违法行为引用有误"}), 201)
    await docs.record_known(w, record["id"], status="rejected")
    r = await docs.submit(w, body)
    assert r.status_code == 422 and r.json()["type"].endswith("/record-rejected"), r.text
    assert await docs.count("documents", {"tenant_id": "hainan", "record_id": record["id"]}) == 0
    assert not [e for e in await docs.db["outbox"].find({"tenant_id": "hainan", "event.data.record_id":
                                                          record["id"]}).to_list()
                if e["type"].startswith("notices.document")]


async def test_hn07_a_document_cannot_cite_a_record_its_issuer_may_not_read(docs: DocKit):
    """HN-07: 李娜's record (no recipients): 张伟 of the same station, neither sender nor
    recipient, gets 404 on ``GET /records/{id}`` and the same 404 citing it; nothing of the
    record's content reaches him. The station leader 王强 may read it and cite it."""
    w = docs.hn
    record_id = await docs.record(w, "li")
    async with docs.platform.api(w.token("zhang")) as c:
        assert (await c.get(f"/api/inspections/v1/records/{record_id}")).status_code == 404
    r = await docs.submit(w, docs.body(w, record_id))
    assert r.status_code == 404, r.text
    assert "临边" not in r.text and await docs.count("documents", {"record_id": record_id}) == 0
    doc = expect(await docs.submit(w, docs.body(w, record_id), "wang"), 201)
    assert doc["record"]["record_id"] == record_id


async def test_numbers_run_per_type_and_year(docs: DocKit):
    w = docs.hn
    record_id = await docs.record(w)
    numbers = [(await docs.document(w, record_id, document_type=t))["number"]
               for t in ("rectification", "stop_work", "rectification", "局部停工通知", "stop_work")]
    seqs = [int(re.search(r"〕(\d+)号", n).group(1)) for n in numbers]  # type: ignore[union-attr]
    assert [n.split("〔")[0] for n in numbers] == ["琼安监整", "琼安监停", "琼安监整", "琼安监局停", "琼安监停"]
    assert all(f"〔{year()}〕" in n for n in numbers)
    assert seqs[2] == seqs[0] + 1 and seqs[4] == seqs[1] + 1          # one counter per type
    counters = docs.db["counters"]
    for t, seq in (("rectification", seqs[2]), ("stop_work", seqs[4]), ("partial_stop_work", seqs[3])):
        stored = await counters.find_one({"_id": f"hainan:document:{t}:{year()}", "tenant_id": "hainan"})
        assert stored["seq"] == seq


async def test_retried_post_with_idempotency_key_gives_one_document(docs: DocKit):
    w = docs.hn
    body = docs.body(w, await docs.record(w), details=f"幂等 {new_id()}")
    key = {"Idempotency-Key": new_id()}
    first = expect(await docs.submit(w, body, headers=key), 201)
    again = await docs.submit(w, body, headers=key)
    assert again.status_code == 201 and again.json()["id"] == first["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert await docs.count("documents", {"tenant_id": "hainan", "details": body["details"]}) == 1
    assert len(await docs.outbox("hainan", "notices.document.submitted.v1", first["id"])) == 1


async def test_refused_submissions_leave_nothing(docs: DocKit):
    w, other = docs.hn, docs.other
    record_id = await docs.record(w)
    other_record = await docs.record(other)
    async with docs.platform.api(w.token("wang")) as c:
        rejected = expect(await c.post("/api/inspections/v1/records", data={
            "project_id": w.project_id, "check_type": "safety", "part_checked": "1#楼",
            "term_codes": ["JGJ59-A.0.2-06"],
            "report_recipient_ids": [w.people["zhang"].user_id]}), 201)["id"]
    async with docs.platform.api(w.token("zhang")) as c:
        expect(await c.post(f"/api/inspections/v1/records/{rejected}/reviews",
                            json={"decision": "reject", "comment": "重写"}), 201)
    await docs.record_known(w, rejected, status="rejected")
    before = await docs.count("documents", {"tenant_id": "hainan"})
    outbox_before = await docs.count("outbox", {"tenant_id": "hainan", "type": {"$regex": "^notices.document"}})
    past = (today() - timedelta(days=1)).isoformat()
    cases: list[tuple[str, dict[str, Any], str, int, str | None]] = [
        ("liu", docs.body(w, record_id), "contractor's project manager", 403, None),
        ("chen", docs.body(w, record_id), "another company", 403, None),
        ("zhang", docs.body(w, record_id, project_id=other.project_id), "another station's project", 422, "project_id"),
        ("zhang", docs.body(w, other_record), "another station's record (may not read it)", 404, None),
        ("zhang", docs.body(w, new_id()), "a record notices has not received (yet)", 409, "record_id"),
        ("zhang", docs.body(w, rejected), "a rejected record", 422, "record_id"),
        ("zhang", {k: v for k, v in docs.body(w, record_id).items() if k != "record_id"}, "no record, no document",
         422, "record_id"),
        ("zhang", docs.body(w, record_id, deadline=past), "a deadline in the past", 422, "deadline"),
        ("zhang", docs.body(w, record_id, addressed_org_ids=[]), "no addressed unit", 422, "addressed_org_ids"),
        ("zhang", docs.body(w, record_id, addressed_org_ids=[w.other_contractor_id]), "a company not of the project",
         422, "addressed_org_ids"),
        ("zhang", docs.body(w, record_id, replier_user_ids=[]), "no replier", 422, "replier_user_ids"),
        ("zhang", docs.body(w, record_id, replier_user_ids=docs.ids(w, "chen")), "a replier not of the project",
         422, "replier_user_ids"),
        ("zhang", docs.body(w, record_id, report_recipient_ids=docs.ids(w, "liu")), "a contractor as reviewer",
         422, "report_recipient_ids"),
        ("zhang", docs.body(w, record_id, report_recipient_ids=docs.ids(other, "wang")),
         "another station's leader as reviewer", 422, "report_recipient_ids"),
        ("zhang", docs.body(w, record_id, issue_recipient_ids=docs.ids(w, "chen")), "a stranger as issue recipient",
         422, "issue_recipient_ids"),
        ("zhang", docs.body(w, record_id, document_type="警告通知"), "an unknown type", 422, "document_type"),
    ]
    for who, body, why, code, field in cases:
        r = await docs.submit(w, body, who)
        assert r.status_code == code, (why, r.text)
        if field:
            assert r.json()["field"] == field, (why, r.json())
    r = await docs.submit(docs.hb, docs.body(w, record_id))                 # Hubei supervisor, Hainan project
    assert r.status_code == 409 and r.json()["field"] == "project_id"      # unknown here: maybe not yet arrived
    assert await docs.count("documents", {"tenant_id": "hainan"}) == before
    assert await docs.count("outbox", {"tenant_id": "hainan", "type": {"$regex": "^notices.document"}}) == outbox_before


async def test_backdated_document_accepts_a_past_deadline(docs: DocKit):
    w = docs.hn
    past = (today() - timedelta(days=30)).isoformat()
    doc = await docs.document(w, deadline=past, backdated=True)
    assert doc["backdated"] and doc["deadline"] == past and doc["overdue"]


async def test_a_submitted_document_never_changes(docs: DocKit):
    w = docs.hn
    doc = await docs.document(w)
    async with docs.platform.api(w.token("zhang")) as c:
        for method in ("PUT", "PATCH", "DELETE"):
            r = await c.request(method, f"{API}/documents/{doc['id']}", json={"details": "改"})
            assert r.status_code == 409 and r.json()["type"].endswith("/document-immutable"), r.text
    async with docs.platform.api(w.token("chen")) as c:
        assert (await c.delete(f"{API}/documents/{doc['id']}")).status_code == 404
    assert (await docs.read(w, "zhang", doc["id"]))["details"] == doc["details"]


async def test_feature_switch_refuses_a_tenant_without_documents(docs: DocKit):
    settings = docs.settings
    settings.enforcement_documents_enabled["hainan"] = False
    try:
        r = await docs.submit(docs.hn, docs.body(docs.hn, new_id()))
        assert r.status_code == 403 and r.json()["type"].endswith("/feature-disabled")
        async with docs.platform.api(docs.hn.token("zhang")) as c:
            assert (await c.get(f"{API}/documents/views/reported")).status_code == 403
    finally:
        settings.enforcement_documents_enabled.pop("hainan")


# --- review before issue (HN-08 上报给我的) ----------------------------------------------------------

async def test_all_report_recipients_must_approve_before_issue(docs: DocKit):
    w = docs.hn
    doc = await docs.document(w, report_recipient_ids=docs.ids(w, "wang", "li"),
                              replier_user_ids=docs.ids(w, "liu"))
    did = doc["id"]
    assert doc["status"] == "pending_review"
    assert not await docs.outbox("hainan", "notices.document.issued.v1", did)
    assert (await docs.get(w, "liu", did)).status_code == 404          # not issued yet: the replier can't see it
    assert did not in await docs.view(w, "liu", "/documents/views/to-reply")
    assert (await docs.reply(w, "liu", did)).status_code == 409        # a named replier learns it is not open
    assert did in await docs.view(w, "wang", "/documents/views/to-review", box="to_review")
    r = await docs.review(w, "zhang", did, "approve")                  # the issuer is no reviewer
    assert r.status_code == 403 and r.json()["type"].endswith("/not-a-reviewer")
    assert (await docs.review(w, "chen", did, "approve")).status_code == 404
    r = await docs.review(w, "wang", did, "reject")
    assert r.json()["field"] == "comment" and r.json()["type"].endswith("/comment-required")
    after = expect(await docs.review(w, "wang", did, "approve"), 201)
    assert after["status"] == "pending_review"
    r = await docs.review(w, "wang", did, "approve")
    assert r.status_code == 409 and r.json()["type"].endswith("/document-already-reviewed")
    assert did in await docs.view(w, "wang", "/documents/views/to-review", box="reviewed")
    assert did not in await docs.view(w, "wang", "/documents/views/to-review", box="to_review")
    issued = expect(await docs.review(w, "li", did, "approve", "同意下达"), 201)
    assert issued["status"] == "issued" and [r["decision"] for r in issued["reviews"]] == ["approve", "approve"]
    [event] = await docs.outbox("hainan", "notices.document.issued.v1", did)
    assert event["data"]["replier_user_ids"] == docs.ids(w, "liu")
    assert [e["data"]["status"] for e in sorted(await docs.outbox("hainan", "notices.document.reviewed.v1", did),
                                                 key=lambda e: e["time"])] == ["pending_review", "issued"]
    assert did in await docs.view(w, "liu", "/documents/views/to-reply")


async def test_first_rejection_returns_the_document_to_its_issuer(docs: DocKit):
    w = docs.hn
    doc = await docs.document(w, report_recipient_ids=docs.ids(w, "wang", "li"))
    rejected = expect(await docs.review(w, "li", doc["id"], "reject", "截止日期过短"), 201)
    assert rejected["status"] == "rejected" and rejected["reviews"][0]["comment"] == "截止日期过短"
    late = await docs.review(w, "wang", doc["id"], "approve")
    assert late.status_code == 409 and late.json()["type"].endswith("/document-not-pending-review")
    assert doc["id"] in await docs.view(w, "zhang", "/documents/views/reported", status="rejected")
    assert not await docs.outbox("hainan", "notices.document.issued.v1", doc["id"])


# --- replies (HN-09) ---------------------------------------------------------------------------------

async def test_replies_reviews_and_closing_when_every_replier_is_accepted(docs: DocKit):
    w = docs.hn
    doc = await docs.document(w, replier_user_ids=docs.ids(w, "liu", "zhao"), issue_recipient_ids=docs.ids(w, "li"))
    did = doc["id"]
    assert (await docs.reply(w, "chen", did)).status_code == 404       # can't see it
    assert (await docs.reply(w, "li", did)).status_code == 403         # issue recipient, not a replier
    assert (await docs.reply(w, "zhang", did)).status_code == 403      # the issuer
    r = await docs.reply(w, "liu", did, files=[photo(1), photo(2), pdf()])
    first = expect(r, 201)
    assert first["round"] == 1 and first["status"] == "pending" and len(first["photos"]) == 2
    assert first["attachments"][0]["content_type"] == "application/pdf"
    assert first["attachments"][0]["filename"] == "整改报告.pdf"
    assert (await docs.reply(w, "liu", did)).json()["type"].endswith("/reply-pending")
    assert did not in await docs.view(w, "liu", "/documents/views/to-reply")
    assert did in await docs.view(w, "zhao", "/documents/views/to-reply")
    [replied] = await docs.outbox("hainan", "notices.document.replied.v1", did)
    assert replied["data"]["reviewer_user_id"] == w.people["zhang"].user_id

    r = await docs.review_reply(w, "wang", did, first["id"], "approve")   # a leader, not the issuer
    assert r.status_code == 403 and r.json()["type"].endswith("/not-a-reviewer")
    assert (await docs.review_reply(w, "chen", did, first["id"], True)).status_code == 404
    assert (await docs.review_reply(w, "zhang", did, new_id(), True)).status_code == 404
    r = await docs.review_reply(w, "zhang", did, first["id"], "reject")
    assert r.json()["field"] == "comment" and r.json()["type"].endswith("/comment-required")
    r = await docs.review_reply(w, "zhang", did, first["id"], None)       # neither decision nor accepted
    assert r.json()["field"] == "decision" and r.json()["type"].endswith("/decision-required")
    rejected = expect(await docs.review_reply(w, "zhang", did, first["id"], "reject", "照片看不清临边防护"), 201)
    assert rejected["status"] == "rejected" and rejected["review"]["comment"] == "照片看不清临边防护"
    assert rejected["review"]["decision"] == "reject" and rejected["review"]["accepted"] is False
    r = await docs.review_reply(w, "zhang", did, first["id"], "approve")
    assert r.status_code == 409 and r.json()["type"].endswith("/reply-already-reviewed")
    assert did in await docs.view(w, "liu", "/documents/views/to-reply")     # rejected: reply again

    second = expect(await docs.reply(w, "liu", did, text="已重新封闭临边"), 201)
    assert second["round"] == 2
    accepted = expect(await docs.review_reply(w, "zhang", did, second["id"], True), 201)  # deprecated accepted
    assert accepted["review"]["decision"] == "approve" and accepted["status"] == "accepted"
    assert (await docs.read(w, "zhang", did))["status"] == "issued"         # 赵敏 has not replied yet
    assert (await docs.reply(w, "liu", did)).json()["type"].endswith("/reply-accepted")
    assert not await docs.outbox("hainan", "notices.document.closed.v1", did)

    third = expect(await docs.reply(w, "zhao", did, files=[]), 201)
    assert set(await docs.view(w, "zhang", "/documents/replies/views/reviewed", box="to_review")) >= {third["id"]}
    expect(await docs.review_reply(w, "zhang", did, third["id"], "approve"), 201)
    closed = await docs.read(w, "zhang", did)
    assert closed["status"] == "closed" and closed["status_label"] == "已办结" and closed["closed_at"]
    assert [(r["round"], r["status"]) for r in closed["replies"]] == [(1, "rejected"), (2, "accepted"), (1, "accepted")]
    assert closed["replies"][0]["photos"][0]["url"].startswith("http")
    assert len(await docs.outbox("hainan", "notices.document.closed.v1", did)) == 1
    reviewed = await docs.outbox("hainan", "notices.document.reply_reviewed.v1", did)
    assert sorted(e["data"]["accepted"] for e in reviewed) == [False, True, True]
    assert (await docs.reply(w, "zhao", did)).json()["type"].endswith("/document-not-open")

    assert set(await docs.view(w, "liu", "/documents/replies/views/mine")) >= {first["id"], second["id"]}
    assert second["id"] in await docs.view(w, "zhang", "/documents/replies/views/reviewed", box="reviewed")
    assert did in await docs.view(w, "li", "/documents/views/issued-to-me", status="closed")
    assert did in await docs.view(w, "zhang", "/documents/views/reported", status="closed")


async def test_reply_media_are_checked_and_a_refused_reply_stores_nothing(docs: DocKit):
    w = docs.hn
    doc = await docs.document(w)
    did = doc["id"]
    exe = ("attachments", ("report.pdf", b"MZ\x90\x00\x03 not a pdf at all", "application/pdf"))
    r = await docs.reply(w, "liu", did, files=[photo(1), exe])
    assert r.status_code == 415 and r.json()["field"] == "attachments"
    fake = ("photos", ("p.jpg", b"not an image", "image/jpeg"))
    r = await docs.reply(w, "liu", did, files=[pdf(), fake])
    assert r.status_code == 415 and r.json()["field"] == "photos"
    limit = docs.settings.document_photo_limit("hainan")
    r = await docs.reply(w, "liu", did, files=[("photos", ("big.jpg", b"\xff\xd8\xff" + b"\0" * limit, "image/jpeg"))])
    assert r.status_code == 413 and r.json()["field"] == "photos"
    r = await docs.reply(w, "liu", did, text=None)
    assert r.status_code == 422 and r.json()["field"] == "text"
    r = await docs.reply(w, "liu", did, files=[photo(i) for i in range(10)])
    assert r.status_code == 422 and r.json()["field"] == "photos"
    assert await stored_objects(docs, did) == []
    assert (await docs.read(w, "liu", did))["replies"] == []
    assert not await docs.outbox("hainan", "notices.document.replied.v1", did)
    ok = expect(await docs.reply(w, "liu", did, files=[("attachments", ("scan.png", photo(3)[1][1], "image/png"))]),
                201)
    assert ok["attachments"][0]["content_type"] == "image/jpeg"              # by content, not by name or header
    assert len(await stored_objects(docs, did)) == 1


async def test_views_filters_pagination_and_counts(docs: DocKit):
    w = docs.hn
    record_id = await docs.record(w, "li")
    made = [await docs.document(w, record_id, who="li", document_type=t, replier_user_ids=docs.ids(w, "zhao"))
            for t in ("equipment_restriction", "equipment_restriction", "resume_work")]
    ids = await docs.view(w, "li", "/documents/views/reported", document_type="equipment_restriction")
    assert set(ids) >= {made[0]["id"], made[1]["id"]} and made[2]["id"] not in ids
    async with docs.platform.api(w.token("li")) as c:
        page = expect(await c.get(f"{API}/documents/views/reported", params={"limit": 1}), 200)
        assert len(page["items"]) == 1 and page["next_cursor"]
        page2 = expect(await c.get(f"{API}/documents/views/reported",
                                   params={"limit": 1, "cursor": page["next_cursor"]}), 200)
        assert page2["items"][0]["id"] != page["items"][0]["id"]
        tomorrow = (today() + timedelta(days=1)).isoformat()
        assert expect(await c.get(f"{API}/documents/views/reported", params={"date_from": tomorrow}), 200)[
            "items"] == []
        bad = await c.get(f"{API}/documents/views/reported", params={"date_from": tomorrow,
                                                                    "date_to": today().isoformat()})
        assert bad.status_code == 422 and bad.json()["field"] == "date_to"
    counts = await docs.counts(w, "zhao", document_type="equipment_restriction")
    assert counts["to_reply"] >= 2 and counts["issued_to_me"] >= 2
    zero = await docs.counts(w, "chen")
    assert zero["to_reply"] == 0 and zero["reported"]["issued"] == 0 and zero["replies_reviewed"]["to_review"] == 0


# --- read models ---------------------------------------------------------------------------------

async def test_redelivered_record_event_has_one_effect(docs: DocKit):
    w = docs.hn
    rid = new_id()

    def event(part: str, record_id: str = rid) -> dict[str, Any]:
        payload = RecordSubmitted(
            record_id=record_id, project_id=w.project_id, project_name="项目", station_org_id=w.station_id,
            check_type="safety", part_checked=part, submitted_by=PersonRef(user_id=w.people["zhang"].user_id,
                                                                            name="张伟"),
            status="internal", submitted_at=utcnow())
        return make_event(type="inspections.record.submitted.v1", tenant="hainan", service="inspections",
                          subject=record_id, data=payload).model_dump(mode="json")

    async def part_of(record_id: str) -> str | None:
        doc = await docs.db["records"].find_one({"_id": record_id, "tenant_id": "hainan"})
        return doc["part_checked"] if doc else None

    first = event("第一版")
    await docs.platform.publish(first)
    await eventually(lambda: _is(part_of(rid), "第一版"))
    await docs.platform.publish(event("第二版"))
    await eventually(lambda: _is(part_of(rid), "第二版"))
    await docs.platform.publish(first)                       # the broker delivers the first one again
    marker = new_id()
    await docs.platform.publish(event("标记", marker))
    await eventually(lambda: _is(part_of(marker), "标记"))
    assert await part_of(rid) == "第二版"
    assert await docs.count("inbox", {"_id": f"notices.document-records:{first['id']}"}) == 1
    assert await docs.count("records", {"_id": rid, "tenant_id": "hainan"}) == 1


async def _is(awaitable, expected) -> bool:  # type: ignore[no-untyped-def]
    return (await awaitable) == expected
