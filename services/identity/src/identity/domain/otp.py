"""One-time-code sign-in by a verified mobile number (FJ-01, HN-01): pure rules, no I/O.

A code is 6 decimal digits from ``secrets``; only its hash is stored (SHA-256 over the
tenant, the mobile number, the purpose and the code, keyed by a per-deployment pepper, so a
leaked database does not hand out codes); it expires after ``otp_ttl_seconds`` (300) and is
spent by its first successful use.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from anjian_shared.errors import Forbidden, Unauthorized, Unprocessable

Purpose = Literal["sign_in", "bind_mobile"]
CODE_DIGITS = 6


def new_code() -> str:
    """Six random decimal digits (leading zeros kept)."""
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(*, pepper: str, tenant: str, mobile: str, purpose: str, code: str) -> str:
    """What is stored instead of the code (HMAC-SHA256, hex)."""
    return hmac.new(pepper.encode(), f"{tenant}:{mobile}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def mobile_not_registered() -> Unprocessable:
    """FJ-01: no account of the province is tied to this number (e.g. not the number the
    platform registered for the chief engineer)."""
    return Unprocessable("this mobile number is not the one registered for any account of the province "
                         "(for Fujian: the number the integration platform registered)",
                         field="mobile", slug="mobile-not-registered")


def otp_invalid() -> Unauthorized:
    return Unauthorized("the code is wrong or was already used; ask for a new one", slug="otp-invalid")


def otp_expired() -> Unauthorized:
    return Unauthorized("the code expired (codes are valid 5 minutes); ask for a new one", slug="otp-expired")


def check_fresh(row: Mapping[str, Any], now: datetime) -> None:
    """The spent code ``row`` was still valid when used; 401 ``otp-expired`` otherwise."""
    if row["expires_at"] <= now:
        raise otp_expired()


def check_platform_projects(user: Mapping[str, Any], assessable_projects: int) -> None:
    """FJ-01: an account opened from the platform signs in only while one of its projects is
    在建可评价 (the company administrator: one of the company's; the chief: one they lead);
    403 ``project-not-assessable`` otherwise. Other accounts are not checked."""
    if user.get("platform_account") and assessable_projects == 0:
        raise Forbidden("none of your projects is 'under construction, assessable' (在建可评价) on the "
                        "province's integration platform; ask the local supervision authority to check "
                        "the project's state", slug="project-not-assessable")
