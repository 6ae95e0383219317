"""Value types that appear in several events."""

from __future__ import annotations

from pydantic import BaseModel


class MediaRef(BaseModel):
    """An object in S3 storage (claim check): the consumer reads it by bucket and key."""

    bucket: str
    key: str
    content_type: str
    size: int
    sha256: str | None = None
    filename: str | None = None


class PersonRef(BaseModel):
    user_id: str
    name: str
