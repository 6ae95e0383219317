"""Key-personnel attendance rules (关键岗位人员到岗监督, HN-11). No I/O.

Key personnel (关键岗位人员) of a project are its participants holding one of
``KEY_PERSONNEL_ROLES``. They clock in (打卡) on site; a supervisor of the project's
station runs an attendance check (查岗) over some of them and gets, per person:

- ``absent``  — no clock-in in the window of ``window_minutes`` minutes before the check;
- ``late``    — the earliest clock-in in the window is after ``on_time_before`` (HH:MM,
  Asia/Shanghai local time) on the check's local day;
- ``present`` — otherwise.

Times are timezone-aware; the local day is Asia/Shanghai (UTC+8, no daylight saving).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from typing import Any

from anjian_shared.china_time import CHINA_TZ
from anjian_shared.errors import Forbidden, Unprocessable
from anjian_shared.principal import Principal

from .model import PROJECT_ROLES, may_manage
from .positioning import distance_to_position

LOCAL_TZ = CHINA_TZ

KEY_PERSONNEL_ROLES: tuple[str, ...] = (
    "project_manager", "technical_lead", "safety_officer", "chief_supervising_engineer")
"""Project roles whose holders are key personnel (项目经理, 技术负责人, 专职安全员, 总监理工程师)."""
assert set(KEY_PERSONNEL_ROLES) <= set(PROJECT_ROLES)

DEFAULT_WINDOW_MINUTES = 120
MAX_WINDOW_MINUTES = 24 * 60


def key_personnel(project: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """HN-11: the project's key personnel, user id → ``{user_id, org_id, name, project_roles}``
    (a person holding several key roles appears once, with all of them)."""
    out: dict[str, dict[str, Any]] = {}
    for p in project.get("participants", []):
        if p["project_role"] not in KEY_PERSONNEL_ROLES:
            continue
        entry = out.setdefault(p["user_id"], {"user_id": p["user_id"], "org_id": p["org_id"], "name": p["name"],
                                              "project_roles": []})
        entry["project_roles"].append(p["project_role"])
    return out


def ensure_may_clock_in(actor: Principal, project: dict[str, Any]) -> dict[str, Any]:
    """HN-11: only the project's key personnel clock in; returns the caller's key-personnel
    entry, 403 for everyone else (supervisors, other participants, company staff)."""
    person = key_personnel(project).get(actor.user_id)
    if person is None:
        raise Forbidden("only the project's key personnel (项目经理, 技术负责人, 专职安全员, 总监理工程师) clock in")
    return person


def ensure_may_check(actor: Principal, project: dict[str, Any]) -> None:
    """HN-11: the supervisors and leaders of the project's station run attendance checks; 403 otherwise."""
    if not may_manage(actor, project):
        raise Forbidden("only the supervisors of the project's station run attendance checks")


def select_people(project: dict[str, Any], user_ids: Sequence[str]) -> list[dict[str, Any]]:
    """HN-11: the key-personnel entries of ``user_ids`` (order kept, duplicates dropped);
    422 naming ``user_ids`` when one of them is not key personnel of the project."""
    keys = key_personnel(project)
    chosen: list[dict[str, Any]] = []
    for uid in dict.fromkeys(user_ids):
        if uid not in keys:
            raise Unprocessable(f"{uid} is not key personnel of this project", field="user_ids")
        chosen.append(keys[uid])
    if not chosen:
        raise Unprocessable("name at least one of the project's key personnel", field="user_ids")
    return chosen


def parse_hhmm(value: str) -> time:
    """``"HH:MM"`` (00:00..23:59) as a time; 422 naming ``on_time_before`` otherwise."""
    try:
        hh, mm = value.split(":")
        if len(hh) != 2 or len(mm) != 2:
            raise ValueError(value)
        return time(int(hh), int(mm))
    except ValueError as exc:
        raise Unprocessable("on_time_before must be HH:MM (00:00..23:59)", field="on_time_before") from exc


def late_after(checked_at: datetime, on_time_before: str) -> datetime:
    """The instant after which a clock-in is late: ``on_time_before`` (HH:MM) in Asia/Shanghai
    local time on the local day of ``checked_at``."""
    local_day = checked_at.astimezone(LOCAL_TZ).date()
    return datetime.combine(local_day, parse_hhmm(on_time_before), tzinfo=LOCAL_TZ)


def window_start(checked_at: datetime, window_minutes: int) -> datetime:
    """The first instant (inclusive) of the window of ``window_minutes`` minutes before the check."""
    return checked_at - timedelta(minutes=window_minutes)


def assess(person: dict[str, Any], clock_ins: Iterable[dict[str, Any]], *, project: dict[str, Any],
           checked_at: datetime, window_minutes: int, on_time_before: str | None) -> dict[str, Any]:
    """HN-11: one person's result ``{user_id, name, project_roles, status, clocked_in_at,
    clock_in_id, distance_m}``.

    ``clock_ins``: that person's clock-ins (any order, any time; those outside
    ``[checked_at - window_minutes, checked_at]`` are ignored). The earliest clock-in in
    the window counts; ``distance_m`` is its distance in metres from the project's
    position (None if the project is not positioned).
    """
    start = window_start(checked_at, window_minutes)
    in_window = sorted((c for c in clock_ins if start <= c["clocked_at"] <= checked_at),
                       key=lambda c: c["clocked_at"])
    result: dict[str, Any] = {"user_id": person["user_id"], "name": person["name"],
                              "project_roles": list(person["project_roles"]), "status": "absent",
                              "clocked_in_at": None, "clock_in_id": None, "distance_m": None}
    if not in_window:
        return result
    first = in_window[0]
    late = on_time_before is not None and first["clocked_at"] > late_after(checked_at, on_time_before)
    result.update(status="late" if late else "present", clocked_in_at=first["clocked_at"],
                  clock_in_id=first.get("_id"),
                  distance_m=distance_to_position(project, first["longitude"], first["latitude"]))
    return result


def tally(results: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many results are present / late / absent."""
    counts = {"present": 0, "late": 0, "absent": 0}
    for r in results:
        counts[r["status"]] += 1
    return counts
