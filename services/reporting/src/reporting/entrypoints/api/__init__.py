"""reporting's HTTP API (mounted under ``/api/reporting/v1``)."""

from .announcements import router as announcements_router
from .documents import router as documents_router
from .notifications import router as notifications_router
from .share_links import router as share_links_router
from .station_search import router as station_search_router

ROUTERS = [notifications_router, documents_router, share_links_router, station_search_router, announcements_router]

__all__ = ["ROUTERS"]
