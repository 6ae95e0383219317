"""Dates and times as they appear on Chinese documents (China Standard Time, UTC+8)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from anjian_shared.china_time import CHINA_TZ  # noqa: E402,F401 - re-exported for the PDF and XLSX code

"""China Standard Time; documents show local dates (no DST, so a fixed offset is exact)."""


def cn_date(value: date | datetime | None) -> str:
    """``2026年3月5日``; a datetime is first converted to China time. ``""`` for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_china(value).date()
    return f"{value.year}年{value.month}月{value.day}日"


def cn_datetime(value: datetime | None) -> str:
    """``2026年3月5日 14:07`` in China time. ``""`` for None."""
    if value is None:
        return ""
    local = to_china(value)
    return f"{cn_date(local)} {local:%H:%M}"


def to_china(value: datetime) -> datetime:
    """A datetime in China time; a naive value is taken as UTC (what BSON returns without tz)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA_TZ)
