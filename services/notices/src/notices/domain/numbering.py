"""Reference numbers of notices (告知书文号), HB-06.

A notice is numbered per tenant and per calendar year in China Standard Time:
``<abbr>安监告〔<year>〕<seq>号`` with the sequence zero-padded to four digits,
e.g. ``鄂安监告〔2026〕0001号``. The sequence itself comes from an atomic counter
(see ``adapters.repository.next_sequence``); this module only holds the rules.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

NUMBERING_TZ = ZoneInfo("Asia/Shanghai")
"""Numbering years turn at midnight Beijing time, not UTC."""

NUMBER_PATTERN = re.compile(r"^(?P<abbr>.+)安监告〔(?P<year>\d{4})〕(?P<seq>\d{4,})号$")


def numbering_year(moment: datetime) -> int:
    """The year (in Asia/Shanghai) a notice dated ``moment`` is numbered in.

    ``moment`` must be timezone-aware (naive datetimes are refused: ``ValueError``).
    """
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(NUMBERING_TZ).year


def format_notice_number(abbr: str, year: int, seq: int) -> str:
    """``鄂`` + 2026 + 1 → ``鄂安监告〔2026〕0001号``; ``seq`` ≥ 1 (``ValueError`` otherwise)."""
    if not abbr:
        raise ValueError("abbr is required")
    if seq < 1:
        raise ValueError("seq starts at 1")
    if not 1000 <= year <= 9999:
        raise ValueError("year must have four digits")
    return f"{abbr}安监告〔{year}〕{seq:04d}号"


def parse_notice_number(number: str) -> tuple[str, int, int]:
    """Inverse of ``format_notice_number``: ``(abbr, year, seq)``; ``ValueError`` if malformed."""
    match = NUMBER_PATTERN.match(number)
    if not match:
        raise ValueError(f"not a notice number: {number!r}")
    return match["abbr"], int(match["year"]), int(match["seq"])


def counter_id(tenant: str, year: int) -> str:
    """``_id`` of the counter document holding the last sequence of ``tenant`` in ``year``."""
    return f"{tenant}:notice:{year}"
