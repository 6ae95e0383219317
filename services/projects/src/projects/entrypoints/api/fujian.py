"""Fujian's platform projects (FJ-01) and their supervision staff roles (FJ-03) under
``/api/projects/v1``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from anjian_shared.auth import CurrentPrincipal, Principal, scoped_principal
from anjian_shared.deps import MongoDep
from anjian_shared.scopes import SYNC_PROJECTS

from ...service_layer import platform_sync, staff
from .routes import project_read
from .schemas import ProjectRead

router = APIRouter(tags=["fujian"])

ProjectId = Annotated[str, Path(max_length=64, description="project id")]
UserId = Annotated[str, Path(max_length=64, description="user id")]
SyncPrincipal = Annotated[Principal, Depends(scoped_principal(SYNC_PROJECTS))]


class PlatformBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"projects": [{
        "platform_code": "FJ-2024-0001", "name": "福州滨海新城综合体", "address": "福州市长乐区",
        "assessable": True, "division_code": "350112",
        "supervision_company": {"credit_code": "91350100MA2XXXXX0X", "name": "福建闽江工程监理有限公司",
                                "administrator": {"name": "陈明", "mobile": "13900000001"}},
        "chief_engineer": {"name": "林总", "mobile": "13900000002"}}]}]})

    projects: Annotated[list[platform_sync.PlatformProjectIn], Field(min_length=1, max_length=200)]


class PlatformBatchResult(BaseModel):
    results: list[platform_sync.SyncResult]


StaffRole = Literal["specialist_supervising_engineer", "site_supervisor", "feedback_person",
                    "chief_supervising_engineer"]


class StaffRoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "user_id": "…", "project_role": "specialist_supervising_engineer", "discipline": "房建"}]})

    user_id: Annotated[str, Field(max_length=64)]
    project_role: StaffRole = Field(description="专业监理工程师 / 监理员 / 反馈人 (the chief, 总监, comes from the "
                                                "platform: 403 chief-from-platform)")
    discipline: Annotated[str, Field(max_length=50)] | None = Field(
        default=None, description="lead discipline (主导专业), required for a specialist supervising engineer")


@router.post("/platform/projects", response_model=PlatformBatchResult)
async def push_platform_projects(body: PlatformBatch, principal: SyncPrincipal,
                                 mongo: MongoDep) -> PlatformBatchResult:
    """FJ-01: the province's integration platform (一体化平台) pushes up to 200 projects with
    their state 在建可评价, supervision company and chief supervising engineer. Partner client
    with scope ``projects:sync`` only (403 ``scope-missing``). Idempotent per ``platform_code``:
    ``outcome`` per item is ``created``, ``updated`` (version +1, events published) or
    ``unchanged`` (a replay: nothing written). 422 names the wrong field
    (``projects.3.supervision_company.credit_code``) and nothing is written."""
    results = await platform_sync.sync_batch(mongo=mongo, actor=principal, items=body.projects)
    return PlatformBatchResult(results=results)


@router.post("/projects/{project_id}/supervision-staff", response_model=ProjectRead)
async def assign_staff_role(project_id: ProjectId, body: StaffRoleIn, principal: CurrentPrincipal,
                            mongo: MongoDep) -> ProjectRead:
    """FJ-03: the supervision company's administrator or the project's chief gives a company
    user a project role. 404 not visible; 403 ``not-project-staff-manager`` /
    ``chief-from-platform``; 422 ``discipline``, ``not-company-staff``,
    ``feedback-person-not-staff``, ``not-a-platform-project``; 409
    ``supervision-role-exclusive`` (specialist engineer and site supervisor, in one project or
    across projects)."""
    doc = await staff.assign_role(mongo=mongo, actor=principal, project_id=project_id, user_id=body.user_id,
                                  project_role=body.project_role, discipline=body.discipline)
    return project_read(doc)


@router.delete("/projects/{project_id}/supervision-staff/{user_id}", response_model=ProjectRead)
async def remove_staff_role(project_id: ProjectId, user_id: UserId, principal: CurrentPrincipal, mongo: MongoDep,
                            project_role: Annotated[StaffRole, Query(description="the role to take away")],
                            ) -> ProjectRead:
    """FJ-03: take a project role from a person (404 ``role-not-held``; 403 as for POST)."""
    doc = await staff.remove_role(mongo=mongo, actor=principal, project_id=project_id, user_id=user_id,
                                  project_role=project_role)
    return project_read(doc)
