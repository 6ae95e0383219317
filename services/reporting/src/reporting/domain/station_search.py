"""HN-10 监督记录及处理文书查询: leaders search every supervision record and enforcement
document of their station (manual 3.4: 工程名称、提交人、监督站、开始日期、截止日期).

Pure rules, no I/O: who may search what, the status order that keeps a read model from
going back when events arrive out of order, the query filter, and the rows of the export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from anjian_shared.china_time import day_range
from anjian_shared.errors import Forbidden, Unprocessable
from anjian_shared.principal import Principal, Role

from .formatting import to_china

Kind = Literal["record", "document"]
"""``record`` 监督检查记录 (HN-04), ``document`` 处理文书 (HN-07)."""

MAX_EXPORT_ROWS = 10_000
"""Default cap of an XLSX export (``ANJIAN_STATION_SEARCH_MAX_EXPORT_ROWS``): more matching
rows → 422 asking to narrow the filters, never a silently truncated file."""

RECORD_STATUSES = ("pending_review", "issued", "internal", "rejected")
DOCUMENT_STATUSES = ("pending_review", "rejected", "issued", "closed")
ALL_STATUSES = tuple(dict.fromkeys(RECORD_STATUSES + DOCUMENT_STATUSES))

STATUS_RANK: dict[Kind, dict[str, int]] = {
    # a record waits for review, then ends issued, internal or rejected: nothing follows those
    "record": {"pending_review": 0, "issued": 1, "internal": 1, "rejected": 1},
    # a document waits for review, is rejected or issued, and an issued one is closed at last
    "document": {"pending_review": 0, "rejected": 1, "issued": 1, "closed": 2},
}
"""How far an item got. A status is only ever replaced by one of a higher rank, or of the
same rank reported by a later event: a late ``submitted`` (status ``pending_review``) never
moves an ``issued`` item back."""

KIND_LABELS = {"record": "监督检查记录", "document": "处理文书"}
CHECK_TYPE_LABELS = {"quality": "质量", "safety": "安全", "combined": "综合"}
DOCUMENT_TYPE_LABELS = {
    "rectification": "整改通知", "stop_work": "停工通知", "resume_work": "复工通知",
    "bad_conduct": "不良行为记录通知", "equipment_restriction": "工程设备使用限制通知",
    "partial_stop_work": "局部停工通知",
}
STATUS_LABELS: dict[Kind, dict[str, str]] = {
    "record": {"pending_review": "待审核", "issued": "已下达", "internal": "监督内档", "rejected": "审核未通过"},
    "document": {"pending_review": "待审核", "rejected": "审核未通过", "issued": "已下达", "closed": "已办结"},
}
ESCALATION_LABELS = {"penalty_recommendation": "处罚建议书", "bad_conduct_record": "不良行为记录"}


def merge_status(kind: Kind, current: str | None, current_at: datetime | None, new: str,
                 new_at: datetime) -> bool:
    """Whether ``new`` (reported at ``new_at``) replaces the stored ``current`` status: a higher
    rank wins; the same rank wins when reported later (or at the same time)."""
    if current is None:
        return True
    ranks = STATUS_RANK[kind]
    old_rank, new_rank = ranks.get(current, -1), ranks.get(new, -1)
    if new_rank != old_rank:
        return new_rank > old_rank
    return current_at is None or _aware(new_at) >= _aware(current_at)


def _aware(value: datetime) -> datetime:
    """A naive value (as BSON returns it) is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class SearchScope:
    """The stations the caller may search: ``None`` = every station of the tenant."""

    station_org_ids: tuple[str, ...] | None


def search_scope(principal: Principal, station_org_id: str | None) -> SearchScope:
    """HN-10: a province admin searches every station of the tenant (``station_org_id`` narrows);
    a station leader only their own station — naming another station is 403 ``other-station``
    (an explicit request outside their remit, not an empty result that would read as "nothing
    there"). Everyone else (supervisors, companies, partners) 403."""
    if principal.has(Role.PROVINCE_ADMIN):
        return SearchScope((station_org_id,) if station_org_id else None)
    if principal.has(Role.STATION_LEADER) and principal.org_kind in ("station", ""):
        if station_org_id and station_org_id != principal.org_id:
            raise Forbidden("a station leader searches their own station only", field="station_org_id",
                            slug="other-station")
        return SearchScope((principal.org_id,))
    raise Forbidden("only station leaders and the province admin search the station's records and documents",
                    slug="station-search-forbidden")


@dataclass(frozen=True)
class SearchFilters:
    """What the caller asked for (HN-10). Text filters are substrings, case-insensitive."""

    kind: Kind | None = None
    project_id: str | None = None
    project_name: str | None = None
    submitter: str | None = None
    """A user id (exact) or a part of the submitter's name."""
    station_org_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    document_type: str | None = None
    check_type: str | None = None
    status: str | None = None

    def described(self) -> str:
        """``name=value`` of every filter given, for messages."""
        parts = [f"{k}={v}" for k, v in self.__dict__.items() if v not in (None, "")]
        return ", ".join(parts) or "no filters"


def _contains(text: str) -> dict[str, Any]:
    return {"$regex": re.escape(text.strip()), "$options": "i"}


def build_filter(f: SearchFilters, scope: SearchScope) -> dict[str, Any]:
    """The MongoDB filter (inside the tenant) of a search. Only complete items (their
    ``submitted`` event arrived) are listed. 422 names the field of a contradiction:
    ``document_type`` with ``kind=record``, ``check_type`` with ``kind=document``, a status
    the kind never has, ``date_to`` before ``date_from``."""
    kind = f.kind
    if f.document_type:
        if kind == "record":
            raise Unprocessable("document_type applies to documents, not to kind=record", field="document_type")
        kind = "document"
    if f.check_type:
        if kind == "document":
            raise Unprocessable("check_type applies to records, not to kind=document", field="check_type")
        kind = "record"
    if f.status and kind is not None and f.status not in STATUS_RANK[kind]:
        raise Unprocessable(f"a {kind} is never {f.status}", field="status")
    clauses: list[dict[str, Any]] = [{"complete": True}]
    if kind:
        clauses.append({"kind": kind})
    if scope.station_org_ids is not None:
        clauses.append({"station_org_id": {"$in": list(scope.station_org_ids)}})
    if f.project_id:
        clauses.append({"project_id": f.project_id})
    if f.project_name and f.project_name.strip():
        clauses.append({"project_name": _contains(f.project_name)})
    if f.submitter and f.submitter.strip():
        clauses.append({"$or": [{"submitter_id": f.submitter.strip()},
                                {"submitter_name": _contains(f.submitter)}]})
    if f.document_type:
        clauses.append({"type": f.document_type})
    if f.check_type:
        clauses.append({"type": f.check_type})
    if f.status:
        clauses.append({"status": f.status})
    rng = day_range(f.date_from, f.date_to)
    if rng:
        clauses.append({"submitted_at": rng})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


# ---- the export ------------------------------------------------------------------------------------

HEADERS: list[tuple[str, int]] = [
    ("类别", 14), ("类型", 20), ("编号", 26), ("项目", 34), ("提交人", 12), ("监督站", 30),
    ("提交日期", 18), ("状态", 12), ("回复期限", 12), ("升级处理", 30), ("内容", 50), ("标识", 34),
]
"""Columns of the XLSX (header, width in characters)."""
DATETIME_COLUMNS = {7}
DATE_COLUMNS = {9}


def naive_china(value: datetime | None) -> datetime | None:
    """A datetime as China wall-clock time without tzinfo (Excel has no time zones)."""
    return to_china(value).replace(tzinfo=None) if value else None


def export_row(item: dict[str, Any], station_names: dict[str, str]) -> list[Any]:
    """One XLSX row of a stored search item; dates as ``datetime``/``date`` (real Excel dates)."""
    kind: Kind = item["kind"]
    type_label = (CHECK_TYPE_LABELS if kind == "record" else DOCUMENT_TYPE_LABELS).get(item.get("type") or "",
                                                                                        item.get("type") or "")
    deadline = item.get("deadline")
    esc = item.get("escalation") or {}
    escalation = f"{ESCALATION_LABELS.get(esc.get('kind', ''), esc.get('kind', ''))} {esc.get('number', '')}".strip()
    return [
        KIND_LABELS[kind], type_label, item.get("number") or "", item.get("project_name") or "",
        item.get("submitter_name") or "", station_names.get(item.get("station_org_id") or "", "")
        or item.get("station_org_id") or "",
        naive_china(item.get("submitted_at")), STATUS_LABELS[kind].get(item.get("status") or "", item.get("status")),
        date.fromisoformat(deadline) if deadline else None, escalation, item.get("summary") or "", item["item_id"],
    ]


def export_filename(today: date, f: SearchFilters) -> tuple[str, str]:
    """(UTF-8 name, ASCII fallback) of the export file."""
    what = {"record": "监督检查记录", "document": "处理文书", None: "监督记录及处理文书"}[f.kind]
    return f"{what}查询_{today:%Y%m%d}.xlsx", f"station-search-{today:%Y%m%d}.xlsx"
