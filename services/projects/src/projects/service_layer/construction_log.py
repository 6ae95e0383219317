"""Hebei hazard sources (危险源) and the construction log (施工日志), HEB-09.

Collections: ``hazard_sources`` (one document per declared source; ``start_date``,
``planned_end_date`` and ``actual_end_date`` are ``YYYY-MM-DD`` China days) and
``construction_logs`` (one per project and China day: the unique index
``(tenant_id, project_id, log_date)`` is what makes a second log of the same day a 409 —
two concurrent posts both pass the read check, the database lets one insert through).

Photos go through the shared media intake (``anjian_shared.media.MediaIntake``) before the
transaction, with the tenant's ``construction_log_photo_max_bytes`` (Hebei 600 KB); a refused
log (409, 422, a lost race) removes the objects it stored. Events: ``projects.hazard_source.
declared.v1``, ``projects.hazard_source.closed.v1``, ``projects.construction_log.filed.v1``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from anjian_shared.auth import Principal
from anjian_shared.china_time import china_day
from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.projects_hazards_v1 import (
    ConstructionLogFiled,
    HazardSourceClosed,
    HazardSourceDeclared,
)
from anjian_shared.media import MediaIntake, MediaPolicy, Upload
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.pagination import decode_cursor, encode_cursor, paginate
from anjian_shared.problems import Conflict, NotFound, Unprocessable
from anjian_shared.storage import Storage
from anjian_shared.tenant_policy import tenant_policy
from anjian_shared.types import new_id, utcnow

from ..domain import hazard_sources as rules
from ..settings import Settings
from .use_cases import get_visible

SOURCES = "hazard_sources"
LOGS = "construction_logs"
DAY_ORDER = (("day", 1),)
"""The order of the missing-days list (its cursor names the last day of a page)."""


async def ensure_indexes(mongo: Mongo) -> None:
    """Hazard sources by project; logs unique per project and day (HEB-09, the 409)."""
    await mongo.db[SOURCES].create_index([("tenant_id", 1), ("project_id", 1), ("start_date", 1)])
    await mongo.db[LOGS].create_index([("tenant_id", 1), ("project_id", 1), ("log_date", 1)], unique=True,
                                      name="one_log_per_project_day")


def _person(actor: Principal) -> dict[str, str]:
    return {"user_id": actor.user_id, "name": actor.name}


async def load_for_contractor(*, mongo: Mongo, actor: Principal, project_id: str) -> dict[str, Any]:
    """HEB-09: the project if ``actor`` is a user of its contractor; 404 project unknown /
    other tenant / not visible (another company), 403 visible but not the contractor."""
    project = await get_visible(mongo=mongo, actor=actor, project_id=project_id)
    rules.ensure_contractor(actor, project)
    return project


def _source_event_fields(source: dict[str, Any], project: dict[str, Any]) -> dict[str, Any]:
    return {"source_id": source["_id"], "project_id": source["project_id"], "kind": source["kind"],
            "category": source["category"], "name": source["name"],
            "start_date": rules.as_date(source["start_date"]),
            "planned_end_date": rules.as_date(source["planned_end_date"]),
            "expert_reviewed": source["expert_reviewed"], "declared_by": PersonRef(**source["declared_by"]),
            "contractor_org_id": project["contractor_org_id"], "station_org_id": project["station_org_id"],
            "project_name": project.get("name"), "project_code": project.get("code")}


async def declare_source(*, mongo: Mongo, actor: Principal, project_id: str, kind: str, category: str, name: str,
                         start_date: date, planned_end_date: date, expert_reviewed: bool = False) -> dict[str, Any]:
    """HEB-09 危险源申报: the contractor declares a dangerous sub-project of the project.
    ``kind`` from ``domain.hazard_sources.HAZARD_KINDS``; ``category`` general | major;
    ``name`` 1..100 characters; ``start_date`` / ``planned_end_date`` China days (a start in
    the past or future is allowed: declared late or in advance). Returns the stored source and
    emits ``projects.hazard_source.declared.v1``. 404/403 as ``load_for_contractor``; 422
    naming ``kind``, ``category``, ``name``, ``planned_end_date``, ``expert_reviewed``."""
    project = await load_for_contractor(mongo=mongo, actor=actor, project_id=project_id)
    name = rules.validate_declaration(kind=kind, category=category, name=name, start_date=start_date,
                                      planned_end_date=planned_end_date, expert_reviewed=expert_reviewed)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        now = utcnow()
        doc = await uow.repo(SOURCES).insert({
            "_id": new_id(), "project_id": project_id, "kind": kind, "category": category, "name": name,
            "start_date": start_date.isoformat(), "planned_end_date": planned_end_date.isoformat(),
            "actual_end_date": None, "expert_reviewed": bool(expert_reviewed), "declared_by": _person(actor),
            "declared_at": now, "created_at": now, "updated_at": now})
        uow.emit("projects.hazard_source.declared.v1", subject=project_id, data=HazardSourceDeclared(
            **_source_event_fields(doc, project), declared_at=now))
        return doc

    return await with_transaction(mongo, actor.tenant, fn)


async def close_source(*, mongo: Mongo, actor: Principal, project_id: str, source_id: str,
                       actual_end_date: date) -> dict[str, Any]:
    """HEB-09: the contractor closes a hazard source with its ``actual_end_date`` (China day,
    not before its start, not after today: 422 ``actual_end_date``; already closed: 409
    ``hazard-source-closed``). Emits ``projects.hazard_source.closed.v1``. 404 project not
    visible / source unknown or of another project; 403 not the contractor."""
    project = await load_for_contractor(mongo=mongo, actor=actor, project_id=project_id)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        repo = uow.repo(SOURCES)
        source = await repo.find_one({"_id": source_id, "project_id": project_id})
        if source is None:
            raise NotFound("hazard source not found")
        now = utcnow()
        rules.validate_close(source, actual_end_date=actual_end_date, today=china_day(now, actor.tenant))
        closed = await repo.update({"_id": source_id, "actual_end_date": None}, {"$set": {
            "actual_end_date": actual_end_date.isoformat(), "closed_at": now, "closed_by": _person(actor),
            "updated_at": now}})
        if closed is None:  # closed meanwhile by a concurrent request
            raise Conflict("the hazard source was closed meanwhile", field="actual_end_date",
                           slug="hazard-source-closed")
        uow.emit("projects.hazard_source.closed.v1", subject=project_id, data=HazardSourceClosed(
            **_source_event_fields(closed, project), actual_end_date=actual_end_date, closed_at=now,
            closed_by=PersonRef(**_person(actor))))
        return closed

    return await with_transaction(mongo, actor.tenant, fn)


async def list_sources(*, mongo: Mongo, actor: Principal, project_id: str, limit: int,
                       cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """HEB-09: the project's hazard sources, newest declared first, one page, for everyone who
    sees the project. 404 project not visible / other tenant."""
    await get_visible(mongo=mongo, actor=actor, project_id=project_id)
    return await paginate(mongo.repo(SOURCES, actor.tenant), {"project_id": project_id}, limit=limit, cursor=cursor)


async def file_log(*, mongo: Mongo, storage: Storage, settings: Settings, actor: Principal, project_id: str,
                   log_date: date, text: str, photos: list[Upload]) -> dict[str, Any]:
    """HEB-09 施工日志: the contractor files the construction log of China day ``log_date``
    with ``text`` (1..4000 characters, 422 ``text``) and 1..9 site ``photos`` (JPEG/PNG; 422
    ``photos`` for none or too many, 415 not an image, 413 over the tenant's
    ``construction_log_photo_max_bytes`` — Hebei 600 KB). 422 ``log_date``: a future day
    (``log-date-future``) or a day with no open hazard source (``no-open-hazard-source``).
    409 ``construction-log-exists``: the project already has that day's log (also when two
    posts race: the unique index lets one through). Emits ``projects.construction_log.
    filed.v1``. 404 project not visible; 403 not the contractor."""
    project = await load_for_contractor(mongo=mongo, actor=actor, project_id=project_id)
    text = rules.validate_text(text)
    rules.validate_photo_count(len(photos))
    policy = await tenant_policy(mongo, actor.tenant, settings)
    max_bytes = min(policy.limit("construction_log_photo_max_bytes"), settings.max_upload_bytes)
    refs: list[MediaRef]

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        now = utcnow()
        today = china_day(now, actor.tenant)
        sources = await uow.repo(SOURCES).find({"project_id": project_id}, limit=0)
        open_ids = rules.check_log_day(log_date, today=today, sources=sources)
        if await uow.repo(LOGS).find_one({"project_id": project_id, "log_date": log_date.isoformat()}):
            raise _exists(log_date)
        doc = await uow.repo(LOGS).insert({
            "_id": new_id(), "project_id": project_id, "log_date": log_date.isoformat(), "text": text,
            "photos": [r.model_dump() for r in refs], "open_source_ids": open_ids, "filed_by": _person(actor),
            "filed_at": now, "late": log_date < today, "created_at": now})
        uow.emit("projects.construction_log.filed.v1", subject=project_id, data=ConstructionLogFiled(
            log_id=doc["_id"], project_id=project_id, log_date=log_date, text=text, open_source_ids=open_ids,
            photos=refs, filed_by=PersonRef(**_person(actor)), filed_at=now, late=doc["late"],
            contractor_org_id=project["contractor_org_id"], station_org_id=project["station_org_id"],
            project_name=project.get("name"), project_code=project.get("code")))
        return doc

    async with MediaIntake(storage, tenant=actor.tenant, folder=f"projects/{project_id}/logs") as intake:
        refs = await intake.take(photos, MediaPolicy.photo(max_bytes=max_bytes, field="photos"))
        try:
            return await with_transaction(mongo, actor.tenant, fn)
        except DuplicateKeyError as exc:  # the same day posted concurrently: the unique index decided
            raise _exists(log_date) from exc


def _day_after(cursor: str) -> date:
    """The day after the last day of the previous page (422 ``cursor`` when it names no day)."""
    (last,) = decode_cursor(cursor, DAY_ORDER)
    try:
        return date.fromisoformat(str(last)) + timedelta(days=1)
    except ValueError as exc:
        raise Unprocessable("cursor is not valid (damaged); start again without a cursor", field="cursor") from exc


def _exists(log_date: date) -> Conflict:
    return Conflict(f"the construction log of {log_date.isoformat()} is already filed", field="log_date",
                    slug="construction-log-exists")


async def list_logs(*, mongo: Mongo, actor: Principal, project_id: str, limit: int,
                    cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """HEB-09: the project's construction logs, latest day first, one page, for everyone who
    sees the project (station, province office, the parties). 404 project not visible."""
    await get_visible(mongo=mongo, actor=actor, project_id=project_id)
    return await paginate(mongo.repo(LOGS, actor.tenant), {"project_id": project_id},
                          sort=[("log_date", -1)], limit=limit, cursor=cursor)


async def get_log(*, mongo: Mongo, actor: Principal, project_id: str, log_id: str) -> dict[str, Any]:
    """HEB-09: one construction log of a project the caller sees; 404 project not visible, or
    log unknown / of another project."""
    await get_visible(mongo=mongo, actor=actor, project_id=project_id)
    doc = await mongo.repo(LOGS, actor.tenant).find_one({"_id": log_id, "project_id": project_id})
    if doc is None:
        raise NotFound("construction log not found")
    return doc


async def missing_days(*, mongo: Mongo, actor: Principal, project_id: str, date_from: date | None,
                       date_to: date | None, limit: int, cursor: str | None,
                       ) -> tuple[list[dict[str, Any]], str | None]:
    """HEB-09 缺报日: the China days (ascending) on which a hazard source of the project was
    open and no construction log was filed, within ``date_from``..``date_to`` (default: from
    the first source's start to today; never after today), one page of ``limit`` days:
    ``([{day, open_source_ids}], next_cursor)``. For the project's station, the province
    administrator and the contractor; 403 the other parties, 404 project not visible / other tenant;
    422 ``date_to`` (before ``date_from``, or more than 366 days), ``cursor``."""
    project = await get_visible(mongo=mongo, actor=actor, project_id=project_id)
    rules.ensure_may_see_missing_days(actor, project)
    sources = await mongo.repo(SOURCES, actor.tenant).find({"project_id": project_id}, limit=0)
    first = min((rules.as_date(s["start_date"]) for s in sources), default=None)
    span = rules.period(date_from, date_to, today=china_day(utcnow(), actor.tenant), first_day=first)
    if span is None:
        return [], None
    start, end = span
    if cursor:
        start = max(start, _day_after(cursor))
        if start > end:
            return [], None
    logs = await mongo.repo(LOGS, actor.tenant).find(
        {"project_id": project_id, "log_date": {"$gte": start.isoformat(), "$lte": end.isoformat()}},
        projection={"log_date": 1}, limit=0)
    gaps = rules.missing_days(sources, {date.fromisoformat(g["log_date"]) for g in logs}, start, end)
    if len(gaps) <= limit:
        return gaps, None
    page = gaps[:limit]
    return page, encode_cursor([page[-1]["day"].isoformat()], DAY_ORDER)
