"""Rules of user accounts (issue 11, security; HB-01, HUN-19, PLAT-01): the password policy,
user names that tell nobody who holds them, the last administrator of a province, and which
changes end a user's access tokens at once. Pure: no I/O (the service layer loads and stores).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from anjian_shared.errors import Conflict, Unprocessable
from anjian_shared.principal import Role

RESERVED_USERNAMES = frozenset({
    "admin", "administrator", "root", "system", "sysadmin", "superuser", "support", "security",
    "anjian", "identity", "partner", "platform", "guest", "test", "null", "none", "undefined",
})
"""Names nobody may take (besides the seeded ``admin`` of each province); refused exactly like a
name that is taken, so the refusal never proves that somebody holds a name."""

USERNAME_UNAVAILABLE = "this user name can't be used; choose another one"
"""The one answer to a taken or reserved user name: it never says who holds it, nor where."""

ADMIN_ROLES = (Role.PROVINCE_ADMIN.value,)
"""The roles a province can't be left without (nothing but another one can manage its users)."""

TOKEN_ENDING_FIELDS = ("enabled", "roles", "org_id", "granted_permissions", "revoked_permissions")
"""A change to any of these ends the user's access tokens at once (``tokens_valid_after``):
the tokens carry the roles, organisation and permission grants (HUN-21), and a disabled user
has none."""

_TRAILING = re.compile(r"[\d\W_]+$")


def username_unavailable() -> Unprocessable:
    """422 ``username-unavailable`` naming ``username``: the same for a taken and a reserved name."""
    return Unprocessable(USERNAME_UNAVAILABLE, field="username", slug="username-unavailable")


def check_username_allowed(username: str) -> None:
    """422 ``username-unavailable`` for a reserved name."""
    if username.lower() in RESERVED_USERNAMES:
        raise username_unavailable()


def check_password(password: str, *, username: str, min_length: int,
                   is_common: Callable[[str], bool], field: str = "password") -> None:
    """The password policy (PLAT-01; create, change and reset alike), in this order:

    - at least ``min_length`` characters (the province's ``password_min_length``, 10 unless its
      administrator set another): 422 ``password-too-short``;
    - not one of the most common passwords, nor one with digits or symbols added at its end
      (``Password123!``), case ignored: 422 ``password-common``;
    - not containing the user name, case ignored: 422 ``password-contains-username``.

    ``field`` names the request field (``password`` or ``new_password``).
    """
    if len(password) < min_length:
        raise Unprocessable(f"the password needs at least {min_length} characters", field=field,
                            slug="password-too-short")
    lowered = password.lower()
    stem = _TRAILING.sub("", lowered)
    if is_common(lowered) or (len(stem) >= 4 and is_common(stem)):
        raise Unprocessable("this password is one of the most commonly used ones; choose another",
                            field=field, slug="password-common")
    if len(username) >= 3 and username.lower() in lowered:
        raise Unprocessable("the password must not contain the user name", field=field,
                            slug="password-contains-username")


def removes_admin(user: Mapping[str, Any], changes: Mapping[str, Any]) -> bool:
    """Whether ``changes`` take an enabled administrator away (disabling or stripping the role)."""
    if not user.get("enabled", True) or not any(r in ADMIN_ROLES for r in user.get("roles", [])):
        return False
    if changes.get("enabled") is False:
        return True
    roles = changes.get("roles")
    return roles is not None and not any(r in ADMIN_ROLES for r in roles)


def check_not_last_admin(other_enabled_admins: int) -> None:
    """409 ``last-admin``: the province would be left without an enabled administrator (also when
    administrators disable or strip themselves): no API could undo it."""
    if other_enabled_admins < 1:
        raise Conflict("the last enabled administrator of a province can't be disabled or lose the role; "
                       "make another administrator first", slug="last-admin")


def ends_tokens(user: Mapping[str, Any], changes: Mapping[str, Any]) -> bool:
    """Whether ``changes`` (already without ``None`` values) end the user's access tokens."""
    return any(k in changes and changes[k] != user.get(k) for k in TOKEN_ENDING_FIELDS)


VERIFIED_MOBILE_FEATURE = "verified_mobile_required"
"""HN-01: the tenant-policy feature "every user is tied to a verified mobile number"."""


def must_bind_mobile(user: Mapping[str, Any], *, required: bool) -> bool:
    """HN-01: whether ``user``'s tokens may only bind a mobile number (claim ``bind: "mobile"``,
    refused elsewhere with 403 ``mobile-not-verified``): the province requires a verified
    mobile number (``required``) and the account has none (``mobile_verified_at`` unset). Once
    bound, the next sign-in or refresh gives a full token."""
    return required and not user.get("mobile_verified_at")
