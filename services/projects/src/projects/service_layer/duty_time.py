"""On-duty time of project managers (人员到岗履职), HEB-16, computed from HN-11 clock-ins.

Nothing is stored: each request reads the clock-ins (collection ``clock_ins`` of the
attendance use cases) of the page's days and applies ``domain.duty_time.on_duty`` (the rule
is in that module's docstring). The list has one row per project manager and China day of
the period, day ascending then user id, paged with the shared cursor codec.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from anjian_shared.auth import Principal
from anjian_shared.china_time import china_day, day_start
from anjian_shared.mongo import Mongo
from anjian_shared.pagination import decode_cursor, encode_cursor
from anjian_shared.problems import Unprocessable
from anjian_shared.tenant_policy import tenant_policy
from anjian_shared.types import utcnow

from ..domain import duty_time as rules
from ..settings import Settings
from .attendance import CLOCK_INS
from .features import ATTENDANCE, ensure_feature
from .use_cases import get_visible

ROW_ORDER = (("day", 1), ("user_id", 1))
"""The order of the rows (and of the cursor)."""


async def duty_time(*, mongo: Mongo, settings: Settings, actor: Principal, project_id: str, date_from: date,
                    date_to: date, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None, int]:
    """HEB-16 人员到岗履职: per project manager and China day of ``date_from``..``date_to``
    (inclusive; days after today are left out; at most 366 days), the time on site from
    their clock-ins: ``({user_id, name, day, on_site_minutes, stays, first_on_site_at,
    last_on_site_at, clock_ins, off_site_clock_ins, unlocated_clock_ins, incomplete}, …)``,
    one page of ``limit`` rows, the next cursor and the radius (metres) used.

    The project's station and the province administrator see every manager; a project manager only
    their own rows; 403 anyone else who sees the project, 403 ``feature-disabled`` when the
    tenant has attendance (HN-11) off; 404 project not visible / other tenant; 422
    ``date_to`` (before ``date_from``, period too long), ``cursor``.
    """
    await ensure_feature(mongo, settings, actor.tenant, ATTENDANCE)
    project = await get_visible(mongo=mongo, actor=actor, project_id=project_id)
    managers = rules.visible_managers(actor, project)
    radius = (await tenant_policy(mongo, actor.tenant, settings)).limit("duty_site_radius_m")
    span = rules.period(date_from, date_to, today=china_day(utcnow(), actor.tenant))
    if span is None or not managers:
        return [], None, radius
    after = _position(cursor) if cursor else None
    keys = []
    for key in rules.row_keys(*span, [m["user_id"] for m in managers]):
        if after is not None and key <= after:
            continue
        keys.append(key)
        if len(keys) > limit:
            break
    more = len(keys) > limit
    keys = keys[:limit]
    if not keys:
        return [], None, radius
    first, last = keys[0][0], keys[-1][0]
    clock_ins = await mongo.repo(CLOCK_INS, actor.tenant).find(
        {"project_id": project_id, "user_id": {"$in": sorted({uid for _, uid in keys})},
         "clocked_at": {"$gte": day_start(first, actor.tenant),
                        "$lt": day_start(last + timedelta(days=1), actor.tenant)}},
        projection={"user_id": 1, "clocked_at": 1, "distance_m": 1}, sort=[("clocked_at", 1)], limit=0)
    by_user: dict[str, list[dict[str, Any]]] = {}
    for c in clock_ins:
        by_user.setdefault(c["user_id"], []).append(c)
    names = {m["user_id"]: m["name"] for m in managers}
    rows = [{"user_id": uid, "name": names[uid], "day": day,
             **rules.on_duty(by_user.get(uid, []), day=day, radius_m=radius)} for day, uid in keys]
    nxt = encode_cursor([keys[-1][0].isoformat(), keys[-1][1]], ROW_ORDER) if more else None
    return rows, nxt, radius


def _position(cursor: str) -> tuple[date, str]:
    """The (day, user id) of the last row of the previous page (422 ``cursor`` if damaged)."""
    day, uid = decode_cursor(cursor, ROW_ORDER)
    try:
        return date.fromisoformat(str(day)), str(uid)
    except ValueError as exc:
        raise Unprocessable("cursor is not valid (damaged); start again without a cursor", field="cursor") from exc
