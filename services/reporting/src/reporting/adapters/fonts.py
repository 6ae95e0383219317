"""The CJK font of reporting's PDFs: the shared building block ``anjian_shared.pdf_fonts``
(moved there so inspections prints its JGJ 59 evaluations with the same font setup)."""

from anjian_shared.pdf_fonts import INSTALL_HINT, CjkFont, CjkFontNotFound, resolve_cjk_font

__all__ = ["INSTALL_HINT", "CjkFont", "CjkFontNotFound", "resolve_cjk_font"]
