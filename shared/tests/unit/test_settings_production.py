"""Safe by default (issue 10): production refuses every development default at start.

``ANJIAN_ENVIRONMENT`` defaults to ``production``; in production a development default
(S3 keys, AMQP ``guest`` or no password, MongoDB without credentials, failpoints, identity's
admin password, partners' private webhook addresses) is a ``ValidationError`` whose message
names the variable to set. No servers: settings are built from keyword arguments and a
cleaned environment.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from pydantic import ValidationError

from anjian_shared.settings import (
    DEV_ADMIN_PASSWORD,
    DEV_S3_ACCESS_KEY,
    DEV_S3_SECRET,
    ServiceSettings,
)
from identity.settings import Settings as IdentitySettings
from partners.settings import Settings as PartnersSettings

PRODUCTION: dict[str, Any] = {
    "environment": "production",
    "mongo_url": "mongodb://anjian:s3cret-mongo@mongo-0,mongo-1/?replicaSet=rs0&authSource=admin",
    "amqp_url": "amqps://anjian:s3cret-amqp@rabbitmq.example:5671/anjian",
    "s3_access_key": "prod-access-key",
    "s3_secret_key": "prod-secret-key-0123456789",
}
"""A complete production configuration: every check passes."""


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the keyword arguments count (the test plugin sets ANJIAN_ENVIRONMENT=test)."""
    for name in list(os.environ):
        if name.startswith("ANJIAN_"):
            monkeypatch.delenv(name)


def _refused(cls: type[ServiceSettings], **overrides: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        cls(**{**PRODUCTION, **overrides})
    return str(caught.value)


def test_environment_defaults_to_production_so_a_missing_variable_refuses_the_dev_defaults() -> None:
    with pytest.raises(ValidationError) as caught:
        ServiceSettings()
    message = str(caught.value)
    for variable in ("ANJIAN_S3_ACCESS_KEY", "ANJIAN_S3_SECRET_KEY", "ANJIAN_AMQP_URL",
                     "ANJIAN_MONGO_URL", "ANJIAN_ENVIRONMENT"):
        assert variable in message


def test_environment_from_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANJIAN_ENVIRONMENT", "development")
    assert ServiceSettings().environment == "development"
    monkeypatch.setenv("ANJIAN_ENVIRONMENT", "prod")  # a typo is an error, not development
    with pytest.raises(ValidationError):
        ServiceSettings()


@pytest.mark.parametrize("cls", [ServiceSettings, IdentitySettings, PartnersSettings])
def test_development_and_test_accept_the_defaults(cls: type[ServiceSettings]) -> None:
    for environment in ("development", "test"):
        assert cls(environment=environment).environment == environment


@pytest.mark.parametrize("cls", [ServiceSettings, IdentitySettings, PartnersSettings])
def test_a_complete_production_configuration_passes(cls: type[ServiceSettings]) -> None:
    extra = {"bootstrap_admin_password": "a-long-initial-password"} if cls is IdentitySettings else {}
    settings = cls(**PRODUCTION, **extra)
    assert settings.environment == "production"
    assert settings.production_problems() == []


def test_production_accepts_a_mongo_url_with_an_auth_mechanism_instead_of_a_password() -> None:
    url = "mongodb://mongo-0:27017/?authMechanism=MONGODB-X509&tls=true&replicaSet=rs0"
    assert ServiceSettings(**{**PRODUCTION, "mongo_url": url}).mongo_url == url


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        pytest.param({"s3_access_key": DEV_S3_ACCESS_KEY}, "ANJIAN_S3_ACCESS_KEY", id="s3-access-key-dev"),
        pytest.param({"s3_access_key": ""}, "ANJIAN_S3_ACCESS_KEY", id="s3-access-key-empty"),
        pytest.param({"s3_secret_key": DEV_S3_SECRET}, "ANJIAN_S3_SECRET_KEY", id="s3-secret-key-dev"),
        pytest.param({"s3_secret_key": ""}, "ANJIAN_S3_SECRET_KEY", id="s3-secret-key-empty"),
        pytest.param({"amqp_url": "amqp://guest:guest@rabbitmq:5672/"}, "ANJIAN_AMQP_URL", id="amqp-guest"),
        pytest.param({"amqp_url": "amqp://guest:changed@rabbitmq:5672/"}, "ANJIAN_AMQP_URL",
                     id="amqp-guest-user"),
        pytest.param({"amqp_url": "amqp://anjian@rabbitmq:5672/"}, "ANJIAN_AMQP_URL", id="amqp-no-password"),
        pytest.param({"amqp_url": "amqp://rabbitmq:5672/"}, "ANJIAN_AMQP_URL", id="amqp-no-user"),
        pytest.param({"mongo_url": "mongodb://mongodb:27017/?replicaSet=rs0"}, "ANJIAN_MONGO_URL",
                     id="mongo-no-credentials"),
        pytest.param({"mongo_url": "mongodb://anjian@mongodb:27017/?replicaSet=rs0"}, "ANJIAN_MONGO_URL",
                     id="mongo-user-without-password"),
        pytest.param({"failpoints": "outbox.after_publish=exit"}, "ANJIAN_FAILPOINTS", id="failpoints"),
    ],
)
def test_production_refuses_each_shared_development_default(overrides: dict[str, Any], variable: str) -> None:
    assert variable in _refused(ServiceSettings, **overrides)


def test_production_refuses_failpoints_switched_on_through_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANJIAN_FAILPOINTS", "bus.before_ack=exit")
    assert "ANJIAN_FAILPOINTS" in _refused(ServiceSettings)


def test_failpoints_from_the_environment_are_ignored_unless_test_or_development(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from anjian_shared import failpoints

    monkeypatch.setenv("ANJIAN_FAILPOINTS", "outbox.after_publish=exit")
    assert failpoints._from_environment() == {}  # ANJIAN_ENVIRONMENT unset: production
    monkeypatch.setenv("ANJIAN_ENVIRONMENT", "test")
    assert failpoints._from_environment() == {"outbox.after_publish": "exit"}


@pytest.mark.parametrize("password", [DEV_ADMIN_PASSWORD, "", "   "])
def test_identity_refuses_the_development_or_an_empty_admin_password(password: str) -> None:
    message = _refused(IdentitySettings, bootstrap_admin_password=password)
    assert "ANJIAN_BOOTSTRAP_ADMIN_PASSWORD" in message


def test_identity_refuses_a_missing_admin_password() -> None:
    assert "ANJIAN_BOOTSTRAP_ADMIN_PASSWORD" in _refused(IdentitySettings)


def test_partners_refuses_private_webhook_addresses_in_production() -> None:
    message = _refused(PartnersSettings, webhook_allow_private_addresses=True)
    assert "ANJIAN_WEBHOOK_ALLOW_PRIVATE_ADDRESSES" in message
    assert PartnersSettings(**PRODUCTION).allow_private_webhooks is False


def test_every_problem_is_named_at_once() -> None:
    """An operator fixes the whole configuration in one round, not one variable per restart."""
    message = _refused(IdentitySettings, s3_secret_key=DEV_S3_SECRET, amqp_url="amqp://guest:guest@r/",
                       failpoints="x=raise")
    for variable in ("ANJIAN_S3_SECRET_KEY", "ANJIAN_AMQP_URL", "ANJIAN_FAILPOINTS",
                     "ANJIAN_BOOTSTRAP_ADMIN_PASSWORD"):
        assert variable in message


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        pytest.param({"s3_secret_key": "CHANGE-ME-secret-key"}, "ANJIAN_S3_SECRET_KEY", id="s3"),
        pytest.param({"amqp_url": "amqps://CHANGE-ME-user:CHANGE-ME-password@host:5671/v"}, "ANJIAN_AMQP_URL",
                     id="amqp"),
        pytest.param({"mongo_url": "mongodb://CHANGE-ME-user:CHANGE-ME-password@h/?replicaSet=rs"},
                     "ANJIAN_MONGO_URL", id="mongo"),
    ],
)
def test_production_refuses_template_placeholders(overrides: dict[str, Any], variable: str) -> None:
    """deploy/compose.env.example and deploy/k8s/secret.template.yaml hold CHANGE-ME values."""
    assert variable in _refused(ServiceSettings, **overrides)


def test_identity_refuses_a_placeholder_admin_password() -> None:
    message = _refused(IdentitySettings, bootstrap_admin_password="CHANGE-ME-admin-password")
    assert "ANJIAN_BOOTSTRAP_ADMIN_PASSWORD" in message
