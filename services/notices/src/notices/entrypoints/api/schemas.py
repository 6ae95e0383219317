"""Request and response schemas of the notices API, and the notice → response mapping.

Media (signature, seal, result photos, reply photos) are returned with a presigned
GET URL valid for ``Settings.presign_minutes``.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.inspections_v1 import Disposition, HazardRef, ResultSnapshot
from anjian_shared.review import Decision
from anjian_shared.storage import Storage

from ...domain.model import MAX_TEXT_CHARS, Notice, NoticeStatus, Reply, ReplyStatus, ReviewStatus


class MediaRead(BaseModel):
    """A stored image with a presigned URL (``url`` expires; fetch a fresh one by GET)."""

    content_type: str
    size: int = Field(description="bytes")
    filename: str | None = None
    sha256: str | None = None
    url: str


class ResultRead(BaseModel):
    """A result (检查结果) of the plan on this notice's project, frozen at submission."""

    result_id: str
    building_name: str
    hazards: list[HazardRef]
    finding: str
    photos: list[MediaRead]
    major_hazard: bool
    recorded_by: PersonRef
    recorded_at: datetime


class ReviewRead(BaseModel):
    """The review of a reply round: ``decision`` approve | reject (``accepted`` = approve)."""

    decision: Decision
    accepted: bool
    passed: bool = Field(deprecated="read decision (or accepted) instead", description="deprecated: = accepted")
    comment: str
    reviewed_by: PersonRef
    reviewed_at: datetime


class ReplyRead(BaseModel):
    """One reply round (整改回复) and its review (审核), if done."""

    id: str
    round: int = Field(description="1 for the first reply, +1 per failed review")
    text: str
    photos: list[MediaRead]
    replied_by: PersonRef
    submitted_at: datetime
    status: ReplyStatus = Field(description="pending 待审核 | accepted 审核通过 | rejected 审核不通过")
    status_label: str = Field(examples=["待审核"])
    review_status: ReviewStatus = Field(deprecated="read status (pending | accepted | rejected) instead",
                                        description="deprecated: pending | passed | failed")
    review_status_label: str = Field(examples=["待审核"], deprecated="read status_label instead")
    review: ReviewRead | None = None


class NoticeSummary(BaseModel):
    """A notice in a list (no results, replies or media)."""

    id: str
    number: str = Field(examples=["鄂安监告〔2026〕0001号"])
    plan_id: str
    plan_title: str
    project_id: str
    project_name: str
    station_org_id: str
    addressee_org_id: str
    disposition: Disposition
    title: str
    deadline: date = Field(description="整改期限: the day by which the rectification is due")
    rectification_date: date = Field(deprecated="read deadline instead", description="deprecated: = deadline")
    status: NoticeStatus
    status_label: str = Field(examples=["待整改回复"])
    rounds: int = Field(description="reply rounds so far")
    issued_at: datetime
    closed_at: datetime | None = None
    version: int = Field(description="the notice's version (1 issued, +1 per reply and per review): pass it as "
                                     "min_version to reporting's PDF to get a document at least this new (HB-09)")


class NoticeRead(NoticeSummary):
    """A notice (告知书) with its plan data, results, signature/seal and every reply round."""

    planned_date: date
    project_address: str
    owner_org_id: str
    supervision_org_id: str
    construction_stage: str
    issued_by: PersonRef = Field(description="the responsible supervisor (责任监督员)")
    reviewer_user_id: str
    supervisors: list[PersonRef]
    replier_user_ids: list[str]
    signature: MediaRead
    seal: MediaRead | None = None
    results: list[ResultRead]
    replies: list[ReplyRead]


class NoticePage(BaseModel):
    items: list[NoticeSummary]
    next_cursor: str | None = None


class ReviewCreate(BaseModel):
    """Review of a reply, the one review shape of the platform: ``decision`` approve | reject;
    ``comment`` required to reject (1..2000 chars). ``passed`` (true = approve) is the old
    field, still accepted for one release (deprecated)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"decision": "reject", "comment": "临边防护仍未封闭，请重新整改"}, {"decision": "approve"}]})

    decision: Decision | None = Field(default=None, description="approve (accepted, closes the notice) | reject")
    passed: bool | None = Field(default=None, deprecated="send decision: approve | reject instead",
                                description="deprecated: true = approve, false = reject")
    comment: str | None = Field(default=None, max_length=MAX_TEXT_CHARS,
                                examples=["临边防护仍未封闭，请重新整改"])

    @property
    def legacy_passed(self) -> bool | None:
        """The deprecated ``passed`` (read without the deprecation warning)."""
        return self.__dict__.get("passed")


# ---------------------------------------------------------------- mapping

def to_summary(notice: Notice) -> NoticeSummary:
    """The list view of a notice."""
    return NoticeSummary(
        id=notice.id, number=notice.number, plan_id=notice.plan_id, plan_title=notice.plan_title,
        project_id=notice.project_id, project_name=notice.project_name, station_org_id=notice.station_org_id,
        addressee_org_id=notice.addressee_org_id, disposition=notice.disposition, title=notice.title,
        deadline=notice.deadline, rectification_date=notice.rectification_date, status=notice.status,
        status_label=notice.status.label,
        rounds=len(notice.replies), issued_at=notice.issued_at, closed_at=notice.closed_at,
        version=notice.version)


async def to_read(notice: Notice, storage: Storage, *, presign_minutes: int = 15) -> NoticeRead:
    """The detail view; presigns every media reference (concurrently)."""
    expires = timedelta(minutes=presign_minutes)

    async def media(ref: MediaRef) -> MediaRead:
        url = await storage.presigned_get(ref, expires=expires)
        return MediaRead(content_type=ref.content_type, size=ref.size, filename=ref.filename, sha256=ref.sha256,
                         url=url)

    async def media_list(refs: list[MediaRef]) -> list[MediaRead]:
        return list(await asyncio.gather(*(media(r) for r in refs)))

    async def reply(r: Reply) -> ReplyRead:
        review = None
        if r.review is not None:
            review = ReviewRead(decision=r.review.decision, accepted=r.review.passed, passed=r.review.passed,
                                comment=r.review.comment, reviewed_by=r.review.reviewed_by,
                                reviewed_at=r.review.reviewed_at)
        return ReplyRead(id=r.reply_id, round=r.round, text=r.text, photos=await media_list(r.photos),
                         replied_by=r.replied_by, submitted_at=r.submitted_at, status=r.status,
                         status_label=r.status.label, review_status=r.review_status,
                         review_status_label=r.review_status.label, review=review)

    async def result(res: ResultSnapshot) -> ResultRead:
        return ResultRead(result_id=res.result_id, building_name=res.building_name, hazards=res.hazards,
                          finding=res.finding, photos=await media_list(res.photos), major_hazard=res.major_hazard,
                          recorded_by=res.recorded_by, recorded_at=res.recorded_at)

    signature, seal, results, replies = await asyncio.gather(
        media(notice.signature),
        media(notice.seal) if notice.seal else asyncio.sleep(0, result=None),
        asyncio.gather(*(result(r) for r in notice.results)),
        asyncio.gather(*(reply(r) for r in notice.replies)),
    )
    return NoticeRead(
        **to_summary(notice).model_dump(),
        planned_date=notice.planned_date, project_address=notice.project_address,
        owner_org_id=notice.owner_org_id, supervision_org_id=notice.supervision_org_id,
        construction_stage=notice.construction_stage, issued_by=notice.issued_by,
        reviewer_user_id=notice.reviewer_user_id, supervisors=notice.supervisors,
        replier_user_ids=notice.replier_user_ids, signature=signature, seal=seal, results=list(results),
        replies=list(replies))
