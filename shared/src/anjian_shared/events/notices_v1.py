"""Events published by notices, version 1: Hubei 告知书 (HB-06, HB-08) and the Hainan
enforcement documents 处理文书 (HN-07..HN-09)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from .common import MediaRef, PersonRef
from .inspections_v1 import Disposition


class NoticeIssued(BaseModel):
    """``notices.notice.issued.v1``: a 告知书 was issued to a contractor's project department."""

    notice_id: str
    number: str
    """Reference numbered per tenant and year, e.g. ``鄂安监告〔2026〕0001号``."""
    plan_id: str
    project_id: str
    project_name: str
    station_org_id: str
    addressee_org_id: str
    disposition: Disposition
    title: str
    construction_stage: str
    rectification_date: date
    issued_by: PersonRef
    replier_user_ids: list[str]
    issued_at: datetime
    version: int | None = None
    """The notice's version after this change (1 issued, +1 per reply and per review; a review
    and the closing it causes share one). Absent in events published before it existed."""


class ReplySubmitted(BaseModel):
    """``notices.reply.submitted.v1``: the project department replied (整改回复); review is due."""

    notice_id: str
    number: str
    reply_id: str
    round: int
    text: str
    photos: list[MediaRef]
    replied_by: PersonRef
    reviewer_user_id: str
    submitted_at: datetime
    version: int | None = None
    """The notice's version after this change (1 issued, +1 per reply and per review; a review
    and the closing it causes share one). Absent in events published before it existed."""


class ReplyReviewed(BaseModel):
    """``notices.reply.reviewed.v1``: the supervisor passed or failed a reply (HB-08)."""

    notice_id: str
    number: str
    reply_id: str
    round: int
    passed: bool
    comment: str
    reviewed_by: PersonRef
    replier_user_ids: list[str]
    reviewed_at: datetime
    version: int | None = None
    """The notice's version after this change (1 issued, +1 per reply and per review; a review
    and the closing it causes share one). Absent in events published before it existed."""


class NoticeClosed(BaseModel):
    """``notices.notice.closed.v1``: a reply passed review; the rectification flow ended."""

    notice_id: str
    number: str
    closed_at: datetime
    rounds: int
    version: int | None = None
    """The notice's version after this change (1 issued, +1 per reply and per review; a review
    and the closing it causes share one). Absent in events published before it existed."""


DocumentType = Literal["rectification", "stop_work", "resume_work", "bad_conduct", "equipment_restriction",
                       "partial_stop_work"]
"""HN-07 的六种通知书: rectification 整改通知, stop_work 停工通知, resume_work 复工通知,
bad_conduct 不良行为记录通知, equipment_restriction 工程设备使用限制通知, partial_stop_work 局部停工通知."""

DocumentStatus = Literal["pending_review", "rejected", "issued", "closed"]
"""pending_review 待审核 (has report recipients), rejected 审核未通过 (back to the issuer),
issued 已下达 (repliers must reply by the deadline), closed 已办结 (every replier's reply accepted)."""

EscalationKind = Literal["penalty_recommendation", "bad_conduct_record"]
"""What an overdue document turns into (tenant configuration per document type):
penalty_recommendation 处罚建议书, bad_conduct_record 不良行为记录."""


class DocumentSubmitted(BaseModel):
    """``notices.document.submitted.v1``: a supervisor submitted an enforcement document
    (处理文书, HN-07). It never changes afterwards. ``status`` is ``pending_review`` when it
    has report recipients (all must approve), else ``issued`` (then
    ``notices.document.issued.v1`` follows in the same transaction)."""

    document_id: str
    number: str
    """Numbered per tenant, type and year in the tenant's format, e.g. ``琼安监整〔2026〕0012号``."""
    document_type: DocumentType
    project_id: str
    project_name: str
    station_org_id: str
    record_id: str
    """The one supervision record (of the same project) the document rests on."""
    addressed_org_ids: list[str]
    """受文单位: the units addressed (one or more)."""
    details: str
    deadline: date
    """Reply deadline: a day in the tenant's time zone (Asia/Shanghai); overdue the day after."""
    replier_user_ids: list[str]
    report_recipient_ids: list[str] = []
    issue_recipient_ids: list[str] = []
    status: DocumentStatus
    submitted_by: PersonRef
    submitted_at: datetime


class DocumentReviewed(BaseModel):
    """``notices.document.reviewed.v1``: a report recipient approved or rejected a document
    before its issue (HN-08 上报给我的). ``status`` after this review: ``pending_review`` while
    others must still approve, ``issued`` on the last approval, ``rejected`` on a rejection."""

    document_id: str
    number: str
    project_id: str
    reviewer: PersonRef
    decision: Literal["approve", "reject"]
    comment: str = ""
    status: DocumentStatus
    submitted_by_user_id: str
    reviewed_at: datetime


class DocumentIssued(BaseModel):
    """``notices.document.issued.v1``: a document reached its repliers and issue recipients
    (下达); from now on its deadline runs."""

    document_id: str
    number: str
    document_type: DocumentType
    project_id: str
    project_name: str
    station_org_id: str
    record_id: str
    deadline: date
    replier_user_ids: list[str]
    issue_recipient_ids: list[str] = []
    submitted_by_user_id: str
    issued_at: datetime


class DocumentReplied(BaseModel):
    """``notices.document.replied.v1``: a replier replied (回复) with text, photos and
    attachments; the issuer reviews it (HN-09)."""

    document_id: str
    number: str
    reply_id: str
    text: str
    photos: list[MediaRef] = []
    attachments: list[MediaRef] = []
    replied_by: PersonRef
    reviewer_user_id: str
    """The document's issuer, who reviews every reply."""
    submitted_at: datetime


class DocumentReplyReviewed(BaseModel):
    """``notices.document.reply_reviewed.v1``: the issuer accepted or rejected one reply
    (HN-09 我审核的). A rejected replier replies again."""

    document_id: str
    number: str
    reply_id: str
    replier_user_id: str
    accepted: bool
    comment: str = ""
    reviewed_by: PersonRef
    reviewed_at: datetime


class DocumentClosed(BaseModel):
    """``notices.document.closed.v1``: every replier's reply was accepted (已办结)."""

    document_id: str
    number: str
    project_id: str
    closed_at: datetime


class DocumentEscalated(BaseModel):
    """``notices.document.escalated.v1``: the deadline passed without every reply accepted;
    the platform produced a 处罚建议书 or 不良行为记录 (which one: tenant configuration per
    document type), exactly once per document. The issuer and the station leaders are told."""

    document_id: str
    number: str
    document_type: DocumentType
    project_id: str
    project_name: str
    station_org_id: str
    escalation_id: str
    kind: EscalationKind
    escalation_number: str
    """The produced document's own number, e.g. ``琼安监罚建〔2026〕0003号``."""
    deadline: date
    missing_replier_ids: list[str]
    """Repliers without an accepted reply at the deadline."""
    issuer_user_id: str
    station_leader_ids: list[str]
    escalated_at: datetime


EVENTS: dict[str, type[BaseModel]] = {
    "notices.notice.issued.v1": NoticeIssued,
    "notices.reply.submitted.v1": ReplySubmitted,
    "notices.reply.reviewed.v1": ReplyReviewed,
    "notices.notice.closed.v1": NoticeClosed,
    "notices.document.submitted.v1": DocumentSubmitted,
    "notices.document.reviewed.v1": DocumentReviewed,
    "notices.document.issued.v1": DocumentIssued,
    "notices.document.replied.v1": DocumentReplied,
    "notices.document.reply_reviewed.v1": DocumentReplyReviewed,
    "notices.document.closed.v1": DocumentClosed,
    "notices.document.escalated.v1": DocumentEscalated,
}
