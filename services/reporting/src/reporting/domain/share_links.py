"""Share-link tokens (HB-09): a link another person opens without signing in.

A token is ``<tenant>.<43 url-safe chars>`` (256 random bits); only its SHA-256 is
stored, so a database leak does not leak working links. The tenant prefix lets the
unauthenticated lookup stay tenant-scoped; changing any character (tenant included)
gives another hash, which matches nothing.

A link can be revoked (by its creator, the document's issuer or a station leader of its
station); it works only while its creator could still open the document (enabled, still
entitled), checked every time it is opened.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from anjian_shared.principal import Principal, Role
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


def may_manage_link(principal: Principal, *, created_by: str, issuer_id: str, station_org_id: str) -> bool:
    """HB-09: who may list and revoke a link: its creator, the document's issuer (a plan's
    responsible supervisor) and a station leader of the document's station."""
    return principal.user_id == created_by or may_manage_all_links(
        principal, issuer_id=issuer_id, station_org_id=station_org_id)


def may_manage_all_links(principal: Principal, *, issuer_id: str, station_org_id: str) -> bool:
    """The issuer and the station's leaders manage every link of the document; anyone else only
    the links they made."""
    return principal.user_id == issuer_id or (
        principal.org_id == station_org_id and principal.has(Role.STATION_LEADER))


def link_status(link: dict[str, Any], now: datetime) -> str:
    """``revoked`` | ``expired`` | ``active``."""
    if link.get("revoked_at") is not None:
        return "revoked"
    return "expired" if is_expired(link["expires_at"], now) else "active"
