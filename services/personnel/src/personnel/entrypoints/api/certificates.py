"""Hunan supervisors' personal records and certificate applications over HTTP (HUN-09..HUN-12).

- ``/agencies/{agency_id}/staff/{staff_id}/record``: view (GET) and complete (PUT) a personal
  record (人员基本信息, HUN-09); ``.../certificates`` (POST, multipart): enter a certificate with
  its photo.
- ``/certificate-applications``: the agency leader's 证书变更 (HUN-10), 证书注销 (HUN-11) and 证书补办
  (HUN-12) applications to the province office: create (multipart, with the new photo), list,
  view, submit (上报), the office's decision (受理/不予受理/退回/准予/不予许可), delete (only own,
  only while 未受理/不予受理/已退回: 409 ``application-not-deletable`` otherwise).

Photos are answered with a short-lived ``url`` (served inline as the sniffed image type).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.deps import MongoDep, StorageDep
from anjian_shared.events.common import MediaRef
from anjian_shared.types import ShortStr

from ...service_layer import certificates as service

router = APIRouter(tags=["supervisors' certificates (Hunan)"])
AgencyId = Annotated[str, Path(max_length=64)]
StaffId = Annotated[str, Path(max_length=64)]
ApplicationId = Annotated[str, Path(max_length=64)]
Mobile = Annotated[str, StringConstraints(pattern=r"^1\d{10}$")]
Number = Annotated[str, StringConstraints(min_length=1, max_length=60, strip_whitespace=True)]


class PersonalRecord(BaseModel):
    """人员基本信息 (HUN-09): the fields marked * in the manual's form are required here."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "李明", "gender": "male", "birth_date": "1988-04-12", "post": "supervisor",
        "education": "bachelor", "title": "intermediate", "mobile": "13800000002", "hired_on": "2012-07-01"}]})
    name: ShortStr = Field(description="姓名")
    gender: Literal["male", "female"] = Field(description="性别")
    birth_date: date = Field(description="出生日期")
    post: Literal["leader", "technical_leader", "supervisor", "administrative", "other"] = Field(description="岗位")
    education: Literal["doctorate", "master", "bachelor", "college", "secondary_or_below"] = Field(
        description="学历")
    title: Literal["senior", "vice_senior", "intermediate", "junior", "none"] = Field(description="职称")
    mobile: Mobile = Field(description="手机号码")
    hired_on: date | None = Field(default=None, description="入职日期 (optional)")
    version: int | None = Field(default=None, ge=1, description="the version read (409 version-mismatch if changed)")


class SubmitBody(BaseModel):
    """上报 (HUN-10..12)."""

    model_config = ConfigDict(extra="forbid")
    comment: Annotated[str, StringConstraints(max_length=500)] = Field(default="", description="备注")
    authority_org_id: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, description="the province office to submit to (optional while the province has one)")


class Decision(BaseModel):
    """The province office's step (HUN-10..12)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"action": "return",
                                                                              "comment": "照片不清晰，请重新上传"}]})
    action: Literal["accept", "not_accept", "return", "approve", "refuse"] = Field(
        description="accept 受理 / not_accept 不予受理 / return 退回 / approve 准予 / refuse 不予许可")
    comment: Annotated[str, StringConstraints(max_length=500)] = Field(
        default="", description="the reason (required for not_accept, return, refuse)")


async def _with_urls(storage: Any, doc: dict[str, Any]) -> dict[str, Any]:
    """The document with ``id`` for ``_id`` and a ``url`` on every photo."""
    out = {("id" if k == "_id" else k): v for k, v in doc.items() if k not in ("tenant_id",)}

    async def photo(ref: dict[str, Any] | None) -> dict[str, Any] | None:
        if not ref or "key" not in ref:
            return ref
        return {**ref, "url": await storage.presigned_get(MediaRef(**ref))}

    if "certificates" in out:
        out["certificates"] = [{**c, "photo": await photo(c.get("photo"))} for c in out["certificates"] or []]
    if isinstance(out.get("form"), dict):
        out["form"] = {**out["form"], "photo": await photo(out["form"].get("photo"))}
    return out


@router.get("/agencies/{agency_id}/staff/{staff_id}/record")
async def personal_record(agency_id: AgencyId, staff_id: StaffId, principal: CurrentPrincipal, mongo: MongoDep,
                          storage: StorageDep) -> dict[str, Any]:
    """HUN-09 查看: the staff member's personal record, ``certificates`` (each with its photo
    ``url``) and ``missing`` (required fields still empty). 404 when not visible."""
    doc = await service.personal_record(mongo=mongo, actor=principal, agency_org_id=agency_id, staff_id=staff_id)
    return await _with_urls(storage, doc)


@router.put("/agencies/{agency_id}/staff/{staff_id}/record")
async def complete_record(agency_id: AgencyId, staff_id: StaffId, body: PersonalRecord, principal: CurrentPrincipal,
                          mongo: MongoDep, storage: StorageDep) -> dict[str, Any]:
    """HUN-09 完善: the agency's leader fills the required fields (403 ``not-agency-leader``;
    422 naming the field; 409 ``version-mismatch`` with a stale ``version``)."""
    data = body.model_dump(exclude={"version"}, exclude_none=True)
    doc = await service.complete_record(mongo=mongo, actor=principal, agency_org_id=agency_id, staff_id=staff_id,
                                        data=data, if_version=body.version)
    return await _with_urls(storage, doc)


@router.post("/agencies/{agency_id}/staff/{staff_id}/certificates", status_code=201)
async def add_certificate(agency_id: AgencyId, staff_id: StaffId, principal: CurrentPrincipal, mongo: MongoDep,
                          storage: StorageDep,
                          kind: Annotated[Literal["quality", "safety"], Form(description="quality 质量 / safety 安全")],
                          number: Annotated[Number, Form(description="证书编号")],
                          issued_on: Annotated[date, Form(description="发证日期")],
                          valid_until: Annotated[date, Form(description="有效期至")],
                          photo: Annotated[UploadFile, File(description="证书照片 (JPEG/PNG)")]) -> dict[str, Any]:
    """HUN-09 a certificate with its photo (multipart). 409 ``certificate-kind-held``; 413/415
    naming ``photo``; 422 naming the field. Returns the personal record."""
    doc = await service.add_certificate(mongo=mongo, storage=storage, actor=principal, agency_org_id=agency_id,
                                        staff_id=staff_id, photo=photo,
                                        data={"kind": kind, "number": number, "issued_on": issued_on,
                                              "valid_until": valid_until})
    return await _with_urls(storage, doc)


@router.post("/certificate-applications", status_code=201)
async def create_application(
        principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
        kind: Annotated[Literal["cert_change", "cert_cancellation", "cert_reissue"], Form(
            description="cert_change 证书变更 / cert_cancellation 证书注销 / cert_reissue 证书补办")],
        staff_id: Annotated[str, Form(max_length=64, description="the staff member")],
        certificate_id: Annotated[str, Form(max_length=64, description="the certificate on the record")],
        change_types: Annotated[list[Literal["number", "validity", "photo"]] | None, Form(
            description="cert_change: 变更类型 number / validity / photo")] = None,
        new_number: Annotated[str | None, Form(max_length=60, description="cert_change number: 新证书编号")] = None,
        new_issued_on: Annotated[date | None, Form(description="cert_change validity: 新发证日期")] = None,
        new_valid_until: Annotated[date | None, Form(description="cert_change validity: 新有效期至")] = None,
        category: Annotated[Literal["retired", "transferred", "deceased", "violation", "voluntary", "other"] | None,
                            Form(description="cert_cancellation: 注销类别")] = None,
        reason: Annotated[str | None, Form(max_length=500, description=(
            "cert_cancellation: 注销原因 (text); cert_reissue: lost 遗失 / damaged 损毁"))] = None,
        photo: Annotated[UploadFile | None, File(description=(
            "the new certificate's photo (cert_change number/photo, cert_reissue)"))] = None) -> dict[str, Any]:
    """HUN-10/11/12 新增 (the caller's agency applies, its leader; 403 ``not-agency-leader``):
    a draft (stage ``draft``). 422 naming the missing field of the kind; 409
    ``certificate-cancelled`` / ``certificate-application-pending``; 404 for another agency's staff."""
    form = {"staff_id": staff_id, "certificate_id": certificate_id, "change_types": change_types or [],
            "new_number": new_number, "new_issued_on": new_issued_on, "new_valid_until": new_valid_until,
            "category": category, "reason": reason}
    doc = await service.create_application(mongo=mongo, storage=storage, actor=principal,
                                           agency_org_id=principal.org_id, kind=kind, form=form, photo=photo)
    return await _with_urls(storage, doc)


@router.get("/certificate-applications")
async def list_applications(principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                            kind: Annotated[Literal["cert_change", "cert_cancellation", "cert_reissue"] | None,
                                            Query()] = None,
                            box: Annotated[Literal["in_progress", "completed", "inbox"] | None, Query(
                                description="agency: in_progress 在办 / completed 办结; office: inbox 待办")] = None,
                            limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict[str, Any]]:
    """HUN-10..12 lists, newest first: an agency's own; the province office's addressed to it."""
    docs = await service.list_applications(mongo=mongo, actor=principal, kind=kind, box=box, limit=limit)
    return [await _with_urls(storage, d) for d in docs]


@router.get("/certificate-applications/{application_id}")
async def get_application(application_id: ApplicationId, principal: CurrentPrincipal, mongo: MongoDep,
                          storage: StorageDep) -> dict[str, Any]:
    """HUN-10..12 查看: one application with its history (404 ``application-not-found``)."""
    return await _with_urls(storage, await service.get_application(mongo=mongo, actor=principal,
                                                                   app_id=application_id))


@router.post("/certificate-applications/{application_id}/submit")
async def submit_application(application_id: ApplicationId, body: SubmitBody, principal: CurrentPrincipal,
                             mongo: MongoDep, storage: StorageDep) -> dict[str, Any]:
    """HUN-10..12 上报 / resubmission after 退回, to the province office. 409
    ``application-not-draft``; 409 ``province-office-unknown`` (retryable)."""
    doc = await service.submit_application(mongo=mongo, actor=principal, app_id=application_id,
                                           comment=body.comment, authority_org_id=body.authority_org_id)
    return await _with_urls(storage, doc)


@router.post("/certificate-applications/{application_id}/decision")
async def decide_application(application_id: ApplicationId, body: Decision, principal: CurrentPrincipal,
                             mongo: MongoDep, storage: StorageDep) -> dict[str, Any]:
    """HUN-10..12 the province office's step; ``approve`` changes the certificate and emits
    ``personnel.supervisor_certificate.changed.v1``. 403 ``not-addressed-authority``; 409 per stage."""
    doc = await service.decide_application(mongo=mongo, actor=principal, app_id=application_id,
                                           action=body.action, comment=body.comment)
    return await _with_urls(storage, doc)


@router.delete("/certificate-applications/{application_id}", status_code=204)
async def delete_application(application_id: ApplicationId, principal: CurrentPrincipal, mongo: MongoDep,
                             storage: StorageDep) -> Response:
    """HUN-10..12 删除: own agency only (403 ``not-applicant``), only while 未受理/不予受理/已退回
    (409 ``application-not-deletable`` saying the stage)."""
    await service.delete_application(mongo=mongo, storage=storage, actor=principal, app_id=application_id)
    return Response(status_code=204)
