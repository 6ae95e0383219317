"""Company personnel over HTTP (HEB-11) under ``/api/personnel/v1``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.pagination import Cursor, Limit, Page
from anjian_shared.types import ShortStr

from ...service_layer import company_people as service

router = APIRouter(tags=["company personnel"])
Category = Literal["A", "B", "C1", "C2", "C3", "electrician", "scaffolder", "signaller_rigger",
                   "crane_driver", "crane_installer", "platform_installer"]
PersonId = Annotated[str, Path(max_length=64)]


class PersonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "王某", "category": "crane_driver", "certificate_number": "冀A042024000123",
        "issued_on": "2025-03-01"}]})
    name: ShortStr
    category: Category = Field(description="三类人员 A/B/C1/C2/C3 or a special-operations category (建质〔2008〕75号)")
    certificate_number: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    issued_on: date
    expires_on: date | None = Field(default=None, description="default: issue + 3 years (A/B/C) or 2 years")


class PersonRead(BaseModel):
    id: str
    company_org_id: str
    name: str
    category: str
    certificate_number: str
    issued_on: date
    expires_on: date
    version: int


class PickCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: date | None = Field(default=None, description="the day it is picked for (default: today, China)")
    category: Category | None = None


def _read(doc: dict[str, Any]) -> PersonRead:
    return PersonRead(id=doc["_id"], **{k: doc[k] for k in (
        "company_org_id", "name", "category", "certificate_number", "issued_on", "expires_on", "version")})


@router.post("/people", response_model=PersonRead, status_code=201)
async def add_person(body: PersonCreate, principal: CurrentPrincipal, request: Request) -> PersonRead:
    """HEB-11: the company administrator enters one of its people with a certificate. 403
    ``not-company-admin``; 422 naming the field (category, future issue, validity too long);
    409 ``certificate-number-taken``."""
    return _read(await service.add_person(mongo=request.app.state.mongo, actor=principal,
                                          data=body.model_dump()))


class PersonPage(Page[PersonRead]):
    """One page of people; pass ``next_cursor`` as ``cursor`` for the next."""


@router.get("/people", response_model=PersonPage)
async def list_people(principal: CurrentPrincipal, request: Request, category: Category | None = None,
                      valid_on: date | None = None, company_org_id: str | None = None, limit: Limit = 20,
                      cursor: Cursor = None) -> PersonPage:
    """HEB-11 one page ``{"items", "next_cursor"}`` of a company's people by name (own company;
    government staff name ``company_org_id``), by ``category``; ``valid_on=YYYY-MM-DD`` keeps only
    certificates valid that day (what an application may pick). 404 for another company's list;
    422 naming ``cursor``."""
    docs, nxt = await service.list_people(mongo=request.app.state.mongo, actor=principal,
                                          company_org_id=company_org_id, category=category, valid_on=valid_on,
                                          limit=limit, cursor=cursor)
    return PersonPage(items=[_read(d) for d in docs], next_cursor=nxt)


@router.post("/people/{person_id}/pick-check", response_model=PersonRead)
async def pick_check(person_id: PersonId, body: PickCheck, principal: CurrentPrincipal,
                     request: Request) -> PersonRead:
    """May the person be picked (HEB-11)? 200 with the person; 422 ``certificate-expired``
    or ``wrong-category``; 404 for another company's person."""
    return _read(await service.pick_check(mongo=request.app.state.mongo, actor=principal, person_id=person_id,
                                          on=body.on, category=body.category))


@router.delete("/people/{person_id}", response_model=PersonRead)
async def remove_person(person_id: PersonId, principal: CurrentPrincipal, request: Request) -> PersonRead:
    """The company administrator removes one of its people (event with ``removed: true``)."""
    return _read(await service.remove_person(mongo=request.app.state.mongo, actor=principal,
                                             person_id=person_id))
