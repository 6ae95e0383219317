"""PDF and PNG responses."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Response

from ...service_layer.documents import RenderedDocument

VERSION_HEADER = "Anjian-Notice-Version"
"""HB-09: which version of the notice a PDF shows."""

PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
          "description": "the document as PDF (A4)",
          "headers": {VERSION_HEADER: {"description": "a notice's PDF: the version of the notice it shows "
                                                      "(compare with the notice's `version`)",
                                       "schema": {"type": "integer"}}}},
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
    if doc.version is not None:
        headers[VERSION_HEADER] = str(doc.version)
        headers["Access-Control-Expose-Headers"] = VERSION_HEADER
    if shared:
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Robots-Tag"] = "noindex, nofollow"
    return Response(content=doc.pdf, media_type="application/pdf", headers=headers)
