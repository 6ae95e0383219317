"""Review routing, one building block: reviewers, decisions, the rules, boxes and counts.

Every submission that reviewers must pass goes through here: Hainan's supervision records
(HN-05/06), enforcement documents (HN-08) and the replies to them (HN-09), Hubei's
rectification replies (HB-08) — and Fujian, Hunan and Hebei next. Pure: no I/O, no HTTP,
no database driver; refusals are ``anjian_shared.errors`` classes with stable codes.

The rules (``decide``):

- only a listed reviewer decides (403 ``not-a-reviewer``), and only once
  (409 ``<subject>-already-reviewed``);
- a decision is ``approve`` or ``reject``; a rejection needs a comment (422 ``comment``,
  code ``comment-required``), any comment is at most 2000 characters;
- ``Rule.ALL`` (the default): every reviewer must approve; the **first rejection ends the
  round** and returns the submission to its sender; after that nobody decides any more
  (409 ``<subject>-not-pending-review``);
- ``Rule.ANY``: the first decision of any listed reviewer decides the round (a reply
  reviewed by "the responsible supervisor or a station leader"); a single reviewer is a
  list of one, for which both rules are the same.

What happens on the outcome (issue to recipients, the internal file, closing a notice) is
the aggregate's business and stays in each domain.

Persisted shape (``ReviewState.from_doc`` / ``Review.to_doc`` / ``push_review``): the
aggregate's document keeps its reviewers in ``report_recipient_ids``, every decision in
``reviews`` (``{reviewer: {user_id, name}, decision, comment, reviewed_at}``) and the
deciders' ids in ``reviewed_by`` (indexable, for the boxes). ``Boxes`` builds the
to-review / reviewed filters of that shape (or of another shape, by naming its fields).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from .errors import Conflict, Forbidden, Unprocessable

MAX_COMMENT_CHARS = 2000
"""A review comment is at most this many characters (after trimming)."""


class Decision(StrEnum):
    """What one reviewer decides."""

    APPROVE = "approve"
    REJECT = "reject"

    @classmethod
    def of_accepted(cls, accepted: bool) -> Decision:
        """The decision an old boolean (``passed`` / ``accepted``) stood for."""
        return cls.APPROVE if accepted else cls.REJECT


DECISION_LABELS: dict[str, str] = {Decision.APPROVE.value: "通过", Decision.REJECT.value: "不通过"}
"""The Chinese label of a decision (``decision_label`` in every review view); no decision yet: 待审核."""
PENDING_LABEL = "待审核"


def decision_label(decision: Decision | str | None) -> str:
    """通过 / 不通过 for a decision, 待审核 for none yet."""
    return DECISION_LABELS[Decision(decision).value] if decision else PENDING_LABEL


class Outcome(StrEnum):
    """Where a review round stands."""

    PENDING = "pending"      # waiting for (more) decisions
    APPROVED = "approved"    # released: every reviewer approved (ALL) / one approved (ANY)
    REJECTED = "rejected"    # returned to the sender by a rejection


class Rule(StrEnum):
    """How the decisions of several reviewers combine."""

    ALL = "all"   # every reviewer approves; the first rejection ends the round
    ANY = "any"   # the first decision of any reviewer decides


class Box(StrEnum):
    """A reviewer's boxes: waiting for my decision / decided by me."""

    TO_REVIEW = "to_review"   # 待审核
    REVIEWED = "reviewed"     # 已审核


@dataclass(frozen=True)
class Review:
    """One decision: who, when, what, why."""

    reviewer_id: str
    decision: Decision
    reviewed_at: datetime
    comment: str = ""
    reviewer_name: str = ""

    @property
    def approved(self) -> bool:
        return self.decision is Decision.APPROVE

    @property
    def reviewer(self) -> dict[str, str]:
        """``{user_id, name}`` of who decided (a ``PersonRef`` of the events)."""
        return {"user_id": self.reviewer_id, "name": self.reviewer_name}

    def to_doc(self) -> dict[str, Any]:
        """The stored form: ``{reviewer: {user_id, name}, decision, comment, reviewed_at}``."""
        return {"reviewer": self.reviewer, "decision": self.decision.value, "comment": self.comment,
                "reviewed_at": self.reviewed_at}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Review:
        """A stored decision (the form ``to_doc`` writes)."""
        reviewer = doc.get("reviewer") or {}
        return cls(reviewer_id=reviewer["user_id"], reviewer_name=reviewer.get("name", ""),
                   decision=Decision(doc["decision"]), comment=doc.get("comment", ""),
                   reviewed_at=doc["reviewed_at"])


@dataclass(frozen=True)
class ReviewState:
    """The reviewers of one submission and their decisions so far (oldest first)."""

    reviewer_ids: tuple[str, ...]
    reviews: tuple[Review, ...] = ()
    rule: Rule = Rule.ALL

    @classmethod
    def of(cls, reviewer_ids: Iterable[str], reviews: Iterable[Review] = (), *,
           rule: Rule = Rule.ALL) -> ReviewState:
        """A state from any iterables (reviewers without duplicates, in order)."""
        return cls(tuple(dict.fromkeys(reviewer_ids)), tuple(reviews), Rule(rule))

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any], *, reviewers: str = "report_recipient_ids",
                 reviews: str = "reviews", rule: Rule = Rule.ALL) -> ReviewState:
        """The state kept on a stored aggregate (fields named as ``push_review`` writes them)."""
        return cls.of(doc.get(reviewers, ()), (Review.from_doc(r) for r in doc.get(reviews, ())), rule=rule)

    @property
    def decided_by(self) -> tuple[str, ...]:
        """Who decided, in order."""
        return tuple(r.reviewer_id for r in self.reviews)

    def decision_of(self, user_id: str) -> Decision | None:
        """``user_id``'s decision, or None while they have not decided."""
        return next((r.decision for r in self.reviews if r.reviewer_id == user_id), None)

    @property
    def outcome(self) -> Outcome:
        """Rejected at the first rejection; approved when every reviewer approved (ALL) or
        one did (ANY); pending otherwise (also without any reviewer: nothing to decide)."""
        if any(not r.approved for r in self.reviews):
            return Outcome.REJECTED
        approvers = {r.reviewer_id for r in self.reviews}
        if self.rule is Rule.ANY and approvers:
            return Outcome.APPROVED
        if self.reviewer_ids and set(self.reviewer_ids) <= approvers:
            return Outcome.APPROVED
        return Outcome.PENDING

    @property
    def awaiting(self) -> tuple[str, ...]:
        """The reviewers whose decision is still needed (none once the round is decided)."""
        if self.outcome is not Outcome.PENDING:
            return ()
        decided = set(self.decided_by)
        return tuple(u for u in self.reviewer_ids if u not in decided)

    def may_decide(self, user_id: str) -> bool:
        """``user_id`` is a reviewer whose decision is awaited now."""
        return user_id in self.awaiting


@dataclass(frozen=True)
class Step:
    """What one decision did: the new state, the decision recorded, the round's outcome."""

    state: ReviewState
    review: Review
    outcome: Outcome

    @property
    def decided(self) -> bool:
        """The round ended with this decision (approved or rejected)."""
        return self.outcome is not Outcome.PENDING


def decision_of(decision: Decision | str | None, legacy: bool | None = None, *,
                legacy_field: str = "accepted") -> Decision:
    """The decision of a review request during the release that still accepts the old boolean
    (Hubei's ``passed``, documents' ``accepted``; deprecated): ``decision`` wins; alone the
    boolean maps true → approve, false → reject. 422 ``decision`` (``decision-required``)
    without either, (``decision-mismatch``) when both are sent and disagree."""
    if decision is None:
        if legacy is None:
            raise Unprocessable(f"decision is required: approve | reject (or the deprecated {legacy_field})",
                                field="decision", slug="decision-required")
        return Decision.of_accepted(legacy)
    decision = Decision(decision)
    if legacy is not None and Decision.of_accepted(legacy) is not decision:
        raise Unprocessable(f"decision {decision.value} contradicts {legacy_field}: {str(legacy).lower()}",
                            field="decision", slug="decision-mismatch")
    return decision


def review_comment(decision: Decision | str, comment: str | None, *,
                   why: str = "telling the sender what to change") -> str:
    """HN-05/HN-08/HN-09/HB-08: the trimmed comment of a decision: required for a rejection
    (422 ``comment``, code ``comment-required``), at most ``MAX_COMMENT_CHARS`` (422 ``comment``,
    code ``comment-too-long``)."""
    text = (comment or "").strip()
    if Decision(decision) is Decision.REJECT and not text:
        raise Unprocessable(f"a rejection needs a comment {why}".strip(), field="comment",
                            slug="comment-required")
    if len(text) > MAX_COMMENT_CHARS:
        raise Unprocessable(f"comment: at most {MAX_COMMENT_CHARS} characters", field="comment",
                            slug="comment-too-long")
    return text


def reply_text(text: str | None, *, what: str = "say what was done", max_chars: int = MAX_COMMENT_CHARS) -> str:
    """The trimmed text of a reply put under review (HB-08 整改回复, HN-09 document replies, FJ-11
    feedback): required (422 ``text``, code ``text-required``), at most ``max_chars`` characters
    (422 ``text``, code ``text-too-long``)."""
    value = (text or "").strip()
    if not value:
        raise Unprocessable(f"text is required: {what}", field="text", slug="text-required")
    if len(value) > max_chars:
        raise Unprocessable(f"text: at most {max_chars} characters", field="text", slug="text-too-long")
    return value


def decide(state: ReviewState, reviewer_id: str, decision: Decision | str, comment: str | None,
           now: datetime, *, reviewer_name: str = "", subject: str = "submission",
           why: str = "telling the sender what to change") -> Step:
    """HN-05/HN-06/HN-08/HN-09/HB-08 审核: ``reviewer_id`` decides ``decision`` at ``now``.

    Refused, in this order: 403 ``not-a-reviewer`` (not listed); 409
    ``<subject>-already-reviewed`` (decided before; with ``Rule.ANY`` also when another
    reviewer decided the round); 409 ``<subject>-not-pending-review`` (the round ended: a
    rejection, or every approval is in); 422 ``comment`` (a rejection without comment, or
    longer than 2000). ``subject`` names the thing in the codes (``record``, ``document``,
    ``reply``). Returns the ``Step``: new state, the ``Review`` to store, the outcome.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    decision = Decision(decision)
    if reviewer_id not in state.reviewer_ids:
        raise Forbidden(f"only a reviewer of the {subject} decides on it", slug="not-a-reviewer")
    if reviewer_id in state.decided_by or (state.rule is Rule.ANY and state.reviews):
        raise Conflict(f"the {subject} was already reviewed", slug=f"{subject}-already-reviewed")
    if state.outcome is not Outcome.PENDING:
        raise Conflict(f"the {subject} is not waiting for review (it was {state.outcome.value})",
                       slug=f"{subject}-not-pending-review")
    text = review_comment(decision, comment, why=why)
    review = Review(reviewer_id=reviewer_id, reviewer_name=reviewer_name, decision=decision, comment=text,
                    reviewed_at=now)
    after = replace(state, reviews=(*state.reviews, review))
    return Step(state=after, review=review, outcome=after.outcome)


def push_review(review: Review, *, reviews: str = "reviews", decided_by: str = "reviewed_by",
                version: str | None = "version") -> dict[str, Any]:
    """The update appending ``review`` to the stored aggregate (and bumping ``version``): to
    combine with the aggregate's own ``$set`` (``{**push_review(r), "$set": {...}}``)."""
    update: dict[str, Any] = {"$push": {reviews: review.to_doc(), decided_by: review.reviewer_id}}
    if version:
        update["$inc"] = {version: 1}
    return update


class DecisionStore(Protocol):
    """What ``write_decision`` / ``decide_stored`` need of a repository (``TenantRepository``
    fits): read by id, and a conditional update returning the document after it, or None
    when nothing matched."""

    async def get(self, doc_id: str) -> dict[str, Any] | None: ...

    async def update(self, flt: dict[str, Any], update: dict[str, Any]) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class Verdict:
    """What an aggregate's rules make of one decision: the step, the aggregate's status after
    it, and the aggregate's own marks to set with it (e.g. ``{"released_at": now}``)."""

    step: Step
    status: str
    also: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decided:
    """A decision stored: the aggregate before and after it, and the verdict."""

    before: dict[str, Any]
    after: dict[str, Any]
    verdict: Verdict

    @property
    def review(self) -> Review:
        return self.verdict.step.review


async def decide_stored(store: DecisionStore, aggregate_id: str,
                        judge: Callable[[dict[str, Any] | None], Verdict], *, pending: str,
                        now: datetime) -> Decided | None:
    """Read the aggregate, let its rules ``judge`` the decision (they raise 404 for an
    invisible or missing aggregate, and the refusals of ``decide``), and store it with
    ``write_decision``. None when a concurrent decision changed the aggregate first: the
    caller decides again on the new state (in a new transaction)."""
    before = await store.get(aggregate_id)
    verdict = judge(before)
    assert before is not None  # judge refuses a missing aggregate
    after = await write_decision(store, before, verdict.step, status=verdict.status, pending=pending, now=now,
                                 also=verdict.also)
    return None if after is None else Decided(before=before, after=after, verdict=verdict)


async def write_decision(store: DecisionStore, doc: Mapping[str, Any], step: Step, *, status: str,
                         pending: str, now: datetime, also: Mapping[str, Any] | None = None
                         ) -> dict[str, Any] | None:
    """Record ``step`` on the stored aggregate ``doc`` — only if it is still ``pending`` at the
    version it was read at: append the decision (``push_review``), set ``status``, ``decided_at``
    when the round ended, and ``also`` (the aggregate's own marks, e.g. ``released_at``).
    Returns the document after it, or None when a concurrent decision won (decide again on
    the new state). The only I/O is ``store``'s, passed in."""
    changes = {"status": status, **({"decided_at": now} if step.decided else {}), **(also or {})}
    return await store.update({"_id": doc["_id"], "status": pending, "version": doc.get("version", 0)},
                              {**push_review(step.review), "$set": changes})


# --- boxes and counts --------------------------------------------------------------------------

@dataclass(frozen=True)
class Boxes:
    """The to-review / reviewed filters of one stored shape (query dicts, no driver).

    Defaults fit ``push_review``'s shape: reviewers listed in ``reviewers``, deciders in
    ``decided_by``, the aggregate waiting while ``status`` is ``pending``.
    """

    pending: str = "pending_review"
    status: str = "status"
    reviewers: str = "report_recipient_ids"
    decided_by: str = "reviewed_by"
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_review(self, user_id: str) -> dict[str, Any]:
        """Waiting, I am a reviewer and I have not decided (待审核)."""
        return {**self.extra, self.reviewers: user_id, self.status: self.pending,
                self.decided_by: {"$ne": user_id}}

    def reviewed(self, user_id: str) -> dict[str, Any]:
        """I decided (approved or rejected), whatever happened since (已审核)."""
        return {**self.extra, self.decided_by: user_id}

    def box(self, user_id: str, box: Box | str | None) -> dict[str, Any]:
        """One box, or with ``None`` either of them."""
        if box is None:
            return {"$or": [self.to_review(user_id), self.reviewed(user_id)]}
        return self.to_review(user_id) if Box(box) is Box.TO_REVIEW else self.reviewed(user_id)

    async def counts(self, count: Callable[[dict[str, Any]], Awaitable[int]], user_id: str,
                     *filters: Mapping[str, Any]) -> dict[str, int]:
        """``{to_review: n, reviewed: n}`` of ``user_id``, each box narrowed by ``filters``;
        ``count`` is the repository's counting function (the only I/O, passed in)."""
        return {b.value: await count(and_filters(self.box(user_id, b), *filters)) for b in Box}


def and_filters(*filters: Mapping[str, Any]) -> dict[str, Any]:
    """The conjunction of the non-empty query filters (``{}`` for none)."""
    parts = [dict(f) for f in filters if f]
    if not parts:
        return {}
    return parts[0] if len(parts) == 1 else {"$and": parts}
