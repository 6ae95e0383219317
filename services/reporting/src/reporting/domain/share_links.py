"""Share-link tokens (HB-09): a link another person opens without signing in.

A token is ``<tenant>.<43 url-safe chars>`` (256 random bits); only its SHA-256 is
stored, so a database leak does not leak working links. The tenant prefix lets the
unauthenticated lookup stay tenant-scoped; changing any character (tenant included)
gives another hash, which matches nothing.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from anjian_shared.types import TENANTS

MIN_MINUTES = 1
MAX_MINUTES = 10080
"""A link lives 1 minute .. 7 days."""

_TOKEN = re.compile(r"^(?P<tenant>[a-z]{2,8})\.[A-Za-z0-9_-]{43}$")


class SharedDocument(StrEnum):
    NOTICE = "notice"
    PLAN = "plan"


def new_token(tenant: str) -> str:
    """A fresh token for ``tenant`` (shown once to its creator, never stored)."""
    return f"{tenant}.{secrets.token_urlsafe(32)}"


def token_hash(token: str) -> str:
    """The stored form of a token: hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tenant_of(token: str) -> str | None:
    """The tenant a well-formed token names, or None (malformed or unknown tenant)."""
    m = _TOKEN.match(token)
    if m is None or m.group("tenant") not in TENANTS:
        return None
    return m.group("tenant")


def expires_at(now: datetime, minutes: int) -> datetime:
    """When a link created at ``now`` for ``minutes`` stops working."""
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise ValueError(f"minutes must be {MIN_MINUTES}..{MAX_MINUTES}")
    return now + timedelta(minutes=minutes)


def is_expired(expiry: datetime, now: datetime) -> bool:
    """A link works while ``now < expiry``."""
    return now >= expiry
