"""projects request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from anjian_shared.pagination import Page
from anjian_shared.types import ShortStr


class ParticipantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: str
    project_role: Annotated[str, Field(description="project_manager, technical_lead, safety_officer, "
                                                   "chief_supervising_engineer, supervising_engineer, "
                                                   "owner_representative")]


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "武汉光谷科技园二期", "address": "武汉市东湖新技术开发区高新大道 888 号",
        "owner_org_id": "…", "contractor_org_id": "…", "supervision_org_id": "…",
        "supervisor_user_ids": ["…"], "participants": [{"user_id": "…", "project_role": "project_manager"}]}]})

    name: ShortStr
    address: ShortStr
    owner_org_id: str
    contractor_org_id: str
    supervision_org_id: str
    supervisor_user_ids: Annotated[list[str], Field(min_length=1, max_length=50)]
    participants: Annotated[list[ParticipantIn], Field(max_length=200)] = []


class SupervisorsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    supervisor_user_ids: Annotated[list[str], Field(min_length=1, max_length=50)]


class ParticipantRead(BaseModel):
    user_id: str
    org_id: str
    name: str
    project_role: str
    project_role_label: str


class ProjectRead(BaseModel):
    id: str
    tenant: str
    code: str
    name: str
    address: str
    station_org_id: str
    owner_org_id: str
    contractor_org_id: str
    supervision_org_id: str
    supervisor_user_ids: list[str]
    participants: list[ParticipantRead]
    status: str
    created_at: datetime


class ProjectPage(Page[ProjectRead]):
    pass
