"""Company self-registration over HTTP (HEB-01) and the authority of a division."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.deps import request_client_address
from anjian_shared.pagination import Cursor, Limit, Page
from anjian_shared.problems import problem_doc
from anjian_shared.types import ShortStr, TenantCode, utcnow

from ...domain.registration import is_overdue
from ...service_layer import registrations as service
from .routes import org_read
from .schemas import DivisionCode, Mobile, OrganizationRead, Username

router = APIRouter(tags=["company registration"])


class CompanyRegistrationCreate(BaseModel):
    """What a company enters to register itself (HEB-01)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "tenant": "hebei", "company_name": "河北某起重设备租赁有限公司", "credit_code": "914403001922038216",
        "company_roles": ["leasing"], "in_province": True, "division_code": "130102",
        "contact_name": "李四", "contact_mobile": "13800000000",
        "admin": {"username": "lease.admin", "password": "Tower-crane-2026"}}]})

    class Admin(BaseModel):
        model_config = ConfigDict(extra="forbid")
        username: Username
        password: Annotated[str, StringConstraints(min_length=8, max_length=128)] = Field(
            description="8+ characters mixing letters and digits or signs, not containing the user name")

    tenant: TenantCode
    company_name: ShortStr
    credit_code: Annotated[str, StringConstraints(min_length=1, max_length=40)] = Field(
        description="统一社会信用代码, 18 characters, check character per GB 32100")
    company_roles: Annotated[list[Literal["owner", "contractor", "leasing", "installer"]],
                             Field(min_length=1, max_length=4)]
    in_province: bool = Field(description="true: registered in the province; false: out of province")
    division_code: DivisionCode = Field(description="GB/T 2260 code where the company is registered")
    contact_name: ShortStr
    contact_mobile: Mobile
    admin: Admin


class CompanyRegistrationRead(BaseModel):
    id: str
    tenant: str
    company_name: str
    credit_code: str
    company_roles: list[str]
    in_province: bool
    division_code: str
    division_name: str | None = None
    contact_name: str
    contact_mobile: str
    admin_username: str
    authority_org_id: str | None
    status: Literal["pending", "enabled", "refused"]
    reason: str | None = None
    org_id: str | None = None
    submitted_at: datetime
    due_at: datetime
    overdue: bool = Field(description="pending for more than 24 h (HEB-01)")
    decided_at: datetime | None = None
    version: int


class CompanyRegistrationSubmitted(CompanyRegistrationRead):
    status_token: str = Field(description="shown once: poll GET …/company-registrations/{id}/status with it")


class CompanyRegistrationStatus(BaseModel):
    id: str
    status: Literal["pending", "enabled", "refused"]
    reason: str | None = None
    submitted_at: datetime
    decided_at: datetime | None = None


class CompanyRegistrationPage(Page[CompanyRegistrationRead]):
    pass


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["enable", "refuse"]
    reason: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        default=None, description="required to refuse")


def _read(doc: dict[str, Any]) -> CompanyRegistrationRead:
    from anjian_shared import divisions
    return CompanyRegistrationRead(
        id=doc["_id"], tenant=doc["tenant_id"], division_name=divisions.full_name(doc["division_code"]),
        overdue=is_overdue(doc, utcnow()),
        **{k: doc.get(k) for k in ("company_name", "credit_code", "company_roles", "in_province",
                                   "division_code", "contact_name", "contact_mobile", "admin_username",
                                   "authority_org_id", "status", "reason", "org_id", "submitted_at",
                                   "due_at", "decided_at", "version")})


_address = request_client_address  # behind the gateway: the forwarded address of a trusted proxy


@router.post("/company-registrations", response_model=CompanyRegistrationSubmitted, status_code=201,
             responses={409: problem_doc("credit code or user name taken"),
                        422: problem_doc("bad credit code, unknown division, weak password (field named)"),
                        429: problem_doc("too many registrations from this address")})
async def submit(body: CompanyRegistrationCreate, request: Request) -> CompanyRegistrationSubmitted:
    """HEB-01: a company registers itself, without signing in. Waits for review by the
    authority of its division (out-of-province companies: the province office). Returns the
    registration with a ``status_token`` (shown once) to poll its status. Throttled per
    client address (429 ``registration-throttled`` with Retry-After)."""
    data = body.model_dump(exclude={"admin", "tenant"})
    data.update(admin_username=body.admin.username, admin_password=body.admin.password)
    doc, token = await service.submit_registration(mongo=request.app.state.mongo, tenant=body.tenant,
                                                   data=data, address=_address(request),
                                                   settings=request.app.state.settings)
    return CompanyRegistrationSubmitted(**_read(doc).model_dump(), status_token=token)


@router.get("/company-registrations/{registration_id}/status", response_model=CompanyRegistrationStatus)
async def status(registration_id: Annotated[str, Path(max_length=64)], request: Request,
                 tenant: Annotated[str, Query(max_length=40)],
                 x_registration_token: Annotated[str, Header(max_length=100)]) -> CompanyRegistrationStatus:
    """The applicant polls its registration (no sign-in) with the token from submission in
    the ``X-Registration-Token`` header: pending / enabled / refused (with the reason). 404
    for a wrong id or token."""
    doc = await service.registration_status(mongo=request.app.state.mongo, tenant=tenant,
                                            registration_id=registration_id, token=x_registration_token)
    return CompanyRegistrationStatus(id=doc["_id"], status=doc["status"], reason=doc.get("reason"),
                                     submitted_at=doc["submitted_at"], decided_at=doc.get("decided_at"))


@router.get("/company-registrations", response_model=CompanyRegistrationPage)
async def list_registrations(principal: CurrentPrincipal, request: Request,
                             status: Literal["pending", "enabled", "refused"] | None = None,
                             overdue: bool | None = None, limit: Limit = 20,
                             cursor: Cursor = None) -> CompanyRegistrationPage:
    """The authority's to-do list (HEB-01): registrations within its division (the province
    office: all of the province), oldest first, each with ``overdue`` (pending > 24 h);
    ``overdue=true`` only those. 403 ``not-registration-reviewer`` for others."""
    docs, nxt = await service.list_registrations(mongo=request.app.state.mongo, actor=principal, status=status,
                                                 overdue=overdue, limit=limit, cursor=cursor)
    return CompanyRegistrationPage(items=[_read(d) for d in docs], next_cursor=nxt)


@router.get("/company-registrations/{registration_id}", response_model=CompanyRegistrationRead)
async def get_registration(registration_id: Annotated[str, Path(max_length=64)], principal: CurrentPrincipal,
                           request: Request) -> CompanyRegistrationRead:
    """One registration the caller's authority reviews; 404 otherwise."""
    return _read(await service.get_registration(mongo=request.app.state.mongo, actor=principal,
                                                registration_id=registration_id))


@router.post("/company-registrations/{registration_id}/decision", response_model=CompanyRegistrationRead)
async def decide(registration_id: Annotated[str, Path(max_length=64)], body: Decision,
                 principal: CurrentPrincipal, request: Request) -> CompanyRegistrationRead:
    """Enable (creates the company and its administrator in one transaction) or refuse (with
    a ``reason``, 422 without) a pending registration; audited, an event tells the
    applicant. 404 outside the caller's jurisdiction; 409 ``registration-already-decided``."""
    doc = await service.decide_registration(mongo=request.app.state.mongo, actor=principal,
                                            registration_id=registration_id, enable=body.decision == "enable",
                                            reason=body.reason, address=_address(request))
    return _read(doc)


@router.get("/authorities/for-division/{code}", response_model=OrganizationRead, tags=["organizations"])
async def authority_for_division(code: Annotated[str, Path(pattern=r"^\d{6}$")], principal: CurrentPrincipal,
                                 request: Request) -> OrganizationRead:
    """The authority where something of division ``code`` is registered: the caller's
    province's authority whose division is the nearest ancestor-or-self of ``code``
    (HEB-01/06). 422 ``unknown-division``; 404 when no authority encloses it."""
    from anjian_shared.errors import NotFound
    org = await service.authority_for_division(mongo=request.app.state.mongo, tenant=principal.tenant, code=code)
    if org is None:
        raise NotFound("no authority of your province encloses that division", slug="authority-not-found")
    return org_read(org)
