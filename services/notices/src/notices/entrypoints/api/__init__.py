"""HTTP API of notices, mounted under ``/api/notices/v1``: Hubei 告知书 (``notices``) and
Hainan enforcement documents (``documents``), Hebei's discretion table (``discretion``)."""

from .discretion import router as discretion_router
from .documents import router as documents_router
from .major_hazards import router as major_hazards_router
from .notices import router

__all__ = ["discretion_router", "documents_router", "major_hazards_router", "router"]
