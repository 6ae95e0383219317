"""The register of open major accident hazards (重大事故隐患挂牌督办, 建质规〔2024〕5号): what
the station leader follows until the hazard is removed. Rules only, no I/O (HB-06, HN-07).

An entry opens when a notice rests on a major hazard and closes when that notice closes:

=========================================  ==========================================  =====================
opened by                                  its measure                                 closed by
=========================================  ==========================================  =====================
a 告知书 (Hubei) whose project's results     the plan's disposition: 停工整改 or          the notice closes
cite a major item                          局部停工整改 (HB-06 allows nothing weaker)   (a reply accepted)
a 处理文书 (Hainan) resting on a record      停工通知 or 局部停工通知 (HN-07 allows        every replier's reply
flagged ``major_hazard``                   nothing weaker)                             accepted; ``rejected``
                                                                                       when the document is
                                                                                       rejected in review
=========================================  ==========================================  =====================

Each entry: where (project, station), since when (``found_at``: the first major finding;
``listed_at``: the notice's date), which notice (``source`` notice|document, its id and
number), the items, the deadline; ``overdue`` is computed when read (the deadline day has
passed in Asia/Shanghai while the entry is open).

Who reads it: the station leaders (站长) of the entry's station and the province admin of the
tenant; nobody else (403). Another tenant never sees an entry (its own register is separate).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from anjian_shared.china_time import china_day
from anjian_shared.errors import Forbidden, Unprocessable
from anjian_shared.principal import Principal, Role

STOP_WORK_DOCUMENT_TYPES: frozenset[str] = frozenset({"stop_work", "partial_stop_work"})
"""HN-07: the only documents a record citing a major hazard allows: 停工通知, 局部停工通知."""

READER_ROLES: tuple[str, ...] = (Role.STATION_LEADER.value, Role.PROVINCE_ADMIN.value)


class EntryStatus(StrEnum):
    OPEN = "open"            # 督办中
    CLOSED = "closed"        # 已销号: the notice closed
    REJECTED = "rejected"    # the document was rejected in review (a new one must follow)


STATUS_LABELS = {"open": "督办中", "closed": "已销号", "rejected": "文书审核未通过"}
SOURCE_LABELS = {"notice": "告知书", "document": "处理文书"}


def entry_id(source: str, source_id: str) -> str:
    """``_id`` of the entry of a notice (``notice:<id>``) or a document (``document:<id>``)."""
    return f"{source}:{source_id}"


def ensure_reader(principal: Principal) -> None:
    """HB-06/HN-07 挂牌督办: station leaders and the province admin read the register; 403 others."""
    if not principal.has(*READER_ROLES):
        raise Forbidden("only station leaders and the province admin read the major-hazard register",
                        slug="role-required")


def reader_filter(principal: Principal) -> dict[str, Any]:
    """The entries ``principal`` reads: the whole tenant for the province admin, else the
    entries of the leader's own station."""
    if principal.has(Role.PROVINCE_ADMIN.value):
        return {}
    return {"station_org_id": principal.org_id}


def is_overdue(entry: Mapping[str, Any], *, now: datetime) -> bool:
    """Open and its deadline day has passed in Asia/Shanghai (overdue from the next day on)."""
    deadline = entry.get("deadline")
    if entry.get("status") != EntryStatus.OPEN.value or not deadline:
        return False
    return date.fromisoformat(deadline) < china_day(now)


def overdue_filter(overdue: bool, *, now: datetime) -> dict[str, Any]:
    """The MongoDB filter equivalent to ``is_overdue`` (true) or its negation (false)."""
    today = china_day(now).isoformat()
    if overdue:
        return {"status": EntryStatus.OPEN.value, "deadline": {"$lt": today}}
    return {"$or": [{"status": {"$ne": EntryStatus.OPEN.value}}, {"deadline": {"$gte": today}}]}


def notice_entry(notice: Any) -> dict[str, Any] | None:
    """HB-06: The entry of a 告知书 (``domain.model.Notice``) whose results cite a major
    item, or ``None`` when none does."""
    majors = [r for r in notice.results if r.major_hazard or any(h.major for h in r.hazards)]
    if not majors:
        return None
    items = _unique({"code": h.code, "name": h.name} for r in majors for h in r.hazards if h.major)
    return {
        "_id": entry_id("notice", notice.id), "source": "notice", "source_id": notice.id, "number": notice.number,
        "measure": notice.disposition, "stop_work_part": getattr(notice, "stop_work_part", None),
        "project_id": notice.project_id, "project_name": notice.project_name,
        "station_org_id": notice.station_org_id, "hazards": items,
        "found_at": min(r.recorded_at for r in majors), "listed_at": notice.issued_at,
        "deadline": notice.rectification_date.isoformat(), "status": EntryStatus.OPEN.value, "closed_at": None,
    }


def document_entry(doc: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any] | None:
    """HN-07: The entry of a 处理文书 ``doc`` resting on ``record`` (notices' read model) when
    the record is flagged ``major_hazard``, else ``None``."""
    codes = list(record.get("major_hazard_codes") or [])
    if not record.get("major_hazard") and not codes:
        return None
    texts = {v.get("code"): v.get("text", "") for v in record.get("violations", [])}
    return {
        "_id": entry_id("document", doc["_id"]), "source": "document", "source_id": doc["_id"],
        "number": doc["number"], "measure": doc["document_type"], "stop_work_part": None,
        "project_id": doc["project_id"], "project_name": doc.get("project_name", ""),
        "station_org_id": doc["station_org_id"], "hazards": [{"code": c, "name": texts.get(c, "")} for c in codes],
        "found_at": record.get("submitted_at") or doc["submitted_at"], "listed_at": doc["submitted_at"],
        "deadline": doc["deadline"], "status": EntryStatus.OPEN.value, "closed_at": None,
    }


def check_document_type(document_type: str, record: Mapping[str, Any], *, field: str = "document_type") -> None:
    """HN-07: A document resting on a record flagged ``major_hazard`` (decided by inspections
    from its catalog and carried by ``inspections.record.submitted.v1``) can only be a
    停工通知 (``stop_work``) or 局部停工通知 (``partial_stop_work``): anything weaker is 422
    ``field`` ``major-hazard-requires-stop-work``, the detail naming each item."""
    codes = list(record.get("major_hazard_codes") or [])
    if not (record.get("major_hazard") or codes) or document_type in STOP_WORK_DOCUMENT_TYPES:
        return
    texts = {v.get("code"): v.get("text", "") for v in record.get("violations", [])}
    named = "; ".join(f"{c} {texts.get(c, '')}".strip() for c in codes) or "a 2024-standard item"
    raise Unprocessable(f"the record cites 重大事故隐患 (建质规〔2024〕5号): only a 停工通知 (stop_work) "
                        f"or 局部停工通知 (partial_stop_work) may rest on it, not {document_type}: {named}",
                        field=field, slug="major-hazard-requires-stop-work")


def _unique(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({i["code"]: i for i in items}.values())
