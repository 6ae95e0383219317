"""Partner clients (OAuth 2.0 client credentials, RFC 6749 §4.4) — PLAT-03.

A province administrator registers a partner system (a big-data bureau, the national
platform's adapter, an insurer, a contractor's ERP): it gets a ``client_id`` and a
``client_secret`` shown once; identity keeps only the secret's Argon2 hash, like a
password. The partner exchanges them for a short RS256 access token whose claims say
``tenant`` = the administrator's province, ``org`` = the administrator's authority,
``org_kind`` ``partner``, ``roles`` ``["partner"]`` and ``scope``. There is no refresh
token (RFC 6749 §4.4.3): the partner asks again.

``client_id`` is ``<tenant>_<32 hex digits>``: the token endpoint reads the tenant from
it and looks the client up through the tenant's repository only.

Collection ``clients``: ``{_id: client_id, tenant_id, name, scopes, org_id, secret_hash,
enabled, created_at, created_by, disabled_at, disabled_by}``.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

import jwt

from anjian_shared.auth import Principal, Role
from anjian_shared.events.identity_v1 import ClientDisabled, ClientRegistered
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.pagination import paginate
from anjian_shared.problems import Forbidden, NotFound, Problem, ProblemError, Unprocessable
from anjian_shared.types import TENANTS, new_id, utcnow

from ..adapters import keys
from ..adapters.passwords import hash_password, verify_password
from ..domain.model import KNOWN_SCOPES, may_manage_clients
from ..settings import Settings

CLIENTS = "clients"
_CLIENT_ID = re.compile(r"^([a-z]{2,8})_([0-9a-f]{32})$")


class OAuthProblem(Problem):
    error: str
    error_description: str


class OAuthError(ProblemError):
    """An RFC 6749 §5.2 error; the problem document also carries ``error`` and
    ``error_description`` so OAuth client libraries understand it."""

    def __init__(self, status: int, error: str, description: str, *, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(description, field=field, slug=f"oauth-{error.replace('_', '-')}", headers=headers)
        self.status = status
        self.title = {400: "Invalid token request", 401: "Client authentication failed",
                      429: "Too many requests"}.get(status, "Token request refused")
        self.error = error

    def to_problem(self, instance: str | None = None) -> Problem:
        base = super().to_problem(instance)
        return OAuthProblem(**base.model_dump(), error=self.error, error_description=self.detail or "")


def parse_client_id(client_id: str) -> str | None:
    """The tenant named by a well-formed client id, else None."""
    m = _CLIENT_ID.match(client_id or "")
    return m.group(1) if m and m.group(1) in TENANTS else None


async def ensure_indexes(mongo: Mongo) -> None:
    await mongo.db[CLIENTS].create_index([("tenant_id", 1), ("created_at", -1)])


async def register_client(*, mongo: Mongo, actor: Principal, name: str, scopes: list[str]) -> dict[str, Any]:
    """Register a partner client in the actor's province (PLAT-03).

    Province (or platform) administrators only (403). ``scopes`` must be known (422
    naming ``scopes``): one per event family, ``events:personal`` for people, legacy
    ``events:read`` (``anjian_shared.scopes``). Returns the stored document plus ``client_secret`` (the only
    time it is shown). Emits ``identity.client.registered.v1``.
    """
    if not may_manage_clients(actor):
        raise Forbidden("only the province administrator registers partner clients")
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown:
        raise Unprocessable(f"unknown scopes: {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_SCOPES))}",
                            field="scopes")
    client_id = f"{actor.tenant}_{new_id()}"
    secret = "ajcs_" + secrets.token_urlsafe(32)
    secret_hash = await hash_password(secret)
    scopes = sorted(set(scopes))

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        doc = await uow.repo(CLIENTS).insert({
            "_id": client_id, "name": name, "scopes": scopes, "org_id": actor.org_id, "secret_hash": secret_hash,
            "enabled": True, "created_at": utcnow(), "created_by": actor.user_id, "disabled_at": None,
            "disabled_by": None})
        uow.emit("identity.client.registered.v1", subject=client_id, data=ClientRegistered(
            client_id=client_id, name=name, scopes=scopes, org_id=actor.org_id, registered_by=actor.user_id))
        return doc

    doc = await with_transaction(mongo, actor.tenant, fn)
    return {**doc, "client_secret": secret}


async def get_client(*, mongo: Mongo, actor: Principal, client_id: str) -> dict[str, Any]:
    """One client of the actor's province (administrators only: 403; otherwise 404)."""
    if not may_manage_clients(actor):
        raise Forbidden("only the province administrator manages partner clients")
    doc = await mongo.repo(CLIENTS, actor.tenant).get(client_id)
    if doc is None:
        raise NotFound("client not found")
    return doc


async def disable_client(*, mongo: Mongo, actor: Principal, client_id: str) -> dict[str, Any]:
    """Disable a client: no new tokens. Idempotent. Emits ``identity.client.disabled.v1``
    once, on which the partners service (the only API a partner token reaches) refuses the
    client's unexpired tokens (401), pauses its subscriptions and closes its broker
    connections (PLAT-03 security)."""
    await get_client(mongo=mongo, actor=actor, client_id=client_id)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        doc = await uow.repo(CLIENTS).update({"_id": client_id, "enabled": True}, {"$set": {
            "enabled": False, "disabled_at": utcnow(), "disabled_by": actor.user_id}})
        if doc is None:  # already disabled
            return await uow.repo(CLIENTS).get(client_id)  # type: ignore[return-value]
        uow.emit("identity.client.disabled.v1", subject=client_id,
                 data=ClientDisabled(client_id=client_id, disabled_by=actor.user_id))
        return doc

    return await with_transaction(mongo, actor.tenant, fn)


async def issue_client_token(*, mongo: Mongo, settings: Settings, grant_type: str | None, client_id: str | None,
                             client_secret: str | None, scope: str | None) -> dict[str, Any]:
    """``grant_type=client_credentials`` → ``{access_token, token_type, expires_in, scope}``.

    Errors (RFC 6749 §5.2): 400 ``invalid_request`` (a parameter missing),
    400 ``unsupported_grant_type``, 401 ``invalid_client`` (unknown or disabled client,
    wrong secret — one answer for all), 400 ``invalid_scope`` (a scope the client was not
    given), 429 after ``signin_max_failures`` failures for one client id within the window.
    """
    if not grant_type:
        raise OAuthError(400, "invalid_request", "grant_type is required", field="grant_type")
    if grant_type != "client_credentials":
        raise OAuthError(400, "unsupported_grant_type", "only grant_type=client_credentials is supported here",
                         field="grant_type")
    if not client_id:
        raise OAuthError(400, "invalid_request", "client_id is required", field="client_id")
    if not client_secret:
        raise OAuthError(400, "invalid_request", "client_secret is required", field="client_secret")
    tenant = parse_client_id(client_id)
    client: dict[str, Any] | None = None
    attempt_id = None
    if tenant:
        failures = mongo.repo("signin_failures", tenant)
        attempt_id = new_id()
        now = utcnow()
        key = f"client:{client_id}"
        await failures.insert({"_id": attempt_id, "username": key, "at": now,
                               "expires_at": now + timedelta(seconds=settings.signin_window_seconds)})
        recent = await failures.count({"username": key, "at": {"$gte": now - timedelta(
            seconds=settings.signin_window_seconds)}})
        if recent > settings.signin_max_failures:
            await failures.delete({"_id": attempt_id})
            raise OAuthError(429, "invalid_client", "too many failed attempts for this client; try again later",
                             headers={"Retry-After": str(settings.signin_window_seconds)})
        client = await mongo.repo(CLIENTS, tenant).get(client_id)
    ok = await verify_password(client["secret_hash"] if client else None, client_secret)
    if not ok or client is None or not client.get("enabled", False):
        raise OAuthError(401, "invalid_client", "client authentication failed",
                         headers={"WWW-Authenticate": 'Basic realm="anjian"'})
    await mongo.repo("signin_failures", client["tenant_id"]).delete({"_id": attempt_id})
    granted = list(client["scopes"])
    if scope:
        asked = scope.split()
        extra = [s for s in asked if s not in granted]
        if extra:
            raise OAuthError(400, "invalid_scope", f"scopes not granted to this client: {', '.join(extra)}",
                             field="scope")
        granted = asked
    key_doc = await keys.current_key(mongo.db)
    now = utcnow()
    claims = {
        "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": client_id, "client_id": client_id,
        "tenant": client["tenant_id"], "org": client["org_id"], "org_kind": "partner",
        "roles": [Role.PARTNER.value], "name": client["name"], "scope": " ".join(granted), "typ": "access",
        "iat": now, "exp": now + timedelta(seconds=settings.access_token_ttl_seconds), "jti": new_id(),
    }
    token = jwt.encode(claims, key_doc["private_pem"], algorithm="RS256", headers={"kid": key_doc["kid"]})
    return {"access_token": token, "token_type": "Bearer", "expires_in": settings.access_token_ttl_seconds,
            "scope": " ".join(granted)}


async def list_clients(*, mongo: Mongo, actor: Principal, limit: int,
                       cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the province's partner clients, newest first (administrators only: 403)."""
    if not may_manage_clients(actor):
        raise Forbidden("only the province administrator manages partner clients", slug="not-client-admin")
    return await paginate(mongo.repo(CLIENTS, actor.tenant), {}, limit=limit, cursor=cursor)
