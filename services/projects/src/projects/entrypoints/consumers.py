"""projects' event consumers: the directory of organisations and users from identity."""

from __future__ import annotations

from pydantic import BaseModel

from anjian_shared.bus import Subscription
from anjian_shared.events import CloudEvent
from anjian_shared.events.identity_v1 import OrganizationCreated, UserCreated, UserUpdated
from anjian_shared.mongo import UnitOfWork
from anjian_shared.types import utcnow

directory = Subscription("directory")


@directory.on("identity.organization.created.v1")
async def keep_organization(uow: UnitOfWork, event: CloudEvent, payload: BaseModel) -> None:
    """Upsert an organisation (queue ``projects.directory``)."""
    assert isinstance(payload, OrganizationCreated)
    await uow.db["organizations"].update_one(
        {"_id": payload.org_id, "tenant_id": event.tenant},
        {"$set": {"name": payload.name, "kind": payload.kind, "company_roles": payload.company_roles,
                  "tenant_id": event.tenant, "updated_at": utcnow()}},
        upsert=True, session=uow.session)


@directory.on("identity.user.created.v1")
@directory.on("identity.user.updated.v1")
async def keep_user(uow: UnitOfWork, event: CloudEvent, payload: BaseModel) -> None:
    """Upsert a user: organisation, name, roles."""
    assert isinstance(payload, (UserCreated, UserUpdated))
    await uow.db["users"].update_one(
        {"_id": payload.user_id, "tenant_id": event.tenant},
        {"$set": {"org_id": payload.org_id, "display_name": payload.display_name, "roles": payload.roles,
                  "enabled": getattr(payload, "enabled", True), "tenant_id": event.tenant, "updated_at": utcnow()}},
        upsert=True, session=uow.session)
