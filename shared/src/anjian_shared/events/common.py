"""Value types that appear in several events, and the base of every event payload model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EventModel(BaseModel):
    """Base of the event payload models: a field's docstring (the string right below it) is
    its description in the catalog, as ``Field(description=…)`` is. Every field needs one and
    every event type an example (``json_schema_extra={"examples": [...]}``), validated by
    ``anjian_shared.asyncapi.catalog_problems`` (README "The event catalog")."""

    model_config = ConfigDict(use_attribute_docstrings=True)


class MediaRef(EventModel):
    """An object in S3 storage (claim check): the platform's services read it by bucket and key;
    a partner fetches it with ``GET /api/partners/v1/media/{event id}/{name}`` (``name``: the
    last segment of ``key``), which redirects to a short-lived URL on the platform's origin."""

    bucket: str = Field(description="the S3 bucket (one per service, e.g. anjian-inspections)")
    key: str = Field(description="the object key, <tenant>/<folder>/<id>.<ext>; its last segment is the "
                                 "media name partners fetch it by")
    content_type: str = Field(description="the sniffed media type (image/jpeg, image/png, application/pdf, "
                                          "video/mp4, audio/mpeg …), whatever the uploader declared")
    size: int = Field(description="size in bytes")
    sha256: str | None = Field(default=None, description="SHA-256 of the bytes, hex (to check a download)")
    filename: str | None = Field(default=None, description="the file name the uploader gave, if any")


class PersonRef(EventModel):
    """A user of the platform, named as shown when the event happened."""

    user_id: str = Field(description="the user's id (identity)")
    name: str = Field(description="the user's display name (e.g. 张伟)")
