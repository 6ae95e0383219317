"""QR code of a share link's URL as PNG (HB-09): the platform's one renderer, ``anjian_shared.qr``."""

from anjian_shared.qr import qr_png

__all__ = ["qr_png"]
