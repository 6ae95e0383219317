"""The CJK font setup lives in ``anjian_shared.pdf_fonts`` (shared with equipment's registration
signs); re-exported here for reporting's adapters."""

from anjian_shared.pdf_fonts import CjkFont, CjkFontNotFound, resolve_cjk_font

__all__ = ["CjkFont", "CjkFontNotFound", "resolve_cjk_font"]
