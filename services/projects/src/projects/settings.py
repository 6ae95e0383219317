"""projects settings (env prefix ``ANJIAN_``).

Hainan flows (HN-03 project positioning, HN-11 key-personnel attendance) are switched
on per tenant. Both are on for all five provinces by default; a deployment narrows
them with a JSON list, e.g. ``ANJIAN_POSITIONING_TENANTS='["hainan","hubei"]'`` or
``ANJIAN_ATTENDANCE_TENANTS='["hainan"]'``. A tenant without the feature gets 403
(problem type ``feature-disabled``) on its endpoints.

These per-tenant switches and limits are DEFAULTS: the province administrator changes them
over identity's API (``anjian_shared.tenant_policy``); read them only through
``tenant_policy(mongo, tenant, settings)``, which calls ``policy_defaults``.
"""

from __future__ import annotations

from pydantic import Field

from anjian_shared.settings import ServiceSettings
from anjian_shared.tenant_policy import PolicyDefaults
from anjian_shared.types import TENANTS


class Settings(ServiceSettings):
    """projects' settings; everything else comes from ``ServiceSettings``.

    - ``positioning_tenants`` / ``attendance_tenants``: tenants with HN-03 / HN-11 on.
    - ``online_filing_tenants`` (default hainan) / ``direct_registration_tenants`` (default all):
      which ways a province's projects come in (HN-01): filed online by the owner and accepted
      by the station, and/or registered directly by the station.
    - ``supervision_filing_tenants`` (default hebei): Hebei's 安全监督备案 (HEB-04/05/08).
    - ``positioning_photo_max_bytes`` (bytes, default 10 MB; per tenant in
      ``positioning_photo_max_bytes_per_tenant``, e.g. ``'{"hainan": 5242880}'``):
      the largest cover photo (413 above).
    - ``positioning_future_skew_minutes``: how far (minutes) ``captured_at`` may lie
      after the server's clock (device clocks drift); 422 beyond.
    - ``presign_minutes``: how long photo URLs in responses stay valid.
    - ``platform_feed_*`` (FJ-01): the integration platform's project feed pulled on a
      schedule (``ANJIAN_PLATFORM_FEED_URL``; unset, the default, pulls nothing — the platform
      may push instead).
    """

    service_name: str = "projects"
    positioning_tenants: list[str] = Field(default_factory=lambda: list(TENANTS),
                                           description="tenants with project positioning (HN-03) switched on")
    attendance_tenants: list[str] = Field(default_factory=lambda: list(TENANTS),
                                          description="tenants with key-personnel attendance (HN-11) switched on")
    online_filing_tenants: list[str] = Field(default_factory=lambda: ["hainan"],
                                             description="tenants whose owners file projects online (网上报监, HN-01)")
    supervision_filing_tenants: list[str] = Field(default_factory=lambda: ["hebei"], description=(
        "tenants whose owners file projects with the station of their division (安全监督备案, HEB-04/05/08)"))
    direct_registration_tenants: list[str] = Field(default_factory=lambda: list(TENANTS),
                                                   description="tenants whose stations register projects directly")
    positioning_photo_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1, description="bytes per cover photo")
    positioning_photo_max_bytes_per_tenant: dict[str, int] = Field(default_factory=dict)
    positioning_future_skew_minutes: int = Field(default=5, ge=0, le=24 * 60)
    presign_minutes: int = Field(default=15, ge=1, le=7 * 24 * 60)
    platform_feed_url: str | None = Field(default=None, description=(
        "FJ-01: the province's integration platform's project feed (paged JSON); unset: no pull"))
    platform_feed_token: str | None = Field(default=None, description="bearer token the feed asks for, if any")
    platform_feed_tenant: str = Field(default="fujian", description="the tenant the feed's projects belong to")
    platform_feed_interval_seconds: int = Field(default=3600, ge=10, description="seconds between two pulls")
    platform_feed_timeout_seconds: float = Field(default=30.0, gt=0, description="seconds per page request")
    platform_feed_max_pages: int = Field(default=1000, ge=1, description="pages read per pull at most")

    def positioning_photo_limit(self, tenant: str) -> int:
        """Largest accepted cover photo of ``tenant``, in bytes (never above ``max_upload_bytes``)."""
        return min(self.positioning_photo_max_bytes_per_tenant.get(tenant, self.positioning_photo_max_bytes),
                   self.max_upload_bytes)

    def policy_defaults(self, tenant: str) -> PolicyDefaults:
        """``tenant``'s defaults from this environment (the administrator's values override them)."""
        return PolicyDefaults(
            features={"positioning": tenant in self.positioning_tenants,
                      "attendance": tenant in self.attendance_tenants,
                      "online_filing": tenant in self.online_filing_tenants,
                      "supervision_filing": tenant in self.supervision_filing_tenants,
                      "direct_registration": tenant in self.direct_registration_tenants},
            limits={"positioning_photo_max_bytes": self.positioning_photo_limit(tenant)},
            ceilings={"positioning_photo_max_bytes": self.max_upload_bytes})
