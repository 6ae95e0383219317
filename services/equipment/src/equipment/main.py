"""equipment service: ``create_app()`` for uvicorn."""

from __future__ import annotations

from fastapi import FastAPI

from anjian_shared.app import ServiceSpec, create_service_app

from .entrypoints.consumers import projects
from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Health, readiness and the project-directory consumer (filings come with the Hebei work)."""
    spec = ServiceSpec(name="equipment", title="Anjian equipment",
                       description="Crane and equipment filings, use registration, installation and dismantling, "
                                   "locks (HEB-06/07/12..15). This release: health and the project directory.",
                       subscriptions=[projects])
    return create_service_app(spec, settings or Settings())
