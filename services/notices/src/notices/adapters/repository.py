"""MongoDB persistence of notices and of their number counters.

Collections (database ``anjian_notices``; every document has ``tenant_id``):

- ``notices``: one document per notice (``domain.model.Notice``), replies embedded;
  unique (tenant_id, plan_id, project_id) so a plan yields at most one notice per project.
- ``counters``: ``{_id: "<tenant>:notice:<year>", tenant_id, seq}``, advanced with an
  atomic ``$inc`` upsert inside the issuing transaction (a rolled back issue burns no number).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pymongo import ReturnDocument

from anjian_shared.mongo import TenantRepository, UnitOfWork

from ..domain.model import Actor, Notice
from ..domain.numbering import counter_id

NOTICES = "notices"
COUNTERS = "counters"


async def ensure_indexes(app: FastAPI) -> None:
    """Startup hook: the indexes notices relies on (idempotent)."""
    db = app.state.mongo.db
    await db[NOTICES].create_index([("tenant_id", 1), ("plan_id", 1), ("project_id", 1)], unique=True,
                                   name="one_notice_per_plan_project")
    await db[NOTICES].create_index([("tenant_id", 1), ("addressee_org_id", 1), ("created_at", -1)],
                                   name="by_addressee")
    await db[NOTICES].create_index([("tenant_id", 1), ("station_org_id", 1), ("created_at", -1)],
                                   name="by_station")
    await db[NOTICES].create_index([("tenant_id", 1), ("project_id", 1), ("created_at", -1)],
                                   name="by_project")


async def next_sequence(uow: UnitOfWork, *, year: int) -> int:
    """Advance and return the notice counter of ``uow``'s tenant for ``year`` (1, 2, …).

    One ``find_one_and_update`` with ``$inc`` and ``upsert`` in the unit of work's
    session: concurrent issuers conflict and the transaction is retried, so numbers are
    unique and gap-free per tenant and year.
    """
    repo = uow.repo(COUNTERS)
    doc = await repo.collection.find_one_and_update(
        {"_id": counter_id(uow.tenant_id, year), "tenant_id": uow.tenant_id},
        {"$inc": {"seq": 1}, "$setOnInsert": {"year": year, "kind": "notice"}},
        upsert=True, return_document=ReturnDocument.AFTER, session=repo.session,
    )
    return int(doc["seq"])


def visibility_filter(actor: Actor) -> dict[str, Any]:
    """The notices ``actor`` may see (mirrors ``domain.model.can_view``)."""
    return {"$or": [
        {"addressee_org_id": actor.org_id},
        {"station_org_id": actor.org_id},
        {"replier_user_ids": actor.user_id},
        {"issued_by.user_id": actor.user_id},
    ]}


class NoticeRepository:
    """Notices of one tenant, inside or outside a unit of work."""

    def __init__(self, repo: TenantRepository) -> None:
        self.repo = repo

    @classmethod
    def of(cls, uow: UnitOfWork) -> NoticeRepository:
        return cls(uow.repo(NOTICES))

    async def get(self, notice_id: str) -> Notice | None:
        doc = await self.repo.get(notice_id)
        return Notice.model_validate(doc) if doc else None

    async def exists_for(self, *, plan_id: str, project_id: str) -> bool:
        """Whether the plan already yielded a notice for the project."""
        return await self.repo.find_one({"plan_id": plan_id, "project_id": project_id},
                                        projection={"_id": 1}) is not None

    async def add(self, notice: Notice) -> None:
        """Insert a new notice (``DuplicateKeyError`` if the plan/project pair has one)."""
        await self.repo.insert(notice.to_document())

    async def save(self, notice: Notice) -> bool:
        """Write a changed notice if nobody changed it since it was read
        (stored ``version`` == ``notice.version - 1``); False otherwise."""
        doc = notice.to_document()
        doc.pop("_id")
        doc.pop("tenant_id")
        updated = await self.repo.update({"_id": notice.id, "version": notice.version - 1}, {"$set": doc})
        return updated is not None
