"""The partners HTTP API under ``/api/partners/v1``."""

from .routes import router

__all__ = ["router"]
