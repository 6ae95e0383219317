"""equipment service: ``create_app()`` for uvicorn."""

from __future__ import annotations

import structlog
from fastapi import FastAPI

from anjian_shared.app import ServiceSpec, create_service_app
from anjian_shared.pdf_fonts import CjkFontNotFound, resolve_cjk_font
from anjian_shared.tenant_policy import policy_subscription

from .entrypoints.api.routes import router
from .entrypoints.consumers import organizations, people, projects
from .service_layer.setup import ensure_indexes
from .settings import Settings


async def _indexes(app: FastAPI) -> None:
    await ensure_indexes(app.state.mongo)


def _font(app: FastAPI, settings: Settings) -> None:
    """Find the CJK font of the registration sign once; without one the service runs and the
    sign answers 503 ``pdf-unavailable`` with the reason (logged at start)."""
    try:
        app.state.cjk_font = resolve_cjk_font(settings.cjk_font_path, settings.cjk_font_subfont_index,
                                              settings.cjk_font_candidates)
        app.state.pdf_error = None
    except CjkFontNotFound as exc:
        structlog.get_logger("equipment").error("registration sign PDFs disabled", error=str(exc))
        app.state.cjk_font, app.state.pdf_error = None, str(exc)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The crane registry (HEB-03/06/07/12/14/15/17): applications, locks, registry."""
    spec = ServiceSpec(name="equipment", title="Anjian equipment",
                       description="Crane filings (设备备案, 补录), installation and dismantling notifications, "
                                   "use registration, machine and operator locks (HEB-03/06/07/12/14/15/17).",
                       routers=[router], subscriptions=[projects, organizations, people, policy_subscription()],
                       startup=[_indexes])
    settings = settings or Settings()
    app = create_service_app(spec, settings)
    _font(app, settings)
    return app
