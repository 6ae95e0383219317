"""Company self-registration (HEB-01) and "the authority where X is registered".

Collection ``company_registrations`` (per tenant): the application, ``status`` pending →
enabled | refused, the administrator's password only as an Argon2 hash, the status
token only as a SHA-256 hash. ``active: true`` while pending or enabled: a unique index
on (tenant, credit code) over active registrations, and one on (tenant, credit code) over
organisations, refuse a duplicate credit code even when two arrive at the same instant.

Collection ``registration_audit``: who decided what, when, why, from where (append-only,
same transaction as the decision). ``registration_attempts``: submissions per client
address (TTL), for the throttle.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from anjian_shared import credit_code, divisions
from anjian_shared.errors import Conflict, NotFound, TooManyRequests, Unprocessable
from anjian_shared.events.identity_v1 import (
    CompanyRegistrationEnabled,
    CompanyRegistrationRefused,
    CompanyRegistrationSubmitted,
    OrganizationCreated,
    UserCreated,
)
from anjian_shared.mongo import UnitOfWork, with_transaction
from anjian_shared.pagination import paginate
from anjian_shared.principal import Principal, Role
from anjian_shared.types import TENANTS, new_id, utcnow

from ..adapters.passwords import hash_password
from ..domain import registration as rules
from .use_cases import check_password_policy

REGISTRATIONS = "company_registrations"
AUDIT = "registration_audit"
ATTEMPTS = "registration_attempts"

SUBMITTED = "identity.company_registration.submitted.v1"
ENABLED = "identity.company_registration.enabled.v1"
REFUSED = "identity.company_registration.refused.v1"


@dataclass(frozen=True)
class Throttle:
    """At most ``max_per_window`` submissions from one client address per ``window``."""

    max_per_window: int = 5
    window: timedelta = timedelta(hours=1)


async def ensure_indexes(mongo: Any) -> None:
    db = mongo.db
    await db[REGISTRATIONS].create_index(
        [("tenant_id", 1), ("credit_code", 1)], unique=True, name="active_credit_code",
        partialFilterExpression={"active": True})
    await db[REGISTRATIONS].create_index([("tenant_id", 1), ("status", 1), ("submitted_at", 1)])
    await db.organizations.create_index(
        [("tenant_id", 1), ("credit_code", 1)], unique=True, name="org_credit_code",
        partialFilterExpression={"credit_code": {"$type": "string"}})
    await db[ATTEMPTS].create_index("expires_at", expireAfterSeconds=0)
    await db[ATTEMPTS].create_index([("tenant_id", 1), ("address", 1), ("at", 1)])


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def authority_for_division(*, mongo: Any, tenant: str, code: str) -> dict[str, Any] | None:
    """The authority org of ``tenant`` whose ``division_code`` is the nearest
    ancestor-or-self of ``code`` (a county's own authority, else its city's, else the
    province office); None when no authority encloses it. 422 ``unknown-division``."""
    divisions.require(code, field="code")
    orgs = await mongo.repo("organizations", tenant).find(
        {"kind": "authority", "division_code": {"$type": "string"}}, limit=500)
    by_code = {o["division_code"]: o for o in orgs}
    nearest = divisions.nearest(code, frozenset(by_code))
    return by_code[nearest] if nearest else None


async def _throttle(*, mongo: Any, tenant: str, address: str | None, throttle: Throttle) -> None:
    attempts = mongo.repo(ATTEMPTS, tenant)
    now = utcnow()
    key = address or "unknown"
    await attempts.insert({"_id": new_id(), "address": key, "at": now, "expires_at": now + throttle.window})
    recent = await attempts.count({"address": key, "at": {"$gte": now - throttle.window}})
    if recent > throttle.max_per_window:
        raise TooManyRequests("too many registrations from this address; try again later",
                              slug="registration-throttled",
                              retry_after=int(throttle.window.total_seconds()))


def _event_fields(doc: dict[str, Any]) -> dict[str, Any]:
    return {"registration_id": doc["_id"], "company_name": doc["company_name"],
            "credit_code": doc["credit_code"], "company_roles": doc["company_roles"],
            "in_province": doc["in_province"], "division_code": doc["division_code"],
            "authority_org_id": doc.get("authority_org_id"), "status": doc["status"],
            "version": doc["version"]}


async def submit_registration(*, mongo: Any, tenant: str, data: dict[str, Any], address: str | None,
                              throttle: Throttle = Throttle(), settings: Any = None) -> tuple[dict[str, Any], str]:
    """HEB-01: a company registers itself (no sign-in). ``data``: ``company_name``,
    ``credit_code``, ``company_roles`` (owner/contractor/leasing/installer, ≥1),
    ``in_province``, ``division_code``, ``contact_name``, ``contact_mobile``,
    ``admin_username``, ``admin_password``.

    Returns (the pending registration, the status token — shown once). 404 for an unknown
    tenant; 429 ``registration-throttled`` past ``throttle`` from one address; 422 naming
    the field: ``credit-code-check-character``/``credit-code-format``, ``unknown-division``,
    ``division-outside-province``/``division-inside-province``, the password policy's codes
    (``password-too-short``, ``password-common``, ``password-contains-username``); 409
    ``credit-code-taken`` (an organisation or an open/enabled registration has it) or
    ``username-taken``. Emits ``identity.company_registration.submitted.v1``."""
    if tenant not in TENANTS:
        raise NotFound("no such province", slug="tenant-not-found")
    await _throttle(mongo=mongo, tenant=tenant, address=address, throttle=throttle)
    code = credit_code.validate(data["credit_code"], field="credit_code")
    rules.check_division(data["division_code"], tenant=tenant, in_province=data["in_province"])
    await check_password_policy(mongo=mongo, settings=settings, tenant=tenant, username=data["admin_username"],
                                password=data["admin_password"], field="admin_password")
    if not data.get("company_roles"):
        raise Unprocessable("say what the company registers as", field="company_roles")
    province = rules.TENANT_PROVINCE[tenant]
    review_code = data["division_code"] if data["in_province"] else province
    authority = await authority_for_division(mongo=mongo, tenant=tenant, code=review_code)
    password_hash = await hash_password(data["admin_password"])
    token = secrets.token_urlsafe(24)
    now = utcnow()

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        await _check_unique(uow, code=code, username=data["admin_username"])
        doc = await uow.repo(REGISTRATIONS).insert({
            "_id": new_id(), "company_name": data["company_name"], "credit_code": code,
            "company_roles": sorted(set(data["company_roles"])), "in_province": data["in_province"],
            "division_code": data["division_code"], "province_code": province,
            "contact_name": data["contact_name"], "contact_mobile": data["contact_mobile"],
            "admin_username": data["admin_username"], "admin_password_hash": password_hash,
            "authority_org_id": authority["_id"] if authority else None,
            "status": rules.PENDING, "active": True, "token_hash": _hash(token),
            "submitted_at": now, "due_at": now + rules.REVIEW_DUE, "created_at": now,
            "address": address, "version": 1})
        uow.emit(SUBMITTED, subject=doc["_id"], data=CompanyRegistrationSubmitted(
            **_event_fields(doc), submitted_at=now, due_at=doc["due_at"]))
        return doc

    try:
        return await with_transaction(mongo, tenant, fn), token
    except DuplicateKeyError as exc:  # the same credit code arriving at the same instant
        raise Conflict("a company with this credit code is already registered or waiting for review",
                       field="credit_code", slug="credit-code-taken") from exc


async def _check_unique(uow: UnitOfWork, *, code: str, username: str,
                        exclude: str | None = None) -> None:
    if await uow.repo("organizations").find_one({"credit_code": code}) is not None:
        raise Conflict("a company with this credit code is already registered",
                       field="credit_code", slug="credit-code-taken")
    flt: dict[str, Any] = {"credit_code": code, "active": True}
    if exclude:
        flt["_id"] = {"$ne": exclude}
    if await uow.repo(REGISTRATIONS).find_one(flt) is not None:
        raise Conflict("a registration with this credit code is already waiting for review",
                       field="credit_code", slug="credit-code-taken")
    if await uow.repo("users").find_one({"username": username}) is not None:
        raise Conflict("this user name is taken; choose another", field="admin_username",
                       slug="username-taken")


async def registration_status(*, mongo: Any, tenant: str, registration_id: str, token: str) -> dict[str, Any]:
    """What the applicant may poll with the token it got at submission: the registration
    (status, reason, org id once enabled). 404 for a wrong id, tenant or token (one answer)."""
    doc = await mongo.repo(REGISTRATIONS, tenant).get(registration_id) if tenant in TENANTS else None
    if doc is None or not secrets.compare_digest(doc["token_hash"], _hash(token or "")):
        raise NotFound("no such registration", slug="registration-not-found")
    return doc


async def _actor_division(mongo: Any, actor: Principal) -> str | None:
    org = await mongo.repo("organizations", actor.tenant).get(actor.org_id)
    return org.get("division_code") if org else None


async def list_registrations(*, mongo: Any, actor: Principal, status: str | None, overdue: bool | None,
                             limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The authority's to-do list: registrations within the actor's division (the province
    office: the whole province), oldest first, each with ``overdue`` (pending > 24 h).
    ``status`` pending/enabled/refused; ``overdue=true`` only overdue ones. 403
    ``not-registration-reviewer`` for anyone but an authority's reviewers."""
    rules.check_may_list(actor)
    division = await _actor_division(mongo, actor)
    flt: dict[str, Any] = {}
    if status:
        flt["status"] = status
    if overdue:
        flt.update(status=rules.PENDING, submitted_at={"$lt": utcnow() - rules.REVIEW_DUE})
    if not actor.has(Role.PLATFORM_ADMIN):
        if not division:
            return [], None
        flt.update(_jurisdiction_filter(division))
    docs, nxt = await paginate(mongo.repo(REGISTRATIONS, actor.tenant), flt,
                               sort=[("submitted_at", 1), ("_id", 1)], limit=limit, cursor=cursor)
    return docs, nxt


def _jurisdiction_filter(division: str) -> dict[str, Any]:
    """The registrations an authority of ``division`` reviews (``rules.review_division``
    within it), as a query: the province office all; a city its counties' local
    companies; a county its own."""
    level = divisions.get(division)
    if level is None:
        return {"_id": None}
    if level.level == "province":
        return {}
    if level.level == "city":
        return {"in_province": True, "division_code": {"$regex": f"^{division[:4]}"}}
    return {"in_province": True, "division_code": division}


async def get_registration(*, mongo: Any, actor: Principal, registration_id: str) -> dict[str, Any]:
    """One registration the actor reviews; 404 ``registration-not-found`` otherwise."""
    doc = await mongo.repo(REGISTRATIONS, actor.tenant).get(registration_id)
    if doc is None or not rules.may_review(actor, await _actor_division(mongo, actor), doc):
        raise NotFound("no such company registration for you", slug="registration-not-found")
    return doc


async def decide_registration(*, mongo: Any, actor: Principal, registration_id: str, enable: bool,
                              reason: str | None, address: str | None = None) -> dict[str, Any]:
    """HEB-01: the reviewing authority enables or refuses a pending registration.

    Enable: the company organisation (kind ``company``, its roles, division, credit code)
    and its administrator (role ``company_admin``, the password chosen at registration)
    are created with the registration's new state, an audit line and the events
    ``identity.organization.created.v1``, ``identity.user.created.v1``,
    ``identity.company_registration.enabled.v1`` — one transaction. Refuse: ``reason``
    required (422); ``identity.company_registration.refused.v1``; the credit code is free
    again. 404 for a registration outside the actor's jurisdiction; 409
    ``registration-already-decided``; 409 ``credit-code-taken``/``username-taken`` if
    meanwhile taken."""
    division = await _actor_division(mongo, actor)
    reason = None if enable else rules.check_refusal_reason(reason)
    now = utcnow()

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        regs = uow.repo(REGISTRATIONS)
        doc = await regs.get(registration_id)
        rules.check_may_decide(actor, division, doc)
        assert doc is not None
        changes: dict[str, Any] = {"decided_by": actor.user_id, "decided_at": now, "version": doc["version"] + 1}
        if enable:
            await _check_unique(uow, code=doc["credit_code"], username=doc["admin_username"], exclude=doc["_id"])
            org = await uow.repo("organizations").insert({
                "_id": new_id(), "name": doc["company_name"], "kind": "company",
                "company_roles": doc["company_roles"], "parent_org_id": None,
                "region": divisions.full_name(doc["division_code"]), "division_code": doc["division_code"],
                "credit_code": doc["credit_code"], "in_province": doc["in_province"],
                "registration_id": doc["_id"], "version": 1, "created_at": now, "created_by": actor.user_id})
            user = await uow.repo("users").insert({
                "_id": new_id(), "org_id": org["_id"], "username": doc["admin_username"],
                "display_name": doc["contact_name"], "password_hash": doc["admin_password_hash"],
                "roles": [Role.COMPANY_ADMIN.value], "mobile": doc["contact_mobile"], "enabled": True,
                "version": 1, "created_at": now, "created_by": actor.user_id})
            changes.update(status=rules.ENABLED, org_id=org["_id"], admin_user_id=user["_id"])
            uow.emit("identity.organization.created.v1", subject=org["_id"], data=OrganizationCreated(
                org_id=org["_id"], name=org["name"], kind="company", company_roles=org["company_roles"],
                region=org["region"], division_code=org["division_code"], credit_code=org["credit_code"],
                in_province=org["in_province"], version=1))
            uow.emit("identity.user.created.v1", subject=user["_id"], data=UserCreated(
                user_id=user["_id"], org_id=org["_id"], username=user["username"],
                display_name=user["display_name"], roles=user["roles"], mobile=user["mobile"], version=1))
        else:
            changes.update(status=rules.REFUSED, reason=reason)
        unset = {} if enable else {"$unset": {"active": ""}}
        new = await regs.update({"_id": registration_id, "version": doc["version"]},
                                {"$set": changes, **unset})
        assert new is not None
        await uow.repo(AUDIT).insert({
            "_id": new_id(), "registration_id": registration_id, "action": new["status"],
            "reason": reason, "actor_id": actor.user_id, "actor_name": actor.name,
            "actor_roles": list(actor.roles), "address": address, "created_at": now})
        if enable:
            uow.emit(ENABLED, subject=registration_id, data=CompanyRegistrationEnabled(
                **_event_fields(new), org_id=new["org_id"], admin_user_id=new["admin_user_id"],
                decided_by=actor.user_id, decided_at=now))
        else:
            uow.emit(REFUSED, subject=registration_id, data=CompanyRegistrationRefused(
                **_event_fields(new), reason=reason or "", decided_by=actor.user_id, decided_at=now))
        return new

    try:
        return await with_transaction(mongo, actor.tenant, fn, aggregate=f"registration:{registration_id}")
    except DuplicateKeyError as exc:
        raise Conflict("the credit code or the user name was taken meanwhile",
                       field="credit_code", slug="credit-code-taken") from exc
