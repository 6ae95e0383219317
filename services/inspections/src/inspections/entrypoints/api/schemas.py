"""Request and response bodies of the inspections API (``XCreate/XUpdate/XRead/XPage``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from anjian_shared.events.common import PersonRef
from anjian_shared.events.inspections_v1 import Disposition, HazardRef
from anjian_shared.pagination import Page
from anjian_shared.types import Id, NonEmptyStr, ShortStr

from ...domain.plans import PlanStatus

UserId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class MediaRead(BaseModel):
    """A stored photo, signature or seal; ``url`` reads it without credentials for 15 minutes."""

    bucket: str
    key: str
    content_type: str
    size: int = Field(description="bytes")
    sha256: str | None = None
    filename: str | None = None
    url: str


class HistoryEntryRead(BaseModel):
    """An audit line: who (``by``, ``by_name``), when (``at``, UTC), what (``action``, ``detail``)."""

    at: datetime
    by: str
    by_name: str = ""
    action: str = Field(examples=["confirmed"])
    detail: dict[str, Any] = {}


class ProjectBrief(BaseModel):
    project_id: str
    name: str


class PlanCreate(BaseModel):
    """HB-02 制定抽查计划."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "title": "3月第2周日常抽查", "project_ids": ["6f1c0e0a9b2d4c7e8f10a1b2c3d4e5f6"],
        "planned_date": "2026-03-12", "supervisor_user_ids": ["a1" * 16, "b2" * 16],
        "responsible_supervisor_id": "a1" * 16}]})

    title: ShortStr
    project_ids: list[Id] = Field(min_length=1, max_length=50, description="projects of the caller's station")
    planned_date: date
    supervisor_user_ids: list[UserId] = Field(
        min_length=1, max_length=50,
        description="the team (监督员): includes the caller; each supervises one of the projects")
    responsible_supervisor_id: UserId | None = Field(default=None, description="责任监督员; default the caller")


class PlanUpdate(BaseModel):
    """HB-03 修改: any subset of the plan's fields (draft, or confirmed without results)."""

    model_config = ConfigDict(extra="forbid")

    title: ShortStr | None = None
    project_ids: list[Id] | None = Field(default=None, min_length=1, max_length=50)
    planned_date: date | None = None
    supervisor_user_ids: list[UserId] | None = Field(default=None, min_length=1, max_length=50)
    responsible_supervisor_id: UserId | None = None


class NoticeInput(BaseModel):
    """告知书 data (HB-06 7.2). ``deadline`` (整改期限) is the canonical name; the old
    ``rectification_date`` is still accepted for one release (deprecated) and both are returned."""

    model_config = ConfigDict(extra="forbid")

    title: ShortStr
    construction_stage: ShortStr = Field(description="施工阶段, e.g. 主体结构施工")
    deadline: date | None = Field(default=None, description="整改期限; for 限期/停工整改 not before the planned date "
                                                            "and not before today (China time) unless backdated")
    rectification_date: date | None = Field(default=None, deprecated="send deadline instead",
                                            description="deprecated: the old name of deadline")

    @model_validator(mode="after")
    def _one_deadline(self) -> NoticeInput:
        old = self.__dict__.get("rectification_date")
        if self.deadline is None and old is None:
            raise ValueError("deadline is required")
        if self.deadline is not None and old is not None and self.deadline != old:
            raise ValueError("deadline and the deprecated rectification_date differ")
        self.deadline = self.deadline or old
        self.__dict__["rectification_date"] = self.deadline
        return self


class PlanSubmit(BaseModel):
    """HB-06 提交: disposition, notice data and whether a seal is stamped."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "disposition": "限期整改",
        "notice": {"title": "安全隐患整改告知书", "construction_stage": "主体结构施工",
                   "deadline": "2026-03-20"},
        "seal_required": True}]})

    disposition: Disposition = Field(description="处置情况: 无隐患 | 现场整改 | 限期整改 | 停工整改 | 局部停工整改; "
                                                 "it must follow from the results: a 重大事故隐患 allows only "
                                                 "停工整改/局部停工整改 (HB-06)")
    stop_work_part: str | None = Field(default=None, max_length=200, examples=["3#楼"],
                                       description="局部停工整改: the part where work stops (required then)")
    notice: NoticeInput
    seal_required: bool = Field(default=False, description="盖章: the seal must have been uploaded")
    backdated: bool = Field(default=False, description="补录: an inspection recorded after the fact — a 限期整改/"
                                                       "停工整改 deadline before today (China time) is accepted; "
                                                       "without it such a deadline is refused (422 deadline-past)")


class SubmissionRead(BaseModel):
    disposition: Disposition
    disposition_label: str = Field("", examples=["限期整改"], description="处置情况 in Chinese (the value itself)")
    stop_work_part: str | None = Field(default=None, description="局部停工整改: the part where work stops")
    notice: NoticeInput
    seal_required: bool
    submitted_by: str
    backdated: bool = False


class PlanNoticeRead(BaseModel):
    """A 告知书 issued from the plan (one per project with rectification), for a link to
    ``GET /api/notices/v1/notices/{notice_id}``."""

    notice_id: str
    number: str = Field(examples=["鄂安监告〔2026〕0001号"])
    project_id: str
    project_name: str
    title: str
    rectification_date: date
    issued_at: datetime


class PlanRead(BaseModel):
    """A plan as its team sees it. ``status_label``: 草稿 | 已确认 | 已提交. ``notices``: the 告知书
    issued from it once submitted (``GET /plans/{id}`` only; empty until the notices service
    has issued them, a second or two after submission; also ``GET /api/notices/v1/notices?plan_id=``)."""

    id: str
    title: str
    status: PlanStatus
    status_label: str = Field("", examples=["已确认"])
    station_org_id: str
    projects: list[ProjectBrief]
    planned_date: date
    supervisors: list[PersonRef]
    responsible_supervisor: PersonRef
    created_by: PersonRef
    result_count: int
    signature: MediaRead | None = None
    seal: MediaRead | None = None
    submission: SubmissionRead | None = None
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None = None
    submitted_at: datetime | None = None
    history: list[HistoryEntryRead]
    notices: list[PlanNoticeRead] = []


PlanPage = Page[PlanRead]


class ResultRead(BaseModel):
    """One inspection result (检查结果) of the plan's checklist (检查清单)."""

    id: str
    plan_id: str
    project_id: str
    building_name: str = Field(description="单体名称")
    hazards: list[HazardRef]
    finding: str = Field(description="检查结果")
    photos: list[MediaRead]
    major_hazard: bool = Field(description="重大事故隐患: cites an item of the 2024 standard")
    recorded_by: PersonRef
    recorded_at: datetime
    updated_at: datetime


ResultPage = Page[ResultRead]


class ResultUpdate(BaseModel):
    """HB-05 修改 (author only, before submission); photos are added with POST .../photos."""

    model_config = ConfigDict(extra="forbid")

    building_name: ShortStr | None = None
    hazard_codes: list[Annotated[str, StringConstraints(min_length=1, max_length=40)]] | None = Field(
        default=None, min_length=1, max_length=50)
    finding: NonEmptyStr | None = None


class CatalogItemRead(BaseModel):
    """A hazard catalog item (隐患库). JGJ 59 items carry the table fields; 2024-standard
    items (``major``) carry the article fields."""

    code: str = Field(examples=["JGJ59-A.0.1-01", "ZD2024-5.4"])
    source: str = Field(description="jgj59 | major2024")
    name: str
    major: bool
    standard: str | None = None
    table_code: str | None = None
    table_name: str | None = None
    summary_group: str | None = None
    kind: str | None = Field(default=None, description="保证项目 | 一般项目")
    points: int | None = None
    verified: bool | None = None
    text: str | None = None
    article: int | None = None
    article_heading: str | None = None
    category: str | None = None
    precursors: list[str] = []
    document_no: str | None = None


CatalogItemPage = Page[CatalogItemRead]


class CheckTableRead(BaseModel):
    """A JGJ 59-2011 check table (检查评分表) with its items."""

    code: str = Field(examples=["A.0.1"])
    name: str
    summary_group: str | None = None
    verified: bool = True
    items: list[CatalogItemRead]


class ParticipantRead(BaseModel):
    user_id: str
    org_id: str
    name: str
    project_role: str


class ProjectRead(BaseModel):
    """A project of the directory this service keeps from projects' events."""

    project_id: str
    code: str
    name: str
    address: str
    station_org_id: str
    owner_org_id: str
    contractor_org_id: str
    supervision_org_id: str
    supervisor_user_ids: list[str]
    participants: list[ParticipantRead] = []
    status: str


ProjectPage = Page[ProjectRead]
