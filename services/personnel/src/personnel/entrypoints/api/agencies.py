"""Hunan agencies' own records over HTTP (HUN-02..HUN-08) under ``/api/personnel/v1/agencies``.

An agency is an identity organisation of kind ``agency``; ``{agency_id}`` is its org id. Who
sees what: the agency itself, the province office, a city its counties' agencies (404
``agency-not-found`` otherwise); who writes: the agency's own leader (403 ``not-agency-leader``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from anjian_shared.auth import CurrentPrincipal, Principal, require_permission
from anjian_shared.errors import Unprocessable
from anjian_shared.pagination import Cursor, Limit, Page
from anjian_shared.types import ShortStr

from ...service_layer import agencies as service

AgencyWriter = Annotated[Principal, Depends(require_permission("agencies.write"))]
"""The caller of an agency's record writes: needs ``agencies.write`` (403 ``permission-missing``;
the agency's leader bundles it, HUN-21 grants may give it to its other staff); the use case
then checks it is the agency's own (``domain.agencies.may_manage``)."""

router = APIRouter(prefix="/agencies", tags=["agencies (Hunan)"])
AgencyId = Annotated[str, Path(max_length=64)]
StaffId = Annotated[str, Path(max_length=64)]
Year = Annotated[int, Path(ge=2000, le=2100)]
Mobile = Annotated[str, StringConstraints(pattern=r"^1\d{10}$")]
Kind = Literal["combined", "quality", "safety"]
Post = Literal["leader", "technical_leader", "supervisor", "administrative", "other"]
Education = Literal["doctorate", "master", "bachelor", "college", "secondary_or_below"]
Title = Literal["senior", "vice_senior", "intermediate", "junior", "none"]


class BasicInfo(BaseModel):
    """监督机构基本信息 (HUN-02). Required fields are those marked * in the manual's form."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "长沙市建设工程质量安全监督站", "credit_code": "12430100MB1A23456X", "kind": "combined",
        "approved_headcount": 60, "address": "长沙市岳麓区麓山南路 1 号", "leader_name": "周建国",
        "leader_mobile": "13800000001", "established_on": "1995-06-01"}]})
    name: ShortStr = Field(description="机构名称")
    credit_code: Annotated[str, StringConstraints(min_length=18, max_length=18)] = Field(
        description="统一社会信用代码 (GB 32100, check character verified)")
    kind: Kind = Field(description="机构类型: combined 质量安全监督合署 / quality 独立质量 / safety 独立安全")
    approved_headcount: int = Field(ge=0, le=10000, description="核定编制 (persons)")
    address: ShortStr = Field(description="办公地址")
    leader_name: ShortStr = Field(description="机构负责人")
    leader_mobile: Mobile = Field(description="负责人手机")
    established_on: date | None = Field(default=None, description="成立日期")
    phone: Annotated[str, StringConstraints(max_length=30)] | None = Field(default=None, description="办公电话")
    funding_source: Literal["full_budget", "partial_budget", "self_funded"] | None = Field(
        default=None, description="经费来源: 全额拨款 / 差额拨款 / 自收自支")


class Step(BaseModel):
    step: str
    done: bool


class Progress(BaseModel):
    year: int
    steps: list[Step] = Field(description="basic_info → staffing → supervised_projects → funding → qualification")
    completed: int
    of: int
    next_step: str | None
    qualification_status: str


class AgencyOrg(BaseModel):
    org_id: str
    name: str
    division_code: str | None = None


class AgencySummary(BaseModel):
    agency: AgencyOrg
    basic_info: dict[str, Any] | None
    progress: Progress


class AgencyDetail(AgencySummary):
    qualification: dict[str, Any] | None
    projects: dict[str, Any] | None
    funding: dict[str, Any] | None


class StaffCreate(BaseModel):
    """新增非持证人员 (HUN-05)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "李明", "gender": "male", "birth_date": "1988-04-12", "post": "administrative",
        "education": "bachelor", "title": "intermediate"}]})
    name: ShortStr
    gender: Literal["male", "female"]
    birth_date: date
    post: Post = Field(description="岗位")
    education: Education = Field(description="学历")
    title: Title = Field(description="职称")
    mobile: Mobile | None = None
    hired_on: date | None = None


class StaffChange(BaseModel):
    """修改 (HUN-05): only the fields given change; ``version`` guards against a lost update."""

    model_config = ConfigDict(extra="forbid")
    name: ShortStr | None = None
    gender: Literal["male", "female"] | None = None
    birth_date: date | None = None
    post: Post | None = None
    education: Education | None = None
    title: Title | None = None
    mobile: Mobile | None = None
    hired_on: date | None = None
    version: int | None = Field(default=None, ge=1, description="the version read; 409 version-mismatch if changed")


class StaffRead(BaseModel):
    id: str
    agency_org_id: str
    name: str
    gender: str
    birth_date: date
    post: str
    education: str
    title: str
    mobile: str | None = None
    hired_on: date | None = None
    certificates: list[dict[str, Any]] = Field(description=(
        "supervision certificates (HUN-09): id, kind quality|safety, number, issued_on, valid_until, photo, "
        "status valid|cancelled, cancellation, reissued; the personal record (…/record) adds photo URLs"))
    version: int


class StaffPage(Page[StaffRead]):
    pass


class AgencyPage(Page[AgencySummary]):
    pass


class Structure(BaseModel):
    year: int
    total: int
    by_post: dict[str, int]
    by_education: dict[str, int]
    by_title: dict[str, int]
    by_age_band: dict[str, int] = Field(description="age as of 31 December of the year")
    by_certificate_holding: dict[str, int]
    frozen: bool = Field(description="false: this year, live; true: a past year frozen on 31 December")
    frozen_at: datetime | None


class ProjectFigures(BaseModel):
    """监督工程情况 of a year (HUN-06)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "year": 2025, "projects": 128, "new_projects": 40, "completed_projects": 35,
        "floor_area_10k_m2": 356.5, "investment_10k_yuan": 812000}]})
    year: int = Field(ge=2000, le=2100)
    projects: int = Field(ge=0, description="projects under supervision (个)")
    new_projects: int = Field(ge=0, description="projects taken into supervision this year")
    completed_projects: int = Field(ge=0, description="projects completed this year")
    floor_area_10k_m2: float = Field(ge=0, description="floor area supervised (万平方米)")
    investment_10k_yuan: float = Field(ge=0, description="investment supervised (万元)")


class FundingFigures(BaseModel):
    """监督经费情况 of a year (HUN-07); ``total_10k_yuan`` is computed from the details."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "year": 2025, "fiscal_10k_yuan": 820.0, "other_income_10k_yuan": 35.5, "personnel_costs_10k_yuan": 610.0,
        "operating_costs_10k_yuan": 190.0, "equipment_costs_10k_yuan": 40.0}]})
    year: int = Field(ge=2000, le=2100)
    fiscal_10k_yuan: float = Field(ge=0, description="财政拨款 (万元)")
    other_income_10k_yuan: float = Field(ge=0, description="其他收入 (万元)")
    personnel_costs_10k_yuan: float = Field(ge=0, description="人员经费支出 (万元)")
    operating_costs_10k_yuan: float = Field(ge=0, description="公用经费支出 (万元)")
    equipment_costs_10k_yuan: float = Field(ge=0, description="设备购置支出 (万元)")


class AnnualRecord(AgencyDetail):
    staffing: Structure


class FiguresRead(BaseModel):
    agency_org_id: str
    kind: Literal["projects", "funding"]
    year: int
    figures: dict[str, Any]
    version: int


class QualificationFiling(BaseModel):
    """监督资格验证情况填报 (HUN-08)."""

    model_config = ConfigDict(extra="forbid")
    certificate_number: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    issued_on: date
    valid_until: date


class QualificationDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["verify", "reject"]
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class QualificationRead(BaseModel):
    agency_org_id: str
    certificate_number: str
    issued_on: date
    valid_until: date
    status: str
    decision: dict[str, Any] | None = None


def _mongo(request: Request) -> Any:
    return request.app.state.mongo


def _staff(doc: dict[str, Any]) -> StaffRead:
    return StaffRead(id=doc["_id"], **{k: doc.get(k) for k in StaffRead.model_fields if k != "id"})


def _figures(doc: dict[str, Any]) -> FiguresRead:
    return FiguresRead(**{k: doc[k] for k in FiguresRead.model_fields})


def _summary(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "agency": AgencyOrg(**{k: item["agency"].get(k) for k in AgencyOrg.model_fields})}


def _funding(body: FundingFigures) -> dict[str, Any]:
    figures = body.model_dump(exclude={"year"})
    figures["income_total_10k_yuan"] = round(figures["fiscal_10k_yuan"] + figures["other_income_10k_yuan"], 4)
    figures["expenditure_total_10k_yuan"] = round(figures["personnel_costs_10k_yuan"] + figures[
        "operating_costs_10k_yuan"] + figures["equipment_costs_10k_yuan"], 4)
    return figures


@router.get("", response_model=AgencyPage)
async def list_agencies(principal: CurrentPrincipal, request: Request, limit: Limit = 20, cursor: Cursor = None,
                        kind: Kind | None = None) -> AgencyPage:
    """HUN-02 监督机构基本情况汇总: the agencies the caller sees, by name, with basic
    information and this year's progress; ``kind`` filters. Paginated (``next_cursor``)."""
    items, nxt = await service.list_agencies(mongo=_mongo(request), actor=principal, kind=kind, limit=limit,
                                             cursor=cursor)
    return AgencyPage(items=[AgencySummary(**_summary(i)) for i in items], next_cursor=nxt)


@router.get("/{agency_id}", response_model=AgencyDetail)
async def agency_detail(agency_id: AgencyId, principal: CurrentPrincipal, request: Request,
                        year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> AgencyDetail:
    """HUN-02 查看详情: basic information, completion progress of ``year`` (default this
    year), qualification (HUN-08), the year's project and funding figures. 404 when not visible."""
    detail = await service.agency_detail(mongo=_mongo(request), actor=principal, agency_org_id=agency_id, year=year)
    return AgencyDetail(**_summary(detail))


@router.put("/{agency_id}/basic-info", response_model=AgencyDetail)
async def save_basic_info(agency_id: AgencyId, body: BasicInfo, principal: AgencyWriter,
                          request: Request) -> AgencyDetail:
    """HUN-02 监督机构基本信息填报 (the agency's leader): required fields per the schema; 422
    naming the field (``credit-code-check-character`` for a wrong GB 32100 code); 403
    ``not-agency-leader``; 404 for an agency the caller does not see."""
    await service.save_basic_info(mongo=_mongo(request), actor=principal, agency_org_id=agency_id,
                                  data=body.model_dump())
    detail = await service.agency_detail(mongo=_mongo(request), actor=principal, agency_org_id=agency_id)
    return AgencyDetail(**_summary(detail))


@router.get("/{agency_id}/staff", response_model=StaffPage)
async def list_staff(agency_id: AgencyId, principal: CurrentPrincipal, request: Request, limit: Limit = 20,
                     cursor: Cursor = None, post: Post | None = None) -> StaffPage:
    """HUN-05 在职工作人员基础数据: current staff by name (``post`` filters), paginated."""
    page = await service.list_staff(mongo=_mongo(request), actor=principal, agency_org_id=agency_id, post=post,
                                    limit=limit, cursor=cursor)
    return StaffPage(items=[_staff(d) for d in page.items], next_cursor=page.next_cursor)


@router.post("/{agency_id}/staff", response_model=StaffRead, status_code=201)
async def add_staff(agency_id: AgencyId, body: StaffCreate, principal: AgencyWriter,
                    request: Request) -> StaffRead:
    """HUN-05 新增非持证人员 (the agency's leader). 422 naming the field
    (``birth-date-implausible``, ``date-in-future``); 403 ``not-agency-leader``; 404."""
    return _staff(await service.add_staff(mongo=_mongo(request), actor=principal, agency_org_id=agency_id,
                                          data=body.model_dump(exclude_none=True)))


@router.patch("/{agency_id}/staff/{staff_id}", response_model=StaffRead)
async def change_staff(agency_id: AgencyId, staff_id: StaffId, body: StaffChange, principal: AgencyWriter,
                       request: Request) -> StaffRead:
    """HUN-05 修改: the given fields change (409 ``version-mismatch`` when ``version`` is stale;
    404 ``staff-not-found`` for another agency's record)."""
    changes = body.model_dump(exclude_none=True, exclude={"version"})
    return _staff(await service.change_staff(mongo=_mongo(request), actor=principal, agency_org_id=agency_id,
                                             staff_id=staff_id, changes=changes, if_version=body.version))


@router.delete("/{agency_id}/staff/{staff_id}", status_code=204)
async def delete_staff(agency_id: AgencyId, staff_id: StaffId, principal: AgencyWriter,
                       request: Request) -> Response:
    """HUN-05 删除 (kept in the history that past years' returns were frozen from)."""
    await service.delete_staff(mongo=_mongo(request), actor=principal, agency_org_id=agency_id, staff_id=staff_id)
    return Response(status_code=204)


@router.get("/{agency_id}/staffing-structure", response_model=Structure)
async def staffing_structure(agency_id: AgencyId, principal: CurrentPrincipal, request: Request,
                             year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> Structure:
    """HUN-04 人员结构情况: this year live; a past year as frozen on 31 December (409
    ``staffing-return-not-frozen-yet`` + Retry-After until the year-end job has run)."""
    return Structure(**await service.staffing_structure(mongo=_mongo(request), actor=principal,
                                                        agency_org_id=agency_id, year=year))


@router.post("/{agency_id}/project-figures", response_model=FiguresRead, status_code=201)
async def add_project_figures(agency_id: AgencyId, body: ProjectFigures, principal: AgencyWriter,
                              request: Request) -> FiguresRead:
    """HUN-06 监督工程情况填报 新增: one per year (409 ``figures-exist-for-year``)."""
    return _figures(await service.add_figures(mongo=_mongo(request), actor=principal, agency_org_id=agency_id,
                                              kind="projects", year=body.year,
                                              figures=body.model_dump(exclude={"year"})))


@router.put("/{agency_id}/project-figures/{year}", response_model=FiguresRead)
async def change_project_figures(agency_id: AgencyId, year: Year, body: ProjectFigures,
                                 principal: AgencyWriter, request: Request) -> FiguresRead:
    """HUN-06 修改 (the body's ``year`` must be the path's: 422 naming ``year``)."""
    _same_year(body.year, year)
    return _figures(await service.change_figures(mongo=_mongo(request), actor=principal, agency_org_id=agency_id,
                                                 kind="projects", year=year,
                                                 figures=body.model_dump(exclude={"year"})))


@router.get("/{agency_id}/project-figures", response_model=list[FiguresRead])
async def list_project_figures(agency_id: AgencyId, principal: CurrentPrincipal, request: Request
                               ) -> list[FiguresRead]:
    """HUN-06 list, newest year first (one per year, so at most one per year since 2000)."""
    return [_figures(d) for d in await service.list_figures(mongo=_mongo(request), actor=principal,
                                                            agency_org_id=agency_id, kind="projects")]


@router.get("/{agency_id}/project-figures/{year}", response_model=FiguresRead)
async def get_project_figures(agency_id: AgencyId, year: Year, principal: CurrentPrincipal,
                              request: Request) -> FiguresRead:
    """HUN-06 查看 (404 ``figures-not-found``)."""
    return _figures(await service.get_figures(mongo=_mongo(request), actor=principal, agency_org_id=agency_id,
                                              kind="projects", year=year))


@router.post("/{agency_id}/funding-figures", response_model=FiguresRead, status_code=201)
async def add_funding_figures(agency_id: AgencyId, body: FundingFigures, principal: AgencyWriter,
                              request: Request) -> FiguresRead:
    """HUN-07 监督经费情况填报 新增 (万元; income and expenditure totals computed): one per year."""
    return _figures(await service.add_figures(mongo=_mongo(request), actor=principal, agency_org_id=agency_id,
                                              kind="funding", year=body.year, figures=_funding(body)))


@router.put("/{agency_id}/funding-figures/{year}", response_model=FiguresRead)
async def change_funding_figures(agency_id: AgencyId, year: Year, body: FundingFigures,
                                 principal: AgencyWriter, request: Request) -> FiguresRead:
    """HUN-07 修改."""
    _same_year(body.year, year)
    return _figures(await service.change_figures(mongo=_mongo(request), actor=principal, agency_org_id=agency_id,
                                                 kind="funding", year=year, figures=_funding(body)))


@router.get("/{agency_id}/funding-figures", response_model=list[FiguresRead])
async def list_funding_figures(agency_id: AgencyId, principal: CurrentPrincipal, request: Request
                               ) -> list[FiguresRead]:
    """HUN-07 list, newest year first."""
    return [_figures(d) for d in await service.list_figures(mongo=_mongo(request), actor=principal,
                                                            agency_org_id=agency_id, kind="funding")]


@router.get("/{agency_id}/funding-figures/{year}", response_model=FiguresRead)
async def get_funding_figures(agency_id: AgencyId, year: Year, principal: CurrentPrincipal,
                              request: Request) -> FiguresRead:
    """HUN-07 查看详情 (with the computed totals)."""
    return _figures(await service.get_figures(mongo=_mongo(request), actor=principal, agency_org_id=agency_id,
                                              kind="funding", year=year))


@router.put("/{agency_id}/qualification", response_model=QualificationRead)
async def file_qualification(agency_id: AgencyId, body: QualificationFiling, principal: AgencyWriter,
                             request: Request) -> QualificationRead:
    """HUN-08 监督资格验证情况填报 (the leader): status ``pending`` until the province office
    decides; 422 ``valid-until-before-issue``; 409 ``qualification-already-verified``."""
    doc = await service.file_qualification(mongo=_mongo(request), actor=principal, agency_org_id=agency_id,
                                           data=body.model_dump())
    return QualificationRead(**doc)


@router.post("/{agency_id}/qualification/decision", response_model=QualificationRead)
async def decide_qualification(agency_id: AgencyId, body: QualificationDecision, principal: CurrentPrincipal,
                               request: Request) -> QualificationRead:
    """HUN-08: the province office verifies or rejects (reason required) a pending
    qualification; 403 ``not-province-office``; 409 ``qualification-not-pending``."""
    doc = await service.decide_qualification(mongo=_mongo(request), actor=principal, agency_org_id=agency_id,
                                             decision=body.decision, reason=body.reason)
    return QualificationRead(**doc)


@router.get("/{agency_id}/annual-record/{year}", response_model=AnnualRecord)
async def annual_record(agency_id: AgencyId, year: Year, principal: CurrentPrincipal,
                        request: Request) -> AnnualRecord:
    """HUN-03 one agency's annual record (the data its export prints): 422
    ``annual-record-incomplete`` naming the first missing part and listing all in ``errors``
    until staffing, supervised projects, funding and qualification are filled."""
    detail = await service.annual_record(mongo=_mongo(request), actor=principal, agency_org_id=agency_id, year=year)
    return AnnualRecord(**_summary(detail))


def _same_year(body_year: int, path_year: int) -> None:
    if body_year != path_year:
        raise Unprocessable("the body's year differs from the path's", field="year", slug="year-mismatch")
