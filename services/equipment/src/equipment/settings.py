"""equipment settings (env prefix ``ANJIAN_``)."""

from __future__ import annotations

from pydantic import Field

from anjian_shared.settings import ServiceSettings
from anjian_shared.tenant_policy import PolicyDefaults


class Settings(ServiceSettings):
    """``ServiceSettings`` plus equipment's.

    ``application_attachment_max_bytes_per_tenant`` ('{"hebei": 614400}') overrides the registry
    default of the tenant limit ``application_attachment_max_bytes`` (HEB-17: Hebei 600 KB,
    others 10 MB); the province administrator's value (identity's policy API) wins over both.
    Read limits only through ``tenant_policy(mongo, tenant, settings)``.
    """

    service_name: str = "equipment"
    application_attachment_max_bytes_per_tenant: dict[str, int] = Field(default_factory=dict)
    presign_minutes: int = Field(default=15, ge=1, le=7 * 24 * 60)
    public_base_url: str = Field(default="http://localhost:8080",
                                 description="where the registration sign's QR code points (public status page)")

    def policy_defaults(self, tenant: str) -> PolicyDefaults:
        """``tenant``'s defaults from this environment (the administrator's values override them)."""
        limits = {}
        if tenant in self.application_attachment_max_bytes_per_tenant:
            limits["application_attachment_max_bytes"] = self.application_attachment_max_bytes_per_tenant[tenant]
        return PolicyDefaults(limits=limits, ceilings={"application_attachment_max_bytes": self.max_upload_bytes})
