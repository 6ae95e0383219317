"""The application (事项) lifecycle, one building block for every filing (HEB-03; Hunan later).

An application is a form an applicant organisation (a company) fills in and submits (上报) to
an authority (an org id the caller's rule picks: ``authority_for`` in the service), which then
accepts it for processing (受理), does not accept it (不予受理, with a reason), returns it for
correction (退回, with what to fix: the applicant edits and resubmits) or, once accepted,
decides it (办结: approved 准予 or refused 不予许可, with the decision)::

    draft ──submit──▶ submitted ──accept──▶ accepted ──approve──▶ approved
      ▲  edit           │  │                   │   └──refuse───▶ refused
      │                 │  └──not_accept──▶ not_accepted
    returned ◀──return──┴──────────────────────┘
      └──submit──▶ submitted (resubmission)

Every step is appended to ``history`` (who, when, from-stage, to-stage, comment).

Refusals (``anjian_shared.errors``):

- ``Forbidden`` slug ``not-applicant``: only the applicant organisation edits and submits;
  ``not-addressed-authority``: only the authority the application is addressed to decides;
- ``Conflict`` slug ``application-not-draft`` (edit/submit outside draft/returned),
  ``application-not-submitted`` (accept/not-accept outside submitted),
  ``application-not-pending`` (return outside submitted/accepted),
  ``application-not-accepted`` (approve/refuse before acceptance);
- ``Conflict`` slug ``application-not-deletable``: deletion (Hunan) once accepted or decided;
- ``Unprocessable`` naming ``comment`` when a reason is required and empty (不予受理, 退回,
  refusal).

Pure domain: no database, no HTTP. Services store ``Application.model_dump()`` as documents
and query with :func:`applicant_filter` / :func:`inbox_filter`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from .errors import Conflict, Forbidden, Unprocessable


class Stage(StrEnum):
    """Where an application stands."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    RETURNED = "returned"
    APPROVED = "approved"
    REFUSED = "refused"


STAGE_LABELS: dict[Stage, str] = {
    Stage.DRAFT: "草稿",
    Stage.SUBMITTED: "已上报",
    Stage.ACCEPTED: "已受理",
    Stage.NOT_ACCEPTED: "不予受理",
    Stage.RETURNED: "已退回",
    Stage.APPROVED: "办结（准予）",
    Stage.REFUSED: "办结（不予许可）",
}
"""The Chinese label of every stage (lists, PDFs)."""

EDITABLE = frozenset({Stage.DRAFT, Stage.RETURNED})
"""Stages in which the applicant edits and (re)submits."""
IN_PROGRESS = frozenset({Stage.DRAFT, Stage.SUBMITTED, Stage.ACCEPTED, Stage.RETURNED})
"""在办: not finished yet."""
COMPLETED = frozenset({Stage.NOT_ACCEPTED, Stage.APPROVED, Stage.REFUSED})
"""办结: finished (not accepted, approved or refused); nothing changes any more."""
AWAITING_AUTHORITY = frozenset({Stage.SUBMITTED, Stage.ACCEPTED})
"""The authority's inbox (待办): submitted (to accept) and accepted (to decide)."""
DELETABLE = frozenset({Stage.DRAFT, Stage.SUBMITTED, Stage.NOT_ACCEPTED, Stage.RETURNED})
"""Stages in which the applicant may delete (Hunan HUN-10..12): 未受理 (draft, or submitted and
not accepted yet), 不予受理, 已退回 — never once accepted or decided."""

Action = Literal["create", "edit", "submit", "accept", "not_accept", "return", "approve", "refuse"]

ACTION_LABELS: dict[str, str] = {
    "create": "新建", "edit": "修改", "submit": "上报", "accept": "受理", "not_accept": "不予受理",
    "return": "退回", "approve": "办结（准予）", "refuse": "办结（不予许可）",
}


class Actor(BaseModel):
    """Who acts: user, name and organisation (from the caller's principal)."""

    user_id: str
    org_id: str
    name: str = ""


class Step(BaseModel):
    """One step of the history: who, when, from which stage to which, why."""

    action: str
    label: str
    by: Actor
    at: datetime
    from_stage: Stage | None
    to_stage: Stage
    comment: str = ""


class Application(BaseModel):
    """One application (事项). ``form`` is the kind-specific content (validated by the kind's
    own model in the service); ``authority_org_id`` is set at submission."""

    id: str
    kind: str
    stage: Stage = Stage.DRAFT
    applicant: Actor
    """The user who created it and their organisation (the applicant organisation)."""
    authority_org_id: str | None = None
    form: dict[str, Any] = Field(default_factory=dict)
    history: list[Step] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None
    accepted_at: datetime | None = None
    completed_at: datetime | None = None
    decision: str | None = None
    """The comment of the last authority step (reason not accepted, what to fix, decision)."""
    version: int = 1

    # ----------------------------------------------------------------------------- views

    @property
    def stage_label(self) -> str:
        return STAGE_LABELS[self.stage]

    @property
    def completed(self) -> bool:
        return self.stage in COMPLETED

    def to_doc(self) -> dict[str, Any]:
        """The stored document (``_id`` = ``id``; ``stage_label`` kept for lists)."""
        doc = self.model_dump(mode="python", exclude={"id"})
        doc["_id"] = self.id
        doc["stage_label"] = self.stage_label
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Application:
        data = {k: v for k, v in doc.items() if k in cls.model_fields}
        return cls(id=doc["_id"], **{k: v for k, v in data.items() if k != "id"})

    # ----------------------------------------------------------------------------- rules

    def _step(self, action: str, by: Actor, at: datetime, to: Stage, comment: str = "") -> Application:
        step = Step(action=action, label=ACTION_LABELS[action], by=by, at=at, from_stage=self.stage,
                    to_stage=to, comment=comment)
        return self.model_copy(update={"stage": to, "history": [*self.history, step], "updated_at": at,
                                       "version": self.version + 1})

    def _ensure_applicant(self, by: Actor) -> None:
        if by.org_id != self.applicant.org_id:
            raise Forbidden("only the applicant organisation edits and submits this application",
                            slug="not-applicant")

    def _ensure_authority(self, by: Actor) -> None:
        if self.authority_org_id is None or by.org_id != self.authority_org_id:
            raise Forbidden("only the authority this application is addressed to decides it",
                            slug="not-addressed-authority")

    def _ensure_stage(self, allowed: frozenset[Stage], slug: str, what: str) -> None:
        if self.stage not in allowed:
            raise Conflict(f"cannot {what}: the application is {self.stage.value} ({self.stage_label})",
                           slug=slug)

    @staticmethod
    def _reason(comment: str | None, what: str) -> str:
        text = (comment or "").strip()
        if not text:
            raise Unprocessable(f"{what} needs a comment (the reason)", field="comment")
        return text

    def ensure_deletable(self, by: Actor) -> None:
        """HUN-10..12: only the applicant organisation deletes (403 ``not-applicant``), and only
        while 未受理/不予受理/已退回 (:data:`DELETABLE`): 409 ``application-not-deletable`` saying
        the stage otherwise (accepted: being processed; approved/refused: decided)."""
        self._ensure_applicant(by)
        if self.stage not in DELETABLE:
            why = "it is being processed" if self.stage == Stage.ACCEPTED else "it is decided"
            raise Conflict(f"cannot delete: the application is {self.stage.value} ({self.stage_label}); {why}. "
                           "Only applications not accepted (未受理), not accepted for processing (不予受理) "
                           "or returned (已退回) can be deleted", slug="application-not-deletable")

    def edit(self, by: Actor, form: dict[str, Any], at: datetime) -> Application:
        """HEB-03: the applicant changes the form of a draft or returned application.
        403 ``not-applicant``; 409 ``application-not-draft``."""
        self._ensure_applicant(by)
        self._ensure_stage(EDITABLE, "application-not-draft", "edit")
        changed = self._step("edit", by, at, self.stage)
        return changed.model_copy(update={"form": form})

    def submit(self, by: Actor, authority_org_id: str, at: datetime, comment: str = "") -> Application:
        """HEB-03 上报 (or resubmission after 退回) to ``authority_org_id`` (the caller's rule
        picks it). 403 ``not-applicant``; 409 ``application-not-draft``."""
        self._ensure_applicant(by)
        self._ensure_stage(EDITABLE, "application-not-draft", "submit")
        if not authority_org_id:
            raise Unprocessable("an application is submitted to an authority", field="authority_org_id")
        changed = self._step("submit", by, at, Stage.SUBMITTED, comment)
        return changed.model_copy(update={"authority_org_id": authority_org_id, "submitted_at": at})

    def accept(self, by: Actor, at: datetime, comment: str = "") -> Application:
        """HEB-03 受理. 403 ``not-addressed-authority``; 409 ``application-not-submitted``."""
        self._ensure_authority(by)
        self._ensure_stage(frozenset({Stage.SUBMITTED}), "application-not-submitted", "accept")
        return self._step("accept", by, at, Stage.ACCEPTED, comment).model_copy(update={"accepted_at": at})

    def not_accept(self, by: Actor, at: datetime, comment: str) -> Application:
        """HEB-03 不予受理 with its reason (422 naming ``comment`` without one): finished.
        403 ``not-addressed-authority``; 409 ``application-not-submitted``."""
        self._ensure_authority(by)
        self._ensure_stage(frozenset({Stage.SUBMITTED}), "application-not-submitted", "refuse to accept")
        reason = self._reason(comment, "不予受理")
        return self._step("not_accept", by, at, Stage.NOT_ACCEPTED, reason).model_copy(
            update={"completed_at": at, "decision": reason})

    def return_for_correction(self, by: Actor, at: datetime, comment: str) -> Application:
        """HEB-03 退回 with what to fix (422 naming ``comment`` without it), from submitted or
        accepted; the applicant edits and resubmits. 403 ``not-addressed-authority``; 409
        ``application-not-pending``."""
        self._ensure_authority(by)
        self._ensure_stage(AWAITING_AUTHORITY, "application-not-pending", "return")
        reason = self._reason(comment, "退回")
        return self._step("return", by, at, Stage.RETURNED, reason).model_copy(update={"decision": reason})

    def approve(self, by: Actor, at: datetime, comment: str = "") -> Application:
        """HEB-03 办结 准予. 403 ``not-addressed-authority``; 409 ``application-not-accepted``."""
        self._ensure_authority(by)
        self._ensure_stage(frozenset({Stage.ACCEPTED}), "application-not-accepted", "approve")
        return self._step("approve", by, at, Stage.APPROVED, comment).model_copy(
            update={"completed_at": at, "decision": comment or STAGE_LABELS[Stage.APPROVED]})

    def refuse(self, by: Actor, at: datetime, comment: str) -> Application:
        """HEB-03 办结 不予许可 with the decision (422 naming ``comment`` without one).
        403 ``not-addressed-authority``; 409 ``application-not-accepted``."""
        self._ensure_authority(by)
        self._ensure_stage(frozenset({Stage.ACCEPTED}), "application-not-accepted", "refuse")
        reason = self._reason(comment, "不予许可")
        return self._step("refuse", by, at, Stage.REFUSED, reason).model_copy(
            update={"completed_at": at, "decision": reason})

    def apply(self, action: str, by: Actor, at: datetime, comment: str = "") -> Application:
        """An authority's decision by name: ``accept`` | ``not_accept`` | ``return`` |
        ``approve`` | ``refuse`` (422 naming ``action`` otherwise)."""
        if action == "accept":
            return self.accept(by, at, comment)
        if action == "not_accept":
            return self.not_accept(by, at, comment)
        if action == "return":
            return self.return_for_correction(by, at, comment)
        if action == "approve":
            return self.approve(by, at, comment)
        if action == "refuse":
            return self.refuse(by, at, comment)
        raise Unprocessable(f"unknown decision {action!r}", field="action")


def new_application(*, id: str, kind: str, by: Actor, form: dict[str, Any], at: datetime) -> Application:
    """HEB-03: a draft of ``kind`` by ``by``'s organisation, its first history step ``create``."""
    app = Application(id=id, kind=kind, applicant=by, form=form, created_at=at, updated_at=at)
    step = Step(action="create", label=ACTION_LABELS["create"], by=by, at=at, from_stage=None,
                to_stage=Stage.DRAFT)
    return app.model_copy(update={"history": [step]})


DECISIONS: tuple[str, ...] = ("accept", "not_accept", "return", "approve", "refuse")
"""The authority's actions (``Application.apply``)."""

Box = Literal["in_progress", "completed"]


def applicant_filter(org_id: str, box: Box | None = None, kind: str | None = None) -> dict[str, Any]:
    """HEB-03 the applicant's lists: 在办 (``in_progress``) or 办结 (``completed``) of the
    applicant organisation ``org_id`` (a query on the stored documents)."""
    flt: dict[str, Any] = {"applicant.org_id": org_id}
    if box == "in_progress":
        flt["stage"] = {"$in": sorted(IN_PROGRESS)}
    elif box == "completed":
        flt["stage"] = {"$in": sorted(COMPLETED)}
    if kind:
        flt["kind"] = kind
    return flt


def inbox_filter(authority_org_id: str, kind: str | None = None) -> dict[str, Any]:
    """HEB-03 the authority's inbox (待办): what is addressed to ``authority_org_id`` and
    awaits it (submitted → accept; accepted → decide)."""
    flt: dict[str, Any] = {"authority_org_id": authority_org_id, "stage": {"$in": sorted(AWAITING_AUTHORITY)}}
    if kind:
        flt["kind"] = kind
    return flt


class Transition(BaseModel):
    """One step of the lifecycle as data: ``action`` taken by ``by`` (``applicant`` or
    ``authority``) from any stage of ``from_stages`` (none: the application is created) to
    ``to_stage`` (none: it is deleted; the same stage: it stays, e.g. an edit)."""

    action: str
    label: str
    by: Literal["applicant", "authority"]
    from_stages: tuple[Stage, ...]
    to_stage: Stage | None


def _t(action: str, by: Literal["applicant", "authority"], from_: frozenset[Stage] | tuple[Stage, ...],
       to: Stage | None, label: str | None = None) -> Transition:
    return Transition(action=action, label=label or ACTION_LABELS[action], by=by,
                      from_stages=tuple(s for s in Stage if s in from_), to_stage=to)


TRANSITIONS: tuple[Transition, ...] = (
    _t("create", "applicant", (), Stage.DRAFT),
    _t("edit", "applicant", EDITABLE, None, ACTION_LABELS["edit"]),
    _t("submit", "applicant", EDITABLE, Stage.SUBMITTED),
    _t("accept", "authority", frozenset({Stage.SUBMITTED}), Stage.ACCEPTED),
    _t("not_accept", "authority", frozenset({Stage.SUBMITTED}), Stage.NOT_ACCEPTED),
    _t("return", "authority", AWAITING_AUTHORITY, Stage.RETURNED),
    _t("approve", "authority", frozenset({Stage.ACCEPTED}), Stage.APPROVED),
    _t("refuse", "authority", frozenset({Stage.ACCEPTED}), Stage.REFUSED),
    _t("delete", "applicant", DELETABLE, None, "删除"),
)
"""The lifecycle above as data (HUN-22 business-process help is generated from it). ``edit``
keeps the stage (``to_stage`` None means "unchanged" for ``edit``, "gone" for ``delete``). A
unit test runs every action of ``Application`` from every stage and checks it against this
table, so the table is what the code does."""
