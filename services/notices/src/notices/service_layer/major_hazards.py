"""The register of open major accident hazards (重大事故隐患挂牌督办), HB-06 / HN-07.

Entries are written in the transaction that writes their notice: opened when a 告知书 or a
处理文书 rests on a major hazard (``open_for_notice`` / ``open_for_document``), closed when
it closes (``close``), marked ``rejected`` when the document is rejected in review. The
station leader and the province admin read it (``list_entries``). Rules in
``notices.domain.major_hazards``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from anjian_shared.auth import Principal
from anjian_shared.mongo import Mongo, UnitOfWork
from anjian_shared.pagination import DocPage, paginate

from ..adapters.document_store import MAJOR_HAZARDS
from ..domain import major_hazards as rules
from ..domain.major_hazards import EntryStatus


async def _open(uow: UnitOfWork, entry: dict[str, Any], now: datetime) -> None:
    repo = uow.repo(MAJOR_HAZARDS)
    if await repo.get(entry["_id"]) is None:  # a redelivered event opens nothing twice
        await repo.insert({**entry, "created_at": now, "updated_at": now})


async def open_for_notice(uow: UnitOfWork, notice: Any, now: datetime) -> None:
    """HB-06: open the entry of a 告知书 whose project's results cite a major item (if any)."""
    entry = rules.notice_entry(notice)
    if entry is not None:
        await _open(uow, entry, now)


async def open_for_document(uow: UnitOfWork, doc: dict[str, Any], record: dict[str, Any], now: datetime) -> None:
    """HN-07: open the entry of a 处理文书 resting on a record flagged ``major_hazard`` (if so)."""
    entry = rules.document_entry(doc, record)
    if entry is not None:
        await _open(uow, entry, now)


async def close(uow: UnitOfWork, source: str, source_id: str, now: datetime,
                status: EntryStatus = EntryStatus.CLOSED) -> None:
    """HB-08/HN-09: the notice (``source`` notice|document) closed — or the document was
    rejected (``status`` rejected): its entry, if any, leaves the open list."""
    await uow.repo(MAJOR_HAZARDS).update(
        {"_id": rules.entry_id(source, source_id), "status": EntryStatus.OPEN.value},
        {"$set": {"status": status.value, "closed_at": now, "updated_at": now}})


async def list_entries(*, mongo: Mongo, principal: Principal, status: EntryStatus | None, project_id: str | None,
                       overdue: bool | None, now: datetime, limit: int, cursor: str | None) -> DocPage:
    """HB-06/HN-07 挂牌督办: one page of the register, newest listed first: the leader's own
    station (the province admin: the whole tenant); filters ``status`` (open 督办中 |
    closed 已销号 | rejected; none: all), ``project_id``, ``overdue``. 403 other roles."""
    rules.ensure_reader(principal)
    flt: dict[str, Any] = rules.reader_filter(principal)
    if status is not None:
        flt["status"] = status.value
    if project_id:
        flt["project_id"] = project_id
    if overdue is not None:
        flt = {"$and": [flt, rules.overdue_filter(overdue, now=now)]}
    return await paginate(mongo.repo(MAJOR_HAZARDS, principal.tenant), flt,
                          sort=[("listed_at", -1), ("_id", -1)], limit=limit, cursor=cursor)
