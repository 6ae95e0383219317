"""HN-01 "every user is tied to a verified mobile number" on the fakes: where the province's
policy requires it, a password sign-in without a verified number gives a token that reaches
only the binding routes (403 ``mobile-not-verified`` elsewhere, in every service, because the
shared auth dependency checks it); after binding, a refresh gives a full token; other
provinces and a switched-off policy are unaffected."""

from __future__ import annotations

import jwt
import pytest
from fastapi import APIRouter, FastAPI
from httpx import ASGITransport, AsyncClient

from anjian_shared.auth import CurrentPrincipal, TokenVerifier
from anjian_shared.errors import Forbidden
from anjian_shared.principal import Principal
from anjian_shared.problems import install_problem_handlers
from anjian_shared.testing.fakes import FakeDatabase
from anjian_shared.types import utcnow
from identity.domain import accounts
from identity.service_layer import otp, use_cases
from identity.service_layer.policy import POLICIES
from identity.settings import Settings

SETTINGS = Settings(environment="test")  # verified_mobile_tenants: ["hainan"] (the production default)


class Recorder:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send(self, *, tenant: str, mobile: str, code: str, ttl_seconds: int) -> None:
        self.sent.append({"mobile": mobile, "code": code})

    def last(self, mobile: str) -> str:
        return [s for s in self.sent if s["mobile"] == mobile][-1]["code"]


async def _world() -> FakeDatabase:
    mongo = FakeDatabase(service="identity")
    await use_cases.ensure_indexes(mongo)
    await use_cases.seed_tenants(mongo=mongo, settings=SETTINGS)
    return mongo


def _verifier(mongo: FakeDatabase) -> TokenVerifier:
    async def keys() -> dict:
        return await use_cases.jwks(mongo=mongo)

    return TokenVerifier(keys, issuer=SETTINGS.jwt_issuer, audience=SETTINGS.jwt_audience)


async def _sign_in(mongo: FakeDatabase, tenant: str) -> dict:
    return await use_cases.sign_in(mongo=mongo, settings=SETTINGS, tenant=tenant, username="admin",
                                   password=SETTINGS.bootstrap_admin_password)


def _claims(tokens: dict) -> dict:
    return jwt.decode(tokens["access_token"], options={"verify_signature": False})


def test_hn01_rule_requires_binding_only_when_required_and_unverified():
    """HN-01: the domain rule."""
    assert accounts.must_bind_mobile({"mobile_verified_at": None}, required=True)
    assert not accounts.must_bind_mobile({"mobile_verified_at": utcnow()}, required=True)
    assert not accounts.must_bind_mobile({}, required=False)


def test_hn01_verified_mobile_is_on_by_default_for_hainan_only():
    """HN-01: the feature's default (identity's settings) is on for Hainan, off elsewhere."""
    assert SETTINGS.policy_defaults("hainan").features["verified_mobile_required"] is True
    for tenant in ("hubei", "fujian", "hunan", "hebei"):
        assert SETTINGS.policy_defaults(tenant).features["verified_mobile_required"] is False


async def test_hn01_unverified_hainan_token_only_binds_then_refresh_gives_full_token():
    """HN-01: the Hainan admin without a verified number gets a binding-only token (refused by
    ``verify`` unless on a binding route); binding the number and refreshing lifts it."""
    mongo, gw = await _world(), Recorder()
    tokens = await _sign_in(mongo, "hainan")
    assert tokens["mobile_binding_required"] is True and _claims(tokens)["bind"] == "mobile"
    verifier = _verifier(mongo)
    with pytest.raises(Forbidden) as e:
        await verifier.verify(tokens["access_token"])
    assert e.value.slug == "mobile-not-verified"
    me = await verifier.verify(tokens["access_token"], binding_mobile=True)
    await otp.request_bind_code(mongo=mongo, settings=SETTINGS, gateway=gw, actor=me, mobile="13600000009")
    await otp.bind_mobile(mongo=mongo, settings=SETTINGS, actor=me, mobile="13600000009",
                          code=gw.last("13600000009"))
    fresh = await use_cases.refresh(mongo=mongo, settings=SETTINGS, refresh_token=tokens["refresh_token"])
    assert fresh["mobile_binding_required"] is False and "bind" not in _claims(fresh)
    assert (await verifier.verify(fresh["access_token"])).tenant == "hainan"


async def test_hn01_other_provinces_and_a_switched_off_policy_are_unaffected():
    """HN-01: Hubei's admin (no number) gets a full token; so does Hainan's once the province
    administrator has switched ``verified_mobile_required`` off."""
    mongo = await _world()
    hubei = await _sign_in(mongo, "hubei")
    assert hubei["mobile_binding_required"] is False and "bind" not in _claims(hubei)
    await _verifier(mongo).verify(hubei["access_token"])
    await mongo.repo(POLICIES, "hainan").insert({"_id": "hainan", "features": {"verified_mobile_required": False},
                                                 "limits": {}, "settings": {}, "version": 1})
    hainan = await _sign_in(mongo, "hainan")
    assert hainan["mobile_binding_required"] is False


async def test_hn01_shared_auth_dependency_lets_a_binding_token_reach_only_the_binding_routes():
    """HN-01: every service's ``get_principal`` answers 403 ``mobile-not-verified`` to a
    binding-only token, except on ``/me``, ``/me/mobile/otp`` and ``/me/mobile``."""
    mongo = await _world()
    tokens = await _sign_in(mongo, "hainan")
    app, router = FastAPI(), APIRouter()
    install_problem_handlers(app)
    app.state.verifier = _verifier(mongo)

    @router.get("/me")
    async def me(principal: CurrentPrincipal) -> dict:
        return {"user": principal.user_id}

    @router.post("/me/mobile/otp")
    async def code(principal: CurrentPrincipal) -> dict:
        return {}

    @router.get("/projects")
    async def projects(principal: CurrentPrincipal) -> list:
        return []

    @router.get("/users/{user_id}")
    async def user(user_id: str, principal: CurrentPrincipal) -> dict:
        return {}

    app.include_router(router, prefix="/api/identity/v1")
    other = APIRouter()
    other.add_api_route("/projects", projects)
    app.include_router(other, prefix="/api/projects/v1")
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/api/identity/v1/me", headers=headers)).status_code == 200
        assert (await client.post("/api/identity/v1/me/mobile/otp", headers=headers)).status_code == 200
        for path in ("/api/projects/v1/projects", "/api/identity/v1/users/me"):
            resp = await client.get(path, headers=headers)
            assert resp.status_code == 403 and resp.json()["type"].endswith("mobile-not-verified"), path


def test_hn01_principal_unchanged():
    """A full token's principal has no binding flag to forget: the refusal is in ``verify``."""
    assert "bind" not in Principal.model_fields
