"""Subscription rules (PLAT-03): who sees and changes which subscription, what a
webhook URL may be, and the shape of events handed to partners."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from anjian_shared.principal import Principal, Role

SCOPE = "events:read"
KINDS = ("webhook", "amqp")
STATUSES = ("active", "paused")


def is_partner(principal: Principal) -> bool:
    return principal.has(Role.PARTNER)


def is_admin(principal: Principal) -> bool:
    return principal.has(Role.PROVINCE_ADMIN, Role.PLATFORM_ADMIN)


def visibility_filter(principal: Principal) -> dict[str, Any] | None:
    """Filter of the subscriptions ``principal`` may see in its tenant: a partner its own,
    a province administrator all of them; None: none (403)."""
    if is_partner(principal):
        return {"client_id": principal.user_id}
    if is_admin(principal):
        return {}
    return None


def may_change(principal: Principal, subscription: dict[str, Any]) -> bool:
    """Only the partner that owns a subscription changes, rotates or deletes it."""
    return is_partner(principal) and subscription.get("client_id") == principal.user_id


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
    """Loopback, private, link-local, multicast, reserved or unspecified (SSRF guard)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified)


def wire_event(event: dict[str, Any]) -> dict[str, Any]:
    """The CloudEvent as partners get it: structured JSON without null attributes
    (CloudEvents JSON format: an absent attribute is omitted, never ``null``)."""
    return {k: v for k, v in event.items() if v is not None or k == "data"}
