"""Share links (HB-09): make a link to a document; open it without signing in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response, status

from anjian_shared.auth import CurrentPrincipal

from ...domain.share_links import SharedDocument
from ...service_layer import documents as docs
from ...service_layer import share_links as svc
from .deps import MongoDep, RendererDep, SettingsDep, StorageDep
from .responses import PDF_RESPONSE, PNG_RESPONSE, pdf_response
from .schemas import ShareLinkCreate, ShareLinkRead

router = APIRouter(tags=["share links"])

NoticeId = Annotated[str, Path(max_length=64)]
PlanId = Annotated[str, Path(max_length=64)]
Token = Annotated[str, Path(max_length=200, description="the token of a share link")]
Expiry = Annotated[ShareLinkCreate | None, Body(description="omit for the default of 1440 minutes")]

GONE = {410: {"description": "the share link has expired", "content": {"application/problem+json": {}}}}


def _read(link: svc.CreatedLink) -> ShareLinkRead:
    return ShareLinkRead(id=link.id, document=link.document.value, target_id=link.target_id, token=link.token,
                         url=link.url, qr_url=link.url + "/qr.png", expires_at=link.expires_at)


@router.post("/notices/{notice_id}/share-links", response_model=ShareLinkRead, status_code=status.HTTP_201_CREATED,
             summary="Share the notice (告知书) as a link")
async def share_notice(notice_id: NoticeId, principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep,
                       body: Expiry = None) -> ShareLinkRead:
    """HB-09: a link (``url``, valid ``expires_in_minutes`` 1..10080, default 1440) that opens the
    notice's PDF without signing in. Only a user who may read the notice: 404 unknown/other tenant,
    403, 409 as for the download; 422 naming ``expires_in_minutes`` when out of range."""
    minutes = body.expires_in_minutes if body else settings.share_link_default_minutes
    link = await svc.create_link(mongo=mongo, principal=principal, document=SharedDocument.NOTICE,
                                 target_id=notice_id, minutes=minutes, base_url=settings.public_base_url)
    return _read(link)


@router.post("/plans/{plan_id}/share-links", response_model=ShareLinkRead, status_code=status.HTTP_201_CREATED,
             summary="Share a plan's results (检查结果) as a link")
async def share_plan(plan_id: PlanId, principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep,
                     body: Expiry = None) -> ShareLinkRead:
    """HB-09: like the notice's link, for the plan's results; the link shows what its creator may
    read (a company: its own projects only)."""
    minutes = body.expires_in_minutes if body else settings.share_link_default_minutes
    link = await svc.create_link(mongo=mongo, principal=principal, document=SharedDocument.PLAN,
                                 target_id=plan_id, minutes=minutes, base_url=settings.public_base_url)
    return _read(link)


@router.get("/shared/{token}", response_class=Response, responses={**PDF_RESPONSE, **GONE},
            summary="Open a share link (no sign-in)")
async def open_shared(token: Token, mongo: MongoDep, storage: StorageDep, renderer: RendererDep,
                      settings: SettingsDep) -> Response:
    """HB-09: the shared document's PDF, rendered now (latest reply rounds), WITHOUT authentication
    while the link is unexpired. 404 unknown or altered token, 410 expired, 409 not yet available."""
    tenant, link = await svc.resolve_link(mongo=mongo, token=token)
    if link["document"] == SharedDocument.NOTICE.value:
        bundle = await docs.load_notice(mongo=mongo, tenant=tenant, notice_id=link["target_id"])
        rendered = await docs.render_notice(mongo=mongo, storage=storage, renderer=renderer, tenant=tenant,
                                            bundle=bundle, concurrency=settings.pdf_media_concurrency)
    else:
        plan = await docs.load_plan(mongo=mongo, tenant=tenant, plan_id=link["target_id"])
        rendered = await docs.render_plan(mongo=mongo, storage=storage, renderer=renderer, tenant=tenant,
                                          plan=plan, view=docs.view_of(link.get("scope_project_ids")),
                                          concurrency=settings.pdf_media_concurrency)
    return pdf_response(rendered, download=False, shared=True)


@router.get("/shared/{token}/qr.png", response_class=Response, responses={**PNG_RESPONSE, **GONE},
            summary="QR code of a share link (no sign-in)")
async def shared_qr(token: Token, mongo: MongoDep, settings: SettingsDep) -> Response:
    """HB-09: a PNG QR code of the share link's URL, to print or show; 404/410 as the link."""
    await svc.resolve_link(mongo=mongo, token=token)
    png = svc.share_qr_png(settings.public_base_url, token)
    return Response(content=png, media_type="image/png",
                    headers={"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"})
