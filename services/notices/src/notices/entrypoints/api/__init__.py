"""HTTP API of notices, mounted under ``/api/notices/v1``: Hubei 告知书 (``notices``) and
Hainan enforcement documents (``documents``)."""

from .documents import router as documents_router
from .major_hazards import router as major_hazards_router
from .notices import router

__all__ = ["documents_router", "major_hazards_router", "router"]
