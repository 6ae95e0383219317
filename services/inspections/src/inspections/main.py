"""The inspections service: hazard catalog, spot-check plans, results, submission (HB-02..HB-07);
supervision records with review routing and their libraries (HN-04..HN-06).

Run with ``uvicorn inspections.main:create_app --factory``; routes under ``/api/inspections/v1``.
"""

from __future__ import annotations

from fastapi import FastAPI

from anjian_shared.app import ServiceSpec, create_service_app
from anjian_shared.tenant_policy import policy_subscription

from .adapters.evaluations_store import backfill_summary_weights, ensure_evaluation_indexes
from .adapters.records_store import ensure_record_indexes, seed_all_tenant_libraries
from .adapters.repositories import ensure_indexes
from .adapters.seed import seed_all_tenants
from .adapters.self_inspection_store import ensure_self_inspection_indexes
from .entrypoints.api.catalog import projects_router
from .entrypoints.api.catalog import router as catalog_router
from .entrypoints.api.evaluations import router as evaluations_router
from .entrypoints.api.libraries import router as libraries_router
from .entrypoints.api.plans import router as plans_router
from .entrypoints.api.records import router as records_router
from .entrypoints.api.results import router as results_router
from .entrypoints.api.self_inspections import router as self_inspections_router
from .entrypoints.consumers import SUBSCRIPTIONS
from .service_layer.self_inspections import escalation_loop
from .settings import Settings


async def _indexes(app: FastAPI) -> None:
    await ensure_indexes(app.state.mongo)
    await ensure_record_indexes(app.state.mongo)
    await ensure_evaluation_indexes(app.state.mongo)
    await ensure_self_inspection_indexes(app.state.mongo)


async def _seed_catalog(app: FastAPI) -> None:
    await seed_all_tenants(app.state.mongo)
    await seed_all_tenant_libraries(app.state.mongo)
    await backfill_summary_weights(app.state.mongo)  # JGJ 59 summary weights for catalogs seeded earlier


SPEC = ServiceSpec(
    name="inspections",
    title="Anjian inspections",
    description=(
        "Hazard catalog (隐患库: JGJ 59-2011 check tables and the 2024 major-hazard standard), "
        "spot-check plans (抽查计划), on-site inspection results (检查结果), signature, seal and "
        "submission (提交). Publishes inspections.plan.confirmed.v1 and inspections.plan.submitted.v1. "
        "Supervision records (监督上报) with review routing (我发送的/我接收的, HN-04..HN-06) and their "
        "libraries (标准规范术语, 违法违规行为); publishes inspections.record.submitted.v1, "
        "inspections.record.reviewed.v1 and inspections.record.released.v1. JGJ 59-2011 safety check "
        "evaluations (安全检查评分) scored by the platform, printed as PDF; publishes "
        "inspections.evaluation.submitted.v1. "
        "Fujian's self-inspections (监理单位自查, FJ-04..FJ-11): check-in, companions by QR, the checklist from "
        "the province's check points, completion, rectification notice, feedback and its review, escalation "
        "of overdue notices, the stations' overview; publishes inspections.self_inspection.*.v1."
    ),
    routers=(catalog_router, projects_router, plans_router, results_router, records_router, libraries_router,
             evaluations_router, self_inspections_router),
    subscriptions=(*SUBSCRIPTIONS, policy_subscription()),  # + queue inspections.tenant-policy
    startup=(_indexes, _seed_catalog),
    background=(escalation_loop,),
    openapi_tags=[
        {"name": "catalog", "description": "隐患库: hazard catalog (read)"},
        {"name": "projects", "description": "Projects known to this service (read model)"},
        {"name": "plans", "description": "抽查计划: plans, confirmation, signature, seal, submission (HB-02/03/06)"},
        {"name": "results", "description": "检查结果: on-site inspection results (HB-04/05/07)"},
        {"name": "records",
         "description": "监督上报: supervision records, review routing, 我发送的/我接收的 (HN-04/05/06)"},
        {"name": "evaluations",
         "description": "安全检查评分: JGJ 59-2011 check tables scored, summary table, grade, PDF (issue 15)"},
        {"name": "record libraries", "description": "标准规范术语 and 违法违规行为 libraries, per tenant (HN-04)"},
        {"name": "self-inspections",
         "description": "监理单位自查: Fujian supervision companies inspect their own sites (FJ-04..FJ-11)"},
    ],
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The inspections FastAPI app (settings from the environment unless given)."""
    return create_service_app(SPEC, settings or Settings())
