"""The photos and attachments of a document reply (HN-09), taken in by the shared media block
(``anjian_shared.media.MediaIntake``): type by content, size by the tenant's limit, images
within the pixel limit; the intake removes what it stored when the request fails."""

from __future__ import annotations

from collections.abc import Sequence

from anjian_shared.media import MediaPolicy, Upload
from anjian_shared.tenant_policy import TenantPolicy


def reply_media(
    policy: TenantPolicy, photos: Sequence[Upload], attachments: Sequence[Upload]
) -> tuple[tuple[Sequence[Upload], MediaPolicy], tuple[Sequence[Upload], MediaPolicy]]:
    """HN-09: the upload groups of a reply for ``MediaIntake.take_groups``: ``photos`` JPEG/PNG
    (413/415/422 ``photos``), ``attachments`` PDF/DOCX/XLSX/JPEG/PNG (413/415/422
    ``attachments``), each within the tenant's byte limit (``policy``: the tenant policy's
    ``document_photo_max_bytes`` / ``document_attachment_max_bytes``)."""
    return (
        (photos, MediaPolicy.photo(max_bytes=policy.limit("document_photo_max_bytes"))),
        (
            attachments,
            MediaPolicy.attachment(max_bytes=policy.limit("document_attachment_max_bytes")),
        ),
    )
