"""Bodies of the supervision-record API (HN-04..HN-06) and its libraries, and the presenters.

Kept apart from ``schemas.py`` (the HB plan/result bodies) so the two flows evolve alone.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from anjian_shared.events.common import PersonRef
from anjian_shared.events.inspections_v1 import LibraryEntryRef, PhotoAnnotation
from anjian_shared.pagination import Page
from anjian_shared.review import decision_label
from anjian_shared.storage import Storage

from ...domain.libraries import CHECK_TYPE_LABELS, CheckType
from ...domain.records import (
    SENT_STATUS_LABELS,
    STATUS_LABELS,
    Decision,
    RecordStatus,
    SentStatus,
    sent_status,
)
from .deps import media_read
from .schemas import MediaRead

Text500 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


# --- libraries --------------------------------------------------------------------------------

class TermRead(BaseModel):
    """A standard term (标准规范术语) of the tenant's library; ``check_type`` quality |
    safety | combined; ``source`` jgj59 (JGJ 59-2011 item) | sample (illustrative quality
    starter list) | tenant (added by the tenant)."""

    code: str = Field(examples=["JGJ59-A.0.2-06"])
    check_type: CheckType
    text: str = Field(examples=["文明施工：现场防火"])
    reference: str | None = Field(default=None, examples=["JGJ 59-2011 表A.0.2（保证项目）"])
    source: str = "tenant"
    seeded: bool = False


class TermCreate(BaseModel):
    """HN-04: a new term of the tenant's library (``code`` optional: ``CUST-…`` generated)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "check_type": "quality", "code": "HN-ZL-01", "text": "后浇带未按方案留置和封闭",
        "reference": "GB 50204-2015 混凝土结构工程施工质量验收规范"}]})

    check_type: CheckType
    code: Code | None = None
    text: Text500
    reference: Text200 | None = None


class TermUpdate(BaseModel):
    """HN-04: change a term's text, reference or check type (records keep their copy)."""

    model_config = ConfigDict(extra="forbid")

    check_type: CheckType | None = None
    text: Text500 | None = None
    reference: Text200 | None = None


class ViolationRead(BaseModel):
    """A violation (违法违规行为) of the tenant's library; ``source`` major2024 (an item of the
    2024 major-hazard standard) | tenant."""

    code: str = Field(examples=["ZD2024-5.1"])
    text: str
    reference: str | None = Field(default=None, examples=["建质规〔2024〕5号 第5条"])
    category: str | None = Field(default=None, examples=["基坑、边坡工程"])
    source: str = "tenant"
    seeded: bool = False


class ViolationCreate(BaseModel):
    """HN-04: a new violation of the tenant's library (``code`` optional)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "code": "HN-WF-01", "text": "未取得施工许可证擅自施工", "reference": "《建筑法》第七条",
        "category": "建设程序"}]})

    code: Code | None = None
    text: Text500
    reference: Text200 | None = None
    category: Text200 | None = None


class ViolationUpdate(BaseModel):
    """HN-04: change a violation's text, reference or category."""

    model_config = ConfigDict(extra="forbid")

    text: Text500 | None = None
    reference: Text200 | None = None
    category: Text200 | None = None


TermPage = Page[TermRead]
ViolationPage = Page[ViolationRead]


# --- records ------------------------------------------------------------------------------------

class RecordPhotoRead(MediaRead):
    """A photo of a record: ``url`` (15 minutes), pixel size and the shapes drawn over it."""

    width: int | None = None
    height: int | None = None
    annotations: list[PhotoAnnotation] = []


class ReviewRead(BaseModel):
    """One review (审核) of a record by a report recipient."""

    reviewer: PersonRef
    decision: Decision
    decision_label: str = Field("", examples=["不通过"], description="通过 | 不通过")
    comment: str = ""
    reviewed_at: datetime


class ReportRecipientRead(PersonRef):
    """A report recipient (上报接收人) and their decision so far (null: not yet)."""

    decision: Decision | None = None
    decision_label: str = Field("待审核", examples=["通过"], description="通过 | 不通过 | 待审核 (no decision yet)")


class NoticeDraftRead(BaseModel):
    """HN-04 同时下发整改通知: a pre-filled 整改通知 for the notices service's document form.
    ``replier_user_ids`` is a suggestion (the project managers of the project). A record citing
    a 重大事故隐患 drafts a 停工通知 (``stop_work``): notices accepts nothing weaker on it (HN-07)."""

    document_type: Literal["rectification", "stop_work"] = Field(
        "rectification", description="整改通知 rectification | 停工通知 stop_work for a major-hazard record "
                                     "(notices' DocumentType codes)")
    project_id: str
    project_name: str = ""
    record_id: str
    addressed_org_ids: list[str]
    details: str
    replier_user_ids: list[str]
    repliers: list[PersonRef] = []


class RecordRead(BaseModel):
    """A supervision record (监督检查记录, HN-04). ``status``: pending_review 待审核 | issued 已下达
    | internal 监督内档 | rejected 审核未通过; ``sent_status`` its 我发送的 tab (pending_review |
    approved | rejected). ``notice_draft`` only for the sender, when they asked for it. Every
    code comes with its Chinese ``…_label`` (status, sent status, check type, decisions)."""

    id: str
    project_id: str
    project_name: str
    station_org_id: str
    check_type: CheckType
    check_type_label: str = Field("", examples=["安全"], description="质量 | 安全 | 综合")
    part_checked: str
    terms: list[LibraryEntryRef]
    violations: list[LibraryEntryRef]
    supplement: str
    photos: list[RecordPhotoRead]
    videos: list[MediaRead]
    audios: list[MediaRead]
    submitted_by: PersonRef
    report_recipients: list[ReportRecipientRead]
    issue_recipients: list[PersonRef]
    status: RecordStatus
    status_label: str = Field(examples=["待审核"])
    sent_status: SentStatus
    sent_status_label: str = Field("", examples=["审核通过"], description="待审核 | 审核通过 | 审核未通过")
    reviews: list[ReviewRead]
    also_issue_notice: bool
    notice_draft: NoticeDraftRead | None = None
    major_hazard: bool = Field(False, description="重大事故隐患: a cited violation is an item of the 2024 standard "
                                                  "(decided from the catalog; only a (partial) stop-work notice "
                                                  "may rest on this record, HN-07)")
    major_hazard_codes: list[str] = Field([], examples=[["ZD2024-5.4"]], description="the major items cited")
    submitted_at: datetime
    released_at: datetime | None = None
    decided_at: datetime | None = None


RecordPage = Page[RecordRead]


class ReviewCreate(BaseModel):
    """HN-05/06 审核: ``approve`` or ``reject``; ``comment`` required when rejecting."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"decision": "approve", "comment": "同意下达"},
        {"decision": "reject", "comment": "请补充2#楼5层的照片并注明具体违反条款"}]})

    decision: Decision
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class SentCounts(BaseModel):
    pending_review: int
    approved: int
    rejected: int


class ReceivedCounts(BaseModel):
    to_review: int
    reviewed: int
    issued: int


class RecordCountsRead(BaseModel):
    """Badge counts of 我发送的 (HN-05) and 我接收的 (HN-06)."""

    sent: SentCounts
    received: ReceivedCounts


async def record_read(storage: Storage, doc: dict[str, Any], viewer_id: str) -> RecordRead:
    """HN-04..06: The response body of a record document for ``viewer_id`` (media with presigned URLs;
    the notice draft only for the sender)."""
    people: dict[str, str] = doc.get("people", {})
    photos = await asyncio.gather(*(media_read(storage, {k: v for k, v in p.items()
                                                        if k not in ("width", "height", "annotations")})
                                    for p in doc.get("photos", [])))
    videos = await asyncio.gather(*(media_read(storage, v) for v in doc.get("videos", [])))
    audios = await asyncio.gather(*(media_read(storage, a) for a in doc.get("audios", [])))
    decisions = {r["reviewer"]["user_id"]: r["decision"] for r in doc.get("reviews", [])}
    sender = doc["submitted_by"]["user_id"]
    return RecordRead(
        id=doc["_id"], project_id=doc["project_id"], project_name=doc.get("project_name", ""),
        station_org_id=doc["station_org_id"], check_type=doc["check_type"],
        check_type_label=CHECK_TYPE_LABELS.get(doc["check_type"], doc["check_type"]), part_checked=doc["part_checked"],
        terms=doc.get("terms", []), violations=doc.get("violations", []), supplement=doc.get("supplement", ""),
        photos=[RecordPhotoRead(**m.model_dump(), width=p.get("width"), height=p.get("height"),
                                annotations=p.get("annotations", []))
                for m, p in zip(photos, doc.get("photos", []), strict=True) if m is not None],
        videos=[v for v in videos if v is not None], audios=[a for a in audios if a is not None],
        submitted_by=PersonRef(user_id=sender, name=doc["submitted_by"].get("name") or sender),
        report_recipients=[ReportRecipientRead(user_id=u, name=people.get(u) or u, decision=decisions.get(u),
                                               decision_label=decision_label(decisions.get(u)))
                           for u in doc.get("report_recipient_ids", [])],
        issue_recipients=[PersonRef(user_id=u, name=people.get(u) or u) for u in doc.get("issue_recipient_ids", [])],
        status=doc["status"], status_label=STATUS_LABELS[doc["status"]], sent_status=sent_status(doc["status"]),
        sent_status_label=SENT_STATUS_LABELS[sent_status(doc["status"]).value],
        reviews=[{**r, "decision_label": decision_label(r.get("decision"))} for r in doc.get("reviews", [])],
        also_issue_notice=doc.get("also_issue_notice", False),
        notice_draft=doc.get("notice_draft") if viewer_id == sender else None,
        major_hazard=bool(doc.get("major_hazard")), major_hazard_codes=doc.get("major_hazard_codes", []),
        submitted_at=doc["submitted_at"], released_at=doc.get("released_at"), decided_at=doc.get("decided_at"),
    )
