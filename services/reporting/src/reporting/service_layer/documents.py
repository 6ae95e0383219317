"""Documents (HB-09): the PDF of a notice (告知书) with its results, and of a plan's results.

Built at request time from whatever read models have arrived: an unknown id is 404;
a notice whose plan (results, signature) has not arrived yet is 409 "not yet
available"; a caller who may not read it is 403 (same tenant; another tenant never
finds the id). Media are read from S3 by their claim checks (other services'
buckets, the platform's credentials); drawing runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

import structlog

from anjian_shared.auth import Principal
from anjian_shared.events.common import MediaRef
from anjian_shared.events.inspections_v1 import PlanSubmitted
from anjian_shared.events.notices_v1 import (
    NoticeClosed,
    NoticeIssued,
    ReplyReviewed,
    ReplySubmitted,
)
from anjian_shared.mongo import Mongo
from anjian_shared.problems import Conflict, Forbidden, NotFound, NotYetAvailable
from anjian_shared.storage import Storage

from ..adapters.pdf import PdfRenderer
from ..adapters.repositories import NOTICES, ORGANIZATIONS, PLANS, REPLIES
from ..domain.access import PlanView, may_read_notice, plan_view
from ..domain.documents import (
    Document,
    ReplyRecord,
    media_key,
    notice_document,
    plan_document,
    reached_version,
)

log = structlog.get_logger("reporting.documents")

NOT_YET = "not-yet-available"


@dataclass(frozen=True)
class NoticeBundle:
    """A notice's read model: the notice, its plan (None until plan.submitted arrived), reply rounds."""

    notice: NoticeIssued
    plan: PlanSubmitted | None
    replies: list[ReplyRecord]
    closed: NoticeClosed | None
    version: int | None = None
    """The notice version the read model fully reached (HB-09); None for a notice whose events
    carry no version (published before versions existed)."""


@dataclass(frozen=True)
class RenderedDocument:
    pdf: bytes
    filename: str
    ascii_filename: str
    version: int | None = None
    """HB-09: the version of the notice this PDF shows (the ``Anjian-Notice-Version`` header)."""


NOT_ARRIVED_RETRY_SECONDS = 1


async def load_notice(*, mongo: Mongo, tenant: str, notice_id: str, min_version: int | None = None) -> NoticeBundle:
    """The notice's read model. 404 unknown; 409 ``not-yet-available`` (Retry-After) when only
    later events of it have arrived, or — HB-09 ``min_version`` — while the read model has not
    reached the version the client last wrote (``domain.documents.reached_version``); with
    ``min_version`` an unknown notice is 409 too (the client knows it exists: its events are
    on their way). A notice whose events carry no version (older) is never held back."""
    doc = await mongo.repo(NOTICES, tenant).get(notice_id)
    if doc is None:
        if min_version:
            raise NotYetAvailable(f"version {min_version} of the notice has not reached reporting yet; try again "
                                  "shortly", field="min_version", retry_after=NOT_ARRIVED_RETRY_SECONDS)
        raise NotFound("notice not found", field="notice_id")
    if not doc.get("issued"):
        raise Conflict("the notice is not yet available here; try again shortly", slug=NOT_YET,
                       headers={"Retry-After": "2"})
    version = reached_version(doc.get("versions") or []) if doc.get("versions") else None
    if min_version and version is not None and version < min_version:
        raise NotYetAvailable(f"reporting shows version {version} of the notice; version {min_version} is on its "
                              "way — try again shortly", field="min_version", retry_after=NOT_ARRIVED_RETRY_SECONDS)
    notice = NoticeIssued.model_validate(doc["issued"])
    plan_doc = await mongo.repo(PLANS, tenant).get(notice.plan_id)
    plan = PlanSubmitted.model_validate(plan_doc["submitted"]) if plan_doc and plan_doc.get("submitted") else None
    replies = []
    for r in await mongo.repo(REPLIES, tenant).find({"notice_id": notice_id}, sort=[("round", 1)], limit=1000):
        replies.append(ReplyRecord(
            reply_id=r["_id"], round=int(r.get("round", 0)),
            submitted=ReplySubmitted.model_validate(r["submitted"]) if r.get("submitted") else None,
            reviewed=ReplyReviewed.model_validate(r["reviewed"]) if r.get("reviewed") else None,
        ))
    closed = NoticeClosed.model_validate(doc["closed"]) if doc.get("closed") else None
    return NoticeBundle(notice=notice, plan=plan, replies=replies, closed=closed, version=version)


async def authorize_notice(*, mongo: Mongo, principal: Principal, notice_id: str,
                           min_version: int | None = None) -> NoticeBundle:
    """HB-09: the notice if ``principal`` may read it (see ``domain.access``); 404/403/409
    otherwise (409 ``not-yet-available`` also below ``min_version``, see ``load_notice``)."""
    bundle = await load_notice(mongo=mongo, tenant=principal.tenant, notice_id=notice_id, min_version=min_version)
    allowed = may_read_notice(principal, bundle.notice, bundle.plan)
    if allowed is None:
        raise Conflict("the notice's inspection results are not yet available; try again shortly", slug=NOT_YET,
                       headers={"Retry-After": "2"})
    if not allowed:
        raise Forbidden("only the station, the plan's supervisors and the project's parties may read this notice")
    return bundle


async def load_plan(*, mongo: Mongo, tenant: str, plan_id: str) -> PlanSubmitted:
    """The submitted plan's read model. 404 unknown; 409 confirmed but not (yet) submitted."""
    doc = await mongo.repo(PLANS, tenant).get(plan_id)
    if doc is None:
        raise NotFound("plan not found", field="plan_id")
    if not doc.get("submitted"):
        raise Conflict("the plan's results are not yet available (the plan is not submitted or its results "
                       "have not arrived)", slug=NOT_YET, headers={"Retry-After": "2"})
    return PlanSubmitted.model_validate(doc["submitted"])


async def authorize_plan(*, mongo: Mongo, principal: Principal, plan_id: str) -> tuple[PlanSubmitted, PlanView]:
    """HB-09: the plan and the part of it ``principal`` may read; 404/409, or 403 when none."""
    plan = await load_plan(mongo=mongo, tenant=principal.tenant, plan_id=plan_id)
    view = plan_view(principal, plan)
    if view.empty:
        raise Forbidden("only the station, the plan's supervisors and the projects' parties may read these results")
    return plan, view


async def _org_names(mongo: Mongo, tenant: str, ids: list[str]) -> dict[str, str]:
    docs = await mongo.repo(ORGANIZATIONS, tenant).find({"_id": {"$in": sorted(set(ids))}}, limit=100)
    return {d["_id"]: d.get("name", "") for d in docs}


async def fetch_images(storage: Storage, refs: list[MediaRef], *, concurrency: int) -> dict[str, bytes | None]:
    """The bytes of every image, read concurrently; an unreadable object maps to None (logged)."""
    sem = asyncio.Semaphore(concurrency)

    async def one(ref: MediaRef) -> tuple[str, bytes | None]:
        async with sem:
            try:
                return media_key(ref), await storage.get_bytes(ref)
            except Exception as exc:  # noqa: BLE001 - a missing photo must not sink the document
                log.warning("image unreadable for document", bucket=ref.bucket, key=ref.key, error=repr(exc)[:300])
                return media_key(ref), None

    return dict(await asyncio.gather(*(one(r) for r in refs)))


async def _render(doc: Document, *, storage: Storage, renderer: PdfRenderer, concurrency: int,
                  ascii_filename: str) -> RenderedDocument:
    images = await fetch_images(storage, doc.images(), concurrency=concurrency)
    pdf = await asyncio.to_thread(renderer.render, doc, images)
    return RenderedDocument(pdf=pdf, filename=doc.filename, ascii_filename=ascii_filename)


async def render_notice(*, mongo: Mongo, storage: Storage, renderer: PdfRenderer, tenant: str,
                        bundle: NoticeBundle, concurrency: int = 8) -> RenderedDocument:
    """HB-09: the notice's PDF (告知书, results, signature, seal, reply rounds). 409 without its plan."""
    if bundle.plan is None:
        raise Conflict("the notice's inspection results are not yet available; try again shortly", slug=NOT_YET,
                       headers={"Retry-After": "2"})
    n = bundle.notice
    orgs = await _org_names(mongo, tenant, [n.station_org_id, n.addressee_org_id])
    doc = notice_document(n, bundle.plan, replies=bundle.replies, closed=bundle.closed, org_names=orgs)
    rendered = await _render(doc, storage=storage, renderer=renderer, concurrency=concurrency,
                             ascii_filename=f"notice-{n.notice_id}.pdf")
    return replace(rendered, version=bundle.version)


async def render_plan(*, mongo: Mongo, storage: Storage, renderer: PdfRenderer, tenant: str, plan: PlanSubmitted,
                      view: PlanView, concurrency: int = 8) -> RenderedDocument:
    """HB-07/HB-09: the PDF of the plan's results for the projects in ``view``."""
    ids: list[str] = [plan.station_org_id]
    for p in plan.projects:
        ids += [p.owner_org_id, p.contractor_org_id, p.supervision_org_id]
    orgs = await _org_names(mongo, tenant, ids)
    doc = plan_document(plan, view=view, org_names=orgs)
    return await _render(doc, storage=storage, renderer=renderer, concurrency=concurrency,
                         ascii_filename=f"plan-{plan.plan_id}.pdf")


def scope_of(view: PlanView) -> list[str] | None:
    """A plan view as stored in a share link."""
    return None if view.project_ids is None else sorted(view.project_ids)


def view_of(scope: Any) -> PlanView:
    """A stored share-link scope as a plan view."""
    return PlanView(None if scope is None else frozenset(scope))
