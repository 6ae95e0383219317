"""Hebei hazard sources (危险源) and the construction log (施工日志), HEB-09. No I/O.

The contractor (施工单位) of a project declares each hazard source: a dangerous sub-project
(危险性较大的分部分项工程, 住建部令第37号 and its implementing list 建办质〔2018〕31号) with its
``kind`` (``HAZARD_KINDS``), its ``category`` — ``general`` 一般危险源 (附件一, "危大工程") or
``major`` 重大危险源 (附件二, "超过一定规模的危大工程", whose special plan must have passed an
expert review 专家论证) — its ``start_date`` and ``planned_end_date``. It closes the source with
its ``actual_end_date``. The kinds come from the regulation's list (shipped here), not from the
major-accident-hazard catalog of inspections (建质规〔2024〕5号 lists hazards found on
inspection, not sub-projects a contractor declares; and services never import each other).

A source is **open on a China day** ``d`` (``anjian_shared.china_time``) when
``start_date <= d`` and it is not closed or ``d <= actual_end_date``; a source past its
planned end but not closed stays open (and shows ``overdue``). While at least one source is
open on a day, the contractor files ONE construction log for that day (text and photos); a
day with an open source and no log is a **missing day** (缺报日) on the station's list. Days
are whole China days; today is listed while its log is missing (it is due today), so the
list says what is missing so far; a log filed late (补报) removes its day from the list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from anjian_shared.errors import Conflict, Forbidden, Unprocessable
from anjian_shared.principal import Principal, Role

HAZARD_KINDS: dict[str, str] = {
    "foundation_pit": "基坑工程",
    "formwork": "模板工程及支撑体系",
    "lifting": "起重吊装及起重机械安装拆卸工程",
    "scaffolding": "脚手架工程",
    "demolition": "拆除工程",
    "underground_excavation": "暗挖工程",
    "curtain_wall": "建筑幕墙安装工程",
    "steel_structure": "钢结构、网架和索膜结构安装工程",
    "manual_dug_pile": "人工挖孔桩工程",
    "underwater": "水下作业工程",
    "prefabricated_installation": "装配式建筑混凝土预制构件安装工程",
    "new_technology": "采用新技术、新工艺、新材料、新设备可能影响工程施工安全的分部分项工程",
    "other": "其他危险性较大的分部分项工程",
}
"""Kinds of dangerous sub-projects (危大工程), the headings of 建办质〔2018〕31号 附件一/附件二."""

CATEGORIES: dict[str, str] = {"general": "一般危险源", "major": "重大危险源"}
"""``general``: a 危大工程; ``major``: one 超过一定规模 (needs an expert-reviewed plan)."""

MAX_TEXT = 4000
"""Longest log text, in characters."""
MAX_PHOTOS = 9
"""Most photos per log (a phone picker's usual limit)."""
MAX_PERIOD_DAYS = 366
"""Longest period a list of days may cover (``date_from``..``date_to``)."""


# ------------------------------------------------------------------------------------ who


def is_contractor(actor: Principal, project: dict[str, Any]) -> bool:
    """HEB-09: a user of the project's contractor company (施工单位; any of its roles)."""
    return actor.org_kind == "company" and actor.org_id == project.get("contractor_org_id")


def ensure_contractor(actor: Principal, project: dict[str, Any]) -> None:
    """HEB-09: only the project's contractor declares and closes hazard sources and files
    construction logs; 403 for everyone else who sees the project (station, owner, supervision)."""
    if not is_contractor(actor, project):
        raise Forbidden("only the project's contractor (施工单位) declares hazard sources and files construction logs")


def is_station_or_province(actor: Principal, project: dict[str, Any]) -> bool:
    """HEB-09/HEB-16: a user of the project's supervising station, or the province's
    administrator (省级管理员, an ``authority`` user with role ``province_admin``)."""
    station = actor.org_kind == "station" and actor.org_id == project.get("station_org_id")
    province = actor.org_kind == "authority" and actor.has(Role.PROVINCE_ADMIN, Role.PLATFORM_ADMIN)
    return station or province


def ensure_may_see_missing_days(actor: Principal, project: dict[str, Any]) -> None:
    """HEB-09: the missing days are for the project's station (its staff), the province
    administrator and the contractor (its own project); 403 for the other parties and for
    authority staff who are not the province administrator."""
    if not (is_station_or_province(actor, project) or is_contractor(actor, project)):
        raise Forbidden("only the project's station, the province administrator and the contractor see its "
                        "missing log days")


# ------------------------------------------------------------------------------------ sources


def validate_declaration(*, kind: str, category: str, name: str, start_date: date, planned_end_date: date,
                         expert_reviewed: bool) -> str:
    """HEB-09: a declaration's fields; returns ``name`` stripped. 422 naming ``kind`` (not in
    ``HAZARD_KINDS``), ``category`` (not general/major), ``name`` (1..100 characters),
    ``planned_end_date`` (before ``start_date``), ``expert_reviewed`` (a major source whose
    special plan has not passed the expert review 专家论证, 住建部令第37号 art. 12)."""
    if kind not in HAZARD_KINDS:
        raise Unprocessable(f"kind must be one of {', '.join(HAZARD_KINDS)}", field="kind")
    if category not in CATEGORIES:
        raise Unprocessable("category must be general (一般) or major (重大)", field="category")
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise Unprocessable("name must have 1..100 characters", field="name")
    if planned_end_date < start_date:
        raise Unprocessable("planned_end_date is before start_date", field="planned_end_date")
    if category == "major" and not expert_reviewed:
        raise Unprocessable("a major hazard source needs a special plan that passed the expert review (专家论证)",
                            field="expert_reviewed")
    return name


def validate_close(source: dict[str, Any], *, actual_end_date: date, today: date) -> None:
    """HEB-09: closing ``source`` on ``actual_end_date``. 409 ``hazard-source-closed`` when it
    is already closed; 422 naming ``actual_end_date`` when it is before the source's start or
    after ``today`` (China day)."""
    if source.get("actual_end_date") is not None:
        raise Conflict(f"the hazard source was already closed on {source['actual_end_date']}",
                       field="actual_end_date", slug="hazard-source-closed")
    if actual_end_date < as_date(source["start_date"]):
        raise Unprocessable("actual_end_date is before the source's start_date", field="actual_end_date")
    if actual_end_date > today:
        raise Unprocessable(f"actual_end_date lies in the future (today is {today.isoformat()}, Asia/Shanghai)",
                            field="actual_end_date")


def as_date(value: Any) -> date:
    """A day stored as ``YYYY-MM-DD`` (or a ``date``) as a ``date``."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def is_open_on(source: dict[str, Any], day: date) -> bool:
    """HEB-09: whether ``source`` is open on China day ``day`` (``start_date <= day`` and not
    closed before it; the day of ``actual_end_date`` itself is still open)."""
    end = source.get("actual_end_date")
    return as_date(source["start_date"]) <= day and (end is None or day <= as_date(end))


def status(source: dict[str, Any], today: date) -> str:
    """``closed`` (actual end given), ``planned`` (starts after today), ``overdue`` (open past
    its planned end) or ``open``."""
    if source.get("actual_end_date") is not None:
        return "closed"
    if as_date(source["start_date"]) > today:
        return "planned"
    if as_date(source["planned_end_date"]) < today:
        return "overdue"
    return "open"


# ------------------------------------------------------------------------------------ logs


def check_log_day(log_date: date, *, today: date, sources: Iterable[dict[str, Any]]) -> list[str]:
    """HEB-09: a construction log for ``log_date`` may be filed; returns the ids of the sources
    open that day. 422 naming ``log_date``: after ``today`` (China day; slug ``log-date-future``)
    or a day on which no hazard source of the project is open (slug ``no-open-hazard-source``).
    A past day may be filed late (补报); it then leaves the missing-days list."""
    if log_date > today:
        raise Unprocessable(f"log_date {log_date.isoformat()} lies in the future (today is {today.isoformat()}, "
                            "Asia/Shanghai)", field="log_date", slug="log-date-future")
    open_ids = [s["_id"] for s in sources if is_open_on(s, log_date)]
    if not open_ids:
        raise Unprocessable(f"no hazard source of the project is open on {log_date.isoformat()}: a construction "
                            "log is kept only while one is", field="log_date", slug="no-open-hazard-source")
    return open_ids


def validate_text(text: str) -> str:
    """HEB-09: the log's text, stripped: 1..``MAX_TEXT`` characters (422 ``text``)."""
    text = text.strip()
    if not 1 <= len(text) <= MAX_TEXT:
        raise Unprocessable(f"text must have 1..{MAX_TEXT} characters", field="text")
    return text


def validate_photo_count(count: int) -> None:
    """HEB-09 (手册: 上传现场照片): 1..``MAX_PHOTOS`` photos per log (422 ``photos``)."""
    if not 1 <= count <= MAX_PHOTOS:
        raise Unprocessable(f"send 1..{MAX_PHOTOS} site photos", field="photos")


def period(date_from: date | None, date_to: date | None, *, today: date,
           first_day: date | None) -> tuple[date, date] | None:
    """The days ``date_from``..``date_to`` clipped to ``first_day``..``today`` (None when that
    leaves nothing). Defaults: from the first day a source started, to today. 422 naming
    ``date_to`` when it is before ``date_from`` or the period is longer than ``MAX_PERIOD_DAYS``
    (after clipping)."""
    if date_from is not None and date_to is not None and date_to < date_from:
        raise Unprocessable("date_to is before date_from", field="date_to")
    if first_day is None:
        return None
    start = max(d for d in (date_from, first_day) if d is not None)
    end = min(d for d in (date_to, today) if d is not None)
    if end < start:
        return None
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise Unprocessable(f"the period covers more than {MAX_PERIOD_DAYS} days; narrow date_from/date_to",
                            field="date_to")
    return start, end


def days(start: date, end: date) -> Iterator[date]:
    """Every day from ``start`` to ``end`` inclusive."""
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def missing_days(sources: list[dict[str, Any]], logged: set[date], start: date,
                 end: date) -> list[dict[str, Any]]:
    """HEB-09: the days ``start``..``end`` (inclusive, ascending) on which at least one source
    was open and no log was filed: ``[{"day", "open_source_ids"}]``."""
    out = []
    for day in days(start, end):
        if day in logged:
            continue
        open_ids = [s["_id"] for s in sources if is_open_on(s, day)]
        if open_ids:
            out.append({"day": day, "open_source_ids": open_ids})
    return out
