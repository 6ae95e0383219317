"""Collections of supervision records and their libraries (HN-04..HN-06); seeding per tenant.

- ``records``           监督检查记录: one document per record, never changed after submission
                        except ``status``, ``reviews``/``reviewed_by`` (appended) and
                        ``released_at``/``decided_at``
- ``record_terms``      标准规范术语: per-tenant, editable; ``_id`` = ``<tenant>:<code>``
- ``record_violations`` 违法违规行为: per-tenant, editable; ``_id`` = ``<tenant>:<code>``

Library entries are never removed from the collection: DELETE marks them ``deleted`` so the
startup seeding (which adds seed entries a tenant lacks, by code) does not bring back an
entry the tenant removed.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import structlog
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError

from anjian_shared.mongo import Mongo
from anjian_shared.types import TENANTS, utcnow

from ..domain import libraries
from ..domain.libraries import Library
from .seed import load_json, seed_catalog

log = structlog.get_logger("inspections.records")

RECORDS = "records"
TERMS = "record_terms"
VIOLATIONS = "record_violations"
CHECK_POINTS = "self_inspection_points"
"""FJ-06 检查要点: per-tenant, editable; ``_id`` = ``<tenant>:<code>`` (seeded from JGJ 59-2011)."""
LIBRARY_COLLECTIONS = {Library.TERMS: TERMS, Library.VIOLATIONS: VIOLATIONS, Library.CHECK_POINTS: CHECK_POINTS}
QUALITY_SAMPLE_FILE = "quality-terms-sample.json"


async def ensure_record_indexes(mongo: Mongo) -> None:
    """HN-04..06: Startup hook: the indexes of the record views and library lookups."""
    db = mongo.db
    await db[RECORDS].create_index([("tenant_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)])
    await db[RECORDS].create_index([("tenant_id", ASCENDING), ("submitted_by.user_id", ASCENDING),
                                    ("created_at", DESCENDING)])
    await db[RECORDS].create_index([("tenant_id", ASCENDING), ("report_recipient_ids", ASCENDING)])
    await db[RECORDS].create_index([("tenant_id", ASCENDING), ("reviewed_by", ASCENDING)])  # 已审核 box
    await db[RECORDS].create_index([("tenant_id", ASCENDING), ("issue_recipient_ids", ASCENDING)])
    await db[RECORDS].create_index([("tenant_id", ASCENDING), ("project_id", ASCENDING)])
    for col in (TERMS, VIOLATIONS, CHECK_POINTS):
        await db[col].create_index([("tenant_id", ASCENDING), ("code", ASCENDING)], unique=True)
        await db[col].create_index([("tenant_id", ASCENDING), ("seq", ASCENDING), ("code", ASCENDING)])


@cache
def seed_library(library: Library) -> tuple[dict[str, Any], ...]:
    """HN-04: The seed entries of a library, in display order (``seq``), with ``search_text``:
    terms = JGJ 59-2011 safety terms then the illustrative quality sample; violations = the
    2024 major-hazard items."""
    if library is Library.TERMS:
        entries = libraries.safety_terms(seed_catalog()) + libraries.quality_terms(load_json(QUALITY_SAMPLE_FILE))
    elif library is Library.CHECK_POINTS:
        entries = libraries.check_points(seed_catalog())
    else:
        entries = libraries.violations(seed_catalog())
    return tuple(libraries.with_seq(entries))


async def seed_tenant_libraries(mongo: Mongo, tenant: str) -> int:
    """HN-04: Insert the seed entries ``tenant`` lacks (by code, deleted ones included); entries the
    tenant edited or deleted stay as they are. Idempotent; returns how many were added."""
    added = 0
    now = utcnow()
    for library, name in LIBRARY_COLLECTIONS.items():
        col = mongo.db[name]
        have = {d["code"] async for d in col.find({"tenant_id": tenant}, {"code": 1})}
        missing = [{**e, "_id": f"{tenant}:{e['code']}", "tenant_id": tenant, "seeded": True, "deleted": False,
                    "created_at": now, "updated_at": now}
                   for e in seed_library(library) if e["code"] not in have]
        if not missing:
            continue
        try:
            await col.insert_many(missing, ordered=False)
        except BulkWriteError as exc:  # another replica seeded the same entries concurrently
            if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                raise
        added += len(missing)
    return added


async def seed_all_tenant_libraries(mongo: Mongo) -> None:
    """HN-04: Startup: every tenant gets its own copy of both libraries (seeded for all five, even
    where the feature is switched off, so switching it on needs no restart-time step)."""
    for tenant in TENANTS:
        added = await seed_tenant_libraries(mongo, tenant)
        if added:
            log.info("record libraries seeded", tenant=tenant, entries=added)
