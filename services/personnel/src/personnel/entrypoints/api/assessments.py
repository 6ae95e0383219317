"""Hunan assessments and dynamic scoring over HTTP (HUN-16..HUN-18) under ``/api/personnel/v1``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.pagination import Cursor, Limit, Page
from anjian_shared.types import ShortStr

from ...service_layer import assessments as service

router = APIRouter(tags=["assessments and scoring (Hunan)"])
Id = Annotated[str, Path(max_length=64)]
Code = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,20}$")]
CatalogKind = Literal["deduction", "scoring_reason"]


class CatalogItem(BaseModel):
    code: str
    kind: CatalogKind
    text: str
    points: int
    retired: bool = False
    source: str = Field(description="where the item comes from (the shipped sample says it is not official)")


class CatalogItemSave(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kind": "deduction", "text": "未按监督计划实施监督检查", "points": 5}]})
    kind: CatalogKind
    text: ShortStr
    points: int = Field(ge=1, le=100)
    retired: bool = False


class AssessmentStart(BaseModel):
    """``group`` (HUN-16): pick the assessed staff of your agency; ``agency`` (HUN-17): name an
    agency below you."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kind": "group", "assessed_staff_ids": ["a1b2c3d4e5f60718293a4b5c6d7e8f90"], "title": "2026 年第一监督组"}]})
    kind: Literal["group", "agency"]
    assessed_staff_ids: list[Annotated[str, StringConstraints(max_length=64)]] | None = Field(default=None,
                                                                                               max_length=50)
    assessed_agency_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    title: ShortStr | None = None


class Ticked(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, StringConstraints(max_length=20)]
    count: int = Field(default=1, ge=1, le=20, description="how many times the item was found")


class ProjectSave(BaseModel):
    """One assessed project: 工程名称, 建设单位, the deduction items ticked (扣)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "project_name": "湘江新区某住宅项目", "construction_unit": "长沙某置业有限公司",
        "deductions": [{"code": "D02"}, {"code": "D04", "count": 2}]}]})
    project_name: ShortStr
    construction_unit: ShortStr
    deductions: list[Ticked] = Field(default_factory=list, max_length=100)


class PricedItem(BaseModel):
    code: str
    text: str
    points: int
    count: int = 1


class AssessedProject(BaseModel):
    project_name: str
    construction_unit: str
    deductions: list[PricedItem]
    score: int = Field(description="100 minus the points ticked, never below 0")


class AssessmentRead(BaseModel):
    id: str
    kind: str
    title: str | None
    assessor_org_id: str
    agency_org_id: str
    staff_ids: list[str]
    projects: list[AssessedProject]
    status: Literal["draft", "submitted"]
    score: str | None = Field(description="the mean of the projects' scores, 2 decimals, once submitted")
    submitted_at: datetime | None
    version: int


class AssessmentPage(Page[AssessmentRead]):
    pass


class ScoreCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "staff_id": "a1b2c3d4e5f60718293a4b5c6d7e8f90", "date": "2026-11-20", "reason_codes": ["R02"],
        "note": "行政处罚决定书日期填写错误"}]})
    staff_id: Annotated[str, StringConstraints(max_length=64)]
    date: date
    reason_codes: list[Annotated[str, StringConstraints(max_length=20)]] = Field(min_length=1, max_length=20)
    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class ScoreRead(BaseModel):
    id: str
    agency_org_id: str
    staff_id: str
    staff_name: str
    date: date
    reasons: list[PricedItem]
    points: int
    note: str | None
    status: Literal["pending", "approved"]
    approved_by: str | None
    approved_at: datetime | None


class ScorePage(Page[ScoreRead]):
    pass


class StaffTotal(BaseModel):
    staff_id: str
    year: int
    total: int = Field(description="approved points of the year")
    threshold: int = Field(description="tenant limit dynamic_score_threshold")
    flagged: bool
    pending: int = Field(description="entries still waiting for the leader's approval (not counted)")


def _mongo(request: Request) -> Any:
    return request.app.state.mongo


def _assessment(doc: dict[str, Any]) -> AssessmentRead:
    return AssessmentRead(id=doc["_id"], **{k: doc.get(k) for k in AssessmentRead.model_fields if k != "id"})


def _score(doc: dict[str, Any]) -> ScoreRead:
    return ScoreRead(id=doc["_id"], **{k: doc.get(k) for k in ScoreRead.model_fields if k != "id"})


@router.get("/assessment-catalog", response_model=list[CatalogItem])
async def list_catalog(principal: CurrentPrincipal, request: Request, kind: CatalogKind | None = None
                       ) -> list[CatalogItem]:
    """The province's deduction items (HUN-16) and scoring reasons (HUN-18); the shipped
    sample says in ``source`` that it is not an official standard."""
    return [CatalogItem(**d) for d in await service.list_catalog(mongo=_mongo(request), actor=principal, kind=kind)]


@router.put("/assessment-catalog/{code}", response_model=CatalogItem)
async def save_catalog_item(code: Code, body: CatalogItemSave, principal: CurrentPrincipal,
                            request: Request) -> CatalogItem:
    """The province administrator adds or changes (or retires) an item; 403 ``not-province-admin``."""
    return CatalogItem(**await service.save_catalog_item(mongo=_mongo(request), actor=principal, code=code,
                                                         data=body.model_dump()))


@router.post("/assessments", response_model=AssessmentRead, status_code=201)
async def start_assessment(body: AssessmentStart, principal: CurrentPrincipal, request: Request) -> AssessmentRead:
    """HUN-16 新增被考核人员 / HUN-17: open a draft sheet. 404 ``staff-not-found`` naming
    ``assessed_staff_ids.<i>``; 403 ``not-agency-leader`` / ``not-above-assessed``."""
    return _assessment(await service.start_assessment(
        mongo=_mongo(request), actor=principal, kind=body.kind, assessed_staff_ids=body.assessed_staff_ids,
        assessed_agency_id=body.assessed_agency_id, title=body.title))


@router.get("/assessments", response_model=AssessmentPage)
async def list_assessments(principal: CurrentPrincipal, request: Request, limit: Limit = 20, cursor: Cursor = None,
                           status: Literal["draft", "submitted"] | None = None) -> AssessmentPage:
    """Your organisation's sheets, newest first (drafts to resume with ``status=draft``)."""
    page = await service.list_assessments(mongo=_mongo(request), actor=principal, status=status, limit=limit,
                                          cursor=cursor)
    return AssessmentPage(items=[_assessment(d) for d in page.items], next_cursor=page.next_cursor)


@router.get("/assessments/{assessment_id}", response_model=AssessmentRead)
async def get_assessment(assessment_id: Id, principal: CurrentPrincipal, request: Request) -> AssessmentRead:
    """One sheet (the assessor; the assessed agency once submitted)."""
    return _assessment(await service.get_assessment(mongo=_mongo(request), actor=principal,
                                                    assessment_id=assessment_id))


@router.post("/assessments/{assessment_id}/projects", response_model=AssessmentRead, status_code=201)
async def add_project(assessment_id: Id, body: ProjectSave, principal: CurrentPrincipal,
                      request: Request) -> AssessmentRead:
    """HUN-16 新增项目 + 保存: 422 naming ``deductions.<i>.code`` for an item not in the
    catalog; 409 ``assessment-submitted``."""
    return _assessment(await service.save_project(mongo=_mongo(request), actor=principal,
                                                  assessment_id=assessment_id, **body.model_dump()))


@router.put("/assessments/{assessment_id}/projects/{index}", response_model=AssessmentRead)
async def change_project(assessment_id: Id, index: Annotated[int, Path(ge=0, le=200)], body: ProjectSave,
                         principal: CurrentPrincipal, request: Request) -> AssessmentRead:
    """HUN-16 resume: replace the ``index``-th project (0-based); 404 ``assessed-project-not-found``."""
    return _assessment(await service.save_project(mongo=_mongo(request), actor=principal,
                                                  assessment_id=assessment_id, index=index, **body.model_dump()))


@router.post("/assessments/{assessment_id}/submission", response_model=AssessmentRead)
async def submit_assessment(assessment_id: Id, principal: CurrentPrincipal, request: Request) -> AssessmentRead:
    """HUN-16 提交: the score is fixed and the sheet never changes; 422
    ``assessment-without-projects``; 409 ``assessment-submitted``."""
    return _assessment(await service.submit_assessment(mongo=_mongo(request), actor=principal,
                                                       assessment_id=assessment_id))


@router.post("/dynamic-scores", response_model=ScoreRead, status_code=201)
async def record_score(body: ScoreCreate, principal: CurrentPrincipal, request: Request) -> ScoreRead:
    """HUN-18 动态考核记分: points for reasons of the catalog, pending the leader's approval."""
    return _score(await service.record_score(mongo=_mongo(request), actor=principal, staff_id=body.staff_id,
                                             on=body.date, reason_codes=body.reason_codes, note=body.note))


@router.get("/dynamic-scores", response_model=ScorePage)
async def list_scores(principal: CurrentPrincipal, request: Request, limit: Limit = 20, cursor: Cursor = None,
                      year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
                      status: Literal["pending", "approved"] | None = None) -> ScorePage:
    """HUN-18 the agency's entries, newest first."""
    page = await service.list_scores(mongo=_mongo(request), actor=principal, year=year, status=status, limit=limit,
                                     cursor=cursor)
    return ScorePage(items=[_score(d) for d in page.items], next_cursor=page.next_cursor)


@router.post("/dynamic-scores/{score_id}/approval", response_model=ScoreRead)
async def approve_score(score_id: Id, principal: CurrentPrincipal, request: Request) -> ScoreRead:
    """HUN-18 the agency leader approves (403 ``not-agency-leader``; 409 ``score-already-approved``)."""
    return _score(await service.approve_score(mongo=_mongo(request), actor=principal, score_id=score_id))


@router.delete("/dynamic-scores/{score_id}", status_code=204)
async def delete_score(score_id: Id, principal: CurrentPrincipal, request: Request) -> Response:
    """HUN-18 delete an unapproved entry (409 ``score-already-approved`` for an approved one)."""
    await service.delete_score(mongo=_mongo(request), actor=principal, score_id=score_id)
    return Response(status_code=204)


@router.get("/agencies/{agency_id}/staff/{staff_id}/dynamic-score", response_model=StaffTotal)
async def staff_total(agency_id: Id, staff_id: Id, principal: CurrentPrincipal, request: Request,
                      year: Annotated[int, Query(ge=2000, le=2100)]) -> StaffTotal:
    """HUN-18 a person's approved points of ``year`` and whether they reach the threshold."""
    return StaffTotal(**await service.staff_total(mongo=_mongo(request), actor=principal, agency_org_id=agency_id,
                                                  staff_id=staff_id, year=year))
