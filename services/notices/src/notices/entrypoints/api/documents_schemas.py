"""Bodies of the enforcement-document API (处理文书, HN-07..HN-09) and the stored document →
response presenters. Media come with presigned GET URLs (``Settings.presign_minutes``)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.notices_v1 import DocumentType, EscalationKind
from anjian_shared.pagination import Page
from anjian_shared.storage import Storage
from anjian_shared.types import utcnow

from ...domain import documents as rules
from ...domain.document_config import (
    DOCUMENT_TYPE_LABELS,
    DOCUMENT_TYPES,
    ESCALATION_KIND_LABELS,
    ESCALATION_KINDS,
    document_type_code,
)
from ...domain.documents import REPLY_LABELS, STATUS_LABELS, Decision, DocumentStatus, ReplyStatus

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
IdList = Annotated[list[Id], Field(max_length=rules.MAX_PEOPLE)]
TypeIn = Annotated[DocumentType, BeforeValidator(document_type_code)]


class DocumentCreate(BaseModel):
    """HN-07 新建通知 (JSON). ``document_type`` also accepts the manual's Chinese name
    (``整改通知`` …). A record's ``notice_draft`` (inspections, HN-04 同时下发整改通知) is a
    valid body as returned once ``deadline`` is added: its display fields ``project_name``
    and ``repliers`` are accepted and ignored. Any other unknown field is refused (422)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "document_type": "rectification", "project_id": "6f1c0e0a9b2d4c7e8f10a1b2c3d4e5f6",
        "addressed_org_ids": ["0a1b2c3d4e5f60718293a4b5c6d7e8f9"], "record_id": "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "details": "3#楼12层临边防护缺失，限期整改并回复", "deadline": "2026-03-20",
        "replier_user_ids": ["1b2c3d4e5f60718293a4b5c6d7e8f90a"],
        "report_recipient_ids": [], "issue_recipient_ids": []}]})

    document_type: TypeIn = Field(description="rectification 整改通知 | stop_work 停工通知 | resume_work 复工通知 | "
                                              "bad_conduct 不良行为记录通知 | "
                                              "equipment_restriction 工程设备使用限制通知 | "
                                              "partial_stop_work 局部停工通知")
    project_id: Id = Field(description="a project of your station")
    addressed_org_ids: Annotated[list[Id], Field(min_length=1, max_length=rules.MAX_PEOPLE)] = Field(
        description="通知对象单位: 1..50 of the project's companies (owner, contractor, supervision)")
    record_id: Id = Field(description="问题详情: ONE supervision record of the same project (not rejected)")
    details: Annotated[str, StringConstraints(strip_whitespace=True, max_length=rules.MAX_TEXT_CHARS)] = Field(
        default="", description="通知详情: free text, 0..2000 characters")
    deadline: date = Field(description="截止日期 (a day, Asia/Shanghai); not before today unless backdated")
    backdated: bool = Field(default=False, description="补录: a paper document issued earlier — a past deadline "
                                                       "is accepted (and the document escalates at the next sweep "
                                                       "unless every reply is accepted)")
    replier_user_ids: Annotated[list[Id], Field(min_length=1, max_length=rules.MAX_PEOPLE)] = Field(
        description="回复人: 1..50 people of the project's parties (participants or users of its companies)")
    report_recipient_ids: IdList = Field(default_factory=list, description="上报接收人: station leaders/supervisors; "
                                                                          "ALL must approve before it is issued")
    issue_recipient_ids: IdList = Field(default_factory=list, description="下达接收人: people of the project's "
                                                                         "parties or the station")
    project_name: str | None = Field(default=None, exclude=True, max_length=200,
                                     description="ignored: display field of a record's notice_draft")
    repliers: list[dict[str, Any]] | None = Field(default=None, exclude=True, max_length=rules.MAX_PEOPLE,
                                                  description="ignored: display field of a record's notice_draft "
                                                              "(the names of replier_user_ids)")


class DocumentReviewCreate(BaseModel):
    """HN-08 审核 by a report recipient: ``comment`` required to reject."""

    model_config = ConfigDict(extra="forbid")

    decision: Decision
    comment: Annotated[str, StringConstraints(max_length=rules.MAX_TEXT_CHARS)] | None = None


class ReplyReviewCreate(BaseModel):
    """HN-09 审核 of a reply by the issuer, the one review shape: ``decision`` approve | reject,
    ``comment`` required to reject. ``accepted`` (true = approve) is the old field, still
    accepted for one release (deprecated)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"decision": "reject", "comment": "临边防护仍未封闭，请重新整改"}, {"decision": "approve"}]})

    decision: Decision | None = Field(default=None, description="approve (the reply is accepted) | reject")
    accepted: bool | None = Field(default=None, deprecated="send decision: approve | reject instead",
                                  description="deprecated: true = approve, false = reject")
    comment: Annotated[str, StringConstraints(max_length=rules.MAX_TEXT_CHARS)] | None = None

    @property
    def legacy_accepted(self) -> bool | None:
        """The deprecated ``accepted`` (read without the deprecation warning)."""
        return self.__dict__.get("accepted")


class MediaRead(BaseModel):
    """A stored file with a presigned URL (``url`` expires; GET the document again for a fresh one)."""

    content_type: str
    size: int = Field(description="bytes")
    filename: str | None = None
    sha256: str | None = None
    url: str


class LibraryRef(BaseModel):
    code: str
    text: str
    reference: str | None = None


class RecordRef(BaseModel):
    """The supervision record the document rests on (its problem details, 问题详情)."""

    record_id: str
    check_type: str | None = None
    part_checked: str = ""
    terms: list[LibraryRef] = []
    violations: list[LibraryRef] = []
    supplement: str = ""
    photo_count: int = 0
    submitted_by: PersonRef | None = None
    submitted_at: datetime | None = None


class DocumentReviewRead(BaseModel):
    reviewer: PersonRef
    decision: Decision
    comment: str = ""
    reviewed_at: datetime


class ReplyReviewRead(BaseModel):
    """The issuer's decision on a reply (``accepted`` mirrors ``decision == approve``)."""

    decision: Decision
    accepted: bool
    comment: str = ""
    reviewed_by: PersonRef
    reviewed_at: datetime


class ReplyRead(BaseModel):
    """One reply (回复) and its review by the issuer, if done."""

    id: str
    document_id: str
    number: str = Field(description="the document's number")
    document_type: DocumentType
    project_id: str
    project_name: str
    round: int = Field(description="1 for the replier's first reply, +1 after each rejection")
    text: str
    photos: list[MediaRead]
    attachments: list[MediaRead]
    replied_by: PersonRef
    status: ReplyStatus
    status_label: str = Field(examples=["待审核"])
    review: ReplyReviewRead | None = None
    submitted_at: datetime


class EscalationRead(BaseModel):
    """A 处罚建议书 (penalty_recommendation) or 不良行为记录 (bad_conduct_record) the platform
    produced for an overdue document."""

    id: str
    kind: EscalationKind
    kind_label: str = Field(examples=["处罚建议书"])
    number: str = Field(examples=["琼安监罚建〔2026〕0001号"])
    document_id: str
    document_number: str
    document_type: DocumentType
    project_id: str
    project_name: str
    station_org_id: str
    record_id: str
    addressed_org_ids: list[str]
    deadline: date
    missing_replier_ids: list[str] = Field(description="repliers without an accepted reply at the deadline")
    issuer_user_id: str
    station_leader_ids: list[str]
    escalated_at: datetime
    discretion_citation: dict[str, Any] | None = Field(
        default=None, description="HEB-18: the discretion-table entry a 处罚建议书 cites (violation_code, "
        "violation_name, legal_basis, ranges per severity in yuan); None: no entry for the record's violations")
    penalty: dict[str, Any] | None = Field(
        default=None, description="HEB-18: the penalty the station set (violation_code, severity, "
        "penalty_amount yuan, min_yuan, max_yuan, legal_basis, set_by, set_at); None until set")


class DocumentSummary(BaseModel):
    """A document in a view (no record details, reviews or replies)."""

    id: str
    number: str = Field(examples=["琼安监整〔2026〕0012号"])
    document_type: DocumentType
    document_type_label: str = Field(examples=["整改通知"])
    project_id: str
    project_name: str
    station_org_id: str
    record_id: str
    addressed_org_ids: list[str]
    details: str
    deadline: date
    backdated: bool
    overdue: bool = Field(description="deadline day passed (Asia/Shanghai) and not closed")
    status: DocumentStatus
    status_label: str = Field(examples=["已下达"])
    submitted_by: PersonRef
    repliers: list[PersonRef]
    accepted_replier_ids: list[str]
    pending_replier_ids: list[str] = Field(description="repliers whose reply awaits the issuer's review")
    report_recipients: list[PersonRef]
    issue_recipients: list[PersonRef]
    reply_count: int
    escalated: bool
    escalated_at: datetime | None = None
    closed_after_escalation: bool = False
    submitted_at: datetime
    issued_at: datetime | None = None
    closed_at: datetime | None = None


class DocumentRead(DocumentSummary):
    """A document with its record, reviews, every reply (oldest first) and — for the issuer,
    report recipients and station leaders — its escalation."""

    record: RecordRef
    reviews: list[DocumentReviewRead]
    replies: list[ReplyRead]
    escalation: EscalationRead | None = None


DocumentPage = Page[DocumentSummary]
ReplyPage = Page[ReplyRead]
EscalationPage = Page[EscalationRead]


class ReviewBoxCounts(BaseModel):
    to_review: int
    reviewed: int


class DocumentCountsRead(BaseModel):
    """HN-08/09 badge counts of the caller."""

    reported: dict[DocumentStatus, int] = Field(description="我上报的 per status")
    to_review: ReviewBoxCounts = Field(description="上报给我的")
    issued_to_me: int = Field(description="下达给我的")
    to_reply: int = Field(description="需我回复的")
    replies_mine: dict[ReplyStatus, int] = Field(description="我回复的 per reply status")
    replies_reviewed: ReviewBoxCounts = Field(description="我审核的")


ShortName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8)]


class DocumentConfigWrite(BaseModel):
    """HN-07 numbering configuration of the tenant (replaced as a whole)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "format": "{abbr}安监{type}〔{year}〕{seq}号", "abbr": "琼",
        "short_names": {"rectification": "整", "stop_work": "停", "resume_work": "复", "bad_conduct": "不良通",
                        "equipment_restriction": "限", "partial_stop_work": "局停",
                        "penalty_recommendation": "罚建", "bad_conduct_record": "不良"},
        "escalation_kinds": {"rectification": "penalty_recommendation", "stop_work": "penalty_recommendation",
                             "resume_work": "bad_conduct_record", "bad_conduct": "bad_conduct_record",
                             "equipment_restriction": "penalty_recommendation",
                             "partial_stop_work": "penalty_recommendation"}}]})

    format: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)] = Field(
        description="template with {abbr} {type} {year} {seq}; {type}, {year}, {seq} exactly once each")
    abbr: ShortName = Field(description="province abbreviation, e.g. 琼")
    short_names: dict[Literal[DOCUMENT_TYPES + ESCALATION_KINDS], ShortName] = Field(  # type: ignore[valid-type]
        description="{type} of every document type and escalation kind; all different")
    escalation_kinds: dict[DocumentType, EscalationKind] = Field(
        description="per document type what an overdue document produces")


class DocumentConfigRead(DocumentConfigWrite):
    model_config = ConfigDict(extra="ignore")

    source: Literal["default", "tenant"] = Field(description="default: never replaced by the tenant")
    updated_at: datetime | None = None
    updated_by: str | None = None
    document_type_labels: dict[str, str] = Field(default_factory=lambda: dict(DOCUMENT_TYPE_LABELS))
    escalation_kind_labels: dict[str, str] = Field(default_factory=lambda: dict(ESCALATION_KIND_LABELS))
    example_numbers: dict[str, str] = Field(default_factory=dict,
                                            description="what the next numbers look like, per type/kind")


# --- presenters ---------------------------------------------------------------------------------

def _person(people: dict[str, str], uid: str) -> PersonRef:
    return PersonRef(user_id=uid, name=people.get(uid) or uid)


async def _media(storage: Storage, refs: list[dict[str, Any]], minutes: int) -> list[MediaRead]:
    async def one(raw: dict[str, Any]) -> MediaRead:
        ref = MediaRef.model_validate(raw)
        url = await storage.presigned_get(ref, expires=timedelta(minutes=minutes))
        return MediaRead(content_type=ref.content_type, size=ref.size, filename=ref.filename, sha256=ref.sha256,
                         url=url)
    return list(await asyncio.gather(*(one(r) for r in refs)))


def document_summary(doc: dict[str, Any]) -> DocumentSummary:
    """HN-08: the view entry of a stored document."""
    people = doc.get("people", {})
    deadline = date.fromisoformat(doc["deadline"])
    return DocumentSummary(
        id=doc["_id"], number=doc["number"], document_type=doc["document_type"],
        document_type_label=DOCUMENT_TYPE_LABELS[doc["document_type"]], project_id=doc["project_id"],
        project_name=doc.get("project_name", ""), station_org_id=doc["station_org_id"], record_id=doc["record_id"],
        addressed_org_ids=doc["addressed_org_ids"], details=doc.get("details", ""), deadline=deadline,
        backdated=doc.get("backdated", False),
        overdue=doc["status"] != DocumentStatus.CLOSED.value and rules.is_overdue(deadline, now=utcnow()),
        status=doc["status"], status_label=STATUS_LABELS[doc["status"]],
        submitted_by=PersonRef(**doc["submitted_by"]),
        repliers=[_person(people, u) for u in doc["replier_user_ids"]],
        accepted_replier_ids=doc.get("accepted_replier_ids", []),
        pending_replier_ids=doc.get("pending_replier_ids", []),
        report_recipients=[_person(people, u) for u in doc.get("report_recipient_ids", [])],
        issue_recipients=[_person(people, u) for u in doc.get("issue_recipient_ids", [])],
        reply_count=doc.get("reply_count", 0), escalated=bool(doc.get("escalated")),
        escalated_at=doc.get("escalated_at"), closed_after_escalation=bool(doc.get("closed_after_escalation")),
        submitted_at=doc["submitted_at"], issued_at=doc.get("issued_at"), closed_at=doc.get("closed_at"))


async def reply_read(storage: Storage, reply: dict[str, Any], *, presign_minutes: int = 15) -> ReplyRead:
    """HN-09: the response body of a stored reply (media presigned)."""
    photos, attachments = await asyncio.gather(_media(storage, reply.get("photos", []), presign_minutes),
                                               _media(storage, reply.get("attachments", []), presign_minutes))
    review = reply.get("review")
    return ReplyRead(
        id=reply["_id"], document_id=reply["document_id"], number=reply["number"],
        document_type=reply["document_type"], project_id=reply["project_id"],
        project_name=reply.get("project_name", ""), round=reply.get("round", 1), text=reply["text"],
        photos=photos, attachments=attachments, replied_by=PersonRef(**reply["replied_by"]),
        status=reply["status"], status_label=REPLY_LABELS[reply["status"]],
        review=_reply_review(review) if review else None, submitted_at=reply["submitted_at"])


def _reply_review(review: dict[str, Any]) -> ReplyReviewRead:
    decision = review.get("decision") or Decision.of_accepted(review["accepted"])  # stored before decision
    return ReplyReviewRead(**{**review, "decision": decision, "accepted": decision == Decision.APPROVE})


def escalation_read(esc: dict[str, Any]) -> EscalationRead:
    """HN-07: the response body of a stored escalation."""
    return EscalationRead(
        id=esc["_id"], kind=esc["kind"], kind_label=ESCALATION_KIND_LABELS[esc["kind"]], number=esc["number"],
        document_id=esc["document_id"], document_number=esc["document_number"],
        document_type=esc["document_type"], project_id=esc["project_id"], project_name=esc.get("project_name", ""),
        station_org_id=esc["station_org_id"], record_id=esc["record_id"],
        addressed_org_ids=esc.get("addressed_org_ids", []), deadline=date.fromisoformat(esc["deadline"]),
        missing_replier_ids=esc.get("missing_replier_ids", []), issuer_user_id=esc["issuer_user_id"],
        station_leader_ids=esc.get("station_leader_ids", []), escalated_at=esc["escalated_at"],
        discretion_citation=esc.get("discretion_citation"), penalty=esc.get("penalty"))


async def document_read(storage: Storage, doc: dict[str, Any], replies: list[dict[str, Any]],
                        escalation: dict[str, Any] | None, *, presign_minutes: int = 15) -> DocumentRead:
    """HN-07..09: the detail body of a document."""
    summary = document_summary(doc)
    record = doc.get("record") or {"record_id": doc["record_id"]}
    return DocumentRead(
        **summary.model_dump(), record=RecordRef.model_validate(record),
        reviews=[DocumentReviewRead(**r) for r in doc.get("reviews", [])],
        replies=list(await asyncio.gather(*(reply_read(storage, r, presign_minutes=presign_minutes)
                                            for r in replies))),
        escalation=escalation_read(escalation) if escalation else None)
