"""Per-tenant switches of the Hainan flows (HN-03 positioning, HN-11 attendance).

They are features of the tenant policy (``anjian_shared.tenant_policy``): the defaults come
from settings ``positioning_tenants`` / ``attendance_tenants`` (all five provinces), the
province administrator switches them over identity's API.
"""

from __future__ import annotations

from anjian_shared.mongo import Mongo
from anjian_shared.tenant_policy import TenantPolicy, require_feature

from ..settings import Settings

POSITIONING = "positioning"
ATTENDANCE = "attendance"


async def ensure_feature(
    mongo: Mongo, settings: Settings, tenant: str, feature: str
) -> TenantPolicy:
    """403 (problem type ``feature-disabled``) unless ``feature`` (``positioning`` for HN-03,
    ``attendance`` for HN-11) is switched on for ``tenant``. Returns the tenant's policy."""
    return await require_feature(mongo, tenant, settings, feature)
