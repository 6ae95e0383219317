"""Collections of enforcement documents (处理文书, HN-07..HN-09) and the read models they need.

Database ``anjian_notices``; every document carries ``tenant_id``.

- ``documents``         one per 处理文书; never changed after submission except ``status``,
                        ``reviews``/``reviewed_by`` (appended), the reply bookkeeping
                        (``pending_replier_ids``, ``accepted_replier_ids``, ``reply_count``),
                        ``issued_at``/``decided_at``/``closed_at`` and the escalation marks
                        (``escalated``, ``escalation_id``, ``escalated_at``). Unique number.
- ``document_replies``  one per reply (回复), with its review; ``reviewer_user_id`` = issuer
- ``escalations``       处罚建议书 / 不良行为记录: unique (tenant_id, document_id) — at most one
                        per document, whatever the number of sweeping processes
- ``document_config``   ``_id`` = tenant: the tenant's numbering format and escalation kinds
                        (absent: the defaults in ``domain.document_config``)
- ``counters``          shared with 告知书: ``<tenant>:document:<type>:<year>`` and
                        ``<tenant>:escalation:<kind>:<year>``, advanced by ``$inc`` upserts
                        inside the writing transaction (a rolled back write burns no number)
- ``discretion_entries`` HEB-18 自由裁量基准: ``_id`` = ``<tenant>:<violation code>``, unique
                        (tenant_id, violation_code)
- ``major_hazards``     the register of open major hazards (挂牌督办): ``_id`` = ``notice:<id>``
                        or ``document:<id>``, opened and closed with its notice/document
- read models: ``projects`` (station, companies, participants), ``users`` (name, org,
  roles, enabled), ``records`` (supervision records: project, station, submitter, status)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from anjian_shared.mongo import Mongo, TenantRepository, UnitOfWork
from anjian_shared.types import utcnow

DOCUMENTS = "documents"
REPLIES = "document_replies"
ESCALATIONS = "escalations"
CONFIG = "document_config"
COUNTERS = "counters"
PROJECTS = "projects"
USERS = "users"
RECORDS = "records"
MAJOR_HAZARDS = "major_hazards"
DISCRETION = "discretion_entries"


async def ensure_document_indexes(mongo: Mongo) -> None:
    """HN-07..09: Startup hook: uniqueness (numbers, one escalation per document) and the
    indexes of the views."""
    db = mongo.db
    await db[DOCUMENTS].create_index([("tenant_id", ASCENDING), ("number", ASCENDING)], unique=True,
                                     name="unique_document_number")
    await db[DOCUMENTS].create_index([("tenant_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)])
    await db[DOCUMENTS].create_index([("tenant_id", ASCENDING), ("submitted_by.user_id", ASCENDING),
                                      ("created_at", DESCENDING)])
    await db[DOCUMENTS].create_index([("tenant_id", ASCENDING), ("report_recipient_ids", ASCENDING)])
    await db[DOCUMENTS].create_index([("tenant_id", ASCENDING), ("reviewed_by", ASCENDING)])  # reviewed box
    await db[DOCUMENTS].create_index([("tenant_id", ASCENDING), ("replier_user_ids", ASCENDING)])
    await db[DOCUMENTS].create_index([("tenant_id", ASCENDING), ("issue_recipient_ids", ASCENDING)])
    await db[DOCUMENTS].create_index([("status", ASCENDING), ("escalated", ASCENDING), ("deadline", ASCENDING)],
                                     name="escalation_sweep")
    await db[DISCRETION].create_index([("tenant_id", ASCENDING), ("violation_code", ASCENDING)], unique=True,
                                      name="unique_discretion_code")  # HEB-18: one entry per violation
    await db[MAJOR_HAZARDS].create_index([("tenant_id", ASCENDING), ("station_org_id", ASCENDING),
                                          ("listed_at", DESCENDING), ("_id", DESCENDING)])
    await db[MAJOR_HAZARDS].create_index([("tenant_id", ASCENDING), ("listed_at", DESCENDING), ("_id", DESCENDING)])
    await db[REPLIES].create_index([("tenant_id", ASCENDING), ("document_id", ASCENDING),
                                    ("created_at", ASCENDING)])
    await db[REPLIES].create_index([("tenant_id", ASCENDING), ("replied_by.user_id", ASCENDING),
                                    ("created_at", DESCENDING)])
    await db[REPLIES].create_index([("tenant_id", ASCENDING), ("reviewer_user_id", ASCENDING),
                                    ("created_at", DESCENDING)])
    await db[ESCALATIONS].create_index([("tenant_id", ASCENDING), ("document_id", ASCENDING)], unique=True,
                                       name="one_escalation_per_document")
    await db[ESCALATIONS].create_index([("tenant_id", ASCENDING), ("number", ASCENDING)], unique=True,
                                       name="unique_escalation_number")
    await db[ESCALATIONS].create_index([("tenant_id", ASCENDING), ("station_org_id", ASCENDING),
                                        ("created_at", DESCENDING)])
    await db[PROJECTS].create_index([("tenant_id", ASCENDING), ("station_org_id", ASCENDING)])
    await db[USERS].create_index([("tenant_id", ASCENDING), ("org_id", ASCENDING)])


async def next_counter(uow: UnitOfWork, counter_id: str, **on_insert: Any) -> int:
    """HN-07: Advance and return the counter ``counter_id`` of ``uow``'s tenant (1, 2, …) in
    the unit of work's transaction: concurrent writers conflict and retry, so numbers are
    unique and gap-free."""
    repo = uow.repo(COUNTERS)
    doc = await repo.collection.find_one_and_update(
        {"_id": counter_id, "tenant_id": uow.tenant_id},
        {"$inc": {"seq": 1}, "$setOnInsert": on_insert},
        upsert=True, return_document=ReturnDocument.AFTER, session=repo.session)
    return int(doc["seq"])


async def upsert(repo: TenantRepository, id_: str, fields: Mapping[str, Any],
                 on_insert: Mapping[str, Any] | None = None) -> None:
    """Set ``fields`` on document ``id_`` of ``repo``'s tenant, creating it when missing
    (then also ``on_insert``). Applying the same call twice has one effect."""
    await repo.collection.update_one(
        {"_id": id_, "tenant_id": repo.tenant_id},
        {"$set": {k: v for k, v in fields.items() if k not in ("_id", "tenant_id")},
         "$setOnInsert": {"created_at": utcnow(), **(on_insert or {})}},
        upsert=True, session=repo.session)


async def by_ids(repo: TenantRepository, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Documents of ``repo`` whose ``_id`` is one of ``ids``, keyed by id."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    return {d["_id"]: d for d in await repo.find({"_id": {"$in": wanted}}, limit=len(wanted))}
