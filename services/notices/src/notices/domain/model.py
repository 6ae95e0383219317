"""The notice (告知书) aggregate, its replies (整改回复) and reviews (审核): HB-06, HB-08.

State machine (Hubei manual, section 九)::

    issued ──► awaiting_reply ──reply──► awaiting_review ──review passed──► closed
                     ▲                          │
                     └──────review failed───────┘   (a new reply round is needed)

Every round (reply + its review) is kept on the notice. Who may do what is decided
here too (``can_view``, ``may_reply``, ``may_review``). The review of a reply follows the
review block ``anjian_shared.review`` (``Rule.ANY``: the responsible supervisor or a
station leader of the notice's station decides, once). Rule errors are domain errors
(``anjian_shared.errors``) with stable codes; shared maps them to problems. No I/O here.

A deadline is one word across the platform: ``deadline`` (整改期限). The notice stores
and emits it as ``rectification_date`` (the event contract of ``notices.notice.issued.v1``
and of the plan), and exposes ``deadline`` as its canonical name.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from anjian_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.inspections_v1 import (
    RECTIFICATION_DISPOSITIONS,
    Disposition,
    PlanProject,
    PlanSubmitted,
    ResultSnapshot,
)
from anjian_shared.review import Decision, Outcome, ReviewState, Rule, decide, decision_of
from anjian_shared.review import Review as BlockReview

from .documents import MAX_TEXT_CHARS as MAX_TEXT_CHARS  # one limit for every reply text
from .documents import reply_text

MAX_REPLY_PHOTOS = 9
"""A reply carries 0..9 photos (HB-08)."""

PROJECT_MANAGER = "project_manager"
STATION_LEADER = "station_leader"


class NoticeStatus(StrEnum):
    """Where a notice is in the rectification loop."""

    AWAITING_REPLY = "awaiting_reply"
    AWAITING_REVIEW = "awaiting_review"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """The Chinese label shown to users (待整改回复 / 待审核 / 已闭环)."""
        return STATUS_LABELS[self]


STATUS_LABELS: dict[NoticeStatus, str] = {
    NoticeStatus.AWAITING_REPLY: "待整改回复",
    NoticeStatus.AWAITING_REVIEW: "待审核",
    NoticeStatus.CLOSED: "已闭环",
}


class ReplyStatus(StrEnum):
    """Outcome of one reply round, in the platform's one word: pending | accepted | rejected."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return REPLY_LABELS[self]


REPLY_LABELS: dict[ReplyStatus, str] = {
    ReplyStatus.PENDING: "待审核",
    ReplyStatus.ACCEPTED: "审核通过",
    ReplyStatus.REJECTED: "审核不通过",
}


class ReviewStatus(StrEnum):
    """Deprecated (one release): the old words of ``ReplyStatus`` — passed = accepted,
    failed = rejected."""

    PENDING, PASSED, FAILED = "pending", "passed", "failed"

    @property
    def label(self) -> str:
        return REPLY_LABELS[ReplyStatus(OLD_WORDS.get(self.value, self.value))]


OLD_WORDS = {"passed": ReplyStatus.ACCEPTED.value, "failed": ReplyStatus.REJECTED.value}


# ---------------------------------------------------------------- rule errors

class NoticeRuleError(Exception):
    """A rule of the notice refused the command (each subclass is also a domain error)."""


class NotPermitted(NoticeRuleError, Forbidden):
    """The caller sees the notice but may not do this (403)."""


class InvalidState(NoticeRuleError, Conflict):
    """The notice's state refuses the command (409, code naming the state)."""


class UnknownReply(NoticeRuleError, NotFound):
    """No reply with that id on this notice (404 ``reply-not-found``)."""

    slug = "reply-not-found"


class InvalidInput(NoticeRuleError, Unprocessable):
    """A field breaks a rule the schema cannot express (422 naming ``field``)."""


# ---------------------------------------------------------------- the aggregate

class Actor(Protocol):
    """Who acts: the verified principal (``anjian_shared.auth.Principal`` fits)."""

    user_id: str
    org_id: str
    roles: list[str]


class Review(BaseModel):
    """The supervisor's verdict on one reply (stored as ``passed``: true = accepted)."""

    passed: bool
    comment: str = ""
    reviewed_by: PersonRef
    reviewed_at: datetime

    @property
    def decision(self) -> Decision:
        return Decision.of_accepted(self.passed)

    def decided(self) -> BlockReview:
        """The verdict as a decision of the review block."""
        return BlockReview(reviewer_id=self.reviewed_by.user_id, reviewer_name=self.reviewed_by.name,
                           decision=self.decision, comment=self.comment, reviewed_at=self.reviewed_at)


class Reply(BaseModel):
    """One rectification reply round (``round`` counts from 1)."""

    reply_id: str
    round: int
    text: str
    photos: list[MediaRef] = []
    replied_by: PersonRef
    submitted_at: datetime
    review: Review | None = None

    @property
    def status(self) -> ReplyStatus:
        """HB-08: pending until reviewed, then accepted | rejected."""
        if self.review is None:
            return ReplyStatus.PENDING
        return ReplyStatus.ACCEPTED if self.review.passed else ReplyStatus.REJECTED

    @property
    def review_status(self) -> ReviewStatus:
        """Deprecated spelling of ``status`` (passed / failed)."""
        if self.review is None:
            return ReviewStatus.PENDING
        return ReviewStatus.PASSED if self.review.passed else ReviewStatus.FAILED


class Notice(BaseModel):
    """A 告知书 addressed to the contractor's project department of one project of a plan.

    Stored as one MongoDB document (``_id`` = ``id``); ``version`` guards against
    lost updates (every change increments it). Dates (no time) are stored as ISO
    strings, datetimes as BSON dates.
    """

    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(alias="_id")
    tenant_id: str
    number: str
    year: int
    seq: int
    plan_id: str
    plan_title: str
    planned_date: date
    project_id: str
    project_name: str
    project_address: str = ""
    station_org_id: str
    addressee_org_id: str
    """The contractor org (its project department, 项目部) that must reply."""
    owner_org_id: str = ""
    supervision_org_id: str = ""
    disposition: Disposition
    stop_work_part: str | None = None
    """局部停工整改: the part where work stops."""
    title: str
    construction_stage: str
    rectification_date: date
    issued_by: PersonRef
    """The responsible supervisor (责任监督员) who submitted the plan; reviews the replies."""
    supervisors: list[PersonRef] = []
    replier_user_ids: list[str]
    signature: MediaRef
    seal: MediaRef | None = None
    results: list[ResultSnapshot] = []
    status: NoticeStatus = NoticeStatus.AWAITING_REPLY
    replies: list[Reply] = []
    issued_at: datetime
    closed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @field_serializer("planned_date", "rectification_date")
    def _date_as_iso(self, value: date) -> str:
        return value.isoformat()

    # ------------------------------------------------------------ reading

    @property
    def reviewer_user_id(self) -> str:
        return self.issued_by.user_id

    @property
    def deadline(self) -> date:
        """整改期限: the canonical name of ``rectification_date``."""
        return self.rectification_date

    @property
    def latest_reply(self) -> Reply | None:
        return self.replies[-1] if self.replies else None

    def to_document(self) -> dict:
        """The MongoDB document (``_id`` instead of ``id``)."""
        return self.model_dump(mode="python", by_alias=True)

    # ------------------------------------------------------------ commands

    def add_reply(self, *, reply_id: str, text: str, photos: list[MediaRef], replied_by: PersonRef,
                  now: datetime) -> Reply:
        """Record reply round N+1 (HB-08); the notice then awaits review.

        Raises ``InvalidState`` unless the notice awaits a reply, ``InvalidInput`` for
        empty/too long text or more than ``MAX_REPLY_PHOTOS`` photos.
        """
        ensure_can_reply(self.status)
        text = validate_reply_text(text)
        if len(photos) > MAX_REPLY_PHOTOS:
            raise InvalidInput(f"at most {MAX_REPLY_PHOTOS} photos", field="photos", slug="too-many-photos")
        reply = Reply(reply_id=reply_id, round=len(self.replies) + 1, text=text, photos=list(photos),
                      replied_by=replied_by, submitted_at=now)
        self.replies.append(reply)
        self.status = NoticeStatus.AWAITING_REVIEW
        self._touch(now)
        return reply

    def review_reply(self, *, reply_id: str, decision: Decision | str | None = None, comment: str | None,
                     reviewed_by: PersonRef, now: datetime, passed: bool | None = None,
                     station_leader: bool = False) -> Reply:
        """Accept (``approve``) or reject the latest reply (HB-08) through the review block
        (``Rule.ANY``: the responsible supervisor, or — ``station_leader`` — a leader of the
        notice's station, decides once): accept closes the notice, reject asks for a new round.
        ``passed`` is the deprecated boolean (true = approve).

        Raises ``UnknownReply`` (404 ``reply-not-found``); ``NotPermitted`` (403
        ``not-a-reviewer``); ``InvalidState`` 409 ``reply-not-latest`` for an older round,
        ``reply-already-reviewed`` once decided; 422 ``comment`` (``comment-required``) when
        rejecting without a comment; 422 ``decision`` without a decision.
        """
        index = next((i for i, r in enumerate(self.replies) if r.reply_id == reply_id), None)
        if index is None:
            raise UnknownReply(f"reply {reply_id} not found")
        if index != len(self.replies) - 1:
            raise InvalidState("only the latest reply can be reviewed", slug="reply-not-latest")
        reply = self.replies[index]
        state = reply_review_state(self, reply, reviewed_by.user_id if station_leader else None)
        if state.outcome is Outcome.PENDING and self.status != NoticeStatus.AWAITING_REVIEW:
            raise InvalidState(f"notice is {self.status.value}; no reply awaits review",
                               slug=f"notice-{self.status.value.replace('_', '-')}")
        decision = decision_of(decision, passed, legacy_field="passed")  # after the 404/409 checks
        try:
            step = decide(state, reviewed_by.user_id, decision, comment, now, reviewer_name=reviewed_by.name,
                          subject="reply", why="telling the project department what is missing")
        except Forbidden as exc:
            raise NotPermitted(str(exc), slug=exc.slug) from exc
        except Conflict as exc:
            raise InvalidState(str(exc), slug=exc.slug) from exc
        except Unprocessable as exc:
            raise InvalidInput(str(exc), field=exc.field, slug=exc.slug) from exc
        accepted = step.review.approved
        reply.review = Review(passed=accepted, comment=step.review.comment, reviewed_by=reviewed_by,
                              reviewed_at=now)
        self.status = status_after_review(accepted)
        if accepted:
            self.closed_at = now
        self._touch(now)
        return reply

    def _touch(self, now: datetime) -> None:
        self.updated_at = now
        self.version += 1


# ---------------------------------------------------------------- rules as functions

def requires_notice(disposition: str) -> bool:
    """HB-08: only 限期整改, 停工整改 and 局部停工整改 need a rectification reply, hence a notice."""
    return disposition in RECTIFICATION_DISPOSITIONS


def results_of_project(plan: PlanSubmitted, project_id: str) -> list[ResultSnapshot]:
    """The plan's results recorded on ``project_id`` (in the plan's order)."""
    return [r for r in plan.results if r.project_id == project_id]


def issue_notice(*, plan: PlanSubmitted, project: PlanProject, tenant: str, notice_id: str, number: str,
                 year: int, seq: int, now: datetime) -> Notice:
    """Build the notice for one project of a submitted plan (HB-06).

    Addressee = the project's contractor org; repliers = its project managers;
    reviewer = the plan's responsible supervisor; dated the plan's submission time.
    """
    return Notice(
        id=notice_id, tenant_id=tenant, number=number, year=year, seq=seq,
        plan_id=plan.plan_id, plan_title=plan.title, planned_date=plan.planned_date,
        project_id=project.project_id, project_name=project.name, project_address=project.address,
        station_org_id=project.station_org_id or plan.station_org_id,
        addressee_org_id=project.contractor_org_id, owner_org_id=project.owner_org_id,
        supervision_org_id=project.supervision_org_id, disposition=plan.disposition,
        stop_work_part=plan.stop_work_part,
        title=plan.notice.title, construction_stage=plan.notice.construction_stage,
        rectification_date=plan.notice.rectification_date, issued_by=plan.responsible_supervisor,
        supervisors=list(plan.supervisors), replier_user_ids=list(dict.fromkeys(project.project_manager_user_ids)),
        signature=plan.signature, seal=plan.seal, results=results_of_project(plan, project.project_id),
        status=NoticeStatus.AWAITING_REPLY, replies=[], issued_at=plan.submitted_at, closed_at=None,
        created_at=now, updated_at=now, version=1,
    )


def reply_review_state(notice: Notice, reply: Reply, station_leader_id: str | None = None) -> ReviewState:
    """HB-08: the review of one reply round in the review block's terms: the reviewers are
    the responsible supervisor (and ``station_leader_id``, a leader of the notice's station
    who acts); any one of them decides, once (``Rule.ANY``)."""
    reviewers = [notice.reviewer_user_id, *([station_leader_id] if station_leader_id else [])]
    reviews = [reply.review.decided()] if reply.review is not None else []
    return ReviewState.of(reviewers, reviews, rule=Rule.ANY)


def ensure_can_reply(status: NoticeStatus) -> None:
    """``InvalidState`` unless the notice awaits a reply: 409 ``notice-awaiting-review`` while
    the last reply awaits review, ``notice-closed`` once closed."""
    if status != NoticeStatus.AWAITING_REPLY:
        raise InvalidState(f"notice is {status.value} ({status.label}); no reply is expected now",
                           slug=f"notice-{status.value.replace('_', '-')}")


def status_after_review(passed: bool) -> NoticeStatus:
    """Pass → closed (已闭环); fail → awaiting_reply (a new round)."""
    return NoticeStatus.CLOSED if passed else NoticeStatus.AWAITING_REPLY


def validate_reply_text(text: str) -> str:
    """HB-08: stripped text of 1..2000 characters — the one reply-text rule of notices and
    documents (``documents.reply_text``) — else ``InvalidInput`` on ``text``
    (``text-required`` / ``text-too-long``)."""
    try:
        return reply_text(text)
    except Unprocessable as exc:
        raise InvalidInput(exc.detail, field="text", slug=exc.slug) from exc


def can_view(notice: Notice, actor: Actor) -> bool:
    """Users of the addressee org and of the notice's station see it; so do its named
    repliers and its reviewer. Everybody else does not (→ 404, the id does not leak)."""
    return (actor.org_id in (notice.addressee_org_id, notice.station_org_id)
            or actor.user_id in notice.replier_user_ids
            or actor.user_id == notice.reviewer_user_id)


def may_reply(notice: Notice, actor: Actor) -> bool:
    """A replier: named in ``replier_user_ids``, or a project manager of the addressee org."""
    return actor.user_id in notice.replier_user_ids or (
        actor.org_id == notice.addressee_org_id and PROJECT_MANAGER in actor.roles)


def may_review(notice: Notice, actor: Actor) -> bool:
    """The reviewer: the responsible supervisor, or a station leader of the notice's station."""
    return actor.user_id == notice.reviewer_user_id or (
        actor.org_id == notice.station_org_id and STATION_LEADER in actor.roles)
