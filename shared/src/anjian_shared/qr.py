"""QR code of a URL as PNG: share links (HB-09), registration signs (HEB-07); printed or on a screen."""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M


def qr_png(url: str, *, box_size: int = 8, border: int = 4) -> bytes:
    """A PNG image encoding ``url`` (error correction M)."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    qr.add_data(url)
    qr.make(fit=True)
    img = qr.make_image(fill_color="black", back_color="white")
    buf = io.BytesIO()
    img.save(buf)
    return buf.getvalue()
