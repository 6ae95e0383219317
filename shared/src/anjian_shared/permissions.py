"""Named permissions, roles as bundles of them, per-user grants on top (HUN-19..HUN-21; issue 13).

ONE registry for every service:

- :data:`PERMISSIONS` names what an endpoint or use case requires (``agencies.write``,
  ``certificates.decide`` …) with its Chinese label (用户权限 in the Hunan manual);
- :data:`ROLE_BUNDLES` maps each platform role (``anjian_shared.principal.Role``) onto the
  permissions it has always had, so nothing that works by role today breaks;
- a user may be **granted** permissions beyond the bundles of their roles and have
  permissions of those bundles **revoked** (the ``permission_grants`` of the user in identity,
  changed only by an approved permission application, HUN-21);
- access tokens carry the grants in compact form — the claims ``perm_add`` and ``perm_del``
  (the difference from the role bundles, usually empty) — and every service computes the
  effective set the same way (:func:`effective`; ``Principal.can``);
- ``anjian_shared.auth.require_permission("…")`` is the one FastAPI dependency checking them
  (403 ``permission-missing`` naming the permission); the domain calls :func:`check` where the
  rule also needs the object (own agency only).

Pure: no I/O, no HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import Forbidden, Unprocessable
from .principal import Role

PERMISSIONS: dict[str, str] = {
    # Hunan supervision agencies' own records (HUN-02..HUN-08)
    "agencies.read": "查看监督机构信息",
    "agencies.write": "维护本机构信息（基本信息、人员结构、监督工程、监督经费）",
    "agencies.verify": "资格验证审核",
    # supervisors' certificates (HUN-09..HUN-12)
    "certificates.apply": "提交证书变更、注销、补办申请",
    "certificates.decide": "受理、审核证书申请",
    # training, assessments, scoring (HUN-13..HUN-18)
    "training.register": "培训报名",
    "training.decide": "培训审核、考核结果录入",
    "assessments.write": "考核评分",
    "scores.approve": "动态考核记分审核",
    # users and permissions (HUN-19..HUN-21, HN-01)
    "users.read": "查看用户",
    "users.manage": "用户管理（启用、禁用、重置密码）",
    "users.apply": "用户申请（推荐本机构人员为系统用户）",
    "users.decide": "审核用户申请、账号备案",
    "permissions.read": "查看用户权限",
    "permissions.apply": "权限申请（增加、删除、变更用户权限）",
    "permissions.decide": "审核权限申请",
    # business-process help (HUN-22)
    "flows.read": "查看业务流程",
}
"""Every permission the platform knows, with its Chinese label. A grant or an application
naming anything else is 422 ``permission-unknown``."""

_OFFICE = frozenset(PERMISSIONS) - {"permissions.apply", "users.apply", "certificates.apply",
                                    "training.register", "agencies.write"}
_LEADER = frozenset({
    "agencies.read", "agencies.write", "certificates.apply", "training.register", "assessments.write",
    "scores.approve", "users.read", "users.manage", "users.apply", "permissions.read", "permissions.apply",
    "flows.read"})
_SUPERVISOR = frozenset({"agencies.read", "users.read", "flows.read"})
_COMPANY = frozenset({"users.read", "flows.read"})

ROLE_BUNDLES: dict[str, frozenset[str]] = {
    Role.PLATFORM_ADMIN: frozenset(PERMISSIONS),
    Role.PROVINCE_ADMIN: _OFFICE,
    Role.STATION_LEADER: _LEADER,
    Role.SUPERVISOR: _SUPERVISOR,
    Role.COMPANY_ADMIN: _COMPANY | {"users.manage", "permissions.read"},
    Role.PROJECT_MANAGER: _COMPANY,
    Role.COMPANY_STAFF: _COMPANY,
    Role.PARTNER: frozenset(),
}
"""What each role bundles: exactly what the role was allowed before permissions were named
(the province office decides, an agency's leader applies and writes its own records, a
supervisor reads). Object rules (own agency, own company, enclosing division) still apply."""

ADD_CLAIM = "perm_add"
"""Access-token claim: permissions granted beyond the role bundles (list, usually absent)."""
DEL_CLAIM = "perm_del"
"""Access-token claim: permissions of the role bundles revoked from this user (list)."""


def bundle(roles: Iterable[str]) -> frozenset[str]:
    """The union of the bundles of ``roles`` (unknown roles bundle nothing)."""
    out: set[str] = set()
    for role in roles:
        out |= ROLE_BUNDLES.get(role, frozenset())
    return frozenset(out)


def effective(roles: Iterable[str], granted: Iterable[str] = (), revoked: Iterable[str] = ()) -> frozenset[str]:
    """HUN-19: the effective permissions: the role bundles, plus ``granted``, minus ``revoked``
    (a permission both granted and revoked is revoked)."""
    return (bundle(roles) | frozenset(granted)) - frozenset(revoked)


def require_known(names: Iterable[str], *, field: str = "permissions") -> list[str]:
    """The names, deduplicated in order; 422 ``permission-unknown`` naming ``field`` for one the
    registry doesn't hold."""
    out: list[str] = []
    for name in names:
        if name not in PERMISSIONS:
            raise Unprocessable(f"unknown permission: {name}", field=field, slug="permission-unknown")
        if name not in out:
            out.append(name)
    return out


def permission_missing(name: str) -> Forbidden:
    """403 ``permission-missing``: the caller's effective permissions lack ``name``."""
    return Forbidden(f"this needs the permission {name} ({PERMISSIONS.get(name, name)})",
                     slug="permission-missing")


def check(principal: object, name: str) -> None:
    """403 ``permission-missing`` unless ``principal`` (an ``anjian_shared.principal.Principal``)
    holds the permission ``name``."""
    if not principal.can(name):  # type: ignore[attr-defined]
        raise permission_missing(name)


def grants_after(*, roles: Iterable[str], granted: Iterable[str], revoked: Iterable[str],
                 add: Iterable[str], remove: Iterable[str]) -> tuple[list[str], list[str]]:
    """HUN-21: the user's stored grants after an approved permission application adding ``add``
    and removing ``remove``: ``(granted, revoked)``, both the smallest difference from the role
    bundles (adding a permission the roles bundle only lifts its revocation; removing a granted
    one only drops the grant). Sorted, so equal sets store equally."""
    base = bundle(roles)
    want = (effective(roles, granted, revoked) | frozenset(add)) - frozenset(remove)
    return sorted(want - base), sorted(base - want)
