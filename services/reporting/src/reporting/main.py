"""The reporting service: 站内通知 and to-dos built from events, PDF documents of notices
and plan results, share links (HB-03, HB-08, HB-09); Hainan notifications of supervision
records and enforcement documents and the leaders' station search with XLSX export (HN-10).

Run: ``uvicorn reporting.main:create_app --factory``.
"""

from __future__ import annotations

import structlog
from fastapi import FastAPI

from anjian_shared.app import ServiceSpec, create_service_app

from .adapters.fonts import CjkFontNotFound, resolve_cjk_font
from .adapters.pdf import PdfRenderer
from .adapters.repositories import ensure_indexes
from .entrypoints.api import ROUTERS
from .entrypoints.consumers import SUBSCRIPTIONS
from .settings import Settings

log = structlog.get_logger("reporting")


async def _indexes(app: FastAPI) -> None:
    await ensure_indexes(app.state.mongo.db)


def _pdf_renderer(app: FastAPI, settings: Settings) -> None:
    """Find the CJK font once; without one the service still runs, but documents answer 503 with
    the reason (the package to install) and the error is logged at start."""
    try:
        font = resolve_cjk_font(settings.cjk_font_path, settings.cjk_font_subfont_index, settings.cjk_font_candidates)
    except CjkFontNotFound as exc:
        log.error("PDF documents disabled", error=str(exc))
        app.state.pdf_renderer = None
        app.state.pdf_error = str(exc)
        return
    app.state.pdf_renderer = PdfRenderer(font, photo_max_px=settings.pdf_photo_max_px)
    app.state.pdf_error = None


def create_app(settings: Settings | None = None) -> FastAPI:
    """The reporting FastAPI app (routes under ``/api/reporting/v1``)."""
    settings = settings or Settings()
    spec = ServiceSpec(
        name="reporting",
        title="Anjian reporting",
        description="站内通知 and to-dos built from events; the notice (告知书) and plan results (检查结果) as PDF; "
                    "share links that open them without signing in (HB-03, HB-08, HB-09); Hainan: notifications "
                    "of supervision records and enforcement documents, the leaders' station search with XLSX "
                    "export (HN-04..HN-10).",
        routers=ROUTERS,
        subscriptions=SUBSCRIPTIONS,
        startup=[_indexes],
        openapi_tags=[
            {"name": "notifications", "description": "站内通知 of the signed-in user (HB-03, HB-08)"},
            {"name": "todos", "description": "to-dos (待办) of the rectification loop (HB-08)"},
            {"name": "documents", "description": "PDF of a notice or of a plan's results (HB-09)"},
            {"name": "share links", "description": "links that open a document without signing in (HB-09)"},
            {"name": "announcements", "description": "HEB-02 the home page: announcements (通知公告) and "
                                                     "downloads (下载专区) the authorities publish"},
            {"name": "station search", "description": "leaders' search and XLSX export of the station's "
                                                      "supervision records and enforcement documents (HN-10)"},
        ],
    )
    app = create_service_app(spec, settings)
    _pdf_renderer(app, settings)
    return app
