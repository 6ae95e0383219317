"""Use cases of the supervision-record libraries (标准规范术语, 违法违规行为), HN-04.

Every tenant has its own copy (seeded at start); its province admin or a station leader
edits it. Reads are open to every signed-in user of the tenant whose tenant has the
feature (``Settings.records_enabled``).
"""

from __future__ import annotations

import re
import time
from typing import Any

from pymongo.errors import DuplicateKeyError

from anjian_shared.auth import Principal
from anjian_shared.mongo import Mongo
from anjian_shared.pagination import DocPage, paginate
from anjian_shared.problems import Conflict, NotFound, Unprocessable
from anjian_shared.types import new_id, utcnow

from ..adapters.records_store import LIBRARY_COLLECTIONS
from ..adapters.repositories import CATALOG, by_ids
from ..domain import libraries as rules
from ..domain.libraries import CheckType, Library
from ..settings import Settings
from .records import ensure_enabled

EDITABLE = {Library.TERMS: ("text", "reference", "check_type"),
            Library.VIOLATIONS: ("text", "reference", "category"),
            Library.CHECK_POINTS: ("text", "reference", "category", "hazard_codes")}


async def _gate(mongo: Mongo, settings: Settings, principal: Principal, library: Library) -> None:
    """HN-04's libraries need the ``supervision_records`` feature; Fujian's check points
    (FJ-06) are read by every signed-in user of the tenant."""
    if library is not Library.CHECK_POINTS:
        await ensure_enabled(mongo, settings, principal)


async def _hazard_codes(mongo: Mongo, tenant: str, codes: Any) -> dict[str, Any]:
    """FJ-06: the hazard-catalog codes a check point cites (e.g. ``ZD2024-5.4``), each in the
    tenant's hazard catalog (422 ``hazard_codes``), and ``major``: one of them is a major item
    of the catalog (重大事故隐患; the catalog decides, as for Hubei's results)."""
    wanted = rules.normalize_codes(codes or [], 20, field="hazard_codes")
    found = await by_ids(mongo.repo(CATALOG, tenant), wanted, key="code")
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise Unprocessable(f"not in the hazard catalog: {', '.join(unknown)}", field="hazard_codes")
    return {"hazard_codes": wanted, "major": any(bool(found[c].get("major")) for c in wanted)}


async def list_entries(*, mongo: Mongo, settings: Settings, principal: Principal, library: Library,
                       q: str | None, check_type: CheckType | None, limit: int,
                       cursor: str | None) -> DocPage:
    """HN-04 选取术语 / 违法违规行为: the tenant's entries in display order (seed order, then
    the tenant's own). ``q`` matches a substring of code, text, reference or category;
    ``check_type`` (terms only) gives the terms a record of that type may cite (``combined``:
    all). Returns (entries, next_cursor)."""
    await _gate(mongo, settings, principal, library)
    flt: dict[str, Any] = {"deleted": {"$ne": True}}
    if q and q.strip():
        flt["search_text"] = {"$regex": re.escape(q.strip()), "$options": "i"}
    if check_type is not None and library is Library.TERMS:
        flt["check_type"] = {"$in": rules.term_check_types(check_type)}
    return await paginate(mongo.repo(LIBRARY_COLLECTIONS[library], principal.tenant), flt,
                          sort=[("seq", 1), ("code", 1)], limit=limit, cursor=cursor)


async def create_entry(*, mongo: Mongo, settings: Settings, principal: Principal, library: Library,
                       fields: dict[str, Any]) -> dict[str, Any]:
    """HN-04: the province admin or a station leader adds an entry to the tenant's library.
    ``code`` optional (``CUST-`` + 8 hex digits when absent); 409 when the code is taken by a
    live entry (a deleted entry of that code is replaced). 403 other roles."""
    await _gate(mongo, settings, principal, library)
    rules.ensure_editor(principal)
    code = rules.validate_code(fields.get("code") or f"CUST-{new_id()[:8].upper()}")
    repo = mongo.repo(LIBRARY_COLLECTIONS[library], principal.tenant)
    now = utcnow()
    entry: dict[str, Any] = {"code": code, "text": fields["text"], "reference": fields.get("reference"),
                             "source": "tenant", "seq": rules.CUSTOM_SEQ_BASE + int(time.time() * 1000),
                             "seeded": False, "deleted": False, "updated_at": now, "updated_by": principal.user_id}
    if library is Library.TERMS:
        entry["check_type"] = CheckType(fields["check_type"]).value
    else:
        entry["category"] = fields.get("category")
    if library is Library.CHECK_POINTS:
        entry.update(await _hazard_codes(mongo, principal.tenant, fields.get("hazard_codes")))
    entry["search_text"] = rules.search_text(entry)
    revived = await repo.update({"code": code, "deleted": True}, {"$set": {**entry, "created_at": now}})
    if revived is not None:
        return revived
    try:
        return await repo.insert({"_id": f"{principal.tenant}:{code}", **entry, "created_at": now})
    except DuplicateKeyError as exc:
        raise Conflict(f"the library already has an entry {code}", field="code", slug="code-taken") from exc


async def update_entry(*, mongo: Mongo, settings: Settings, principal: Principal, library: Library, code: str,
                       changes: dict[str, Any]) -> dict[str, Any]:
    """HN-04: the province admin or a station leader changes an entry's text, reference,
    check type (terms) or category (violations). Records citing it keep the text they had.
    404 unknown or deleted code; 403 other roles."""
    await _gate(mongo, settings, principal, library)
    rules.ensure_editor(principal)
    repo = mongo.repo(LIBRARY_COLLECTIONS[library], principal.tenant)
    current = await repo.find_one({"code": code, "deleted": {"$ne": True}})
    if current is None:
        raise NotFound(f"no entry {code}")
    fields = {k: v for k, v in changes.items() if k in EDITABLE[library]}
    if "text" in fields and fields["text"] is None:
        raise Unprocessable("text cannot be removed", field="text")
    if "check_type" in fields:
        if fields["check_type"] is None:
            raise Unprocessable("check_type cannot be removed", field="check_type")
        fields["check_type"] = CheckType(fields["check_type"]).value
    if "hazard_codes" in fields:
        fields.update(await _hazard_codes(mongo, principal.tenant, fields["hazard_codes"]))
    merged = {**current, **fields}
    fields["search_text"] = rules.search_text(merged)
    updated = await repo.update({"code": code, "deleted": {"$ne": True}},
                                {"$set": {**fields, "updated_at": utcnow(), "updated_by": principal.user_id}})
    if updated is None:
        raise NotFound(f"no entry {code}")
    return updated


async def delete_entry(*, mongo: Mongo, settings: Settings, principal: Principal, library: Library,
                       code: str) -> None:
    """HN-04: the province admin or a station leader removes an entry from the tenant's
    library (kept as deleted, so seeding does not bring it back; records citing it keep
    their copy). 404 unknown or already deleted; 403 other roles."""
    await _gate(mongo, settings, principal, library)
    rules.ensure_editor(principal)
    repo = mongo.repo(LIBRARY_COLLECTIONS[library], principal.tenant)
    done = await repo.update({"code": code, "deleted": {"$ne": True}},
                             {"$set": {"deleted": True, "updated_at": utcnow(), "updated_by": principal.user_id}})
    if done is None:
        raise NotFound(f"no entry {code}")
