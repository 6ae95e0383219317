"""Reference data shipped in the package (``seed_data/``) and the catalog seeding at startup."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import structlog
from pymongo.errors import BulkWriteError

from anjian_shared.mongo import Mongo
from anjian_shared.types import TENANTS, utcnow

from ..domain.catalog import catalog_items, searchable_text
from .repositories import CATALOG

log = structlog.get_logger("inspections.seed")

SEED_PACKAGE = "inspections.adapters.seed_data"
JGJ59_FILE = "jgj59-2011-check-tables.json"
MAJOR_FILE = "major-hazards-2024.json"


def load_json(name: str) -> dict[str, Any]:
    """One reference file of ``seed_data/`` (read through importlib.resources)."""
    return json.loads(resources.files(SEED_PACKAGE).joinpath(name).read_text(encoding="utf-8"))


@cache
def seed_catalog() -> tuple[dict[str, Any], ...]:
    """Every seed catalog item (JGJ 59-2011 tables, then the 53 major-hazard items), in order."""
    items = catalog_items(load_json(JGJ59_FILE), load_json(MAJOR_FILE))
    for item in items:
        item["search_text"] = searchable_text(item)
    return tuple(items)


async def seed_tenant_catalog(mongo: Mongo, tenant: str) -> int:
    """Insert the seed items ``tenant`` does not have yet (by code); items already there,
    possibly edited by the tenant, are left alone. Idempotent; returns how many were added."""
    col = mongo.db[CATALOG]
    have = {d["code"] async for d in col.find({"tenant_id": tenant}, {"code": 1})}
    now = utcnow()
    missing = [{**item, "_id": f"{tenant}:{item['code']}", "tenant_id": tenant, "seeded": True,
                "created_at": now, "updated_at": now}
               for item in seed_catalog() if item["code"] not in have]
    if not missing:
        return 0
    try:
        await col.insert_many(missing, ordered=False)
    except BulkWriteError as exc:  # another replica seeded the same items concurrently
        if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
            raise
    return len(missing)


async def seed_all_tenants(mongo: Mongo) -> None:
    """Startup: every tenant of ``types.TENANTS`` gets its own copy of the catalog (PLAT-01)."""
    for tenant in TENANTS:
        added = await seed_tenant_catalog(mongo, tenant)
        if added:
            log.info("hazard catalog seeded", tenant=tenant, items=added)
