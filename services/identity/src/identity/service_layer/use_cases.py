"""identity use cases: sign-in with throttling, token rotation, organisations and users.

Each function is keyword-only and takes the ``Mongo`` handle (and settings) it needs.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import timedelta
from typing import Any

import jwt
from pymongo.errors import DuplicateKeyError

from anjian_shared.auth import Principal, Role
from anjian_shared.events.identity_v1 import OrganizationCreated, UserCreated, UserUpdated
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.pagination import paginate
from anjian_shared.problems import (
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
)
from anjian_shared.types import TENANTS, new_id, utcnow

from ..adapters import keys
from ..adapters.passwords import hash_password, verify_password
from ..domain.model import may_create_org, may_create_user, may_list_disabled_users, roles_allowed
from ..settings import Settings

SEED_NAMESPACE = uuid.UUID("8d5c8f8e-6a55-4a4f-9a53-7f3f5b0d2a10")
AUTHORITY_NAMES = {code: f"{name}住房和城乡建设厅" for code, name in TENANTS.items()}


def seed_id(*parts: str) -> str:
    """Deterministic id for seeded documents, so every replica seeds the same ones."""
    return uuid.uuid5(SEED_NAMESPACE, ":".join(parts)).hex


async def ensure_indexes(mongo: Mongo) -> None:
    db = mongo.db
    await db.users.create_index([("tenant_id", 1), ("username", 1)], unique=True)
    await db.users.create_index([("tenant_id", 1), ("org_id", 1)])
    await db.organizations.create_index([("tenant_id", 1), ("kind", 1)])
    await db.refresh_tokens.create_index("expires_at", expireAfterSeconds=0)
    await db.refresh_tokens.create_index("family")
    await db.signin_failures.create_index("expires_at", expireAfterSeconds=0)
    await db.signin_failures.create_index([("tenant_id", 1), ("username", 1)])


async def seed_tenants(*, mongo: Mongo, settings: Settings) -> None:
    """The five provinces, each with its authority org and ``admin`` user (idempotent)."""
    await keys.ensure_signing_key(mongo.db)
    password_hash = await hash_password(settings.bootstrap_admin_password)
    for code, name in TENANTS.items():
        async def seed(uow: UnitOfWork, code: str = code, name: str = name) -> None:
            tenants = uow.repo("tenants")
            if await tenants.get(code) is None:
                await tenants.insert({"_id": code, "name": name, "created_at": utcnow()})
            org_id = seed_id(code, "authority")
            orgs = uow.repo("organizations")
            if await orgs.get(org_id) is None:
                await orgs.insert({"_id": org_id, "name": AUTHORITY_NAMES[code], "kind": "authority",
                                   "company_roles": [], "parent_org_id": None, "region": name,
                                   "version": 1, "created_at": utcnow()})
                uow.emit("identity.organization.created.v1", subject=org_id, data=OrganizationCreated(
                    org_id=org_id, name=AUTHORITY_NAMES[code], kind="authority", region=name, version=1))
            user_id = seed_id(code, "admin")
            users = uow.repo("users")
            if await users.get(user_id) is None:
                await users.insert({"_id": user_id, "org_id": org_id, "username": "admin",
                                    "display_name": f"{name}管理员", "password_hash": password_hash,
                                    "roles": [Role.PROVINCE_ADMIN.value], "mobile": None, "enabled": True,
                                    "version": 1, "created_at": utcnow()})
                uow.emit("identity.user.created.v1", subject=user_id, data=UserCreated(
                    user_id=user_id, org_id=org_id, username="admin", display_name=f"{name}管理员",
                    roles=[Role.PROVINCE_ADMIN.value], version=1))

        try:
            await with_transaction(mongo, code, seed)
        except DuplicateKeyError:  # another replica seeded it at the same moment
            pass


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _issue_tokens(*, mongo: Mongo, settings: Settings, user: dict[str, Any], org: dict[str, Any],
                        family: str | None = None) -> dict[str, Any]:
    key = await keys.current_key(mongo.db)
    now = utcnow()
    claims = {
        "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": user["_id"],
        "tenant": user["tenant_id"], "org": user["org_id"], "org_kind": org["kind"], "roles": user["roles"],
        "name": user["display_name"], "typ": "access", "iat": now,
        "exp": now + timedelta(seconds=settings.access_token_ttl_seconds), "jti": new_id(),
    }
    access = jwt.encode(claims, key["private_pem"], algorithm="RS256", headers={"kid": key["kid"]})
    refresh = secrets.token_urlsafe(32)
    await mongo.db.refresh_tokens.insert_one({
        "_id": _hash_token(refresh), "tenant_id": user["tenant_id"], "user_id": user["_id"],
        "family": family or new_id(), "used_at": None,
        "expires_at": now + timedelta(seconds=settings.refresh_token_ttl_seconds)})
    return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
            "expires_in": settings.access_token_ttl_seconds}


async def sign_in(*, mongo: Mongo, settings: Settings, tenant: str, username: str, password: str) -> dict[str, Any]:
    """HB-01: user name + password → token pair.

    Raises 401 for wrong credentials, unknown tenant or a disabled user (one message
    for all), 429 with Retry-After after ``signin_max_failures`` failures for that user
    name within the window.
    """
    failures = mongo.repo("signin_failures", tenant)
    # Record the attempt BEFORE checking the password, then count: of a burst of concurrent
    # attempts at most ``signin_max_failures`` get to verify a password (counting first and
    # recording after let every request of a parallel burst through the throttle).
    attempt_id = new_id()
    now = utcnow()
    await failures.insert({"_id": attempt_id, "username": username, "at": now,
                           "expires_at": now + timedelta(seconds=settings.signin_window_seconds)})
    window_start = now - timedelta(seconds=settings.signin_window_seconds)
    recent = await failures.count({"username": username, "at": {"$gte": window_start}})
    if recent > settings.signin_max_failures:
        await failures.delete({"_id": attempt_id})  # refused attempts don't extend the window
        raise TooManyRequests("too many failed sign-ins for this user; try again later",
                              headers={"Retry-After": str(settings.signin_window_seconds)})
    user = await mongo.repo("users", tenant).find_one({"username": username}) if tenant in TENANTS else None
    ok = await verify_password(user["password_hash"] if user else None, password)
    if not ok or not user or not user.get("enabled", True):
        raise Unauthorized("user name or password is wrong, or the account is disabled")
    await failures.delete({"_id": attempt_id})  # a successful sign-in is not a failure
    org = await mongo.repo("organizations", tenant).get(user["org_id"])
    return await _issue_tokens(mongo=mongo, settings=settings, user=user, org=org or {"kind": ""})


async def refresh(*, mongo: Mongo, settings: Settings, refresh_token: str) -> dict[str, Any]:
    """Rotate a refresh token: the old one is spent; presenting a spent one revokes its
    whole family (a stolen token was used), 401."""
    h = _hash_token(refresh_token)
    row = await mongo.db.refresh_tokens.find_one_and_update(
        {"_id": h, "used_at": None, "expires_at": {"$gt": utcnow()}}, {"$set": {"used_at": utcnow()}})
    if row is None:
        spent = await mongo.db.refresh_tokens.find_one({"_id": h})
        if spent is not None:
            await mongo.db.refresh_tokens.delete_many({"family": spent["family"]})
        raise Unauthorized("refresh token is invalid, expired or already used")
    user = await mongo.repo("users", row["tenant_id"]).get(row["user_id"])
    if not user or not user.get("enabled", True):
        raise Unauthorized("account disabled")
    org = await mongo.repo("organizations", row["tenant_id"]).get(user["org_id"])
    return await _issue_tokens(mongo=mongo, settings=settings, user=user, org=org or {"kind": ""},
                               family=row["family"])


async def revoke(*, mongo: Mongo, refresh_token: str) -> None:
    """Sign out: the refresh token's family can no longer be used."""
    row = await mongo.db.refresh_tokens.find_one({"_id": _hash_token(refresh_token)})
    if row:
        await mongo.db.refresh_tokens.delete_many({"family": row["family"]})


async def create_organization(*, mongo: Mongo, actor: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Register a station, company, agency or authority in the actor's tenant (province admin)."""
    if not may_create_org(actor):
        raise Forbidden("only the province administrator registers organisations")
    if data["kind"] == "company" and not data.get("company_roles"):
        raise Unprocessable("a company needs at least one company role", field="company_roles")
    if data["kind"] != "company" and data.get("company_roles"):
        raise Unprocessable("only companies have company roles", field="company_roles")

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        orgs = uow.repo("organizations")
        if data.get("parent_org_id") and await orgs.get(data["parent_org_id"]) is None:
            raise Unprocessable("parent organisation not found", field="parent_org_id")
        doc = await orgs.insert({"_id": new_id(), **data, "version": 1, "created_at": utcnow(),
                                 "created_by": actor.user_id})
        uow.emit("identity.organization.created.v1", subject=doc["_id"], data=OrganizationCreated(
            org_id=doc["_id"], name=doc["name"], kind=doc["kind"], company_roles=doc.get("company_roles", []),
            parent_org_id=doc.get("parent_org_id"), region=doc.get("region"), version=1))
        return doc

    return await with_transaction(mongo, actor.tenant, fn)


async def create_user(*, mongo: Mongo, actor: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Create a user in an organisation of the actor's tenant.

    403 when the actor may not create users there; 422 for an unknown org (field
    ``org_id``) or roles the org kind can't hold (``roles``); 409 for a taken user name.
    """
    org = await mongo.repo("organizations", actor.tenant).get(data["org_id"])
    if org is None:
        raise Unprocessable("organisation not found", field="org_id")
    if not may_create_user(actor, org_id=org["_id"], org_kind=org["kind"]):
        raise Forbidden("you may not create users in this organisation")
    bad = roles_allowed(org["kind"], data["roles"])
    if bad:
        raise Unprocessable(f"roles not allowed for a {org['kind']}: {', '.join(bad)}", field="roles")
    password_hash = await hash_password(data.pop("password"))

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        doc = await uow.repo("users").insert({
            "_id": new_id(), **data, "password_hash": password_hash, "enabled": True, "version": 1,
            "created_at": utcnow(), "created_by": actor.user_id})
        uow.emit("identity.user.created.v1", subject=doc["_id"], data=UserCreated(
            user_id=doc["_id"], org_id=doc["org_id"], username=doc["username"], display_name=doc["display_name"],
            roles=doc["roles"], mobile=doc.get("mobile"), version=1))
        return doc

    try:
        return await with_transaction(mongo, actor.tenant, fn)
    except DuplicateKeyError as exc:
        raise Conflict("user name already taken in this province", field="username") from exc


async def update_user(*, mongo: Mongo, actor: Principal, user_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change a user's name, roles, mobile or enabled flag (HUN-19 enable/disable)."""
    user = await mongo.repo("users", actor.tenant).get(user_id)
    if user is None:
        raise NotFound("user not found")
    org = await mongo.repo("organizations", actor.tenant).get(user["org_id"])
    if not may_create_user(actor, org_id=user["org_id"], org_kind=org["kind"] if org else ""):
        raise Forbidden("you may not change this user")
    if changes.get("roles") is not None:
        bad = roles_allowed(org["kind"] if org else "", changes["roles"])
        if bad:
            raise Unprocessable(f"roles not allowed: {', '.join(bad)}", field="roles")
    changes = {k: v for k, v in changes.items() if v is not None}

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        doc = await uow.repo("users").update({"_id": user_id}, {"$set": {**changes, "updated_at": utcnow()},
                                                               "$inc": {"version": 1}})
        assert doc is not None
        uow.emit("identity.user.updated.v1", subject=user_id, data=UserUpdated(
            user_id=user_id, org_id=doc["org_id"], username=doc["username"], display_name=doc["display_name"],
            roles=doc["roles"], mobile=doc.get("mobile"), enabled=doc.get("enabled", True),
            version=doc["version"]))
        return doc

    return await with_transaction(mongo, actor.tenant, fn)


def visible_user_filter(actor: Principal) -> dict[str, Any]:
    """Government staff (province, stations, agencies) see the tenant's directory of users,
    so a station can name a contractor's project manager; companies see their own staff."""
    if actor.has(Role.PROVINCE_ADMIN, Role.PLATFORM_ADMIN) or actor.org_kind in ("authority", "station", "agency"):
        return {}
    return {"org_id": actor.org_id}


async def jwks(*, mongo: Mongo) -> dict[str, Any]:
    """The public signing keys (RFC 7517 JWK Set) every service verifies tokens with."""
    return await keys.jwks(mongo.db)


async def me(*, mongo: Mongo, actor: Principal) -> tuple[dict[str, Any], dict[str, Any]]:
    """The signed-in user's document and their organisation's; 404 ``user-not-found``."""
    user = await mongo.repo("users", actor.tenant).get(actor.user_id)
    org = await mongo.repo("organizations", actor.tenant).get(actor.org_id)
    if user is None or org is None:
        raise NotFound("user not found", slug="user-not-found")
    return user, org


async def list_organizations(*, mongo: Mongo, actor: Principal, kind: str | None, q: str | None, limit: int,
                             cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the tenant's organisations (a directory within the province), newest first;
    ``kind`` exact, ``q`` a substring of the name."""
    flt: dict[str, Any] = {}
    if kind:
        flt["kind"] = kind
    if q:
        flt["name"] = {"$regex": re.escape(q)}
    return await paginate(mongo.repo("organizations", actor.tenant), flt, limit=limit, cursor=cursor)


async def get_organization(*, mongo: Mongo, actor: Principal, org_id: str) -> dict[str, Any]:
    """One organisation of the caller's tenant; 404 ``organization-not-found`` otherwise."""
    doc = await mongo.repo("organizations", actor.tenant).get(org_id)
    if doc is None:
        raise NotFound("organisation not found", slug="organization-not-found")
    return doc


async def list_users(*, mongo: Mongo, actor: Principal, org_id: str | None, role: str | None, limit: int,
                     cursor: str | None, include_disabled: bool = False) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the users ``actor`` may see (government staff: the province; companies: their
    own), filtered by ``org_id`` and ``role``: the user picker. Disabled users are left out
    unless ``include_disabled`` (user administrators only: province admin, station leader,
    company admin; anyone else 403 ``not-user-admin``)."""
    flt = visible_user_filter(actor)
    if include_disabled:
        if not may_list_disabled_users(actor):
            raise Forbidden("only user administrators list disabled users", slug="not-user-admin",
                            field="include_disabled")
    else:
        flt["enabled"] = {"$ne": False}
    if org_id:
        if flt.get("org_id") and flt["org_id"] != org_id:
            return [], None
        flt["org_id"] = org_id
    if role:
        flt["roles"] = role
    return await paginate(mongo.repo("users", actor.tenant), flt, limit=limit, cursor=cursor)


async def get_user(*, mongo: Mongo, actor: Principal, user_id: str) -> dict[str, Any]:
    """One user ``actor`` may see; 404 ``user-not-found`` otherwise (also for other tenants)."""
    doc = await mongo.repo("users", actor.tenant).find_one({**visible_user_filter(actor), "_id": user_id})
    if doc is None:
        raise NotFound("user not found", slug="user-not-found")
    return doc
