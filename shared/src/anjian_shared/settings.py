"""Service settings from the environment (pydantic-settings).

Every variable is prefixed ``ANJIAN_`` (e.g. ``ANJIAN_MONGO_URL``). Settings fail
fast: outside ``development``/``test`` a default secret stops the service at start.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_S3_SECRET = "anjian-dev-secret-key"
DEV_ADMIN_PASSWORD = "Anjian-dev-2026!"

SERVICE_PORTS: dict[str, int] = {
    "identity": 8101,
    "projects": 8102,
    "inspections": 8103,
    "notices": 8104,
    "equipment": 8105,
    "personnel": 8106,
    "reporting": 8107,
    "partners": 8108,
}
"""Default HTTP port of each service in the embedded run; the gateway listens on 8100."""


class ServiceSettings(BaseSettings):
    """Settings common to every service.

    ``service_name`` selects the defaults for the database (``<mongo_db_prefix><service>``)
    and bucket (``<s3_bucket_prefix>-<service>``).
    """

    model_config = SettingsConfigDict(env_prefix="ANJIAN_", extra="ignore")

    service_name: str = "service"
    environment: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"
    log_json: bool = True

    mongo_url: str = "mongodb://127.0.0.1:27017/?directConnection=true"
    mongo_db_prefix: str = "anjian_"

    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    amqp_exchange: str = "anjian.events"
    amqp_prefetch: int = 32
    amqp_delivery_limit: int = Field(
        default=5, ge=1, description="retries (x-delivery-limit: returns to the queue) before a message is "
                                     "dead-lettered: it is tried at most delivery_limit + 1 times")

    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = "anjian"
    s3_secret_key: str = DEV_S3_SECRET
    s3_region: str = "us-east-1"
    s3_secure: bool = False
    s3_bucket_prefix: str = "anjian"
    s3_public_endpoint: str | None = Field(
        default=None, description="host:port clients use for presigned URLs, if not s3_endpoint"
    )

    identity_url: str = "http://127.0.0.1:8101"
    jwt_issuer: str = "https://anjian.local/identity"
    jwt_audience: str = "anjian"
    public_base_url: str = "http://127.0.0.1:8100"

    outbox_poll_seconds: float = 1.0
    outbox_lease_seconds: float = Field(
        default=30.0, gt=0, description="how long a relay owns a claimed outbox row; after a crash another "
                                        "relay (or the restarted one) publishes it once the lease expired")
    max_upload_bytes: int = 10 * 1024 * 1024
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024,
                                description="largest JSON (or other non-multipart) request body; 413 above")
    max_multipart_bytes: int = Field(default=50 * 1024 * 1024, ge=1024,
                                     description="largest multipart/form-data request (photos); 413 above")

    @property
    def mongo_db(self) -> str:
        return f"{self.mongo_db_prefix}{self.service_name}"

    @property
    def s3_bucket(self) -> str:
        return f"{self.s3_bucket_prefix}-{self.service_name}"

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> "ServiceSettings":
        if self.environment == "production" and self.s3_secret_key == DEV_S3_SECRET:
            raise ValueError("ANJIAN_S3_SECRET_KEY must be set outside development")
        return self
