"""The notice (告知书) aggregate, its replies (整改回复) and reviews (审核): HB-06, HB-08.

State machine (Hubei manual, section 九)::

    issued ──► awaiting_reply ──reply──► awaiting_review ──review passed──► closed
                     ▲                          │
                     └──────review failed───────┘   (a new reply round is needed)

Every round (reply + its review) is kept on the notice. Who may do what is decided
here too (``can_view``, ``may_reply``, ``may_review``); the service layer turns the
rule errors into HTTP problems. No I/O in this module.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.inspections_v1 import (
    RECTIFICATION_DISPOSITIONS,
    Disposition,
    PlanProject,
    PlanSubmitted,
    ResultSnapshot,
)

MAX_REPLY_PHOTOS = 9
"""A reply carries 0..9 photos (HB-08)."""
MAX_TEXT_CHARS = 2000
"""Reply text and review comments are 1..2000 characters."""

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


class ReviewStatus(StrEnum):
    """Outcome of one reply round."""

    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return REVIEW_LABELS[self]


REVIEW_LABELS: dict[ReviewStatus, str] = {
    ReviewStatus.PENDING: "待审核",
    ReviewStatus.PASSED: "审核通过",
    ReviewStatus.FAILED: "审核不通过",
}


# ---------------------------------------------------------------- rule errors

class NoticeRuleError(Exception):
    """A rule of the notice refused the command."""


class NotPermitted(NoticeRuleError):
    """The caller sees the notice but may not do this (→ 403)."""


class InvalidState(NoticeRuleError):
    """The notice's state refuses the command (→ 409)."""


class UnknownReply(NoticeRuleError):
    """No reply with that id on this notice (→ 404)."""


class InvalidInput(NoticeRuleError):
    """A field breaks a rule the schema cannot express (→ 422 naming ``field``)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------- the aggregate

class Actor(Protocol):
    """Who acts: the verified principal (``anjian_shared.auth.Principal`` fits)."""

    user_id: str
    org_id: str
    roles: list[str]


class Review(BaseModel):
    """The supervisor's verdict on one reply."""

    passed: bool
    comment: str = ""
    reviewed_by: PersonRef
    reviewed_at: datetime


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
    def review_status(self) -> ReviewStatus:
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
            raise InvalidInput(f"at most {MAX_REPLY_PHOTOS} photos", field="photos")
        reply = Reply(reply_id=reply_id, round=len(self.replies) + 1, text=text, photos=list(photos),
                      replied_by=replied_by, submitted_at=now)
        self.replies.append(reply)
        self.status = NoticeStatus.AWAITING_REVIEW
        self._touch(now)
        return reply

    def review_reply(self, *, reply_id: str, passed: bool, comment: str | None, reviewed_by: PersonRef,
                     now: datetime) -> Reply:
        """Pass or fail the latest reply (HB-08): pass closes the notice, fail asks for a new round.

        Raises ``UnknownReply`` for an id not on this notice, ``InvalidState`` unless it
        is the latest reply and awaits review, ``InvalidInput`` (field ``comment``) when
        failing without a comment.
        """
        index = next((i for i, r in enumerate(self.replies) if r.reply_id == reply_id), None)
        if index is None:
            raise UnknownReply(f"reply {reply_id} not found")
        if index != len(self.replies) - 1:
            raise InvalidState("only the latest reply can be reviewed")
        reply = self.replies[index]
        if self.status != NoticeStatus.AWAITING_REVIEW or reply.review is not None:
            raise InvalidState(f"the reply was already reviewed; notice is {self.status.value}")
        comment = validate_review_comment(passed, comment)
        reply.review = Review(passed=passed, comment=comment, reviewed_by=reviewed_by, reviewed_at=now)
        self.status = status_after_review(passed)
        if passed:
            self.closed_at = now
        self._touch(now)
        return reply

    def _touch(self, now: datetime) -> None:
        self.updated_at = now
        self.version += 1


# ---------------------------------------------------------------- rules as functions

def requires_notice(disposition: str) -> bool:
    """HB-08: only 限期整改 and 停工整改 need a rectification reply, hence a notice."""
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
        title=plan.notice.title, construction_stage=plan.notice.construction_stage,
        rectification_date=plan.notice.rectification_date, issued_by=plan.responsible_supervisor,
        supervisors=list(plan.supervisors), replier_user_ids=list(dict.fromkeys(project.project_manager_user_ids)),
        signature=plan.signature, seal=plan.seal, results=results_of_project(plan, project.project_id),
        status=NoticeStatus.AWAITING_REPLY, replies=[], issued_at=plan.submitted_at, closed_at=None,
        created_at=now, updated_at=now, version=1,
    )


def ensure_can_reply(status: NoticeStatus) -> None:
    """``InvalidState`` unless the notice awaits a reply (409 while awaiting review or closed)."""
    if status != NoticeStatus.AWAITING_REPLY:
        raise InvalidState(f"notice is {status.value} ({status.label}); no reply is expected now")


def status_after_review(passed: bool) -> NoticeStatus:
    """Pass → closed (已闭环); fail → awaiting_reply (a new round)."""
    return NoticeStatus.CLOSED if passed else NoticeStatus.AWAITING_REPLY


def validate_reply_text(text: str) -> str:
    """Stripped text of 1..2000 characters, else ``InvalidInput`` on ``text``."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("text is required", field="text")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"text is longer than {MAX_TEXT_CHARS} characters", field="text")
    return text


def validate_review_comment(passed: bool, comment: str | None) -> str:
    """The stripped comment; required (1..2000 chars) when the reply fails review."""
    comment = (comment or "").strip()
    if not passed and not comment:
        raise InvalidInput("comment is required when the reply fails review", field="comment")
    if len(comment) > MAX_TEXT_CHARS:
        raise InvalidInput(f"comment is longer than {MAX_TEXT_CHARS} characters", field="comment")
    return comment


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
