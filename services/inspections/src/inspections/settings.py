"""Settings of the inspections service (environment variables prefixed ``ANJIAN_``)."""

from __future__ import annotations

from pydantic import Field

from anjian_shared.pdf_fonts import DEFAULT_CJK_FONTS
from anjian_shared.settings import ServiceSettings
from anjian_shared.tenant_policy import PolicyDefaults


class Settings(ServiceSettings):
    """inspections' settings; everything else comes from ``ServiceSettings``.

    Photo, signature and seal uploads are limited per tenant (PLAT-01): the limit of a
    tenant is ``photo_max_bytes_per_tenant[tenant]`` when set, else ``photo_max_bytes``.
    Example: ``ANJIAN_PHOTO_MAX_BYTES_PER_TENANT='{"hebei": 614400}'``.

    Supervision records (监督上报, HN-04..HN-06, Hainan's flow) are a per-tenant feature:
    on for every tenant unless ``ANJIAN_SUPERVISION_RECORDS_ENABLED='{"hebei": false}'``
    switches a tenant off (``ANJIAN_SUPERVISION_RECORDS_DEFAULT=false`` turns them off for
    every tenant not named). Their videos and audio clips are limited per tenant like photos
    (``video_max_bytes[_per_tenant]``, ``audio_max_bytes[_per_tenant]``); the whole request
    is also capped by ``ANJIAN_MAX_MULTIPART_BYTES`` (50 MiB by default), so raise that too
    for long videos.

    These per-tenant switches and limits are DEFAULTS: the province administrator changes them
    over identity's API (``anjian_shared.tenant_policy``); read them only through
    ``tenant_policy(mongo, tenant, settings)``, which calls ``policy_defaults``.
    """

    service_name: str = "inspections"
    photo_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1, description="bytes per photo/signature/seal")
    photo_max_bytes_per_tenant: dict[str, int] = Field(default_factory=dict)
    max_photos_per_result: int = Field(default=9, ge=1, le=50, description="photos of one result (HB-04)")
    max_hazards_per_result: int = Field(default=50, ge=1)

    # --- supervision records (监督上报, HN-04..HN-06) -------------------------------------------
    supervision_records_default: bool = Field(
        default=True, description="HN-04..06 supervision records on for tenants not named below")
    supervision_records_enabled: dict[str, bool] = Field(
        default_factory=dict,
        description='per-tenant switch of HN-04..06, e.g. {"hebei": false}; unnamed tenants use the default')
    video_max_bytes: int = Field(default=30 * 1024 * 1024, ge=1, description="bytes per record video")
    video_max_bytes_per_tenant: dict[str, int] = Field(default_factory=dict)
    audio_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1, description="bytes per record audio")
    audio_max_bytes_per_tenant: dict[str, int] = Field(default_factory=dict)
    max_photos_per_record: int = Field(default=9, ge=0, le=50, description="photos of one record (HN-04)")
    max_videos_per_record: int = Field(default=2, ge=0, le=10, description="videos of one record (HN-04)")
    max_audios_per_record: int = Field(default=3, ge=0, le=10, description="audio clips of one record (HN-04)")
    max_codes_per_record: int = Field(default=50, ge=1, description="terms (and violations) cited by one record")

    # --- JGJ 59-2011 safety check evaluations (安全检查评分) ---------------------------------------
    max_photos_per_evaluation_item: int = Field(
        default=9, ge=1, le=50, description="photos justifying the deduction of one evaluation item")
    cjk_font_path: str | None = Field(
        default=None, description="TrueType/TTC CJK font of the evaluation PDF (ANJIAN_CJK_FONT_PATH); unset: the "
                                  "first existing entry of cjk_font_candidates (anjian_shared.pdf_fonts)")
    cjk_font_subfont_index: int = Field(default=0, ge=0, description="face index inside a .ttc collection")
    cjk_font_candidates: list[str] = Field(default_factory=lambda: list(DEFAULT_CJK_FONTS))
    self_inspection_escalation_interval_seconds: float = Field(
        default=300, gt=0, description="FJ-11: how often overdue self-inspection notices are escalated")

    def photo_limit(self, tenant: str) -> int:
        """Largest accepted upload of ``tenant``, in bytes."""
        return self.photo_max_bytes_per_tenant.get(tenant, self.photo_max_bytes)

    def video_limit(self, tenant: str) -> int:
        """Largest accepted video of a supervision record of ``tenant``, in bytes (HN-04)."""
        return self.video_max_bytes_per_tenant.get(tenant, self.video_max_bytes)

    def audio_limit(self, tenant: str) -> int:
        """Largest accepted audio clip of a supervision record of ``tenant``, in bytes (HN-04)."""
        return self.audio_max_bytes_per_tenant.get(tenant, self.audio_max_bytes)

    def records_enabled(self, tenant: str) -> bool:
        """HN-04..06: whether ``tenant`` has supervision records (feature flag)."""
        return self.supervision_records_enabled.get(tenant, self.supervision_records_default)

    def policy_defaults(self, tenant: str) -> PolicyDefaults:
        """``tenant``'s defaults from this environment (the administrator's values override them)."""
        return PolicyDefaults(
            features={"supervision_records": self.records_enabled(tenant)},
            limits={"photo_max_bytes": self.photo_limit(tenant), "video_max_bytes": self.video_limit(tenant),
                    "audio_max_bytes": self.audio_limit(tenant)})
