"""projects HTTP API under ``/api/projects/v1``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.mongo import Mongo
from anjian_shared.pagination import Cursor, Limit

from ...domain.model import PROJECT_ROLES
from ...domain.platform import missing_roles
from ...service_layer import use_cases
from .schemas import (
    ParticipantIn,
    ParticipantRead,
    PartyRead,
    PersonRead,
    PositioningSummary,
    ProjectCreate,
    ProjectPage,
    ProjectRead,
    SupervisorsUpdate,
)

router = APIRouter(tags=["projects"])


def _mongo(request: Request) -> Mongo:
    return request.app.state.mongo


def project_read(doc: dict[str, Any]) -> ProjectRead:
    """The response body of a project document (parties and supervisors named when the use
    case looked their names up: ``use_cases.with_names``)."""
    names = doc.get("names") or {}
    orgs, users = names.get("orgs", {}), names.get("users", {})

    def party(field: str) -> PartyRead | None:
        return PartyRead(org_id=doc[field], name=orgs.get(doc[field]) or doc[field]) if names and doc[field] else None

    return ProjectRead(
        id=doc["_id"], tenant=doc["tenant_id"], code=doc["code"], name=doc["name"], address=doc["address"],
        station_org_id=doc["station_org_id"], owner_org_id=doc["owner_org_id"],
        contractor_org_id=doc["contractor_org_id"], supervision_org_id=doc["supervision_org_id"],
        supervisor_user_ids=doc["supervisor_user_ids"],
        station=party("station_org_id"), owner=party("owner_org_id"), contractor=party("contractor_org_id"),
        supervision=party("supervision_org_id"),
        supervisors=[PersonRead(user_id=u, name=users.get(u) or u)
                     for u in doc["supervisor_user_ids"]] if names else [],
        participants=[ParticipantRead(**p, project_role_label=PROJECT_ROLES.get(p["project_role"], ""))
                      for p in doc["participants"]],
        status=doc.get("status", "active"), created_at=doc["created_at"],
        positioning=PositioningSummary(**doc["positioning"]) if doc.get("positioning") else None,
        platform_code=doc.get("platform_code"), assessable=doc.get("assessable"),
        missing_roles=missing_roles(doc) if doc.get("platform_code") else [])


@router.post("/projects", response_model=ProjectRead, status_code=201)
async def register_project(body: ProjectCreate, principal: CurrentPrincipal, request: Request) -> ProjectRead:
    """Register a project supervised by the caller's station, with its owner (建设单位),
    contractor (施工单位) and supervision company (监理单位), its supervisors and
    participants. 403 for non-station callers, and ``feature-disabled`` where the province
    allows only online filing (tenant policy ``direct_registration``, HN-01); 422 names the
    wrong field. Emits ``projects.project.registered.v1``."""
    doc = await use_cases.register_project(mongo=_mongo(request), actor=principal, data=body.model_dump(),
                                           settings=request.app.state.settings)
    return project_read(doc)


@router.get("/projects", response_model=ProjectPage)
async def list_projects(principal: CurrentPrincipal, request: Request, limit: Limit = 20, cursor: Cursor = None,
                        q: Annotated[str | None, Query(max_length=100, description="name contains")] = None,
                        positioned: Annotated[bool | None, Query(
                            description="HN-03: true = only projects with a position (工程定位), "
                                        "false = only those still without one")] = None,
                        ) -> ProjectPage:
    """The caller's projects only (participants see their own), newest first; ``q`` searches
    the name (keyword query of the 工程列表, HN-03), ``positioned`` filters by whether the
    project has been positioned (HN-03). Paginated (``limit`` 1..100, ``cursor``)."""
    page = await use_cases.list_projects(mongo=_mongo(request), actor=principal, q=q, positioned=positioned,
                                         limit=limit, cursor=cursor)
    return ProjectPage(items=[project_read(d) for d in page.items], next_cursor=page.next_cursor)


@router.get("/projects/{project_id}", response_model=ProjectRead)
async def get_project(project_id: str, principal: CurrentPrincipal, request: Request) -> ProjectRead:
    """One project the caller takes part in, with the names of its station, owner, contractor,
    supervision company and supervisors (``station``, ``owner``, ``contractor``, ``supervision``:
    ``{org_id, name}``; ``supervisors``: ``{user_id, name}``); 404 otherwise."""
    return project_read(await use_cases.get_project(mongo=_mongo(request), actor=principal, project_id=project_id))


@router.put("/projects/{project_id}/supervisors", response_model=ProjectRead)
async def set_supervisors(project_id: str, body: SupervisorsUpdate, principal: CurrentPrincipal,
                          request: Request) -> ProjectRead:
    """Assign the project's supervisors (station staff only; 403 for others)."""
    doc = await use_cases.set_supervisors(mongo=_mongo(request), actor=principal, project_id=project_id,
                                          user_ids=body.supervisor_user_ids)
    return project_read(doc)


@router.post("/projects/{project_id}/participants", response_model=ProjectRead)
async def add_participant(project_id: str, body: ParticipantIn, principal: CurrentPrincipal,
                          request: Request) -> ProjectRead:
    """Name a person of one of the parties on the project (e.g. the contractor's
    ``project_manager``, who replies to notices)."""
    doc = await use_cases.add_participant(mongo=_mongo(request), actor=principal, project_id=project_id,
                                          participant=body.model_dump())
    return project_read(doc)


@router.delete("/projects/{project_id}/participants/{user_id}", response_model=ProjectRead)
async def remove_participant(project_id: str, user_id: str, principal: CurrentPrincipal,
                             request: Request) -> ProjectRead:
    """Take a person off the project."""
    doc = await use_cases.remove_participant(mongo=_mongo(request), actor=principal, project_id=project_id,
                                             user_id=user_id)
    return project_read(doc)
