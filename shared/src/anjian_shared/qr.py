"""QR codes as PNG: a share link's URL (HB-09, reporting), a companion token (同行检查, FJ-05,
inspections), a registration sign's public status page (HEB-07, equipment). Printed on paper or
shown on a screen."""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M


def qr_png(text: str, *, box_size: int = 8, border: int = 4) -> bytes:
    """A PNG image encoding ``text`` (error correction M)."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    qr.add_data(text)
    qr.make(fit=True)
    img = qr.make_image(fill_color="black", back_color="white")
    buf = io.BytesIO()
    img.save(buf)
    return buf.getvalue()
