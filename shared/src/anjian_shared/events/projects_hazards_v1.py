"""Events of projects' Hebei hazard sources and construction log (HEB-09), version 1."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .common import EventModel, MediaRef, PersonRef

_PROJECT = "c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8"
_SOURCE = {
    "source_id": "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d", "project_id": _PROJECT, "kind": "foundation_pit",
    "category": "major", "name": "1#楼基坑开挖（深 6.5 m）", "start_date": "2026-11-20",
    "planned_end_date": "2027-01-15", "expert_reviewed": True,
    "declared_by": {"user_id": "8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b", "name": "刘洋"},
    "contractor_org_id": "5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a", "station_org_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "project_name": "石家庄正定新区某住宅项目", "project_code": "130100202611200001"}


class HazardSourceFields(EventModel):
    """A hazard source (危险源) of a project as declared (HEB-09)."""

    source_id: str = Field(description="the hazard source's id")
    project_id: str = Field(description="the project it belongs to")
    kind: str = Field(description="kind of dangerous sub-project (建办质〔2018〕31号), e.g. foundation_pit 基坑工程, "
                                  "formwork 模板工程及支撑体系, scaffolding 脚手架工程")
    category: Literal["general", "major"] = Field(description="general 一般危险源 | major 重大危险源 (超过一定规模)")
    name: str = Field(description="what and where, as the contractor named it (e.g. 1#楼基坑开挖)")
    start_date: date = Field(description="first day it is open (China day)")
    planned_end_date: date = Field(description="the day it is planned to end (China day)")
    expert_reviewed: bool = Field(
        description="its special plan passed the expert review (专家论证; required for major)")
    declared_by: PersonRef = Field(description="the contractor's user who declared it")
    contractor_org_id: str = Field(description="the project's contractor (施工单位)")
    station_org_id: str = Field(description="the project's supervising station")
    project_name: str | None = Field(default=None, description="the project's name")
    project_code: str | None = Field(default=None, description="the project's code")


class HazardSourceDeclared(HazardSourceFields):
    """``projects.hazard_source.declared.v1``: the contractor declared a hazard source (危险源)
    of the project (HEB-09); from ``start_date`` on, a construction log is due every day it is open."""

    model_config = ConfigDict(json_schema_extra={"examples": [{**_SOURCE, "declared_at": "2026-11-20T01:30:00Z"}]})

    declared_at: datetime = Field(description="when it was declared (UTC)")


class HazardSourceClosed(HazardSourceFields):
    """``projects.hazard_source.closed.v1``: the contractor closed a hazard source with its actual
    end (HEB-09); after that day it asks for no more construction logs."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_SOURCE, "actual_end_date": "2027-01-10", "closed_at": "2027-01-10T09:00:00Z",
        "closed_by": {"user_id": "8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b", "name": "刘洋"}}]})

    actual_end_date: date = Field(description="the last day it was open (China day)")
    closed_at: datetime = Field(description="when it was closed (UTC)")
    closed_by: PersonRef = Field(description="the contractor's user who closed it")


class ConstructionLogFiled(EventModel):
    """``projects.construction_log.filed.v1``: the contractor filed the construction log (施工日志)
    of one China day while hazard sources were open (HEB-09); one per project and day."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "log_id": "1b2c3d4e5f60718293a4b5c6d7e8f901", "project_id": _PROJECT, "log_date": "2026-11-21",
        "text": "1#楼基坑东侧土方开挖至-4.5 m，支护桩顶位移监测正常。", "open_source_ids": [_SOURCE["source_id"]],
        "photos": [{"bucket": "anjian-projects", "key": "hebei/projects/c3d2/logs/7a1b.jpg",
                    "content_type": "image/jpeg", "size": 183204, "sha256": None, "filename": "site.jpg"}],
        "filed_by": {"user_id": "8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b", "name": "刘洋"},
        "filed_at": "2026-11-21T10:05:00Z", "late": False,
        "contractor_org_id": _SOURCE["contractor_org_id"], "station_org_id": _SOURCE["station_org_id"],
        "project_name": _SOURCE["project_name"], "project_code": _SOURCE["project_code"]}]})

    log_id: str = Field(description="the log's id")
    project_id: str = Field(description="the project")
    log_date: date = Field(description="the China day the log is for")
    text: str = Field(description="what was done on site that day")
    open_source_ids: list[str] = Field(description="the hazard sources open that day")
    photos: list[MediaRef] = Field(description="site photos (现场照片)")
    filed_by: PersonRef = Field(description="the contractor's user who filed it")
    filed_at: datetime = Field(description="when it was filed (UTC)")
    late: bool = Field(description="filed after its day (补报)")
    contractor_org_id: str = Field(description="the project's contractor (施工单位)")
    station_org_id: str = Field(description="the project's supervising station")
    project_name: str | None = Field(default=None, description="the project's name")
    project_code: str | None = Field(default=None, description="the project's code")


EVENTS: dict[str, type[BaseModel]] = {
    "projects.hazard_source.declared.v1": HazardSourceDeclared,
    "projects.hazard_source.closed.v1": HazardSourceClosed,
    "projects.construction_log.filed.v1": ConstructionLogFiled,
}
