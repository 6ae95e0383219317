"""partners request and response bodies (PLAT-03)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from anjian_shared.pagination import Page
from anjian_shared.types import ShortStr

Pattern = Annotated[str, StringConstraints(min_length=1, max_length=200)]
"""At most 10 words and 200 characters (``domain.patterns``)."""
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
EventTypes = Annotated[list[Pattern], Field(min_length=1, max_length=50, description=(
    "event type patterns, AMQP topic style: `*` one word, `#` zero or more words; at most 10 words "
    "and 200 characters each; only the types the token's scopes grant are delivered"))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubscriptionCreate(_Strict):
    kind: Literal["webhook", "amqp"]
    url: Url | None = Field(default=None, description="webhook only: http(s) URL the events are POSTed to")
    event_types: EventTypes
    description: ShortStr | None = None

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"kind": "webhook", "url": "https://bigdata.hubei.example/anjian/events",
         "event_types": ["notices.*.*.v1", "inspections.plan.submitted.v1"]},
        {"kind": "amqp", "event_types": ["#"]}]})


class SubscriptionUpdate(_Strict):
    event_types: EventTypes | None = None
    url: Url | None = None
    description: ShortStr | None = None
    status: Literal["active", "paused"] | None = Field(
        default=None, description="`paused` stops deliveries; `active` resumes: the backlog is delivered at once, "
                                  "in order. The province administrator may change only this field.")


class SecretRotate(_Strict):
    grace_seconds: float | None = Field(default=None, ge=0, le=7 * 86400, description=(
        "how long the previous webhook secret keeps signing (default 86400)"))


class AmqpEndpoint(BaseModel):
    url: str = Field(description="broker to connect to, with the vhost (add the user name and password)")
    queue: str
    username: str
    vhost: str | None = Field(default=None, description=(
        "the partner client's own virtual host (`partner-<client id>`), holding only its queues"))
    password: str | None = Field(default=None, description="only in the answer that created or rotated it")


class SubscriptionRead(BaseModel):
    id: str
    tenant: str
    client_id: str
    client_name: str
    kind: Literal["webhook", "amqp"]
    url: str | None
    event_types: list[str]
    matching_event_types: list[str] = Field(description=(
        "the catalog's event types the patterns match today and the subscription's scopes grant"))
    scopes: list[str] = Field(default_factory=list, description=(
        "the event scopes of the token that created (or last re-patterned) it: what it may receive"))
    description: str | None = None
    status: Literal["active", "paused"]
    paused_reason: str | None = Field(default=None, description=(
        "delivery_failed | client_disabled | by_partner | by_admin"))
    paused_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    last_delivered_at: datetime | None = None
    secret_rotated_at: datetime | None = None
    amqp: AmqpEndpoint | None = None


class SubscriptionCreated(SubscriptionRead):
    secret: str | None = Field(default=None, description="webhook signing secret (whsec_…), shown only here")


class SecretRotated(SubscriptionRead):
    secret: str | None = Field(default=None, description="the new webhook signing secret, shown only here")
    previous_secret_expires_at: datetime | None = None


class SubscriptionPage(Page[SubscriptionRead]):
    pass


class AttemptRead(BaseModel):
    at: datetime
    response_code: int | None = None
    error: str | None = None
    duration_ms: int


class DeliveryRead(BaseModel):
    id: str
    event_id: str
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_response_code: int | None = None
    last_error: str | None = None
    first_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = Field(default=None, description="pending only")
    delivered_at: datetime | None = None
    created_at: datetime
    history: list[AttemptRead] = Field(default_factory=list, description="the last 10 attempts")


class DeliveryPage(Page[DeliveryRead]):
    pass


class EventPage(BaseModel):
    items: list[dict[str, Any]] = Field(description="CloudEvents 1.0 (structured JSON), in delivery order")
    next_cursor: str | None = None


class TestRequest(_Strict):
    __test__ = False  # not a pytest test class

    message: ShortStr | None = Field(default=None, description="free text carried in the test event")


class EventTypeRead(BaseModel):
    type: str = Field(description="the CloudEvents `type`, e.g. `notices.notice.issued.v1`")
    summary: str = Field(description="what happened (first line of the payload model's description)")
    description: str = Field(description="the payload model's full description")
    scopes: list[str] = Field(description="any one of these scopes grants the type")
    own_only: bool = Field(description=(
        "events about partner clients and subscriptions: delivered only when about the subscriber's own client"))
    personal_data: bool = Field(description="carries personal data (names, mobile numbers): `events:personal` only")
    data_schema: dict[str, Any] = Field(description="JSON Schema (2020-12) of the event's `data`")


class EventTypeList(BaseModel):
    items: list[EventTypeRead]
    scopes: dict[str, str] = Field(description="every scope a partner client may be given, with what it grants")


class MediaLink(BaseModel):
    """Where to fetch one medium of an event (``GET …/media/{event_id}/{name}?redirect=false``)."""

    url: str = Field(description="presigned GET URL on the platform's own origin (<public base>/media/…)")
    expires_at: datetime = Field(description="the URL is refused by the store after this instant (UTC)")
    media: dict[str, Any] = Field(description="the event's media reference (bucket, key, content_type, size, "
                                              "sha256, filename)")
