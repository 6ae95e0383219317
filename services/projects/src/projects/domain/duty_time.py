"""On-duty time of project managers (人员到岗履职), HEB-16. No I/O, no clock: pure functions.

Hebei's manual: "对项目部人员实施定位计时，监督项目管理人员定岗履职情况". A project manager
(项目负责人: a participant with project role ``project_manager``) clocks in (打卡, HN-11:
``POST /projects/{id}/clock-ins``; each clock-in stores the server time and ``distance_m``,
metres from the project's position at that moment, or null when the project had none). A
clock-in carries no in/out direction, so the time on site is computed from the clock-ins
themselves, per person and China day, by this rule:

1. **The day** is a China calendar day (Asia/Shanghai, ``anjian_shared.china_time``):
   clock-ins at 00:00 ≤ local time < 24:00 of that day count; nothing pairs across midnight.
   A stay from 22:00 to 02:00 is two days, each with what its own clock-ins show (a day whose
   only clock-in is 22:00 counts 0 minutes).
2. **On site** means ``distance_m`` ≤ the tenant's ``duty_site_radius_m`` (metres, tenant
   policy, default 500). A clock-in farther away is **off site**; one without a distance
   (the project was not positioned, HN-03) is **unlocated**: it proves nothing and is only
   counted.
3. **Stays**: the day's clock-ins in time order are cut by every off-site clock-in; each
   maximal run of consecutive on-site clock-ins (unlocated ones are skipped, they neither
   extend nor cut a run) is one stay, lasting from its first to its last clock-in. Repeated
   clock-ins inside a stay change nothing but its end.
4. **A missing clock-out**: a stay of a single clock-in lasts 0 minutes — presence is
   proven, time is not — and marks the day ``incomplete``.
5. **On-duty minutes** (``on_site_minutes``) = the sum of the stays' lengths, in whole
   minutes (seconds truncated after summing).

A day without any clock-in is a row with 0 minutes (absent from site that day).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from anjian_shared.china_time import china_day
from anjian_shared.errors import Forbidden, Unprocessable
from anjian_shared.principal import Principal

from .hazard_sources import is_station_or_province

PROJECT_MANAGER = "project_manager"
"""The project role whose holders' time is computed (项目经理/项目负责人)."""

MAX_PERIOD_DAYS = 366
"""Longest period (``date_from``..``date_to``) one request may cover."""


def project_managers(project: dict[str, Any]) -> list[dict[str, Any]]:
    """HEB-16: the project's managers ``[{user_id, name, org_id}]``, ordered by user id, each once."""
    seen: dict[str, dict[str, Any]] = {}
    for p in project.get("participants", []):
        if p.get("project_role") == PROJECT_MANAGER and p["user_id"] not in seen:
            seen[p["user_id"]] = {"user_id": p["user_id"], "name": p.get("name", ""), "org_id": p.get("org_id")}
    return [seen[k] for k in sorted(seen)]


def visible_managers(actor: Principal, project: dict[str, Any]) -> list[dict[str, Any]]:
    """HEB-16: whose on-duty time ``actor`` sees. The project's station (its staff) and the
    province administrator see every project manager; a project manager sees only their
    own; anyone else who sees the project (owner, supervision, other contractor staff,
    authority staff who are not the province administrator) is refused 403."""
    managers = project_managers(project)
    if is_station_or_province(actor, project):
        return managers
    own = [m for m in managers if m["user_id"] == actor.user_id]
    if own:
        return own
    raise Forbidden("only the project's station, the province administrator and the project manager (own time) "
                    "see on-duty time")


def period(date_from: date, date_to: date, *, today: date) -> tuple[date, date] | None:
    """``date_from``..``date_to`` with the end clipped to ``today`` (a day to come has no
    time yet); None when nothing is left. 422 naming ``date_to`` when it is before
    ``date_from`` or the period covers more than ``MAX_PERIOD_DAYS`` days."""
    if date_to < date_from:
        raise Unprocessable("date_to is before date_from", field="date_to")
    if (date_to - date_from).days + 1 > MAX_PERIOD_DAYS:
        raise Unprocessable(f"the period covers more than {MAX_PERIOD_DAYS} days", field="date_to")
    end = min(date_to, today)
    return (date_from, end) if end >= date_from else None


def row_keys(start: date, end: date, user_ids: list[str]) -> Iterator[tuple[date, str]]:
    """The (day, user id) of every row of the period, in list order: day ascending, then user id."""
    day = start
    while day <= end:
        for uid in sorted(user_ids):
            yield day, uid
        day += timedelta(days=1)


def on_duty(clock_ins: Iterable[dict[str, Any]], *, day: date, radius_m: float) -> dict[str, Any]:
    """HEB-16: one person's time on site on China ``day`` from their clock-ins on the project
    (any order, any days: those outside ``day`` are ignored), by the rule of this module.

    ``clock_ins``: ``{"clocked_at": aware datetime, "distance_m": float | None}``.
    ``radius_m``: metres around the project's position that count as the site.
    Returns ``{on_site_minutes, stays, first_on_site_at, last_on_site_at, clock_ins,
    off_site_clock_ins, unlocated_clock_ins, incomplete}``: whole minutes; the number of
    stays; the first and last on-site clock-in (None without one); how many clock-ins the
    day had, how many off site, how many without a distance; ``incomplete`` when a stay had
    a single clock-in (no clock-out).
    """
    todays = sorted((c for c in clock_ins if china_day(c["clocked_at"]) == day), key=lambda c: c["clocked_at"])
    stays: list[list[datetime]] = []
    current: list[datetime] | None = None
    off_site = unlocated = 0
    for c in todays:
        distance = c.get("distance_m")
        if distance is None:
            unlocated += 1
            continue
        if distance > radius_m:
            off_site += 1
            current = None
            continue
        if current is None:
            current = [c["clocked_at"]]
            stays.append(current)
        else:
            current.append(c["clocked_at"])
    seconds = sum((s[-1] - s[0]).total_seconds() for s in stays)
    on_site = [t for s in stays for t in s]
    return {"on_site_minutes": int(seconds // 60), "stays": len(stays),
            "first_on_site_at": min(on_site) if on_site else None,
            "last_on_site_at": max(on_site) if on_site else None,
            "clock_ins": len(todays), "off_site_clock_ins": off_site, "unlocated_clock_ins": unlocated,
            "incomplete": any(len(s) == 1 for s in stays)}
