"""Events published by identity, version 1 (HB-01, PLAT-01)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

OrgKind = Literal["authority", "station", "company", "agency"]
CompanyRole = Literal["owner", "contractor", "supervision", "leasing", "installer"]


class OrganizationCreated(BaseModel):
    """``identity.organization.created.v1``: a station, company, agency or authority exists."""

    org_id: str
    name: str
    kind: OrgKind
    company_roles: list[CompanyRole] = []
    parent_org_id: str | None = None
    region: str | None = None
    division_code: str | None = Field(default=None, description=(
        "GB/T 2260 code of the organisation's administrative division (province, city or "
        "county; absent from events published before divisions)"), examples=["130102"])
    credit_code: str | None = Field(default=None, description=(
        "unified social credit code (GB 32100) of a company or agency, when known"))
    in_province: bool | None = Field(default=None, description=(
        "a company registered in the tenant's province (true) or from outside it (false)"))
    version: int | None = Field(default=None, ge=1, description=(
        "the aggregate's version: increases by one with every change of the aggregate; "
        "a read model keeps the highest (absent from events published before versions)"))


class UserCreated(BaseModel):
    """``identity.user.created.v1``: a user account exists in an organisation."""

    user_id: str
    org_id: str
    username: str
    display_name: str
    roles: list[str]
    mobile: str | None = None
    version: int | None = Field(default=None, ge=1, description=(
        "the aggregate's version: increases by one with every change of the aggregate; "
        "a read model keeps the highest (absent from events published before versions)"))


class UserUpdated(BaseModel):
    """``identity.user.updated.v1``: a user's roles, name or enabled flag changed (full snapshot)."""

    user_id: str
    org_id: str
    username: str
    display_name: str
    roles: list[str]
    mobile: str | None = None
    enabled: bool = True
    version: int | None = Field(default=None, ge=1, description=(
        "the aggregate's version: increases by one with every change of the aggregate; "
        "a read model keeps the highest (absent from events published before versions)"))
    tokens_valid_after: datetime | None = Field(default=None, description=(
        "access tokens of this user issued before this instant are refused (401 token-revoked) by "
        "every service: set when the account is disabled, its password changed or reset, or its "
        "roles or organisation changed; absent when no such change happened yet"))


class ClientRegistered(BaseModel):
    """``identity.client.registered.v1``: a province administrator registered a partner
    system's OAuth client (client credentials, PLAT-03). Never carries the secret."""

    client_id: str
    name: str
    scopes: list[str]
    org_id: str
    """The organisation the partner acts for (the registering administrator's authority)."""
    registered_by: str


class ClientDisabled(BaseModel):
    """``identity.client.disabled.v1``: a partner client was disabled; it gets no new tokens
    and the partners service pauses its subscriptions (PLAT-03)."""

    client_id: str
    disabled_by: str


class TenantPolicyUpdated(BaseModel):
    """``identity.tenant_policy.updated.v1``: the province administrator changed the tenant's
    policy (feature switches, limits, text settings; see README "Tenant policy"). Carries the
    administrator's values in full (a snapshot, not a difference): a name absent from a
    section is at the service's default. Services keep the newest by ``version``."""

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


class _CompanyRegistration(BaseModel):
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

    submitted_at: datetime = Field(description="when it was submitted (UTC)")
    due_at: datetime = Field(description="when the review becomes overdue (submitted + 24 h, UTC)")


class CompanyRegistrationEnabled(_CompanyRegistration):
    """``identity.company_registration.enabled.v1``: the authority enabled the company; its
    organisation and administrator account exist (``org_id``, ``admin_user_id``). The
    applicant is told (reporting turns this into a notification)."""

    org_id: str = Field(description="the company's new organisation")
    admin_user_id: str = Field(description="the company administrator's account")
    decided_by: str = Field(description="user id of the authority's reviewer")
    decided_at: datetime


class CompanyRegistrationRefused(_CompanyRegistration):
    """``identity.company_registration.refused.v1``: the authority refused the registration,
    with its reason (HEB-01); the applicant is told and may register again."""

    reason: str = Field(description="why, in the reviewer's words")
    decided_by: str = Field(description="user id of the authority's reviewer")
    decided_at: datetime


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
