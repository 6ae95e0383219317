"""equipment service: ``create_app()`` for uvicorn."""

from __future__ import annotations

from fastapi import FastAPI

from anjian_shared.app import ServiceSpec, create_service_app
from anjian_shared.tenant_policy import policy_subscription

from .entrypoints.api.routes import router
from .entrypoints.consumers import organizations, people, projects
from .service_layer.setup import ensure_indexes
from .settings import Settings


async def _indexes(app: FastAPI) -> None:
    await ensure_indexes(app.state.mongo)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The crane registry (HEB-03/06/07/12/14/15/17): applications, locks, registry."""
    spec = ServiceSpec(name="equipment", title="Anjian equipment",
                       description="Crane filings (设备备案, 补录), installation and dismantling notifications, "
                                   "use registration, machine and operator locks (HEB-03/06/07/12/14/15/17).",
                       routers=[router], subscriptions=[projects, organizations, people, policy_subscription()],
                       startup=[_indexes])
    return create_service_app(spec, settings or Settings())
