"""identity HTTP API under ``/api/identity/v1`` (HB-01, PLAT-01)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.deps import request_client_address
from anjian_shared.mongo import Mongo
from anjian_shared.pagination import Cursor, Limit
from anjian_shared.problems import problem_doc
from anjian_shared.types import TENANTS

from ...service_layer import use_cases
from .schemas import (
    MeRead,
    OrganizationCreate,
    OrganizationPage,
    OrganizationRead,
    PasswordChange,
    PasswordReset,
    RefreshRequest,
    SessionCreate,
    TenantRead,
    TokenPair,
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
)

router = APIRouter()


def _mongo(request: Request) -> Mongo:
    return request.app.state.mongo


def org_read(doc: dict[str, Any]) -> OrganizationRead:
    return OrganizationRead(id=doc["_id"], tenant=doc["tenant_id"], name=doc["name"], kind=doc["kind"],
                            company_roles=doc.get("company_roles", []), parent_org_id=doc.get("parent_org_id"),
                            region=doc.get("region"), division_code=doc.get("division_code"),
                            credit_code=doc.get("credit_code"), created_at=doc["created_at"])


def user_read(doc: dict[str, Any]) -> UserRead:
    return UserRead(id=doc["_id"], tenant=doc["tenant_id"], org_id=doc["org_id"], username=doc["username"],
                    display_name=doc["display_name"], roles=doc["roles"], mobile=doc.get("mobile"),
                    enabled=doc.get("enabled", True), created_at=doc["created_at"])


@router.get("/.well-known/jwks.json", tags=["tokens"])
async def get_jwks(request: Request) -> dict[str, Any]:
    """The public signing keys (RFC 7517 JWK Set) every service verifies access tokens with."""
    return await use_cases.jwks(mongo=_mongo(request))


@router.get("/tenants", response_model=list[TenantRead], tags=["tenants"])
async def list_tenants() -> list[TenantRead]:
    """The provinces served by this deployment (PLAT-01); no sign-in needed."""
    return [TenantRead(code=c, name=n) for c, n in TENANTS.items()]


_client_address = request_client_address


@router.post("/sessions", response_model=TokenPair, tags=["tokens"],
             responses={429: problem_doc("too many failed attempts for the user or from the address")})
async def create_session(body: SessionCreate, request: Request) -> dict[str, Any]:
    """Sign in with user name and password (HB-01).

    Returns an RS256 access token (``expires_in`` seconds, default 900) and a rotating
    refresh token. 401 for wrong credentials (an unknown user name costs the same Argon2 time);
    429 ``too-many-sign-ins`` with ``Retry-After`` (seconds) after 5 failures for one user name
    in 15 minutes, or 20 failures from one client address (any user names) in 10 minutes.
    """
    return await use_cases.sign_in(mongo=_mongo(request), settings=request.app.state.settings,
                                   tenant=body.tenant, username=body.username, password=body.password,
                                   client_address=_client_address(request))


@router.post("/sessions/refresh", response_model=TokenPair, tags=["tokens"])
async def refresh_session(body: RefreshRequest, request: Request) -> dict[str, Any]:
    """Exchange a refresh token for a new pair; the old one is spent. Reuse → 401 and the
    whole token family is revoked."""
    return await use_cases.refresh(mongo=_mongo(request), settings=request.app.state.settings,
                                   refresh_token=body.refresh_token)


@router.post("/sessions/revoke", status_code=204, tags=["tokens"])
async def revoke_session(body: RefreshRequest, request: Request) -> Response:
    """Sign out: revoke the refresh token (and its family). Always 204."""
    await use_cases.revoke(mongo=_mongo(request), refresh_token=body.refresh_token)
    return Response(status_code=204)


@router.get("/me", response_model=MeRead, tags=["users"])
async def me(principal: CurrentPrincipal, request: Request) -> MeRead:
    """The signed-in user with their organisation."""
    user, org = await use_cases.me(mongo=_mongo(request), actor=principal)
    return MeRead(**user_read(user).model_dump(), organization=org_read(org))


@router.post("/organizations", response_model=OrganizationRead, status_code=201, tags=["organizations"])
async def create_organization(body: OrganizationCreate, principal: CurrentPrincipal,
                              request: Request) -> OrganizationRead:
    """Register a supervision station (监督站), company (with its roles: owner 建设单位,
    contractor 施工单位, supervision 监理单位, leasing, installer), agency or authority.
    Province administrators only (403)."""
    doc = await use_cases.create_organization(mongo=_mongo(request), actor=principal,
                                              data=body.model_dump())
    return org_read(doc)


@router.get("/organizations", response_model=OrganizationPage, tags=["organizations"])
async def list_organizations(principal: CurrentPrincipal, request: Request, limit: Limit = 20,
                             cursor: Cursor = None,
                             kind: Annotated[str | None, Query(max_length=20)] = None,
                             q: Annotated[str | None, Query(max_length=100, description="name contains")] = None,
                             ) -> OrganizationPage:
    """The tenant's organisations (a public directory within the province), newest first."""
    docs, nxt = await use_cases.list_organizations(mongo=_mongo(request), actor=principal, kind=kind, q=q,
                                                   limit=limit, cursor=cursor)
    return OrganizationPage(items=[org_read(d) for d in docs], next_cursor=nxt)


@router.get("/organizations/{org_id}", response_model=OrganizationRead, tags=["organizations"])
async def get_organization(org_id: str, principal: CurrentPrincipal, request: Request) -> OrganizationRead:
    """One organisation of the caller's tenant; 404 otherwise."""
    return org_read(await use_cases.get_organization(mongo=_mongo(request), actor=principal, org_id=org_id))


@router.post("/users", response_model=UserRead, status_code=201, tags=["users"],
             responses={429: problem_doc("too many unavailable user names (not for a province administrator)")})
async def create_user(body: UserCreate, principal: CurrentPrincipal, request: Request) -> UserRead:
    """Create a user (province admin: anyone; station leader: own station; company admin:
    own company). 422 names ``org_id``/``roles``; 422 ``password`` when the province's password
    policy refuses it (``password-too-short``, ``password-common``, ``password-contains-username``);
    422 ``username-unavailable`` (``username``) when the name is taken anywhere in the province or
    reserved — the same answer for both, never who holds it; 429 after 10 of those in an hour
    (anyone but the province administrator)."""
    doc = await use_cases.create_user(mongo=_mongo(request), settings=request.app.state.settings,
                                      actor=principal, data=body.model_dump())
    return user_read(doc)


@router.get("/users", response_model=UserPage, tags=["users"])
async def list_users(principal: CurrentPrincipal, request: Request, limit: Limit = 20, cursor: Cursor = None,
                     org_id: Annotated[str | None, Query(max_length=64)] = None,
                     role: Annotated[str | None, Query(max_length=40)] = None,
                     include_disabled: Annotated[bool, Query(
                         description="also list disabled users (user administrators only: province admin, "
                                     "station leader, company admin; others 403 not-user-admin)")] = False,
                     ) -> UserPage:
    """The user picker: enabled users the caller may see (government staff: the province;
    companies: their own), filtered by ``org_id`` and ``role``. Disabled users only with
    ``include_disabled=true``, for user administrators (403 ``not-user-admin`` otherwise)."""
    docs, nxt = await use_cases.list_users(mongo=_mongo(request), actor=principal, org_id=org_id, role=role,
                                           limit=limit, cursor=cursor, include_disabled=include_disabled)
    return UserPage(items=[user_read(d) for d in docs], next_cursor=nxt)


@router.get("/users/{user_id}", response_model=UserRead, tags=["users"])
async def get_user(user_id: str, principal: CurrentPrincipal, request: Request) -> UserRead:
    """One visible user; 404 otherwise (also for other tenants)."""
    return user_read(await use_cases.get_user(mongo=_mongo(request), actor=principal, user_id=user_id))


@router.patch("/users/{user_id}", response_model=UserRead, tags=["users"])
async def update_user(user_id: str, body: UserUpdate, principal: CurrentPrincipal, request: Request) -> UserRead:
    """Change name, roles, mobile, or enable/disable sign-in (HUN-19).

    422 ``roles`` for ``[]`` or roles the organisation can't hold; 409 ``last-admin`` when the
    province would be left without an enabled administrator (also for one changing themselves).
    Disabling or changing roles ends the user's access tokens in every service at once (401
    ``token-revoked``; the refresh tokens are revoked, a re-enabled user signs in again)."""
    doc = await use_cases.update_user(mongo=_mongo(request), settings=request.app.state.settings,
                                      actor=principal, user_id=user_id,
                                      changes=body.model_dump(exclude_unset=True))
    return user_read(doc)


@router.post("/me/password", status_code=204, tags=["users"],
             responses={429: problem_doc("too many wrong current passwords")})
async def change_my_password(body: PasswordChange, principal: CurrentPrincipal, request: Request) -> Response:
    """The signed-in user changes their password (PLAT-01). 204; 422 ``current-password-wrong``
    (``current_password``; 429 ``too-many-password-attempts`` after 5 in 15 minutes, counted apart
    from sign-ins); 422 naming ``new_password``
    when the province's policy refuses it. Every access token issued before stops working at once
    (401 ``token-revoked``) and the refresh tokens are revoked: sign in again."""
    await use_cases.change_password(mongo=_mongo(request), settings=request.app.state.settings, actor=principal,
                                    current_password=body.current_password, new_password=body.new_password)
    return Response(status_code=204)


@router.post("/users/{user_id}/password", status_code=204, tags=["users"])
async def reset_password(user_id: str, body: PasswordReset, principal: CurrentPrincipal,
                         request: Request) -> Response:
    """Set a user's password (province admin: anyone; station leader: own station; company admin:
    own company) — PLAT-01. 204; 404, 403 as for PATCH; 422 naming ``new_password`` when the
    province's policy refuses it. The user's access tokens stop working at once, their refresh
    tokens are revoked."""
    await use_cases.reset_password(mongo=_mongo(request), settings=request.app.state.settings, actor=principal,
                                   user_id=user_id, new_password=body.new_password)
    return Response(status_code=204)
