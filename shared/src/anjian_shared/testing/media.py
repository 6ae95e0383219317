"""Test helpers of the media block (``anjian_shared.media``): uploads without FastAPI and the
hostile files of issue 11 (a decompression bomb, a JPEG that is also HTML)."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field

from PIL import Image


@dataclass
class FakeUpload:
    """An upload as the service layer sees it (``anjian_shared.media.Upload``): ``filename``,
    ``content_type`` (declared, never trusted), ``size`` (None = unknown) and ``async read``."""

    data: bytes
    filename: str | None = "upload.bin"
    content_type: str | None = "application/octet-stream"
    size: int | None = None
    _pos: int = field(default=0, repr=False)

    async def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self._pos + size
        chunk, self._pos = self.data[self._pos : end], min(end, len(self.data))
        return chunk

    async def seek(self, offset: int) -> None:
        self._pos = offset


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48), color: str = "red") -> bytes:
    """A small real image."""
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format=fmt)
    return buf.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def huge_png(width: int = 13000, height: int = 13000) -> bytes:
    """A valid 1-bit grayscale PNG of ``width`` × ``height`` pixels, all black: 13000×13000
    (169 megapixels) compresses to ~20 KB — the decompression bomb of issue 11."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


POLYGLOT_HTML = b"<html><body><script>document.title='pwned'</script></body></html>"


def polyglot_jpeg() -> bytes:
    """A JPEG that decodes as an image and also carries an HTML page after its end marker."""
    return image_bytes("JPEG") + POLYGLOT_HTML
