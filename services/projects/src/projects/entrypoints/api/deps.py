"""FastAPI dependencies of the projects API, as ``Annotated`` aliases.

``MongoDep``/``StorageDep`` come from the shared library; ``SettingsDep`` is this
service's ``Settings``. The ``*Project`` dependencies check who may act on a project
BEFORE the request body is validated, so a caller without access gets 404/403 and
never learns from a 422 what the body should have been.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.deps import MongoDep, StorageDep, app_settings

from ...service_layer import attendance as attendance_cases
from ...service_layer import positioning as positioning_cases
from ...settings import Settings

__all__ = ["CheckableProject", "ClockInProject", "MongoDep", "PositionableProject", "ProjectId", "SettingsDep",
           "StorageDep"]

SettingsDep = Annotated[Settings, Depends(app_settings)]
ProjectId = Annotated[str, Path(max_length=64, description="project id")]


async def _positionable(project_id: ProjectId, principal: CurrentPrincipal, mongo: MongoDep,
                        settings: SettingsDep) -> dict[str, Any]:
    """HN-03: the project the caller may position (403 feature off / not station staff, 404 not visible)."""
    return await positioning_cases.load_for_positioning(mongo=mongo, settings=settings, actor=principal,
                                                        project_id=project_id)


async def _clock_in_target(project_id: ProjectId, principal: CurrentPrincipal, mongo: MongoDep,
                           settings: SettingsDep) -> dict[str, Any]:
    """HN-11: the project the caller clocks in on (403 feature off / not key personnel, 404 not visible)."""
    return await attendance_cases.load_for_clock_in(mongo=mongo, settings=settings, actor=principal,
                                                    project_id=project_id)


async def _checkable(project_id: ProjectId, principal: CurrentPrincipal, mongo: MongoDep,
                     settings: SettingsDep) -> dict[str, Any]:
    """HN-11: the project the caller runs attendance checks on (403 feature off / not station staff, 404)."""
    return await attendance_cases.load_for_check(mongo=mongo, settings=settings, actor=principal,
                                                 project_id=project_id)


PositionableProject = Annotated[dict[str, Any], Depends(_positionable)]
ClockInProject = Annotated[dict[str, Any], Depends(_clock_in_target)]
CheckableProject = Annotated[dict[str, Any], Depends(_checkable)]
