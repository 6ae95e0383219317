"""FastAPI dependencies of reporting as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from anjian_shared.deps import MongoDep, StorageDep, app_settings  # noqa: F401 - re-exported
from anjian_shared.problems import ServiceUnavailable

from ...adapters.pdf import PdfRenderer
from ...settings import Settings


def get_renderer(request: Request) -> PdfRenderer:
    """The PDF renderer; 503 naming the missing font package when no CJK font was found."""
    renderer = getattr(request.app.state, "pdf_renderer", None)
    if renderer is None:
        error = getattr(request.app.state, "pdf_error", "the PDF renderer is not ready")
        raise ServiceUnavailable(f"documents can't be rendered: {error}", slug="pdf-unavailable")
    return renderer


SettingsDep = Annotated[Settings, Depends(app_settings)]
RendererDep = Annotated[PdfRenderer, Depends(get_renderer)]
