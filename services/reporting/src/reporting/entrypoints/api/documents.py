"""Documents (HB-09): the 告知书 and a plan's 检查结果 as PDF."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from anjian_shared.auth import CurrentPrincipal

from ...service_layer import documents as svc
from .deps import MongoDep, RendererDep, SettingsDep, StorageDep
from .responses import PDF_RESPONSE, pdf_response

router = APIRouter(tags=["documents"])

NoticeId = Annotated[str, Path(max_length=64)]
PlanId = Annotated[str, Path(max_length=64)]
Download = Annotated[bool, Query(description="true: Content-Disposition attachment instead of inline")]
MinVersion = Annotated[int | None, Query(ge=1, le=1_000_000, description=(
    "the notice's version from your last write (notices answers carry `version`): the PDF is rendered "
    "from state at least this new, else 409 not-yet-available with Retry-After"))]


@router.get("/notices/{notice_id}/document.pdf", response_class=Response, responses=PDF_RESPONSE,
            summary="The notice (告知书) as PDF")
async def notice_pdf(notice_id: NoticeId, principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                     renderer: RendererDep, settings: SettingsDep, download: Download = False,
                     min_version: MinVersion = None) -> Response:
    """HB-09: the 告知书 with title, number, project, addressee (项目部), construction stage,
    disposition, rectification date, each result (building, hazards with 重大事故隐患 marked,
    finding, photos), the responsible supervisor's signature, the seal, the issue date and the
    reply rounds with their review outcomes. Readers: the project's station, the plan's
    supervisors, the addressee contractor and repliers, the project's owner and supervision
    companies. 404 unknown (or other tenant), 403 anybody else, 409 while the plan's results
    have not arrived, 503 when no CJK font is installed.

    Fresh after a write (HB-09): reporting renders from its read model, which follows the
    notice's events a moment later. Pass the ``version`` of the notice from your last write
    (every notices answer carries it) as ``min_version``: until the read model reached it the
    answer is 409 ``not-yet-available`` with ``Retry-After`` (seconds) — retry then. The PDF's
    header ``Anjian-Notice-Version`` says which version it shows (absent for notices issued
    before versions existed)."""
    bundle = await svc.authorize_notice(mongo=mongo, principal=principal, notice_id=notice_id,
                                        min_version=min_version)
    doc = await svc.render_notice(mongo=mongo, storage=storage, renderer=renderer, tenant=principal.tenant,
                                  bundle=bundle, concurrency=settings.pdf_media_concurrency)
    return pdf_response(doc, download=download)


@router.get("/plans/{plan_id}/document.pdf", response_class=Response, responses=PDF_RESPONSE,
            summary="A plan's results (检查结果) as PDF")
async def plan_pdf(plan_id: PlanId, principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                   renderer: RendererDep, settings: SettingsDep, download: Download = False) -> Response:
    """HB-07/HB-09: the submitted plan's results project by project, with disposition, notice
    data, signature and seal. The station and the plan's supervisors see every project; a
    project's contractor, owner or supervision company sees its own project(s) only.
    404 unknown (or other tenant), 403 anybody else, 409 not submitted (yet)."""
    plan, view = await svc.authorize_plan(mongo=mongo, principal=principal, plan_id=plan_id)
    doc = await svc.render_plan(mongo=mongo, storage=storage, renderer=renderer, tenant=principal.tenant,
                                plan=plan, view=view, concurrency=settings.pdf_media_concurrency)
    return pdf_response(doc, download=download)
