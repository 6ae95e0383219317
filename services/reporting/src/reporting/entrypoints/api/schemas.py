"""Request and response bodies of reporting's API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from anjian_shared.pagination import Page

from ...domain.share_links import MAX_MINUTES, MIN_MINUTES


class NotificationRead(BaseModel):
    """A 站内通知 (HB-03, HB-08). Link fields name what it is about (plan, notice, reply round)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "6f1c0e0a9b2d4c7e8f10a1b2c3d4e5f6", "kind": "notice_to_reply", "title": "告知书待整改回复",
        "body": "武汉光谷科技园二期收到告知书鄂安监告〔2026〕0001号（安全隐患整改告知书），处置情况：限期整改，"
                "请于2026年3月20日前完成整改并提交整改回复。",
        "plan_id": "0b7d2c5e9a1f4e3d8c6b5a4f3e2d1c0b", "notice_id": "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
        "reply_id": None, "round": None, "passed": None,
        "created_at": "2026-03-05T08:00:00Z", "read_at": None}]})

    id: str
    kind: Literal["plan_confirmed", "plan_joined", "plan_rescheduled", "plan_left", "plan_withdrawn",
                  "notice_to_reply", "reply_to_review", "reply_reviewed",
                  "record_to_review", "record_reviewed", "record_received",
                  "document_to_review", "document_to_reply", "document_received", "document_replied",
                  "document_reply_reviewed", "document_escalated", "application_to_handle",
                  "application_decided"]
    title: str
    body: str
    plan_id: str | None = None
    notice_id: str | None = None
    reply_id: str | None = None
    round: int | None = None
    passed: bool | None = None
    """For ``reply_reviewed``/``document_reply_reviewed``/``record_reviewed``: whether it passed review."""
    record_id: str | None = None
    """Hainan supervision record (HN-04) the notification is about."""
    document_id: str | None = None
    """Hainan enforcement document (HN-07) the notification is about."""
    application_id: str | None = None
    """Hebei application (事项, HEB-03, equipment service) the notification is about."""
    inspection_id: str | None = None
    """Fujian self-inspection (FJ-11, inspections service) whose notice is overdue."""
    created_at: datetime
    read_at: datetime | None = None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> NotificationRead:
        return cls(id=doc["_id"], **{k: doc.get(k) for k in (
            "kind", "title", "body", "plan_id", "notice_id", "reply_id", "round", "passed", "record_id",
            "document_id", "application_id", "inspection_id", "created_at", "read_at")})


class NotificationPage(Page[NotificationRead]):
    pass


class UnreadCount(BaseModel):
    unread: int = Field(examples=[3])


class MarkedRead(BaseModel):
    updated: int = Field(description="notifications marked read by this call", examples=[3])


class TodoRead(BaseModel):
    """A to-do (待办). HB-08 the rectification loop: ``reply_due`` for the project department,
    ``review_due`` for the reviewing supervisor (``notice_id``, ``number``, ``round``). HUN-01
    Hunan: ``certificate_application_to_decide`` (province office), ``assessment_to_finish`` (the
    assessor), ``dynamic_score_to_approve`` (agency leader), ``training_registration_to_review``
    (province training office) — each opens its task with ``object_kind``, ``object_id`` and
    ``api_path`` (GET it). ``done_at`` is set once it no longer applies."""

    id: str
    kind: Literal["reply_due", "review_due", "certificate_application_to_decide", "assessment_to_finish",
                  "dynamic_score_to_approve", "training_registration_to_review"]
    title: str
    body: str
    notice_id: str | None = Field(default=None, description="HB-08: the notice (告知书)")
    number: str | None = Field(default=None, description="HB-08: the notice's number")
    plan_id: str | None = None
    reply_id: str | None = None
    round: int | None = Field(default=None, description="HB-08: the reply round")
    object_kind: Literal["certificate_application", "assessment", "dynamic_score",
                         "training_registration"] | None = Field(default=None, description="HUN-01: what it opens")
    object_id: str | None = Field(default=None, description="HUN-01: the id of the object it opens")
    api_path: str | None = Field(default=None, description="HUN-01: the personnel API path that opens it")
    agency_org_id: str | None = Field(default=None, description="HUN-01: the agency concerned")
    created_at: datetime
    done_at: datetime | None = None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> TodoRead:
        return cls(id=doc["_id"], **{k: doc.get(k) for k in (
            "kind", "title", "body", "notice_id", "number", "plan_id", "reply_id", "round", "object_kind",
            "object_id", "api_path", "agency_org_id", "created_at", "done_at")})


class TodoPage(Page[TodoRead]):
    pass


class ShareLinkCreate(BaseModel):
    """How long the link works, in minutes (1 minute .. 7 days; default 1 day)."""

    model_config = ConfigDict(extra="forbid")

    expires_in_minutes: int = Field(default=1440, ge=MIN_MINUTES, le=MAX_MINUTES, examples=[1440])


class ShareLinkRead(BaseModel):
    """A new share link (HB-09). ``token`` is shown only now: the service keeps its hash only."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b", "document": "notice",
        "target_id": "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
        "token": "hubei.Xq3...43 characters...",
        "url": "https://anjian.example.cn/api/reporting/v1/shared/hubei.Xq3...",
        "qr_url": "https://anjian.example.cn/api/reporting/v1/shared/hubei.Xq3.../qr.png",
        "expires_at": "2026-03-06T08:00:00Z"}]})

    id: str
    document: Literal["notice", "plan"]
    target_id: str
    token: str
    url: str
    qr_url: str
    expires_at: datetime


class ShareLinkInfo(BaseModel):
    """A share link as listed to who may revoke it (HB-09): never its token (only its hash is kept)."""

    id: str
    document: Literal["notice", "plan"]
    target_id: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    status: Literal["active", "expired", "revoked"]
    revoked_at: datetime | None = None
    revoked_by: str | None = None


class ShareLinkPage(Page[ShareLinkInfo]):
    pass


class EscalationRead(BaseModel):
    """What an overdue document turned into (HN-07)."""

    kind: Literal["penalty_recommendation", "bad_conduct_record"]
    number: str
    escalated_at: datetime


class StationSearchItem(BaseModel):
    """One supervision record (``kind=record``, HN-04) or enforcement document
    (``kind=document``, HN-07) of a station (HN-10). ``type`` is the check type
    (quality/safety/combined) of a record or the document type; ``number`` is empty for records
    (they have none); ``deadline`` (reply deadline, a day in China time) only for documents."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "kind": "document", "id": "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b", "number": "琼安监整〔2026〕0012号",
        "type": "rectification", "type_label": "整改通知", "project_id": "0b7d2c5e9a1f4e3d8c6b5a4f3e2d1c0b",
        "project_name": "海口江东新区总部大楼", "submitter_id": "5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f",
        "submitter_name": "张伟", "station_org_id": "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d",
        "station_name": "海口市建设工程质量安全监督站", "submitted_at": "2026-11-20T02:30:00Z",
        "status": "issued", "status_label": "已下达", "deadline": "2026-11-30", "escalation": None,
        "summary": "3#楼5层临边防护缺失，限期整改"}]})

    kind: Literal["record", "document"]
    id: str
    number: str = ""
    type: str
    type_label: str
    project_id: str
    project_name: str
    submitter_id: str
    submitter_name: str
    station_org_id: str
    station_name: str = ""
    submitted_at: datetime
    status: str
    status_label: str
    deadline: date | None = None
    escalation: EscalationRead | None = None
    summary: str = ""


class StationSearchPage(Page[StationSearchItem]):
    pass
