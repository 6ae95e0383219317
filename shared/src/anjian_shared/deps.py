"""FastAPI dependencies every service uses, as ``Annotated`` aliases.

``MongoDep`` (the service's ``Mongo`` handle) and ``StorageDep`` (its S3 ``Storage``).
The caller is ``auth.CurrentPrincipal``. A service's own settings class is typed in
the service (``SettingsDep``), read with ``app_settings``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from .mongo import Mongo
from .storage import Storage


def app_mongo(request: Request) -> Mongo:
    return request.app.state.mongo


def app_storage(request: Request) -> Storage:
    return request.app.state.storage


def app_settings(request: Request) -> Any:
    return request.app.state.settings


MongoDep = Annotated[Mongo, Depends(app_mongo)]
StorageDep = Annotated[Storage, Depends(app_storage)]
