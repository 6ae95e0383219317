"""Account applications decided by the province office (HUN-20, HUN-21, HN-01): use cases.

One collection ``account_applications`` (``anjian_shared.applications.Application.to_doc()``),
one lifecycle, one decision endpoint for the three kinds (``domain.account_applications``).
Applications are submitted when created (the applicant's 上报): the office accepts (受理), then
approves (准予) or refuses (不予许可) with a reason, or does not accept (不予受理) / returns
(退回) with a reason. Every write is one transaction with its audit entry; a decision is
applied on the version read (two concurrent decisions: one wins, the other 409
``version-mismatch``); approval's effect — the account, the grants — is in the same
transaction as the decision.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from pymongo.errors import DuplicateKeyError

from anjian_shared import flows, permissions
from anjian_shared.applications import Actor, Application, Stage, new_application
from anjian_shared.errors import Conflict, NotFound, NotYetAvailable, Unprocessable
from anjian_shared.events.identity_v1 import UserCreated, UserUpdated
from anjian_shared.media import MediaIntake, MediaPolicy, Upload
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.pagination import paginate
from anjian_shared.principal import Principal
from anjian_shared.tenant_policy import tenant_policy
from anjian_shared.types import TENANTS, new_id, utcnow

from ..adapters.passwords import hash_password
from ..domain import account_applications as rules
from ..domain import accounts
from ..domain.model import roles_allowed
from ..settings import Settings
from . import use_cases

APPLICATIONS = "account_applications"
STAFF = "staff"
"""identity's read model of personnel's staff records (``personnel.staff.saved.v1``)."""
DOCUMENT_LIMIT = "application_attachment_max_bytes"


async def ensure_indexes(mongo: Mongo) -> None:
    await mongo.db[APPLICATIONS].create_index([("tenant_id", 1), ("applicant.org_id", 1)])
    await mongo.db[APPLICATIONS].create_index([("tenant_id", 1), ("stage", 1)])


def office_of(tenant: str) -> str:
    """The province office of ``tenant``: its seeded authority organisation."""
    return use_cases.seed_id(tenant, "authority")


def _actor(p: Principal) -> Actor:
    return Actor(user_id=p.user_id, org_id=p.org_id, name=p.name)


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """The stored application without secrets (the filing's password hash and status key)."""
    return {k: v for k, v in doc.items() if k not in ("password_hash", "status_key_hash")}


async def _username_free(uow_or_mongo: Any, tenant: str | None, username: str) -> None:
    users = uow_or_mongo.repo("users") if tenant is None else uow_or_mongo.repo("users", tenant)
    if await users.find_one({"username": username}) is not None:
        raise accounts.username_unavailable()


async def _insert(mongo: Mongo, tenant: str, app: Application, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    submitted = app.submit(app.applicant, office_of(tenant), app.created_at)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        uow.audit_action = f"identity.account_application.{app.kind}.submitted"
        return await uow.repo(APPLICATIONS).insert({**submitted.to_doc(), **(extra or {})})

    return await with_transaction(mongo, tenant, fn)


async def propose_user(*, mongo: Mongo, actor: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """HUN-20 用户申请: an agency (``users.apply``; 403 ``permission-missing`` / ``not-agency``)
    proposes its staff member ``staff_id`` as a user with ``username`` and ``roles``
    (``supervisor`` or ``station_leader``; 422 ``roles``). 422 ``staff-not-found`` (``staff_id``)
    for another agency's or a deleted record; 409 ``staff-unknown`` (retryable) while personnel's
    record has not reached identity yet; 422 ``username-unavailable``; 409
    ``user-application-pending`` when the staff member has an undecided one. Returns the
    application (stage ``submitted``, addressed to the province office)."""
    rules.check_may_apply(actor, "user")
    staff = await mongo.repo(STAFF, actor.tenant).get(data["staff_id"])
    if staff is None:
        raise NotYetAvailable("the staff record has not reached identity yet; try again shortly",
                              slug="staff-unknown", retry_after=2)
    staff = rules.check_staff(staff, actor.org_id)
    if roles_allowed("agency", data["roles"]):
        raise Unprocessable("an agency's user is a supervisor or a leader", field="roles")
    accounts.check_username_allowed(data["username"])
    await _username_free(mongo, actor.tenant, data["username"])
    open_ = await mongo.repo(APPLICATIONS, actor.tenant).find_one(
        {"kind": "user", "form.staff_id": data["staff_id"], "stage": {"$in": ["submitted", "accepted", "returned"]}})
    if open_ is not None:
        raise Conflict("this staff member's user application is not decided yet", field="staff_id",
                       slug="user-application-pending")
    form = {"staff_id": data["staff_id"], "display_name": staff["name"], "mobile": staff.get("mobile"),
            "username": data["username"], "roles": list(data["roles"]), "reason": data.get("reason") or ""}
    app = new_application(id=new_id(), kind="user", by=_actor(actor), form=form, at=utcnow())
    return await _insert(mongo, actor.tenant, app)


async def apply_permissions(*, mongo: Mongo, storage: Any, settings: Settings, actor: Principal, user_id: str,
                            add: list[str], remove: list[str], reason: str, document: Upload) -> dict[str, Any]:
    """HUN-21 权限申请: add, remove or change (both) permissions of ``user_id``, a user of the
    applicant's own organisation (404 ``user-not-found`` otherwise), with ``reason`` (422
    ``comment``-style: 422 naming ``reason`` when empty) and the approval document (审批文件:
    PDF, image or office file into S3 through ``MediaIntake``; 413/415 naming ``document``).
    403 ``permission-missing`` without ``permissions.apply``; 422 ``permission-unknown``,
    ``permission-change-contradicts``, ``permission-change-empty``."""
    rules.check_may_apply(actor, "permission")
    if not (reason or "").strip():
        raise Unprocessable("a permission application needs its reason", field="reason")
    user = await mongo.repo("users", actor.tenant).get(user_id)
    if user is None or user["org_id"] != actor.org_id:
        raise NotFound("user not found", slug="user-not-found")
    change = rules.permission_change(user=user, add=add, remove=remove)
    app_id = new_id()
    limit = (await tenant_policy(mongo, actor.tenant, settings)).limit(DOCUMENT_LIMIT)
    async with MediaIntake(storage, tenant=actor.tenant, folder=f"permission-applications/{app_id}") as intake:
        ref = await intake.take_one(document, MediaPolicy.attachment(max_bytes=limit, field="document"))
        form = {"user_id": user_id, "display_name": user["display_name"], **change,
                "change": rules.change_kind(change), "reason": reason.strip(),
                "document": ref.model_dump(mode="json")}
        app = new_application(id=app_id, kind="permission", by=_actor(actor), form=form, at=utcnow())
        return await _insert(mongo, actor.tenant, app)


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def file_bureau_account(*, mongo: Mongo, settings: Settings, data: dict[str, Any],
                              client_address: str | None) -> dict[str, Any]:
    """HN-01 账号备案: a housing bureau's staff member files their account without signing in
    (``tenant``, ``display_name``, ``mobile``, ``org_id`` of the bureau, ``post``, ``username``,
    ``password``, ``roles``). 422 ``organization-not-bureau`` (``org_id``); 422 ``roles`` for a role
    a filing can't ask for; the province's password policy (422 ``password-*``); 422
    ``username-unavailable`` (also for a name an undecided filing holds); 429 ``too-many-sign-ins``
    — the filings count against the client address's sign-in budget. No account exists until
    the office approves. Returns the application and ``status_key`` (shown once: with the
    filing's id it reads the status, ``filing_status``)."""
    tenant = data["tenant"]
    if tenant not in TENANTS:
        raise Unprocessable("unknown province", field="tenant")
    await use_cases.address_attempt(mongo, settings, client_address)
    org = await mongo.repo("organizations", tenant).get(data["org_id"])
    rules.check_bureau_org(org, office_of(tenant))
    roles = list(data.get("roles") or [rules.FILING_ROLES[0]])
    if any(r not in rules.FILING_ROLES for r in roles):
        raise Unprocessable("a filing asks for supervisor or station_leader", field="roles")
    await use_cases.check_password_policy(mongo=mongo, settings=settings, tenant=tenant,
                                          username=data["username"], password=data["password"])
    accounts.check_username_allowed(data["username"])
    await _username_free(mongo, tenant, data["username"])
    if await mongo.repo(APPLICATIONS, tenant).find_one(
            {"kind": "bureau_filing", "form.username": data["username"],
             "stage": {"$in": ["submitted", "accepted", "returned"]}}) is not None:
        raise accounts.username_unavailable()
    password_hash = await hash_password(data["password"])
    key = secrets.token_urlsafe(24)
    app_id = new_id()
    filer = Actor(user_id=f"filing:{app_id}", org_id=data["org_id"], name=data["display_name"])
    form = {k: data[k] for k in ("display_name", "mobile", "org_id", "post", "username")} | {"roles": roles}
    app = new_application(id=app_id, kind="bureau_filing", by=filer, form=form, at=utcnow())
    doc = await _insert(mongo, tenant, app, {"password_hash": password_hash, "status_key_hash": _hash_key(key)})
    return {**public(doc), "status_key": key}


async def filing_status(*, mongo: Mongo, tenant: str, filing_id: str, status_key: str) -> dict[str, Any]:
    """HN-01: the filer reads their filing (stage, decision) with the key the filing returned;
    404 ``application-not-found`` for a wrong id or key (the same answer for both)."""
    doc = await mongo.repo(APPLICATIONS, tenant).get(filing_id) if tenant in TENANTS else None
    if doc is None or doc.get("kind") != "bureau_filing" or not secrets.compare_digest(
            doc.get("status_key_hash", ""), _hash_key(status_key)):
        raise NotFound("no such filing", slug="application-not-found")
    return public(doc)


def _visible(actor: Principal, doc: dict[str, Any]) -> bool:
    return doc["applicant"]["org_id"] == actor.org_id or actor.org_id == office_of(actor.tenant)


async def get_application(*, mongo: Mongo, actor: Principal, app_id: str) -> dict[str, Any]:
    """One application the caller sees (the applicant organisation, the province office);
    404 ``application-not-found`` otherwise (also for other tenants)."""
    doc = await mongo.repo(APPLICATIONS, actor.tenant).get(app_id)
    if doc is None or not _visible(actor, doc):
        raise NotFound("no such account application", slug="application-not-found")
    return public(doc)


async def list_applications(*, mongo: Mongo, actor: Principal, kind: str | None, stage: str | None,
                            limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The applications the caller sees (the province office: all of the province, its inbox
    with ``stage=submitted``/``accepted``; others: their organisation's), newest first."""
    flt: dict[str, Any] = {} if actor.org_id == office_of(actor.tenant) else {"applicant.org_id": actor.org_id}
    if kind:
        flt["kind"] = kind
    if stage:
        flt["stage"] = stage
    docs, nxt = await paginate(mongo.repo(APPLICATIONS, actor.tenant), flt, limit=limit, cursor=cursor)
    return [public(d) for d in docs], nxt


async def delete_application(*, mongo: Mongo, actor: Principal, app_id: str) -> None:
    """HUN-20/21 删除: the applicant organisation deletes its own while undecided (未受理,
    不予受理, 已退回; ``Application.ensure_deletable``: 403 ``not-applicant``, 409
    ``application-not-deletable``); 404 ``application-not-found`` for what it can't see."""
    doc = await get_application(mongo=mongo, actor=actor, app_id=app_id)
    if not flows.offered(doc["kind"], "delete"):
        raise Conflict("a filing is not deleted; the province office decides it", slug="application-not-deletable")
    Application.from_doc(doc).ensure_deletable(_actor(actor))
    permissions.check(actor, rules.APPLY_PERMISSION.get(doc["kind"], "users.apply"))

    async def fn(uow: UnitOfWork) -> None:
        uow.audit_action = f"identity.account_application.{doc['kind']}.deleted"
        if await uow.repo(APPLICATIONS).delete({"_id": app_id, "version": doc["version"]}) == 0:
            raise Conflict("the application changed meanwhile", field="version", slug="version-mismatch")

    await with_transaction(mongo, actor.tenant, fn)


async def _create_account(uow: UnitOfWork, app: Application, org_id: str, password_hash: str | None,
                          actor: Principal) -> str:
    form = app.form
    user_id = use_cases.seed_id(actor.tenant, "account-application", app.id)
    if await uow.repo("users").find_one({"username": form["username"]}) is not None:
        raise accounts.username_unavailable()
    await uow.repo("users").insert({
        "_id": user_id, "org_id": org_id, "username": form["username"], "display_name": form["display_name"],
        "password_hash": password_hash, "roles": list(form["roles"]), "mobile": form.get("mobile"),
        "enabled": True, "version": 1, "created_at": utcnow(), "created_by": actor.user_id,
        "account_application_id": app.id, **({"staff_id": form["staff_id"]} if form.get("staff_id") else {})})
    uow.emit("identity.user.created.v1", subject=user_id, data=UserCreated(
        user_id=user_id, org_id=org_id, username=form["username"], display_name=form["display_name"],
        roles=list(form["roles"]), mobile=form.get("mobile"), version=1))
    return user_id


async def _change_grants(uow: UnitOfWork, app: Application) -> None:
    users = uow.repo("users")
    user = await users.get(app.form["user_id"])
    if user is None:
        raise Conflict("the user no longer exists", slug="user-not-found")
    grants = rules.grants_after(user, app.form)
    doc = await users.update({"_id": user["_id"], "version": user["version"]}, {
        "$set": {**grants, "updated_at": utcnow(), "tokens_valid_after": use_cases._now_ms()},
        "$inc": {"version": 1}})
    if doc is None:
        raise Conflict("the user changed meanwhile", slug="version-mismatch")
    uow.emit("identity.user.updated.v1", subject=user["_id"], data=UserUpdated(
        user_id=user["_id"], org_id=doc["org_id"], username=doc["username"], display_name=doc["display_name"],
        roles=doc["roles"], mobile=doc.get("mobile"), enabled=doc.get("enabled", True), version=doc["version"],
        tokens_valid_after=doc.get("tokens_valid_after")))


async def decide(*, mongo: Mongo, actor: Principal, app_id: str, action: str, comment: str = "") -> dict[str, Any]:
    """The province office's step on an account application: ``accept`` 受理, ``not_accept``
    不予受理 (reason), ``return`` 退回 (what to fix), ``approve`` 准予, ``refuse`` 不予许可 (reason)
    — ``Application.apply`` (409 ``application-not-submitted`` / ``-not-accepted`` /
    ``-not-pending``; 422 ``comment`` without a reason). 403 ``not-province-office`` /
    ``permission-missing`` (``users.decide`` or ``permissions.decide``); 404
    ``application-not-found``. Approval, in the same transaction: HUN-20/HN-01 the account is
    created (``identity.user.created.v1``; 422 ``username-unavailable`` when the name was taken
    meanwhile), HUN-21 the user's grants change (``identity.user.updated.v1``; their tokens end,
    the next ones carry the grants). Two concurrent decisions: one wins, the other 409
    ``version-mismatch``."""
    doc = await get_application(mongo=mongo, actor=actor, app_id=app_id)
    rules.check_may_decide(actor, doc["kind"], office_of(actor.tenant))
    if not flows.offered(doc["kind"], action):
        raise Unprocessable(f"a {rules.KINDS[doc['kind']]} can't be {action}ed: it has no such step",
                            field="action", slug="action-not-offered")
    full = await mongo.repo(APPLICATIONS, actor.tenant).get(app_id)
    assert full is not None
    current = Application.from_doc(full)
    new = current.apply(action, _actor(actor), utcnow(), comment)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        uow.audit_action = f"identity.account_application.{doc['kind']}.{action}"
        stored = await uow.repo(APPLICATIONS).update(
            {"_id": app_id, "version": current.version},
            {"$set": {k: v for k, v in new.to_doc().items() if k != "_id"}})
        if stored is None:
            raise Conflict("the application changed meanwhile", field="version", slug="version-mismatch")
        if new.stage == Stage.APPROVED:
            if doc["kind"] == "user":
                stored["account_user_id"] = await _create_account(uow, new, new.applicant.org_id, None, actor)
            elif doc["kind"] == "bureau_filing":
                stored["account_user_id"] = await _create_account(uow, new, new.form["org_id"],
                                                                  full.get("password_hash"), actor)
            else:
                await _change_grants(uow, new)
            if "account_user_id" in stored:
                await uow.repo(APPLICATIONS).update({"_id": app_id},
                                                    {"$set": {"account_user_id": stored["account_user_id"]}})
        return stored

    try:
        stored = await with_transaction(mongo, actor.tenant, fn, aggregate=f"account-application:{app_id}")
    except DuplicateKeyError as exc:  # the user name was taken by a concurrent creation
        raise accounts.username_unavailable() from exc
    if new.stage == Stage.APPROVED and doc["kind"] == "permission":
        await mongo.db.refresh_tokens.delete_many({"tenant_id": actor.tenant, "user_id": new.form["user_id"]})
    return public(stored)



async def resubmit(*, mongo: Mongo, actor: Principal, app_id: str, comment: str = "") -> dict[str, Any]:
    """退回后重新上报: the applicant organisation resubmits a returned application to the
    province office (``Application.submit``: 403 ``not-applicant``, 409 ``application-not-draft``;
    404 ``application-not-found``)."""
    doc = await get_application(mongo=mongo, actor=actor, app_id=app_id)
    current = Application.from_doc(doc)
    new = current.submit(_actor(actor), office_of(actor.tenant), utcnow(), comment)
    permissions.check(actor, rules.APPLY_PERMISSION.get(doc["kind"], "users.apply"))

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        uow.audit_action = f"identity.account_application.{doc['kind']}.submitted"
        stored = await uow.repo(APPLICATIONS).update(
            {"_id": app_id, "version": current.version},
            {"$set": {k: v for k, v in new.to_doc().items() if k != "_id"}})
        if stored is None:
            raise Conflict("the application changed meanwhile", field="version", slug="version-mismatch")
        return stored

    return public(await with_transaction(mongo, actor.tenant, fn))
