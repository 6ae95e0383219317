"""A disabled user's access token stops working at once (issue 11, security; HB-01, HUN-19):
the principal dependency of every service consults the ``accounts`` read model of identity's
user events (``tokens_valid_after``, ``enabled``); a refusal is 401 ``token-revoked``.
Before: the token worked until it expired (up to 15 minutes)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter

from anjian_shared.accounts import ACCOUNT_EVENTS, ACCOUNTS, revocation_reason
from anjian_shared.app import ServiceSpec, create_service_app
from anjian_shared.auth import CurrentPrincipal
from anjian_shared.events.identity_v1 import UserUpdated
from anjian_shared.read_models import apply_snapshot
from anjian_shared.settings import ServiceSettings
from anjian_shared.testing.fakes import FakeDatabase

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
JWK = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key())), "kid": "k1", "use": "sig", "alg": "RS256"}
SETTINGS = ServiceSettings(service_name="demo", environment="test", log_level="ERROR")

router = APIRouter()


@router.get("/whoami")
async def whoami(principal: CurrentPrincipal) -> dict[str, Any]:
    return {"user_id": principal.user_id}


def _token(user_id: str, issued_at: float, roles: list[str] | None = None) -> str:
    claims = {"iss": SETTINGS.jwt_issuer, "aud": SETTINGS.jwt_audience, "sub": user_id, "tenant": "hubei",
              "org": "org-1", "roles": roles or ["supervisor"], "typ": "access", "iat": issued_at,
              "exp": int(issued_at) + 900}
    return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "k1"})


def _app() -> tuple[Any, FakeDatabase]:
    app = create_service_app(ServiceSpec(name="demo", title="d", description="d", routers=[router]), SETTINGS)

    async def keys() -> dict[str, Any]:
        return {"keys": [JWK]}

    app.state.verifier.key_source = keys
    fake = FakeDatabase(service="demo")
    app.state.mongo = fake
    return app, fake


async def _apply(fake: FakeDatabase, payload: UserUpdated) -> None:
    id_of, to_doc = ACCOUNT_EVENTS["identity.user.updated.v1"]
    async with fake.uow("hubei") as uow:
        await apply_snapshot(uow.repo(ACCOUNTS), id_of(payload), to_doc(payload), version=payload.version,
                             time=datetime.now(UTC))
        await uow.commit()


def _user(version: int, *, enabled: bool = True, valid_after: datetime | None = None) -> UserUpdated:
    return UserUpdated(user_id="u1", org_id="org-1", username="zhang.wei", display_name="张伟", roles=["supervisor"],
                       enabled=enabled, version=version, tokens_valid_after=valid_after)


async def _get(app: Any, token: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo.test") as c:
        return await c.get("/api/demo/v1/whoami", headers={"Authorization": f"Bearer {token}"})


async def test_a_disabled_users_token_is_refused_at_once_with_token_revoked():
    app, fake = _app()
    token = _token("u1", time.time())
    assert (await _get(app, token)).status_code == 200, "unknown to the read model yet: the token is valid"
    await _apply(fake, _user(2))
    assert (await _get(app, token)).status_code == 200
    await _apply(fake, _user(3, enabled=False))
    r = await _get(app, token)
    assert r.status_code == 401 and r.json()["type"].endswith("/token-revoked")
    # an older event arriving late never re-enables the account
    await _apply(fake, _user(2))
    assert (await _get(app, token)).status_code == 401


async def test_tokens_issued_before_tokens_valid_after_are_refused_and_later_ones_work():
    app, fake = _app()
    now = datetime.now(UTC).replace(microsecond=123000)
    old, new = _token("u1", now.timestamp() - 60), _token("u1", now.timestamp())
    await _apply(fake, _user(4, valid_after=now))
    r = await _get(app, old)
    assert r.status_code == 401 and r.json()["type"].endswith("/token-revoked")
    assert (await _get(app, new)).status_code == 200, "signed in again in the same millisecond: valid"
    assert (await _get(app, _token("u2", now.timestamp() - 60))).status_code == 200, "other users unaffected"


def test_revocation_reason_reads_stored_and_json_instants():
    at = datetime(2026, 12, 1, 8, 0, 0, 500000, tzinfo=UTC)
    assert revocation_reason({"tokens_valid_after": at}, at.timestamp() - 0.001)
    assert revocation_reason({"tokens_valid_after": at.isoformat()}, at.timestamp()) is None
    assert revocation_reason({"tokens_valid_after": at + timedelta(seconds=1)}, None)
    assert revocation_reason(None, 0) is None and revocation_reason({"enabled": False}, time.time())
