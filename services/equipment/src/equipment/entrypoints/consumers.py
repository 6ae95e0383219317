"""equipment's event consumers: the project directory crane filings will refer to."""

from __future__ import annotations

from pydantic import BaseModel

from anjian_shared.bus import Subscription
from anjian_shared.events import CloudEvent
from anjian_shared.events.projects_v1 import ProjectSnapshot
from anjian_shared.mongo import UnitOfWork
from anjian_shared.types import utcnow

projects = Subscription("project-directory")


@projects.on("projects.project.registered.v1")
@projects.on("projects.project.updated.v1")
async def keep_project(uow: UnitOfWork, event: CloudEvent, payload: BaseModel) -> None:
    """Upsert the project snapshot (queue ``equipment.project-directory``)."""
    assert isinstance(payload, ProjectSnapshot)
    await uow.db["projects"].update_one(
        {"_id": payload.project_id, "tenant_id": event.tenant},
        {"$set": {**payload.model_dump(), "tenant_id": event.tenant, "updated_at": utcnow()},
         "$setOnInsert": {"created_at": utcnow()}},
        upsert=True, session=uow.session)
