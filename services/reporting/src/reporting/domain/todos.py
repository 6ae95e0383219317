"""To-dos (待办) of the rectification loop (HB-08), derived from what is known of a notice.

The to-dos of a notice are recomputed from its read model after every event about it,
so they come out right whatever order the events arrive in (a review may be stored
before the reply it reviews, a reply before the notice):

- nothing is open once the notice is closed;
- ``review_due`` for the reviewer of every reply submitted and not yet reviewed;
- ``reply_due`` for every replier while no reply is pending: before the first reply
  (round 1) and after a failed review (round n+1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from .formatting import cn_date


class TodoKind(StrEnum):
    REPLY_DUE = "reply_due"
    """The project department (项目部) has to submit a rectification reply (整改回复)."""
    REVIEW_DUE = "review_due"
    """The supervisor has to review (审核) a reply."""


@dataclass(frozen=True)
class ReplyState:
    """What is known of one reply round: from ``reply.submitted`` and/or ``reply.reviewed``."""

    reply_id: str
    round: int
    submitted: bool = False
    reviewer_user_id: str | None = None
    replied_by_name: str = ""
    reviewed: bool = False
    passed: bool | None = None
    replier_user_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NoticeState:
    """What is known of one notice (告知书); ``issued`` is False until notice.issued arrived."""

    notice_id: str
    number: str
    issued: bool = False
    plan_id: str | None = None
    project_name: str = ""
    rectification_date: date | None = None
    replier_user_ids: list[str] = field(default_factory=list)
    closed: bool = False


@dataclass(frozen=True)
class TodoSpec:
    """An open to-do; ``key`` is stable, so recomputing yields the same documents."""

    key: str
    user_id: str
    kind: TodoKind
    title: str
    body: str
    notice_id: str
    round: int
    reply_id: str | None = None
    plan_id: str | None = None


def open_todos(notice: NoticeState, replies: list[ReplyState]) -> list[TodoSpec]:
    """The to-dos that should be open for ``notice`` given its ``replies`` (HB-08)."""
    if notice.closed:
        return []
    todos: list[TodoSpec] = []
    for r in sorted(replies, key=lambda r: r.round):
        if r.submitted and not r.reviewed and r.reviewer_user_id:
            todos.append(TodoSpec(
                key=f"review_due:{r.reply_id}", user_id=r.reviewer_user_id, kind=TodoKind.REVIEW_DUE,
                title="审核整改回复", body=f"告知书{notice.number}的第{r.round}次整改回复待审核"
                + (f"（{r.replied_by_name}提交）" if r.replied_by_name else "") + "。",
                notice_id=notice.notice_id, round=r.round, reply_id=r.reply_id, plan_id=notice.plan_id))
    latest = max(replies, key=lambda r: r.round) if replies else None
    if latest is None:
        if not notice.issued:
            return todos
        next_round, repliers = 1, notice.replier_user_ids
    elif latest.reviewed and latest.passed is False:
        next_round = latest.round + 1
        repliers = notice.replier_user_ids or latest.replier_user_ids
    else:  # a reply is pending review, or passed (closing follows)
        return todos
    due = f"，整改期限{cn_date(notice.rectification_date)}" if notice.rectification_date else ""
    project = f"{notice.project_name}：" if notice.project_name else ""
    for user in dict.fromkeys(u for u in repliers if u):
        todos.append(TodoSpec(
            key=f"reply_due:{notice.notice_id}:{next_round}:{user}", user_id=user, kind=TodoKind.REPLY_DUE,
            title="提交整改回复", body=f"{project}告知书{notice.number}待提交第{next_round}次整改回复{due}。",
            notice_id=notice.notice_id, round=next_round, plan_id=notice.plan_id))
    return todos


# ---- HUN-01: Hunan's home-page to-dos ------------------------------------------------------------
#
# Personnel says when a task opens or closes (``personnel.hunan_task.changed.v1``); one to-do per
# task, addressed to an organisation's users with given roles (the province office, an agency's
# leader) or to one user (the assessor of a draft), so a user who joins the office later sees
# the open ones too. The event with the latest ``at`` wins: a close that overtook its open
# leaves a done to-do that the late open does not reopen.

HUNAN_KINDS = ("certificate_application_to_decide", "assessment_to_finish", "dynamic_score_to_approve",
               "training_registration_to_review")


@dataclass(frozen=True)
class HunanTodo:
    """The stored fields of one Hunan to-do (``key`` is the task id, stable across events)."""

    key: str
    kind: str
    title: str
    body: str
    object_kind: str
    object_id: str
    api_path: str
    user_id: str | None
    org_id: str | None
    roles: tuple[str, ...]
    agency_org_id: str | None
    open: bool


def hunan_todo(task: Any) -> HunanTodo:
    """The to-do of a ``HunanTaskChanged`` payload (HUN-01): what opens it (``object_kind``,
    ``object_id``, ``api_path``), for whom (``user_id``, or ``org_id`` + ``roles``), open or done."""
    return HunanTodo(key=f"hunan:{task.task_id}", kind=task.kind, title=task.title, body=task.body,
                     object_kind=task.object_kind, object_id=task.object_id, api_path=task.api_path,
                     user_id=task.assignee_user_id, org_id=task.assignee_org_id,
                     roles=tuple(task.assignee_roles), agency_org_id=task.agency_org_id, open=task.open)


def newer_task(stored_at: datetime | None, at: datetime) -> bool:
    """True when an event at ``at`` may change a to-do last changed by an event at ``stored_at``
    (never older over newer; the same instant applies, so a redelivered close stays a close)."""
    return stored_at is None or at >= stored_at


def visible_to(user_id: str, org_id: str | None, roles: list[str]) -> dict[str, Any]:
    """The to-dos of a user: addressed to them, or to their organisation and one of their roles,
    or (no organisation) to one of their roles tenant-wide (the province administrators)."""
    alternatives: list[dict[str, Any]] = [{"user_id": user_id}, {"org_id": None, "user_id": None,
                                                                 "roles": {"$in": list(roles)}}]
    if org_id:
        alternatives.insert(1, {"org_id": org_id, "user_id": None, "roles": {"$in": list(roles)}})
    return {"$or": alternatives}
