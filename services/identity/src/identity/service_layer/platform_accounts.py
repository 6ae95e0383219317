"""FJ-01: accounts open automatically for projects synced from Fujian's integration platform.

projects publishes ``projects.platform_project.synced.v1`` whenever a sync creates or
changes a platform project; identity (queue ``identity.platform``) then, in the consumer's
transaction (a redelivered event has no second effect):

- registers the supervision company (``kind`` company, role supervision, its credit code)
  under the id projects chose, unless an organisation with that id or that credit code
  exists already;
- opens the company administrator's account (when the platform named one) and the chief
  supervising engineer's, under the ids projects chose, tied to the platform-registered
  mobile numbers (``mobile_verified_at`` set, ``platform_account`` ``company_admin`` /
  ``chief_engineer``). They have no password: they sign in with a one-time code
  (``service_layer.otp``). An account that exists already gets the platform's name and
  mobile number if those changed (``identity.user.updated.v1``); a number another account
  of the province holds verified is not given twice (logged; that account keeps it).

The same queue keeps identity's directory of projects (``projects``: the whole snapshot),
which sign-in reads to refuse accounts whose projects are none 在建可评价.
"""

from __future__ import annotations

from typing import Any

import structlog

from anjian_shared.auth import Role
from anjian_shared.events.identity_v1 import OrganizationCreated, UserCreated, UserUpdated
from anjian_shared.events.projects_v1 import PlatformPerson, PlatformProjectSynced
from anjian_shared.mongo import UnitOfWork
from anjian_shared.types import utcnow

log = structlog.get_logger("identity.platform")


async def _company(uow: UnitOfWork, event: PlatformProjectSynced) -> str:
    company = event.supervision_company
    orgs = uow.repo("organizations")
    if await orgs.get(company.org_id) is not None:
        return company.org_id
    same = await orgs.find_one({"credit_code": company.credit_code})
    if same is not None:
        log.warning("platform company known under another id", credit_code=company.credit_code,
                    org_id=same["_id"], platform_org_id=company.org_id)
        return str(same["_id"])
    await orgs.insert({"_id": company.org_id, "name": company.name, "kind": "company",
                       "company_roles": ["supervision"], "parent_org_id": None, "region": None,
                       "credit_code": company.credit_code, "version": 1, "created_at": utcnow(),
                       "created_by": "platform"})
    uow.emit("identity.organization.created.v1", subject=company.org_id, data=OrganizationCreated(
        org_id=company.org_id, name=company.name, kind="company", company_roles=["supervision"],
        credit_code=company.credit_code, version=1))
    return company.org_id


async def _account(uow: UnitOfWork, person: PlatformPerson, *, org_id: str, kind: str, role: str) -> None:
    users = uow.repo("users")
    held = await users.get(person.user_id)
    # by the (tenant_id, mobile) index, the rest checked here: the embedded database (SecantusDB
    # 0.7) serves no filter holding a null comparison from an index — one account per synced
    # project scanned every user of the province (issue 16's bulk sync and backlog)
    other = next((u for u in await users.find({"mobile": person.mobile}, limit=50)
                  if u.get("mobile_verified_at") is not None and u["_id"] != person.user_id
                  and u.get("enabled") is not False), None)
    if other is not None:
        log.warning("platform mobile held by another account", user_id=person.user_id, holder=other["_id"])
    mobile = None if other is not None else person.mobile
    if held is None:
        doc = await users.insert({
            "_id": person.user_id, "org_id": org_id, "username": f"{kind}.{person.user_id[:16]}",
            "display_name": person.name, "password_hash": None, "roles": [role], "mobile": mobile,
            "mobile_verified_at": utcnow() if mobile else None, "platform_account": kind, "enabled": True,
            "version": 1, "created_at": utcnow(), "created_by": "platform"})
        uow.emit("identity.user.created.v1", subject=doc["_id"], data=UserCreated(
            user_id=doc["_id"], org_id=org_id, username=doc["username"], display_name=person.name,
            roles=[role], mobile=mobile, version=1))
        return
    changes: dict[str, Any] = {}
    if held.get("display_name") != person.name:
        changes["display_name"] = person.name
    if mobile and (held.get("mobile") != mobile or not held.get("mobile_verified_at")):
        changes.update(mobile=mobile, mobile_verified_at=utcnow())
    if not changes:
        return
    doc = await users.update({"_id": person.user_id}, {"$set": {**changes, "updated_at": utcnow()},
                                                       "$inc": {"version": 1}})
    assert doc is not None
    uow.emit("identity.user.updated.v1", subject=doc["_id"], data=UserUpdated(
        user_id=doc["_id"], org_id=doc["org_id"], username=doc["username"], display_name=doc["display_name"],
        roles=doc["roles"], mobile=doc.get("mobile"), enabled=doc.get("enabled", True), version=doc["version"],
        tokens_valid_after=doc.get("tokens_valid_after")))


async def open_accounts(uow: UnitOfWork, event: Any, payload: PlatformProjectSynced) -> None:
    """Consumer of ``projects.platform_project.synced.v1`` (see the module docstring); idempotent."""
    org_id = await _company(uow, payload)
    admin = payload.supervision_company.administrator
    if admin is not None:
        await _account(uow, admin, org_id=org_id, kind="company_admin", role=Role.COMPANY_ADMIN.value)
    await _account(uow, payload.chief_engineer, org_id=org_id, kind="chief_engineer", role=Role.COMPANY_STAFF.value)
