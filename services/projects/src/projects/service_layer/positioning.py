"""Project positioning use cases (工程定位, HN-03).

A supervisor of the project's station, on site, submits one cover photo of the site
with the capture time, longitude, latitude (WGS-84 decimal degrees) and address.
Submitting again updates the project's position; every submission stays in the
project's positioning history (collection ``positionings``); the current one is
also kept on the project (``positioning``) so lists and attendance checks see it.

The photo goes through the shared media intake (``anjian_shared.media.MediaIntake``): type,
size and pixels checked and stored BEFORE the transaction; if anything fails afterwards it
is deleted again, so no record points to a missing object and no object is left without a
record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from anjian_shared.auth import Principal
from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.projects_v1 import ProjectPositioned
from anjian_shared.media import MediaIntake, MediaPolicy, Upload
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.pagination import paginate
from anjian_shared.problems import NotFound, Unprocessable
from anjian_shared.storage import Storage
from anjian_shared.tenant_policy import tenant_policy
from anjian_shared.types import new_id, utcnow

from ..domain import positioning as rules
from ..settings import Settings
from .features import POSITIONING, ensure_feature
from .use_cases import get_visible

POSITIONINGS = "positionings"


async def ensure_indexes(mongo: Mongo) -> None:
    """Indexes of the positioning history."""
    await mongo.db[POSITIONINGS].create_index([("tenant_id", 1), ("project_id", 1), ("created_at", -1)])


async def load_for_positioning(*, mongo: Mongo, settings: Settings, actor: Principal,
                               project_id: str) -> dict[str, Any]:
    """HN-03: the project if ``actor`` may position it. 403 ``feature-disabled`` when the
    tenant has positioning off; 404 when the project is unknown, of another tenant or not
    visible to the actor; 403 when visible but the actor is not a supervisor/leader of its
    station (e.g. a company user)."""
    await ensure_feature(mongo, settings, actor.tenant, POSITIONING)
    project = await get_visible(mongo=mongo, actor=actor, project_id=project_id)
    rules.ensure_may_position(actor, project)
    return project


async def submit_positioning(*, mongo: Mongo, storage: Storage, settings: Settings, actor: Principal,
                             project_id: str, cover_photos: list[Upload], longitude: float, latitude: float,
                             address: str, captured_at: datetime) -> dict[str, Any]:
    """HN-03 提交/更新工程定位: record a new position of the project and make it current.

    ``cover_photos``: exactly one JPEG/PNG upload (422 ``cover_photo`` otherwise; 415 not
    a JPEG/PNG; 413 above the tenant's ``positioning_photo_max_bytes`` or over
    ``anjian_shared.media.MAX_IMAGE_PIXELS``). ``longitude``
    -180..180 and ``latitude`` -90..90 WGS-84 decimal degrees (422 naming the field);
    ``address`` 1..200 characters (422 ``address``); ``captured_at`` with a UTC offset,
    at most ``positioning_future_skew_minutes`` minutes in the future (422 ``captured_at``).
    403/404 as ``load_for_positioning``. Returns the stored positioning document and emits
    ``projects.project.positioned.v1``.
    """
    await load_for_positioning(mongo=mongo, settings=settings, actor=actor, project_id=project_id)
    if len(cover_photos) != 1:
        raise Unprocessable("send exactly one cover photo", field="cover_photo")
    rules.validate_coordinates(longitude, latitude)
    address = address.strip()
    if not 1 <= len(address) <= 200:
        raise Unprocessable("address must have 1..200 characters", field="address")
    rules.validate_captured_at(captured_at, now=utcnow(), future_skew_minutes=settings.positioning_future_skew_minutes)

    ref: MediaRef

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        projects = uow.repo("projects")
        project = await projects.get(project_id)
        if project is None:
            raise NotFound("project not found")
        rules.ensure_may_position(actor, project)
        now = utcnow()
        by = {"user_id": actor.user_id, "name": actor.name}
        doc = await uow.repo(POSITIONINGS).insert({
            "_id": new_id(), "project_id": project_id, "longitude": float(longitude), "latitude": float(latitude),
            "address": address, "captured_at": captured_at, "cover_photo": ref.model_dump(),
            "positioned_by": by, "positioned_at": now, "created_at": now})
        current = {"positioning_id": doc["_id"], "longitude": doc["longitude"], "latitude": doc["latitude"],
                   "address": address, "captured_at": captured_at, "positioned_at": now, "positioned_by": by}
        updated = await projects.update({"_id": project_id}, {
            "$set": {"positioning": current, "updated_at": now},
            "$push": {"history": {"at": now, "by": actor.user_id, "action": "positioned",
                                  "positioning_id": doc["_id"]}}})
        if updated is None:
            raise NotFound("project not found")
        uow.emit("projects.project.positioned.v1", subject=project_id, data=ProjectPositioned(
            project_id=project_id, positioning_id=doc["_id"], longitude=doc["longitude"], latitude=doc["latitude"],
            address=address, captured_at=captured_at, positioned_at=now, cover_photo=ref,
            positioned_by=PersonRef(**by), project_name=updated.get("name"), project_code=updated.get("code")))
        return doc

    max_bytes = (await tenant_policy(mongo, actor.tenant, settings)).limit("positioning_photo_max_bytes")
    policy = MediaPolicy.photo(max_bytes=max_bytes, field="cover_photo")
    folder = f"projects/{project_id}/positioning"
    async with MediaIntake(storage, tenant=actor.tenant, folder=folder) as intake:
        ref = await intake.take_one(cover_photos[0], policy)
        return await with_transaction(mongo, actor.tenant, fn)


async def get_positioning(*, mongo: Mongo, settings: Settings, actor: Principal, project_id: str, limit: int,
                          cursor: str | None) -> tuple[dict[str, Any] | None, list[dict[str, Any]], str | None]:
    """HN-03: the project's current positioning (None before the first) and one page of its
    history, newest first (the current one included), for everyone who sees the project.
    Returns ``(current, history, next_cursor)``. 403 ``feature-disabled``; 404 project not
    visible / other tenant."""
    await ensure_feature(mongo, settings, actor.tenant, POSITIONING)
    project = await get_visible(mongo=mongo, actor=actor, project_id=project_id)
    repo = mongo.repo(POSITIONINGS, actor.tenant)
    current = None
    if project.get("positioning"):
        current = await repo.find_one({"_id": project["positioning"]["positioning_id"], "project_id": project_id})
    history, next_cursor = await paginate(repo, {"project_id": project_id}, limit=limit, cursor=cursor)
    return current, history, next_cursor


def media_ref(doc: dict[str, Any]) -> MediaRef:
    """The cover photo reference of a positioning document."""
    return MediaRef(**doc["cover_photo"])
