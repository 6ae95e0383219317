"""Permissions, account applications and business-process help (HUN-19..HUN-22, HN-01)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from anjian_shared import flows, permissions
from anjian_shared.auth import CurrentPrincipal
from anjian_shared.deps import StorageDep, request_client_address
from anjian_shared.mongo import Mongo
from anjian_shared.pagination import Cursor, Limit
from anjian_shared.problems import problem_doc
from anjian_shared.types import ShortStr, TenantCode

from ...service_layer import account_applications as service
from ...service_layer import use_cases
from .schemas import Mobile, Password, Username

router = APIRouter(tags=["permissions"])

AppId = Annotated[str, Path(max_length=64, description="the account application's id")]
UserId = Annotated[str, Path(max_length=64, description="the user's id")]
PermissionName = Annotated[str, StringConstraints(min_length=3, max_length=60)]


def _mongo(request: Request) -> Mongo:
    return request.app.state.mongo


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserApplicationCreate(_Strict):
    """HUN-20 用户申请."""

    staff_id: str = Field(max_length=64, description="the agency's staff record (personnel) proposed as a user")
    username: Username = Field(description="the user name the account will have")
    roles: list[Literal["supervisor", "station_leader"]] = Field(
        default=["supervisor"], min_length=1, description="supervisor 监督员 / station_leader 机构负责人")
    reason: str = Field(default="", max_length=500, description="why (申请说明)")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"staff_id": "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f", "username": "li.na", "roles": ["supervisor"],
         "reason": "新入职监督员"}]})


class BureauFiling(_Strict):
    """HN-01 住建局人员账号备案 (no sign-in)."""

    tenant: TenantCode
    display_name: ShortStr = Field(description="姓名")
    mobile: Mobile = Field(description="手机号码")
    org_id: str = Field(max_length=64, description="the housing bureau (住建局, an authority organisation)")
    post: ShortStr = Field(description="职务")
    username: Username
    password: Password
    roles: list[Literal["supervisor", "station_leader"]] = Field(default=["supervisor"], min_length=1)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"tenant": "hainan", "display_name": "王芳", "mobile": "13900000002",
         "org_id": "4b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e", "post": "质安科科员", "username": "wang.fang",
         "password": "••••••••••", "roles": ["supervisor"]}]})


class FilingStatusRequest(_Strict):
    tenant: TenantCode
    filing_id: str = Field(max_length=64)
    status_key: str = Field(min_length=10, max_length=100, description="the key the filing returned")


class Decision(_Strict):
    action: Literal["accept", "not_accept", "return", "approve", "refuse"] = Field(
        description="accept 受理 / not_accept 不予受理 / return 退回 / approve 准予 / refuse 不予许可")
    comment: str = Field(default="", max_length=500, description="the reason (required for not_accept, "
                                                                 "return and refuse)")


class Resubmission(_Strict):
    comment: str = Field(default="", max_length=500)


@router.get("/permissions")
async def list_permissions(principal: CurrentPrincipal) -> dict[str, Any]:
    """The permission registry (``anjian_shared.permissions``): every named permission with its
    Chinese label, and each role's bundle. Any signed-in user."""
    return {"permissions": [{"name": n, "label": label} for n, label in permissions.PERMISSIONS.items()],
            "roles": {str(r): sorted(b) for r, b in permissions.ROLE_BUNDLES.items()}}


@router.get("/users/{user_id}/permissions")
async def get_user_permissions(user_id: UserId, principal: CurrentPrincipal, request: Request) -> dict[str, Any]:
    """HUN-19 查看权限: the user's roles with their bundles, ``granted`` and ``revoked``
    permissions and the ``effective`` set (each ``{name, label}``) and ``enabled`` (sign-in;
    changed with PATCH /users/{user_id}). Own: anyone; others: ``permissions.read`` (403
    ``permission-missing``); 404 ``user-not-found`` for users the caller can't see."""
    return await use_cases.user_permissions(mongo=_mongo(request), actor=principal, user_id=user_id)


@router.post("/user-applications", status_code=201)
async def propose_user(body: UserApplicationCreate, principal: CurrentPrincipal, request: Request) -> dict[str, Any]:
    """HUN-20 用户申请: an agency proposes one of its staff as a system user; submitted to the
    province office at once. 403 ``permission-missing`` (``users.apply``) / ``not-agency``; 422
    ``staff-not-found`` (``staff_id``: another agency's or deleted); 409 ``staff-unknown``
    (retry: personnel's record not here yet); 422 ``username-unavailable``; 409
    ``user-application-pending``."""
    return await service.propose_user(mongo=_mongo(request), actor=principal, data=body.model_dump())


@router.post("/permission-applications", status_code=201)
async def apply_permissions(
        principal: CurrentPrincipal, request: Request, storage: StorageDep,
        user_id: Annotated[str, Form(max_length=64, description="the user (of your organisation)")],
        reason: Annotated[str, Form(max_length=500, description="申请理由")],
        document: Annotated[UploadFile, File(description="审批文件 (PDF, image, DOCX …)")],
        add: Annotated[list[PermissionName] | None, Form(description="permissions to add (增加)")] = None,
        remove: Annotated[list[PermissionName] | None, Form(description="permissions to remove (删除)")] = None,
) -> dict[str, Any]:
    """HUN-21 权限申请 (multipart): add, remove or change (both) a user's permissions with a reason
    and the approval document; decided by the province office. 403 ``permission-missing``
    (``permissions.apply``); 404 ``user-not-found`` (not of your organisation); 422 naming
    ``reason``, ``add``/``remove`` (``permission-unknown``, ``permission-change-contradicts``,
    ``permission-change-empty``); 413/415 naming ``document``."""
    return await service.apply_permissions(mongo=_mongo(request), storage=storage,
                                           settings=request.app.state.settings, actor=principal,
                                           user_id=user_id, add=add or [], remove=remove or [], reason=reason,
                                           document=document)


@router.post("/account-filings", status_code=201,
             responses={429: problem_doc("too many sign-in failures or filings from this address")})
async def file_bureau_account(body: BureauFiling, request: Request) -> dict[str, Any]:
    """HN-01 住建局人员账号备案, without signing in: the filing goes to the province office; no
    account exists (no sign-in) until it approves. Returns the filing and ``status_key`` (shown
    once) for POST /account-filings/status. 422 ``organization-not-bureau`` (``org_id``),
    ``roles``, ``password-*``, ``username-unavailable``; 429 ``too-many-sign-ins`` (the filings
    count against the address's sign-in budget)."""
    return await service.file_bureau_account(mongo=_mongo(request), settings=request.app.state.settings,
                                             data=body.model_dump(), client_address=request_client_address(request))


@router.post("/account-filings/status")
async def filing_status(body: FilingStatusRequest, request: Request) -> dict[str, Any]:
    """HN-01: the filer reads their filing's stage and decision with its id and status key; 404
    ``application-not-found`` for a wrong id or key."""
    return await service.filing_status(mongo=_mongo(request), tenant=body.tenant, filing_id=body.filing_id,
                                       status_key=body.status_key)


@router.get("/account-applications")
async def list_applications(principal: CurrentPrincipal, request: Request, limit: Limit = 20, cursor: Cursor = None,
                            kind: Annotated[Literal["user", "permission", "bureau_filing"] | None, Query()] = None,
                            stage: Annotated[str | None, Query(max_length=20)] = None) -> dict[str, Any]:
    """The account applications the caller sees (province office: the province's; others:
    their organisation's), newest first; ``stage=submitted`` is the office's inbox."""
    items, nxt = await service.list_applications(mongo=_mongo(request), actor=principal, kind=kind, stage=stage,
                                                 limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": nxt}


@router.get("/account-applications/{account_application_id}")
async def get_application(account_application_id: AppId, principal: CurrentPrincipal,
                          request: Request) -> dict[str, Any]:
    """One account application with its history; 404 ``application-not-found`` for others'."""
    return await service.get_application(mongo=_mongo(request), actor=principal, app_id=account_application_id)


@router.delete("/account-applications/{account_application_id}", status_code=204)
async def delete_application(account_application_id: AppId, principal: CurrentPrincipal,
                             request: Request) -> Response:
    """HUN-20/21 删除: the applicant organisation deletes its own while undecided (未受理,
    不予受理, 已退回). 403 ``not-applicant``; 409 ``application-not-deletable``; 404."""
    await service.delete_application(mongo=_mongo(request), actor=principal, app_id=account_application_id)
    return Response(status_code=204)


@router.post("/account-applications/{account_application_id}/decision")
async def decide(account_application_id: AppId, body: Decision, principal: CurrentPrincipal,
                 request: Request) -> dict[str, Any]:
    """The province office decides (accept, not_accept, return, approve, refuse). Approval
    creates the account (HUN-20, HN-01) or changes the user's grants (HUN-21). 403
    ``not-province-office`` / ``permission-missing``; 409 ``application-not-*`` for the wrong
    stage, ``version-mismatch`` when another decision won; 422 ``comment`` without a reason,
    ``action-not-offered`` for a step the kind has not."""
    return await service.decide(mongo=_mongo(request), actor=principal, app_id=account_application_id,
                                action=body.action, comment=body.comment)


@router.post("/account-applications/{account_application_id}/resubmission")
async def resubmit(account_application_id: AppId, body: Resubmission, principal: CurrentPrincipal, request: Request
                   ) -> dict[str, Any]:
    """重新上报 a returned application (the applicant organisation). 409 ``application-not-draft``."""
    return await service.resubmit(mongo=_mongo(request), actor=principal, app_id=account_application_id,
                                  comment=body.comment)


@router.get("/flows")
async def list_flows(principal: CurrentPrincipal) -> dict[str, Any]:
    """HUN-22 业务流程: each application flow with its states and steps, generated from the
    lifecycle the code runs (``anjian_shared.applications.TRANSITIONS``), each step with its
    party, the permission it needs and ``takes_part`` for the caller."""
    return {"items": [flows.describe(f, principal) for f in flows.FLOWS]}
