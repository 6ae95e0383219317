"""equipment's collections (database ``anjian_equipment``; every document has ``tenant_id``).

- ``applications``    one per application (事项): ``anjian_shared.applications.Application``
                      stored by ``to_doc`` plus ``attachments`` {slot: [MediaRef]}, ``machine_id``,
                      ``project_id``, ``number`` (filing/registration number on approval)
- ``machines``        one per machine once its filing is submitted: unique per tenant on
                      (``maker_key``, ``factory_number_key``) — the database decides a
                      duplicate filing (HEB-06), and unique ``filing_number``
- ``machine_locks``   unique per (tenant, ``machine_id``): the project where the machine
                      stands (HEB-14), inserted with the installation notification
- ``operator_locks``  unique per (tenant, ``person_id``): the machine a special-operations
                      person is registered on (HEB-07)
- ``installer_entries`` one per approved 进冀备案 (HEB-13): ``org_id``, ``valid_until``, ``number``
- ``banned_models``   unique per (tenant, ``model_key``): the province's banned/eliminated models
- ``audit``           one line per lock, unlock and registry change: who, when, what, reason
- ``counters``        ``filing:<code>:<year>`` / ``registration:<code>:<year>``, ``$inc`` in the
                      writing transaction (a rolled back write burns no number)
- read models ``organizations`` (identity's directory), ``projects`` (projects'), ``people``
  (personnel's company people with certificate validity), ``tenant_policy``
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from anjian_shared.mongo import UnitOfWork, UnitOfWorkFactory
from anjian_shared.types import new_id, utcnow

APPLICATIONS = "applications"
MACHINES = "machines"
MACHINE_LOCKS = "machine_locks"
OPERATOR_LOCKS = "operator_locks"
BANNED = "banned_models"
AUDIT = "audit"
COUNTERS = "counters"
ORGANIZATIONS = "organizations"
PROJECTS = "projects"
PEOPLE = "people"
INSTALLER_ENTRIES = "installer_entries"


async def ensure_indexes(mongo: UnitOfWorkFactory) -> None:
    """Uniqueness the locks and the registry rest on, and the indexes of the lists."""
    db = mongo.db
    await db[MACHINES].create_index([("tenant_id", ASCENDING), ("maker_key", ASCENDING),
                                     ("factory_number_key", ASCENDING)], unique=True, name="one_filing_per_machine")
    await db[MACHINES].create_index([("tenant_id", ASCENDING), ("filing_number", ASCENDING)], unique=True,
                                    name="unique_filing_number",
                                    partialFilterExpression={"filing_number": {"$type": "string"}})
    await db[MACHINE_LOCKS].create_index([("tenant_id", ASCENDING), ("machine_id", ASCENDING)], unique=True,
                                         name="one_project_per_machine")
    await db[OPERATOR_LOCKS].create_index([("tenant_id", ASCENDING), ("person_id", ASCENDING)], unique=True,
                                          name="one_machine_per_operator")
    await db[BANNED].create_index([("tenant_id", ASCENDING), ("model_key", ASCENDING)], unique=True,
                                  name="one_ban_per_model")
    await db[APPLICATIONS].create_index([("tenant_id", ASCENDING), ("applicant.org_id", ASCENDING),
                                         ("stage", ASCENDING), ("updated_at", DESCENDING)])
    await db[APPLICATIONS].create_index([("tenant_id", ASCENDING), ("authority_org_id", ASCENDING),
                                         ("stage", ASCENDING), ("updated_at", DESCENDING)])
    await db[APPLICATIONS].create_index([("tenant_id", ASCENDING), ("sign_token", ASCENDING)], name="sign_token",
                                        partialFilterExpression={"sign_token": {"$type": "string"}})
    await db[AUDIT].create_index([("tenant_id", ASCENDING), ("subject", ASCENDING), ("at", DESCENDING)])


async def migrate_legacy_workers(mongo: UnitOfWorkFactory) -> int:
    """HEB-14 migration (idempotent, at startup): installation/dismantling forms stored with
    ``worker_user_ids`` (identity user ids, before workers were named by personnel person id)
    keep those ids beside the form as ``legacy_worker_user_ids``; the form loses the field, so
    it validates again. A draft among them is refused at 上报 until its workers are named by
    person id (``workers-by-person-id``); submitted and completed ones keep the ids for the
    record. Returns how many applications moved."""
    coll = mongo.db[APPLICATIONS]
    moved = 0
    async for doc in coll.find({"form.worker_user_ids": {"$exists": True}}, {"form.worker_user_ids": 1}):
        ids = list((doc.get("form") or {}).get("worker_user_ids") or [])
        result = await coll.update_one({"_id": doc["_id"]}, {"$set": {"legacy_worker_user_ids": ids},
                                                             "$unset": {"form.worker_user_ids": ""}})
        moved += result.modified_count
    return moved


def is_duplicate(exc: BaseException) -> bool:
    return isinstance(exc, DuplicateKeyError)


async def insert_machine_lock(uow: UnitOfWork, doc: dict[str, Any]) -> dict[str, Any] | None:
    """Insert the machine's lock; None when the unique index says it is already locked (the
    transaction is then spoiled: the caller raises)."""
    try:
        return await uow.repo(MACHINE_LOCKS).insert({"_id": new_id(), **doc})
    except DuplicateKeyError:
        return None


async def insert_operator_lock(uow: UnitOfWork, doc: dict[str, Any]) -> dict[str, Any] | None:
    """Insert one person's lock; None when the unique index says they are locked elsewhere."""
    try:
        return await uow.repo(OPERATOR_LOCKS).insert({"_id": new_id(), **doc})
    except DuplicateKeyError:
        return None


async def next_counter(uow: UnitOfWork, counter_id: str) -> int:
    """Advance the tenant's counter ``counter_id`` inside the transaction (1, 2, …)."""
    repo = uow.repo(COUNTERS)
    doc = await repo.collection.find_one_and_update(
        {"_id": f"{uow.tenant_id}:{counter_id}", "tenant_id": uow.tenant_id}, {"$inc": {"seq": 1}},
        upsert=True, return_document=ReturnDocument.AFTER, session=uow.session)
    return int(doc["seq"])


async def audit(uow: UnitOfWork, *, action: str, subject: str, by: dict[str, Any], reason: str = "",
                **details: Any) -> None:
    """One audit line (who, when, what, why) in the unit's transaction; the unit's entry of the
    platform's audit trail (``anjian_shared.audit``) is named after it."""
    uow.audit_action = f"equipment.{action}"
    await uow.repo(AUDIT).insert({"_id": new_id(), "action": action, "subject": subject, "by": by,
                                  "reason": reason, "at": utcnow(), **details})
