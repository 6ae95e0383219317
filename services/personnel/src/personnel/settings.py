"""personnel settings (env prefix ``ANJIAN_``)."""

from pydantic import Field

from anjian_shared.pdf_fonts import DEFAULT_CJK_FONTS
from anjian_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "personnel"
    staffing_freeze_interval_seconds: float = Field(default=3600.0, gt=0, description=(
        "how often the year-end job (HUN-04) looks for past years whose staffing return is not "
        "frozen yet; it also runs at every start, so a service down over New Year catches up"))
    cjk_font_path: str | None = Field(default=None, description=(
        "TrueType/TTC font with CJK glyphs for the HUN-03 PDF exports (ANJIAN_CJK_FONT_PATH); "
        "unset: the first existing of cjk_font_candidates (anjian_shared.pdf_fonts)"))
    cjk_font_subfont_index: int = Field(default=0, ge=0, description="face index inside a .ttc collection")
    cjk_font_candidates: list[str] = Field(default_factory=lambda: list(DEFAULT_CJK_FONTS))
