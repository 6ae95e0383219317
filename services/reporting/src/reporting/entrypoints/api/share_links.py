"""Share links (HB-09): make a link to a document; open it without signing in."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Response, status

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.pagination import Cursor, Limit
from anjian_shared.types import utcnow

from ...domain.share_links import SharedDocument, link_status
from ...service_layer import documents as docs
from ...service_layer import share_links as svc
from .deps import MongoDep, RendererDep, SettingsDep, StorageDep
from .responses import PDF_RESPONSE, PNG_RESPONSE, pdf_response
from .schemas import ShareLinkCreate, ShareLinkInfo, ShareLinkPage, ShareLinkRead

router = APIRouter(tags=["share links"])

NoticeId = Annotated[str, Path(max_length=64)]
PlanId = Annotated[str, Path(max_length=64)]
Token = Annotated[str, Path(max_length=200, description="the token of a share link")]
Expiry = Annotated[ShareLinkCreate | None, Body(description="omit for the default of 1440 minutes")]

LinkId = Annotated[str, Path(max_length=64, description="the id of a share link")]
GONE = {410: {"description": "the share link has expired (``gone``), was revoked (``share-link-revoked``), or its "
                             "creator may no longer open the document (``share-link-creator-no-access``)",
              "content": {"application/problem+json": {}}}}


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
    while the link works. 404 unknown or altered token; 410 expired (``gone``), revoked
    (``share-link-revoked``) or its creator disabled or no longer entitled to the document
    (``share-link-creator-no-access``); 409 not yet available."""
    tenant, link = await svc.open_link(mongo=mongo, token=token)
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
    await svc.open_link(mongo=mongo, token=token)
    png = svc.share_qr_png(settings.public_base_url, token)
    return Response(content=png, media_type="image/png",
                    headers={"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"})


def _info(doc: dict[str, Any]) -> ShareLinkInfo:
    return ShareLinkInfo(id=doc["_id"], document=doc["document"], target_id=doc["target_id"],
                         created_by=doc["created_by"], created_at=doc["created_at"], expires_at=doc["expires_at"],
                         status=link_status(doc, utcnow()), revoked_at=doc.get("revoked_at"),
                         revoked_by=doc.get("revoked_by"))


@router.get("/notices/{notice_id}/share-links", response_model=ShareLinkPage, summary="The notice's share links")
async def list_notice_links(notice_id: NoticeId, principal: CurrentPrincipal, mongo: MongoDep, limit: Limit = 20,
                            cursor: Cursor = None) -> ShareLinkPage:
    """HB-09: the notice's share links the caller may revoke, newest first, with ``status``
    (``active``/``expired``/``revoked``) and never a token: the issuer and the station's leaders see
    every link, anyone else who may read the notice the links they made. 404/403/409 as for the
    download."""
    docs, nxt = await svc.list_links(mongo=mongo, principal=principal, document=SharedDocument.NOTICE,
                                     target_id=notice_id, limit=limit, cursor=cursor)
    return ShareLinkPage(items=[_info(d) for d in docs], next_cursor=nxt)


@router.get("/plans/{plan_id}/share-links", response_model=ShareLinkPage, summary="The plan's share links")
async def list_plan_links(plan_id: PlanId, principal: CurrentPrincipal, mongo: MongoDep, limit: Limit = 20,
                          cursor: Cursor = None) -> ShareLinkPage:
    """HB-09: like the notice's, for links to a plan's results (the plan's responsible supervisor
    and the station's leaders see every link)."""
    docs, nxt = await svc.list_links(mongo=mongo, principal=principal, document=SharedDocument.PLAN,
                                     target_id=plan_id, limit=limit, cursor=cursor)
    return ShareLinkPage(items=[_info(d) for d in docs], next_cursor=nxt)


@router.delete("/share-links/{link_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               summary="Revoke a share link")
async def revoke_link(link_id: LinkId, principal: CurrentPrincipal, mongo: MongoDep) -> Response:
    """HB-09: revoke a share link: from now on opening it answers 410 ``share-link-revoked``. By its
    creator, the document's issuer (a plan's responsible supervisor) or a station leader of the
    document's station; 403 ``not-link-manager`` for anyone else; 404 ``share-link-not-found``
    (also another province's). Revoking again is 204 and changes nothing."""
    await svc.revoke_link(mongo=mongo, principal=principal, link_id=link_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
