"""Plans (抽查计划), signature/seal and submission endpoints: HB-02, HB-03, HB-06."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Response, UploadFile, status

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.pagination import Cursor, Limit

from ...domain.plans import PlanStatus
from ...service_layer import plans as plan_cases
from ...service_layer import submission as submission_cases
from .deps import MongoDep, SettingsDep, StorageDep, plan_read
from .schemas import PlanCreate, PlanPage, PlanRead, PlanSubmit, PlanUpdate

router = APIRouter(prefix="/plans", tags=["plans"])

PlanId = Annotated[str, Path(max_length=64, description="plan id")]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PlanRead, summary="Make a plan (制定抽查计划)")
async def create_plan(body: PlanCreate, principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                      response: Response) -> PlanRead:
    """HB-02: a station's supervisor or leader makes a draft plan: title, projects of the
    station (1..50), planned date, the team (must include the caller; every member supervises
    one of the projects), the responsible supervisor (default the caller; one of the team).

    201 with the plan and ``Location``; 403 other roles; 422 naming ``project_ids``,
    ``supervisor_user_ids``, ``responsible_supervisor_id`` or a malformed field.
    """
    doc = await plan_cases.create_plan(mongo=mongo, principal=principal, title=body.title,
                                       project_ids=body.project_ids, planned_date=body.planned_date,
                                       supervisor_user_ids=body.supervisor_user_ids,
                                       responsible_supervisor_id=body.responsible_supervisor_id)
    response.headers["Location"] = f"/api/inspections/v1/plans/{doc['_id']}"
    return await plan_read(storage, doc)


@router.get("", response_model=PlanPage, summary="List plans (日常抽查)")
async def list_plans(principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                     status_: Annotated[PlanStatus | None, Query(alias="status")] = None,
                     project_id: Annotated[str | None, Query(max_length=64)] = None,
                     limit: Limit = 20, cursor: Cursor = None) -> PlanPage:
    """HB-03: the plans the caller sees, newest first: their own plans in any state, the
    confirmed and submitted plans of their teams (others' drafts stay hidden), and for a
    station leader every confirmed/submitted plan of the station. Filters: ``status``
    (draft|confirmed|submitted), ``project_id``. Paginated (``limit`` 1..100, ``cursor``)."""
    docs, next_cursor = await plan_cases.list_plans(mongo=mongo, principal=principal, status=status_,
                                                    project_id=project_id, limit=limit, cursor=cursor)
    return PlanPage(items=[await plan_read(storage, d) for d in docs], next_cursor=next_cursor)


@router.get("/{plan_id}", response_model=PlanRead, summary="One plan")
async def get_plan(plan_id: PlanId, principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep) -> PlanRead:
    """HB-03/HB-07: the plan with its team, signature/seal (presigned URLs), submission data
    and audit history. 404 when unknown or not visible to the caller."""
    return await plan_read(storage, await plan_cases.get_plan(mongo=mongo, principal=principal, plan_id=plan_id))


@router.patch("/{plan_id}", response_model=PlanRead, summary="Modify a plan (修改)")
async def update_plan(plan_id: PlanId, body: PlanUpdate, principal: CurrentPrincipal, mongo: MongoDep,
                      storage: StorageDep) -> PlanRead:
    """HB-03: the creator changes a draft plan, or a confirmed one without results. 403 not the
    creator; 409 has results or is submitted; 422 as for creation. Changing the responsible
    supervisor clears the signature and seal (the new one signs)."""
    doc = await plan_cases.update_plan(mongo=mongo, storage=storage, principal=principal, plan_id=plan_id,
                                       changes=body.model_dump(exclude_unset=True, exclude_none=True))
    return await plan_read(storage, doc)


@router.delete("/{plan_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a plan (删除)")
async def delete_plan(plan_id: PlanId, principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep) -> Response:
    """HB-03: the creator deletes a plan that has no result and is not submitted. 204; 403 not
    the creator; 409 has results or is submitted; 404 unknown/invisible."""
    await plan_cases.delete_plan(mongo=mongo, storage=storage, principal=principal, plan_id=plan_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{plan_id}/confirm", response_model=PlanRead, summary="Confirm a plan (确认)")
async def confirm_plan(plan_id: PlanId, principal: CurrentPrincipal, mongo: MongoDep,
                       storage: StorageDep) -> PlanRead:
    """HB-03: the creator confirms a draft; emits ``inspections.plan.confirmed.v1`` so the other
    supervisors are notified (站内通知) and from now on see the plan. 403 not the creator;
    409 not a draft."""
    return await plan_read(storage, await plan_cases.confirm_plan(mongo=mongo, principal=principal,
                                                                  plan_id=plan_id))


@router.post("/{plan_id}/withdraw", response_model=PlanRead, summary="Withdraw a plan (撤回)")
async def withdraw_plan(plan_id: PlanId, principal: CurrentPrincipal, mongo: MongoDep,
                        storage: StorageDep) -> PlanRead:
    """HB-03: the creator takes a confirmed plan back to draft. 409 once the plan has any
    inspection result, when it is not confirmed, or submitted; 403 not the creator."""
    return await plan_read(storage, await plan_cases.withdraw_plan(mongo=mongo, principal=principal,
                                                                   plan_id=plan_id))


@router.put("/{plan_id}/signature", response_model=PlanRead, summary="Upload the signature (签名)")
async def put_signature(plan_id: PlanId, principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                        settings: SettingsDep,
                        file: Annotated[UploadFile, File(description="JPEG or PNG of the handwritten signature")],
                        ) -> PlanRead:
    """HB-06 7.3: the responsible supervisor uploads or replaces the online signature (multipart
    field ``file``, JPEG/PNG, ≤ the tenant's limit) until the plan is submitted. 403 anyone
    else; 409 after submission; 413/415 ``file``."""
    doc = await submission_cases.put_mark(mongo=mongo, storage=storage, settings=settings, principal=principal,
                                          plan_id=plan_id, kind="signature", upload=file)
    return await plan_read(storage, doc)


@router.put("/{plan_id}/seal", response_model=PlanRead, summary="Upload the seal (盖章)")
async def put_seal(plan_id: PlanId, principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep,
                   settings: SettingsDep,
                   file: Annotated[UploadFile, File(description="JPEG or PNG of the seal")]) -> PlanRead:
    """HB-06 7.4: the responsible supervisor uploads or replaces the seal image (optional; needed
    when submitting with ``seal_required``). Same rules as the signature."""
    doc = await submission_cases.put_mark(mongo=mongo, storage=storage, settings=settings, principal=principal,
                                          plan_id=plan_id, kind="seal", upload=file)
    return await plan_read(storage, doc)


@router.post("/{plan_id}/submit", response_model=PlanRead, summary="Submit the plan (提交)")
async def submit_plan(plan_id: PlanId, body: PlanSubmit, principal: CurrentPrincipal, mongo: MongoDep,
                      storage: StorageDep) -> PlanRead:
    """HB-06: the responsible supervisor submits a confirmed plan with the disposition (处置情况),
    the notice data (告知书 title, construction stage, rectification date) and the uploaded
    signature (+ seal when ``seal_required``). Emits ``inspections.plan.submitted.v1``; the plan
    is frozen afterwards (every change answers 409). 403 not the responsible supervisor; 409
    draft or already submitted; 422 ``disposition``, ``notice.*``, ``signature``, ``seal``;
    422 ``notice.rectification_date`` (``deadline-past``) for a 限期整改/停工整改 deadline before
    today (China time) unless ``backdated: true``. The disposition must follow from the
    results (the catalog decides, never the client): 422 ``disposition``
    ``major-hazard-requires-stop-work`` (a result cites a 重大事故隐患 item: only 停工整改 or
    局部停工整改; the detail names each item's code and name), ``disposition-contradicts-results``
    (无隐患 with results), ``on-site-fix-not-allowed`` (现场整改 of a 保证项目/major item);
    422 ``stop_work_part`` (``stop-work-part-required``) for 局部停工整改 without the part."""
    doc = await submission_cases.submit_plan(
        mongo=mongo, principal=principal, plan_id=plan_id, disposition=body.disposition,
        title=body.notice.title, construction_stage=body.notice.construction_stage,
        deadline=body.notice.deadline, seal_required=body.seal_required, backdated=body.backdated,
        stop_work_part=body.stop_work_part)
    return await plan_read(storage, doc)
