"""Subscription rules (PLAT-03): who sees and changes which subscription, what a
webhook URL may be, which events a subscription receives, and the shape of events
handed to partners."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from anjian_shared import scopes as scope_table
from anjian_shared.principal import Principal, Role

from .addresses import is_blocked

KINDS = ("webhook", "amqp")
STATUSES = ("active", "paused")
LEGACY_SCOPES = [scope_table.LEGACY]
"""The scopes of a subscription stored before scopes per family (it was ``events:read``)."""


def is_partner(principal: Principal) -> bool:
    return principal.has(Role.PARTNER)


def is_admin(principal: Principal) -> bool:
    return principal.has(Role.PROVINCE_ADMIN, Role.PLATFORM_ADMIN)


def partner_scopes(principal: Principal) -> list[str]:
    """The event scopes of a partner's token (empty: it may not use the partners API)."""
    return scope_table.event_scopes(principal.scopes)


def visibility_filter(principal: Principal) -> dict[str, Any] | None:
    """Filter of the subscriptions ``principal`` may see in its tenant: a partner its own,
    a province administrator all of them; None: none (403)."""
    if is_partner(principal):
        return {"client_id": principal.user_id}
    if is_admin(principal):
        return {}
    return None


def may_change(principal: Principal, subscription: dict[str, Any]) -> bool:
    """Only the partner that owns a subscription changes its URL, patterns or secret."""
    return is_partner(principal) and subscription.get("client_id") == principal.user_id


def may_stop(principal: Principal, subscription: dict[str, Any]) -> bool:
    """The owner, and the province administrator for every subscription of the province,
    pause, resume and delete it."""
    return may_change(principal, subscription) or is_admin(principal)


def subscription_scopes(subscription: dict[str, Any]) -> list[str]:
    return list(subscription.get("scopes") or LEGACY_SCOPES)


def granted_types(scopes: Iterable[str], types: Iterable[str]) -> list[str]:
    """The ``types`` a holder of ``scopes`` may receive, sorted."""
    held = list(scopes)
    return sorted(t for t in types if scope_table.grants(held, t))


def delivers(subscription: dict[str, Any], event_type: str, data: dict[str, Any] | None) -> bool:
    """Whether an event of ``event_type`` with payload ``data`` is for ``subscription``,
    patterns aside: its scopes grant the family, and events about partner clients and
    subscriptions (``identity.client.*``, ``partners.*``) only when about its own client."""
    if not scope_table.grants(subscription_scopes(subscription), event_type):
        return False
    if scope_table.is_own_only(event_type):
        return (data or {}).get("client_id") == subscription.get("client_id")
    return True


def url_problem(url: str) -> str | None:
    """Why ``url`` can't be a webhook (None: it can): http(s), a host, at most 2000 characters."""
    if len(url) > 2000:
        return "url is longer than 2000 characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "url is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "url must be http:// or https://"
    if not parts.hostname:
        return "url must name a host"
    if parts.fragment:
        return "url must not have a #fragment"
    return None


def address_is_private(address: str) -> bool:
    """True for any address a webhook may not reach (see ``addresses.blocked_reason``)."""
    return is_blocked(address)


def wire_event(event: dict[str, Any]) -> dict[str, Any]:
    """The CloudEvent as partners get it: structured JSON without null attributes
    (CloudEvents JSON format: an absent attribute is omitted, never ``null``)."""
    return {k: v for k, v in event.items() if v is not None or k == "data"}
