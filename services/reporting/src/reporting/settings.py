"""Settings of the reporting service (environment variables prefixed ``ANJIAN_``)."""

from __future__ import annotations

from pydantic import Field

from anjian_shared.pdf_fonts import DEFAULT_CJK_FONTS
from anjian_shared.settings import ServiceSettings
from anjian_shared.tenant_policy import PolicyDefaults


class Settings(ServiceSettings):
    """reporting's settings; see ``ServiceSettings`` for the common ones."""

    service_name: str = "reporting"

    cjk_font_path: str | None = Field(
        default=None,
        description="TrueType/TTC font with CJK glyphs used in PDFs (ANJIAN_CJK_FONT_PATH); "
                    "when unset the first existing entry of cjk_font_candidates is used",
    )
    cjk_font_subfont_index: int = Field(default=0, ge=0, description="face index inside a .ttc collection")
    cjk_font_candidates: list[str] = Field(default_factory=lambda: list(DEFAULT_CJK_FONTS))

    share_link_default_minutes: int = Field(default=1440, ge=1, le=10080)
    pdf_photo_max_px: int = Field(default=1400, ge=200, description="longest side of a photo embedded in a PDF")
    station_search_max_export_rows: int = Field(
        default=10_000, ge=1, le=100_000,
        description="HN-10: most rows an XLSX export of the station search holds; more matches → 422 "
                    "asking to narrow the filters (ANJIAN_STATION_SEARCH_MAX_EXPORT_ROWS)")
    pdf_media_concurrency: int = Field(default=8, ge=1, description="parallel S3 reads while building a PDF")
    announcement_link_seconds: int = Field(
        default=300, ge=30, le=3600,
        description="HEB-02: how long the URL a download redirects to is valid (ANJIAN_ANNOUNCEMENT_LINK_SECONDS)")

    def policy_defaults(self, tenant: str) -> PolicyDefaults:
        """HEB-02 ``announcement_file_max_bytes`` never above the upload ceiling
        (``ANJIAN_MAX_UPLOAD_BYTES``); the province administrator's value wins below it."""
        return PolicyDefaults(ceilings={"announcement_file_max_bytes": self.max_upload_bytes})
