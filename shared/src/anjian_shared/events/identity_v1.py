"""Events published by identity, version 1 (HB-01, PLAT-01)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .common import EventModel

OrgKind = Literal["authority", "station", "company", "agency"]
CompanyRole = Literal["owner", "contractor", "supervision", "leasing", "installer"]

_VERSION = ("the aggregate's version: increases by one with every change of the aggregate; "
            "a read model keeps the highest (absent from events published before versions)")


class OrganizationCreated(EventModel):
    """``identity.organization.created.v1``: a station, company, agency or authority exists."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "org_id": "6f1c2b9e0a4d4c3b8e7f5a1d2c3b4a59", "name": "中建三局第一建设工程有限责任公司", "kind": "company",
        "company_roles": ["contractor"], "parent_org_id": None, "region": "武汉市",
        "division_code": "420100", "credit_code": "91420100177692789K", "in_province": True, "version": 1}]})

    org_id: str = Field(description="the organisation's id")
    name: str = Field(description="its full name (e.g. 武汉市建设工程安全监督站)")
    kind: OrgKind = Field(description="authority 主管部门 | station 监督站 | company 企业 | agency 机构")
    company_roles: list[CompanyRole] = Field(default=[], description=(
        "a company's roles on projects: owner 建设单位, contractor 施工单位, supervision 监理单位, "
        "leasing 租赁单位, installer 安装单位 (empty for stations and authorities)"))
    parent_org_id: str | None = Field(default=None, description="the organisation it belongs to, if any")
    region: str | None = Field(default=None, description="free-text region name (older events)")
    division_code: str | None = Field(default=None, description=(
        "GB/T 2260 code of the organisation's administrative division (province, city or "
        "county; absent from events published before divisions)"), examples=["130102"])
    credit_code: str | None = Field(default=None, description=(
        "unified social credit code (GB 32100) of a company or agency, when known"))
    in_province: bool | None = Field(default=None, description=(
        "a company registered in the tenant's province (true) or from outside it (false)"))
    version: int | None = Field(default=None, ge=1, description=_VERSION)


class UserCreated(EventModel):
    """``identity.user.created.v1``: a user account exists in an organisation. Personal data:
    delivered to partners only with the scope ``events:personal``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "user_id": "d61b569304104d3f831d4fdcd631573f", "org_id": "0b6a3c1e9d2f4e5a8b7c6d5e4f3a2b1c",
        "username": "zhangwei", "display_name": "张伟", "roles": ["supervisor"], "mobile": "13800138000",
        "version": 1}]})

    user_id: str = Field(description="the user's id")
    org_id: str = Field(description="the organisation the user belongs to")
    username: str = Field(description="sign-in name, unique in the province")
    display_name: str = Field(description="the person's name as shown (e.g. 张伟)")
    roles: list[str] = Field(description=(
        "platform roles: province_admin, station_leader 站长, supervisor 监督员, company_admin, "
        "project_manager 项目经理, company_staff …"))
    mobile: str | None = Field(default=None, description="mobile number, if given (personal data)")
    version: int | None = Field(default=None, ge=1, description=_VERSION)


class UserUpdated(EventModel):
    """``identity.user.updated.v1``: a user's roles, name or enabled flag changed (full snapshot).
    Personal data: delivered to partners only with the scope ``events:personal``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "user_id": "d61b569304104d3f831d4fdcd631573f", "org_id": "0b6a3c1e9d2f4e5a8b7c6d5e4f3a2b1c",
        "username": "zhangwei", "display_name": "张伟", "roles": ["supervisor", "station_leader"],
        "mobile": "13800138000", "enabled": True, "version": 3,
        "tokens_valid_after": "2026-11-21T01:30:00Z"}]})

    user_id: str = Field(description="the user's id")
    org_id: str = Field(description="the organisation the user belongs to (after the change)")
    username: str = Field(description="sign-in name, unique in the province")
    display_name: str = Field(description="the person's name as shown")
    roles: list[str] = Field(description="platform roles after the change")
    mobile: str | None = Field(default=None, description="mobile number, if given (personal data)")
    enabled: bool = Field(default=True, description="false: the account is disabled and signs in no more")
    version: int | None = Field(default=None, ge=1, description=_VERSION)
    tokens_valid_after: datetime | None = Field(default=None, description=(
        "access tokens of this user issued before this instant are refused (401 token-revoked) by "
        "every service: set when the account is disabled, its password changed or reset, or its "
        "roles or organisation changed; absent when no such change happened yet"))


class ClientRegistered(EventModel):
    """``identity.client.registered.v1``: a province administrator registered a partner
    system's OAuth client (client credentials, PLAT-03). Never carries the secret."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "client_id": "hubei_3f9a1c7e5b2d", "name": "湖北省住建大数据中心",
        "scopes": ["events:inspections", "events:notices"], "org_id": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        "registered_by": "5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b"}]})

    client_id: str = Field(description="the OAuth client id the partner signs in with")
    name: str = Field(description="the partner system's name")
    scopes: list[str] = Field(description="the scopes granted (events:inspections, events:notices, …)")
    org_id: str = Field(description=(
        "the organisation the partner acts for (the registering administrator's authority)"))
    registered_by: str = Field(description="user id of the administrator who registered it")


class ClientDisabled(EventModel):
    """``identity.client.disabled.v1``: a partner client was disabled; it gets no new tokens
    and the partners service pauses its subscriptions (PLAT-03)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "client_id": "hubei_3f9a1c7e5b2d", "disabled_by": "5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b"}]})

    client_id: str = Field(description="the disabled client")
    disabled_by: str = Field(description="user id of the administrator who disabled it")


class TenantPolicyUpdated(EventModel):
    """``identity.tenant_policy.updated.v1``: the province administrator changed the tenant's
    policy (feature switches, limits, text settings; see README "Tenant policy"). Carries the
    administrator's values in full (a snapshot, not a difference): a name absent from a
    section is at the service's default. Services keep the newest by ``version``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "tenant": "hubei", "version": 4, "features": {"positioning": True, "attendance": False},
        "limits": {"photo_max_bytes": 614400}, "settings": {"notice_abbreviation": "鄂安监告"},
        "updated_by": "5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b", "updated_at": "2026-11-21T01:30:00Z"}]})

    tenant: str = Field(description="the province the policy is of (also the envelope's ``tenant``)")
    version: int = Field(ge=1, description=(
        "the policy's version: increases by one with every change; a read model keeps the highest"))
    features: dict[str, bool] = Field(default_factory=dict, description=(
        "feature switches the administrator set, name → on/off (positioning, attendance, "
        "supervision_records, enforcement_documents)"))
    limits: dict[str, int] = Field(default_factory=dict, description=(
        "limits the administrator set, name → value in bytes (photo_max_bytes, video_max_bytes, …)"))
    settings: dict[str, str] = Field(default_factory=dict, description=(
        "text settings the administrator set, name → value (notice_abbreviation)"))
    updated_by: str = Field(description="user id of the administrator who made the change")
    updated_at: datetime = Field(description="when the change was made (UTC)")


RegistrationKind = Literal["owner", "contractor", "leasing", "installer"]

_REGISTRATION = {
    "registration_id": "9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f", "company_name": "河北建工集团有限责任公司",
    "credit_code": "91130000104361253R", "company_roles": ["contractor"], "in_province": True,
    "division_code": "130102", "authority_org_id": "7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d",
}


class _CompanyRegistration(EventModel):
    registration_id: str = Field(description="the registration's id (what the applicant polls)")
    company_name: str = Field(description="the company's name as registered (e.g. 河北某建设集团有限公司)")
    credit_code: str = Field(description="unified social credit code (GB 32100), checked")
    company_roles: list[RegistrationKind] = Field(description="what the company registers as")
    in_province: bool = Field(description="registered in the tenant's province (false: out of province)")
    division_code: str = Field(description="GB/T 2260 division where the company is registered")
    authority_org_id: str | None = Field(default=None, description=(
        "the authority that reviews it: the authority whose division is the nearest "
        "ancestor-or-self of the company's division"))
    status: Literal["pending", "enabled", "refused"] = Field(description="state after this event")
    version: int = Field(ge=1, description="the registration's version (+1 per change)")


class CompanyRegistrationSubmitted(_CompanyRegistration):
    """``identity.company_registration.submitted.v1``: a company registered itself online and
    waits for the authority's review (HEB-01); a to-do for the authority, due in 24 h."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_REGISTRATION, "status": "pending", "version": 1,
        "submitted_at": "2026-11-21T01:30:00Z", "due_at": "2026-11-22T01:30:00Z"}]})

    submitted_at: datetime = Field(description="when it was submitted (UTC)")
    due_at: datetime = Field(description="when the review becomes overdue (submitted + 24 h, UTC)")


class CompanyRegistrationEnabled(_CompanyRegistration):
    """``identity.company_registration.enabled.v1``: the authority enabled the company; its
    organisation and administrator account exist (``org_id``, ``admin_user_id``). The
    applicant is told (reporting turns this into a notification)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_REGISTRATION, "status": "enabled", "version": 2, "org_id": "3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f",
        "admin_user_id": "2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e", "decided_by": "1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d",
        "decided_at": "2026-11-21T06:00:00Z"}]})

    org_id: str = Field(description="the company's new organisation")
    admin_user_id: str = Field(description="the company administrator's account")
    decided_by: str = Field(description="user id of the authority's reviewer")
    decided_at: datetime = Field(description="when the authority decided (UTC)")


class CompanyRegistrationRefused(_CompanyRegistration):
    """``identity.company_registration.refused.v1``: the authority refused the registration,
    with its reason (HEB-01); the applicant is told and may register again."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_REGISTRATION, "status": "refused", "version": 2, "reason": "营业执照扫描件不清晰，请重新上传",
        "decided_by": "1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d", "decided_at": "2026-11-21T06:00:00Z"}]})

    reason: str = Field(description="why, in the reviewer's words")
    decided_by: str = Field(description="user id of the authority's reviewer")
    decided_at: datetime = Field(description="when the authority decided (UTC)")


EVENTS: dict[str, type[BaseModel]] = {
    "identity.organization.created.v1": OrganizationCreated,
    "identity.user.created.v1": UserCreated,
    "identity.user.updated.v1": UserUpdated,
    "identity.client.registered.v1": ClientRegistered,
    "identity.client.disabled.v1": ClientDisabled,
    "identity.tenant_policy.updated.v1": TenantPolicyUpdated,
    "identity.company_registration.submitted.v1": CompanyRegistrationSubmitted,
    "identity.company_registration.enabled.v1": CompanyRegistrationEnabled,
    "identity.company_registration.refused.v1": CompanyRegistrationRefused,
}
