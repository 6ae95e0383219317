"""Event consumers of inspections: the project directory and the user-name directory.

Queues ``inspections.project-directory`` and ``inspections.user-directory``. Each handler
runs in the transaction that also records the event id in the inbox, so a redelivered
event has no second effect (and the upserts are idempotent anyway).
"""

from __future__ import annotations

from pydantic import BaseModel

from anjian_shared.bus import Subscription
from anjian_shared.events import CloudEvent
from anjian_shared.events.identity_v1 import UserCreated, UserUpdated
from anjian_shared.events.projects_v1 import ProjectSnapshot
from anjian_shared.mongo import UnitOfWork

from ..service_layer import directory

project_directory = Subscription("project-directory")
user_directory = Subscription("user-directory")


@project_directory.on("projects.project.registered.v1")
@project_directory.on("projects.project.updated.v1")
async def on_project(uow: UnitOfWork, event: CloudEvent, payload: BaseModel) -> None:
    """HB-02: keep the project's snapshot (name, station, parties, supervisors, participants)."""
    assert isinstance(payload, ProjectSnapshot)
    await directory.record_project(uow=uow, snapshot=payload)


@user_directory.on("identity.user.created.v1")
@user_directory.on("identity.user.updated.v1")
async def on_user(uow: UnitOfWork, event: CloudEvent, payload: BaseModel) -> None:
    """Keep the user's display name for the people named in plans and events."""
    assert isinstance(payload, (UserCreated, UserUpdated))
    await directory.record_user(uow=uow, user=payload)


SUBSCRIPTIONS = (project_directory, user_directory)
