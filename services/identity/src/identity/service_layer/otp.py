"""One-time-code sign-in by a verified mobile number (FJ-01 Fujian, HN-01 Hainan).

- ``request_code``: ``POST /otp`` {tenant, mobile} → a 6-digit code through the SMS gateway
  (``adapters.sms``), valid ``otp_ttl_seconds`` (300). Only a number tied to an enabled
  account of the province (verified: bound by its owner, or registered by Fujian's
  integration platform) gets one: else 422 ``mobile-not-registered``. An account opened from
  the platform whose projects are none 在建可评价 gets 403 ``project-not-assessable`` (FJ-01).
- ``sign_in_with_code``: ``POST /sessions/otp`` {tenant, mobile, code} → the usual token pair.
  The code is spent by one atomic conditional update: of two concurrent uses exactly one
  succeeds; 401 ``otp-invalid`` (wrong, already used), 401 ``otp-expired``.
- ``request_bind_code`` / ``bind_mobile`` (HN-01): a signed-in user ties a mobile number to
  their account by a code sent to it (409 ``mobile-taken`` when another account holds it).

Throttles (429 with Retry-After): codes per mobile number (``otp_max_per_mobile`` per
``otp_window_seconds``, ``too-many-codes``); wrong codes per mobile number
(``otp_max_failures``, ``too-many-sign-ins``); and refused requests and wrong codes count
against the client address in the same budget as failed password sign-ins
(``signin_address_failures``, ``signin_max_failures_per_address``).

Collections: ``otp_codes`` {tenant_id, mobile, purpose, code_hash, user_id, expires_at,
used_at, purge_at (TTL)}; ``otp_requests`` / ``otp_failures`` {tenant_id, mobile, at,
expires_at (TTL)}.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from anjian_shared.auth import Principal
from anjian_shared.mongo import Mongo
from anjian_shared.problems import Conflict, Forbidden, NotFound, TooManyRequests
from anjian_shared.types import TENANTS, new_id, utcnow

from ..adapters.sms import SmsGateway
from ..domain import otp
from ..settings import Settings
from .use_cases import _issue_tokens, _store_user_change, address_attempt, forget_address_attempt


async def ensure_indexes(mongo: Mongo) -> None:
    db = mongo.db
    await db.otp_codes.create_index("purge_at", expireAfterSeconds=0)
    await db.otp_codes.create_index([("tenant_id", 1), ("mobile", 1), ("code_hash", 1)])
    for name in ("otp_requests", "otp_failures"):
        await db[name].create_index("expires_at", expireAfterSeconds=0)
        await db[name].create_index([("tenant_id", 1), ("mobile", 1), ("at", 1)])
    await db.users.create_index([("tenant_id", 1), ("mobile", 1)])
    await db.dev_sms_outbox.create_index([("tenant_id", 1), ("mobile", 1), ("at", -1)])


async def _count_recent(mongo: Mongo, name: str, tenant: str, mobile: str, window_seconds: int) -> int:
    return await mongo.repo(name, tenant).count(
        {"mobile": mobile, "at": {"$gte": utcnow() - timedelta(seconds=window_seconds)}})


async def _note(mongo: Mongo, name: str, tenant: str, mobile: str, window_seconds: int) -> None:
    now = utcnow()
    await mongo.repo(name, tenant).insert({"_id": new_id(), "mobile": mobile, "at": now,
                                           "expires_at": now + timedelta(seconds=window_seconds)})


async def account_by_mobile(mongo: Mongo, tenant: str, mobile: str) -> dict[str, Any] | None:
    """The enabled account of ``tenant`` this verified mobile number is tied to (the oldest if several)."""
    if tenant not in TENANTS:
        return None
    found = await mongo.repo("users", tenant).find(
        {"mobile": mobile, "mobile_verified_at": {"$ne": None}, "enabled": {"$ne": False}}, limit=5)
    found.sort(key=lambda u: u["created_at"])
    return found[0] if found else None


async def assessable_projects(mongo: Mongo, user: dict[str, Any]) -> int:
    """How many 在建可评价 platform projects ``user`` has (FJ-01, from the project directory
    identity keeps of projects' events): the administrator's company's; the chief's own."""
    projects = mongo.repo("projects", user["tenant_id"])
    if user.get("platform_account") == "company_admin":
        flt: dict[str, Any] = {"supervision_org_id": user["org_id"]}
    else:
        flt = {"participants": {"$elemMatch": {"user_id": user["_id"],
                                               "project_role": "chief_supervising_engineer"}}}
    return await projects.count({**flt, "assessable": True})


async def _send(*, mongo: Mongo, settings: Settings, gateway: SmsGateway, tenant: str, mobile: str,
                purpose: str, user_id: str) -> dict[str, Any]:
    if await _count_recent(mongo, "otp_requests", tenant, mobile, settings.otp_window_seconds) \
            >= settings.otp_max_per_mobile:
        raise TooManyRequests("too many codes for this mobile number; try again later", slug="too-many-codes",
                              retry_after=settings.otp_window_seconds)
    await _note(mongo, "otp_requests", tenant, mobile, settings.otp_window_seconds)
    code, now = otp.new_code(), utcnow()
    ttl = settings.otp_ttl_seconds
    await mongo.repo("otp_codes", tenant).insert({
        "_id": new_id(), "mobile": mobile, "purpose": purpose, "user_id": user_id,
        "code_hash": otp.code_hash(pepper=settings.otp_pepper, tenant=tenant, mobile=mobile, purpose=purpose,
                                   code=code),
        "created_at": now, "expires_at": now + timedelta(seconds=ttl), "used_at": None,
        "purge_at": now + timedelta(seconds=ttl + 3600)})  # kept an hour longer: "expired", not "invalid"
    await gateway.send(tenant=tenant, mobile=mobile, code=code, ttl_seconds=ttl)
    return {"expires_in": ttl}


async def request_code(*, mongo: Mongo, settings: Settings, gateway: SmsGateway, tenant: str, mobile: str,
                       client_address: str | None = None) -> dict[str, Any]:
    """``POST /otp``: send a sign-in code to ``mobile`` (see the module docstring).
    Returns ``{expires_in}`` (seconds). 422 ``mobile-not-registered`` (``mobile``); 403
    ``project-not-assessable``; 429 ``too-many-codes`` / ``too-many-sign-ins``; 503
    ``sms-unavailable`` when no gateway is configured or it failed."""
    attempt = await address_attempt(mongo, settings, client_address)
    user = await account_by_mobile(mongo, tenant, mobile)
    if user is None:
        raise otp.mobile_not_registered()
    otp.check_platform_projects(user, await assessable_projects(mongo, user))
    await forget_address_attempt(mongo, attempt)
    return await _send(mongo=mongo, settings=settings, gateway=gateway, tenant=tenant, mobile=mobile,
                       purpose="sign_in", user_id=user["_id"])


async def _spend(*, mongo: Mongo, settings: Settings, tenant: str, mobile: str, purpose: str, code: str,
                 client_address: str | None) -> dict[str, Any]:
    """Spend the code (atomic: of concurrent uses one wins); 401 otp-invalid / otp-expired; 429."""
    attempt = await address_attempt(mongo, settings, client_address)
    if await _count_recent(mongo, "otp_failures", tenant, mobile, settings.otp_window_seconds) \
            >= settings.otp_max_failures:
        await forget_address_attempt(mongo, attempt)
        raise TooManyRequests("too many wrong codes for this mobile number; try again later",
                              slug="too-many-sign-ins", retry_after=settings.otp_window_seconds)
    now = utcnow()
    digest = otp.code_hash(pepper=settings.otp_pepper, tenant=tenant, mobile=mobile, purpose=purpose, code=code)
    row = await mongo.repo("otp_codes", tenant).update(
        {"mobile": mobile, "purpose": purpose, "code_hash": digest, "used_at": None}, {"$set": {"used_at": now}})
    if row is None:
        await _note(mongo, "otp_failures", tenant, mobile, settings.otp_window_seconds)
        raise otp.otp_invalid()
    otp.check_fresh(row, now)
    await forget_address_attempt(mongo, attempt)
    return row


async def sign_in_with_code(*, mongo: Mongo, settings: Settings, tenant: str, mobile: str, code: str,
                            client_address: str | None = None) -> dict[str, Any]:
    """``POST /sessions/otp``: a code sent by ``request_code`` → the token pair of the account
    tied to ``mobile`` (as a password sign-in gives). 401 ``otp-invalid`` / ``otp-expired``;
    422 ``mobile-not-registered`` and 403 ``project-not-assessable`` checked again (the account
    or the project may have changed since the code was sent); 429 as for ``request_code``."""
    if tenant not in TENANTS:
        raise otp.otp_invalid()
    row = await _spend(mongo=mongo, settings=settings, tenant=tenant, mobile=mobile, purpose="sign_in", code=code,
                       client_address=client_address)
    user = await account_by_mobile(mongo, tenant, mobile)
    if user is None or user["_id"] != row["user_id"]:
        raise otp.mobile_not_registered()
    otp.check_platform_projects(user, await assessable_projects(mongo, user))
    org = await mongo.repo("organizations", tenant).get(user["org_id"])
    return await _issue_tokens(mongo=mongo, settings=settings, user=user, org=org or {"kind": ""})


async def request_bind_code(*, mongo: Mongo, settings: Settings, gateway: SmsGateway, actor: Principal,
                            mobile: str) -> dict[str, Any]:
    """HN-01 ``POST /me/mobile/otp``: send a code to the number the signed-in user wants to
    tie to their account. 409 ``mobile-taken`` when another account of the province holds
    it verified; 429 ``too-many-codes``; 503 ``sms-unavailable``."""
    if actor.org_kind == "partner":
        raise Forbidden("partner clients have no mobile number")
    holder = await account_by_mobile(mongo, actor.tenant, mobile)
    if holder is not None and holder["_id"] != actor.user_id:
        raise Conflict("another account of the province is tied to this mobile number", field="mobile",
                       slug="mobile-taken")
    return await _send(mongo=mongo, settings=settings, gateway=gateway, tenant=actor.tenant, mobile=mobile,
                       purpose="bind_mobile", user_id=actor.user_id)


async def bind_mobile(*, mongo: Mongo, settings: Settings, actor: Principal, mobile: str, code: str,
                      client_address: str | None = None) -> dict[str, Any]:
    """HN-01 ``POST /me/mobile``: the code sent to ``mobile`` proves the user holds it; the
    account's ``mobile`` becomes it, verified (``mobile_verified_at``), and
    ``identity.user.updated.v1`` is published. 401 ``otp-invalid`` / ``otp-expired`` (also a
    code sent for another account); 409 ``mobile-taken``."""
    row = await _spend(mongo=mongo, settings=settings, tenant=actor.tenant, mobile=mobile, purpose="bind_mobile",
                       code=code, client_address=client_address)
    if row["user_id"] != actor.user_id:
        raise otp.otp_invalid()
    holder = await account_by_mobile(mongo, actor.tenant, mobile)
    if holder is not None and holder["_id"] != actor.user_id:
        raise Conflict("another account of the province is tied to this mobile number", field="mobile",
                       slug="mobile-taken")
    if await mongo.repo("users", actor.tenant).get(actor.user_id) is None:
        raise NotFound("user not found", slug="user-not-found")
    return await _store_user_change(mongo=mongo, actor=actor, user_id=actor.user_id,
                                    changes={"mobile": mobile, "mobile_verified_at": utcnow()}, end_tokens=False)


async def dev_messages(*, mongo: Mongo, settings: Settings, tenant: str, mobile: str) -> list[dict[str, Any]]:
    """Development gateway only: the messages "sent" to ``mobile``, newest first (404 otherwise)."""
    if settings.sms_gateway_kind() != "development" or settings.environment == "production":
        raise NotFound("no development SMS outbox here")
    cursor = mongo.db.dev_sms_outbox.find({"tenant_id": tenant, "mobile": mobile}).sort("at", -1).limit(10)
    return [row async for row in cursor]



