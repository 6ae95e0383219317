"""站内通知 (in-app notifications): who is told what, for which event (HB-03, HB-08).

Pure functions from an event payload to ``NotificationDraft``s, one per recipient.
Titles and bodies are in Chinese: they are shown as they are by the mini-programs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from anjian_shared.events.inspections_v1 import PlanConfirmed
from anjian_shared.events.notices_v1 import NoticeIssued, ReplyReviewed, ReplySubmitted

from .formatting import cn_date


class NotificationKind(StrEnum):
    """What a notification is about."""

    PLAN_CONFIRMED = "plan_confirmed"
    """HB-03: a plan you are in was confirmed by another supervisor; you may now inspect."""
    NOTICE_TO_REPLY = "notice_to_reply"
    """HB-08: a notice (告知书) was issued to your project department; a rectification reply is due."""
    REPLY_TO_REVIEW = "reply_to_review"
    """HB-08: the project department replied (整改回复); you review it."""
    REPLY_REVIEWED = "reply_reviewed"
    """HB-08: your reply passed or failed review (审核), with the reviewer's comment."""


@dataclass(frozen=True)
class NotificationDraft:
    """A notification for one user before it is stored."""

    user_id: str
    kind: NotificationKind
    title: str
    body: str
    plan_id: str | None = None
    notice_id: str | None = None
    reply_id: str | None = None
    round: int | None = None
    passed: bool | None = None


def _unique(ids: list[str], *, exclude: set[str] | None = None) -> list[str]:
    """``ids`` without blanks, repeats and ``exclude``, in their first order."""
    seen: set[str] = set(exclude or ())
    out: list[str] = []
    for i in ids:
        if i and i not in seen:
            seen.add(i)
            out.append(i)
    return out


def plan_confirmed(event: PlanConfirmed) -> list[NotificationDraft]:
    """HB-03: tell every supervisor of the plan (the responsible one included) except the one who
    confirmed it. One draft per recipient."""
    names = {p.user_id: p.name for p in [event.responsible_supervisor, *event.supervisors]}
    confirmer = names.get(event.confirmed_by, "")
    projects = "、".join(event.project_names) or "（无）"
    body = (f"{confirmer or '责任监督员'}已确认抽查计划《{event.title}》，计划检查日期{cn_date(event.planned_date)}，"
            f"检查工程：{projects}。")
    recipients = _unique([event.responsible_supervisor.user_id, *(p.user_id for p in event.supervisors)],
                         exclude={event.confirmed_by})
    return [NotificationDraft(user_id=u, kind=NotificationKind.PLAN_CONFIRMED, title="抽查计划已确认", body=body,
                              plan_id=event.plan_id) for u in recipients]


def notice_issued(event: NoticeIssued) -> list[NotificationDraft]:
    """HB-08: tell each replier of the contractor's project department that a reply is due."""
    body = (f"{event.project_name}收到告知书{event.number}（{event.title}），处置情况：{event.disposition}，"
            f"请于{cn_date(event.rectification_date)}前完成整改并提交整改回复。")
    return [NotificationDraft(user_id=u, kind=NotificationKind.NOTICE_TO_REPLY, title="告知书待整改回复", body=body,
                              plan_id=event.plan_id, notice_id=event.notice_id)
            for u in _unique(event.replier_user_ids)]


def reply_submitted(event: ReplySubmitted) -> list[NotificationDraft]:
    """HB-08: tell the reviewer that a reply (round ``event.round``) awaits review."""
    body = (f"{event.replied_by.name}提交了告知书{event.number}的第{event.round}次整改回复，请审核。")
    return [NotificationDraft(user_id=u, kind=NotificationKind.REPLY_TO_REVIEW, title="整改回复待审核", body=body,
                              notice_id=event.notice_id, reply_id=event.reply_id, round=event.round)
            for u in _unique([event.reviewer_user_id])]


def reply_reviewed(event: ReplyReviewed) -> list[NotificationDraft]:
    """HB-08: tell the repliers whether their reply passed, with the reviewer's comment; a failed
    review means a new reply is due."""
    if event.passed:
        title = "整改回复审核通过"
        outcome = "审核通过，整改流程结束"
    else:
        title = "整改回复审核未通过"
        outcome = "审核未通过，请重新整改并再次回复"
    comment = f"审核意见：{event.comment}" if event.comment.strip() else "审核意见：无"
    body = f"告知书{event.number}的第{event.round}次整改回复经{event.reviewed_by.name}{outcome}。{comment}"
    return [NotificationDraft(user_id=u, kind=NotificationKind.REPLY_REVIEWED, title=title, body=body,
                              notice_id=event.notice_id, reply_id=event.reply_id, round=event.round,
                              passed=event.passed)
            for u in _unique(event.replier_user_ids)]
