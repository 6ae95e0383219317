"""personnel service: ``create_app()`` for uvicorn."""

from __future__ import annotations

from fastapi import FastAPI

from anjian_shared.app import ServiceSpec, create_service_app

from .entrypoints.api.company_people import router as people_router
from .entrypoints.consumers import directory
from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Health, readiness and the staff-directory consumer (certificates and training come with Hunan)."""
    spec = ServiceSpec(name="personnel", title="Anjian personnel",
                       description="Agency staff, certificates, training and assessments (HUN-04..18, HEB-11). "
                                   "This release: the staff directory and company personnel (HEB-11).",
                       routers=[people_router], subscriptions=[directory])
    return create_service_app(spec, settings or Settings())
