"""Key-personnel attendance (关键岗位人员到岗监督, HN-11) under ``/api/projects/v1``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.pagination import Cursor, Limit

from ...service_layer import attendance as cases
from .deps import CheckableProject, ClockInProject, MongoDep, ProjectId, SettingsDep
from .schemas import (
    AttendanceCheckCreate,
    AttendanceCheckPage,
    AttendanceCheckRead,
    AttendanceResultRead,
    ClockInCreate,
    ClockInRead,
    PersonRead,
)

router = APIRouter(tags=["attendance (HN-11)"])

CheckId = Annotated[str, Path(max_length=64, description="attendance check id")]


def clock_in_read(doc: dict[str, Any]) -> ClockInRead:
    """A stored clock-in as the API shows it."""
    return ClockInRead(id=doc["_id"], project_id=doc["project_id"], user_id=doc["user_id"], name=doc["name"],
                       project_roles=doc["project_roles"], longitude=doc["longitude"], latitude=doc["latitude"],
                       address=doc.get("address"), clocked_at=doc["clocked_at"], distance_m=doc.get("distance_m"))


def check_read(doc: dict[str, Any]) -> AttendanceCheckRead:
    """A stored attendance check as the API shows it."""
    return AttendanceCheckRead(
        id=doc["_id"], project_id=doc["project_id"], checked_by=PersonRead(**doc["checked_by"]),
        checked_at=doc["checked_at"], window_minutes=doc["window_minutes"], on_time_before=doc.get("on_time_before"),
        position_known=doc.get("position_known", False),
        results=[AttendanceResultRead(**{k: r.get(k) for k in AttendanceResultRead.model_fields})
                 for r in doc["results"]],
        present=doc["present"], late=doc["late"], absent=doc["absent"])


@router.post("/projects/{project_id}/clock-ins", response_model=ClockInRead, status_code=201,
             summary="Clock in on the project (打卡)")
async def clock_in(project_id: ProjectId, body: ClockInCreate, principal: CurrentPrincipal, project: ClockInProject,
                   mongo: MongoDep, settings: SettingsDep) -> ClockInRead:
    """HN-11 打卡: one of the project's key personnel (participants with project role
    project_manager 项目经理, technical_lead 技术负责人, safety_officer 专职安全员 or
    chief_supervising_engineer 总监理工程师) records being on site: ``longitude``,
    ``latitude`` (WGS-84 decimal degrees), optional ``address`` (1..200 characters). The
    time is the server's. The answer carries ``distance_m``, metres from the project's
    position (HN-03) when it has one.

    201. 404 project unknown / other tenant / not visible; 403 anyone else who sees the
    project (supervisors, other participants, company staff) or ``feature-disabled``; 422
    naming the field (longitude outside -180..180, latitude outside -90..90, unknown field).
    """
    doc = await cases.clock_in(mongo=mongo, settings=settings, actor=principal, project_id=project_id,
                               longitude=body.longitude, latitude=body.latitude, address=body.address)
    return clock_in_read(doc)


@router.post("/projects/{project_id}/attendance-checks", response_model=AttendanceCheckRead, status_code=201,
             summary="Run an attendance check (查岗)")
async def run_check(project_id: ProjectId, body: AttendanceCheckCreate, principal: CurrentPrincipal,
                    project: CheckableProject, mongo: MongoDep, settings: SettingsDep,
                    response: Response) -> AttendanceCheckRead:
    """HN-11 查岗: a supervisor or leader of the project's station checks which of
    ``user_ids`` (key personnel of the project) are on duty. Per person: ``present``,
    ``late`` (the earliest clock-in in the window is after ``on_time_before``, "HH:MM"
    Asia/Shanghai local time on the check's day) or ``absent`` (no clock-in in the
    ``window_minutes`` minutes before the check, default 120, 1..1440), with
    ``clocked_in_at`` and ``distance_m`` (metres from the project's position, haversine,
    null when the project has not been positioned). The check is kept and emits
    ``projects.attendance.checked.v1``.

    201. 404 project unknown / other tenant / not visible; 403 company users, participants
    and other stations, or ``feature-disabled``; 422 naming ``user_ids`` (someone not key
    personnel of the project, or empty), ``window_minutes``, ``on_time_before``.
    """
    doc = await cases.run_check(mongo=mongo, settings=settings, actor=principal, project_id=project_id,
                                user_ids=body.user_ids, window_minutes=body.window_minutes,
                                on_time_before=body.on_time_before)
    response.headers["Location"] = f"/api/projects/v1/projects/{project_id}/attendance-checks/{doc['_id']}"
    return check_read(doc)


@router.get("/projects/{project_id}/attendance-checks", response_model=AttendanceCheckPage,
            summary="The project's attendance checks (查岗记录)")
async def list_checks(project_id: ProjectId, principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep,
                      limit: Limit = 20, cursor: Cursor = None) -> AttendanceCheckPage:
    """HN-11: the project's attendance checks, newest first, paginated (``limit`` 1..100,
    ``cursor``), for everyone who sees the project: its station, the parties' companies,
    its participants. 404 project unknown / other tenant / not visible; 403
    ``feature-disabled``."""
    docs, nxt = await cases.list_checks(mongo=mongo, settings=settings, actor=principal, project_id=project_id,
                                        limit=limit, cursor=cursor)
    return AttendanceCheckPage(items=[check_read(d) for d in docs], next_cursor=nxt)


@router.get("/projects/{project_id}/attendance-checks/{check_id}", response_model=AttendanceCheckRead,
            summary="One attendance check (查岗记录)")
async def get_check(project_id: ProjectId, check_id: CheckId, principal: CurrentPrincipal, mongo: MongoDep,
                    settings: SettingsDep) -> AttendanceCheckRead:
    """HN-11: one attendance check of a project the caller sees (station, the parties'
    companies, participants). 404 project not visible / other tenant, or check unknown or
    of another project; 403 ``feature-disabled``."""
    return check_read(await cases.get_check(mongo=mongo, settings=settings, actor=principal, project_id=project_id,
                                            check_id=check_id))
