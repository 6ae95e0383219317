"""personnel's collections for Hunan agencies (HUN-02..HUN-08), their indexes, and the one
write that needs the database's own duplicate check.

- ``agency_records``: ``_id`` = agency org id; the basic-information form, ``version``.
- ``agency_staff``: a staff record (``agency_org_id``, fields, ``deleted``, ``version``).
- ``agency_staff_revisions``: every change of a staff record (``staff_id``, ``seq``, ``at``,
  ``state`` or None when deleted) — what the year-end freeze reads to know how the staff
  stood on 31 December even when it runs days later.
- ``staffing_returns``: ``_id`` = ``<agency>:<year>``, the frozen structure of a past year.
- ``agency_figures``: ``_id`` = ``<agency>:<kind>:<year>`` (kind ``projects`` | ``funding``).
- ``agency_qualifications``: ``_id`` = agency org id; filed data, status, decision.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from anjian_shared.mongo import Mongo, TenantRepository

RECORDS = "agency_records"
STAFF = "agency_staff"
REVISIONS = "agency_staff_revisions"
RETURNS = "staffing_returns"
FIGURES = "agency_figures"
QUALIFICATIONS = "agency_qualifications"
ORGANIZATIONS = "organizations"


async def ensure_indexes(mongo: Mongo) -> None:
    """Idempotent: the lists' and the freeze's indexes."""
    db = mongo.db
    await db[STAFF].create_index([("tenant_id", ASCENDING), ("agency_org_id", ASCENDING), ("deleted", ASCENDING),
                                  ("name", ASCENDING)])
    await db[REVISIONS].create_index([("tenant_id", ASCENDING), ("agency_org_id", ASCENDING), ("seq", ASCENDING)],
                                     unique=True, name="one_revision_per_seq")
    await db[FIGURES].create_index([("tenant_id", ASCENDING), ("agency_org_id", ASCENDING), ("kind", ASCENDING),
                                    ("year", ASCENDING)], unique=True, name="one_figure_per_agency_kind_year")


async def insert_once(repo: TenantRepository, doc: dict[str, Any]) -> dict[str, Any] | None:
    """Insert ``doc``; None when its ``_id`` (or a unique index) is already taken — the
    database decides, so two concurrent inserts end with exactly one."""
    try:
        return await repo.insert(doc)
    except DuplicateKeyError:
        return None


async def next_staff_seq(uow: Any, agency_org_id: str) -> int:
    """Advance the agency's staff-revision counter in the unit's transaction (1, 2, …):
    concurrent changes of one agency's staff conflict here and are retried in order."""
    doc = await uow.db["agency_counters"].find_one_and_update(
        {"_id": f"{uow.tenant_id}:{agency_org_id}:staff", "tenant_id": uow.tenant_id}, {"$inc": {"seq": 1}},
        upsert=True, return_document=ReturnDocument.AFTER, session=uow.session)
    return int(doc["seq"])
