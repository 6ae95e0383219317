"""personnel's event consumers: the staff directory (users and their organisations)."""

from __future__ import annotations

from pydantic import BaseModel

from anjian_shared.bus import Subscription
from anjian_shared.events import CloudEvent
from anjian_shared.events.identity_v1 import OrganizationCreated, UserCreated, UserUpdated
from anjian_shared.mongo import UnitOfWork
from anjian_shared.types import utcnow

directory = Subscription("staff-directory")


@directory.on("identity.organization.created.v1")
async def keep_organization(uow: UnitOfWork, event: CloudEvent, payload: BaseModel) -> None:
    """Upsert the organisation (queue ``personnel.staff-directory``)."""
    assert isinstance(payload, OrganizationCreated)
    await uow.db["organizations"].update_one(
        {"_id": payload.org_id, "tenant_id": event.tenant},
        {"$set": {**payload.model_dump(), "tenant_id": event.tenant, "updated_at": utcnow()}},
        upsert=True, session=uow.session)


@directory.on("identity.user.created.v1")
@directory.on("identity.user.updated.v1")
async def keep_staff(uow: UnitOfWork, event: CloudEvent, payload: BaseModel) -> None:
    """Upsert the person."""
    assert isinstance(payload, (UserCreated, UserUpdated))
    await uow.db["staff"].update_one(
        {"_id": payload.user_id, "tenant_id": event.tenant},
        {"$set": {**payload.model_dump(), "tenant_id": event.tenant, "updated_at": utcnow()}},
        upsert=True, session=uow.session)
