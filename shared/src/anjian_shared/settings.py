"""Service settings from the environment (pydantic-settings).

Every variable is prefixed ``ANJIAN_`` (e.g. ``ANJIAN_MONGO_URL``).

Safe by default: ``ANJIAN_ENVIRONMENT`` defaults to ``production``, so a deployed process
whose variable went missing is never a development one. Only ``make run`` says
``development`` and the test plugin says ``test``. In production the settings fail fast:
a development default (S3 keys, the AMQP ``guest`` user or no password, a MongoDB URL
without credentials, switched-on failpoints, and what a service adds: identity's admin
password, partners' private webhook addresses) stops the service at start with a
``ValidationError`` naming every variable to set.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_S3_ACCESS_KEY = "anjian"
DEV_S3_SECRET = "anjian-dev-secret-key"
DEV_ADMIN_PASSWORD = "Anjian-dev-2026!"
DEV_MONGO_URL = "mongodb://127.0.0.1:27017/?directConnection=true"
DEV_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"

SERVICE_PORTS: dict[str, int] = {
    "identity": 8101,
    "projects": 8102,
    "inspections": 8103,
    "notices": 8104,
    "equipment": 8105,
    "personnel": 8106,
    "reporting": 8107,
    "partners": 8108,
    "conversations": 8109,
}
"""Default HTTP port of each service in the embedded run; the gateway listens on 8100."""


class ServiceSettings(BaseSettings):
    """Settings common to every service.

    ``service_name`` selects the defaults for the database (``<mongo_db_prefix><service>``)
    and bucket (``<s3_bucket_prefix>-<service>``).
    """

    model_config = SettingsConfigDict(env_prefix="ANJIAN_", extra="ignore")

    service_name: str = "service"
    environment: Literal["development", "test", "production"] = Field(
        default="production",
        description="ANJIAN_ENVIRONMENT; production unless said otherwise (make run: development, "
                    "tests: test), so a missing variable never relaxes the production checks")
    log_level: str = "INFO"
    log_json: bool = True

    mongo_url: str = DEV_MONGO_URL
    mongo_db_prefix: str = "anjian_"

    amqp_url: str = DEV_AMQP_URL
    amqp_exchange: str = "anjian.events"
    amqp_prefetch: int = 32
    amqp_consumer_lanes: int = Field(default=4, ge=1, description=(
        "per consumer queue, lanes applying events at once; an aggregate's events always take the same "
        "lane, so they are applied in delivery order (issue 16)"))
    amqp_batch_max: int = Field(default=32, ge=1, description=(
        "events a lane applies in one transaction at most: under load one commit carries several events "
        "(the drain is bound by the commit rate); 1 commits each event alone (issue 16)"))
    amqp_delivery_limit: int = Field(
        default=5, ge=1, description="retries (x-delivery-limit: returns to the queue) before a message is "
                                     "dead-lettered: it is tried at most delivery_limit + 1 times")

    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = DEV_S3_ACCESS_KEY
    s3_secret_key: str = DEV_S3_SECRET
    s3_region: str = "us-east-1"
    s3_secure: bool = False
    s3_bucket_prefix: str = "anjian"
    media_public_url: str | None = Field(
        default=None,
        description="ANJIAN_MEDIA_PUBLIC_URL: where clients fetch media, http(s)://host[:port]/prefix; "
                    "every presigned URL starts with it and is signed for its host (the gateway strips "
                    "the prefix and proxies to S3 with that Host; anjian_shared.storage). Default: "
                    "<public_base_url>/media")
    media_signing_host: str | None = Field(
        default=None,
        description="ANJIAN_MEDIA_SIGNING_HOST: the Host S3 sees when the gateway does not pass the "
                    "client's on (a managed S3 that routes by Host: the gateway sets this one); "
                    "default: the host of media_base_url")

    identity_url: str = "http://127.0.0.1:8101"
    jwt_issuer: str = "https://anjian.local/identity"
    jwt_audience: str = "anjian"
    public_base_url: str = "http://127.0.0.1:8100"

    outbox_poll_seconds: float = 1.0
    outbox_lease_seconds: float = Field(
        default=30.0, gt=0, description="how long a relay owns a claimed outbox row; after a crash another "
                                        "relay (or the restarted one) publishes it once the lease expired")
    failpoints: str = Field(
        default="", description="ANJIAN_FAILPOINTS (fault tests only, anjian_shared.failpoints); "
                                "refused in production")
    max_upload_bytes: int = 10 * 1024 * 1024
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024,
                                description="largest JSON (or other non-multipart) request body; 413 above")
    max_multipart_bytes: int = Field(default=50 * 1024 * 1024, ge=1024,
                                     description="largest multipart/form-data request (photos); 413 above")
    trusted_proxies: str = Field(
        default="127.0.0.1/32,::1/128",
        description="ANJIAN_TRUSTED_PROXIES: comma-separated addresses/networks of the gateway (and "
                    "other proxies) whose X-Forwarded-For is believed (anjian_shared.proxies); empty: "
                    "nobody's, the peer is the client")
    max_json_depth: int = Field(default=32, ge=4, le=256,
                                description="deepest nesting of arrays/objects in a JSON body; 422 "
                                            "json-too-deep above (a deep body made parsers recurse: 500)")

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies_parse(cls, value: str) -> str:
        from .proxies import parse_networks

        parse_networks(value)  # a typo stops the service at start, not at the first request
        return value

    @property
    def mongo_db(self) -> str:
        return f"{self.mongo_db_prefix}{self.service_name}"

    @property
    def media_base_url(self) -> str:
        """Where media are served: ``media_public_url``, else ``<public_base_url>/media``."""
        return self.media_public_url or f"{self.public_base_url.rstrip('/')}/media"

    @field_validator("media_public_url")
    @classmethod
    def _media_public_url_parse(cls, value: str | None) -> str | None:
        if value is not None:
            from .storage import split_media_url

            split_media_url(value)  # a typo stops the service at start, not at the first photo
        return value

    @property
    def s3_bucket(self) -> str:
        return f"{self.s3_bucket_prefix}-{self.service_name}"

    def production_problems(self) -> list[str]:
        """What this configuration leaves at a development default, one sentence per problem,
        each naming the variable to set. Services extend it (``super().production_problems()``
        plus their own); checked at start when ``environment`` is ``production``."""
        problems = []
        if self.s3_access_key in ("", DEV_S3_ACCESS_KEY):
            problems.append("ANJIAN_S3_ACCESS_KEY is empty or the development default")
        if self.s3_secret_key in ("", DEV_S3_SECRET):
            problems.append("ANJIAN_S3_SECRET_KEY is empty or the development default")
        amqp = urlsplit(self.amqp_url)
        if not amqp.password:
            problems.append("ANJIAN_AMQP_URL has no password (amqp[s]://user:password@host/vhost)")
        elif amqp.password == "guest" or amqp.username == "guest":
            problems.append("ANJIAN_AMQP_URL uses RabbitMQ's default guest user; give the services "
                            "a user of their own")
        if not _mongo_has_credentials(self.mongo_url):
            problems.append("ANJIAN_MONGO_URL has no credentials (mongodb://user:password@…, or an "
                            "authMechanism such as MONGODB-X509)")
        for variable, value in (("ANJIAN_S3_ACCESS_KEY", self.s3_access_key),
                                ("ANJIAN_S3_SECRET_KEY", self.s3_secret_key),
                                ("ANJIAN_AMQP_URL", self.amqp_url), ("ANJIAN_MONGO_URL", self.mongo_url)):
            if is_placeholder(value):
                problems.append(f"{variable} still holds a CHANGE-ME placeholder of a template")
        if self.failpoints.strip():
            problems.append("ANJIAN_FAILPOINTS is set: failpoints crash processes on purpose "
                            "(fault tests only); unset it")
        return problems

    @model_validator(mode="after")
    def _no_development_defaults_in_production(self) -> ServiceSettings:
        if self.environment == "production":
            problems = self.production_problems()
            if problems:
                raise ValueError(
                    "refusing to start with ANJIAN_ENVIRONMENT=production (the default): "
                    + "; ".join(problems)
                    + ". Set these variables (or ANJIAN_ENVIRONMENT=development on a developer's "
                      "machine).")
        return self


def is_placeholder(value: str) -> bool:
    """A value copied from a template without being replaced (``CHANGE-ME…``, see
    ``deploy/compose.env.example`` and ``deploy/k8s/secret.template.yaml``)."""
    return "change-me" in value.lower()


def _mongo_has_credentials(url: str) -> bool:
    """``user:password@`` in the URL, or an ``authMechanism`` (X.509, AWS, OIDC … bring their
    own credentials)."""
    parts = urlsplit(url)
    if parts.username and parts.password:
        return True
    query = {k.lower(): v for k, v in parse_qs(parts.query).items()}
    return bool(query.get("authmechanism"))
