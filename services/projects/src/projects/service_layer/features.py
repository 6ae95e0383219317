"""Per-tenant switches of the Hainan flows (HN-03 positioning, HN-11 attendance).

Settings ``positioning_tenants`` and ``attendance_tenants`` list the tenants that have
them; all five provinces by default (see ``projects.settings``).
"""

from __future__ import annotations

from anjian_shared.problems import Forbidden

from ..settings import Settings

POSITIONING = "positioning"
ATTENDANCE = "attendance"


def ensure_feature(settings: Settings, tenant: str, feature: str) -> None:
    """403 (problem type ``feature-disabled``) unless ``feature`` (``positioning`` for HN-03,
    ``attendance`` for HN-11) is switched on for ``tenant``."""
    enabled = {POSITIONING: settings.positioning_tenants, ATTENDANCE: settings.attendance_tenants}[feature]
    if tenant not in enabled:
        raise Forbidden(f"{feature} is not switched on for this province", slug="feature-disabled")
