"""identity request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from anjian_shared.pagination import Page
from anjian_shared.types import ShortStr, TenantCode

Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]{3,64}$")]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]
"""8..128 characters here; the province's policy (``password_min_length``, 10 by default; no common
password; not the user name) is checked by the service (422 ``password-*`` naming the field)."""
Mobile = Annotated[str, StringConstraints(pattern=r"^1[3-9]\d{9}$")]
DivisionCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
CreditCode = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionCreate(_Strict):
    tenant: TenantCode
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"tenant": "hubei", "username": "zhang.wei", "password": "••••••••"}]})


class RefreshRequest(_Strict):
    refresh_token: Annotated[str, StringConstraints(min_length=10, max_length=200)]


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="seconds until the access token expires")
    mobile_binding_required: bool = Field(
        default=False,
        description="HN-01: the province requires a verified mobile number and the account has none: the "
                    "access token reaches only GET /me, POST /me/mobile/otp and POST /me/mobile (403 "
                    "mobile-not-verified elsewhere); bind the number, then refresh the session")


class TenantRead(BaseModel):
    code: str
    name: str


class OrganizationCreate(_Strict):
    name: ShortStr
    kind: Literal["authority", "station", "company", "agency"]
    company_roles: list[Literal["owner", "contractor", "supervision", "leasing", "installer"]] = []
    parent_org_id: str | None = None
    region: ShortStr | None = None
    division_code: DivisionCode | None = Field(default=None, description=(
        "GB/T 2260 code of its administrative division (province, city or county); an unknown "
        "code is 422 ``unknown-division``"))
    credit_code: CreditCode | None = Field(default=None, description=(
        "unified social credit code (GB 32100) of a company or agency; a wrong check "
        "character is 422"))

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"name": "武汉市建设工程安全监督站", "kind": "station", "region": "武汉市",
                      "division_code": "420100"}]})


class OrganizationRead(BaseModel):
    id: str
    tenant: str
    name: str
    kind: str
    company_roles: list[str]
    parent_org_id: str | None
    region: str | None
    division_code: str | None = None
    credit_code: str | None = None
    created_at: datetime


class OrganizationPage(Page[OrganizationRead]):
    pass


class UserCreate(_Strict):
    org_id: str
    username: Username
    display_name: ShortStr
    password: Password
    roles: Annotated[list[str], Field(min_length=1)]
    mobile: Mobile | None = None

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "org_id": "6f1c0e0a9b2d4c7e8f10a1b2c3d4e5f6", "username": "zhang.wei", "display_name": "张伟",
        "password": "Tower-crane-47-ledger", "roles": ["supervisor"], "mobile": "13800000000"}]})


class PasswordChange(_Strict):
    current_password: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    new_password: Password

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"current_password": "••••••••••", "new_password": "Tower-crane-47-ledger"}]})


class PasswordReset(_Strict):
    new_password: Password

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"new_password": "Tower-crane-47-ledger"}]})


class UserUpdate(_Strict):
    display_name: ShortStr | None = None
    roles: Annotated[list[str], Field(min_length=1)] | None = None
    """At least one role, as on create (``[]`` is 422 naming ``roles``)."""
    enabled: bool | None = None
    mobile: Mobile | None = None


class UserRead(BaseModel):
    id: str
    tenant: str
    org_id: str
    username: str
    display_name: str
    roles: list[str]
    mobile: str | None
    enabled: bool
    created_at: datetime


class UserPage(Page[UserRead]):
    pass


class MeRead(UserRead):
    organization: OrganizationRead


# --------------------------------------------------------------------------- partner clients (PLAT-03)

Scope = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.:-]{0,63}$")]


class ClientCreate(_Strict):
    name: ShortStr
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=10)]

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"name": "湖北省住建大数据中心", "scopes": ["events:read"]}]})


class ClientRead(BaseModel):
    client_id: str
    tenant: str
    name: str
    scopes: list[str]
    org_id: str
    enabled: bool
    created_at: datetime
    created_by: str
    disabled_at: datetime | None = None


class ClientCreated(ClientRead):
    client_secret: str = Field(description="shown once; identity keeps only its Argon2 hash")


class ClientPage(Page[ClientRead]):
    pass


class ClientToken(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="seconds until the access token expires")
    scope: str
