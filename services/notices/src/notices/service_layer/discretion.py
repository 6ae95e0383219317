"""The discretion table (自由裁量基准, HEB-18) and the penalty a reviewer sets on a 处罚建议书.

Collection ``discretion_entries``: ``_id`` = ``<tenant>:<violation code>`` (one entry per
violation and tenant, so two concurrent creations of one code end with one entry and a 409).
Every write emits ``notices.discretion_entry.changed.v1`` (and is in the audit trail, like
every unit-of-work write).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pymongo.errors import DuplicateKeyError

from anjian_shared.auth import Principal
from anjian_shared.events.notices_v1 import DiscretionEntryChanged, EscalationPenaltySet
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.pagination import paginate
from anjian_shared.problems import Conflict, Forbidden, NotFound
from anjian_shared.types import utcnow

from ..adapters.document_store import DISCRETION, DOCUMENTS, ESCALATIONS
from ..domain import discretion as rules
from ..domain import documents as doc_rules

DISCRETION_CHANGED = "notices.discretion_entry.changed.v1"
ESCALATION_PENALTY_SET = "notices.escalation.penalty_set.v1"


def _event(entry: Mapping[str, Any], change: str, principal: Principal, now: Any) -> DiscretionEntryChanged:
    return DiscretionEntryChanged(
        violation_code=entry["violation_code"], change=change,
        violation_name=entry.get("violation_name") if change != "deleted" else None,
        legal_basis=entry.get("legal_basis") if change != "deleted" else None,
        ranges=entry.get("ranges") if change != "deleted" else None, changed_by=principal.user_id, changed_at=now)


async def put_entry(*, mongo: Mongo, principal: Principal, body: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """HEB-18: create or replace the entry for ``body['violation_code']`` (see
    ``domain.discretion.validate_entry`` for the shape). 403 not the province administrator;
    422 naming the field. Returns (entry, created). Emits ``notices.discretion_entry.changed.v1``."""
    rules.ensure_admin(principal)
    entry = rules.validate_entry(body)
    tenant = principal.tenant

    async def apply(uow: UnitOfWork) -> tuple[dict[str, Any], bool]:
        repo, now = uow.repo(DISCRETION), utcnow()
        _id = rules.entry_id(tenant, entry["violation_code"])
        current = await repo.get(_id)
        who = {"user_id": principal.user_id, "name": principal.name or ""}
        if current is None:
            stored = await repo.insert({"_id": _id, **entry, "version": 1, "created_at": now, "updated_at": now,
                                        "updated_by": who})
        else:
            stored = await repo.update({"_id": _id, "version": current.get("version", 1)},
                                       {"$set": {**entry, "updated_at": now, "updated_by": who},
                                        "$inc": {"version": 1}})
            if stored is None:
                raise Conflict("the entry changed meanwhile; try again", slug="discretion-entry-busy")
        uow.emit(DISCRETION_CHANGED, subject=entry["violation_code"],
                 data=_event(entry, "created" if current is None else "replaced", principal, now))
        return stored, current is None

    try:
        return await with_transaction(mongo, tenant, apply)
    except DuplicateKeyError as exc:
        raise Conflict("the entry was created meanwhile; send it again to replace it",
                       slug="discretion-entry-busy") from exc


async def delete_entry(*, mongo: Mongo, principal: Principal, violation_code: str) -> None:
    """HEB-18: remove the entry for ``violation_code``. 403 not the province administrator; 404
    none. Citations already made keep their copy of the entry. Emits the change event."""
    rules.ensure_admin(principal)
    tenant = principal.tenant

    async def apply(uow: UnitOfWork) -> None:
        if not await uow.repo(DISCRETION).delete({"_id": rules.entry_id(tenant, violation_code)}):
            raise rules.entry_not_found(violation_code)
        uow.emit(DISCRETION_CHANGED, subject=violation_code,
                 data=_event({"violation_code": violation_code}, "deleted", principal, utcnow()))

    await with_transaction(mongo, tenant, apply)


async def list_entries(*, mongo: Mongo, principal: Principal, violation_code: str | None, limit: int,
                       cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """HEB-18: the tenant's table ordered by violation code, paginated (``limit`` 1..100,
    opaque ``cursor``). Readable by every signed-in user of the tenant (inspectors cite it);
    ``violation_code`` narrows to one entry."""
    flt = {"violation_code": violation_code} if violation_code else {}
    page = await paginate(mongo.repo(DISCRETION, principal.tenant), flt, sort=[("violation_code", 1)],
                          limit=limit, cursor=cursor)
    return page.items, page.next_cursor


async def entries_by_code(uow: UnitOfWork, codes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """HEB-18: the stored entries for ``codes`` (by code), inside ``uow``."""
    wanted = list(codes)
    if not wanted:
        return {}
    found = await uow.repo(DISCRETION).find({"violation_code": {"$in": wanted}}, limit=len(wanted))
    return {e["violation_code"]: e for e in found}


async def citation_for_document(uow: UnitOfWork, document: Mapping[str, Any]) -> dict[str, Any] | None:
    """HEB-18: what an automatic 处罚建议书 cites for ``document`` (its record's violations)."""
    codes = rules.violation_codes((document.get("record") or {}).get("violations", []))
    return rules.citation_for(await entries_by_code(uow, codes), codes)


async def set_escalation_penalty(*, mongo: Mongo, principal: Principal, document_id: str,
                                 violation_code: str | None, severity: str | None,
                                 penalty_amount: int | None) -> dict[str, Any]:
    """HEB-18: the reviewer's penalty of a 处罚建议书 (the escalation of ``document_id``): cite
    an entry (``violation_code`` + ``severity``) and an amount in yuan inside its range.
    Who: the document's station side (issuer, report recipients, station leaders). 404 not
    visible or no escalation; 403 ``not-station-side``; 409 ``not-a-penalty`` (a 不良行为记录)
    or ``penalty-already-set``; 422 as ``domain.discretion.check_penalty``. Stores
    ``penalty`` on the escalation, emits ``notices.escalation.penalty_set.v1``."""
    tenant = principal.tenant

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        doc = await uow.repo(DOCUMENTS).get(document_id)
        facts = doc_rules.visible_facts(doc, principal)
        if not doc_rules.is_station_side(facts, principal):
            raise Forbidden("only the issuing station sets the penalty", slug="not-station-side")
        esc = await uow.repo(ESCALATIONS).find_one({"document_id": document_id})
        if esc is None:
            raise NotFound("the document has no escalation")
        if esc["kind"] != "penalty_recommendation":
            raise Conflict("a 不良行为记录 carries no penalty", slug="not-a-penalty")
        entry = (await entries_by_code(uow, [violation_code])).get(violation_code) if violation_code else None
        penalty = rules.check_penalty(entry, violation_code=violation_code, severity=severity,
                                      amount=penalty_amount)
        now = utcnow()
        penalty |= {"set_by": {"user_id": principal.user_id, "name": principal.name or ""}, "set_at": now}
        updated = await uow.repo(ESCALATIONS).update({"_id": esc["_id"], "penalty": None},
                                                     {"$set": {"penalty": penalty}})
        if updated is None:
            raise Conflict("the penalty of this 处罚建议书 is already set", slug="penalty-already-set")
        uow.emit(ESCALATION_PENALTY_SET, subject=document_id, data=EscalationPenaltySet(
            document_id=document_id, escalation_id=esc["_id"], escalation_number=esc["number"],
            violation_code=penalty["violation_code"], severity=penalty["severity"],
            penalty_amount=penalty["penalty_amount"], min_yuan=penalty["min_yuan"], max_yuan=penalty["max_yuan"],
            legal_basis=penalty["legal_basis"], set_by=principal.user_id, set_at=now))
        return updated

    return await with_transaction(mongo, tenant, apply)

