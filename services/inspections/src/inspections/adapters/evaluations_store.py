"""Collection of JGJ 59-2011 safety check evaluations (安全检查评分) and the catalog's summary
weights.

- ``evaluations``: one document per evaluation: ``project_id, project_name, station_org_id,
  check_date, status`` (draft|submitted), ``entries`` (the tables chosen with the per-item
  deductions, findings and 缺项 marks), ``photos`` (MediaRefs with ``table_code``/``item_no``),
  ``summary`` (the computed scores; frozen at submission together with the catalog's points),
  ``evaluated_by``, ``rectification_deadline``, ``history``.
"""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING

from anjian_shared.mongo import Mongo
from anjian_shared.types import TENANTS

from ..domain.catalog import CatalogSource
from .repositories import CATALOG
from .seed import JGJ59_FILE, load_json

EVALUATIONS = "evaluations"


async def ensure_evaluation_indexes(mongo: Mongo) -> None:
    """Startup hook: the evaluation lists (per station and per project, newest first)."""
    col = mongo.db[EVALUATIONS]
    await col.create_index([("tenant_id", ASCENDING), ("station_org_id", ASCENDING), ("created_at", DESCENDING),
                            ("_id", DESCENDING)])
    await col.create_index([("tenant_id", ASCENDING), ("project_id", ASCENDING)])


async def backfill_summary_weights(mongo: Mongo) -> int:
    """Startup hook: catalogs seeded before the summary weights were part of the seed get each
    JGJ 59 item's ``summary_weight`` from the file's ``summary_table_weights`` (items a tenant
    already has are otherwise never touched by seeding). Idempotent; returns items updated."""
    data = load_json(JGJ59_FILE)
    weights = data.get("summary_table_weights", {})
    changed = 0
    for tenant in TENANTS:
        for table in data["tables"]:
            weight = weights.get(table.get("summary_group"))
            if weight is None:
                continue
            res = await mongo.db[CATALOG].update_many(
                {"tenant_id": tenant, "source": CatalogSource.JGJ59.value, "table_code": table["code"],
                 "summary_weight": {"$exists": False}},
                {"$set": {"summary_weight": weight}})
            changed += res.modified_count
    return changed
