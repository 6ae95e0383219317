"""Settings of the notices service (environment prefix ``ANJIAN_``)."""

from __future__ import annotations

from pydantic import Field

from anjian_shared.settings import ServiceSettings
from anjian_shared.tenant_policy import LIMITS, PolicyDefaults


class Settings(ServiceSettings):
    """``ServiceSettings`` plus what notices needs.

    ``reply_photo_max_bytes`` caps each reply photo (bytes; the platform's
    ``max_upload_bytes`` is the ceiling); ``presign_minutes`` is how long the photo,
    signature and seal URLs in responses stay valid.

    Enforcement documents (处理文书, HN-07..HN-09, Hainan's flow) are a per-tenant feature: on
    for every tenant unless ``ANJIAN_ENFORCEMENT_DOCUMENTS_ENABLED='{"hebei": false}'``
    switches one off (``ANJIAN_ENFORCEMENT_DOCUMENTS_DEFAULT=false``: off where not named).
    Reply photos and attachments are limited per tenant
    (``ANJIAN_DOCUMENT_PHOTO_MAX_BYTES_PER_TENANT='{"hainan": 5242880}'``, likewise
    ``…_ATTACHMENT_…``); Hebei's registry default is 600 KB for both (HEB-10/HEB-17), kept unless the
    environment names the tenant or sets the platform-wide value.
    ``ANJIAN_ESCALATION_INTERVAL_SECONDS`` (default 60) is how often every replica sweeps for
    overdue documents; the sweep is safe to run in any number of
    processes at once.

    These per-tenant switches and limits are DEFAULTS: the province administrator changes them
    over identity's API (``anjian_shared.tenant_policy``, which also holds the notice-number
    abbreviation 鄂/琼/闽/湘/冀); read them only through ``tenant_policy(mongo, tenant, settings)``,
    which calls ``policy_defaults``.
    """

    service_name: str = "notices"
    reply_photo_max_bytes: int | None = Field(
        default=None, ge=1, description="bytes per reply photo; default: max_upload_bytes")
    presign_minutes: int = Field(default=15, ge=1, le=7 * 24 * 60)

    # --- enforcement documents (处理文书, HN-07..HN-09) ------------------------------------------
    enforcement_documents_default: bool = Field(
        default=True, description="HN-07..09 enforcement documents on for tenants not named below")
    enforcement_documents_enabled: dict[str, bool] = Field(
        default_factory=dict,
        description='per-tenant switch of HN-07..09, e.g. {"hebei": false}; unnamed tenants use the default')
    document_photo_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1, description="bytes per reply photo")
    document_photo_max_bytes_per_tenant: dict[str, int] = Field(default_factory=dict)
    document_attachment_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1,
                                               description="bytes per reply attachment (PDF, DOCX, …)")
    document_attachment_max_bytes_per_tenant: dict[str, int] = Field(default_factory=dict)
    escalation_interval_seconds: float = Field(
        default=60.0, gt=0, description="how often the service sweeps for overdue documents (HN-07)")

    def documents_enabled(self, tenant: str) -> bool:
        """HN-07..09: whether ``tenant`` has enforcement documents (feature flag)."""
        return self.enforcement_documents_enabled.get(tenant, self.enforcement_documents_default)

    def document_photo_limit(self, tenant: str) -> int:
        """Largest reply photo of ``tenant`` in bytes (never above ``max_upload_bytes``)."""
        return min(self.document_photo_max_bytes_per_tenant.get(tenant, self.document_photo_max_bytes),
                   self.max_upload_bytes)

    def document_attachment_limit(self, tenant: str) -> int:
        """Largest reply attachment of ``tenant`` in bytes."""
        return self.document_attachment_max_bytes_per_tenant.get(tenant, self.document_attachment_max_bytes)

    @property
    def photo_limit_bytes(self) -> int:
        """The effective per-photo limit in bytes."""
        if self.reply_photo_max_bytes is None:
            return self.max_upload_bytes
        return min(self.reply_photo_max_bytes, self.max_upload_bytes)

    def policy_defaults(self, tenant: str) -> PolicyDefaults:
        """``tenant``'s defaults from this environment (the administrator's values override them)."""
        limits = {"document_photo_max_bytes": self.document_photo_limit(tenant),
                  "document_attachment_max_bytes": self.document_attachment_limit(tenant)}
        # HEB-10/HEB-17: a province with its own registry default (Hebei 600 KB) keeps it unless
        # the environment names the tenant or sets the platform-wide value explicitly.
        for name, field, per_tenant in (
                ("document_photo_max_bytes", "document_photo_max_bytes", self.document_photo_max_bytes_per_tenant),
                ("document_attachment_max_bytes", "document_attachment_max_bytes",
                 self.document_attachment_max_bytes_per_tenant)):
            if (tenant in LIMITS[name].tenant_defaults and tenant not in per_tenant
                    and field not in self.model_fields_set):
                del limits[name]
        return PolicyDefaults(
            features={"enforcement_documents": self.documents_enabled(tenant)},
            limits=limits, ceilings={"document_photo_max_bytes": self.max_upload_bytes})
