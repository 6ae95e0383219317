"""Request and response shapes of Hebei's hazard sources, construction log (HEB-09) and
on-duty time (HEB-16)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from anjian_shared.pagination import Page

from ...domain.hazard_sources import CATEGORIES, HAZARD_KINDS
from .schemas import PersonRead, PhotoRead

HazardKind = Literal[tuple(HAZARD_KINDS)]  # type: ignore[valid-type]
Category = Literal[tuple(CATEGORIES)]  # type: ignore[valid-type]


class HazardSourceCreate(BaseModel):
    """HEB-09 危险源申报: a dangerous sub-project of the project."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kind": "foundation_pit", "category": "major", "name": "1#楼基坑开挖（深 6.5 m）",
        "start_date": "2026-11-20", "planned_end_date": "2027-01-15", "expert_reviewed": True}]})

    kind: HazardKind = Field(description="kind of dangerous sub-project (危大工程, 建办质〔2018〕31号): "
                             + ", ".join(f"{k} {v}" for k, v in HAZARD_KINDS.items()))
    category: Category = Field(description="general 一般危险源 | major 重大危险源 (超过一定规模的危大工程)")
    name: Annotated[str, Field(min_length=1, max_length=100, description="what and where (e.g. 1#楼基坑开挖)")]
    start_date: date = Field(description="first day it is open (China day)")
    planned_end_date: date = Field(description="planned end (China day), not before start_date")
    expert_reviewed: bool = Field(default=False, description="its special plan passed the expert review "
                                                             "(专家论证); required true for a major source")


class HazardSourceClose(BaseModel):
    """HEB-09: close a hazard source with its actual end."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"actual_end_date": "2027-01-10"}]})

    actual_end_date: date = Field(description="the last day it was open (China day): not before its start, "
                                              "not after today")


class HazardSourceRead(BaseModel):
    """A hazard source (危险源) of a project (HEB-09)."""

    id: str
    project_id: str
    kind: str
    kind_name: str = Field(description="the kind in Chinese")
    category: str
    name: str
    start_date: date
    planned_end_date: date
    actual_end_date: date | None = None
    expert_reviewed: bool
    status: Literal["planned", "open", "overdue", "closed"] = Field(
        description="planned (starts after today) | open | overdue (open past its planned end) | closed")
    declared_by: PersonRead
    declared_at: datetime
    closed_by: PersonRead | None = None
    closed_at: datetime | None = None


class HazardSourcePage(Page[HazardSourceRead]):
    pass


class ConstructionLogRead(BaseModel):
    """The construction log (施工日志) of one China day (HEB-09); photo URLs are presigned."""

    id: str
    project_id: str
    log_date: date = Field(description="the China day it is for")
    text: str
    photos: list[PhotoRead]
    open_source_ids: list[str] = Field(description="hazard sources open that day")
    filed_by: PersonRead
    filed_at: datetime
    late: bool = Field(description="filed after its day (补报)")


class ConstructionLogPage(Page[ConstructionLogRead]):
    pass


class MissingDayRead(BaseModel):
    """A day with an open hazard source and no construction log (缺报日, HEB-09)."""

    day: date
    open_source_ids: list[str]


class MissingDayPage(Page[MissingDayRead]):
    pass


class DutyTimeRead(BaseModel):
    """One project manager's time on site on one China day (人员到岗履职, HEB-16)."""

    user_id: str
    name: str
    day: date = Field(description="China day (Asia/Shanghai)")
    on_site_minutes: int = Field(description="whole minutes on site (sum of the stays)")
    stays: int = Field(description="runs of on-site clock-ins (each from its first to its last clock-in)")
    first_on_site_at: datetime | None = Field(description="first clock-in within the site radius")
    last_on_site_at: datetime | None = Field(description="last clock-in within the site radius")
    clock_ins: int = Field(description="clock-ins of the day")
    off_site_clock_ins: int = Field(description="clock-ins farther than the radius (they end a stay)")
    unlocated_clock_ins: int = Field(description="clock-ins without a distance (project not positioned)")
    incomplete: bool = Field(description="a stay had a single clock-in (no clock-out): counted 0 minutes")


class DutyTimePage(Page[DutyTimeRead]):
    site_radius_m: int = Field(description="metres from the project's position that counted as on site")
