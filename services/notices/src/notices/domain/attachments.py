"""Reply attachments (附件, HN-09): an allow-list of file types recognised by their content,
never by name or declared type. No I/O.

Accepted (``anjian_shared.media.MediaKind.ATTACHMENT``): PDF (``%PDF-``), Word ``.docx`` and
Excel ``.xlsx`` (a ZIP whose members include ``[Content_Types].xml`` and ``word/`` resp.
``xl/``), and JPEG/PNG images (a scan of a signed paper reply; decoded, within the pixel
limit). Anything else — executables, HTML, legacy Office, plain ZIPs — is refused (415 naming
``attachments``). The sniffers are the shared media block's.
"""

from __future__ import annotations

from anjian_shared.media import DOCX, EXTENSIONS, JPEG, PDF, PNG, XLSX, MediaKind, sniff

ALLOWED = (PDF, DOCX, XLSX, JPEG, PNG)
__all__ = ["ALLOWED", "DOCX", "EXTENSIONS", "JPEG", "PDF", "PNG", "XLSX", "attachment_type"]


def attachment_type(data: bytes, *, field: str = "attachments") -> str:
    """HN-09: the content type of an attachment from its bytes; ``UnsupportedMedia`` (415)
    naming ``field`` for a type not on the allow-list."""
    return sniff(MediaKind.ATTACHMENT, data, field=field).content_type
