"""The interactive API documents (Swagger UI and ReDoc), served by the platform itself.

FastAPI's default ``/docs`` page loads Swagger UI's script and style sheet from a public
CDN: on a machine without internet (a government intranet) it is a blank page. Here every
asset the pages need comes from the service's own origin, under its API prefix, so the
same paths work on the service port and through the gateway (which routes
``/api/<service>/``):

- ``/api/<service>/v1/docs``                  Swagger UI (try every operation)
- ``/api/<service>/v1/redoc``                 ReDoc (read-only reference)
- ``/api/<service>/v1/docs/assets/<file>``    ``swagger-ui-bundle.js``, ``swagger-ui.css``,
  ``redoc.standalone.js``, ``favicon.png``: the copies packaged by ``fastapi-offline``
  (PyPI), never a CDN
- ``/api/<service>/v1/docs/oauth2-redirect``  Swagger UI's OAuth2 redirect page

Swagger UI's online validator badge is switched off (``validatorUrl: null``), ReDoc loads
no web fonts and its "powered by" logo (an image on Redocly's CDN) is hidden, and both pages
carry a Content-Security-Policy that lets the browser load nothing from another origin: a
page makes no request outside the platform (tested in a real headless Chromium with every
non-loopback request blocked: ``tests/deploy/test_api_docs_offline.py``).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles


def assets_dir() -> Path:
    """The folder of the packaged Swagger UI / ReDoc files (``fastapi_offline/static``)."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


ASSET_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")
"""What the pages load; every one must exist in ``assets_dir()`` (checked at start)."""

SWAGGER_UI_PARAMETERS = {
    "validatorUrl": None,          # no call to the public validator service
    "persistAuthorization": True,  # a pasted token survives a reload
    "displayRequestDuration": True,
    "tryItOutEnabled": False,
}


DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' blob:; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
            "frame-ancestors 'self'")
"""The documents' Content-Security-Policy: only the page's own origin (the pages' bootstrap
scripts are inline; ReDoc runs a worker from a blob)."""

_HIDE_REDOC_LOGO = "<style>a[href*='redocly.com'], a[href*='redoc.ly'] { display: none !important; }</style>"


def _offline(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_CSP
    page.headers["X-Content-Type-Options"] = "nosniff"
    return page


def install_api_docs(app: FastAPI, prefix: str, *, openapi_url: str) -> None:
    """Mount the assets and the Swagger UI / ReDoc pages under ``prefix`` (``/api/<svc>/v1``).

    ``app`` must be built with ``docs_url=None, redoc_url=None`` (FastAPI's own pages load
    from a CDN). Raises ``RuntimeError`` at start when a packaged asset is missing, rather
    than serving a blank page later.
    """
    folder = assets_dir()
    missing = [name for name in ASSET_FILES if not (folder / name).is_file()]
    if missing:
        raise RuntimeError(f"API document assets missing from {folder}: {', '.join(missing)}")
    docs_url, assets_url = f"{prefix}/docs", f"{prefix}/docs/assets"
    oauth2_redirect_url = f"{docs_url}/oauth2-redirect"
    app.mount(assets_url, StaticFiles(directory=str(folder)), name=f"api-docs-assets{prefix}")

    def root(request: Request) -> str:
        return str(request.scope.get("root_path") or "").rstrip("/")

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        base = root(request)
        return _offline(get_swagger_ui_html(
            openapi_url=base + openapi_url, title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=base + oauth2_redirect_url,
            swagger_js_url=f"{base}{assets_url}/swagger-ui-bundle.js",
            swagger_css_url=f"{base}{assets_url}/swagger-ui.css",
            swagger_favicon_url=f"{base}{assets_url}/favicon.png",
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS))

    @app.get(oauth2_redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(f"{prefix}/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        base = root(request)
        page = get_redoc_html(openapi_url=base + openapi_url, title=f"{app.title} - ReDoc",
                              redoc_js_url=f"{base}{assets_url}/redoc.standalone.js",
                              redoc_favicon_url=f"{base}{assets_url}/favicon.png", with_google_fonts=False)
        html = bytes(page.body).decode().replace("</head>", _HIDE_REDOC_LOGO + "</head>", 1)
        return _offline(HTMLResponse(html))
