"""Hazard catalog (隐患库) and project directory endpoints (read only): HB-02, HB-04."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.pagination import Cursor, Limit

from ...domain.catalog import CatalogSource
from ...service_layer import catalog as catalog_cases
from ...service_layer import directory
from .deps import MongoDep
from .schemas import CatalogItemPage, CatalogItemRead, CheckTableRead, ProjectPage, ProjectRead

router = APIRouter(prefix="/catalog", tags=["catalog"])
projects_router = APIRouter(prefix="/projects", tags=["projects"])


@router.get("/check-tables", response_model=list[CheckTableRead], summary="JGJ 59-2011 check tables")
async def check_tables(principal: CurrentPrincipal, mongo: MongoDep) -> list[CheckTableRead]:
    """The 19 check tables (检查评分表, JGJ 59-2011 appendix A) of the caller's tenant with their
    items (code ``JGJ59-A.0.1-01``, name, kind 保证项目/一般项目, points), in table order."""
    return [CheckTableRead.model_validate(t) for t in
            await catalog_cases.check_tables(mongo=mongo, principal=principal)]


@router.get("/items", response_model=CatalogItemPage, summary="Search the hazard catalog")
async def search_items(
    principal: CurrentPrincipal, mongo: MongoDep,
    q: Annotated[str | None, Query(max_length=100, description="substring of the name/text")] = None,
    source: Annotated[CatalogSource | None, Query(description="jgj59 | major2024")] = None,
    table: Annotated[str | None, Query(max_length=20, description="check table code, e.g. A.0.1")] = None,
    major: Annotated[bool | None, Query(description="only major (true) or only ordinary (false) items")] = None,
    limit: Limit = 20, cursor: Cursor = None,
) -> CatalogItemPage:
    """HB-04 选择隐患: catalog items of the caller's tenant in catalog order (JGJ 59 tables, then
    the 53 items of the 2024 major-hazard standard). Paginated (``limit`` 1..100, ``cursor``)."""
    docs, next_cursor = await catalog_cases.search_items(mongo=mongo, principal=principal, q=q, source=source,
                                                         table=table, major=major, limit=limit, cursor=cursor)
    return CatalogItemPage(items=[CatalogItemRead.model_validate(d) for d in docs], next_cursor=next_cursor)


@router.get("/items/{code}", response_model=CatalogItemRead, summary="One catalog item")
async def get_item(code: Annotated[str, Path(max_length=40)], principal: CurrentPrincipal,
                   mongo: MongoDep) -> CatalogItemRead:
    """One item by code (``JGJ59-A.0.1-01``, ``ZD2024-5.4``); 404 unknown."""
    return CatalogItemRead.model_validate(await catalog_cases.get_item(mongo=mongo, principal=principal, code=code))


@projects_router.get("", response_model=ProjectPage, summary="Projects a plan can name")
async def list_projects(principal: CurrentPrincipal, mongo: MongoDep, limit: Limit = 20,
                        cursor: Cursor = None) -> ProjectPage:
    """HB-02: the projects of the caller's station known to this service (its read model of
    ``projects.project.*.v1``), newest first; a plan can only name these. 403 other roles."""
    docs, next_cursor = await directory.station_projects(mongo=mongo, principal=principal, limit=limit,
                                                         cursor=cursor)
    return ProjectPage(items=[ProjectRead.model_validate(d) for d in docs], next_cursor=next_cursor)
