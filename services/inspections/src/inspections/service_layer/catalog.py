"""Use cases of the hazard catalog (隐患库), read side (HB-04: hazards chosen from a catalog)."""

from __future__ import annotations

import re
from typing import Any

from anjian_shared.auth import Principal
from anjian_shared.errors import NotFound
from anjian_shared.mongo import Mongo
from anjian_shared.pagination import DocPage, paginate

from ..adapters.repositories import CATALOG
from ..domain.catalog import CatalogSource, group_tables


async def check_tables(*, mongo: Mongo, principal: Principal) -> list[dict[str, Any]]:
    """The JGJ 59-2011 check tables (检查评分表) of the caller's tenant with their items, in
    table order: ``[{code, name, summary_group, verified, items: [item]}]``."""
    items = await mongo.repo(CATALOG, principal.tenant).find(
        {"source": CatalogSource.JGJ59.value}, sort=[("seq", 1)], limit=0)
    return group_tables(items)


async def search_items(*, mongo: Mongo, principal: Principal, q: str | None, source: CatalogSource | None,
                       table: str | None, major: bool | None, limit: int,
                       cursor: str | None) -> DocPage:
    """Catalog items of the caller's tenant in catalog order; ``q`` matches a substring of the
    name/text (and precursors, table name, category); ``source`` jgj59|major2024; ``table``
    a check-table code such as ``A.0.1``; ``major`` true/false. Returns (items, next_cursor)."""
    flt: dict[str, Any] = {}
    if q and q.strip():
        flt["search_text"] = {"$regex": re.escape(q.strip()), "$options": "i"}
    if source is not None:
        flt["source"] = source.value
    if table:
        flt["table_code"] = table
    if major is not None:
        flt["major"] = major
    return await paginate(mongo.repo(CATALOG, principal.tenant), flt, sort=[("seq", 1)], limit=limit,
                          cursor=cursor)


async def get_item(*, mongo: Mongo, principal: Principal, code: str) -> dict[str, Any]:
    """One catalog item of the caller's tenant by code (404 otherwise)."""
    doc = await mongo.repo(CATALOG, principal.tenant).find_one({"code": code})
    if doc is None:
        raise NotFound(f"no catalog item {code}")
    return doc
