"""HN-10 监督记录及处理文书查询: search and XLSX export of a station's supervision records
and enforcement documents (read model ``station_items``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from anjian_shared.auth import Principal
from anjian_shared.mongo import Mongo
from anjian_shared.pagination import paginate
from anjian_shared.problems import Unprocessable
from anjian_shared.types import utcnow

from ..adapters.repositories import ORGANIZATIONS, STATION_ITEMS
from ..adapters.xlsx import build_workbook
from ..domain import station_search as rules
from ..domain.formatting import to_china
from ..domain.station_search import SearchFilters

SORT = [("created_at", -1), ("_id", -1)]


async def station_names(mongo: Mongo, tenant: str, docs: list[dict[str, Any]]) -> dict[str, str]:
    """Names of the stations of ``docs`` (from identity.organization.created.v1)."""
    ids = sorted({d.get("station_org_id") for d in docs if d.get("station_org_id")})
    if not ids:
        return {}
    orgs = await mongo.repo(ORGANIZATIONS, tenant).find({"_id": {"$in": ids}}, limit=len(ids))
    return {o["_id"]: o.get("name", "") for o in orgs}


async def search(*, mongo: Mongo, principal: Principal, filters: SearchFilters, limit: int,
                 cursor: str | None) -> tuple[list[dict[str, Any]], dict[str, str], str | None]:
    """HN-10: one page (newest first by submission time) of the records/documents the caller
    may search that match ``filters``; returns (items, station names, next_cursor).
    403 not a station leader / province admin, 403 ``other-station`` for a leader naming
    another station, 422 naming the field of a contradictory filter or a bad cursor."""
    scope = rules.search_scope(principal, filters.station_org_id)
    flt = rules.build_filter(filters, scope)
    docs, nxt = await paginate(mongo.repo(STATION_ITEMS, principal.tenant), flt, limit=limit, cursor=cursor)
    return docs, await station_names(mongo, principal.tenant, docs), nxt


@dataclass(frozen=True)
class Export:
    content: bytes
    filename: str
    ascii_filename: str
    rows: int


async def export(*, mongo: Mongo, principal: Principal, filters: SearchFilters, max_rows: int) -> Export:
    """HN-10: every match of ``filters`` (same rules as ``search``) as one XLSX sheet, newest
    first. More than ``max_rows`` matches → 422 ``export-too-large`` naming the filters given
    and asking to narrow them; never a truncated file."""
    scope = rules.search_scope(principal, filters.station_org_id)
    flt = rules.build_filter(filters, scope)
    repo = mongo.repo(STATION_ITEMS, principal.tenant)
    total = await repo.count(flt)
    if total > max_rows:
        raise Unprocessable(
            f"{total} records/documents match ({filters.described()}); an export holds at most {max_rows} rows. "
            "Narrow the search: date_from/date_to, project_id, project_name, submitter, station_org_id, kind, "
            "document_type, check_type or status.", slug="export-too-large")
    docs = await repo.find(flt, sort=SORT, limit=max_rows)
    names = await station_names(mongo, principal.tenant, docs)
    rows = [rules.export_row(d, names) for d in docs]
    content = await asyncio.to_thread(
        build_workbook, title={"record": "监督检查记录", "document": "处理文书"}.get(filters.kind or "",
                                                                                 "监督记录及处理文书"),
        headers=rules.HEADERS, rows=rows, datetime_columns=rules.DATETIME_COLUMNS, date_columns=rules.DATE_COLUMNS)
    name, ascii_name = rules.export_filename(to_china(utcnow()).date(), filters)
    return Export(content=content, filename=name, ascii_filename=ascii_name, rows=len(rows))
