"""Event consumers of notices.

Queue ``notices.plan-submissions`` ← ``inspections.plan.submitted.v1`` (HB-06): a
plan whose disposition is 限期整改 or 停工整改 yields one notice per project. The
handler runs in the inbox transaction, so a redelivered event has no second effect.
"""

from __future__ import annotations

from anjian_shared.bus import Subscription
from anjian_shared.events import CloudEvent
from anjian_shared.events.inspections_v1 import PlanSubmitted
from anjian_shared.mongo import UnitOfWork

from ..service_layer.notices import issue_notices

plan_submissions = Subscription("plan-submissions")


@plan_submissions.on("inspections.plan.submitted.v1")
async def on_plan_submitted(uow: UnitOfWork, event: CloudEvent, payload: PlanSubmitted) -> None:
    """Issue the plan's notices (HB-06) in the consumer's transaction."""
    await issue_notices(uow, plan=payload)


SUBSCRIPTIONS = [plan_submissions]
