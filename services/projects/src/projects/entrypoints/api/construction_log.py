"""Hebei hazard sources, construction log (HEB-09) and on-duty time (HEB-16) under ``/api/projects/v1``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Response, UploadFile

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.china_time import china_day
from anjian_shared.events.common import MediaRef
from anjian_shared.pagination import Cursor, Limit
from anjian_shared.storage import Storage
from anjian_shared.types import utcnow

from ...domain import hazard_sources as rules
from ...service_layer import construction_log as cases
from ...service_layer import duty_time as duty_cases
from ...settings import Settings
from .construction_log_schemas import (
    ConstructionLogPage,
    ConstructionLogRead,
    DutyTimePage,
    DutyTimeRead,
    HazardSourceClose,
    HazardSourceCreate,
    HazardSourcePage,
    HazardSourceRead,
    MissingDayPage,
    MissingDayRead,
)
from .deps import MongoDep, ProjectId, SettingsDep, StorageDep
from .schemas import PersonRead, PhotoRead

router = APIRouter(tags=["hazard sources and construction log (HEB-09), on-duty time (HEB-16)"])

SourceId = Annotated[str, Path(max_length=64, description="hazard source id")]
LogId = Annotated[str, Path(max_length=64, description="construction log id")]


async def _contractor_project(project_id: ProjectId, principal: CurrentPrincipal, mongo: MongoDep) -> dict[str, Any]:
    """HEB-09: the project the caller files for (404 not visible, 403 not its contractor), checked
    before the body is read."""
    return await cases.load_for_contractor(mongo=mongo, actor=principal, project_id=project_id)


ContractorProject = Annotated[dict[str, Any], Depends(_contractor_project)]


def source_read(doc: dict[str, Any]) -> HazardSourceRead:
    """A stored hazard source as the API shows it (``status`` as of today, China time)."""
    closed_by = doc.get("closed_by")
    return HazardSourceRead(
        id=doc["_id"], project_id=doc["project_id"], kind=doc["kind"], kind_name=rules.HAZARD_KINDS[doc["kind"]],
        category=doc["category"], name=doc["name"], start_date=doc["start_date"],
        planned_end_date=doc["planned_end_date"], actual_end_date=doc.get("actual_end_date"),
        expert_reviewed=doc["expert_reviewed"], status=rules.status(doc, china_day(utcnow())),
        declared_by=PersonRead(**doc["declared_by"]), declared_at=doc["declared_at"],
        closed_by=PersonRead(**closed_by) if closed_by else None, closed_at=doc.get("closed_at"))


async def log_read(storage: Storage, settings: Settings, doc: dict[str, Any]) -> ConstructionLogRead:
    """A stored construction log, each photo with a URL presigned for ``presign_minutes``."""
    photos = []
    for raw in doc["photos"]:
        ref = MediaRef(**raw)
        url = await storage.presigned_get(ref, expires=timedelta(minutes=settings.presign_minutes))
        photos.append(PhotoRead(url=url, content_type=ref.content_type, size=ref.size, sha256=ref.sha256))
    return ConstructionLogRead(
        id=doc["_id"], project_id=doc["project_id"], log_date=doc["log_date"], text=doc["text"], photos=photos,
        open_source_ids=doc["open_source_ids"], filed_by=PersonRead(**doc["filed_by"]), filed_at=doc["filed_at"],
        late=doc["late"])


@router.post("/projects/{project_id}/hazard-sources", response_model=HazardSourceRead, status_code=201,
             summary="Declare a hazard source (危险源申报)")
async def declare_source(project_id: ProjectId, body: HazardSourceCreate, principal: CurrentPrincipal,
                         project: ContractorProject, mongo: MongoDep, response: Response) -> HazardSourceRead:
    """HEB-09: a user of the project's contractor declares a dangerous sub-project (危大工程):
    ``kind`` (the 建办质〔2018〕31号 list), ``category`` general 一般 / major 重大, ``name``,
    ``start_date``, ``planned_end_date`` (China days) and, for a major one, ``expert_reviewed``
    true (its special plan passed 专家论证). While it is open, a construction log is due every
    day. Emits ``projects.hazard_source.declared.v1``.

    201. 404 project unknown / other tenant / not visible; 403 anyone but the contractor;
    422 naming ``kind``, ``category``, ``name``, ``planned_end_date`` (before the start),
    ``expert_reviewed`` (major without expert review).
    """
    doc = await cases.declare_source(mongo=mongo, actor=principal, project_id=project_id, kind=body.kind,
                                     category=body.category, name=body.name, start_date=body.start_date,
                                     planned_end_date=body.planned_end_date, expert_reviewed=body.expert_reviewed)
    response.headers["Location"] = f"/api/projects/v1/projects/{project_id}/hazard-sources/{doc['_id']}"
    return source_read(doc)


@router.get("/projects/{project_id}/hazard-sources", response_model=HazardSourcePage,
            summary="The project's hazard sources (危险源)")
async def list_sources(project_id: ProjectId, principal: CurrentPrincipal, mongo: MongoDep, limit: Limit = 20,
                       cursor: Cursor = None) -> HazardSourcePage:
    """HEB-09: the project's hazard sources, newest declared first, with their ``status``
    (planned / open / overdue / closed), paginated (``limit`` 1..100, ``cursor``), for everyone
    who sees the project. 404 project unknown / other tenant / not visible."""
    docs, nxt = await cases.list_sources(mongo=mongo, actor=principal, project_id=project_id, limit=limit,
                                         cursor=cursor)
    return HazardSourcePage(items=[source_read(d) for d in docs], next_cursor=nxt)


@router.post("/projects/{project_id}/hazard-sources/{source_id}/close", response_model=HazardSourceRead,
             summary="Close a hazard source (危险源结束)")
async def close_source(project_id: ProjectId, source_id: SourceId, body: HazardSourceClose,
                       principal: CurrentPrincipal, project: ContractorProject, mongo: MongoDep) -> HazardSourceRead:
    """HEB-09: the contractor closes a hazard source with ``actual_end_date`` (China day); no
    log is due for it after that day. Emits ``projects.hazard_source.closed.v1``.

    200. 404 project not visible / source unknown or of another project; 403 anyone but the
    contractor; 409 ``hazard-source-closed`` (already closed); 422 ``actual_end_date`` (before
    its start or after today).
    """
    return source_read(await cases.close_source(mongo=mongo, actor=principal, project_id=project_id,
                                                source_id=source_id, actual_end_date=body.actual_end_date))


@router.post("/projects/{project_id}/construction-logs", response_model=ConstructionLogRead, status_code=201,
             summary="File the day's construction log (施工日志)")
async def file_log(
    project_id: ProjectId, principal: CurrentPrincipal, project: ContractorProject, mongo: MongoDep,
    storage: StorageDep, settings: SettingsDep, response: Response,
    log_date: Annotated[date, Form(description="the China day the log is for (YYYY-MM-DD): today or a past "
                                               "day with an open hazard source")],
    text: Annotated[str, Form(min_length=1, max_length=rules.MAX_TEXT, description="what was done on site")],
    photos: Annotated[list[UploadFile], File(description=f"1..{rules.MAX_PHOTOS} JPEG/PNG site photos, each ≤ the "
                                                         "tenant's construction_log_photo_max_bytes (Hebei 600 KB)")],
) -> ConstructionLogRead:
    """HEB-09, multipart/form-data: the contractor files the construction log of ``log_date``
    with ``text`` and ``photos``. One log per project and day. Emits
    ``projects.construction_log.filed.v1``.

    201. 404 project not visible; 403 anyone but the contractor; 409
    ``construction-log-exists`` (that day is filed; two concurrent posts: one 201, one 409);
    422 ``log_date`` (``log-date-future``; ``no-open-hazard-source``: no source open that
    day), ``text``, ``photos`` (none or more than 9); 415 ``photos`` not JPEG/PNG; 413
    ``photos`` over the tenant's limit (split or compress the photo). Nothing is stored when
    refused.
    """
    doc = await cases.file_log(mongo=mongo, storage=storage, settings=settings, actor=principal,
                               project_id=project_id, log_date=log_date, text=text, photos=photos)
    response.headers["Location"] = f"/api/projects/v1/projects/{project_id}/construction-logs/{doc['_id']}"
    return await log_read(storage, settings, doc)


@router.get("/projects/{project_id}/construction-logs", response_model=ConstructionLogPage,
            summary="The project's construction logs (施工日志)")
async def list_logs(project_id: ProjectId, principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                    settings: SettingsDep, limit: Limit = 20, cursor: Cursor = None) -> ConstructionLogPage:
    """HEB-09: the project's construction logs, latest day first, paginated, with presigned
    photo URLs; for everyone who sees the project. 404 project not visible / other tenant."""
    docs, nxt = await cases.list_logs(mongo=mongo, actor=principal, project_id=project_id, limit=limit,
                                      cursor=cursor)
    return ConstructionLogPage(items=[await log_read(storage, settings, d) for d in docs], next_cursor=nxt)


@router.get("/projects/{project_id}/construction-logs/missing-days", response_model=MissingDayPage,
            summary="Days without a construction log (缺报日)")
async def missing_days(
    project_id: ProjectId, principal: CurrentPrincipal, mongo: MongoDep, limit: Limit = 20, cursor: Cursor = None,
    date_from: Annotated[date | None, Query(description="first day (China); default: the first source's start")]
    = None,
    date_to: Annotated[date | None, Query(description="last day (China); default and at most: today")] = None,
) -> MissingDayPage:
    """HEB-09: the days (ascending) on which a hazard source of the project was open and no
    construction log was filed, with the sources open that day; paginated by day. For the
    project's station, the province administrator and the contractor. 403 the other parties
    (and authority staff who are not the province administrator); 404
    project not visible / other tenant; 422 ``date_to`` (before ``date_from`` or more than 366
    days), ``cursor``."""
    gaps, nxt = await cases.missing_days(mongo=mongo, actor=principal, project_id=project_id, date_from=date_from,
                                         date_to=date_to, limit=limit, cursor=cursor)
    return MissingDayPage(items=[MissingDayRead(**g) for g in gaps], next_cursor=nxt)


@router.get("/projects/{project_id}/construction-logs/{log_id}", response_model=ConstructionLogRead,
            summary="One construction log (施工日志)")
async def get_log(project_id: ProjectId, log_id: LogId, principal: CurrentPrincipal, mongo: MongoDep,
                  storage: StorageDep, settings: SettingsDep) -> ConstructionLogRead:
    """HEB-09: one construction log of a project the caller sees. 404 project not visible /
    other tenant, or log unknown / of another project."""
    return await log_read(storage, settings, await cases.get_log(mongo=mongo, actor=principal,
                                                                 project_id=project_id, log_id=log_id))


@router.get("/projects/{project_id}/duty-time", response_model=DutyTimePage,
            summary="Project managers' on-duty time (人员到岗履职)")
async def duty_time(
    project_id: ProjectId, principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep,
    date_from: Annotated[date, Query(description="first day of the period (China day)")],
    date_to: Annotated[date, Query(description="last day of the period (China day; days after today are left out; "
                                               "at most 366 days)")],
    limit: Limit = 20, cursor: Cursor = None,
) -> DutyTimePage:
    """HEB-16: per project manager (项目经理/项目负责人) and China day of the period, the time on
    site computed from their HN-11 clock-ins: clock-ins within ``site_radius_m`` metres of the
    project's position (tenant policy ``duty_site_radius_m``, default 500) form stays from
    their first to their last clock-in, cut by off-site clock-ins; a stay of one clock-in (no
    clock-out) counts 0 minutes and marks the day ``incomplete``; nothing pairs across
    midnight (the full rule: ``projects.domain.duty_time``). Rows day ascending then user id,
    paginated (``limit`` 1..100, ``cursor``).

    The project's station and the province administrator see every manager, a project manager only
    their own rows. 403 anyone else who sees the project, or ``feature-disabled``
    (attendance off); 404 project not visible / other tenant; 422 ``date_from``/``date_to``
    missing, ``date_to`` before ``date_from`` or period over 366 days, ``cursor``.
    """
    rows, nxt, radius = await duty_cases.duty_time(mongo=mongo, settings=settings, actor=principal,
                                                   project_id=project_id, date_from=date_from, date_to=date_to,
                                                   limit=limit, cursor=cursor)
    return DutyTimePage(items=[DutyTimeRead(**r) for r in rows], next_cursor=nxt, site_radius_m=radius)
