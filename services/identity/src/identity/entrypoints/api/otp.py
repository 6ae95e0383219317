"""One-time-code sign-in by mobile number (FJ-01, HN-01) under ``/api/identity/v1``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.deps import request_client_address
from anjian_shared.problems import problem_doc
from anjian_shared.types import TenantCode

from ...service_layer import otp
from ...service_layer.sms import gateway
from .routes import user_read
from .schemas import Mobile, TokenPair, UserRead

router = APIRouter(tags=["tokens"])

Code = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]


class CodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"tenant": "fujian",
                                                                               "mobile": "13900000002"}]})
    tenant: TenantCode
    mobile: Mobile


class CodeSent(BaseModel):
    expires_in: int = Field(description="seconds the code stays valid (300)")


class CodeSession(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "tenant": "fujian", "mobile": "13900000002", "code": "123456"}]})
    tenant: TenantCode
    mobile: Mobile
    code: Code = Field(description="the 6 digits received by SMS")


class BindCodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mobile: Mobile


class BindMobile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mobile: Mobile
    code: Code


class DevMessage(BaseModel):
    mobile: str
    code: str
    text: str
    at: Any


@router.post("/otp", response_model=CodeSent, status_code=202,
             responses={429: problem_doc("too many codes for the number, or failures from the address")})
async def request_code(body: CodeRequest, request: Request) -> CodeSent:
    """Send a 6-digit sign-in code by SMS to a mobile number tied to an account (FJ-01, HN-01).
    No sign-in needed. 202 ``{expires_in: 300}``. 422 ``mobile-not-registered`` (no account
    of the province has this verified number — for Fujian: not the number the integration
    platform registered); 403 ``project-not-assessable`` (an account from Fujian's platform
    whose projects are none 在建可评价); 429 ``too-many-codes`` (5 per number in 15 minutes) or
    ``too-many-sign-ins`` (failures from the address); 503 ``sms-unavailable``."""
    out = await otp.request_code(mongo=request.app.state.mongo, settings=request.app.state.settings,
                                 gateway=gateway(request.app), tenant=body.tenant, mobile=body.mobile,
                                 client_address=request_client_address(request))
    return CodeSent(**out)


@router.post("/sessions/otp", response_model=TokenPair,
             responses={429: problem_doc("too many wrong codes for the number or from the address")})
async def create_session_with_code(body: CodeSession, request: Request) -> dict[str, Any]:
    """Sign in with the code sent to the mobile number (FJ-01, HN-01): the usual token pair.
    Single use: of two uses of one code (even at the same moment) one succeeds. 401
    ``otp-invalid`` (wrong or used) / ``otp-expired`` (after 5 minutes); 422
    ``mobile-not-registered``; 403 ``project-not-assessable``; 429 ``too-many-sign-ins``
    after 5 wrong codes for the number in 15 minutes or the address's failure budget."""
    return await otp.sign_in_with_code(mongo=request.app.state.mongo, settings=request.app.state.settings,
                                       tenant=body.tenant, mobile=body.mobile, code=body.code,
                                       client_address=request_client_address(request))


@router.post("/me/mobile/otp", response_model=CodeSent, status_code=202, tags=["users"],
             responses={429: problem_doc("too many codes for the number")})
async def request_bind_code(body: BindCodeRequest, principal: CurrentPrincipal, request: Request) -> CodeSent:
    """HN-01: send a code to the number the signed-in user wants to tie to their account
    (409 ``mobile-taken`` when another account holds it verified; 429 ``too-many-codes``)."""
    out = await otp.request_bind_code(mongo=request.app.state.mongo, settings=request.app.state.settings,
                                      gateway=gateway(request.app), actor=principal, mobile=body.mobile)
    return CodeSent(**out)


@router.post("/me/mobile", response_model=UserRead, tags=["users"],
             responses={429: problem_doc("too many wrong codes for the number or from the address")})
async def bind_mobile(body: BindMobile, principal: CurrentPrincipal, request: Request) -> UserRead:
    """HN-01: tie the mobile number to the signed-in account with the code sent to it; the
    number is then verified and signs in by code. 401 ``otp-invalid`` / ``otp-expired``; 409
    ``mobile-taken``."""
    doc = await otp.bind_mobile(mongo=request.app.state.mongo, settings=request.app.state.settings,
                                actor=principal, mobile=body.mobile, code=body.code,
                                client_address=request_client_address(request))
    return user_read(doc)


@router.get("/dev/sms", response_model=list[DevMessage], tags=["development"])
async def dev_sms(request: Request, tenant: Annotated[TenantCode, Query()],
                  mobile: Annotated[Mobile, Query()]) -> list[DevMessage]:
    """Development SMS gateway only (404 otherwise, never in production): the last messages
    "sent" to ``mobile``, newest first, with their codes — what a developer or ``make demo``
    reads instead of a phone."""
    rows = await otp.dev_messages(mongo=request.app.state.mongo, settings=request.app.state.settings,
                                  tenant=tenant, mobile=mobile)
    return [DevMessage(**r) for r in rows]
