"""Event consumers of inspections: the project directory, the user-name directory and the
notices issued from each plan.

Queues ``inspections.project-directory``, ``inspections.user-directory`` and
``inspections.plan-notices``, kept by the shared
read-model consumer (``anjian_shared.read_models.read_model``): each snapshot is applied in the
transaction that also records the event id in the inbox, so a redelivered event has no second
effect, and only when it is newer than the one held (the aggregate's ``version``).
"""

from __future__ import annotations

from typing import Any

from anjian_shared.bus import Subscription
from anjian_shared.read_models import PROJECTS, USERS, read_model

from ..adapters.repositories import PLAN_NOTICES
from ..adapters.repositories import PROJECTS as PROJECTS_COLLECTION
from ..adapters.repositories import USERS as USERS_COLLECTION
from ..adapters.self_inspection_store import PROJECT_POSITIONS

project_directory = read_model(Subscription("project-directory"), collection=PROJECTS_COLLECTION,
                               events=PROJECTS)
"""HB-02: the project's snapshot (name, station, parties, supervisors, participants)."""
user_directory = read_model(Subscription("user-directory"), collection=USERS_COLLECTION,
                            events=USERS)
"""The users' display names, organisations, roles and enabled flags (plans, records, events)."""



def notice_fields(payload: Any) -> dict[str, Any]:
    """What a plan shows of a 告知书 issued from it (``NoticeIssued``)."""
    return {"notice_id": payload.notice_id, "plan_id": payload.plan_id, "number": payload.number,
            "project_id": payload.project_id, "project_name": payload.project_name, "title": payload.title,
            "rectification_date": payload.rectification_date.isoformat(), "issued_at": payload.issued_at}


plan_notices = read_model(Subscription("plan-notices"), collection=PLAN_NOTICES,
                          events={"notices.notice.issued.v1": (lambda p: p.notice_id, notice_fields)})
"""HB-06/HB-09 for front ends: a submitted plan links to the 告知书 notices issued from it."""



def position_fields(payload: Any) -> dict[str, Any]:
    """FJ-04: the project's latest position (HN-03), which a check-in's distance is measured from."""
    return {"longitude": payload.longitude, "latitude": payload.latitude, "address": payload.address,
            "positioning_id": payload.positioning_id, "positioned_at": payload.positioned_at}


project_positions = read_model(Subscription("project-positions"), collection=PROJECT_POSITIONS,
                               events={"projects.project.positioned.v1": (lambda p: p.project_id, position_fields)})
"""FJ-04 检查打卡: the distance of a check-in from the project's position."""

SUBSCRIPTIONS = (project_directory, user_directory, plan_notices, project_positions)
