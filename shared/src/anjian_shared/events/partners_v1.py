"""Events published by partners, version 1 (PLAT-03).

Both are about one partner client's own subscriptions: a partner receives them only for
its own client (``client_id``), never another partner's (``anjian_shared.scopes``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .common import EventModel


class SubscriptionPaused(EventModel):
    """``partners.subscription.paused.v1``: a partner's subscription stopped delivering.

    ``reason`` ``delivery_failed``: a webhook kept failing for the whole retry window
    (24 hours by default); ``client_disabled``: the partner's client was disabled;
    ``by_admin``: the province administrator paused it. The subscription keeps its
    undelivered events; the partner resumes it with
    ``PATCH /api/partners/v1/subscriptions/{id}`` ``{"status": "active"}`` (not after
    ``client_disabled``; after ``by_admin`` only the administrator) or replays them.
    Delivered only to the subscription's own client.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "subscription_id": "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f", "client_id": "hubei_3f9a1c7e5b2d", "kind": "webhook",
        "url": "https://bigdata.hubei.example/anjian/events", "reason": "delivery_failed",
        "failed_event_id": "0190d6a4-7b1c-7c3e-9a51-3f2e1d0c9b8a", "last_response_code": 503,
        "last_error": "HTTP 503", "attempts": 19, "paused_at": "2026-11-22T01:30:00Z"}]})

    subscription_id: str = Field(description="the paused subscription")
    client_id: str = Field(description="the partner client that owns it")
    kind: Literal["webhook", "amqp"] = Field(description="how it delivers")
    url: str | None = Field(default=None, description="the webhook URL (webhook subscriptions)")
    reason: Literal["delivery_failed", "client_disabled", "by_admin"] = Field(
        description="why it was paused")
    failed_event_id: str | None = Field(
        default=None, description="delivery_failed: the event whose delivery gave up")
    last_response_code: int | None = Field(
        default=None, description="delivery_failed: the HTTP status of the last attempt, if any")
    last_error: str | None = Field(default=None, description="delivery_failed: the last error")
    attempts: int = Field(default=0, description="delivery_failed: attempts made for that event")
    paused_at: datetime = Field(description="when it was paused")


class TestSent(EventModel):
    """``partners.test.sent.v1``: a test event the partner asked for with
    ``POST /api/partners/v1/subscriptions/{id}/test`` — delivered to that subscription
    only, signed and retried like any other event, never logged for replay. Use it to
    check an endpoint (signature verification, parsing) without waiting for real traffic.
    """

    __test__ = False  # not a pytest test class

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "subscription_id": "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f", "client_id": "hubei_3f9a1c7e5b2d",
        "message": "这是一条测试事件 (a test event): your endpoint received and verified it",
        "requested_at": "2026-11-21T01:30:00Z"}]})

    subscription_id: str = Field(description="the subscription the test was sent to")
    client_id: str = Field(description="the partner client that asked for it")
    message: str = Field(description="free text; says that this is a test")
    requested_at: datetime = Field(description="when the partner asked for it")


EVENTS: dict[str, type[BaseModel]] = {
    "partners.subscription.paused.v1": SubscriptionPaused,
    "partners.test.sent.v1": TestSent,
}
