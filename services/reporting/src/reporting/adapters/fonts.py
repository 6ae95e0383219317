"""The CJK font of reporting's PDFs: the shared building block ``anjian_shared.pdf_fonts``
(shared with inspections' JGJ 59 evaluations and equipment's registration signs)."""

from anjian_shared.pdf_fonts import INSTALL_HINT, CjkFont, CjkFontNotFound, resolve_cjk_font

__all__ = ["INSTALL_HINT", "CjkFont", "CjkFontNotFound", "resolve_cjk_font"]
