"""The notices service: 告知书 issued from submitted plans, replies and reviews (HB-06, HB-08).

``create_app()`` builds the FastAPI app with the shared factory: routes under
``/api/notices/v1``, consumer queue ``notices.plan-submissions``, indexes at startup.
"""

from __future__ import annotations

from fastapi import FastAPI

from anjian_shared.app import ServiceSpec, create_service_app

from .adapters.repository import ensure_indexes
from .entrypoints.api import router
from .entrypoints.consumers import SUBSCRIPTIONS
from .settings import Settings

SPEC = ServiceSpec(
    name="notices",
    title="Anjian notices",
    description=(
        "Notices (告知书) issued when a plan is submitted with 限期整改/停工整改 (HB-06), the "
        "project department's rectification replies (整改回复) and the supervisor's review (审核), "
        "round after round until a reply passes (HB-08)."
    ),
    routers=[router],
    subscriptions=SUBSCRIPTIONS,
    startup=[ensure_indexes],
    openapi_tags=[{"name": "notices", "description": "告知书, 整改回复, 审核 (HB-06, HB-08)"}],
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The notices FastAPI app (settings from the environment unless given)."""
    return create_service_app(SPEC, settings or Settings())
