"""Hunan training registrations and quotas over HTTP (HUN-13..HUN-15) under ``/api/personnel/v1``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.deps import StorageDep
from anjian_shared.pagination import Cursor, Limit, Page
from anjian_shared.types import ShortStr

from ...service_layer import training as service

router = APIRouter(tags=["training (Hunan)"])
Id = Annotated[str, Path(max_length=64)]
RegId = Annotated[str, Path(max_length=64, description="the training registration's id")]
Kind = Literal["new_staff", "continuing"]
Status = Literal["submitted", "approved", "rejected"]
Text = Annotated[str, StringConstraints(max_length=500)]


class SessionCreate(BaseModel):
    """A session (档期) of new-staff training or continuing education."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kind": "continuing", "title": "2027 年第一期监督人员继续教育", "starts_on": "2027-03-01",
        "ends_on": "2027-03-03", "capacity": 60, "location": "长沙"}]})
    kind: Kind
    title: ShortStr
    starts_on: date = Field(description="first day (China date), today or later")
    ends_on: date = Field(description="last day, on or after starts_on")
    capacity: int = Field(ge=1, le=10000, description="seats")
    location: ShortStr | None = None


class CapacityChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    capacity: int = Field(ge=1, le=10000)


class QuotaSave(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"seats": 2}]})
    seats: int = Field(ge=0, le=10000, description="continuing-education seats of the agency in the session")


class QuotaRead(BaseModel):
    session_id: str
    agency_org_id: str
    seats: int
    used: int = Field(description="seats held by the agency's registrations")
    free: int


class SessionRead(BaseModel):
    id: str
    kind: Kind
    title: str
    starts_on: date
    ends_on: date
    location: str | None
    capacity: int
    taken: int = Field(description="seats held by registrations; never above capacity")
    free: int
    quotas: list[QuotaRead] | None = Field(default=None, description=(
        "per-agency seats (detail view only): the office sees all, an agency its own"))


class SessionPage(Page[SessionRead]):
    pass


class Personal(BaseModel):
    """Personal data of the registration form (个人信息); the rest comes from the staff record."""

    model_config = ConfigDict(extra="forbid")
    id_number: Annotated[str, StringConstraints(pattern=r"^[0-9]{17}[0-9Xx]$")] = Field(
        description="居民身份证号码 (18 characters)")
    mobile: Annotated[str, StringConstraints(pattern=r"^1[0-9]{10}$")] = Field(description="手机号码")
    workplace: ShortStr | None = None
    note: Text | None = None


class RegistrationCreate(BaseModel):
    """``new_staff`` (HUN-13): staff with no or one supervision certificate, the province
    assigns the session; ``continuing`` (HUN-14): certified staff choosing ``session_id``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kind": "continuing", "staff_id": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        "session_id": "9e8d7c6b5a4f4e3d2c1b0a9f8e7d6c5b",
        "personal": {"id_number": "430102198804120012", "mobile": "13800000000"}}]})
    kind: Kind
    staff_id: Annotated[str, StringConstraints(max_length=64)]
    session_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    personal: Personal


class Review(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"decision": "approve"}]})
    decision: Literal["approve", "reject"]
    reason: Text | None = None


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session_id: Annotated[str, StringConstraints(max_length=64)]


class ResultSave(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"score": 86}]})
    score: int = Field(ge=0, le=100, description="assessment score of 100; 60 passes")


class ReviewRead(BaseModel):
    by: str
    at: datetime
    decision: str
    reason: str | None


class ResultRead(BaseModel):
    score: int
    passed: bool
    on: date
    at: datetime


class PhotoRead(BaseModel):
    content_type: str
    size: int
    sha256: str


class RegistrationRead(BaseModel):
    id: str
    kind: Kind
    agency_org_id: str
    staff_id: str
    staff_name: str
    certificates: list[str]
    personal: dict[str, Any]
    session_id: str | None
    status: Status
    review: ReviewRead | None
    result: ResultRead | None
    photos: list[PhotoRead]
    created_at: datetime
    version: int


class RegistrationPage(Page[RegistrationRead]):
    pass


class SummaryRow(BaseModel):
    agency_org_id: str
    registered: int
    submitted: int = Field(description="未审核")
    approved: int = Field(description="审核通过")
    rejected: int = Field(description="审核不通过")
    passed: int = Field(description="考核合格")
    failed: int = Field(description="考核不合格")


class SummaryTotal(BaseModel):
    registered: int
    submitted: int
    approved: int
    rejected: int
    passed: int
    failed: int


class TrainingSummary(BaseModel):
    kind: Kind | None
    session_id: str | None
    rows: list[SummaryRow] = Field(description="one per agency, by agency id")
    total: SummaryTotal = Field(description="the rows summed")


def _mongo(request: Request) -> Any:
    return request.app.state.mongo


def _session(doc: dict[str, Any]) -> SessionRead:
    quotas = doc.get("quotas")
    return SessionRead(id=doc["_id"], **{k: doc.get(k) for k in SessionRead.model_fields if k not in ("id", "quotas")},
                       quotas=[QuotaRead(**q) for q in quotas] if quotas is not None else None)


def _registration(doc: dict[str, Any]) -> RegistrationRead:
    return RegistrationRead(id=doc["_id"], **{k: doc.get(k) for k in RegistrationRead.model_fields if k != "id"})


@router.post("/training-sessions", response_model=SessionRead, status_code=201)
async def create_session(body: SessionCreate, principal: CurrentPrincipal, request: Request) -> SessionRead:
    """HUN-14/15 档期: the province training office opens a session. 403 ``not-province-office``;
    422 ``session-starts-in-past`` (``starts_on``), ``session-ends-before-start`` (``ends_on``)."""
    return _session(await service.create_session(mongo=_mongo(request), actor=principal, **body.model_dump()))


@router.get("/training-sessions", response_model=SessionPage)
async def list_sessions(principal: CurrentPrincipal, request: Request, limit: Limit = 20, cursor: Cursor = None,
                        kind: Kind | None = None) -> SessionPage:
    """The sessions, latest start first, with their seats taken and free."""
    page = await service.list_sessions(mongo=_mongo(request), actor=principal, kind=kind, limit=limit, cursor=cursor)
    return SessionPage(items=[_session(d) for d in page.items], next_cursor=page.next_cursor)


@router.get("/training-sessions/{session_id}", response_model=SessionRead)
async def get_session(session_id: Id, principal: CurrentPrincipal, request: Request) -> SessionRead:
    """One session with its quotas (the office all agencies', an agency its own). 404
    ``training-session-not-found``."""
    return _session(await service.get_session(mongo=_mongo(request), actor=principal, session_id=session_id))


@router.put("/training-sessions/{session_id}/capacity", response_model=SessionRead)
async def change_capacity(session_id: Id, body: CapacityChange, principal: CurrentPrincipal,
                          request: Request) -> SessionRead:
    """HUN-15: change the seats; 409 ``capacity-below-taken`` / ``capacity-below-quotas``."""
    return _session(await service.change_capacity(mongo=_mongo(request), actor=principal, session_id=session_id,
                                                  capacity=body.capacity))


@router.put("/training-sessions/{session_id}/quotas/{agency_id}", response_model=QuotaRead)
async def set_quota(session_id: Id, agency_id: Id, body: QuotaSave, principal: CurrentPrincipal,
                    request: Request) -> QuotaRead:
    """HUN-15 额度分配: the province office gives an agency continuing-education seats in a
    session. 409 ``quota-exceeds-capacity`` (all agencies' seats above the capacity),
    ``quota-below-used``; 422 ``session-kind-mismatch``; 403 ``not-province-office``; 404."""
    return QuotaRead(**await service.set_quota(mongo=_mongo(request), actor=principal, session_id=session_id,
                                               agency_org_id=agency_id, seats=body.seats))


@router.post("/training-registrations", response_model=RegistrationRead, status_code=201)
async def register(body: RegistrationCreate, principal: CurrentPrincipal, request: Request) -> RegistrationRead:
    """HUN-13 新进人员培训报名 / HUN-14 继续教育报名 by the agency's leader for its own staff.
    409 ``training-quota-exhausted`` (beyond the agency's seats), ``training-session-full``,
    ``session-started``, ``already-registered``; 422 ``training-not-eligible`` (certificates
    held do not fit the training), ``session-kind-mismatch``, naming the field; 404
    ``staff-not-found`` / ``training-session-not-found``; 403 ``not-agency-leader``."""
    return _registration(await service.register(
        mongo=_mongo(request), actor=principal, kind=body.kind, staff_id=body.staff_id, session_id=body.session_id,
        personal=body.personal.model_dump()))


@router.get("/training-registrations", response_model=RegistrationPage)
async def list_registrations(principal: CurrentPrincipal, request: Request, limit: Limit = 20,
                             cursor: Cursor = None, kind: Kind | None = None, status: Status | None = None,
                             session_id: Annotated[str | None, Query(max_length=64)] = None) -> RegistrationPage:
    """Registrations newest first: the province office all, an agency its own."""
    page = await service.list_registrations(mongo=_mongo(request), actor=principal, kind=kind, status=status,
                                            session_id=session_id, limit=limit, cursor=cursor)
    return RegistrationPage(items=[_registration(d) for d in page.items], next_cursor=page.next_cursor)


@router.get("/training-summary", response_model=TrainingSummary)
async def training_summary(principal: CurrentPrincipal, request: Request, kind: Kind | None = None,
                           session_id: Annotated[str | None, Query(max_length=64)] = None) -> TrainingSummary:
    """HUN-13/14 报名汇总 / 考核汇总: per agency the registrations and their review and
    assessment counts, with the total (the office all agencies, an agency its own row)."""
    return TrainingSummary(**await service.summary(mongo=_mongo(request), actor=principal, kind=kind,
                                                   session_id=session_id))


@router.get("/training-registrations/{training_registration_id}", response_model=RegistrationRead)
async def get_registration(training_registration_id: RegId, principal: CurrentPrincipal,
                           request: Request) -> RegistrationRead:
    """One registration (its agency, the agencies above, the office); 404 otherwise."""
    return _registration(await service.get_registration(mongo=_mongo(request), actor=principal,
                                                        registration_id=training_registration_id))


@router.delete("/training-registrations/{training_registration_id}", status_code=204)
async def delete_registration(training_registration_id: RegId, principal: CurrentPrincipal,
                              request: Request) -> Response:
    """HUN-13/14 删除: own and unreviewed only; the seat goes back. 403 ``not-own-registration``;
    409 ``registration-reviewed``."""
    await service.delete_registration(mongo=_mongo(request), actor=principal,
                                      registration_id=training_registration_id)
    return Response(status_code=204)


@router.put("/training-registrations/{training_registration_id}/session", response_model=RegistrationRead)
async def assign_session(training_registration_id: RegId, body: Assignment, principal: CurrentPrincipal,
                         request: Request) -> RegistrationRead:
    """HUN-15: the province office assigns a new-staff registrant to a session (one seat).
    409 ``training-session-full``; 422 ``session-kind-mismatch``."""
    return _registration(await service.assign_session(mongo=_mongo(request), actor=principal,
                                                      registration_id=training_registration_id,
                                                      session_id=body.session_id))


@router.post("/training-registrations/{training_registration_id}/review", response_model=RegistrationRead)
async def review(training_registration_id: RegId, body: Review, principal: CurrentPrincipal, request: Request
                 ) -> RegistrationRead:
    """HUN-13/14 审核 by the training office: approve, or reject with ``reason`` (the seat goes
    back). 409 ``registration-reviewed``, ``session-not-assigned``."""
    return _registration(await service.review(mongo=_mongo(request), actor=principal,
                                              registration_id=training_registration_id, decision=body.decision,
                                              reason=body.reason))


@router.put("/training-registrations/{training_registration_id}/result", response_model=RegistrationRead)
async def record_result(training_registration_id: RegId, body: ResultSave, principal: CurrentPrincipal,
                        request: Request) -> RegistrationRead:
    """HUN-13/14 考核结果: score of an approved registration, once (60 passes; a pass goes on
    the staff record's training history and emits ``personnel.training.passed.v1``). 409
    ``training-registration-not-approved`` / ``result-recorded``."""
    return _registration(await service.record_result(mongo=_mongo(request), actor=principal,
                                                     registration_id=training_registration_id, score=body.score))


@router.post("/training-registrations/{training_registration_id}/photos", response_model=RegistrationRead)
async def add_photos(training_registration_id: RegId, principal: CurrentPrincipal, request: Request,
                     storage: StorageDep,
                     photos: Annotated[list[UploadFile], File(description="JPEG/PNG photos (证件照), ≤ the tenant's "
                                                                          "photo_max_bytes each, 4 in all")]
                     ) -> RegistrationRead:
    """HUN-13/14 报名照片 (multipart): the registering agency's leader adds photos while the
    registration is unreviewed. 413/415/422 naming ``photos``; 409 ``registration-reviewed``."""
    return _registration(await service.add_photos(
        mongo=_mongo(request), storage=storage, actor=principal, registration_id=training_registration_id,
        photos=photos))
