"""partners settings (env prefix ``ANJIAN_``), PLAT-03."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import Field, model_validator

from anjian_shared.settings import ServiceSettings

from .domain.retry import DEFAULT_SCHEDULE

DEFAULT_RETRY_SCHEDULE = [float(s) for s in DEFAULT_SCHEDULE]
"""Seconds to wait after the 1st, 2nd, … failed attempt: 5 s, 10 s, 30 s, 1 min, 2 min,
5 min, 10 min, 30 min, 1 h, 2 h, 5 h, 10 h, then 10 h again until the retry window has
passed (``domain.retry``)."""


class Settings(ServiceSettings):
    service_name: str = "partners"
    amqp_prefetch: int = Field(default=1, ge=1, description=(
        "events recorded at once; 1 records them one by one in the broker's order (every event of a "
        "tenant advances the same log counter, so parallel recording would mostly conflict and retry)"))

    event_retention_days: float = Field(default=30, ge=1,
                                        description="days the event log (the replay source) keeps each event")
    webhook_retry_schedule: list[float] = Field(
        default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE), min_length=1,
        description="seconds to wait after each failed attempt; the last value repeats")
    webhook_retry_window_seconds: float = Field(
        default=24 * 3600, gt=0,
        description="an event still failing this long after its first attempt pauses its subscription")
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, description="per attempt")
    webhook_secret_grace_seconds: float = Field(
        default=24 * 3600, ge=0, description="how long a rotated-out webhook secret still signs")
    webhook_allow_private_addresses: bool | None = Field(
        default=None, description="allow webhook URLs on loopback/private networks "
                                  "(default: yes in development and test, no in production)")
    delivery_poll_seconds: float = Field(default=1.0, gt=0, description="how often the delivery sweep looks")
    delivery_concurrency: int = Field(default=16, ge=1, description="subscriptions delivered to at once")
    delivery_lease_seconds: float = Field(default=60.0, gt=0)

    media_link_seconds: int = Field(
        default=300, ge=10, le=3600,
        description="how long the presigned URL of GET /media/{event_id}/{name} stays valid (seconds)")

    rabbitmq_management_url: str | None = Field(
        default=None, description="RabbitMQ management HTTP API, e.g. http://rabbitmq:15672; "
                                  "without it AMQP subscriptions are refused")
    rabbitmq_management_user: str | None = Field(default=None, description="default: the user of amqp_url")
    rabbitmq_management_password: str | None = Field(default=None, description="default: the password of amqp_url")
    partner_amqp_url: str | None = Field(
        default=None, description="broker URL given to partners (no credentials), default: amqp_url's "
                                  "host, port and vhost")

    @property
    def allow_private_webhooks(self) -> bool:
        if self.webhook_allow_private_addresses is not None:
            return self.webhook_allow_private_addresses
        return self.environment != "production"

    @property
    def amqp_vhost(self) -> str:
        path = urlsplit(self.amqp_url).path
        return unquote(path[1:]) if len(path) > 1 else "/"

    @property
    def management_credentials(self) -> tuple[str, str]:
        parts = urlsplit(self.amqp_url)
        return (self.rabbitmq_management_user or unquote(parts.username or "guest"),
                self.rabbitmq_management_password or unquote(parts.password or "guest"))

    @property
    def public_amqp_url(self) -> str:
        if self.partner_amqp_url:
            return self.partner_amqp_url
        parts = urlsplit(self.amqp_url)
        host = parts.hostname or "localhost"
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path or "/", "", ""))

    def production_problems(self) -> list[str]:
        """The shared checks plus partners': no webhooks to loopback/private addresses (SSRF)."""
        problems = super().production_problems()
        if self.webhook_allow_private_addresses:
            problems.append("ANJIAN_WEBHOOK_ALLOW_PRIVATE_ADDRESSES is on: webhooks could reach "
                            "the platform's own network; unset it")
        return problems

    @model_validator(mode="after")
    def _schedule_positive(self) -> Settings:
        if any(s <= 0 for s in self.webhook_retry_schedule):
            raise ValueError("webhook_retry_schedule must hold positive seconds")
        return self
