"""Identity rules: which roles fit which kind of organisation, who may create whom."""

from __future__ import annotations

from anjian_shared.principal import Principal, Role
from anjian_shared.scopes import ACTION_SCOPES
from anjian_shared.scopes import SCOPES as PARTNER_SCOPES

ROLES_BY_ORG_KIND: dict[str, set[str]] = {
    "authority": {Role.PROVINCE_ADMIN, Role.STATION_LEADER, Role.SUPERVISOR},
    "station": {Role.STATION_LEADER, Role.SUPERVISOR},
    "agency": {Role.STATION_LEADER, Role.SUPERVISOR},
    "company": {Role.COMPANY_ADMIN, Role.PROJECT_MANAGER, Role.COMPANY_STAFF},
}
"""监督站 staff are supervisors and leaders; company staff hold company roles only."""


def roles_allowed(org_kind: str, roles: list[str]) -> list[str]:
    """The roles in ``roles`` that an organisation of ``org_kind`` may not hold."""
    allowed = ROLES_BY_ORG_KIND.get(org_kind, set())
    return [r for r in roles if r not in allowed]


def may_create_user(actor: Principal, *, org_id: str, org_kind: str) -> bool:
    """Province admins create anyone in their tenant; station leaders their station's
    staff; company admins their company's staff."""
    if actor.has(Role.PROVINCE_ADMIN, Role.PLATFORM_ADMIN):
        return True
    if actor.org_id != org_id:
        return False
    if org_kind in ("station", "agency"):
        return actor.has(Role.STATION_LEADER)
    if org_kind == "company":
        return actor.has(Role.COMPANY_ADMIN)
    return False


def may_list_disabled_users(actor: Principal) -> bool:
    """Who administers users (the province, a station's leader, a company's admin) may ask the
    user list for disabled accounts too (``include_disabled``); the picker of everybody else
    offers enabled users only."""
    return actor.has(Role.PROVINCE_ADMIN, Role.PLATFORM_ADMIN, Role.STATION_LEADER, Role.COMPANY_ADMIN)


def may_create_org(actor: Principal) -> bool:
    """Only the province administration registers organisations (stations, companies)."""
    return actor.has(Role.PROVINCE_ADMIN, Role.PLATFORM_ADMIN)


KNOWN_SCOPES: dict[str, str] = {**PARTNER_SCOPES, **ACTION_SCOPES}
"""Scopes a partner client (OAuth client credentials) may be given: one per event family,
``events:personal`` for people, legacy ``events:read``, and the action scopes of the
province's own systems (``projects:sync``, FJ-01) — ``anjian_shared.scopes``."""


def may_manage_clients(actor: Principal) -> bool:
    """Only the province administration registers and disables partner clients (PLAT-03)."""
    return actor.has(Role.PROVINCE_ADMIN, Role.PLATFORM_ADMIN)
