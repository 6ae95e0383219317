"""QR codes come from ``anjian_shared.qr`` (shared with equipment's registration signs)."""

from anjian_shared.qr import qr_png

__all__ = ["qr_png"]
