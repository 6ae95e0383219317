"""Access tokens: verification against identity's JWKS and the request principal.

identity signs RS256 JWT access tokens (``kid`` in the header; keys published at
``/api/identity/v1/.well-known/jwks.json``). Every service verifies locally with the
cached key set (refetched on an unknown ``kid``, at most every 30 s). Only RS256 is
accepted; ``iss``, ``aud``, ``exp``, ``iat``, ``sub``, ``tenant`` are required (RFC 8725).

HN-01 "every user is tied to a verified mobile number": where the province's policy says so
(``verified_mobile_required``), identity gives a user without a verified mobile a token with
the claim ``bind: "mobile"``. Such a token is refused everywhere — every service, the live
channels, the idempotency layer — with 403 ``mobile-not-verified``, except by the routes of
``MOBILE_BINDING_ROUTES`` (read ``/me``, ask for a code, bind the number).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from . import audit, permissions
from .logging import bind_context
from .principal import Principal, Role  # noqa: F401 - re-exported
from .problems import Forbidden, Unauthorized

ALGORITHMS = ["RS256"]

BIND_MOBILE_CLAIM = "bind"
"""Claim of a token that may only bind its user's mobile number (value ``"mobile"``, HN-01)."""

MOBILE_BINDING_ROUTES = frozenset({
    "/api/identity/v1/me", "/api/identity/v1/me/mobile/otp", "/api/identity/v1/me/mobile",
})
"""The only routes (templates) a ``bind: "mobile"`` token reaches (HN-01)."""


def mobile_not_verified() -> Forbidden:
    """403 ``mobile-not-verified``: the province requires a verified mobile number first."""
    return Forbidden("this province requires a verified mobile number: bind yours first "
                     "(POST /api/identity/v1/me/mobile/otp, then POST /api/identity/v1/me/mobile) and "
                     "refresh the session", slug="mobile-not-verified")


KeySource = Callable[[], Awaitable[dict[str, Any]]]
AccountCheck = Callable[[Principal], Awaitable[None]]
"""Raises ``Unauthorized`` (``token-revoked``) for a token its account no longer honours
(``anjian_shared.accounts.check_account``)."""


def http_key_source(identity_url: str) -> KeySource:
    """Fetch identity's JWKS over HTTP."""

    async def fetch() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=5.0) as client:
            resp = await client.get(f"{identity_url.rstrip('/')}/api/identity/v1/.well-known/jwks.json")
            resp.raise_for_status()
            return resp.json()

    return fetch


class TokenVerifier:
    """Verifies access tokens with a cached JWKS from ``key_source``."""

    def __init__(self, key_source: KeySource, *, issuer: str, audience: str, ttl_seconds: float = 300,
                 account_check: AccountCheck | None = None) -> None:
        self.key_source = key_source
        self.account_check = account_check
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl_seconds
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _refresh(self, force: bool) -> None:
        if self._keys and not force and time.monotonic() - self._fetched_at < self.ttl:
            return  # the common case: fresh keys, no lock taken
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if self._keys and ((not force and age < self.ttl) or (force and age < 30)):
                return
            jwks = await self.key_source()
            keys = {}
            for k in jwks.get("keys", []):
                if k.get("kty") == "RSA" and k.get("kid"):
                    keys[k["kid"]] = jwt.PyJWK(k, algorithm="RS256").key
            self._keys = keys
            self._fetched_at = time.monotonic()

    async def verify(self, token: str, *, binding_mobile: bool = False) -> Principal:
        """Return the principal of a valid token; raise ``Unauthorized`` otherwise (401
        ``token-revoked`` when ``account_check`` says the account no longer honours it).
        A token that may only bind a mobile number (claim ``bind``, HN-01) is 403
        ``mobile-not-verified`` unless ``binding_mobile`` (the caller is a binding route)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("malformed token") from exc
        if header.get("alg") not in ALGORITHMS:
            raise Unauthorized("token algorithm not accepted")
        kid = header.get("kid")
        if not kid:
            raise Unauthorized("token has no key id")
        try:
            await self._refresh(force=False)
            if kid not in self._keys:
                await self._refresh(force=True)
        except httpx.HTTPError as exc:
            from .problems import ServiceUnavailable

            raise ServiceUnavailable("identity keys unavailable", retry_after=2) from exc
        key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("unknown signing key")
        try:
            claims = jwt.decode(token, key, algorithms=ALGORITHMS, audience=self.audience, issuer=self.issuer,
                                options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid token: {exc}") from exc
        if claims.get("typ") != "access" or not claims.get("tenant") or not claims.get("org"):
            raise Unauthorized("not an access token")
        if claims.get(BIND_MOBILE_CLAIM) and not binding_mobile:
            raise mobile_not_verified()
        iat = claims.get("iat")
        principal = Principal(user_id=claims["sub"], tenant=claims["tenant"], org_id=claims["org"],
                              roles=list(claims.get("roles", [])), name=claims.get("name", ""),
                              org_kind=claims.get("org_kind", ""),
                              scopes=str(claims.get("scope") or "").split(),
                              granted=[str(x) for x in claims.get(permissions.ADD_CLAIM) or []],
                              revoked=[str(x) for x in claims.get(permissions.DEL_CLAIM) or []],
                              issued_at=float(iat) if isinstance(iat, int | float) else None)
        if self.account_check is not None:
            # the account may have been disabled, or its password or roles changed, since the
            # token was issued: 401 token-revoked at once, in every service (anjian_shared.accounts)
            await self.account_check(principal)
        return principal


bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/identity/v1/sessions")


async def _verified(request: Request, credentials: HTTPAuthorizationCredentials | None,
                    partner_scope: str | None = None) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Bearer access token required", headers={"WWW-Authenticate": "Bearer"})
    verifier: TokenVerifier = request.app.state.verifier
    # the binding routes have no path parameters: the request's path is the route's
    binding = {request.url.path.rstrip("/"), str(request.scope.get("path", "")).rstrip("/")} & MOBILE_BINDING_ROUTES
    principal = await verifier.verify(credentials.credentials, binding_mobile=bool(binding))
    if principal.has(Role.PARTNER) and not getattr(request.app.state, "accepts_partner_tokens", False):
        # PLAT-03: a partner token reaches only what its scopes name — the partners API, and a
        # route that names an action scope (``scoped_principal``) for a token holding it; never
        # another service's users, projects or records
        if partner_scope is None:
            raise Forbidden("a partner system's token is accepted only by the partners API")
        if partner_scope not in principal.scopes:
            raise Forbidden(f"this needs the scope {partner_scope}", slug="scope-missing")
    bind_context(tenant=principal.tenant, user_id=principal.user_id)
    audit.set_actor(principal)
    request.state.principal = principal
    return principal


async def get_principal(request: Request,
                        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
    """FastAPI dependency: the verified caller, or 401 problem."""
    return await _verified(request, credentials)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def scoped_principal(scope: str) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency like ``get_principal`` that also lets in a partner client's token
    holding the action scope ``scope`` (``anjian_shared.scopes.ACTION_SCOPES``, e.g.
    ``projects:sync`` FJ-01); a partner token without it is 403 ``scope-missing``. Users'
    tokens pass as with ``get_principal`` (the use case decides what they may do)."""

    async def dependency(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None,
                                                                  Depends(bearer)]) -> Principal:
        return await _verified(request, credentials, partner_scope=scope)

    return dependency


def require_role(principal: Principal, *roles: str) -> None:
    """Raise 403 unless the principal holds one of ``roles``."""
    if not principal.has(*roles):
        raise Forbidden(f"requires one of the roles: {', '.join(roles)}")


def require_permission(name: str) -> Callable[..., Awaitable[Principal]]:
    """THE FastAPI dependency checking a named permission (``anjian_shared.permissions``), the
    same in every service: the verified caller (as ``get_principal``) when their effective
    permissions (role bundles + grants − revocations, from the token) hold ``name``; otherwise
    403 ``permission-missing``. Object rules (own agency, tenant) stay in the use case. Use as
    ``principal: Annotated[Principal, Depends(require_permission("agencies.write"))]``."""
    if name not in permissions.PERMISSIONS:
        raise ValueError(f"unknown permission {name!r}: add it to anjian_shared.permissions.PERMISSIONS")

    async def dependency(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None,
                                                                  Depends(bearer)]) -> Principal:
        principal = await _verified(request, credentials)
        permissions.check(principal, name)
        return principal

    dependency.__name__ = f"require_permission_{name.replace('.', '_')}"
    return dependency
