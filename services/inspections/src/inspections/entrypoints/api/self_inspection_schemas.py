"""Request and response bodies of Fujian's self-inspections (监理单位自查, FJ-04..FJ-11)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from anjian_shared.events.common import PersonRef
from anjian_shared.storage import Storage

from ...domain import self_inspections as rules
from .deps import media_read
from .schemas import MediaRead


class SelfInspectionCreate(BaseModel):
    """FJ-04 新增检查: the project and the basic data."""

    project_id: str = Field(min_length=1, max_length=64, description="an assessable project you supervise")
    title: str | None = Field(default=None, max_length=100, description="default: <project name><day>安全检查")


class CheckInCreate(BaseModel):
    """FJ-04 检查打卡: where and when the device was."""

    longitude: float = Field(ge=-180, le=180, description="WGS-84 longitude, decimal degrees")
    latitude: float = Field(ge=-90, le=90, description="WGS-84 latitude, decimal degrees")
    captured_at: datetime = Field(description="device time of the fix, with offset (within the last 24 h)")


class CompanionCodeRead(BaseModel):
    """FJ-05 查看二维码: the token the QR code encodes (single use, 5 minutes)."""

    inspection_id: str
    token: str = Field(description="what the companion's app sends to POST /self-inspections/companions")
    expires_at: datetime
    png_url: str = Field(description="the QR code as PNG (the inspector's bearer token needed)")


class CompanionJoin(BaseModel):
    """FJ-05 同行检查: the scanned token."""

    token: str = Field(min_length=1, max_length=1000)


class CompleteCreate(BaseModel):
    """FJ-08 完成检查 → 确认."""

    confirm: bool = Field(description="must be true (the confirmation dialog)")


class NoticeCreate(BaseModel):
    """FJ-09 下发整改通知. Without problems found only ``feedback_user_id``."""

    feedback_user_id: str = Field(max_length=64, description="the project's feedback person (反馈人), required")
    opinion: str | None = Field(default=None, max_length=2000, description="整改意见 (required with problems)")
    deadline: date | None = Field(default=None, description="整改截止日期, China day, not past (with problems)")


class FeedbackReviewCreate(BaseModel):
    """FJ-11: accept (approve) or send back (reject, with a comment)."""

    decision: Literal["approve", "reject"]
    comment: str | None = Field(default=None, max_length=2000)


class AnswerRead(BaseModel):
    value: str = Field(description="yes | no | not_checked")
    value_label: str = Field(description="是 | 否 | 本次不检查")
    description: str
    photos: list[MediaRead]
    answered_by: PersonRef
    answered_at: datetime


class PointRead(BaseModel):
    """One check point (检查要点) of the inspection and its answer (null: 未填写)."""

    code: str
    text: str
    reference: str | None = None
    category: str | None = None
    source: str | None = Field(default=None, description="JGJ59-2011 for seeded points, tenant for the province's")
    hazard_codes: list[str] = []
    major: bool = Field(description="cites a 2024 major-hazard item: 重大事故隐患")
    answer: AnswerRead | None = None


class ProgressRead(BaseModel):
    total: int
    answered: int
    unanswered: int
    yes: int
    no: int
    not_checked: int
    major_hazards: int


class PointPage(BaseModel):
    items: list[PointRead]
    progress: ProgressRead


class TimelineEntry(BaseModel):
    """FJ-10 流程跟踪: one step, who (null: the system) and when."""

    action: str
    label: str
    by: PersonRef | None = None
    at: datetime
    detail: dict[str, Any] = {}


class NoticeRead(BaseModel):
    opinion: str
    deadline: date | None = None
    feedback_person: PersonRef
    problem_count: int
    major_codes: list[str]
    issued_by: PersonRef
    issued_at: datetime
    overdue: bool


class SelfInspectionRead(BaseModel):
    """A self-inspection (without its points: GET …/points)."""

    id: str
    project_id: str
    project_name: str
    supervision_org_id: str
    station_org_id: str | None = None
    title: str
    status: str
    status_label: str
    inspector: PersonRef
    companions: list[PersonRef] = []
    check_in: dict[str, Any] | None = Field(default=None, description=(
        "longitude, latitude, captured_at, checked_in_at, distance_m (metres from the project's position)"))
    progress: ProgressRead | None = None
    notice: NoticeRead | None = None
    feedback_count: int = 0
    pending_feedback_id: str | None = None
    escalated: bool = False
    timeline: list[TimelineEntry] = []
    created_at: datetime
    completed_at: datetime | None = None
    closed_at: datetime | None = None


class SelfInspectionPage(BaseModel):
    items: list[SelfInspectionRead]
    next_cursor: str | None = None


class FeedbackRead(BaseModel):
    """FJ-11 整改反馈 and its review."""

    id: str
    inspection_id: str
    feedback_person: PersonRef
    text: str
    photos: list[MediaRead]
    attachments: list[MediaRead]
    status: str = Field(description="pending | accepted | returned")
    review: dict[str, Any] | None = None
    created_at: datetime


class OverviewProject(BaseModel):
    project_id: str
    project_name: str
    supervision_org_id: str | None = None
    inspections: int = 0
    hazards: int = 0
    major_hazards: int = 0
    notices_open: int = 0
    notices_overdue: int = 0


class OverviewCompany(BaseModel):
    supervision_org_id: str | None = None
    inspections: int
    hazards: int
    major_hazards: int
    notices_open: int
    notices_overdue: int
    projects: list[OverviewProject]


class OverviewRead(BaseModel):
    """For the stations: self-inspections per company and project; 五个一 misses."""

    period_days: int = Field(description="tenant policy self_inspection_period_days")
    companies: list[OverviewCompany]
    notices_open: int
    notices_overdue: int
    projects_without_inspection: list[OverviewProject]


async def _photos(storage: Storage, refs: list[dict[str, Any]]) -> list[MediaRead]:
    return [m for m in await asyncio.gather(*(media_read(storage, r) for r in refs)) if m is not None]


def _entry(e: dict[str, Any]) -> TimelineEntry:
    detail = {k: v for k, v in e.items() if k not in ("action", "label", "by", "at")}
    return TimelineEntry(action=e["action"], label=e["label"], by=e.get("by"), at=e["at"], detail=detail)


def inspection_read(doc: dict[str, Any], *, now: datetime) -> SelfInspectionRead:
    """FJ-04..FJ-11: the response body of a stored inspection."""
    n = doc.get("notice")
    notice = NoticeRead(**{k: n.get(k) for k in ("opinion", "deadline", "feedback_person", "problem_count",
                                                  "major_codes", "issued_by", "issued_at")},
                        overdue=rules.is_overdue(doc, now)) if n else None
    return SelfInspectionRead(
        id=doc["_id"], project_id=doc["project_id"], project_name=doc.get("project_name", ""),
        supervision_org_id=doc["supervision_org_id"], station_org_id=doc.get("station_org_id"), title=doc["title"],
        status=doc["status"], status_label=rules.STATUS_LABELS[doc["status"]], inspector=doc["inspector"],
        companions=[{"user_id": c["user_id"], "name": c["name"]} for c in doc.get("companions", [])],
        check_in=doc.get("check_in"), progress=rules.progress(doc["points"]) if "points" in doc else None,
        notice=notice, feedback_count=doc.get("feedback_count", 0), pending_feedback_id=doc.get("pending_feedback_id"),
        escalated=bool(doc.get("escalated")), timeline=[_entry(e) for e in doc.get("timeline", [])],
        created_at=doc["created_at"], completed_at=doc.get("completed_at"), closed_at=doc.get("closed_at"))


async def point_read(storage: Storage, p: dict[str, Any]) -> PointRead:
    """FJ-06: one point with fresh presigned photo URLs."""
    a = p.get("answer")
    answer = AnswerRead(value=a["value"], value_label=rules.ANSWER_LABELS[a["value"]], description=a["description"],
                        photos=await _photos(storage, a.get("photos", [])), answered_by=a["answered_by"],
                        answered_at=a["answered_at"]) if a else None
    return PointRead(**{k: p.get(k) for k in ("code", "text", "reference", "category", "source")},
                     hazard_codes=p.get("hazard_codes", []), major=bool(p.get("major")), answer=answer)


async def feedback_read(storage: Storage, fb: dict[str, Any]) -> FeedbackRead:
    """FJ-11: one feedback with presigned URLs."""
    return FeedbackRead(id=fb["_id"], inspection_id=fb["inspection_id"], feedback_person=fb["feedback_person"],
                        text=fb["text"], photos=await _photos(storage, fb.get("photos", [])),
                        attachments=await _photos(storage, fb.get("attachments", [])), status=fb["status"],
                        review=fb.get("review"), created_at=fb["created_at"])


# --- the check-point catalog (检查要点, FJ-06) ------------------------------------------------------

class CheckPointRead(BaseModel):
    """A check point of the province's catalog; ``source`` JGJ59-2011 (seeded from the JGJ
    59-2011 check tables) | tenant (added by the province); ``hazard_codes`` may cite items of
    the 2024 major-hazard standard (``ZD2024-``), which makes the point 重大事故隐患."""

    code: str = Field(examples=["JGJ59-A.0.2-06"])
    text: str = Field(examples=["现场防火"])
    reference: str | None = Field(default=None, examples=["JGJ 59-2011 表A.0.2（保证项目）"])
    category: str | None = Field(default=None, examples=["文明施工检查评分表"])
    source: str = "tenant"
    hazard_codes: list[str] = []
    major: bool = False
    seeded: bool = False


class CheckPointCreate(BaseModel):
    """FJ-06: a new check point of the province's catalog (``code`` optional)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "code": "FJ-ZD-01", "text": "脚手架连墙件设置", "category": "脚手架", "hazard_codes": ["ZD2024-7.2"]}]})

    code: str | None = Field(default=None, max_length=40)
    text: str = Field(min_length=1, max_length=500)
    reference: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=200)
    hazard_codes: list[str] = Field(default=[], max_length=20)


class CheckPointUpdate(BaseModel):
    """FJ-06: change a check point (inspections already started keep their copy)."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, min_length=1, max_length=500)
    reference: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=200)
    hazard_codes: list[str] | None = Field(default=None, max_length=20)


class CheckPointPage(BaseModel):
    items: list[CheckPointRead]
    next_cursor: str | None = None


def check_point_read(doc: dict[str, Any]) -> CheckPointRead:
    """FJ-06: a catalog entry with its major-hazard flag."""
    codes = doc.get("hazard_codes") or []
    return CheckPointRead(code=doc["code"], text=doc["text"], reference=doc.get("reference"),
                          category=doc.get("category"), source=doc.get("source", "tenant"), hazard_codes=codes,
                          major=rules.is_major_point(doc), seeded=bool(doc.get("seeded")))
