"""Per-tenant configuration of notices (PLAT-01): the province abbreviation in numbers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TenantNoticeConfig:
    """``abbr``: the province's one-character abbreviation that starts notice numbers."""

    abbr: str


TENANT_CONFIG: dict[str, TenantNoticeConfig] = {
    "hubei": TenantNoticeConfig(abbr="鄂"),
    "hainan": TenantNoticeConfig(abbr="琼"),
    "fujian": TenantNoticeConfig(abbr="闽"),
    "hunan": TenantNoticeConfig(abbr="湘"),
    "hebei": TenantNoticeConfig(abbr="冀"),
}


def tenant_config(tenant: str) -> TenantNoticeConfig:
    """The configuration of ``tenant``; ``LookupError`` for a tenant notices does not know."""
    try:
        return TENANT_CONFIG[tenant]
    except KeyError as exc:
        raise LookupError(f"no notice configuration for tenant {tenant!r}") from exc
