"""The review routing block (``anjian_shared.review``): every rule, named by the requirements it
serves — HN-05/HN-06 (supervision records), HN-08 (enforcement documents), HN-09 (replies to
them) and HB-08 (Hubei's rectification replies)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from anjian_shared.errors import Conflict, Forbidden, Unprocessable
from anjian_shared.review import (
    MAX_COMMENT_CHARS,
    Box,
    Boxes,
    Decision,
    Outcome,
    Review,
    ReviewState,
    Rule,
    and_filters,
    decide,
    decision_of,
    push_review,
    review_comment,
)

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
LEADER, DEPUTY, SENDER = "u-leader", "u-deputy", "u-sender"


def two() -> ReviewState:
    return ReviewState.of([LEADER, DEPUTY])


# --- HN-05/HN-06/HN-08: all must approve, the first rejection ends the round -----------------------

def test_hn05_hn08_one_approval_of_two_keeps_the_round_pending():
    step = decide(two(), LEADER, Decision.APPROVE, None, NOW, reviewer_name="王站长")
    assert step.outcome is Outcome.PENDING and not step.decided
    assert step.state.awaiting == (DEPUTY,) and step.state.decided_by == (LEADER,)
    assert step.review == Review(LEADER, Decision.APPROVE, NOW, "", "王站长")


def test_hn05_hn08_the_last_approval_approves():
    first = decide(two(), LEADER, "approve", None, NOW)
    last = decide(first.state, DEPUTY, "approve", "同意", NOW + timedelta(minutes=5))
    assert last.outcome is Outcome.APPROVED and last.decided and last.state.awaiting == ()
    assert [r.reviewer_id for r in last.state.reviews] == [LEADER, DEPUTY]


def test_hn05_hn08_the_first_rejection_ends_the_round_even_after_an_approval():
    assert decide(two(), LEADER, Decision.REJECT, "补充照片", NOW).outcome is Outcome.REJECTED
    first = decide(two(), LEADER, Decision.APPROVE, None, NOW)
    rejected = decide(first.state, DEPUTY, Decision.REJECT, "不同意", NOW)
    assert rejected.outcome is Outcome.REJECTED and rejected.state.awaiting == ()


def test_hn06_after_a_rejection_nobody_decides_any_more():
    rejected = decide(two(), LEADER, Decision.REJECT, "no", NOW).state
    with pytest.raises(Conflict) as exc:
        decide(rejected, DEPUTY, Decision.APPROVE, None, NOW, subject="record")
    assert exc.value.slug == "record-not-pending-review"


def test_hn05_hn08_only_a_listed_reviewer_decides():
    for who in (SENDER, "u-stranger", ""):
        with pytest.raises(Forbidden) as exc:
            decide(two(), who, Decision.APPROVE, None, NOW)
        assert exc.value.slug == "not-a-reviewer"


def test_hn06_hn08_a_reviewer_decides_once():
    once = decide(two(), LEADER, Decision.APPROVE, None, NOW).state
    with pytest.raises(Conflict) as exc:
        decide(once, LEADER, Decision.REJECT, "changed my mind", NOW, subject="document")
    assert exc.value.slug == "document-already-reviewed"


def test_hn05_a_rejection_needs_a_comment_an_approval_does_not():
    for blank in (None, "", "   "):
        with pytest.raises(Unprocessable) as exc:
            decide(two(), LEADER, Decision.REJECT, blank, NOW)
        assert exc.value.field == "comment" and exc.value.slug == "comment-required"
    assert decide(two(), LEADER, Decision.APPROVE, None, NOW).review.comment == ""
    assert decide(two(), LEADER, Decision.REJECT, "  请补充  ", NOW).review.comment == "请补充"


def test_hn05_comments_are_at_most_2000_characters():
    review_comment(Decision.APPROVE, "x" * MAX_COMMENT_CHARS)
    with pytest.raises(Unprocessable) as exc:
        decide(two(), LEADER, Decision.APPROVE, "x" * (MAX_COMMENT_CHARS + 1), NOW)
    assert exc.value.field == "comment" and exc.value.slug == "comment-too-long"


def test_hn05_state_errors_come_before_the_comment_check():
    done = decide(two(), LEADER, Decision.REJECT, "no", NOW).state
    with pytest.raises(Conflict):
        decide(done, DEPUTY, Decision.REJECT, None, NOW)     # 409, not 422
    with pytest.raises(Forbidden):
        decide(two(), SENDER, Decision.REJECT, None, NOW)    # 403, not 422


def test_a_decision_is_approve_or_reject_and_now_is_aware():
    with pytest.raises(ValueError):
        decide(two(), LEADER, "maybe", None, NOW)
    with pytest.raises(ValueError):
        decide(two(), LEADER, Decision.APPROVE, None, datetime(2026, 3, 2))


def test_without_reviewers_nothing_is_decided():
    empty = ReviewState.of([])
    assert empty.outcome is Outcome.PENDING and empty.awaiting == ()
    with pytest.raises(Forbidden):
        decide(empty, LEADER, Decision.APPROVE, None, NOW)


def test_reviewers_are_kept_once_in_order():
    assert ReviewState.of([DEPUTY, LEADER, DEPUTY]).reviewer_ids == (DEPUTY, LEADER)
    assert two().may_decide(LEADER) and not two().may_decide(SENDER)


# --- HN-09/HB-08: one reviewer, or any one of several, decides once --------------------------------

def test_hn09_a_single_reviewer_is_a_list_of_one():
    one = ReviewState.of(["u-issuer"])
    assert decide(one, "u-issuer", Decision.APPROVE, None, NOW).outcome is Outcome.APPROVED
    rejected = decide(one, "u-issuer", Decision.REJECT, "缺少附件", NOW)
    assert rejected.outcome is Outcome.REJECTED
    with pytest.raises(Conflict) as exc:
        decide(rejected.state, "u-issuer", Decision.APPROVE, None, NOW, subject="reply")
    assert exc.value.slug == "reply-already-reviewed"


def test_hb08_any_one_of_the_reviewers_decides_the_round_once():
    state = ReviewState.of(["u-supervisor", "u-station-leader"], rule=Rule.ANY)
    by_leader = decide(state, "u-station-leader", Decision.APPROVE, None, NOW)
    assert by_leader.outcome is Outcome.APPROVED
    with pytest.raises(Conflict) as exc:
        decide(by_leader.state, "u-supervisor", Decision.REJECT, "no", NOW, subject="reply")
    assert exc.value.slug == "reply-already-reviewed"
    assert decide(state, "u-supervisor", Decision.REJECT, "再整改", NOW).outcome is Outcome.REJECTED


def test_hb08_the_old_boolean_maps_to_a_decision():
    assert decision_of(None, True, legacy_field="passed") is Decision.APPROVE
    assert decision_of(None, False) is Decision.REJECT
    assert decision_of("reject", None) is Decision.REJECT
    assert decision_of(Decision.APPROVE, True) is Decision.APPROVE
    with pytest.raises(Unprocessable) as exc:
        decision_of(None, None, legacy_field="passed")
    assert exc.value.field == "decision" and exc.value.slug == "decision-required"
    with pytest.raises(Unprocessable) as exc:
        decision_of("approve", False)
    assert exc.value.slug == "decision-mismatch"


# --- the stored shape --------------------------------------------------------------------------

def test_hn05_a_decision_round_trips_through_its_stored_form():
    step = decide(two(), LEADER, Decision.REJECT, "no", NOW, reviewer_name="王")
    stored = step.review.to_doc()
    assert stored == {"reviewer": {"user_id": LEADER, "name": "王"}, "decision": "reject", "comment": "no",
                      "reviewed_at": NOW}
    doc = {"report_recipient_ids": [LEADER, DEPUTY], "reviews": [stored], "reviewed_by": [LEADER]}
    assert ReviewState.from_doc(doc) == step.state
    assert ReviewState.from_doc(doc).decision_of(LEADER) is Decision.REJECT
    assert ReviewState.from_doc(doc).decision_of(DEPUTY) is None


def test_hn05_push_review_appends_the_decision_and_bumps_the_version():
    review = Review(LEADER, Decision.APPROVE, NOW)
    assert push_review(review) == {"$push": {"reviews": review.to_doc(), "reviewed_by": LEADER},
                                   "$inc": {"version": 1}}
    assert "$inc" not in push_review(review, version=None)


# --- boxes and counts (HN-06 我接收的, HN-08 上报给我的, HN-09 我审核的) -------------------------------

def test_hn06_hn08_boxes_of_the_stored_shape():
    boxes = Boxes(pending="pending_review")
    assert boxes.to_review(LEADER) == {"report_recipient_ids": LEADER, "status": "pending_review",
                                       "reviewed_by": {"$ne": LEADER}}
    assert boxes.reviewed(LEADER) == {"reviewed_by": LEADER}
    assert boxes.box(LEADER, "to_review") == boxes.to_review(LEADER)
    assert boxes.box(LEADER, Box.REVIEWED) == boxes.reviewed(LEADER)
    assert boxes.box(LEADER, None) == {"$or": [boxes.to_review(LEADER), boxes.reviewed(LEADER)]}


def test_hn09_boxes_of_another_shape_by_naming_its_fields():
    replies = Boxes(pending="pending", reviewers="reviewer_user_id", decided_by="review.reviewed_by.user_id")
    assert replies.to_review("u-issuer") == {"reviewer_user_id": "u-issuer", "status": "pending",
                                             "review.reviewed_by.user_id": {"$ne": "u-issuer"}}


async def test_hn06_hn08_counts_per_box_narrowed_by_the_view_filters():
    seen: list[dict] = []

    async def count(flt: dict) -> int:
        seen.append(flt)
        return len(seen)

    boxes = Boxes()
    counts = await boxes.counts(count, LEADER, {"project_id": "p1"}, {})
    assert counts == {"to_review": 1, "reviewed": 2}
    assert seen[0] == {"$and": [boxes.to_review(LEADER), {"project_id": "p1"}]}
    assert seen[1] == {"$and": [boxes.reviewed(LEADER), {"project_id": "p1"}]}


def test_and_filters_drops_empty_ones():
    assert and_filters() == {} and and_filters({}, {}) == {}
    assert and_filters({"a": 1}, {}) == {"a": 1}
    assert and_filters({"a": 1}, {"b": 2}) == {"$and": [{"a": 1}, {"b": 2}]}


def test_hn09_fj11_reply_text_is_trimmed_required_and_bounded():
    """One rule for the text of every reply put under review (HB-08, HN-09, FJ-11)."""
    import pytest

    from anjian_shared.errors import Unprocessable
    from anjian_shared.review import reply_text

    assert reply_text("  已整改 ") == "已整改"
    for bad, code in (("", "text-required"), ("   ", "text-required"), (None, "text-required"),
                      ("x" * 11, "text-too-long")):
        with pytest.raises(Unprocessable) as refused:
            reply_text(bad, max_chars=10)
        assert refused.value.field == "text" and refused.value.code == code
