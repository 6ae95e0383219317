"""Libraries of supervision records (HN-04): standard terms (标准规范术语) and violations
(违法违规行为), per tenant, editable by its province admin or a station leader."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.pagination import Cursor, Limit

from ...domain.libraries import CheckType, Library
from ...service_layer import libraries as cases
from .deps import MongoDep, SettingsDep
from .records_schemas import (
    TermCreate,
    TermPage,
    TermRead,
    TermUpdate,
    ViolationCreate,
    ViolationPage,
    ViolationRead,
    ViolationUpdate,
)

router = APIRouter(tags=["record libraries"])

EntryCode = Annotated[str, Path(max_length=40, description="entry code, e.g. JGJ59-A.0.2-06, ZD2024-5.1, ZL-01")]
Q = Annotated[str | None, Query(max_length=100, description="substring of code, text, reference or category")]


@router.get("/terms", response_model=TermPage, summary="Standard terms (标准规范术语)")
async def list_terms(principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep, q: Q = None,
                     check_type: Annotated[CheckType | None, Query(
                         description="quality | safety | combined: the terms a record of this type may cite "
                                     "(combined: all)")] = None,
                     limit: Limit = 20, cursor: Cursor = None) -> TermPage:
    """HN-04 选取标准规范术语: the tenant's terms in display order (JGJ 59-2011 safety terms, the
    illustrative quality starter list, then the tenant's own). Paginated (``limit`` 1..100,
    ``cursor``). Any signed-in user of a tenant with supervision records; 403
    ``feature-disabled`` otherwise."""
    docs, next_cursor = await cases.list_entries(mongo=mongo, settings=settings, principal=principal,
                                                 library=Library.TERMS, q=q, check_type=check_type, limit=limit,
                                                 cursor=cursor)
    return TermPage(items=[TermRead.model_validate(d) for d in docs], next_cursor=next_cursor)


@router.post("/terms", status_code=status.HTTP_201_CREATED, response_model=TermRead, summary="Add a term")
async def create_term(body: TermCreate, principal: CurrentPrincipal, mongo: MongoDep,
                      settings: SettingsDep) -> TermRead:
    """HN-04: the province admin or a station leader adds a term to the tenant's library
    (``check_type``, ``text``, optional ``code``/``reference``). 201; 403 other roles;
    409 ``code`` taken; 422 naming the field."""
    doc = await cases.create_entry(mongo=mongo, settings=settings, principal=principal, library=Library.TERMS,
                                   fields=body.model_dump())
    return TermRead.model_validate(doc)


@router.patch("/terms/{code}", response_model=TermRead, summary="Change a term")
async def update_term(code: EntryCode, body: TermUpdate, principal: CurrentPrincipal, mongo: MongoDep,
                      settings: SettingsDep) -> TermRead:
    """HN-04: the province admin or a station leader changes a term (``text``, ``reference``,
    ``check_type``); submitted records keep the text they cited. 403 other roles; 404
    unknown code."""
    doc = await cases.update_entry(mongo=mongo, settings=settings, principal=principal, library=Library.TERMS,
                                   code=code, changes=body.model_dump(exclude_unset=True))
    return TermRead.model_validate(doc)


@router.delete("/terms/{code}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a term")
async def delete_term(code: EntryCode, principal: CurrentPrincipal, mongo: MongoDep,
                      settings: SettingsDep) -> Response:
    """HN-04: the province admin or a station leader removes a term from the tenant's library
    (seeding will not bring it back; records keep their copy). 204; 403 other roles; 404."""
    await cases.delete_entry(mongo=mongo, settings=settings, principal=principal, library=Library.TERMS, code=code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/violations", response_model=ViolationPage, summary="Violations (违法违规行为)")
async def list_violations(principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep, q: Q = None,
                          limit: Limit = 20, cursor: Cursor = None) -> ViolationPage:
    """HN-04 选取违法违规行为: the tenant's violations in display order (the 53 items of the
    2024 major-hazard standard, then the tenant's own). Paginated. 403 ``feature-disabled``
    for a tenant without supervision records."""
    docs, next_cursor = await cases.list_entries(mongo=mongo, settings=settings, principal=principal,
                                                 library=Library.VIOLATIONS, q=q, check_type=None, limit=limit,
                                                 cursor=cursor)
    return ViolationPage(items=[ViolationRead.model_validate(d) for d in docs], next_cursor=next_cursor)


@router.post("/violations", status_code=status.HTTP_201_CREATED, response_model=ViolationRead,
             summary="Add a violation")
async def create_violation(body: ViolationCreate, principal: CurrentPrincipal, mongo: MongoDep,
                           settings: SettingsDep) -> ViolationRead:
    """HN-04: the province admin or a station leader adds a violation (``text``, optional
    ``code``/``reference``/``category``). 201; 403 other roles; 409 ``code`` taken."""
    doc = await cases.create_entry(mongo=mongo, settings=settings, principal=principal,
                                   library=Library.VIOLATIONS, fields=body.model_dump())
    return ViolationRead.model_validate(doc)


@router.patch("/violations/{code}", response_model=ViolationRead, summary="Change a violation")
async def update_violation(code: EntryCode, body: ViolationUpdate, principal: CurrentPrincipal, mongo: MongoDep,
                           settings: SettingsDep) -> ViolationRead:
    """HN-04: the province admin or a station leader changes a violation's ``text``,
    ``reference`` or ``category``. 403 other roles; 404 unknown code."""
    doc = await cases.update_entry(mongo=mongo, settings=settings, principal=principal,
                                   library=Library.VIOLATIONS, code=code, changes=body.model_dump(exclude_unset=True))
    return ViolationRead.model_validate(doc)


@router.delete("/violations/{code}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a violation")
async def delete_violation(code: EntryCode, principal: CurrentPrincipal, mongo: MongoDep,
                           settings: SettingsDep) -> Response:
    """HN-04: the province admin or a station leader removes a violation. 204; 403; 404."""
    await cases.delete_entry(mongo=mongo, settings=settings, principal=principal, library=Library.VIOLATIONS,
                             code=code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
