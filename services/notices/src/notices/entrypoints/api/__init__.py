"""HTTP API of notices, mounted under ``/api/notices/v1``."""

from .notices import router

__all__ = ["router"]
