"""On-site inspection results (检查结果 / 检查清单) endpoints: HB-04, HB-05, HB-07."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile, status

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.jsontext import loads_limited
from anjian_shared.pagination import Cursor, Limit
from anjian_shared.problems import Unprocessable

from ...service_layer import results as result_cases
from .deps import MongoDep, SettingsDep, StorageDep, result_read
from .schemas import ResultPage, ResultRead, ResultUpdate

router = APIRouter(prefix="/plans/{plan_id}/results", tags=["results"])

PlanId = Annotated[str, Path(max_length=64, description="plan id")]
ResultId = Annotated[str, Path(max_length=64, description="result id")]
Photos = Annotated[list[UploadFile], File(description="1..9 JPEG/PNG photos (repeat the field)")]


def parse_hazard_codes(values: list[str]) -> list[str]:
    """``hazard_codes`` sent as a repeated form field, or once as a JSON array string
    (``["JGJ59-A.0.1-01","ZD2024-5.4"]``), or once comma-separated; 422 ``hazard_codes``."""
    codes: list[str] = []
    for value in values:
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = loads_limited(text)
            except ValueError as exc:
                raise Unprocessable("hazard_codes is not a JSON array", field="hazard_codes") from exc
            if not isinstance(parsed, list) or not all(isinstance(c, str) for c in parsed):
                raise Unprocessable("hazard_codes must be an array of codes", field="hazard_codes")
            codes.extend(parsed)
        else:
            codes.extend(part for part in text.split(","))
    return codes


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ResultRead,
             summary="Record a result (现场检查 / 加入检查清单)")
async def record_result(
    plan_id: PlanId, principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep, settings: SettingsDep,
    response: Response,
    project_id: Annotated[str, Form(min_length=1, max_length=64, description="one of the plan's projects")],
    building_name: Annotated[str, Form(min_length=1, max_length=200, description="单体名称")],
    hazard_codes: Annotated[list[str], Form(description="catalog codes: repeated field or a JSON array")],
    finding: Annotated[str, Form(min_length=1, max_length=2000, description="检查结果")],
    photos: Photos,
) -> ResultRead:
    """HB-04, multipart/form-data: a team member records a result on a confirmed plan:
    ``project_id``, ``building_name``, ``hazard_codes`` (each in the tenant's catalog),
    ``finding``, ``photos`` (1..9 JPEG/PNG, each ≤ the tenant's limit, 10 MB by default).
    A result citing a 2024-standard item (``ZD2024-*``) has ``major_hazard`` true.

    201; 403 not in the team / other roles; 404 plan not visible; 409 draft ("plan not
    confirmed") or submitted; 413/415 ``photos``; 422 naming the field.
    """
    doc = await result_cases.record_result(
        mongo=mongo, storage=storage, settings=settings, principal=principal, plan_id=plan_id,
        project_id=project_id.strip(), building_name=building_name.strip(),
        hazard_codes=parse_hazard_codes(hazard_codes), finding=finding.strip(), photos=photos)
    response.headers["Location"] = f"/api/inspections/v1/plans/{plan_id}/results/{doc['_id']}"
    return await result_read(storage, doc)


@router.get("", response_model=ResultPage, summary="The plan's checklist (清单)")
async def list_results(plan_id: PlanId, principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                       project_id: Annotated[str | None, Query(max_length=64)] = None,
                       limit: Limit = 20, cursor: Cursor = None) -> ResultPage:
    """HB-05/HB-07: every result of the plan (anyone who sees the plan), newest first, each
    photo with a presigned URL (15 min). Filter ``project_id``; paginated."""
    docs, next_cursor = await result_cases.list_results(mongo=mongo, principal=principal, plan_id=plan_id,
                                                        project_id=project_id, limit=limit, cursor=cursor)
    return ResultPage(items=[await result_read(storage, d) for d in docs], next_cursor=next_cursor)


@router.get("/{result_id}", response_model=ResultRead, summary="One result")
async def get_result(plan_id: PlanId, result_id: ResultId, principal: CurrentPrincipal, mongo: MongoDep,
                     storage: StorageDep) -> ResultRead:
    """HB-07: one result of a plan the caller sees; 404 otherwise."""
    doc = await result_cases.get_result(mongo=mongo, principal=principal, plan_id=plan_id, result_id=result_id)
    return await result_read(storage, doc)


@router.patch("/{result_id}", response_model=ResultRead, summary="Modify own result (修改)")
async def update_result(plan_id: PlanId, result_id: ResultId, body: ResultUpdate, principal: CurrentPrincipal,
                        mongo: MongoDep, storage: StorageDep, settings: SettingsDep) -> ResultRead:
    """HB-05: the author changes ``building_name``, ``hazard_codes`` or ``finding`` before the
    plan is submitted. 403 another supervisor's result; 409 after submission; 422 naming the
    field (unknown hazard codes: ``hazard_codes``)."""
    doc = await result_cases.update_result(mongo=mongo, settings=settings, principal=principal, plan_id=plan_id,
                                           result_id=result_id, changes=body.model_dump(exclude_unset=True))
    return await result_read(storage, doc)


@router.delete("/{result_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete own result (删除)")
async def delete_result(plan_id: PlanId, result_id: ResultId, principal: CurrentPrincipal, mongo: MongoDep,
                        storage: StorageDep) -> Response:
    """HB-05: the author deletes the result before the plan is submitted. 204; 403 another
    supervisor's result; 409 after submission; 404 unknown."""
    await result_cases.delete_result(mongo=mongo, storage=storage, principal=principal, plan_id=plan_id,
                                     result_id=result_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{result_id}/photos", response_model=ResultRead, summary="Add photos to own result")
async def add_photos(plan_id: PlanId, result_id: ResultId, principal: CurrentPrincipal, mongo: MongoDep,
                     storage: StorageDep, settings: SettingsDep, photos: Photos) -> ResultRead:
    """HB-05, multipart ``photos``: the author adds photos (9 in all at most) before submission.
    403 another supervisor's result; 409 after submission; 413/415/422 ``photos``."""
    doc = await result_cases.add_result_photos(mongo=mongo, storage=storage, settings=settings,
                                               principal=principal, plan_id=plan_id, result_id=result_id,
                                               photos=photos)
    return await result_read(storage, doc)
