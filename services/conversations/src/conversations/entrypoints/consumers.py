"""conversations' event consumers (competing consumers: one replica handles each event).

- queue ``conversations.directory``: identity's users (``read_models.USERS`` → ``users``:
  who may be put in a group) and projects' snapshots (``projects`` read model, newest wins,
  and the project's conversation kept in step with its supervisors and participants, in the
  same inbox transaction: ``service_layer.conversations.keep_project_snapshot``);
- queue ``conversations.tenant-policy``: the province's limits (upload sizes).

The per-replica live fan-out is not here: see ``adapters.fanout``.
"""

from __future__ import annotations

from pydantic import BaseModel

from anjian_shared.bus import Subscription
from anjian_shared.events import CloudEvent
from anjian_shared.mongo import UnitOfWork
from anjian_shared.read_models import USERS, read_model

from ..service_layer.conversations import keep_project_snapshot

directory = Subscription("directory")
read_model(directory, collection="users", events=USERS)


@directory.on("projects.project.registered.v1")
@directory.on("projects.project.updated.v1")
async def on_project(uow: UnitOfWork, event: CloudEvent, payload: BaseModel) -> None:
    """HN-12: keep the project read model and the project's conversation members."""
    await keep_project_snapshot(uow, payload, time=event.time)
