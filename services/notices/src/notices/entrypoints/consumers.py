"""Event consumers of notices.

- ``notices.plan-submissions`` ← ``inspections.plan.submitted.v1`` (HB-06): a plan whose
  disposition is 限期整改 or 停工整改 yields one notice per project.
- ``notices.document-projects`` ← ``projects.project.registered/updated.v1`` (HN-07): the
  projects read model (station, companies, participants).
- ``notices.document-users`` ← ``identity.user.created/updated.v1`` (HN-07): the users read
  model (name, organisation, roles — station leaders, repliers, recipients).
- ``notices.document-records`` ← ``inspections.record.submitted/reviewed.v1`` (HN-07): the
  supervision records a document may rest on (project, station, submitter, status).

Every handler runs in the inbox transaction, so a redelivered event has no second effect; the
projects and users read models are kept by ``anjian_shared.read_models.read_model`` (an older
snapshot never overwrites a newer one).
"""

from __future__ import annotations

from pydantic import BaseModel

from anjian_shared.bus import Subscription
from anjian_shared.events import CloudEvent
from anjian_shared.events.inspections_v1 import PlanSubmitted, RecordReviewed, RecordSubmitted
from anjian_shared.mongo import UnitOfWork
from anjian_shared.read_models import PROJECTS, USERS, read_model

from ..adapters.document_store import PROJECTS as PROJECTS_COLLECTION
from ..adapters.document_store import USERS as USERS_COLLECTION
from ..service_layer import directory
from ..service_layer.notices import issue_notices

plan_submissions = Subscription("plan-submissions", prefetch=1)
"""One at a time per replica: every notice of a tenant advances the same number counter, so
concurrent handlers only conflicted and retried (``make bench``: 3 notices/s with 32 in
flight, thousands of transaction conflicts)."""
document_projects = read_model(Subscription("document-projects"), collection=PROJECTS_COLLECTION,
                               events=PROJECTS)
"""HN-07: the project's snapshot (station, companies, participants); newest version wins."""
document_users = read_model(Subscription("document-users"), collection=USERS_COLLECTION,
                            events=USERS)
"""HN-07: the user's name, organisation, roles and enabled flag; newest version wins."""
document_records = Subscription("document-records")


@plan_submissions.on("inspections.plan.submitted.v1")
async def on_plan_submitted(uow: UnitOfWork, event: CloudEvent, payload: PlanSubmitted) -> None:
    """Issue the plan's notices (HB-06) in the consumer's transaction."""
    await issue_notices(uow, plan=payload)


@document_records.on("inspections.record.submitted.v1")
async def on_record_submitted(uow: UnitOfWork, event: CloudEvent, payload: BaseModel) -> None:
    """HN-07: keep the submitted supervision record (a document cites exactly one)."""
    assert isinstance(payload, RecordSubmitted)
    await directory.record_submitted(uow=uow, record=payload)


@document_records.on("inspections.record.reviewed.v1")
async def on_record_reviewed(uow: UnitOfWork, event: CloudEvent, payload: BaseModel) -> None:
    """HN-07: follow the record's review (a rejected record cannot back a document)."""
    assert isinstance(payload, RecordReviewed)
    await directory.record_reviewed(uow=uow, review=payload)


SUBSCRIPTIONS = [plan_submissions, document_projects, document_users, document_records]
