"""Online project filing (网上报监, HN-01) under ``/api/projects/v1/filings``: the owner files,
edits and submits; the addressed station accepts (assigning supervisors: the project is
registered and its parties' people get access), returns or does not accept."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from anjian_shared.applications import STAGE_LABELS, Stage
from anjian_shared.auth import CurrentPrincipal
from anjian_shared.pagination import Cursor, Limit, Page
from anjian_shared.types import ShortStr

from ...domain.model import PROJECT_ROLES
from ...service_layer import filing as cases
from .deps import MongoDep, SettingsDep
from .schemas import ParticipantIn

router = APIRouter(tags=["filings"])
FilingId = Annotated[str, Path(max_length=64, description="filing id")]


class FilingForm(BaseModel):
    """HN-01 网上报监: the project as the owner files it (the owner is the caller's company)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "海口江东新区安居房一期", "address": "海口市美兰区江东大道 1 号", "station_org_id": "…",
        "contractor_org_id": "…", "supervision_org_id": "…",
        "participants": [{"user_id": "…", "project_role": "project_manager"}]}]})

    name: ShortStr
    address: ShortStr
    station_org_id: str = Field(max_length=64, description="the local supervision station (监督站) it is filed with")
    contractor_org_id: str = Field(max_length=64, description="施工单位")
    supervision_org_id: str = Field(max_length=64, description="监理单位")
    participants: Annotated[list[ParticipantIn], Field(max_length=200, description=(
        "the parties' personnel (项目经理, 总监理工程师, …): they get access once the station accepts"))] = []


class FilingDecision(BaseModel):
    """HN-01: the station's decision."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"action": "accept", "supervisor_user_ids": ["…"]},
        {"action": "return", "comment": "监理单位信息有误，请更正后重新上报"}]})

    action: Literal["accept", "return", "not_accept"] = Field(description="受理 | 退回 | 不予受理")
    comment: str | None = Field(None, max_length=2000, description="the reason (required to return / not accept)")
    supervisor_user_ids: list[str] = Field([], max_length=50, description="accept: the supervisors assigned")


class FilingParticipant(BaseModel):
    user_id: str
    org_id: str
    name: str
    project_role: str
    project_role_label: str = ""


class FilingStep(BaseModel):
    action: str
    label: str
    by: dict[str, Any]
    at: datetime
    from_stage: str | None
    to_stage: str
    comment: str = ""


class FilingRead(BaseModel):
    """A filing: ``stage`` draft 草稿 | submitted 已上报 | accepted 已受理 | returned 已退回 |
    not_accepted 不予受理; ``project_id`` once accepted."""

    id: str
    stage: str
    stage_label: str
    applicant: dict[str, Any]
    station_org_id: str
    name: str
    address: str
    owner_org_id: str
    contractor_org_id: str
    supervision_org_id: str
    participants: list[FilingParticipant]
    decision: str | None = Field(None, description="the station's last reason (退回/不予受理)")
    project_id: str | None = Field(None, description="the registered project, once accepted")
    supervisor_user_ids: list[str] = []
    history: list[FilingStep]
    created_at: datetime
    submitted_at: datetime | None = None
    accepted_at: datetime | None = None
    version: int


FilingPage = Page[FilingRead]


def filing_read(doc: dict[str, Any]) -> FilingRead:
    form = doc["form"]
    return FilingRead(
        id=doc["_id"], stage=doc["stage"], stage_label=STAGE_LABELS[Stage(doc["stage"])], applicant=doc["applicant"],
        station_org_id=form["station_org_id"], name=form["name"], address=form["address"],
        owner_org_id=form["owner_org_id"], contractor_org_id=form["contractor_org_id"],
        supervision_org_id=form["supervision_org_id"],
        participants=[FilingParticipant(**p, project_role_label=PROJECT_ROLES.get(p["project_role"], ""))
                      for p in form["participants"]],
        decision=doc.get("decision"), project_id=doc.get("project_id"),
        supervisor_user_ids=doc.get("supervisor_user_ids", []), history=doc.get("history", []),
        created_at=doc["created_at"], submitted_at=doc.get("submitted_at"), accepted_at=doc.get("accepted_at"),
        version=doc["version"])


@router.post("/filings", response_model=FilingRead, status_code=status.HTTP_201_CREATED,
             summary="File a project online (网上报监)")
async def create_filing(body: FilingForm, principal: CurrentPrincipal, mongo: MongoDep,
                        settings: SettingsDep) -> FilingRead:
    """HN-01: a user of an owner company (建设单位) files a project with its parties and their
    personnel, addressed to the local station (a draft until submitted). 403 ``feature-disabled``
    where the province does not allow online filing (tenant policy ``online_filing``),
    ``not-an-owner``; 422 naming the field (a party not a company of that role, a participant
    not of a party, ``station_org_id`` not a station)."""
    return filing_read(await cases.create_filing(mongo=mongo, settings=settings, principal=principal,
                                                 data=body.model_dump()))


@router.get("/filings", response_model=FilingPage, summary="Filings I filed or my station received")
async def list_filings(principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep,
                       stage: Annotated[Stage | None, Query(description="only this stage")] = None,
                       limit: Limit = 20, cursor: Cursor = None) -> FilingPage:
    """HN-01: the owner company's filings and those addressed to the caller's station, newest
    first; paginated."""
    page = await cases.list_filings(mongo=mongo, settings=settings, principal=principal, stage=stage, limit=limit,
                                    cursor=cursor)
    return FilingPage(items=[filing_read(d) for d in page.items], next_cursor=page.next_cursor)


@router.get("/filings/{filing_id}", response_model=FilingRead, summary="One filing")
async def get_filing(filing_id: FilingId, principal: CurrentPrincipal, mongo: MongoDep,
                     settings: SettingsDep) -> FilingRead:
    """HN-01: the owner company always, the addressed station once submitted; 404 otherwise."""
    return filing_read(await cases.get_filing(mongo=mongo, settings=settings, principal=principal,
                                              filing_id=filing_id))


@router.put("/filings/{filing_id}", response_model=FilingRead, summary="Correct a draft or returned filing")
async def edit_filing(filing_id: FilingId, body: FilingForm, principal: CurrentPrincipal, mongo: MongoDep,
                      settings: SettingsDep) -> FilingRead:
    """HN-01: the owner replaces the form of a draft or returned filing. 403 ``not-applicant``;
    404 not visible; 409 ``application-not-draft``; 422 naming the field."""
    return filing_read(await cases.edit_filing(mongo=mongo, settings=settings, principal=principal,
                                               filing_id=filing_id, data=body.model_dump()))


@router.post("/filings/{filing_id}/submit", response_model=FilingRead, summary="Submit to the station (上报)")
async def submit_filing(filing_id: FilingId, principal: CurrentPrincipal, mongo: MongoDep,
                        settings: SettingsDep) -> FilingRead:
    """HN-01 上报 (or resubmission after 退回) to the station named in the form. 403
    ``not-applicant``; 404 not visible; 409 ``application-not-draft``."""
    return filing_read(await cases.submit_filing(mongo=mongo, settings=settings, principal=principal,
                                                 filing_id=filing_id))


@router.post("/filings/{filing_id}/decisions", response_model=FilingRead,
             summary="The station accepts (受理), returns (退回) or does not accept (不予受理)")
async def decide_filing(filing_id: FilingId, body: FilingDecision, principal: CurrentPrincipal, mongo: MongoDep,
                        settings: SettingsDep) -> FilingRead:
    """HN-01: a supervisor or leader of the addressed station decides. ``accept`` with
    ``supervisor_user_ids`` registers the project (``project_id``; event
    ``projects.project.registered.v1``): its parties' people see it from now on. ``return`` and
    ``not_accept`` need ``comment``. 403 ``role-required`` / ``not-addressed-authority``; 404 not
    visible; 409 ``application-not-submitted`` / ``application-not-pending`` /
    ``filing-changed``; 422 ``comment`` / ``supervisor_user_ids``."""
    return filing_read(await cases.decide_filing(
        mongo=mongo, settings=settings, principal=principal, filing_id=filing_id, action=body.action,
        comment=body.comment, supervisor_user_ids=body.supervisor_user_ids))
