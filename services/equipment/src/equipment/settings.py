"""equipment settings (env prefix ``ANJIAN_``)."""

from __future__ import annotations

from pydantic import Field

from anjian_shared.pdf_fonts import DEFAULT_CJK_FONTS
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
    cjk_font_path: str | None = Field(default=None, description=(
        "TrueType/TTC font with CJK glyphs for the registration sign PDF (ANJIAN_CJK_FONT_PATH); "
        "unset: the first existing of cjk_font_candidates (anjian_shared.pdf_fonts)"))
    cjk_font_subfont_index: int = Field(default=0, ge=0, description="face index inside a .ttc collection")
    cjk_font_candidates: list[str] = Field(default_factory=lambda: list(DEFAULT_CJK_FONTS))
    registry_export_max_rows: int = Field(default=20_000, ge=1, le=100_000, description=(
        "HEB-06: most machines one XLSX export holds (more → 422 asking to narrow it)"))

    def policy_defaults(self, tenant: str) -> PolicyDefaults:
        """``tenant``'s defaults from this environment (the administrator's values override them)."""
        limits = {}
        if tenant in self.application_attachment_max_bytes_per_tenant:
            limits["application_attachment_max_bytes"] = self.application_attachment_max_bytes_per_tenant[tenant]
        return PolicyDefaults(limits=limits, ceilings={"application_attachment_max_bytes": self.max_upload_bytes})
