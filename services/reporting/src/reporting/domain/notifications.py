"""站内通知 (in-app notifications): who is told what, for which event (HB-03, HB-08; Hainan
supervision records HN-04..HN-06 and enforcement documents HN-07..HN-09).

Pure functions from an event payload to ``NotificationDraft``s, one per recipient.
Titles and bodies are in Chinese: they are shown as they are by the mini-programs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from anjian_shared.events.inspections_v1 import (
    PlanChanged,
    PlanConfirmed,
    PlanWithdrawn,
    RecordReleased,
    RecordReviewed,
    RecordSubmitted,
)
from anjian_shared.events.notices_v1 import (
    DocumentEscalated,
    DocumentIssued,
    DocumentReplied,
    DocumentReplyReviewed,
    DocumentSubmitted,
    NoticeIssued,
    ReplyReviewed,
    ReplySubmitted,
)

from .formatting import cn_date


class NotificationKind(StrEnum):
    """What a notification is about."""

    PLAN_CONFIRMED = "plan_confirmed"
    """HB-03: a plan you are in was confirmed by another supervisor; you may now inspect."""
    PLAN_JOINED = "plan_joined"
    """HB-03: you were added to the team of a confirmed plan; you may now inspect."""
    PLAN_RESCHEDULED = "plan_rescheduled"
    """HB-03: a confirmed plan you are in changed its date (or projects)."""
    PLAN_LEFT = "plan_left"
    """HB-03: you were removed from a confirmed plan; its earlier notifications are withdrawn
    (``plan_id`` is null: you no longer see the plan)."""
    PLAN_WITHDRAWN = "plan_withdrawn"
    """HB-03: a confirmed plan you were in was withdrawn to draft; its notifications are
    withdrawn (``plan_id`` null)."""
    NOTICE_TO_REPLY = "notice_to_reply"
    """HB-08: a notice (告知书) was issued to your project department; a rectification reply is due."""
    REPLY_TO_REVIEW = "reply_to_review"
    """HB-08: the project department replied (整改回复); you review it."""
    REPLY_REVIEWED = "reply_reviewed"
    """HB-08: your reply passed or failed review (审核), with the reviewer's comment."""
    RECORD_TO_REVIEW = "record_to_review"
    """HN-05/06: a supervision record names you as report recipient (上报接收人): review it."""
    RECORD_REVIEWED = "record_reviewed"
    """HN-05: a reviewer approved or rejected the record you sent."""
    RECORD_RECEIVED = "record_received"
    """HN-06: a supervision record was issued to you (下达接收)."""
    DOCUMENT_TO_REVIEW = "document_to_review"
    """HN-08 上报给我的: an enforcement document awaits your review."""
    DOCUMENT_TO_REPLY = "document_to_reply"
    """HN-08 需我回复的: a document was issued to you as replier; reply by the deadline."""
    DOCUMENT_RECEIVED = "document_received"
    """HN-08 下达给我的: a document was issued to you for reading (issue recipient)."""
    DOCUMENT_REPLIED = "document_replied"
    """HN-09: a replier replied to the document you issued; review the reply."""
    DOCUMENT_REPLY_REVIEWED = "document_reply_reviewed"
    """HN-09: the issuer accepted or rejected your reply."""
    DOCUMENT_ESCALATED = "document_escalated"
    """HN-07: a document's deadline passed; a 处罚建议书 or 不良行为记录 was produced."""
    APPLICATION_TO_HANDLE = "application_to_handle"
    """HEB-03 待办: an application (事项) was submitted (上报) to your authority: accept (受理) it,
    then decide (办结)."""
    APPLICATION_DECIDED = "application_decided"
    """HEB-03: your organisation's application was accepted, not accepted, returned, approved or
    refused (with the comment)."""
    SELF_INSPECTION_ESCALATED = "self_inspection_escalated"
    """FJ-11 逾期上报: a supervision company's rectification notice passed its deadline without
    accepted feedback; the project's station is told."""


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
    record_id: str | None = None
    document_id: str | None = None
    application_id: str | None = None
    inspection_id: str | None = None


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


def plan_changed(event: PlanChanged) -> list[NotificationDraft]:
    """HB-03: a confirmed plan changed → each member who joined (``plan_joined``), each member who
    left (``plan_left``, without a link: they no longer see the plan) and — when the date or the
    projects changed — each remaining member (``plan_rescheduled``, old and new date); never the
    one who changed it. The caller withdraws the plan's earlier notifications of the members who
    left (``withdrawn_for``)."""
    projects = "、".join(event.project_names) or "（无）"
    when = cn_date(event.planned_date)
    out = [NotificationDraft(user_id=u, kind=NotificationKind.PLAN_JOINED, title="您已加入抽查计划",
                             body=f"您已加入抽查计划《{event.title}》，计划检查日期{when}，检查工程：{projects}。",
                             plan_id=event.plan_id)
           for u in _unique(event.added_user_ids, exclude={event.changed_by})]
    out += [NotificationDraft(user_id=u, kind=NotificationKind.PLAN_LEFT, title="您已不再参加抽查计划",
                              body=f"抽查计划《{event.title}》的检查人员已调整，您已不再参加该计划。")
            for u in _unique(event.removed_user_ids, exclude={event.changed_by})]
    moved = (event.planned_date != event.previous_planned_date
             or set(event.project_ids) != set(event.previous_project_ids or event.project_ids))
    if moved:
        body = (f"抽查计划《{event.title}》已变更：计划检查日期由{cn_date(event.previous_planned_date)}改为{when}，"
                f"检查工程：{projects}。")
        team = [event.responsible_supervisor.user_id, *(p.user_id for p in event.supervisors)]
        out += [NotificationDraft(user_id=u, kind=NotificationKind.PLAN_RESCHEDULED, title="抽查计划已变更",
                                  body=body, plan_id=event.plan_id)
                for u in _unique(team, exclude={event.changed_by, *event.added_user_ids})]
    return out


def withdrawn_for(event: PlanChanged) -> list[str]:
    """HB-03: whose earlier notifications of the plan are withdrawn after a change: the members
    who left (their notification names a plan they can no longer open)."""
    return _unique(event.removed_user_ids)


def plan_withdrawn(event: PlanWithdrawn) -> list[NotificationDraft]:
    """HB-03 撤回: every member but the one who withdrew it is told (no link: nobody but the
    creator sees a draft); the plan's earlier notifications are withdrawn by the caller."""
    body = f"抽查计划《{event.title}》已被撤回修改，暂不需要检查；重新确认后将另行通知。"
    return [NotificationDraft(user_id=u, kind=NotificationKind.PLAN_WITHDRAWN, title="抽查计划已撤回", body=body)
            for u in _unique(event.supervisor_user_ids, exclude={event.withdrawn_by})]


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


# ---- Hainan: supervision records (HN-04..HN-06) ----------------------------------------------------

CHECK_TYPES_CN = {"quality": "质量", "safety": "安全", "combined": "综合"}
DOCUMENT_TYPES_CN = {
    "rectification": "整改通知", "stop_work": "停工通知", "resume_work": "复工通知",
    "bad_conduct": "不良行为记录通知", "equipment_restriction": "工程设备使用限制通知",
    "partial_stop_work": "局部停工通知",
}


def _project(project_name: str | None) -> str:
    return f"（{project_name}）" if project_name else ""


def record_submitted(event: RecordSubmitted) -> list[NotificationDraft]:
    """HN-05/06: a record that needs review → each report recipient (上报接收人). Records
    without report recipients are released at once (``record_released`` tells the receivers)."""
    if event.status != "pending_review":
        return []
    kind = CHECK_TYPES_CN.get(event.check_type, event.check_type)
    body = (f"{event.submitted_by.name}上报了{event.project_name}的{kind}监督检查记录（{event.part_checked}），"
            f"请审核。")
    return [NotificationDraft(user_id=u, kind=NotificationKind.RECORD_TO_REVIEW, title="监督检查记录待审核",
                              body=body, record_id=event.record_id)
            for u in _unique(event.report_recipient_ids, exclude={event.submitted_by.user_id})]


def record_reviewed(event: RecordReviewed, *, project_name: str | None = None) -> list[NotificationDraft]:
    """HN-05: every review → the sender: rejected (审核未通过, with the comment), approved and
    released, or approved while other reviewers have still to approve."""
    if event.decision == "reject":
        title, outcome, passed = "监督检查记录审核未通过", "审核未通过，已退回", False
    elif event.status == "pending_review":
        title, outcome, passed = "监督检查记录已获一位审核人通过", "审核通过，仍待其他审核人审核", True
    else:
        title, outcome, passed = "监督检查记录审核通过", "审核通过" + ("，已下达" if event.status == "issued"
                                                                 else "，存为监督内档"), True
    comment = f"审核意见：{event.comment}" if event.comment.strip() else "审核意见：无"
    body = f"您发送的监督检查记录{_project(project_name)}经{event.reviewer.name}{outcome}。{comment}"
    return [NotificationDraft(user_id=u, kind=NotificationKind.RECORD_REVIEWED, title=title, body=body,
                              record_id=event.record_id, passed=passed)
            for u in _unique([event.submitted_by_user_id], exclude={event.reviewer.user_id})]


def record_released(event: RecordReleased, *, project_name: str | None = None,
                    sender_name: str | None = None) -> list[NotificationDraft]:
    """HN-06 下达接收: the record reached its issue recipients → each of them."""
    who = sender_name or "监督员"
    body = f"{who}下达了一条监督检查记录{_project(project_name)}，请查阅。"
    return [NotificationDraft(user_id=u, kind=NotificationKind.RECORD_RECEIVED, title="收到监督检查记录",
                              body=body, record_id=event.record_id)
            for u in _unique(event.issue_recipient_ids, exclude={event.submitted_by_user_id})]


# ---- Hainan: enforcement documents (HN-07..HN-09) ------------------------------------------------

def document_submitted(event: DocumentSubmitted) -> list[NotificationDraft]:
    """HN-08 上报给我的: a document that needs review → each report recipient."""
    if event.status != "pending_review":
        return []
    kind = DOCUMENT_TYPES_CN.get(event.document_type, event.document_type)
    body = f"{event.submitted_by.name}上报了{event.project_name}的{kind}{event.number}，请审核。"
    return [NotificationDraft(user_id=u, kind=NotificationKind.DOCUMENT_TO_REVIEW, title="处理文书待审核",
                              body=body, document_id=event.document_id)
            for u in _unique(event.report_recipient_ids, exclude={event.submitted_by.user_id})]


def document_issued(event: DocumentIssued) -> list[NotificationDraft]:
    """HN-08: the issued document → each replier (需我回复的, reply by the deadline) and each
    issue recipient who is not a replier (下达给我的, for reading). One notification per person."""
    kind = DOCUMENT_TYPES_CN.get(event.document_type, event.document_type)
    repliers = _unique(event.replier_user_ids)
    out = [NotificationDraft(user_id=u, kind=NotificationKind.DOCUMENT_TO_REPLY, title="处理文书待回复",
                             body=f"{event.project_name}收到{kind}{event.number}，请于{cn_date(event.deadline)}前"
                                  f"完成整改并回复。", document_id=event.document_id)
           for u in repliers]
    out += [NotificationDraft(user_id=u, kind=NotificationKind.DOCUMENT_RECEIVED, title="收到处理文书",
                              body=f"{event.project_name}的{kind}{event.number}已下达给您，请查阅；"
                                   f"回复期限{cn_date(event.deadline)}。", document_id=event.document_id)
            for u in _unique(event.issue_recipient_ids, exclude=set(repliers))]
    return out


def document_replied(event: DocumentReplied) -> list[NotificationDraft]:
    """HN-09: a reply → the issuer (who reviews every reply)."""
    body = f"{event.replied_by.name}回复了处理文书{event.number}，请审核。"
    return [NotificationDraft(user_id=u, kind=NotificationKind.DOCUMENT_REPLIED, title="处理文书回复待审核",
                              body=body, document_id=event.document_id, reply_id=event.reply_id)
            for u in _unique([event.reviewer_user_id], exclude={event.replied_by.user_id})]


def document_reply_reviewed(event: DocumentReplyReviewed) -> list[NotificationDraft]:
    """HN-09: the issuer's verdict → the replier (a rejected replier replies again)."""
    if event.accepted:
        title, outcome = "处理文书回复已通过", "审核通过"
    else:
        title, outcome = "处理文书回复未通过", "审核未通过，请重新整改并再次回复"
    comment = f"审核意见：{event.comment}" if event.comment.strip() else "审核意见：无"
    body = f"您对处理文书{event.number}的回复经{event.reviewed_by.name}{outcome}。{comment}"
    return [NotificationDraft(user_id=u, kind=NotificationKind.DOCUMENT_REPLY_REVIEWED, title=title, body=body,
                              document_id=event.document_id, reply_id=event.reply_id, passed=event.accepted)
            for u in _unique([event.replier_user_id])]


def document_escalated(event: DocumentEscalated) -> list[NotificationDraft]:
    """HN-07: an overdue document was escalated → the issuer and the station leaders (once each)."""
    kind = DOCUMENT_TYPES_CN.get(event.document_type, event.document_type)
    produced = {"penalty_recommendation": "处罚建议书",
                "bad_conduct_record": "不良行为记录"}.get(event.kind, event.kind)
    body = (f"{event.project_name}的{kind}{event.number}已超过回复期限{cn_date(event.deadline)}仍未全部回复通过，"
            f"已生成{produced}{event.escalation_number}。")
    return [NotificationDraft(user_id=u, kind=NotificationKind.DOCUMENT_ESCALATED,
                              title=f"处理文书逾期，已生成{produced}",
                              body=body, document_id=event.document_id)
            for u in _unique([event.issuer_user_id, *event.station_leader_ids])]


APPLICATION_KINDS_CN = {"filing": "设备备案", "supplementary": "设备补录", "installation": "安装告知",
                        "use_registration": "使用登记", "dismantling": "拆卸告知", "installer_entry": "进冀备案"}
"""HEB-03 the equipment service's kinds of application (事项) in Chinese."""


def application_stage(event: Any, *, authority_user_ids: list[str],
                      applicant_user_ids: list[str]) -> list[NotificationDraft]:
    """HEB-03 an application's new stage (``equipment.application.<stage>.v1``): submitted →
    each staff member of the addressed authority (待办, ``application_to_handle``); accepted,
    not accepted, returned, approved, refused → each user of the applicant organisation
    (``application_decided``, with the number on approval and the comment). The one who acted
    is not told of their own step."""
    kind = APPLICATION_KINDS_CN.get(event.kind, event.kind)
    actor = {event.by.user_id}
    if event.to_stage == "submitted":
        body = f"{event.by.name}上报了{kind}，请受理。"
        return [NotificationDraft(user_id=u, kind=NotificationKind.APPLICATION_TO_HANDLE, title=f"{kind}待受理",
                                  body=body, application_id=event.application_id)
                for u in _unique(authority_user_ids, exclude=actor)]
    number = f"（编号 {event.number}）" if event.number else ""
    comment = f"：{event.comment}" if event.comment else ""
    body = f"您单位的{kind}{event.stage_label}{number}{comment}"
    return [NotificationDraft(user_id=u, kind=NotificationKind.APPLICATION_DECIDED, title=f"{kind}{event.stage_label}",
                              body=body, application_id=event.application_id)
            for u in _unique(applicant_user_ids, exclude=actor)]


def self_inspection_escalated(event: Any, *, station_user_ids: list[str]) -> list[NotificationDraft]:
    """FJ-11 (``inspections.self_inspection.escalated.v1``): each supervisor and leader of the
    project's station learns that a supervision company's notice is overdue (逾期未整改), once."""
    body = (f"{event.project_name}：{event.inspector.name}自查发出的整改通知已过整改期限（{event.deadline}），"
            f"反馈人{event.feedback_person.name}未完成整改反馈。")
    return [NotificationDraft(user_id=u, kind=NotificationKind.SELF_INSPECTION_ESCALATED, title="监理自查整改逾期",
                              body=body, inspection_id=event.inspection_id)
            for u in _unique(station_user_ids)]
