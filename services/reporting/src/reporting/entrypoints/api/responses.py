"""PDF and PNG responses."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Response

from ...service_layer.documents import RenderedDocument

PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
          "description": "the document as PDF (A4)"},
}
PNG_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
          "description": "QR code (PNG)"},
}


def pdf_response(doc: RenderedDocument, *, download: bool, shared: bool = False) -> Response:
    """The PDF inline (or as an attachment), with a UTF-8 file name (RFC 6266/5987); never cached."""
    disposition = "attachment" if download else "inline"
    headers = {
        "Content-Disposition": f"{disposition}; filename=\"{doc.ascii_filename}\"; "
                               f"filename*=UTF-8''{quote(doc.filename, safe='')}",
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if shared:
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Robots-Tag"] = "noindex, nofollow"
    return Response(content=doc.pdf, media_type="application/pdf", headers=headers)
