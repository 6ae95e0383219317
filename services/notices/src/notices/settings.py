"""Settings of the notices service (environment prefix ``ANJIAN_``)."""

from __future__ import annotations

from pydantic import Field

from anjian_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """``ServiceSettings`` plus what notices needs.

    ``reply_photo_max_bytes`` caps each reply photo (bytes; the platform's
    ``max_upload_bytes`` is the ceiling); ``presign_minutes`` is how long the photo,
    signature and seal URLs in responses stay valid.
    """

    service_name: str = "notices"
    reply_photo_max_bytes: int | None = Field(
        default=None, ge=1, description="bytes per reply photo; default: max_upload_bytes")
    presign_minutes: int = Field(default=15, ge=1, le=7 * 24 * 60)

    @property
    def photo_limit_bytes(self) -> int:
        """The effective per-photo limit in bytes."""
        if self.reply_photo_max_bytes is None:
            return self.max_upload_bytes
        return min(self.reply_photo_max_bytes, self.max_upload_bytes)
