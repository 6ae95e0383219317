"""Use cases of JGJ 59-2011 safety check evaluations (安全检查评分, issue 15; JGJ59 rules in
``domain.scoring``).

A supervisor (or leader) of the project's station makes a draft: the check tables that apply,
per item a deduction with its finding (and photos, through ``anjian_shared.media.MediaIntake``,
stored before the transaction that records them and deleted again if it fails), items or
whole tables marked not applicable (缺项). The platform scores it from the tenant's seeded
catalog on every save (``summary``); submission validates everything, freezes the scores
and the catalog's points with them, and emits ``inspections.evaluation.submitted.v1``. A
submitted evaluation never changes. It prints as a PDF (汇总表 + each table's sheet).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any

from anjian_shared.auth import Principal
from anjian_shared.china_time import china_day
from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.inspections_v1 import EvaluationSubmitted, EvaluationTableScore
from anjian_shared.media import MediaIntake, Upload
from anjian_shared.mongo import Mongo, TenantRepository, UnitOfWork, with_transaction
from anjian_shared.pagination import DocPage, paginate
from anjian_shared.pdf_fonts import CjkFontNotFound, resolve_cjk_font
from anjian_shared.problems import Conflict, NotFound, ServiceUnavailable, Unprocessable
from anjian_shared.storage import Storage
from anjian_shared.types import new_id, utcnow

from ..adapters.evaluation_pdf import EvaluationPdf
from ..adapters.evaluations_store import EVALUATIONS
from ..adapters.repositories import CATALOG, PROJECTS
from ..domain import evaluations as rules
from ..domain.catalog import CatalogSource, group_tables
from ..domain.evaluations import EvaluationStatus
from ..domain.plans import ensure_photo_count, history_entry
from ..domain.scoring import (
    TableDef,
    entries_from_docs,
    evaluate,
    summary_doc,
    tables_from_catalog,
    validate_entries,
)
from ..settings import Settings
from .results import photo_policy

EVALUATION_SUBMITTED = "inspections.evaluation.submitted.v1"


async def check_tables(repo: TenantRepository) -> dict[str, TableDef]:
    """The tenant's JGJ 59 check tables with points and summary weights (seeded catalog);
    503 while the catalog is not seeded with them."""
    items = await repo.find({"source": CatalogSource.JGJ59.value}, sort=[("seq", 1)], limit=0)
    try:
        tables = tables_from_catalog(group_tables(items))
    except ValueError as exc:
        raise ServiceUnavailable(f"the JGJ 59 catalog is not ready: {exc}", retry_after=5) from exc
    if not tables:
        raise ServiceUnavailable("the JGJ 59 catalog is not seeded yet", retry_after=5)
    return tables


def _entries_docs(tables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Request tables → stored entries (deductions as floats with 2 decimals)."""
    return [{"code": t["code"], "applicable": bool(t.get("applicable", True)),
             "items": [{"no": int(i["no"]), "deduction": float(i.get("deduction") or 0),
                        "applicable": bool(i.get("applicable", True)), "finding": (i.get("finding") or "").strip()}
                       for i in t.get("items", [])]}
            for t in tables]


def _score(tables: dict[str, TableDef], entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Validate the entries; the summary when at least one table applies (a draft may have none)."""
    parsed = entries_from_docs(entries)
    validate_entries(parsed, tables)
    if not any(e.applicable for e in parsed):
        return None
    return summary_doc(evaluate(tables, parsed))


def _check_date(day: date, now: Any, tenant: str) -> date:
    if day > china_day(now, tenant):
        raise Unprocessable("the check date can't be in the future", field="check_date")
    return day


async def _load(repo: TenantRepository, evaluation_id: str, principal: Principal) -> dict[str, Any]:
    doc = await repo.get(evaluation_id)
    if doc is None:
        raise NotFound("evaluation not found")
    rules.ensure_can_see(doc, principal)
    return doc


async def create_evaluation(*, mongo: Mongo, principal: Principal, project_id: str, check_date: date,
                            tables: list[dict[str, Any]]) -> dict[str, Any]:
    """JGJ59 安全检查评分, draft: a supervisor/leader of the project's station (403 other roles;
    422 ``project_id`` for a project not of the station) chooses the tables (``[{code,
    applicable, items: [{no, deduction, applicable, finding}]}]``, may be empty) on
    ``check_date`` (not in the future, China time). 422 naming the wrong entry field."""
    rules.ensure_evaluator(principal)
    tenant = principal.tenant
    now = utcnow()
    _check_date(check_date, now, tenant)
    project = rules.ensure_project_of_station(await mongo.repo(PROJECTS, tenant).get(project_id), principal)
    entries = _entries_docs(tables)
    defs = await check_tables(mongo.repo(CATALOG, tenant))
    summary = _score(defs, entries)

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        evaluation_id = new_id()
        return await uow.repo(EVALUATIONS).insert({
            "_id": evaluation_id, "project_id": project_id, "project_name": project.get("name", project_id),
            "station_org_id": principal.org_id, "check_date": check_date.isoformat(),
            "status": EvaluationStatus.DRAFT.value, "entries": entries, "photos": [], "summary": summary,
            "evaluated_by": {"user_id": principal.user_id, "name": principal.name or principal.user_id},
            "rectification_deadline": None, "created_at": now, "updated_at": now, "submitted_at": None,
            "history": [history_entry("evaluation.created", principal, now)]})

    return await with_transaction(mongo, tenant, apply)


async def get_evaluation(*, mongo: Mongo, principal: Principal, evaluation_id: str) -> dict[str, Any]:
    """One evaluation of the caller's station (404 otherwise; 403 other roles)."""
    rules.ensure_evaluator(principal)
    return await _load(mongo.repo(EVALUATIONS, principal.tenant), evaluation_id, principal)


async def list_evaluations(*, mongo: Mongo, principal: Principal, project_id: str | None, status: str | None,
                           limit: int, cursor: str | None) -> DocPage:
    """The evaluations of the caller's station, newest first; filters ``project_id``, ``status``."""
    rules.ensure_evaluator(principal)
    flt: dict[str, Any] = {"station_org_id": principal.org_id}
    if project_id:
        flt["project_id"] = project_id
    if status:
        flt["status"] = status
    return await paginate(mongo.repo(EVALUATIONS, principal.tenant), flt, limit=limit, cursor=cursor)


async def update_evaluation(*, mongo: Mongo, principal: Principal, evaluation_id: str,
                            changes: dict[str, Any]) -> dict[str, Any]:
    """JGJ59 edit a draft (its author; 403 others of the station, 409 ``evaluation-submitted``):
    ``tables`` replaces the whole choice of tables and entries, ``check_date`` the date. The
    summary is recomputed from the catalog."""
    rules.ensure_evaluator(principal)
    tenant = principal.tenant
    now = utcnow()
    if changes.get("check_date") is not None:
        _check_date(changes["check_date"], now, tenant)
    defs = await check_tables(mongo.repo(CATALOG, tenant))

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        repo = uow.repo(EVALUATIONS)
        doc = await _load(repo, evaluation_id, principal)
        rules.ensure_can_edit(doc, principal)
        fields: dict[str, Any] = {"updated_at": now}
        if changes.get("check_date") is not None:
            fields["check_date"] = changes["check_date"].isoformat()
        if changes.get("tables") is not None:
            fields["entries"] = _entries_docs(changes["tables"])
            fields["summary"] = _score(defs, fields["entries"])
        updated = await repo.update(
            {"_id": evaluation_id, "status": EvaluationStatus.DRAFT.value},
            {"$set": fields, "$push": {"history": history_entry("evaluation.updated", principal, now,
                                                                fields=sorted(set(fields) - {"updated_at"}))}})
        if updated is None:
            raise Conflict("the evaluation is submitted; it never changes", slug="evaluation-submitted")
        return updated

    return await with_transaction(mongo, tenant, apply, aggregate=f"evaluation:{evaluation_id}")


async def add_item_photos(*, mongo: Mongo, storage: Storage, settings: Settings, principal: Principal,
                          evaluation_id: str, table_code: str, item_no: int,
                          photos: Sequence[Upload]) -> dict[str, Any]:
    """JGJ59 photos justifying the deduction on item ``item_no`` of table ``table_code`` (a
    table of the draft; 422 ``table_code``/``item_no``): 1..``max_photos_per_evaluation_item``
    JPEG/PNG photos for the item in all (413/415/422 ``photos``). Author of a draft only."""
    rules.ensure_evaluator(principal)
    tenant = principal.tenant
    doc = await _load(mongo.repo(EVALUATIONS, tenant), evaluation_id, principal)
    rules.ensure_can_edit(doc, principal)
    defs = await check_tables(mongo.repo(CATALOG, tenant))
    if table_code not in {e["code"] for e in doc["entries"]} or table_code not in defs:
        raise Unprocessable("the table is not part of this evaluation", field="table_code")
    if defs[table_code].item(item_no) is None:
        raise Unprocessable(f"check table {table_code} has no item {item_no}", field="item_no")

    def count(d: dict[str, Any]) -> int:
        return sum(1 for p in d.get("photos", []) if p["table_code"] == table_code and p["item_no"] == item_no)

    if not photos:
        raise Unprocessable("at least one photo", field="photos")
    ensure_photo_count(count(doc), len(photos), settings.max_photos_per_evaluation_item)
    refs: list[MediaRef] = []

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        repo = uow.repo(EVALUATIONS)
        current = await _load(repo, evaluation_id, principal)
        rules.ensure_can_edit(current, principal)
        ensure_photo_count(count(current), len(refs), settings.max_photos_per_evaluation_item)
        now = utcnow()
        added = [{**r.model_dump(), "table_code": table_code, "item_no": item_no} for r in refs]
        updated = await repo.update(
            {"_id": evaluation_id, "status": EvaluationStatus.DRAFT.value},
            {"$push": {"photos": {"$each": added},
                       "history": history_entry("evaluation.photos_added", principal, now, table_code=table_code,
                                                item_no=item_no, photos=len(added))},
             "$set": {"updated_at": now}})
        if updated is None:
            raise Conflict("the evaluation is submitted; it never changes", slug="evaluation-submitted")
        return updated

    async with MediaIntake(storage, tenant=tenant, folder=f"evaluations/{evaluation_id}") as intake:
        refs = await intake.take(photos, await photo_policy(mongo, settings, tenant))
        return await with_transaction(mongo, tenant, apply, aggregate=f"evaluation:{evaluation_id}")


async def submit_evaluation(*, mongo: Mongo, principal: Principal, evaluation_id: str,
                            rectification_deadline: date | None) -> dict[str, Any]:
    """JGJ59 submit (提交) a draft (its author): every rule is checked on the catalog's current
    points (422 naming the entry field; ``tables`` when none applies), every deduction has a
    photo (422 ``tables[i].items[j].photos``), a 不合格 grade needs ``rectification_deadline``
    not in the past, China time (422 ``rectification_deadline``). The scores are frozen; emits
    ``inspections.evaluation.submitted.v1``. 409 ``evaluation-submitted`` when already submitted
    (a retried submit included)."""
    rules.ensure_evaluator(principal)
    tenant = principal.tenant
    defs = await check_tables(mongo.repo(CATALOG, tenant))

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        repo = uow.repo(EVALUATIONS)
        doc = await _load(repo, evaluation_id, principal)
        rules.ensure_can_edit(doc, principal)
        summary = evaluate(defs, entries_from_docs(doc["entries"]))
        rules.ensure_photos_for_deductions(doc["entries"], doc.get("photos", []))
        now = utcnow()
        deadline = rules.check_rectification(summary.grade, rectification_deadline, now=now, tenant=tenant)
        frozen = summary_doc(summary)
        updated = await repo.update(
            {"_id": evaluation_id, "status": EvaluationStatus.DRAFT.value},
            {"$set": {"status": EvaluationStatus.SUBMITTED.value, "summary": frozen, "submitted_at": now,
                      "updated_at": now, "rectification_deadline": deadline.isoformat() if deadline else None},
             "$push": {"history": history_entry("evaluation.submitted", principal, now, grade=frozen["grade"],
                                                total=frozen["total"])}})
        if updated is None:
            raise Conflict("the evaluation is submitted; it never changes", slug="evaluation-submitted")
        uow.emit(EVALUATION_SUBMITTED, subject=evaluation_id, data=EvaluationSubmitted(
            evaluation_id=evaluation_id, project_id=doc["project_id"], project_name=doc["project_name"],
            station_org_id=doc["station_org_id"], check_date=date.fromisoformat(doc["check_date"]),
            total=frozen["total"], grade=frozen["grade"], grade_label=frozen["grade_label"],
            zero_tables=frozen["zero_tables"],
            tables=[EvaluationTableScore(code=t["code"], name=t["name"], summary_group=t["summary_group"],
                                         applicable=t["applicable"], score=t["score"], zero_reason=t["zero_reason"],
                                         verified=t["verified"]) for t in frozen["tables"]],
            rectification_deadline=deadline, submitted_by=PersonRef(**doc["evaluated_by"]), submitted_at=now))
        return updated

    return await with_transaction(mongo, tenant, apply, aggregate=f"evaluation:{evaluation_id}")


@cache
def _renderer(path: str | None, index: int, candidates: tuple[str, ...]) -> EvaluationPdf:
    return EvaluationPdf(resolve_cjk_font(path, index, list(candidates)))


async def evaluation_pdf(*, mongo: Mongo, settings: Settings, principal: Principal,
                         evaluation_id: str) -> tuple[dict[str, Any], bytes]:
    """JGJ59 the evaluation as PDF (汇总表 then each checked table's sheet; drafts marked 草稿,
    tables whose points are unverified marked 分值未核验). 422 ``tables`` for a draft with no
    table that applies; 503 naming the font package when no CJK font is installed."""
    doc = await get_evaluation(mongo=mongo, principal=principal, evaluation_id=evaluation_id)
    if doc.get("summary") is None:
        raise Unprocessable("choose at least one check table that applies before printing", field="tables",
                            slug="no-check-table")
    try:
        renderer = _renderer(settings.cjk_font_path, settings.cjk_font_subfont_index,
                             tuple(settings.cjk_font_candidates))
    except CjkFontNotFound as exc:
        raise ServiceUnavailable(str(exc), slug="pdf-unavailable", retry_after=60) from exc
    view = {**doc, "submitted_at": doc["submitted_at"].strftime("%Y-%m-%d %H:%M UTC") if doc.get("submitted_at")
            else None}
    return doc, await asyncio.to_thread(renderer.render, view)

