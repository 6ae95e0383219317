"""Events published by identity, version 1 (HB-01, PLAT-01)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

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


class UserCreated(BaseModel):
    """``identity.user.created.v1``: a user account exists in an organisation."""

    user_id: str
    org_id: str
    username: str
    display_name: str
    roles: list[str]
    mobile: str | None = None


class UserUpdated(BaseModel):
    """``identity.user.updated.v1``: a user's roles, name or enabled flag changed (full snapshot)."""

    user_id: str
    org_id: str
    username: str
    display_name: str
    roles: list[str]
    mobile: str | None = None
    enabled: bool = True


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


EVENTS: dict[str, type[BaseModel]] = {
    "identity.organization.created.v1": OrganizationCreated,
    "identity.user.created.v1": UserCreated,
    "identity.user.updated.v1": UserUpdated,
    "identity.client.registered.v1": ClientRegistered,
    "identity.client.disabled.v1": ClientDisabled,
}
