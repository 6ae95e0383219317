"""China time: the one time zone of every tenant's calendar (deadlines, numbering years,
"today", day filters). Stored instants stay UTC; days are read in the tenant's zone.

All five provinces keep Beijing time (UTC+8, no daylight saving); ``tenant_zone`` is the
single place that answers it, so a tenant in another zone would change only here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import Unprocessable

try:
    CHINA_TZ: tzinfo = ZoneInfo("Asia/Shanghai")
except ZoneInfoNotFoundError:  # an image without a tz database: China keeps UTC+8 all year
    CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
"""Beijing time (UTC+8): the zone of every tenant's calendar."""


FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9999, 12, 30)
"""Days a filter may name: the day after ``LAST_DAY`` must still be a date."""


def tenant_zone(tenant: str | None = None) -> tzinfo:
    """The time zone whose calendar ``tenant`` keeps (every province: ``CHINA_TZ``)."""
    return CHINA_TZ


def to_china(moment: datetime) -> datetime:
    """``moment`` (aware) in China time; ``ValueError`` for a naive datetime."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(CHINA_TZ)


def china_day(moment: datetime, tenant: str | None = None) -> date:
    """The tenant's calendar day at the aware instant ``moment``."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(tenant_zone(tenant)).date()


def china_today(tenant: str | None = None) -> date:
    """The tenant's calendar day now. Ask it when the day matters, never once at import: China's
    day turns at 16:00 UTC, and a value kept from before is then "yesterday" (a test suite
    that started at 15:57 UTC refused its own deadlines twenty minutes later)."""
    return china_day(datetime.now(UTC), tenant)


def day_start(day: date, tenant: str | None = None) -> datetime:
    """The aware instant the tenant's calendar day ``day`` begins (00:00 China time)."""
    return datetime.combine(day, time.min, tenant_zone(tenant))


def day_range(date_from: date | None, date_to: date | None, *, tenant: str | None = None,
              from_field: str = "date_from", to_field: str = "date_to") -> dict[str, Any] | None:
    """A MongoDB range filter (``{"$gte": …, "$lt": …}``) for the calendar days
    ``date_from``..``date_to`` inclusive, in the tenant's zone; None when neither is given.
    ``Unprocessable`` naming ``to_field`` when ``date_to`` is before ``date_from``."""
    for name, day in ((from_field, date_from), (to_field, date_to)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise Unprocessable(f"{name}: a day between {FIRST_DAY} and {LAST_DAY}", field=name)
    if date_from and date_to and date_to < date_from:
        raise Unprocessable(f"{to_field} is before {from_field}", field=to_field)
    rng: dict[str, Any] = {}
    if date_from:
        rng["$gte"] = day_start(date_from, tenant)
    if date_to:
        rng["$lt"] = day_start(date_to + timedelta(days=1), tenant)
    return rng or None


def check_not_past(day: date, *, now: datetime, backdated: bool, field: str = "deadline",
                   tenant: str | None = None) -> None:
    """The one rule for a deadline (整改期限/截止日期, HB-06 and HN-07): ``day`` is not before
    today in the tenant's calendar (China time) at the aware instant ``now``, unless the
    caller says ``backdated`` (补录 of a paper document issued earlier). ``Unprocessable``
    naming ``field`` (code ``deadline-past``) otherwise."""
    today = china_day(now, tenant)
    if day < today and not backdated:
        raise Unprocessable(f"{field} {day.isoformat()} is before today ({today.isoformat()}, Asia/Shanghai); "
                            "send backdated: true to record a paper document issued earlier",
                            field=field, slug="deadline-past")
