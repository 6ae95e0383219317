"""Event contracts: the CloudEvents envelope and one payload module per producer and version.

``EVENT_TYPES`` maps every CloudEvents ``type`` to its pydantic payload model; the
AsyncAPI document and every consumer use it. A breaking change is a new ``vN``.
"""

from __future__ import annotations

from pydantic import BaseModel

from . import (
    conversations_v1,
    equipment_v1,
    identity_v1,
    inspections_v1,
    notices_v1,
    partners_v1,
    personnel_v1,
    projects_hazards_v1,
    projects_v1,
)
from .envelope import CloudEvent, make_event

EVENT_TYPES: dict[str, type[BaseModel]] = {}
for _module in (identity_v1, projects_v1, inspections_v1, notices_v1, partners_v1, personnel_v1, equipment_v1,
                conversations_v1, projects_hazards_v1):
    EVENT_TYPES.update(_module.EVENTS)

__all__ = ["EVENT_TYPES", "CloudEvent", "make_event"]

from . import reporting_v1  # noqa: E402 - HEB-02 announcements, appended after the registry

EVENT_TYPES.update(reporting_v1.EVENTS)
