"""projects service: ``create_app()`` for uvicorn."""

from __future__ import annotations

from fastapi import FastAPI

from anjian_shared.app import ServiceSpec, create_service_app
from anjian_shared.tenant_policy import policy_subscription

from .entrypoints.api.attendance import router as attendance_router
from .entrypoints.api.construction_log import router as construction_log_router
from .entrypoints.api.filing import router as filing_router
from .entrypoints.api.fujian import router as fujian_router
from .entrypoints.api.hebei_filing import router as hebei_filing_router
from .entrypoints.api.positioning import router as positioning_router
from .entrypoints.api.routes import router
from .entrypoints.consumers import directory, people
from .service_layer import (
    attendance,
    construction_log,
    filing,
    platform_sync,
    positioning,
    staff,
    use_cases,
)
from .settings import Settings


async def _startup(app: FastAPI) -> None:
    await use_cases.ensure_indexes(app.state.mongo)
    await positioning.ensure_indexes(app.state.mongo)
    await attendance.ensure_indexes(app.state.mongo)
    await platform_sync.ensure_indexes(app.state.mongo)
    await staff.ensure_indexes(app.state.mongo)
    await filing.ensure_indexes(app.state.mongo)
    await construction_log.ensure_indexes(app.state.mongo)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Projects with their parties, supervisors and participants."""
    spec = ServiceSpec(name="projects", title="Anjian projects",
                       description="Projects, their participating parties (建设/施工/监理单位), supervisors and "
                                   "participants; participants see only their own projects (HB-02, HN-01). "
                                   "Hainan flows, switched on per tenant: project positioning (工程定位, HN-03) "
                                   "and key-personnel attendance (关键岗位人员到岗监督, HN-11); online filing by the "
                                   "owner (网上报监, HN-01), accepted by the station. "
                                   "Fujian: projects from the province's integration platform (一体化平台, "
                                   "pushed or pulled, FJ-01) and their supervision staff roles (FJ-03). "
                                   "Hebei: hazard sources and the daily construction log (危险源, 施工日志, HEB-09), "
                                   "project managers' on-duty time from clock-ins (人员到岗履职, HEB-16); "
                                   "safety-supervision filing (安全监督备案, HEB-04) to the station of the project's "
                                   "division, comprehensive evaluation (综合评定, HEB-05) and civilized-site "
                                   "applications (文明工地申报, HEB-08).",
                       routers=[router, positioning_router, attendance_router, fujian_router, filing_router,
                                construction_log_router, hebei_filing_router],
                       subscriptions=[directory, people, policy_subscription()],
                       startup=[_startup],
                       background=[platform_sync.feed_loop])
    return create_service_app(spec, settings or Settings())
