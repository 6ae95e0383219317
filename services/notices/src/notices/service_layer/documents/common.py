"""What every document use case shares (HN-07..HN-09): the event types, the feature
switch, visibility (404 for an invisible id) and the retry on a concurrent change."""

from __future__ import annotations

from typing import Any

import structlog

from anjian_shared.auth import Principal
from anjian_shared.mongo import Mongo, with_transaction
from anjian_shared.problems import Conflict, NotFound
from anjian_shared.tenant_policy import TenantPolicy, require_feature

from ...adapters.document_store import (
    DOCUMENTS,
)
from ...domain import documents as rules
from ...domain.documents import DocumentFacts
from ...settings import Settings

log = structlog.get_logger("notices.documents")


DOCUMENT_SUBMITTED = "notices.document.submitted.v1"
DOCUMENT_REVIEWED = "notices.document.reviewed.v1"
DOCUMENT_ISSUED = "notices.document.issued.v1"
DOCUMENT_REPLIED = "notices.document.replied.v1"
DOCUMENT_REPLY_REVIEWED = "notices.document.reply_reviewed.v1"
DOCUMENT_CLOSED = "notices.document.closed.v1"


class Stale(Exception):
    """The document changed between read and conditional write (a concurrent writer)."""


async def ensure_enabled(mongo: Mongo, settings: Settings, tenant: str) -> TenantPolicy:
    """HN-07..09 are a per-tenant feature (tenant policy ``enforcement_documents``): 403 problem
    ``feature-disabled`` for a tenant that has them switched off. Returns the tenant's policy."""
    return await require_feature(mongo, tenant, settings, "enforcement_documents")



async def visible(mongo: Mongo, principal: Principal, document_id: str) -> dict[str, Any]:
    doc = await mongo.repo(DOCUMENTS, principal.tenant).get(document_id)
    if doc is None or not rules.can_see(DocumentFacts.from_doc(doc), principal):
        raise NotFound("document not found")
    return doc



async def retrying(mongo: Mongo, tenant: str, apply: Any) -> Any:
    for _attempt in range(5):
        try:
            return await with_transaction(mongo, tenant, apply)
        except Stale:
            continue  # another writer changed the document meanwhile: decide again on the new state
    raise Conflict("the document is being changed concurrently; try again", slug="document-busy")
