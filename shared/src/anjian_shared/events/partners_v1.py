"""Events published by partners, version 1 (PLAT-03)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class SubscriptionPaused(BaseModel):
    """``partners.subscription.paused.v1``: a partner's subscription stopped delivering.

    ``reason`` ``delivery_failed``: a webhook kept failing for the whole retry window
    (24 hours by default); ``client_disabled``: the partner's client was disabled. The
    subscription keeps its undelivered events; the partner resumes it with
    ``PATCH /api/partners/v1/subscriptions/{id}`` ``{"status": "active"}`` or replays them.
    """

    subscription_id: str
    client_id: str
    kind: Literal["webhook", "amqp"]
    url: str | None = None
    reason: Literal["delivery_failed", "client_disabled"]
    failed_event_id: str | None = None
    last_response_code: int | None = None
    last_error: str | None = None
    attempts: int = 0
    paused_at: datetime


EVENTS: dict[str, type[BaseModel]] = {
    "partners.subscription.paused.v1": SubscriptionPaused,
}
