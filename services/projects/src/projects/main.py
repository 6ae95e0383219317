"""projects service: ``create_app()`` for uvicorn."""

from __future__ import annotations

from fastapi import FastAPI

from anjian_shared.app import ServiceSpec, create_service_app

from .entrypoints.api.routes import router
from .entrypoints.consumers import directory
from .service_layer import use_cases
from .settings import Settings


async def _startup(app: FastAPI) -> None:
    await use_cases.ensure_indexes(app.state.mongo)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Projects with their parties, supervisors and participants."""
    spec = ServiceSpec(name="projects", title="Anjian projects",
                       description="Projects, their participating parties (建设/施工/监理单位), supervisors and "
                                   "participants; participants see only their own projects (HB-02, HN-01).",
                       routers=[router], subscriptions=[directory], startup=[_startup])
    return create_service_app(spec, settings or Settings())
