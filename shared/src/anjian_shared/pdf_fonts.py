"""Building block: the CJK TrueType font embedded in every PDF the platform prints
(reporting's notices and results, HB-09; inspections' JGJ 59 evaluations; equipment's
registration signs, HEB-07). A second copy of this setup is a defect.

ReportLab embeds TrueType outlines only: CFF/OpenType-PS fonts such as Noto Sans CJK
are refused, so the platform relies on WenQuanYi Zen Hei from the Debian package
``fonts-wqy-zenhei`` (``/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc``, face 0).
``ANJIAN_CJK_FONT_PATH`` names another font; otherwise the first usable entry of
``cjk_font_candidates`` is taken. ``CjkFontNotFound`` says what was tried.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

INSTALL_HINT = ("install the Debian package fonts-wqy-zenhei (/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc) "
                "or set ANJIAN_CJK_FONT_PATH to a TrueType/TTC font with CJK glyphs (not CFF/OTF)")


DEFAULT_CJK_FONTS: list[str] = [
    # Debian/Ubuntu package ``fonts-wqy-zenhei``: a TTC with TrueType outlines (subfont 0 = WenQuanYi Zen Hei).
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    # ``fonts-wqy-microhei``
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    # ``fonts-arphic-uming`` / ``fonts-arphic-ukai``
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    # ``fonts-droid-fallback``
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    # Alpine (font-wqy-zenhei) and Fedora/RHEL (wqy-zenhei-fonts) locations
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",
]
"""Fallback search list for a CJK font with TrueType outlines (ReportLab cannot embed CFF/OTF
fonts such as Noto Sans CJK)."""


class CjkFontNotFound(RuntimeError):
    """No usable CJK TrueType font: PDFs can't be rendered."""


@dataclass(frozen=True)
class CjkFont:
    """A registered ReportLab font: use ``name`` as ``fontName``."""

    name: str
    path: str
    subfont_index: int


_lock = threading.Lock()
_registered: dict[tuple[str, int], CjkFont] = {}


def _register(path: str, subfont_index: int) -> CjkFont:
    key = (os.path.realpath(path), subfont_index)
    with _lock:
        if key in _registered:
            return _registered[key]
        name = "AnjianCJK-" + hashlib.sha1(f"{key[0]}#{subfont_index}".encode()).hexdigest()[:10]
        face = TTFont(name, path, subfontIndex=subfont_index)
        if face.face.charToGlyph.get(ord("告")) in (None, 0):
            raise TTFError(f"{path} has no glyph for CJK characters")
        pdfmetrics.registerFont(face)
        # No bold/italic faces: map them to the same face so <b>/<i> markup keeps working.
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(name, bold, italic, name)
        font = CjkFont(name=name, path=path, subfont_index=subfont_index)
        _registered[key] = font
        return font


def resolve_cjk_font(path: str | None, subfont_index: int, candidates: list[str]) -> CjkFont:
    """Register and return the configured font, else the first usable candidate.

    Raises ``CjkFontNotFound`` listing every path tried and why it was refused.
    """
    tried: list[str] = []
    options = ([(path, subfont_index)] if path else []) + [(c, 0) for c in candidates if c != path]
    for candidate, index in options:
        if not os.path.isfile(candidate):
            tried.append(f"{candidate}: missing")
            continue
        try:
            return _register(candidate, index)
        except (TTFError, OSError, ValueError, KeyError, AttributeError) as exc:
            tried.append(f"{candidate}: {exc}")
    raise CjkFontNotFound(f"no CJK TrueType font found for PDFs: {INSTALL_HINT}; tried: {'; '.join(tried)}")
