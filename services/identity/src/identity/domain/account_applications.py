"""Applications about accounts, decided by the province office (HUN-20, HUN-21, HN-01): rules only.

Three kinds, one lifecycle (``anjian_shared.applications``: submitted → 受理 → 准予/不予许可,
不予受理, 退回 → resubmitted), one collection, one way to decide:

- ``user`` 用户申请 (HUN-20): an agency proposes one of its staff (the personnel staff record)
  as a system user; approval creates the account (``identity.user.created.v1``).
- ``permission`` 权限申请 (HUN-21): add, remove or change (both) permissions of a user of the
  applicant's own organisation, with a reason and an uploaded approval document; approval
  changes the user's grants (``granted_permissions``/``revoked_permissions``), ends their
  access tokens (the next ones carry the new grants) and emits ``identity.user.updated.v1``.
- ``bureau_filing`` 账号备案 (HN-01): staff of a housing bureau (住建局, an ``authority``
  organisation other than the province office) file their own account — name, mobile,
  organisation, post, user name, password — without signing in. Until the province office
  approves there is NO account: nobody signs in with it (the same 401 as a wrong password),
  so nothing can be reached before approval; the filer reads the status with the key the
  filing returned. Approval creates the account (role ``supervisor`` unless the filing asked
  for ``station_leader``) with the password chosen at filing.

Who acts: the applicant organisation with ``users.apply`` / ``permissions.apply`` creates,
and deletes while undecided (``Application.ensure_deletable``); the province office (the
tenant's seeded authority) with ``users.decide`` / ``permissions.decide`` decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from anjian_shared import permissions
from anjian_shared.errors import Forbidden, Unprocessable
from anjian_shared.principal import Principal, Role

KINDS: dict[str, str] = {"user": "用户申请", "permission": "权限申请", "bureau_filing": "账号备案"}
"""The kinds of account applications with their Chinese names."""

APPLY_PERMISSION = {"user": "users.apply", "permission": "permissions.apply"}
"""What the applicant needs, per kind (a bureau filing is made without an account)."""
DECIDE_PERMISSION = {"user": "users.decide", "permission": "permissions.decide", "bureau_filing": "users.decide"}
"""What the province office's decider needs, per kind."""

FILING_ROLES = (Role.SUPERVISOR.value, Role.STATION_LEADER.value)
"""The roles a bureau filing may ask for (never the province administrator)."""


def check_may_apply(actor: Principal, kind: str) -> None:
    """403 ``permission-missing`` without the kind's apply permission; a user application is
    made by an agency (403 ``not-agency`` otherwise: the agency proposes its own staff)."""
    permissions.check(actor, APPLY_PERMISSION[kind])
    if kind == "user" and actor.org_kind != "agency":
        raise Forbidden("only a supervision agency proposes its staff as users", slug="not-agency")


def check_may_decide(actor: Principal, kind: str, office_org_id: str) -> None:
    """403 ``not-province-office`` unless the actor belongs to the province office; 403
    ``permission-missing`` without the kind's decide permission."""
    if actor.org_id != office_org_id:
        raise Forbidden("only the province office decides account applications", slug="not-province-office")
    permissions.check(actor, DECIDE_PERMISSION[kind])


def check_staff(staff: Mapping[str, Any] | None, agency_org_id: str) -> Mapping[str, Any]:
    """HUN-20: the proposed staff record must be of the applicant agency and not deleted; 422
    ``staff-not-found`` naming ``staff_id`` otherwise (another agency's staff is no different
    from none)."""
    if staff is None or staff.get("agency_org_id") != agency_org_id or staff.get("deleted"):
        raise Unprocessable("no such staff member of your agency", field="staff_id", slug="staff-not-found")
    return staff


def permission_change(*, user: Mapping[str, Any], add: Iterable[str], remove: Iterable[str]) -> dict[str, list[str]]:
    """HUN-21: the change asked for, validated: both lists of known permissions (422
    ``permission-unknown`` naming ``add``/``remove``), no permission in both (422
    ``permission-change-contradicts`` naming ``remove``), and it must change the user's effective
    permissions (422 ``permission-change-empty`` naming ``add``: adding what they hold or
    removing what they lack changes nothing)."""
    add_ = permissions.require_known(add, field="add")
    remove_ = permissions.require_known(remove, field="remove")
    if set(add_) & set(remove_):
        raise Unprocessable("a permission can't be both added and removed", field="remove",
                            slug="permission-change-contradicts")
    now = permissions.effective(user["roles"], user.get("granted_permissions", []),
                                user.get("revoked_permissions", []))
    if not (set(add_) - now) and not (set(remove_) & now):
        raise Unprocessable("this changes none of the user's permissions", field="add",
                            slug="permission-change-empty")
    return {"add": add_, "remove": remove_}


def change_kind(change: Mapping[str, list[str]]) -> str:
    """增加 ``add``, 删除 ``remove`` or 变更 ``change`` (both)."""
    if change["add"] and change["remove"]:
        return "change"
    return "add" if change["add"] else "remove"


def grants_after(user: Mapping[str, Any], change: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """HUN-21 approval: the user's stored grants after the change (the smallest difference
    from the role bundles, ``anjian_shared.permissions.grants_after``)."""
    granted, revoked = permissions.grants_after(
        roles=user["roles"], granted=user.get("granted_permissions", []),
        revoked=user.get("revoked_permissions", []), add=change["add"], remove=change["remove"])
    return {"granted_permissions": granted, "revoked_permissions": revoked}


def check_bureau_org(org: Mapping[str, Any] | None, office_org_id: str) -> Mapping[str, Any]:
    """HN-01: a filing names a housing bureau of the province — an ``authority`` organisation
    other than the province office itself; 422 ``organization-not-bureau`` naming ``org_id``."""
    if org is None or org.get("kind") != "authority" or org.get("_id") == office_org_id:
        raise Unprocessable("not a housing bureau (住建局) of this province", field="org_id",
                            slug="organization-not-bureau")
    return org
