"""Events published by notices, version 1: Hubei 告知书 (HB-06, HB-08) and the Hainan
enforcement documents 处理文书 (HN-07..HN-09)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .common import EventModel, MediaRef, PersonRef
from .inspections_v1 import Disposition

_VERSION_DOC = ("the notice's version after this change (1 issued, +1 per reply and per review; a review "
                "and the closing it causes share one); absent in events published before it existed")
_OLDER = " (absent from older events)"
_ZHANG = {"user_id": "d61b569304104d3f831d4fdcd631573f", "name": "张伟"}
_WANG = {"user_id": "9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a", "name": "王强"}
_LIU = {"user_id": "8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b", "name": "刘洋"}
_NOTICE = {"notice_id": "4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a", "number": "鄂安监告〔2026〕0001号"}
_NOTICE_PROJECT = {"project_id": "c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8", "project_name": "武汉光谷科技园二期"}
_REPLY_PHOTO = {"bucket": "anjian-notices", "key": "hubei/replies/6e7f8a9b0c1d.jpg", "content_type": "image/jpeg",
                "size": 201344, "sha256": None, "filename": "整改后.jpg"}


class NoticeIssued(EventModel):
    """``notices.notice.issued.v1``: a 告知书 was issued to a contractor's project department."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_NOTICE, "plan_id": "a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4", **_NOTICE_PROJECT,
        "station_org_id": "0b6a3c1e9d2f4e5a8b7c6d5e4f3a2b1c", "addressee_org_id": "6f1c2b9e0a4d4c3b8e7f5a1d2c3b4a59",
        "disposition": "限期整改", "title": "安全隐患整改告知书", "construction_stage": "主体施工",
        "rectification_date": "2026-12-05", "issued_by": _ZHANG, "replier_user_ids": [_LIU["user_id"]],
        "issued_at": "2026-11-25T06:00:00Z", "version": 1,
        "addressee_name": "中建三局第一建设工程有限责任公司", "station_name": "武汉市建设工程安全监督站"}]})

    notice_id: str = Field(description="the notice (告知书)")
    number: str
    """Reference numbered per tenant and year, e.g. ``鄂安监告〔2026〕0001号``."""
    plan_id: str = Field(description="the inspection plan it was issued from")
    project_id: str = Field(description="the project")
    project_name: str = Field(description="the project's name")
    station_org_id: str = Field(description="the issuing station")
    addressee_org_id: str = Field(description="the contractor addressed (施工单位项目部)")
    disposition: Disposition = Field(description="处置情况: 无隐患 | 现场整改 | 限期整改 | 停工整改")
    title: str = Field(description="the notice's title")
    construction_stage: str = Field(description="the construction stage (施工阶段)")
    rectification_date: date = Field(description="rectify and reply by this day (整改期限, Asia/Shanghai)")
    issued_by: PersonRef = Field(description="the responsible supervisor who issued it")
    replier_user_ids: list[str] = Field(description="the project department people who reply")
    issued_at: datetime = Field(description="when (UTC)")
    version: int | None = Field(default=None, description=_VERSION_DOC)
    addressee_name: str | None = Field(default=None, description="the addressee's name" + _OLDER)
    station_name: str | None = Field(default=None, description="the issuing station's name" + _OLDER)


class ReplySubmitted(EventModel):
    """``notices.reply.submitted.v1``: the project department replied (整改回复); review is due."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_NOTICE, "reply_id": "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", "round": 1,
        "text": "已按要求在12层东侧临边设置防护栏杆并挂设安全网。", "photos": [_REPLY_PHOTO], "replied_by": _LIU,
        "reviewer_user_id": _ZHANG["user_id"], "submitted_at": "2026-11-28T03:00:00Z", "version": 2,
        **_NOTICE_PROJECT, "rectification_date": "2026-12-05"}]})

    notice_id: str = Field(description="the notice replied to")
    number: str = Field(description="the notice's number")
    reply_id: str = Field(description="the reply's id")
    round: int = Field(description="the reply round (1 first; +1 after each failed review)")
    text: str = Field(description="what was done (整改情况)")
    photos: list[MediaRef] = Field(description="photos of the rectification")
    replied_by: PersonRef = Field(description="who replied")
    reviewer_user_id: str = Field(description="the supervisor who reviews it")
    submitted_at: datetime = Field(description="when (UTC)")
    version: int | None = Field(default=None, description=_VERSION_DOC)
    project_id: str | None = Field(default=None, description="the notice's project" + _OLDER)
    project_name: str | None = Field(default=None, description="the project's name" + _OLDER)
    rectification_date: date | None = Field(default=None, description="the notice's rectification date" + _OLDER)


class ReplyReviewed(EventModel):
    """``notices.reply.reviewed.v1``: the supervisor passed or failed a reply (HB-08)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_NOTICE, "reply_id": "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", "round": 1, "passed": True,
        "comment": "整改到位", "reviewed_by": _ZHANG, "replier_user_ids": [_LIU["user_id"]],
        "reviewed_at": "2026-11-29T02:00:00Z", "version": 3, **_NOTICE_PROJECT}]})

    notice_id: str = Field(description="the notice")
    number: str = Field(description="the notice's number")
    reply_id: str = Field(description="the reply reviewed")
    round: int = Field(description="the reply round")
    passed: bool = Field(description="true: passed (the notice closes); false: reply again")
    comment: str = Field(description="the supervisor's comment")
    reviewed_by: PersonRef = Field(description="the supervisor who reviewed")
    replier_user_ids: list[str] = Field(description="the project department people who reply")
    reviewed_at: datetime = Field(description="when (UTC)")
    version: int | None = Field(default=None, description=_VERSION_DOC)
    project_id: str | None = Field(default=None, description="the notice's project" + _OLDER)
    project_name: str | None = Field(default=None, description="the project's name" + _OLDER)


class NoticeClosed(EventModel):
    """``notices.notice.closed.v1``: a reply passed review; the rectification flow ended."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_NOTICE, "closed_at": "2026-11-29T02:00:00Z", "rounds": 1, "version": 3, **_NOTICE_PROJECT,
        "plan_id": "a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4", "station_org_id": "0b6a3c1e9d2f4e5a8b7c6d5e4f3a2b1c"}]})

    notice_id: str = Field(description="the notice closed")
    number: str = Field(description="the notice's number")
    closed_at: datetime = Field(description="when (UTC)")
    rounds: int = Field(description="how many reply rounds it took")
    version: int | None = Field(default=None, description=_VERSION_DOC)
    project_id: str | None = Field(default=None, description="the notice's project" + _OLDER)
    project_name: str | None = Field(default=None, description="the project's name" + _OLDER)
    plan_id: str | None = Field(default=None, description="the plan it was issued from" + _OLDER)
    station_org_id: str | None = Field(default=None, description="the issuing station" + _OLDER)


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

_DOC_TYPE = ("rectification 整改通知 | stop_work 停工通知 | resume_work 复工通知 | bad_conduct 不良行为记录通知 | "
             "equipment_restriction 工程设备使用限制通知 | partial_stop_work 局部停工通知")
_DOC_STATUS = "pending_review 待审核 | rejected 审核未通过 | issued 已下达 | closed 已办结"
_DOC = {"document_id": "7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d", "number": "琼安监整〔2026〕0012号"}
_DOC_PROJECT = {"project_id": "f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5", "project_name": "海口江东新区总部经济区A08地块"}
_HN_STATION = "5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d"


class DocumentSubmitted(EventModel):
    """``notices.document.submitted.v1``: a supervisor submitted an enforcement document
    (处理文书, HN-07). It never changes afterwards. ``status`` is ``pending_review`` when it
    has report recipients (all must approve), else ``issued`` (then
    ``notices.document.issued.v1`` follows in the same transaction)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_DOC, "document_type": "rectification", **_DOC_PROJECT, "station_org_id": _HN_STATION,
        "record_id": "e5f4a3b2c1d0e9f8a7b6c5d4c3b2a1f0", "addressed_org_ids": ["6f1c2b9e0a4d4c3b8e7f5a1d2c3b4a59"],
        "details": "你单位承建的3#楼12层东侧临边防护缺失，限于2026年12月5日前整改完毕并书面回复。",
        "deadline": "2026-12-05", "replier_user_ids": [_LIU["user_id"]], "report_recipient_ids": [_WANG["user_id"]],
        "issue_recipient_ids": [], "status": "pending_review", "submitted_by": _ZHANG,
        "submitted_at": "2026-11-21T01:30:00Z"}]})

    document_id: str = Field(description="the enforcement document (处理文书)")
    number: str
    """Numbered per tenant, type and year in the tenant's format, e.g. ``琼安监整〔2026〕0012号``."""
    document_type: DocumentType = Field(description=_DOC_TYPE)
    project_id: str = Field(description="the project")
    project_name: str = Field(description="the project's name")
    station_org_id: str = Field(description="the issuing station")
    record_id: str
    """The one supervision record (of the same project) the document rests on."""
    addressed_org_ids: list[str]
    """受文单位: the units addressed (one or more)."""
    details: str = Field(description="the document's text (what is wrong, what to do)")
    deadline: date
    """Reply deadline: a day in the tenant's time zone (Asia/Shanghai); overdue the day after."""
    replier_user_ids: list[str] = Field(description="who must reply (回复人)")
    report_recipient_ids: list[str] = Field(default=[], description="who must approve it before its issue (上报接收人)")
    issue_recipient_ids: list[str] = Field(default=[], description="who else receives it once issued (下达接收人)")
    status: DocumentStatus = Field(description=f"status right after submission: {_DOC_STATUS}")
    submitted_by: PersonRef = Field(description="the supervisor who submitted it (the issuer)")
    submitted_at: datetime = Field(description="when (UTC)")


class DocumentReviewed(EventModel):
    """``notices.document.reviewed.v1``: a report recipient approved or rejected a document
    before its issue (HN-08 上报给我的). ``status`` after this review: ``pending_review`` while
    others must still approve, ``issued`` on the last approval, ``rejected`` on a rejection."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_DOC, "project_id": _DOC_PROJECT["project_id"], "reviewer": _WANG, "decision": "approve",
        "comment": "同意下达", "status": "issued", "submitted_by_user_id": _ZHANG["user_id"],
        "reviewed_at": "2026-11-21T02:00:00Z", "project_name": _DOC_PROJECT["project_name"],
        "document_type": "rectification", "deadline": "2026-12-05"}]})

    document_id: str = Field(description="the document reviewed")
    number: str = Field(description="its number")
    project_id: str = Field(description="its project")
    reviewer: PersonRef = Field(description="the report recipient who reviewed")
    decision: Literal["approve", "reject"] = Field(description="approve 通过 | reject 退回")
    comment: str = Field(default="", description="the reviewer's comment (required to reject)")
    status: DocumentStatus = Field(description=f"the document's status after this review: {_DOC_STATUS}")
    submitted_by_user_id: str = Field(description="the issuer")
    reviewed_at: datetime = Field(description="when (UTC)")
    project_name: str | None = Field(default=None, description="the project's name" + _OLDER)
    document_type: DocumentType | None = Field(default=None, description="the document's type" + _OLDER)
    deadline: date | None = Field(default=None, description="the reply deadline" + _OLDER)


class DocumentIssued(EventModel):
    """``notices.document.issued.v1``: a document reached its repliers and issue recipients
    (下达); from now on its deadline runs."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_DOC, "document_type": "rectification", **_DOC_PROJECT, "station_org_id": _HN_STATION,
        "record_id": "e5f4a3b2c1d0e9f8a7b6c5d4c3b2a1f0", "deadline": "2026-12-05",
        "replier_user_ids": [_LIU["user_id"]], "issue_recipient_ids": [], "submitted_by_user_id": _ZHANG["user_id"],
        "issued_at": "2026-11-21T02:00:00Z", "addressed_org_ids": ["6f1c2b9e0a4d4c3b8e7f5a1d2c3b4a59"],
        "details": "你单位承建的3#楼12层东侧临边防护缺失，限于2026年12月5日前整改完毕并书面回复。"}]})

    document_id: str = Field(description="the document issued")
    number: str = Field(description="its number")
    document_type: DocumentType = Field(description=_DOC_TYPE)
    project_id: str = Field(description="its project")
    project_name: str = Field(description="the project's name")
    station_org_id: str = Field(description="the issuing station")
    record_id: str = Field(description="the supervision record it rests on")
    deadline: date = Field(description="reply by this day (Asia/Shanghai); overdue the day after")
    replier_user_ids: list[str] = Field(description="who must reply")
    issue_recipient_ids: list[str] = Field(default=[], description="who else receives it")
    submitted_by_user_id: str = Field(description="the issuer")
    issued_at: datetime = Field(description="when (UTC)")
    addressed_org_ids: list[str] | None = Field(default=None, description="受文单位, the units addressed" + _OLDER)
    details: str | None = Field(default=None, description="the document's text" + _OLDER)


class DocumentReplied(EventModel):
    """``notices.document.replied.v1``: a replier replied (回复) with text, photos and
    attachments; the issuer reviews it (HN-09)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_DOC, "reply_id": "8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e", "text": "已完成整改，详见附件整改报告。",
        "photos": [{**_REPLY_PHOTO, "key": "hainan/document-replies/9c0d1e2f3a4b.jpg"}],
        "attachments": [{"bucket": "anjian-notices", "key": "hainan/document-replies/0d1e2f3a4b5c.pdf",
                         "content_type": "application/pdf", "size": 523264, "sha256": None,
                         "filename": "整改报告.pdf"}],
        "replied_by": _LIU, "reviewer_user_id": _ZHANG["user_id"], "submitted_at": "2026-12-01T03:00:00Z",
        **_DOC_PROJECT, "document_type": "rectification", "deadline": "2026-12-05"}]})

    document_id: str = Field(description="the document replied to")
    number: str = Field(description="its number")
    reply_id: str = Field(description="the reply's id")
    text: str = Field(description="the reply's text")
    photos: list[MediaRef] = Field(default=[], description="photos of the rectification")
    attachments: list[MediaRef] = Field(default=[], description="attached files (PDF, Office documents)")
    replied_by: PersonRef = Field(description="who replied")
    reviewer_user_id: str
    """The document's issuer, who reviews every reply."""
    submitted_at: datetime = Field(description="when (UTC)")
    project_id: str | None = Field(default=None, description="the document's project" + _OLDER)
    project_name: str | None = Field(default=None, description="the project's name" + _OLDER)
    document_type: DocumentType | None = Field(default=None, description="the document's type" + _OLDER)
    deadline: date | None = Field(default=None, description="the reply deadline" + _OLDER)


class DocumentReplyReviewed(EventModel):
    """``notices.document.reply_reviewed.v1``: the issuer accepted or rejected one reply
    (HN-09 我审核的). A rejected replier replies again."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_DOC, "reply_id": "8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e", "replier_user_id": _LIU["user_id"],
        "accepted": False, "comment": "整改报告缺少验收签字，请补充后重新回复", "reviewed_by": _ZHANG,
        "reviewed_at": "2026-12-01T06:00:00Z", **_DOC_PROJECT, "document_type": "rectification",
        "deadline": "2026-12-05"}]})

    document_id: str = Field(description="the document")
    number: str = Field(description="its number")
    reply_id: str = Field(description="the reply reviewed")
    replier_user_id: str = Field(description="who replied")
    accepted: bool = Field(description="true: accepted; false: the replier replies again")
    comment: str = Field(default="", description="the issuer's comment (required to reject)")
    reviewed_by: PersonRef = Field(description="the issuer who reviewed")
    reviewed_at: datetime = Field(description="when (UTC)")
    project_id: str | None = Field(default=None, description="the document's project" + _OLDER)
    project_name: str | None = Field(default=None, description="the project's name" + _OLDER)
    document_type: DocumentType | None = Field(default=None, description="the document's type" + _OLDER)
    deadline: date | None = Field(default=None, description="the reply deadline" + _OLDER)


class DocumentClosed(EventModel):
    """``notices.document.closed.v1``: every replier's reply was accepted (已办结)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_DOC, "project_id": _DOC_PROJECT["project_id"], "closed_at": "2026-12-02T01:00:00Z",
        "project_name": _DOC_PROJECT["project_name"], "document_type": "rectification",
        "station_org_id": _HN_STATION}]})

    document_id: str = Field(description="the document closed")
    number: str = Field(description="its number")
    project_id: str = Field(description="its project")
    closed_at: datetime = Field(description="when (UTC)")
    project_name: str | None = Field(default=None, description="the project's name" + _OLDER)
    document_type: DocumentType | None = Field(default=None, description="the document's type" + _OLDER)
    station_org_id: str | None = Field(default=None, description="the issuing station" + _OLDER)


class DocumentEscalated(EventModel):
    """``notices.document.escalated.v1``: the deadline passed without every reply accepted;
    the platform produced a 处罚建议书 or 不良行为记录 (which one: tenant configuration per
    document type), exactly once per document. The issuer and the station leaders are told."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_DOC, "document_type": "rectification", **_DOC_PROJECT, "station_org_id": _HN_STATION,
        "escalation_id": "1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b", "kind": "penalty_recommendation",
        "escalation_number": "琼安监罚建〔2026〕0003号", "deadline": "2026-12-05",
        "missing_replier_ids": [_LIU["user_id"]], "issuer_user_id": _ZHANG["user_id"],
        "station_leader_ids": [_WANG["user_id"]], "escalated_at": "2026-12-05T16:00:05Z"}]})

    document_id: str = Field(description="the overdue document")
    number: str = Field(description="its number")
    document_type: DocumentType = Field(description=_DOC_TYPE)
    project_id: str = Field(description="its project")
    project_name: str = Field(description="the project's name")
    station_org_id: str = Field(description="the issuing station")
    escalation_id: str = Field(description="the produced document's id")
    kind: EscalationKind = Field(description="penalty_recommendation 处罚建议书 | bad_conduct_record 不良行为记录")
    escalation_number: str
    """The produced document's own number, e.g. ``琼安监罚建〔2026〕0003号``."""
    deadline: date = Field(description="the deadline that passed")
    missing_replier_ids: list[str]
    """Repliers without an accepted reply at the deadline."""
    issuer_user_id: str = Field(description="the document's issuer (told)")
    station_leader_ids: list[str] = Field(description="the station's leaders (told)")
    escalated_at: datetime = Field(description="when (UTC)")
    discretion_violation_code: str | None = Field(
        default=None, description="HEB-18: the violation whose discretion-table entry the 处罚建议书 cites "
        "(the first violation of the record with an entry); None: no entry, or a 不良行为记录. The reviewer "
        "sets severity and amount (notices.escalation.penalty_set.v1)")


class DiscretionEntryChanged(EventModel):
    """``notices.discretion_entry.changed.v1`` (HEB-18): the province administrator created,
    replaced or deleted the discretion-table (自由裁量基准) entry of one violation."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "violation_code": "SAMPLE-001", "change": "created", "violation_name": "样例：临边防护缺失",
        "legal_basis": "样例：《建设工程安全生产管理条例》第六十五条（示例，非官方数值）",
        "ranges": {"minor": {"min_yuan": 0, "max_yuan": 10000}, "general": {"min_yuan": 10000, "max_yuan": 50000},
                   "serious": {"min_yuan": 50000, "max_yuan": 100000}},
        "changed_by": "u-admin", "changed_at": "2026-12-02T02:40:00Z"}]})

    violation_code: str = Field(description="the violation of the violations library (违法行为编码)")
    change: Literal["created", "replaced", "deleted"] = Field(description="what happened to the entry")
    violation_name: str | None = Field(default=None, description="the violation's name; None when deleted")
    legal_basis: str | None = Field(default=None, description="法律依据; None when deleted")
    ranges: dict[str, dict[str, int]] | None = Field(
        default=None, description="per severity minor 轻微 / general 一般 / serious 严重: {min_yuan, max_yuan} "
        "in whole yuan, min ≤ max; None when deleted")
    changed_by: str = Field(description="the province administrator's user id")
    changed_at: datetime = Field(description="when (UTC)")


class EscalationPenaltySet(EventModel):
    """``notices.escalation.penalty_set.v1`` (HEB-18): the station set the penalty of a
    处罚建议书, citing a discretion-table entry and an amount inside its range."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "document_id": "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "escalation_id": "1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b",
        "escalation_number": "冀安监罚建〔2026〕0001号", "violation_code": "SAMPLE-001", "severity": "general",
        "penalty_amount": 20000, "min_yuan": 10000, "max_yuan": 50000,
        "legal_basis": "样例：《建设工程安全生产管理条例》第六十五条（示例，非官方数值）", "set_by": "u-leader",
        "set_at": "2026-12-08T02:00:00Z"}]})

    document_id: str = Field(description="the overdue document")
    escalation_id: str = Field(description="the 处罚建议书")
    escalation_number: str = Field(description="its number")
    violation_code: str = Field(description="the cited entry's violation code")
    severity: Literal["minor", "general", "serious"] = Field(description="轻微 / 一般 / 严重")
    penalty_amount: int = Field(description="the penalty in whole yuan, inside the cited range")
    min_yuan: int = Field(description="the cited range's lower bound (yuan)")
    max_yuan: int = Field(description="the cited range's upper bound (yuan)")
    legal_basis: str = Field(description="the cited entry's legal basis (法律依据)")
    set_by: str = Field(description="who set it (a user of the issuing station)")
    set_at: datetime = Field(description="when (UTC)")


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
    "notices.discretion_entry.changed.v1": DiscretionEntryChanged,
    "notices.escalation.penalty_set.v1": EscalationPenaltySet,
    "notices.document.escalated.v1": DocumentEscalated,
}
