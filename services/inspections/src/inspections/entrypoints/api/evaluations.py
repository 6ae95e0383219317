"""JGJ 59-2011 safety check evaluation (安全检查评分) endpoints (issue 15, JGJ59 scoring).

One request per step: ``POST /evaluations`` (draft, JSON) → ``PATCH /evaluations/{id}``
(edit) → ``POST /evaluations/{id}/photos`` (multipart, per item) → ``POST
/evaluations/{id}/submit`` → ``GET /evaluations/{id}/pdf``.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.events.common import PersonRef
from anjian_shared.pagination import Cursor, Limit
from anjian_shared.storage import Storage

from ...domain.evaluations import STATUS_LABELS
from ...service_layer import evaluations as cases
from .deps import MongoDep, SettingsDep, StorageDep, media_read
from .schemas import MediaRead

router = APIRouter(prefix="/evaluations", tags=["evaluations"])

EvaluationId = Annotated[str, Path(max_length=64, description="evaluation id")]


class ItemIn(BaseModel):
    """The entry for one item of a check table; items not sent score their full points."""

    model_config = ConfigDict(extra="forbid")
    no: int = Field(ge=1, le=50, description="item number in the table, 1-based (序号)")
    deduction: Decimal = Field(default=Decimal(0), ge=0, le=100, decimal_places=2,
                               description="扣减分数: points deducted, 0..the item's points, ≤ 2 decimals")
    applicable: bool = Field(default=True, description="false: the item does not apply (缺项); never for "
                                                       "a guarantee item (保证项目)")
    finding: str = Field(default="", max_length=2000, description="扣分说明: the finding; required with a deduction")


class TableIn(BaseModel):
    """A check table chosen for the evaluation."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=16, description="JGJ 59-2011 table code, e.g. A.0.1")
    applicable: bool = Field(default=True, description="false: the whole table does not apply (缺项)")
    items: list[ItemIn] = Field(default=[], max_length=50)


class EvaluationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project_id: str = Field(min_length=1, max_length=64, description="a project of the caller's station")
    check_date: date = Field(description="检查日期 (China calendar day, not in the future)")
    tables: list[TableIn] = Field(default=[], max_length=19, description="the tables that apply")


class EvaluationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    check_date: date | None = None
    tables: list[TableIn] | None = Field(default=None, max_length=19, description="replaces all tables")


class EvaluationSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rectification_deadline: date | None = Field(
        default=None, description="整改期限 (China calendar day, not in the past): required when the grade is 不合格")


class ItemPhoto(MediaRead):
    table_code: str
    item_no: int


class EvaluationRead(BaseModel):
    """An evaluation: the entries as made and ``summary`` as the platform scored them (null
    for a draft with no table that applies): ``{total, weighted_sum, weight_checked, grade
    (good|pass|fail), grade_label (优良|合格|不合格), zero_tables, tables: [...], groups: [...]}``;
    scores 0..100 with 2 decimals."""

    id: str
    project_id: str
    project_name: str
    station_org_id: str
    check_date: date
    status: str
    status_label: str
    tables: list[dict[str, Any]] = Field(description="the entries: [{code, applicable, items: [{no, deduction, "
                                                     "applicable, finding}]}]")
    photos: list[ItemPhoto]
    summary: dict[str, Any] | None
    evaluated_by: PersonRef
    rectification_deadline: date | None = None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None


class EvaluationPage(BaseModel):
    items: list[EvaluationRead]
    next_cursor: str | None = None


async def evaluation_read(storage: Storage, doc: dict[str, Any]) -> EvaluationRead:
    """The response body of an evaluation document (photos with presigned URLs)."""
    photos = await asyncio.gather(*(media_read(storage, p) for p in doc.get("photos", [])))
    return EvaluationRead(
        id=doc["_id"], project_id=doc["project_id"], project_name=doc["project_name"],
        station_org_id=doc["station_org_id"], check_date=doc["check_date"], status=doc["status"],
        status_label=STATUS_LABELS[doc["status"]], tables=doc["entries"],
        photos=[ItemPhoto(**m.model_dump(), table_code=p["table_code"], item_no=p["item_no"])
                for m, p in zip(photos, doc.get("photos", []), strict=True) if m is not None],
        summary=doc.get("summary"), evaluated_by=PersonRef(**doc["evaluated_by"]),
        rectification_deadline=doc.get("rectification_deadline"), created_at=doc["created_at"],
        updated_at=doc["updated_at"], submitted_at=doc.get("submitted_at"))


def _location(response: Response, evaluation_id: str) -> None:
    response.headers["Location"] = f"/api/inspections/v1/evaluations/{evaluation_id}"


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EvaluationRead,
             summary="Start an evaluation (安全检查评分, draft)")
async def create_evaluation(body: EvaluationCreate, principal: CurrentPrincipal, mongo: MongoDep,
                            storage: StorageDep, response: Response) -> EvaluationRead:
    """JGJ59: a supervisor or leader of the project's station starts a draft with the tables
    that apply and the deductions so far; the response carries the scores (``summary``).
    201; 403 other roles; 422 ``project_id`` (not a project of the station), ``check_date``
    (future) or the entry (``tables[i].items[j].deduction`` above the item's points, a
    guarantee item not applicable, a deduction without ``finding``…)."""
    doc = await cases.create_evaluation(mongo=mongo, principal=principal, project_id=body.project_id,
                                        check_date=body.check_date, tables=[t.model_dump() for t in body.tables])
    _location(response, doc["_id"])
    return await evaluation_read(storage, doc)


@router.get("", response_model=EvaluationPage, summary="The station's evaluations")
async def list_evaluations(principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                           project_id: Annotated[str | None, Query(max_length=64)] = None,
                           status_: Annotated[str | None, Query(alias="status", pattern="^(draft|submitted)$")] = None,
                           limit: Limit = 20, cursor: Cursor = None) -> EvaluationPage:
    """JGJ59: the evaluations of the caller's station, newest first (filters ``project_id``,
    ``status`` draft|submitted; paginated). 403 other roles."""
    docs, next_cursor = await cases.list_evaluations(mongo=mongo, principal=principal, project_id=project_id,
                                                     status=status_, limit=limit, cursor=cursor)
    return EvaluationPage(items=[await evaluation_read(storage, d) for d in docs], next_cursor=next_cursor)


@router.get("/{evaluation_id}", response_model=EvaluationRead, summary="One evaluation with its scores")
async def get_evaluation(evaluation_id: EvaluationId, principal: CurrentPrincipal, mongo: MongoDep,
                         storage: StorageDep) -> EvaluationRead:
    """JGJ59: one evaluation of the caller's station; 404 another station's or tenant's; 403 other roles."""
    doc = await cases.get_evaluation(mongo=mongo, principal=principal, evaluation_id=evaluation_id)
    return await evaluation_read(storage, doc)


@router.patch("/{evaluation_id}", response_model=EvaluationRead, summary="Edit a draft evaluation")
async def update_evaluation(evaluation_id: EvaluationId, body: EvaluationUpdate, principal: CurrentPrincipal,
                            mongo: MongoDep, storage: StorageDep) -> EvaluationRead:
    """JGJ59: the author changes ``check_date`` or replaces ``tables`` of a draft; scores are
    recomputed. 403 another supervisor's; 404 not visible; 409 ``evaluation-submitted``; 422 as on create."""
    doc = await cases.update_evaluation(mongo=mongo, principal=principal, evaluation_id=evaluation_id,
                                        changes=body.model_dump(exclude_unset=True))
    return await evaluation_read(storage, doc)


@router.post("/{evaluation_id}/photos", response_model=EvaluationRead, summary="Photos justifying a deduction")
async def add_photos(evaluation_id: EvaluationId, principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                     settings: SettingsDep,
                     table_code: Annotated[str, Form(min_length=1, max_length=16, description="e.g. A.0.1")],
                     item_no: Annotated[int, Form(ge=1, le=50, description="item number in the table")],
                     photos: Annotated[list[UploadFile], File(description="1..9 JPEG/PNG photos per item")],
                     ) -> EvaluationRead:
    """JGJ59, multipart/form-data: the author adds photos to item ``item_no`` of table
    ``table_code`` of a draft (9 per item at most). 403/404/409 as on edit; 413/415/422
    ``photos``; 422 ``table_code`` (not in the evaluation) / ``item_no``."""
    doc = await cases.add_item_photos(mongo=mongo, storage=storage, settings=settings, principal=principal,
                                      evaluation_id=evaluation_id, table_code=table_code.strip(), item_no=item_no,
                                      photos=photos)
    return await evaluation_read(storage, doc)


@router.post("/{evaluation_id}/submit", response_model=EvaluationRead, summary="Submit (提交) the evaluation")
async def submit_evaluation(evaluation_id: EvaluationId, body: EvaluationSubmit, principal: CurrentPrincipal,
                            mongo: MongoDep, storage: StorageDep) -> EvaluationRead:
    """JGJ59: the author submits; the scores are frozen and ``inspections.evaluation.submitted.v1``
    published. 422 ``rectification_deadline`` when the grade is 不合格 without one (or it is
    in the past, China time); 422 ``tables[i].items[j].photos`` for a deduction without a photo;
    409 ``evaluation-submitted`` once submitted; 403/404 as on edit."""
    doc = await cases.submit_evaluation(mongo=mongo, principal=principal, evaluation_id=evaluation_id,
                                        rectification_deadline=body.rectification_deadline)
    return await evaluation_read(storage, doc)


@router.get("/{evaluation_id}/pdf", summary="The evaluation as PDF (汇总表 and table sheets)",
            responses={200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                             "description": "A4 PDF"}},
            response_class=Response)
async def evaluation_pdf(evaluation_id: EvaluationId, principal: CurrentPrincipal, mongo: MongoDep,
                         settings: SettingsDep) -> Response:
    """JGJ59: the summary table (汇总表: project, each row's weight, score, weighted score, total,
    grade, signatures) followed by each checked table's sheet (items, points, deductions,
    findings); tables with unverified points marked 分值未核验, drafts marked 草稿.
    404/403 as on read; 422 ``tables`` for a draft with no table; 503 without a CJK font."""
    doc, pdf = await cases.evaluation_pdf(mongo=mongo, settings=settings, principal=principal,
                                          evaluation_id=evaluation_id)
    name = quote(f"安全检查评分-{doc['project_name']}-{doc['check_date']}.pdf")
    return Response(content=pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f"inline; filename=\"evaluation.pdf\"; filename*=UTF-8''{name}",
                             "Cache-Control": "no-store"})
