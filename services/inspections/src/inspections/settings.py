"""Settings of the inspections service (environment variables prefixed ``ANJIAN_``)."""

from __future__ import annotations

from pydantic import Field

from anjian_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """inspections' settings; everything else comes from ``ServiceSettings``.

    Photo, signature and seal uploads are limited per tenant (PLAT-01): the limit of a
    tenant is ``photo_max_bytes_per_tenant[tenant]`` when set, else ``photo_max_bytes``.
    Example: ``ANJIAN_PHOTO_MAX_BYTES_PER_TENANT='{"hebei": 614400}'``.
    """

    service_name: str = "inspections"
    photo_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1, description="bytes per photo/signature/seal")
    photo_max_bytes_per_tenant: dict[str, int] = Field(default_factory=dict)
    max_photos_per_result: int = Field(default=9, ge=1, le=50, description="photos of one result (HB-04)")
    max_hazards_per_result: int = Field(default=50, ge=1)

    def photo_limit(self, tenant: str) -> int:
        """Largest accepted upload of ``tenant``, in bytes."""
        return self.photo_max_bytes_per_tenant.get(tenant, self.photo_max_bytes)
