"""OAuth scopes of partner clients and the event types each grants (PLAT-03, security).

A partner token reaches only what its scopes name. Events come in families (the first
words of their type); each family has its scope:

- ``inspections.*`` (plans, records): ``events:inspections``;
- ``notices.*`` (notices, documents, replies): ``events:notices``;
- ``projects.*`` (projects, positioning, attendance): ``events:projects``;
- ``identity.*`` except users and clients (organisations, province settings): ``events:identity``;
- ``identity.user.*`` (names, user names, mobile numbers — personal data, PIPL):
  ``events:personal``, and only it;
- ``identity.client.*`` and ``partners.*``: any events scope, but only the events about
  the subscribing client itself (its registration, its own subscriptions) — never
  another partner's;
- ``conversations.*`` (HN-12: what people wrote to each other, their photos and files):
  no scope at all — private correspondence is not a partner's business, not even with
  ``events:personal``; the partners service does not even log them.

``events:read`` — the scope partners were registered with before scopes per family — keeps
granting every family except personal data (``identity.user.*``), so existing partners go
on working; it is kept for compatibility, new clients should name families. A service
added later (``equipment.*``) is granted by ``events:<service>`` once that scope is listed
here, and by ``events:read``.
"""

from __future__ import annotations

from collections.abc import Iterable

LEGACY = "events:read"
PERSONAL = "events:personal"

SCOPES: dict[str, str] = {
    "events:inspections": "follow inspections events (plans, supervision records) — PLAT-03",
    "events:notices": "follow notices events (notices, enforcement documents, replies) — PLAT-03",
    "events:projects": "follow projects events (projects, positioning, attendance checks) — PLAT-03",
    "events:equipment": "follow equipment events (crane filings, use registrations, machine and operator "
                        "locks) — PLAT-03, HEB-06/07/14/15",
    "events:identity": "follow identity events except people: organisations, the province's settings — PLAT-03",
    PERSONAL: "receive identity.user.* events: names, user names and mobile numbers of the province's "
              "users (personal data) — PLAT-03",
    LEGACY: "every event family except personal data (identity.user.*): subscribe (webhook or AMQP "
            "queue), receive, replay; kept for partners registered before scopes per family — PLAT-03",
}
"""Every scope a partner client may be given, with what it grants (identity checks
registrations against this table)."""

ACTION_SCOPES: dict[str, str] = {
    "projects:sync": "push projects, their supervision company and chief supervising engineer from the "
                     "province's integration platform (一体化平台) — FJ-01",
}
"""Scopes that let a partner client act rather than follow events: the province's systems
feeding Anjian. They grant no event family (``is_event_scope`` is false for them)."""

SYNC_PROJECTS = "projects:sync"

PERSONAL_FAMILIES = ("identity.user.", "personnel.company_person.", "personnel.staff.",
                     "projects.platform_project.")
"""Events that name people (names, mobiles, certificate numbers): only ``events:personal``
(``projects.platform_project.*`` carries the platform's chief engineers' mobile numbers)."""

PRIVATE_FAMILIES = ("conversations.",)
"""Events no partner receives whatever its scopes (private messages, HN-12)."""

OWN_ONLY = ("identity.client.", "partners.")
"""Families of events about partner clients and their subscriptions: a partner receives
only those about itself (``data.client_id`` is its own client id)."""


def is_event_scope(scope: str) -> bool:
    return scope in SCOPES


def family_scopes(event_type: str) -> set[str]:
    """The scopes any one of which grants ``event_type`` (before the own-only rule); none for
    the private families (``PRIVATE_FAMILIES``)."""
    if is_private(event_type):
        return set()
    if event_type.startswith(PERSONAL_FAMILIES):
        return {PERSONAL}
    if event_type.startswith(OWN_ONLY):
        return set(SCOPES)
    service = event_type.split(".", 1)[0]
    own = f"events:{service}"
    return {own, LEGACY} if own in SCOPES else {LEGACY}


def is_private(event_type: str) -> bool:
    """Events no partner may receive or replay (``PRIVATE_FAMILIES``)."""
    return event_type.startswith(PRIVATE_FAMILIES)


def grants(scopes: Iterable[str], event_type: str) -> bool:
    """Whether a client holding ``scopes`` may receive events of ``event_type`` at all."""
    return bool(family_scopes(event_type) & set(scopes))


def is_own_only(event_type: str) -> bool:
    """Events a partner receives only when they are about itself (``data.client_id``)."""
    return event_type.startswith(OWN_ONLY)


def event_scopes(scopes: Iterable[str]) -> list[str]:
    """The event scopes among ``scopes`` (the ones that let a client use the partners API)."""
    return sorted(s for s in set(scopes) if is_event_scope(s))
