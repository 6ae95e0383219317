"""Collections of Fujian's self-inspections (监理单位自查, FJ-04..FJ-11).

- ``self_inspections``          one document per inspection: basic data, check-in, companions,
                                companion tokens (by id), the checklist (``points``, copied from
                                the catalog, each with its ``answer``), the notice, the timeline
- ``self_inspection_feedback``  整改反馈: one document per reply of the feedback person, with its
                                review by the inspector
- ``project_positions``         read model of ``projects.project.positioned.v1`` (HN-03): the
                                project's latest position, ``_id`` = project id
"""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING

from anjian_shared.mongo import Mongo

SELF_INSPECTIONS = "self_inspections"
FEEDBACK = "self_inspection_feedback"
PROJECT_POSITIONS = "project_positions"


async def ensure_self_inspection_indexes(mongo: Mongo) -> None:
    """FJ-04..FJ-11: Startup hook: the indexes of 我的检查, 整改清单, the stations' overview and the sweep."""
    db = mongo.db
    col = db[SELF_INSPECTIONS]
    await col.create_index([("tenant_id", ASCENDING), ("inspector.user_id", ASCENDING), ("created_at", DESCENDING)])
    await col.create_index([("tenant_id", ASCENDING), ("companion_ids", ASCENDING)])
    await col.create_index([("tenant_id", ASCENDING), ("notice.feedback_person.user_id", ASCENDING),
                            ("status", ASCENDING)])
    await col.create_index([("tenant_id", ASCENDING), ("station_org_id", ASCENDING), ("completed_at", ASCENDING)])
    await col.create_index([("status", ASCENDING), ("notice.deadline", ASCENDING)])
    await db[FEEDBACK].create_index([("tenant_id", ASCENDING), ("inspection_id", ASCENDING),
                                     ("created_at", ASCENDING)])
