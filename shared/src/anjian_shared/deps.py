"""FastAPI dependencies every service uses, as ``Annotated`` aliases.

``MongoDep`` (the service's ``Mongo`` handle) and ``StorageDep`` (its S3 ``Storage``).
The caller is ``auth.CurrentPrincipal``. A service's own settings class is typed in
the service (``SettingsDep``), read with ``app_settings``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from .mongo import Mongo
from .proxies import client_address
from .storage import Storage


def request_client_address(request: Request) -> str | None:
    """The caller's address: the peer, or the forwarded one when the peer is a trusted proxy
    (``ANJIAN_TRUSTED_PROXIES``, the gateway). Throttles key on it."""
    settings = getattr(request.app.state, "settings", None)
    trusted = getattr(settings, "trusted_proxies", None)
    peer = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-for")
    return client_address(peer, forwarded, trusted) if trusted is not None else client_address(peer, forwarded)


def app_mongo(request: Request) -> Mongo:
    return request.app.state.mongo


def app_storage(request: Request) -> Storage:
    return request.app.state.storage


def app_settings(request: Request) -> Any:
    return request.app.state.settings


MongoDep = Annotated[Mongo, Depends(app_mongo)]
StorageDep = Annotated[Storage, Depends(app_storage)]
