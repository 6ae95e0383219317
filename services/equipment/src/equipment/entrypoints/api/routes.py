"""HTTP API of the crane registry under ``/api/equipment/v1`` (HEB-03/06/07/12/14/15/17).

Errors are RFC 9457 problems: 403 role/organisation, 404 invisible, 409 state or lock
(``machine-locked``, ``operator-locked`` naming where), 413 attachment over the province's limit,
422 naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Path, Query, Request, Response, UploadFile, status
from pydantic import BaseModel, Field

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.deps import MongoDep, StorageDep, app_settings
from anjian_shared.errors import ServiceUnavailable
from anjian_shared.pagination import Cursor, Limit

from ...domain.model import Kind
from ...service_layer import applications as cases
from ...service_layer import signs
from ...settings import Settings

router = APIRouter(tags=["equipment"])
SettingsDep = Annotated[Settings, Depends(app_settings)]
AppId = Annotated[str, Path(max_length=64, description="application id")]


class ApplicationCreate(BaseModel):
    kind: Kind = Field(description="filing 设备备案 | supplementary 补录 | installation 安装告知 | "
                                   "use_registration 使用登记 | dismantling 拆卸告知 | installer_entry 进冀备案")
    form: dict[str, Any]


class FormUpdate(BaseModel):
    form: dict[str, Any]


class Submission(BaseModel):
    authority_org_id: str | None = Field(
        default=None, max_length=64,
        description="optional: the authority the platform picks from GB/T 2260 codes (where the owner is "
                    "registered / where the project is); when given it must be that one (422 otherwise). "
                    "Needed only when the applicant's or station's division is not known.")


class DecisionCreate(BaseModel):
    action: Literal["accept", "not_accept", "return", "approve", "refuse"]
    comment: str = Field(default="", max_length=2000, description="reason (不予受理, 退回, 不予许可) or decision")


class Reason(BaseModel):
    reason: str = Field(max_length=2000)


class BanCreate(BaseModel):
    model: str = Field(min_length=1, max_length=64)
    reason: str = Field(default="", max_length=500)


def _out(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k not in ("_id", "tenant_id")}
    out["id"] = doc["_id"]
    return out


@router.post("/applications", status_code=status.HTTP_201_CREATED, summary="New application (draft)")
async def create(body: ApplicationCreate, principal: CurrentPrincipal, mongo: MongoDep,
                 response: Response) -> dict[str, Any]:
    """HEB-03 a draft of ``kind`` with its ``form`` (422 naming ``form.<field>``; 403 company role)."""
    doc = await cases.create_application(mongo=mongo, principal=principal, kind=body.kind, form=body.form)
    response.headers["Location"] = f"/api/equipment/v1/applications/{doc['_id']}"
    return _out(doc)


@router.get("/applications", summary="在办 / 办结 of my organisation, or my authority's inbox")
async def list_(principal: CurrentPrincipal, mongo: MongoDep,
                view: Annotated[Literal["mine", "inbox"], Query()] = "mine",
                box: Annotated[Literal["in_progress", "completed"] | None, Query()] = None,
                kind: Annotated[Kind | None, Query()] = None) -> list[dict[str, Any]]:
    """HEB-03 lists, newest first (at most 50)."""
    docs = await cases.list_applications(mongo=mongo, principal=principal, view=view, box=box,
                                         kind=kind.value if kind else None)
    return [_out(d) for d in docs]


@router.get("/applications/summary", summary="HEB-02 home: status of my organisation's applications")
async def summary(principal: CurrentPrincipal, mongo: MongoDep) -> dict[str, Any]:
    """HEB-02 ``{"by_kind": {kind: {"kind_label", "stages": {stage: n}}}, "in_progress": n,
    "completed": n}`` for the caller's organisation, plus ``inbox`` ``{"submitted", "accepted"}``
    for an authority or station."""
    return await cases.status_summary(mongo=mongo, principal=principal)


@router.get("/applications/{app_id}", summary="One application with its history")
async def get(app_id: AppId, principal: CurrentPrincipal, mongo: MongoDep) -> dict[str, Any]:
    """HEB-03 (404 when the caller may not see it)."""
    return _out(await cases.get_application(mongo=mongo, principal=principal, app_id=app_id))


@router.put("/applications/{app_id}/form", summary="Edit a draft or returned application")
async def edit(app_id: AppId, body: FormUpdate, principal: CurrentPrincipal, mongo: MongoDep) -> dict[str, Any]:
    """HEB-03 (403 ``not-applicant``; 409 ``application-not-draft``)."""
    return _out(await cases.update_application(mongo=mongo, principal=principal, app_id=app_id, form=body.form))


@router.post("/applications/{app_id}/attachments", status_code=status.HTTP_201_CREATED, summary="Attach a file")
async def attach(app_id: AppId, principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                 settings: SettingsDep, slot: Annotated[str, Query(max_length=40)],
                 file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    """HEB-17 one file into ``slot`` (e.g. ``product_certificate``): 413 over the province's
    limit (Hebei 600 KB: split the file), 415 not PDF/DOCX/XLSX/JPEG/PNG; ``warnings`` lists a
    scan below 1024×768 (accepted)."""
    doc, warnings = await cases.add_attachment(mongo=mongo, storage=storage, settings=settings,
                                               principal=principal, app_id=app_id, slot=slot, upload=file)
    return {**_out(doc), "warnings": warnings}


@router.post("/applications/{app_id}/submission", summary="上报 (submit or resubmit)")
async def submit(app_id: AppId, body: Submission, principal: CurrentPrincipal, mongo: MongoDep) -> dict[str, Any]:
    """HEB-03/06/07/14/15 (409 ``machine-locked`` / ``operator-locked`` naming where, and the
    filing refusals; see the service layer)."""
    return _out(await cases.submit_application(mongo=mongo, principal=principal, app_id=app_id,
                                               authority_org_id=body.authority_org_id))


@router.post("/applications/{app_id}/decisions", summary="受理 / 不予受理 / 退回 / 办结")
async def decide(app_id: AppId, body: DecisionCreate, principal: CurrentPrincipal,
                 mongo: MongoDep) -> dict[str, Any]:
    """HEB-03 the addressed authority's step (403 ``not-addressed-authority``; 409 stage)."""
    return _out(await cases.decide(mongo=mongo, principal=principal, app_id=app_id, action=body.action,
                                   comment=body.comment))


@router.delete("/operator-locks/{person_id}", summary="Unlock a special-operations person (authority)")
async def unlock(person_id: Annotated[str, Path(max_length=64)], body: Reason, principal: CurrentPrincipal,
                 mongo: MongoDep) -> dict[str, Any]:
    """HEB-07 explicit, audited, with a reason (403 not authority staff; 404 not locked)."""
    return _out(await cases.unlock_operator(mongo=mongo, principal=principal, person_id=person_id,
                                            reason=body.reason))


@router.post("/machines/{machine_id}/cancellation", summary="注销 a scrapped machine")
async def cancel(machine_id: Annotated[str, Path(max_length=64)], body: Reason, principal: CurrentPrincipal,
                 mongo: MongoDep) -> dict[str, Any]:
    """HEB-06 (403 ``not-owner``; 409 ``machine-locked`` while it stands on a project)."""
    return _out(await cases.cancel_machine(mongo=mongo, principal=principal, machine_id=machine_id,
                                           reason=body.reason))


@router.get("/machines", summary="The registry: machines, where each stands, who operates it")
async def machines(principal: CurrentPrincipal, mongo: MongoDep, limit: Limit = 20,
                   cursor: Cursor = None) -> dict[str, Any]:
    """HEB-06/07/14 one page ``{"items": [...], "next_cursor": …}`` (authorities: the whole
    province; a company: its own machines), oldest first; each item has its filing
    (``filing_number``, ``status`` pending | filed | cancelled), ``project_id``/``project_name``
    where it stands and ``operators``. 422 naming ``cursor``."""
    items, nxt = await cases.registry(mongo=mongo, principal=principal, limit=limit, cursor=cursor)
    return {"items": [_out(m) for m in items], "next_cursor": nxt}


@router.get("/banned-models", summary="The province's banned/eliminated models")
async def banned(principal: CurrentPrincipal, mongo: MongoDep) -> list[dict[str, Any]]:
    """HEB-06."""
    return [_out(b) for b in await cases.list_banned(mongo=mongo, principal=principal)]


@router.post("/banned-models", status_code=status.HTTP_201_CREATED, summary="List a banned model (province admin)")
async def ban(body: BanCreate, principal: CurrentPrincipal, mongo: MongoDep) -> dict[str, Any]:
    """HEB-06 (403 ``not-province-admin``; 409 ``model-already-banned``)."""
    return _out(await cases.ban_model(mongo=mongo, principal=principal, model=body.model, reason=body.reason))


@router.delete("/banned-models/{ban_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a listed model")
async def unban(ban_id: Annotated[str, Path(max_length=64)], principal: CurrentPrincipal, mongo: MongoDep) -> None:
    """HEB-06 (province admin)."""
    await cases.unban_model(mongo=mongo, principal=principal, ban_id=ban_id)


def _font(request: Request) -> Any:
    font = getattr(request.app.state, "cjk_font", None)
    if font is None:
        raise ServiceUnavailable(f"the registration sign can't be rendered: "
                                 f"{getattr(request.app.state, 'pdf_error', 'no CJK font')}", slug="pdf-unavailable")
    return font


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/applications/{app_id}/sign.pdf", response_class=Response, summary="登记标志 (registration sign) PDF",
            responses={200: {"content": {"application/pdf": {}}}})
async def sign(app_id: AppId, principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep,
               request: Request) -> Response:
    """HEB-07 the sign of an approved use registration: number, machine, project, operators and a
    QR code of its public status page. 404 not visible; 409 ``registration-not-approved``; 503
    ``pdf-unavailable`` without a CJK font."""
    name, pdf = await signs.sign_pdf(mongo=mongo, principal=principal, app_id=app_id, font=_font(request),
                                     public_base_url=settings.public_base_url)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}",
                             "Cache-Control": "private, no-store"})


@router.get("/public/signs/{token}", summary="Public status of a registration sign (no sign-in)")
async def public_sign(token: Annotated[str, Path(min_length=10, max_length=120)], mongo: MongoDep,
                      response: Response) -> dict[str, Any]:
    """HEB-07 what the sign's QR code opens, WITHOUT authentication: ``registration_number``,
    ``status`` valid | dismantled | cancelled (``status_label`` 有效/已拆卸/已注销), the machine and
    the project's name — only what the sign shows. 404 ``sign-not-found``."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return await signs.public_status(mongo=mongo, token=token)


@router.get("/machines.xlsx", response_class=Response, summary="The registry as XLSX",
            responses={200: {"content": {XLSX: {}}}})
async def machines_xlsx(principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep) -> Response:
    """HEB-06 machines with their filing, where each stands and who operates it (authorities:
    the province; a company: its own). 422 naming ``limit`` past ``registry_export_max_rows``."""
    data = await signs.registry_xlsx(mongo=mongo, principal=principal, max_rows=settings.registry_export_max_rows)
    return Response(data, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote('起重机械登记台账.xlsx')}",
        "Cache-Control": "private, no-store"})
