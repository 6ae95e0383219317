"""Share links (HB-09): an entitled user makes a link that opens a document without signing in.

Only the SHA-256 of the token is stored. A plan link keeps the creator's view (a
contractor's link shows its own projects only). Documents are rendered when the link
is opened, so they show the latest reply rounds. Unknown or altered token → 404;
expired → 410.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from anjian_shared.auth import Principal
from anjian_shared.mongo import Mongo
from anjian_shared.problems import NotFound, ProblemError
from anjian_shared.types import new_id, utcnow

from ..adapters.qr import qr_png
from ..adapters.repositories import SHARE_LINKS
from ..domain import share_links as rules
from ..domain.share_links import SharedDocument
from .documents import authorize_notice, authorize_plan, scope_of

log = structlog.get_logger("reporting.share_links")

SHARED_PATH = "/api/reporting/v1/shared/"


class Gone(ProblemError):
    """The resource existed but is no longer available (an expired share link)."""

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
        "scope_project_ids": scope, "created_by": principal.user_id, "created_at": now, "expires_at": expires,
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
    if rules.is_expired(link["expires_at"], utcnow()):
        raise Gone("this share link has expired")
    return tenant, link
