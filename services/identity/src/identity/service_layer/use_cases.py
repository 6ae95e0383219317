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

from anjian_shared import audit, credit_code, divisions, permissions
from anjian_shared.auth import BIND_MOBILE_CLAIM, Principal, Role
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
from anjian_shared.tenant_policy import tenant_policy
from anjian_shared.types import TENANTS, new_id, utcnow

from ..adapters import keys
from ..adapters.common_passwords import is_common
from ..adapters.passwords import hash_password, verify_password
from ..domain import accounts
from ..domain.model import may_create_org, may_create_user, may_list_disabled_users, roles_allowed
from ..domain.registration import TENANT_PROVINCE
from ..settings import Settings
from .policy import POLICIES

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
    await db.signin_address_failures.create_index("expires_at", expireAfterSeconds=0)
    await db.signin_address_failures.create_index([("address", 1), ("at", 1)])
    await db.username_refusals.create_index("expires_at", expireAfterSeconds=0)
    await db.password_change_failures.create_index("expires_at", expireAfterSeconds=0)
    await db.username_refusals.create_index([("tenant_id", 1), ("actor_id", 1)])


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
            province = TENANT_PROVINCE[code]
            existing = await orgs.get(org_id)
            if existing is None:
                await orgs.insert({"_id": org_id, "name": AUTHORITY_NAMES[code], "kind": "authority",
                                   "company_roles": [], "parent_org_id": None, "region": name,
                                   "division_code": province, "version": 1, "created_at": utcnow()})
                uow.emit("identity.organization.created.v1", subject=org_id, data=OrganizationCreated(
                    org_id=org_id, name=AUTHORITY_NAMES[code], kind="authority", region=name,
                    division_code=province, version=1))
            elif not existing.get("division_code"):  # seeded before divisions (HEB-01)
                await orgs.update({"_id": org_id}, {"$set": {"division_code": province}})
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
    # iat in milliseconds (RFC 7519 NumericDate may hold fractions): a token issued a moment after
    # the account's tokens_valid_after (a password change, then signing in again) stays valid
    issued_at = int(now.timestamp() * 1000) / 1000
    claims = {
        "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": user["_id"],
        "tenant": user["tenant_id"], "org": user["org_id"], "org_kind": org["kind"], "roles": user["roles"],
        "name": user["display_name"], "typ": "access", "iat": issued_at,
        "exp": now + timedelta(seconds=settings.access_token_ttl_seconds), "jti": new_id(),
    }
    if user.get("granted_permissions"):  # HUN-21: the grants, as the difference from the role bundles
        claims[permissions.ADD_CLAIM] = list(user["granted_permissions"])
    if user.get("revoked_permissions"):
        claims[permissions.DEL_CLAIM] = list(user["revoked_permissions"])
    policy = await tenant_policy(mongo, user["tenant_id"], settings, collection=POLICIES)
    if accounts.must_bind_mobile(user, required=policy.enabled(accounts.VERIFIED_MOBILE_FEATURE)):
        claims[BIND_MOBILE_CLAIM] = "mobile"  # HN-01: this token only binds the number
    access = jwt.encode(claims, key["private_pem"], algorithm="RS256", headers={"kid": key["kid"]})
    refresh = secrets.token_urlsafe(32)
    await mongo.db.refresh_tokens.insert_one({
        "_id": _hash_token(refresh), "tenant_id": user["tenant_id"], "user_id": user["_id"],
        "family": family or new_id(), "used_at": None,
        "expires_at": now + timedelta(seconds=settings.refresh_token_ttl_seconds)})
    return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
            "expires_in": settings.access_token_ttl_seconds,
            "mobile_binding_required": BIND_MOBILE_CLAIM in claims}


async def address_attempt(mongo: Mongo, settings: Settings, client_address: str | None,
                          attempt_id: str | None = None) -> str | None:
    """Record one sign-in attempt from ``client_address`` BEFORE checking it, then count: 429
    ``too-many-sign-ins`` (Retry-After) beyond ``signin_max_failures_per_address`` within
    ``signin_address_window_seconds`` (a refused attempt is not kept: it doesn't extend the
    window). Returns the attempt's id — ``forget_address_attempt`` it when the attempt
    succeeds — or None without an address. One budget per address for password sign-ins and
    one-time codes (``service_layer.otp``)."""
    if not client_address:
        return None
    now, attempt_id = utcnow(), attempt_id or new_id()
    by_address = mongo.db.signin_address_failures
    window = timedelta(seconds=settings.signin_address_window_seconds)
    await by_address.insert_one({"_id": attempt_id, "address": client_address, "at": now,
                                 "expires_at": now + window})
    recent = await by_address.count_documents({"address": client_address, "at": {"$gte": now - window}})
    if recent > settings.signin_max_failures_per_address:
        await by_address.delete_one({"_id": attempt_id})
        raise TooManyRequests("too many failed sign-ins from this address; try again later",
                              slug="too-many-sign-ins", retry_after=settings.signin_address_window_seconds)
    return attempt_id


async def forget_address_attempt(mongo: Mongo, attempt_id: str | None) -> None:
    """A successful attempt is not a failure of its address."""
    if attempt_id:
        await mongo.db.signin_address_failures.delete_one({"_id": attempt_id})


async def sign_in(*, mongo: Mongo, settings: Settings, tenant: str, username: str, password: str,
                  client_address: str | None = None) -> dict[str, Any]:
    """HB-01: user name + password → token pair.

    Raises 401 for wrong credentials, unknown tenant or a disabled user (one message for all;
    an unknown user name costs the same Argon2 verification, against a dummy hash, as a known
    one). 429 with Retry-After (seconds) after ``signin_max_failures`` failures for that user
    name within ``signin_window_seconds``, or ``signin_max_failures_per_address`` failures from
    ``client_address`` (any user names, any province) within ``signin_address_window_seconds``.
    """
    now = utcnow()
    attempt_id = new_id()
    # Record the attempt BEFORE checking the password, then count: of a burst of concurrent
    # attempts at most the limit get to verify a password (counting first and recording after
    # let every request of a parallel burst through the throttle). Per client address first:
    # random user names from one client each cost an Argon2 verification.
    await address_attempt(mongo, settings, client_address, attempt_id)
    failures = mongo.repo("signin_failures", tenant)
    await failures.insert({"_id": attempt_id, "username": username, "at": now,
                           "expires_at": now + timedelta(seconds=settings.signin_window_seconds)})
    window_start = now - timedelta(seconds=settings.signin_window_seconds)
    recent = await failures.count({"username": username, "at": {"$gte": window_start}})
    if recent > settings.signin_max_failures:
        await failures.delete({"_id": attempt_id})
        await forget_address_attempt(mongo, attempt_id)
        await _audit_session(mongo, tenant, "session.sign_in_throttled", None, username)
        raise TooManyRequests("too many failed sign-ins for this user; try again later",
                              slug="too-many-sign-ins", retry_after=settings.signin_window_seconds)
    user = await mongo.repo("users", tenant).find_one({"username": username}) if tenant in TENANTS else None
    ok = await verify_password(user["password_hash"] if user else None, password)
    if not ok or not user or not user.get("enabled", True):
        await _audit_session(mongo, tenant, "session.sign_in_failed", user, username)
        raise Unauthorized("user name or password is wrong, or the account is disabled")
    await failures.delete({"_id": attempt_id})  # a successful sign-in is not a failure
    await forget_address_attempt(mongo, attempt_id)
    org = await mongo.repo("organizations", tenant).get(user["org_id"])
    tokens = await _issue_tokens(mongo=mongo, settings=settings, user=user, org=org or {"kind": ""})
    await _audit_session(mongo, tenant, "session.signed_in", user, username)
    return tokens


async def _audit_session(mongo: Mongo, tenant: str, action: str, user: dict[str, Any] | None,
                         username: str | None) -> None:
    """Issue 16: sign-ins, failed sign-ins and token refreshes are entries of the audit trail
    (the user as actor; only the user name when unknown; never the password or a token)."""
    if tenant not in TENANTS:
        return  # no tenant, no chain: the access log has the attempt
    actor = ({"user_id": user["_id"], "name": user.get("display_name", ""), "org_id": user.get("org_id"),
              "roles": list(user.get("roles", [])), "tenant": tenant} if user else {"username": username})
    await audit.record(mongo, tenant, action=action, objects=[("users", user["_id"])] if user else [],
                       details={"username": username or (user or {}).get("username")}, actor=actor)


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
            await _audit_session(mongo, spent["tenant_id"], "session.refresh_token_reused",
                                 await mongo.repo("users", spent["tenant_id"]).get(spent["user_id"]), None)
        raise Unauthorized("refresh token is invalid, expired or already used")
    user = await mongo.repo("users", row["tenant_id"]).get(row["user_id"])
    if not user or not user.get("enabled", True):
        raise Unauthorized("account disabled")
    org = await mongo.repo("organizations", row["tenant_id"]).get(user["org_id"])
    tokens = await _issue_tokens(mongo=mongo, settings=settings, user=user, org=org or {"kind": ""},
                                 family=row["family"])
    await _audit_session(mongo, row["tenant_id"], "session.token_refreshed", user, None)
    return tokens


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
    if data.get("division_code") is not None:
        divisions.require(data["division_code"], field="division_code")
    if data.get("credit_code") is not None:
        data = {**data, "credit_code": credit_code.validate(data["credit_code"], field="credit_code")}

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        orgs = uow.repo("organizations")
        if data.get("parent_org_id") and await orgs.get(data["parent_org_id"]) is None:
            raise Unprocessable("parent organisation not found", field="parent_org_id")
        doc = await orgs.insert({"_id": new_id(), **data, "version": 1, "created_at": utcnow(),
                                 "created_by": actor.user_id})
        uow.emit("identity.organization.created.v1", subject=doc["_id"], data=OrganizationCreated(
            org_id=doc["_id"], name=doc["name"], kind=doc["kind"], company_roles=doc.get("company_roles", []),
            parent_org_id=doc.get("parent_org_id"), region=doc.get("region"),
            division_code=doc.get("division_code"), credit_code=doc.get("credit_code"), version=1))
        return doc

    try:
        return await with_transaction(mongo, actor.tenant, fn)
    except DuplicateKeyError as exc:
        raise Conflict("an organisation with this credit code exists", field="credit_code",
                       slug="credit-code-taken") from exc


async def check_password_policy(*, mongo: Mongo, settings: Settings | None, tenant: str, username: str,
                                password: str, field: str = "password") -> None:
    """The province's password policy (``domain.accounts.check_password``) for every password a user
    sets (create, change, reset, a company's self-registration HEB-01): 422 naming ``field``."""
    policy = await tenant_policy(mongo, tenant, settings, collection=POLICIES)
    accounts.check_password(password, username=username, min_length=policy.limit("password_min_length"),
                            is_common=is_common, field=field)


async def _refuse_username(*, mongo: Mongo, settings: Settings, actor: Principal) -> None:
    """Answer a taken or reserved user name: 422 ``username-unavailable`` (never who holds it).
    Anyone but a province administrator (who sees every user anyway) gets at most
    ``username_refusals_per_hour`` of these, then 429: names can't be tried one by one."""
    if not actor.has(Role.PROVINCE_ADMIN, Role.PLATFORM_ADMIN):
        refusals = mongo.repo("username_refusals", actor.tenant)
        now = utcnow()
        hour = timedelta(hours=1)
        recent = await refusals.count({"actor_id": actor.user_id, "at": {"$gte": now - hour}})
        if recent >= settings.username_refusals_per_hour:
            raise TooManyRequests("too many unavailable user names; try again later",
                                  slug="too-many-username-attempts", retry_after=3600)
        await refusals.insert({"_id": new_id(), "actor_id": actor.user_id, "at": now, "expires_at": now + hour})
    raise accounts.username_unavailable()


async def _chief_adds_staff(mongo: Mongo, actor: Principal, org: dict[str, Any], data: dict[str, Any]) -> bool:
    """FJ-03: a Fujian chief supervising engineer (an account opened from the integration
    platform) adds staff (``company_staff`` only) to their own supervision company, like its
    administrator."""
    if actor.org_id != org["_id"] or org["kind"] != "company" or list(data.get("roles", [])) != [Role.COMPANY_STAFF]:
        return False
    me = await mongo.repo("users", actor.tenant).get(actor.user_id)
    return bool(me and me.get("platform_account") == "chief_engineer" and me.get("enabled", True))


async def create_user(*, mongo: Mongo, settings: Settings, actor: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Create a user in an organisation of the actor's tenant.

    403 when the actor may not create users there (a Fujian chief engineer from the platform
    may add ``company_staff`` to their own company, FJ-03); 422 for an unknown org (field ``org_id``),
    roles the org kind can't hold (``roles``), a password the province's policy refuses
    (``password``: ``password-too-short``, ``password-common``, ``password-contains-username``),
    a taken or reserved user name (``username``, ``username-unavailable``: the same answer for
    both, never saying who holds it; user names are unique per province); 429 after
    ``username_refusals_per_hour`` of those for anyone but a province administrator.
    """
    org = await mongo.repo("organizations", actor.tenant).get(data["org_id"])
    if org is None:
        raise Unprocessable("organisation not found", field="org_id")
    if not may_create_user(actor, org_id=org["_id"], org_kind=org["kind"]) \
            and not await _chief_adds_staff(mongo, actor, org, data):
        raise Forbidden("you may not create users in this organisation")
    bad = roles_allowed(org["kind"], data["roles"])
    if bad:
        raise Unprocessable(f"roles not allowed for a {org['kind']}: {', '.join(bad)}", field="roles")
    data = dict(data)
    password = data.pop("password")
    await check_password_policy(mongo=mongo, settings=settings, tenant=actor.tenant, username=data["username"],
                          password=password)
    try:
        accounts.check_username_allowed(data["username"])
    except Unprocessable:
        await _refuse_username(mongo=mongo, settings=settings, actor=actor)
    password_hash = await hash_password(password)

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
    except DuplicateKeyError:
        await _refuse_username(mongo=mongo, settings=settings, actor=actor)
        raise  # not reached: _refuse_username always raises


def _now_ms() -> Any:
    """Now, to the millisecond (what MongoDB stores and access tokens' ``iat`` carry)."""
    now = utcnow()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


async def _store_user_change(*, mongo: Mongo, actor: Principal, user_id: str, changes: dict[str, Any],
                             end_tokens: bool, guard_admins: bool = False) -> dict[str, Any]:
    """Apply ``changes`` to the user, version +1, and publish the full snapshot
    (``identity.user.updated.v1``) in one transaction. ``end_tokens``: set ``tokens_valid_after``
    to now (every service then refuses the user's older access tokens) and revoke the user's
    refresh tokens. ``guard_admins``: the change takes an administrator away; refused (409
    ``last-admin``) when no other enabled one would remain. The tenant document is written in
    the same transaction, so two such changes at once conflict and are decided one after the
    other (never both admitted on the same count)."""

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        users = uow.repo("users")
        # issue 16: permission changes named in the audit trail
        if {"roles", "enabled", "granted_permissions", "revoked_permissions"} & set(changes):
            uow.audit_action = "identity.user.permissions_changed"
        if guard_admins:
            await uow.repo("tenants").update({"_id": actor.tenant}, {"$inc": {"admin_changes": 1}})
            others = await users.count({"_id": {"$ne": user_id}, "enabled": {"$ne": False},
                                        "roles": {"$in": list(accounts.ADMIN_ROLES)}})
            accounts.check_not_last_admin(others)
        update: dict[str, Any] = {**changes, "updated_at": utcnow()}
        if end_tokens:
            update["tokens_valid_after"] = _now_ms()
        doc = await users.update({"_id": user_id}, {"$set": update, "$inc": {"version": 1}})
        if doc is None:
            raise NotFound("user not found", slug="user-not-found")
        uow.emit("identity.user.updated.v1", subject=user_id, data=UserUpdated(
            user_id=user_id, org_id=doc["org_id"], username=doc["username"], display_name=doc["display_name"],
            roles=doc["roles"], mobile=doc.get("mobile"), enabled=doc.get("enabled", True),
            version=doc["version"], tokens_valid_after=doc.get("tokens_valid_after")))
        return doc

    doc = await with_transaction(mongo, actor.tenant, fn)
    if end_tokens:
        await mongo.db.refresh_tokens.delete_many({"tenant_id": actor.tenant, "user_id": user_id})
    return doc


async def update_user(*, mongo: Mongo, settings: Settings, actor: Principal, user_id: str,
                      changes: dict[str, Any]) -> dict[str, Any]:
    """Change a user's name, roles, mobile or enabled flag (HUN-19 enable/disable).

    404 ``user-not-found``; 403 when the actor may not manage the user; 422 ``roles`` for no
    roles or roles the organisation can't hold; 409 ``last-admin`` when the change would leave
    the province without an enabled administrator (also for administrators changing
    themselves). Disabling, or changing roles, ends the user's access tokens at once
    (``tokens_valid_after``) and revokes their refresh tokens.
    """
    user = await mongo.repo("users", actor.tenant).get(user_id)
    if user is None:
        raise NotFound("user not found", slug="user-not-found")
    org = await mongo.repo("organizations", actor.tenant).get(user["org_id"])
    if not may_create_user(actor, org_id=user["org_id"], org_kind=org["kind"] if org else ""):
        raise Forbidden("you may not change this user")
    if changes.get("roles") is not None:
        if not changes["roles"]:
            raise Unprocessable("a user needs at least one role", field="roles")
        bad = roles_allowed(org["kind"] if org else "", changes["roles"])
        if bad:
            raise Unprocessable(f"roles not allowed: {', '.join(bad)}", field="roles")
    changes = {k: v for k, v in changes.items() if v is not None}
    if "mobile" in changes and changes["mobile"] != user.get("mobile"):
        changes["mobile_verified_at"] = None  # a number set by an administrator is not verified (HN-01)
    return await _store_user_change(mongo=mongo, actor=actor, user_id=user_id, changes=changes,
                                    end_tokens=accounts.ends_tokens(user, changes),
                                    guard_admins=accounts.removes_admin(user, changes))


async def change_password(*, mongo: Mongo, settings: Settings, actor: Principal, current_password: str,
                          new_password: str) -> None:
    """The signed-in user changes their password (PLAT-01).

    422 ``current-password-wrong`` (``current_password``) — 429 after ``signin_max_failures`` of
    those within ``signin_window_seconds`` (counted apart from sign-ins: a stolen access token
    can't guess the password faster than signing in could, nor lock its owner out of signing in);
    422 naming ``new_password`` when the
    province's policy refuses it. Ends every access token issued before (``tokens_valid_after``)
    and revokes the refresh tokens: the user signs in again.
    """
    user = await mongo.repo("users", actor.tenant).get(actor.user_id)
    if user is None or not user.get("enabled", True):
        raise Unauthorized("account disabled or unknown")
    failures = mongo.repo("password_change_failures", actor.tenant)
    now = utcnow()
    recent = await failures.count({"username": user["username"],
                                   "at": {"$gte": now - timedelta(seconds=settings.signin_window_seconds)}})
    if recent >= settings.signin_max_failures:
        raise TooManyRequests("too many wrong current passwords; try again later",
                              slug="too-many-password-attempts", retry_after=settings.signin_window_seconds)
    if not await verify_password(user["password_hash"], current_password):
        await failures.insert({"_id": new_id(), "username": user["username"], "at": now,
                               "expires_at": now + timedelta(seconds=settings.signin_window_seconds)})
        raise Unprocessable("the current password is wrong", field="current_password",
                            slug="current-password-wrong")
    await _set_password(mongo=mongo, settings=settings, actor=actor, user=user, new_password=new_password)


async def reset_password(*, mongo: Mongo, settings: Settings, actor: Principal, user_id: str,
                         new_password: str) -> None:
    """An administrator sets a user's password (province admin: anyone of the province; station
    leader: own station; company admin: own company) — PLAT-01, HUN-19.

    404 ``user-not-found``; 403 when the actor may not manage the user; 422 naming
    ``new_password`` when the province's policy refuses it. Ends the user's access tokens at once
    and revokes their refresh tokens.
    """
    user = await mongo.repo("users", actor.tenant).get(user_id)
    if user is None:
        raise NotFound("user not found", slug="user-not-found")
    org = await mongo.repo("organizations", actor.tenant).get(user["org_id"])
    if not may_create_user(actor, org_id=user["org_id"], org_kind=org["kind"] if org else ""):
        raise Forbidden("you may not change this user")
    await _set_password(mongo=mongo, settings=settings, actor=actor, user=user, new_password=new_password)


async def _set_password(*, mongo: Mongo, settings: Settings, actor: Principal, user: dict[str, Any],
                        new_password: str) -> None:
    await check_password_policy(mongo=mongo, settings=settings, tenant=actor.tenant, username=user["username"],
                          password=new_password, field="new_password")
    password_hash = await hash_password(new_password)
    await _store_user_change(mongo=mongo, actor=actor, user_id=user["_id"],
                             changes={"password_hash": password_hash}, end_tokens=True)


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


def permissions_view(user: dict[str, Any]) -> dict[str, Any]:
    """HUN-19 the shape of a user's permissions: ``roles`` with each role's ``bundle``,
    ``granted`` (beyond the bundles), ``revoked`` (taken from the bundles) and ``effective``
    (bundles + granted − revoked), each permission with its Chinese ``label``."""
    def named(names: Any) -> list[dict[str, str]]:
        return [{"name": n, "label": permissions.PERMISSIONS.get(n, n)} for n in sorted(names)]

    granted, revoked = user.get("granted_permissions", []), user.get("revoked_permissions", [])
    return {"user_id": user["_id"], "enabled": user.get("enabled", True),
            "roles": [{"role": r, "bundle": named(permissions.ROLE_BUNDLES.get(r, ()))} for r in user["roles"]],
            "granted": named(granted), "revoked": named(revoked),
            "effective": named(permissions.effective(user["roles"], granted, revoked))}


async def user_permissions(*, mongo: Mongo, actor: Principal, user_id: str) -> dict[str, Any]:
    """HUN-19 查看权限: a user's role bundles, grants and effective permissions
    (``permissions_view``). Anyone sees their own; others need ``permissions.read`` (403
    ``permission-missing``) and must see the user (404 ``user-not-found``, also for other tenants)."""
    if user_id != actor.user_id:
        permissions.check(actor, "permissions.read")
    doc = await get_user(mongo=mongo, actor=actor, user_id=user_id)
    return permissions_view(doc)
