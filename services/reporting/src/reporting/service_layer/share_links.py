"""Share links (HB-09): an entitled user makes a link that opens a document without signing in.

Only the SHA-256 of the token is stored. A plan link keeps the creator's view (a
contractor's link shows its own projects only). Documents are rendered when the link
is opened, so they show the latest reply rounds. Unknown or altered token → 404;
expired → 410 ``gone``; revoked → 410 ``share-link-revoked``; a creator who is disabled or no
longer entitled to the document (the ``accounts`` read model of identity's user events) → 410
``share-link-creator-no-access`` (issue 11).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from anjian_shared.accounts import ACCOUNTS
from anjian_shared.auth import Principal
from anjian_shared.mongo import Mongo
from anjian_shared.pagination import DocPage, paginate
from anjian_shared.problems import Forbidden, NotFound, ProblemError
from anjian_shared.types import new_id, utcnow

from ..adapters.qr import qr_png
from ..adapters.repositories import SHARE_LINKS
from ..domain import share_links as rules
from ..domain.access import may_read_notice, plan_view
from ..domain.share_links import SharedDocument
from .documents import authorize_notice, authorize_plan, load_notice, load_plan, scope_of

log = structlog.get_logger("reporting.share_links")

SHARED_PATH = "/api/reporting/v1/shared/"


class Gone(ProblemError):
    """The resource existed but is no longer available (an expired or revoked share link, or one
    whose creator may no longer open the document)."""

    status, slug, title = 410, "gone", "No longer available"


@dataclass(frozen=True)
class CreatedLink:
    id: str
    token: str
    url: str
    document: SharedDocument
    target_id: str
    expires_at: Any


def share_url(base_url: str, token: str) -> str:
    """``<public_base_url>/api/reporting/v1/shared/<token>``."""
    return base_url.rstrip("/") + SHARED_PATH + token


def share_qr_png(base_url: str, token: str) -> bytes:
    """HB-09: a PNG QR code (bytes) of the share link's URL, to print or show."""
    return qr_png(share_url(base_url, token))


async def create_link(*, mongo: Mongo, principal: Principal, document: SharedDocument, target_id: str,
                      minutes: int, base_url: str) -> CreatedLink:
    """HB-09: a share link to the notice or plan ``target_id`` valid ``minutes`` (1..10080).

    The caller must be allowed to read the document (404 unknown/other tenant, 403, 409 as for the download).
    """
    scope: list[str] | None = None
    if document is SharedDocument.NOTICE:
        await authorize_notice(mongo=mongo, principal=principal, notice_id=target_id)
    else:
        _, view = await authorize_plan(mongo=mongo, principal=principal, plan_id=target_id)
        scope = scope_of(view)
    token = rules.new_token(principal.tenant)
    now = utcnow()
    link_id = new_id()
    expires = rules.expires_at(now, minutes)
    await mongo.repo(SHARE_LINKS, principal.tenant).insert({
        "_id": link_id, "token_sha256": rules.token_hash(token), "document": document.value, "target_id": target_id,
        "scope_project_ids": scope, "created_by": principal.user_id, "created_by_org_id": principal.org_id,
        "created_by_roles": list(principal.roles), "created_at": now, "expires_at": expires, "revoked_at": None,
    })
    log.info("share link created", link_id=link_id, document=document.value, target_id=target_id,
             expires_at=expires.isoformat())
    return CreatedLink(id=link_id, token=token, url=share_url(base_url, token), document=document,
                       target_id=target_id, expires_at=expires)


async def resolve_link(*, mongo: Mongo, token: str) -> tuple[str, dict[str, Any]]:
    """The tenant and stored link of ``token``: 404 unknown or altered, 410 expired."""
    tenant = rules.tenant_of(token)
    if tenant is None:
        raise NotFound("share link not found")
    link = await mongo.repo(SHARE_LINKS, tenant).find_one({"token_sha256": rules.token_hash(token)})
    if link is None:
        raise NotFound("share link not found")
    if link.get("revoked_at") is not None:
        raise Gone("this share link was revoked", slug="share-link-revoked")
    if rules.is_expired(link["expires_at"], utcnow()):
        raise Gone("this share link has expired")
    return tenant, link


async def open_link(*, mongo: Mongo, token: str) -> tuple[str, dict[str, Any]]:
    """HB-09: the tenant and link of ``token`` if it works now: 404 unknown or altered; 410 expired
    (``gone``), revoked (``share-link-revoked``), or its creator disabled or no longer entitled to
    the document (``share-link-creator-no-access``: the link is as good as its creator's access).
    A plan link's ``scope_project_ids`` is narrowed to what the creator may read today."""
    tenant, link = await resolve_link(mongo=mongo, token=token)
    account = await mongo.repo(ACCOUNTS, tenant).get(link["created_by"])
    if account is not None and account.get("enabled", True) is False:
        raise Gone("the person who shared this link can no longer open the document",
                   slug="share-link-creator-no-access")
    org_id = (account or {}).get("org_id") or link.get("created_by_org_id")
    if org_id is None:
        return tenant, link  # a link from before creators were recorded, and no account known: as made
    creator = Principal(user_id=link["created_by"], tenant=tenant, org_id=org_id,
                        roles=list((account or {}).get("roles") or link.get("created_by_roles") or []))
    if link["document"] == SharedDocument.NOTICE.value:
        bundle = await load_notice(mongo=mongo, tenant=tenant, notice_id=link["target_id"])
        entitled = may_read_notice(creator, bundle.notice, bundle.plan) is not False
    else:
        view = plan_view(creator, await load_plan(mongo=mongo, tenant=tenant, plan_id=link["target_id"]))
        stored = link.get("scope_project_ids")
        now_ids = None if view.project_ids is None else set(view.project_ids)
        if stored is not None:
            now_ids = set(stored) if now_ids is None else now_ids & set(stored)
        entitled = now_ids is None or bool(now_ids)
        link = {**link, "scope_project_ids": None if now_ids is None else sorted(now_ids)}
    if not entitled:
        raise Gone("the person who shared this link can no longer open the document",
                   slug="share-link-creator-no-access")
    return tenant, link


async def _managers(*, mongo: Mongo, tenant: str, document: str, target_id: str) -> tuple[str, str]:
    """(issuer id, station org id) of the shared document: a notice's issuer, a plan's responsible
    supervisor."""
    if document == SharedDocument.NOTICE.value:
        notice = (await load_notice(mongo=mongo, tenant=tenant, notice_id=target_id)).notice
        return notice.issued_by.user_id, notice.station_org_id
    plan = await load_plan(mongo=mongo, tenant=tenant, plan_id=target_id)
    return plan.responsible_supervisor.user_id, plan.station_org_id


async def revoke_link(*, mongo: Mongo, principal: Principal, link_id: str) -> dict[str, Any]:
    """HB-09: revoke the link ``link_id``: opening it answers 410 ``share-link-revoked`` from now on.

    By its creator, the document's issuer (a plan's responsible supervisor) or a station leader of
    the document's station; 403 ``not-link-manager`` for anyone else, 404 ``share-link-not-found``
    for an unknown link or another tenant's. Revoking a revoked link changes nothing."""
    repo = mongo.repo(SHARE_LINKS, principal.tenant)
    link = await repo.get(link_id)
    if link is None:
        raise NotFound("share link not found", slug="share-link-not-found")
    issuer, station = await _managers(mongo=mongo, tenant=principal.tenant, document=link["document"],
                                      target_id=link["target_id"])
    if not rules.may_manage_link(principal, created_by=link["created_by"], issuer_id=issuer,
                                 station_org_id=station):
        raise Forbidden("only the link's creator, the document's issuer or a leader of its station revokes it",
                        slug="not-link-manager")
    if link.get("revoked_at") is not None:
        return link
    revoked = await repo.update({"_id": link_id, "revoked_at": None},
                                {"$set": {"revoked_at": utcnow(), "revoked_by": principal.user_id}})
    log.info("share link revoked", link_id=link_id, by=principal.user_id)
    return revoked or link


async def list_links(*, mongo: Mongo, principal: Principal, document: SharedDocument, target_id: str,
                     limit: int = 100, cursor: str | None = None) -> DocPage:
    """HB-09: the links of a document the caller may revoke, newest first (never their tokens):
    the issuer and the station's leaders see every link, anyone else who may read the document
    the links they made. 404/403/409 as for reading the document."""
    if document is SharedDocument.NOTICE:
        await authorize_notice(mongo=mongo, principal=principal, notice_id=target_id)
    else:
        await authorize_plan(mongo=mongo, principal=principal, plan_id=target_id)
    issuer, station = await _managers(mongo=mongo, tenant=principal.tenant, document=document.value,
                                      target_id=target_id)
    flt: dict[str, Any] = {"document": document.value, "target_id": target_id}
    if not rules.may_manage_all_links(principal, issuer_id=issuer, station_org_id=station):
        flt["created_by"] = principal.user_id
    return await paginate(mongo.repo(SHARE_LINKS, principal.tenant), flt, limit=limit, cursor=cursor,
                          projection={"token_sha256": 0})
