"""Project positioning (工程定位, HN-03) under ``/api/projects/v1``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import AwareDatetime

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.pagination import Cursor, Limit
from anjian_shared.storage import Storage

from ...service_layer import positioning as cases
from ...settings import Settings
from .deps import MongoDep, PositionableProject, ProjectId, SettingsDep, StorageDep
from .schemas import PersonRead, PhotoRead, PositioningRead, PositioningView

router = APIRouter(tags=["positioning (HN-03)"])


async def positioning_read(storage: Storage, settings: Settings, doc: dict[str, Any]) -> PositioningRead:
    """A stored positioning as the API shows it, the cover photo with a presigned URL
    valid ``settings.presign_minutes`` minutes."""
    ref = cases.media_ref(doc)
    url = await storage.presigned_get(ref, expires=timedelta(minutes=settings.presign_minutes))
    return PositioningRead(
        id=doc["_id"], project_id=doc["project_id"], longitude=doc["longitude"], latitude=doc["latitude"],
        address=doc["address"], captured_at=doc["captured_at"], positioned_at=doc["positioned_at"],
        positioned_by=PersonRead(**doc["positioned_by"]),
        cover_photo=PhotoRead(url=url, content_type=ref.content_type, size=ref.size, sha256=ref.sha256))


@router.put("/projects/{project_id}/positioning", response_model=PositioningRead,
            summary="Position the project on site (工程定位 提交/更新)")
async def put_positioning(
    project_id: ProjectId, principal: CurrentPrincipal, project: PositionableProject,
    mongo: MongoDep, storage: StorageDep, settings: SettingsDep,
    cover_photo: Annotated[list[UploadFile], File(
        description="exactly one JPEG or PNG photo of the site (封面图), ≤ the tenant's limit (10 MB by default)")],
    longitude: Annotated[float, Form(ge=-180, le=180, allow_inf_nan=False,
                                     description="WGS-84 longitude, decimal degrees, -180..180 (east positive)")],
    latitude: Annotated[float, Form(ge=-90, le=90, allow_inf_nan=False,
                                    description="WGS-84 latitude, decimal degrees, -90..90 (north positive)")],
    address: Annotated[str, Form(min_length=1, max_length=200, description="位置, 1..200 characters")],
    captured_at: Annotated[AwareDatetime, Form(
        description="when the device captured the position: ISO 8601 with offset, e.g. 2026-11-21T09:30:00+08:00; "
                    "at most 5 minutes in the future")],
) -> PositioningRead:
    """HN-03, multipart/form-data: a supervisor or leader of the project's station, on site,
    submits the project's position: ``cover_photo`` (exactly one JPEG/PNG), ``longitude``
    and ``latitude`` (WGS-84 decimal degrees), ``address`` and ``captured_at``. Submitting
    again updates the current position; earlier ones stay in the history
    (``GET …/positioning``). Emits ``projects.project.positioned.v1``.

    200 with the new positioning. 404 project unknown / other tenant / not visible; 403
    company users and anyone not a supervisor/leader of the project's station, or
    ``feature-disabled`` for a tenant without HN-03; 422 naming ``longitude``,
    ``latitude``, ``address``, ``captured_at`` (no offset, or more than
    ``positioning_future_skew_minutes`` = 5 minutes ahead) or ``cover_photo`` (not exactly
    one); 415 ``cover_photo`` not a JPEG/PNG; 413 ``cover_photo`` too large. Nothing is
    stored when refused.
    """
    doc = await cases.submit_positioning(
        mongo=mongo, storage=storage, settings=settings, actor=principal, project_id=project_id,
        cover_photos=cover_photo, longitude=longitude, latitude=latitude, address=address, captured_at=captured_at)
    return await positioning_read(storage, settings, doc)


@router.get("/projects/{project_id}/positioning", response_model=PositioningView,
            summary="The project's position and its history (工程定位)")
async def get_positioning(project_id: ProjectId, principal: CurrentPrincipal, mongo: MongoDep,
                          storage: StorageDep, settings: SettingsDep, limit: Limit = 20,
                          cursor: Cursor = None) -> PositioningView:
    """HN-03: the current positioning (``current``, null until the first) and the history of
    every submission, newest first (``history``, the current one included; paginated by
    ``limit`` 1..100 and ``cursor``), each with who, when (``captured_at``,
    ``positioned_at``), longitude/latitude (WGS-84 decimal degrees), address and a
    presigned URL of the cover photo (valid 15 minutes by default). Anyone who sees the
    project reads it. 404 project unknown / other tenant / not visible; 403
    ``feature-disabled``."""
    current, history, nxt = await cases.get_positioning(mongo=mongo, settings=settings, actor=principal,
                                                        project_id=project_id, limit=limit, cursor=cursor)
    return PositioningView(
        project_id=project_id,
        current=await positioning_read(storage, settings, current) if current else None,
        history=[await positioning_read(storage, settings, d) for d in history], next_cursor=nxt)
