"""FastAPI dependencies of reporting as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from anjian_shared.mongo import Mongo
from anjian_shared.problems import ServiceUnavailable
from anjian_shared.storage import Storage

from ...adapters.pdf import PdfRenderer
from ...settings import Settings


def get_mongo(request: Request) -> Mongo:
    return request.app.state.mongo


def get_storage(request: Request) -> Storage:
    return request.app.state.storage


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_renderer(request: Request) -> PdfRenderer:
    """The PDF renderer; 503 naming the missing font package when no CJK font was found."""
    renderer = getattr(request.app.state, "pdf_renderer", None)
    if renderer is None:
        error = getattr(request.app.state, "pdf_error", "the PDF renderer is not ready")
        raise ServiceUnavailable(f"documents can't be rendered: {error}", slug="pdf-unavailable")
    return renderer


MongoDep = Annotated[Mongo, Depends(get_mongo)]
StorageDep = Annotated[Storage, Depends(get_storage)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RendererDep = Annotated[PdfRenderer, Depends(get_renderer)]
