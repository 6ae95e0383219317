"""personnel service: ``create_app()`` for uvicorn."""

from __future__ import annotations

import structlog
from fastapi import FastAPI

from anjian_shared.app import ServiceSpec, create_service_app
from anjian_shared.pdf_fonts import CjkFontNotFound, resolve_cjk_font
from anjian_shared.tenant_policy import policy_subscription

from .adapters.store import ensure_indexes
from .entrypoints.api.agencies import router as agencies_router
from .entrypoints.api.assessments import router as assessments_router
from .entrypoints.api.certificates import router as certificates_router
from .entrypoints.api.company_people import router as people_router
from .entrypoints.api.exports import router as exports_router
from .entrypoints.api.training import router as training_router
from .entrypoints.consumers import directory
from .service_layer.assessments import seed_catalog
from .service_layer.training import ensure_training_indexes
from .service_layer.year_end import year_end_loop
from .settings import Settings


def _font(app: FastAPI, settings: Settings) -> None:
    """Find the CJK font of the PDF exports (HUN-03) once; without one the service runs, the
    XLSX exports work and a PDF answers 503 ``pdf-unavailable`` with the reason (logged at start)."""
    try:
        app.state.cjk_font = resolve_cjk_font(settings.cjk_font_path, settings.cjk_font_subfont_index,
                                              settings.cjk_font_candidates)
        app.state.pdf_error = None
    except CjkFontNotFound as exc:
        structlog.get_logger("personnel").error("PDF exports disabled", error=str(exc))
        app.state.cjk_font, app.state.pdf_error = None, str(exc)


async def _indexes(app: FastAPI) -> None:
    await ensure_indexes(app.state.mongo)
    await seed_catalog(app.state.mongo)
    await ensure_training_indexes(app.state.mongo)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Company personnel (HEB-11), Hunan agencies' records (HUN-02..08) with the year-end
    freeze of staffing returns, the staff-directory consumer."""
    spec = ServiceSpec(name="personnel", title="Anjian personnel",
                       description="Agency staff, certificates, training and assessments (HUN-04..18, HEB-11). "
                                   "This release: company personnel (HEB-11) and the agencies' own records "
                                   "(HUN-02..HUN-08: basic information, staff, staffing structure frozen each "
                                   "31 December, supervised-project and funding figures, qualification) and their "
                                   "assessments and dynamic scoring (HUN-16..HUN-18), training registrations and "
                                   "quotas (HUN-13..HUN-15), supervisors' records and certificate applications "
                                   "(HUN-09..HUN-12), exports of annual records, summaries and surveys (HUN-03).",
                       routers=[people_router, agencies_router, assessments_router, training_router,
                                certificates_router, exports_router],
                       subscriptions=[directory, policy_subscription()],
                       startup=[_indexes], background=[year_end_loop])
    settings = settings or Settings()
    app = create_service_app(spec, settings)
    _font(app, settings)
    return app
