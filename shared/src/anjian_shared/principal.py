"""Who is calling (``Principal``) and the platform roles: plain values with no HTTP in them,
so domain rules can take them (``auth`` builds them from verified tokens)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class Role(StrEnum):
    """Platform roles carried in the ``roles`` claim."""

    PLATFORM_ADMIN = "platform_admin"
    PROVINCE_ADMIN = "province_admin"      # 省级管理员: manages the tenant's organisations and users
    STATION_LEADER = "station_leader"      # 站长/分管领导
    SUPERVISOR = "supervisor"              # 监督员
    COMPANY_ADMIN = "company_admin"        # a company's administrator
    PROJECT_MANAGER = "project_manager"    # 项目经理 of the contractor's project department
    COMPANY_STAFF = "company_staff"        # other staff of a participating company
    PARTNER = "partner"                    # a partner system (client credentials, PLAT-03): follows events


class Principal(BaseModel):
    """Who is calling: from a verified access token."""

    user_id: str
    tenant: str
    org_id: str
    roles: list[str]
    name: str = ""
    org_kind: str = ""
    """``authority`` | ``station`` | ``company`` | ``agency`` | ``partner`` (claim ``org_kind``)."""
    scopes: list[str] = []
    """OAuth scopes (claim ``scope``, space-separated); partner clients carry e.g. ``events:read``."""
    granted: list[str] = []
    """Permissions granted beyond the role bundles (claim ``perm_add``; ``anjian_shared.permissions``)."""
    revoked: list[str] = []
    """Permissions of the role bundles revoked from this user (claim ``perm_del``)."""
    issued_at: float | None = None
    """When the token was issued (claim ``iat``, epoch seconds with milliseconds): compared with the
    account's ``tokens_valid_after`` (``anjian_shared.accounts``)."""

    def has(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def permissions(self) -> frozenset[str]:
        """The effective permissions: role bundles + granted − revoked (HUN-19)."""
        from .permissions import effective

        return effective(self.roles, self.granted, self.revoked)

    def can(self, permission: str) -> bool:
        """Whether the caller holds the named permission (``anjian_shared.permissions``)."""
        return permission in self.permissions
