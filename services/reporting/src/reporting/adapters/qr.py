"""QR codes come from ``anjian_shared.qr``, the platform's one renderer (share links HB-09,
companion tokens FJ-05, registration signs HEB-07)."""

from anjian_shared.qr import qr_png

__all__ = ["qr_png"]
