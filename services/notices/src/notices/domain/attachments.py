"""Reply attachments (附件, HN-09): an allow-list of file types recognised by their content
signature, never by name or declared type. No I/O.

Accepted: PDF (``%PDF-``), Word ``.docx`` and Excel ``.xlsx`` (a ZIP whose members include
``[Content_Types].xml`` and ``word/`` resp. ``xl/``), and JPEG/PNG images (a scan of a
signed paper reply). Anything else — executables, HTML, legacy Office, plain ZIPs — is
refused (415 naming ``attachments``).
"""

from __future__ import annotations

import io
import zipfile

from anjian_shared.errors import UnsupportedMedia

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JPEG = "image/jpeg"
PNG = "image/png"
ALLOWED = (PDF, DOCX, XLSX, JPEG, PNG)


def _office_type(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(n.startswith("word/") for n in names):
        return DOCX
    if any(n.startswith("xl/") for n in names):
        return XLSX
    return None


def attachment_type(data: bytes, *, field: str = "attachments") -> str:
    """HN-09: the content type of an attachment from its bytes; 415 problem naming ``field``
    for a type not on the allow-list."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"PK\x03\x04"):
        office = _office_type(data)
        if office:
            return office
    raise UnsupportedMedia(f"{field}: only PDF, DOCX, XLSX, JPEG or PNG files are accepted (checked by content)",
                           field=field)


EXTENSIONS = {PDF: "pdf", DOCX: "docx", XLSX: "xlsx", JPEG: "jpg", PNG: "png"}
