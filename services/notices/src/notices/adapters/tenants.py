"""Per-tenant configuration of notices (PLAT-01): the province abbreviation in numbers.

The abbreviation is a text setting of the tenant policy (``notice_abbreviation``,
``anjian_shared.tenant_policy.SETTINGS``): the platform default per province is below, the
province administrator may change it over identity's API. Numbering reads it through
``notice_abbreviation(db, tenant)`` (the policy loader), never from the table directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from anjian_shared.tenant_policy import SETTINGS, tenant_policy


@dataclass(frozen=True)
class TenantNoticeConfig:
    """``abbr``: the province's one-character abbreviation that starts notice numbers."""

    abbr: str


TENANT_CONFIG: dict[str, TenantNoticeConfig] = {
    tenant: TenantNoticeConfig(abbr=abbr)
    for tenant, abbr in SETTINGS["notice_abbreviation"].defaults.items()
}
"""The platform defaults: 鄂 Hubei, 琼 Hainan, 闽 Fujian, 湘 Hunan, 冀 Hebei."""


def tenant_config(tenant: str) -> TenantNoticeConfig:
    """The default configuration of ``tenant``; ``LookupError`` for a tenant notices does not know."""
    try:
        return TENANT_CONFIG[tenant]
    except KeyError as exc:
        raise LookupError(f"no notice configuration for tenant {tenant!r}") from exc


async def notice_abbreviation(db: Any, tenant: str, settings: Any = None) -> str:
    """``tenant``'s abbreviation in effect (HB-06, HN-07): the administrator's, else the default.

    ``db``: the unit-of-work factory or a unit of work (inside a consumer's transaction);
    ``LookupError`` for a tenant notices does not know."""
    tenant_config(tenant)
    return (await tenant_policy(db, tenant, settings)).setting("notice_abbreviation")
