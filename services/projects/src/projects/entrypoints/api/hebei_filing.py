"""Hebei project filings under ``/api/projects/v1``: the safety-supervision filing
(``/supervision-filings``, 安全监督备案 HEB-04) and the applications about a filed project
(``/project-applications``: 综合评定 HEB-05, 文明工地申报 HEB-08). Same lifecycle as HN-01's
filings (``anjian_shared.applications``): draft → 上报 → 受理/退回/不予受理 (→ 办结)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Path, Query, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from anjian_shared.applications import STAGE_LABELS, Stage
from anjian_shared.auth import CurrentPrincipal
from anjian_shared.pagination import Cursor, Limit, Page
from anjian_shared.types import ShortStr

from ...domain import hebei_filing as rules
from ...service_layer import hebei_filing as cases
from .deps import MongoDep, SettingsDep, StorageDep
from .schemas import ParticipantIn

router = APIRouter(tags=["hebei filings"])
FilingId = Annotated[str, Path(max_length=64, description="safety-supervision filing id")]
ApplicationId = Annotated[str, Path(max_length=64, description="project application id")]
PersonId = Annotated[
    str, Field(min_length=1, max_length=64, description="a person id of personnel (HEB-11)")
]


class ContractorParty(BaseModel):
    """施工单位 with the 三类人员 it entered in personnel (单位人员录入, HEB-11)."""

    model_config = ConfigDict(extra="forbid")
    org_id: str = Field(max_length=64, description="the contractor company (施工单位)")
    project_leader_person_id: PersonId = Field(
        description=("项目负责人: a 三类人员 B of the contractor, valid certificate")
    )
    safety_officer_person_ids: list[PersonId] = Field(
        min_length=1,
        max_length=10,
        description=(
            "专职安全生产管理人员: 三类人员 C1/C2/C3 of the contractor, valid certificates"
        ),
    )


class SupervisionParty(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_id: str = Field(max_length=64, description="the supervising engineer (监理单位)")


class Parties(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contractor: ContractorParty
    supervision: SupervisionParty


class SupervisionFilingForm(BaseModel):
    """HEB-04 安全监督备案: the project as the owner files it (the owner is the caller's company)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "石家庄长安区保障房三期",
                    "address": "石家庄市长安区建设北大街 66 号",
                    "division_code": "130102",
                    "civilized_site_standard": "municipal",
                    "parties": {
                        "contractor": {
                            "org_id": "…",
                            "project_leader_person_id": "…",
                            "safety_officer_person_ids": ["…"],
                        },
                        "supervision": {"org_id": "…"},
                    },
                    "participants": [],
                }
            ]
        },
    )

    name: ShortStr
    address: ShortStr
    division_code: str = Field(
        min_length=6, max_length=6, description="GB/T 2260 code where the project lies"
    )
    station_org_id: str | None = Field(
        None,
        max_length=64,
        description=(
            "the station chosen (optional): must be the one whose jurisdiction covers division_code"
        ),
    )
    civilized_site_standard: Literal["none", "municipal", "provincial"] = Field(
        description=(
            "文明工地标准 the project commits to: none 不申报 | municipal 市级 | provincial 省级"
        )
    )
    parties: Parties
    participants: Annotated[
        list[ParticipantIn],
        Field(
            max_length=200,
            description=("the parties' people who sign in to the project once accepted"),
        ),
    ] = []


class FilingDecision(BaseModel):
    """HEB-04: the station's decision (as HN-01)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "accept", "supervisor_user_ids": ["…"]},
                {"action": "return", "comment": "请补充施工许可证"},
            ]
        },
    )

    action: Literal["accept", "return", "not_accept"] = Field(description="受理 | 退回 | 不予受理")
    comment: str | None = Field(
        None, max_length=2000, description="the reason (required to return / not accept)"
    )
    supervisor_user_ids: list[str] = Field(
        [], max_length=50, description="accept: the supervisors assigned"
    )


class ProjectApplicationForm(BaseModel):
    """HEB-05 综合评定 (owner) or HEB-08 文明工地申报 (contractor) for a filed project."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "comprehensive_evaluation",
                    "project_id": "…",
                    "planned_completion_on": "2027-06-30",
                    "summary": "主体结构已完工，申请综合评定",
                },
                {
                    "kind": "civilized_site",
                    "project_id": "…",
                    "level": "municipal",
                    "summary": "申报市级文明工地",
                },
            ]
        },
    )

    kind: Literal["comprehensive_evaluation", "civilized_site"]
    project_id: str = Field(
        max_length=64, description="a project that came from an accepted 安全监督备案"
    )
    planned_completion_on: date | None = Field(
        None, description="HEB-05: planned completion (竣工) day"
    )
    level: Literal["municipal", "provincial"] | None = Field(
        None, description="HEB-08: the level applied for"
    )
    summary: str = Field("", max_length=4000, description="申请表内容")


class ApplicationDecision(BaseModel):
    """HEB-05/08: the project's station decides."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"action": "accept"}, {"action": "approve", "comment": "同意"}]
        },
    )

    action: Literal["accept", "not_accept", "return", "approve", "refuse"] = Field(
        description="受理 | 不予受理 | 退回 | 办结准予 | 办结不予许可"
    )
    comment: str | None = Field(
        None, max_length=2000, description="the reason (required but for accept/approve)"
    )


class ApplicationRead(BaseModel):
    """An application: ``kind`` supervision_filing | comprehensive_evaluation | civilized_site,
    ``stage`` draft | submitted | accepted | returned | not_accepted | approved | refused, the
    ``form`` as filed, ``attachments``, the ``history``; ``project_id`` once a filing is accepted."""

    id: str
    kind: str
    kind_label: str
    stage: str
    stage_label: str
    applicant: dict[str, Any]
    authority_org_id: str | None = None
    form: dict[str, Any]
    attachments: list[dict[str, Any]] = []
    decision: str | None = None
    project_id: str | None = None
    supervisor_user_ids: list[str] = []
    history: list[dict[str, Any]]
    created_at: datetime
    submitted_at: datetime | None = None
    accepted_at: datetime | None = None
    completed_at: datetime | None = None
    version: int


ApplicationPage = Page[ApplicationRead]


def read(doc: dict[str, Any]) -> ApplicationRead:
    return ApplicationRead(
        id=doc["_id"],
        kind=doc["kind"],
        kind_label=rules.KIND_LABELS.get(doc["kind"], ""),
        stage=doc["stage"],
        stage_label=STAGE_LABELS[Stage(doc["stage"])],
        applicant=doc["applicant"],
        authority_org_id=doc.get("authority_org_id"),
        form=doc["form"],
        attachments=[
            {k: a[k] for k in ("key", "content_type", "size", "sha256") if k in a}
            for a in doc.get("attachments", [])
        ],
        decision=doc.get("decision"),
        project_id=doc.get("project_id") or doc["form"].get("project_id"),
        supervisor_user_ids=doc.get("supervisor_user_ids", []),
        history=doc.get("history", []),
        created_at=doc["created_at"],
        submitted_at=doc.get("submitted_at"),
        accepted_at=doc.get("accepted_at"),
        completed_at=doc.get("completed_at"),
        version=doc["version"],
    )


FILING_KINDS = (rules.SUPERVISION_FILING,)


class SafetyStaffRead(BaseModel):
    """A 三类人员 of the contractor as projects knows it from personnel (HEB-11)."""

    person_id: str
    name: str
    category: str = Field(description="B 项目负责人 | C1/C2/C3 专职安全生产管理人员")
    certificate_number: str
    expires_on: date


SafetyStaffPage = Page[SafetyStaffRead]


@router.get("/contractor-safety-staff", response_model=SafetyStaffPage,
            summary="The contractor's B and C the owner can name in a filing")
async def list_contractor_safety_staff(
    principal: CurrentPrincipal,
    mongo: MongoDep,
    settings: SettingsDep,
    contractor_org_id: Annotated[str, Query(max_length=64, description="the contractor company")],
    limit: Limit = 20,
    cursor: Cursor = None,
) -> SafetyStaffPage:
    """HEB-04/11: the contractor's 三类人员 B and C1–C3 with a certificate valid today (removed
    and expired ones are left out), to name as ``project_leader_person_id`` /
    ``safety_officer_person_ids``; empty until the contractor entered them (单位人员录入). 403
    ``not-an-owner`` / ``feature-disabled``; paginated."""
    page = await cases.list_contractor_staff(
        mongo=mongo, settings=settings, principal=principal, contractor_org_id=contractor_org_id, limit=limit,
        cursor=cursor,
    )
    return SafetyStaffPage(
        items=[SafetyStaffRead(person_id=d["_id"], name=d.get("name", ""), category=d.get("category", ""),
                               certificate_number=d.get("certificate_number", ""), expires_on=d["expires_on"])
               for d in page.items],
        next_cursor=page.next_cursor,
    )


@router.post(
    "/supervision-filings",
    response_model=ApplicationRead,
    status_code=status.HTTP_201_CREATED,
    summary="File a project for safety supervision (安全监督备案)",
)
async def create_supervision_filing(
    body: SupervisionFilingForm, principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep
) -> ApplicationRead:
    """HEB-04: a user of an owner company (建设单位) files the project (a draft): its division
    (GB/T 2260), parties, the contractor's project leader (B) and safety officers (C) entered by
    the contractor in personnel with valid certificates, the civilized-site standard. 403
    ``feature-disabled`` (not Hebei) / ``not-an-owner``; 409 ``person-not-yet-known`` +
    Retry-After (the contractor's person has not reached projects yet); 422 naming the field
    (``parties.contractor.project_leader_person_id``: ``person-not-of-contractor``,
    ``person-removed``, ``certificate-category-mismatch``, ``certificate-expired``;
    ``division_code`` ``unknown-division``; ``parties.contractor.org_id`` …)."""
    return read(
        await cases.create_filing(
            mongo=mongo, settings=settings, principal=principal, data=body.model_dump(mode="json")
        )
    )


@router.get(
    "/supervision-filings", response_model=ApplicationPage, summary="Safety-supervision filings"
)
async def list_supervision_filings(
    principal: CurrentPrincipal,
    mongo: MongoDep,
    settings: SettingsDep,
    stage: Annotated[Stage | None, Query(description="only this stage")] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> ApplicationPage:
    """HEB-04: the owner company's filings and those addressed to the caller's station, newest
    first; paginated."""
    page = await cases.list_applications(
        mongo=mongo,
        settings=settings,
        principal=principal,
        kinds=FILING_KINDS,
        stage=stage,
        limit=limit,
        cursor=cursor,
    )
    return ApplicationPage(items=[read(d) for d in page.items], next_cursor=page.next_cursor)


@router.get(
    "/supervision-filings/{supervision_filing_id}",
    response_model=ApplicationRead,
    summary="One filing",
)
async def get_supervision_filing(
    supervision_filing_id: FilingId,
    principal: CurrentPrincipal,
    mongo: MongoDep,
    settings: SettingsDep,
) -> ApplicationRead:
    """HEB-04: the owner company always, the addressed station once submitted; 404 otherwise."""
    return read(
        await cases.get_application(
            mongo=mongo,
            settings=settings,
            principal=principal,
            app_id=supervision_filing_id,
            kinds=FILING_KINDS,
        )
    )


@router.put(
    "/supervision-filings/{supervision_filing_id}",
    response_model=ApplicationRead,
    summary="Correct a draft or returned filing",
)
async def edit_supervision_filing(
    supervision_filing_id: FilingId,
    body: SupervisionFilingForm,
    principal: CurrentPrincipal,
    mongo: MongoDep,
    settings: SettingsDep,
) -> ApplicationRead:
    """HEB-04: the owner replaces the form (checked as on creation). 403 ``not-applicant``;
    404; 409 ``application-not-draft``."""
    return read(
        await cases.edit_filing(
            mongo=mongo,
            settings=settings,
            principal=principal,
            filing_id=supervision_filing_id,
            data=body.model_dump(mode="json"),
        )
    )


@router.post(
    "/supervision-filings/{supervision_filing_id}/attachments",
    response_model=ApplicationRead,
    status_code=status.HTTP_201_CREATED,
    summary="Attach a file (附件资料)",
)
async def attach_to_supervision_filing(
    supervision_filing_id: FilingId,
    principal: CurrentPrincipal,
    mongo: MongoDep,
    storage: StorageDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description=("PDF, DOCX, XLSX, JPEG or PNG; Hebei ≤ 600 KB"))],
) -> ApplicationRead:
    """HEB-04/17 multipart ``file``: 413 ``attachment-too-large`` over the province's limit
    (Hebei 600 KB: split the file), 415 another type; 403/404/409 as for editing."""
    return read(
        await cases.add_attachment(
            mongo=mongo,
            storage=storage,
            settings=settings,
            principal=principal,
            filing_id=supervision_filing_id,
            upload=file,
        )
    )


@router.post(
    "/supervision-filings/{supervision_filing_id}/submit",
    response_model=ApplicationRead,
    summary="Submit to the station of the project's division (上报)",
)
async def submit_supervision_filing(
    supervision_filing_id: FilingId,
    principal: CurrentPrincipal,
    mongo: MongoDep,
    settings: SettingsDep,
) -> ApplicationRead:
    """HEB-04 上报 to the station whose jurisdiction covers ``division_code`` (422
    ``wrong-authority`` / ``authority-ambiguous`` / ``no-authority-for-division`` naming
    ``station_org_id``); the contractor's people are checked again (409 / 422 as on creation).
    403 ``not-applicant``; 404; 409 ``application-not-draft``."""
    return read(
        await cases.submit_filing(
            mongo=mongo, settings=settings, principal=principal, filing_id=supervision_filing_id
        )
    )


@router.post(
    "/supervision-filings/{supervision_filing_id}/decisions",
    response_model=ApplicationRead,
    summary="The station accepts (受理), returns (退回) or does not accept (不予受理)",
)
async def decide_supervision_filing(
    supervision_filing_id: FilingId,
    body: FilingDecision,
    principal: CurrentPrincipal,
    mongo: MongoDep,
    settings: SettingsDep,
) -> ApplicationRead:
    """HEB-04: ``accept`` with ``supervisor_user_ids`` registers the project (``project_id``;
    event ``projects.project.registered.v1``): its parties see it from now on. 403
    ``role-required`` / ``not-addressed-authority``; 404; 409 stage; 422 ``comment`` /
    ``supervisor_user_ids``."""
    return read(
        await cases.decide_filing(
            mongo=mongo,
            settings=settings,
            principal=principal,
            filing_id=supervision_filing_id,
            action=body.action,
            comment=body.comment,
            supervisor_user_ids=body.supervisor_user_ids,
        )
    )


@router.post(
    "/project-applications",
    response_model=ApplicationRead,
    status_code=status.HTTP_201_CREATED,
    summary="Apply for comprehensive evaluation (综合评定) or a civilized site (文明工地申报)",
)
async def create_project_application(
    body: ProjectApplicationForm,
    principal: CurrentPrincipal,
    mongo: MongoDep,
    settings: SettingsDep,
) -> ApplicationRead:
    """HEB-05 (owner of the project, ``planned_completion_on``) / HEB-08 (its contractor,
    ``level`` within the standard chosen at filing), a draft. 403 ``not-project-owner`` /
    ``not-project-contractor``; 409 ``project-completed`` / ``already-evaluated``; 422
    ``project-not-found`` / ``project-not-filed`` / ``civilized-site-not-chosen`` /
    ``civilized-level-above-standard`` / ``planned_completion_on``."""
    return read(
        await cases.create_project_application(
            mongo=mongo,
            settings=settings,
            principal=principal,
            kind=body.kind,
            data=body.model_dump(mode="json"),
        )
    )


@router.get(
    "/project-applications",
    response_model=ApplicationPage,
    summary="Evaluation and civilized-site applications",
)
async def list_project_applications(
    principal: CurrentPrincipal,
    mongo: MongoDep,
    settings: SettingsDep,
    stage: Annotated[Stage | None, Query(description="only this stage")] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> ApplicationPage:
    """HEB-05/08: the company's applications and those addressed to the caller's station."""
    page = await cases.list_applications(
        mongo=mongo,
        settings=settings,
        principal=principal,
        kinds=rules.PROJECT_KINDS,
        stage=stage,
        limit=limit,
        cursor=cursor,
    )
    return ApplicationPage(items=[read(d) for d in page.items], next_cursor=page.next_cursor)


@router.get(
    "/project-applications/{project_application_id}",
    response_model=ApplicationRead,
    summary="One application",
)
async def get_project_application(
    project_application_id: ApplicationId,
    principal: CurrentPrincipal,
    mongo: MongoDep,
    settings: SettingsDep,
) -> ApplicationRead:
    """HEB-05/08: the applicant company always, the project's station once submitted; 404 otherwise."""
    return read(
        await cases.get_application(
            mongo=mongo,
            settings=settings,
            principal=principal,
            app_id=project_application_id,
            kinds=rules.PROJECT_KINDS,
        )
    )


@router.post(
    "/project-applications/{project_application_id}/submit",
    response_model=ApplicationRead,
    summary="Submit to the project's station (上报)",
)
async def submit_project_application(
    project_application_id: ApplicationId,
    principal: CurrentPrincipal,
    mongo: MongoDep,
    settings: SettingsDep,
) -> ApplicationRead:
    """HEB-05/08 上报 to the project's station (the rules are checked again). 403
    ``not-applicant``; 404; 409 ``application-not-draft``."""
    return read(
        await cases.submit_project_application(
            mongo=mongo, settings=settings, principal=principal, app_id=project_application_id
        )
    )


@router.post(
    "/project-applications/{project_application_id}/decisions",
    response_model=ApplicationRead,
    summary="The project's station decides (受理 / 不予受理 / 退回 / 办结)",
)
async def decide_project_application(
    project_application_id: ApplicationId,
    body: ApplicationDecision,
    principal: CurrentPrincipal,
    mongo: MongoDep,
    settings: SettingsDep,
) -> ApplicationRead:
    """HEB-05/08: approving marks the evaluation / the civilized-site level on the project
    (``projects.project.updated.v1``). 403 ``role-required`` / ``not-addressed-authority``;
    404; 409 stage; 422 ``comment``."""
    return read(
        await cases.decide_project_application(
            mongo=mongo,
            settings=settings,
            principal=principal,
            app_id=project_application_id,
            action=body.action,
            comment=body.comment,
        )
    )
