"""Event consumers of notices.

- ``notices.plan-submissions`` ← ``inspections.plan.submitted.v1`` (HB-06): a plan whose
  disposition is 限期整改 or 停工整改 yields one notice per project.
- ``notices.document-projects`` ← ``projects.project.registered/updated.v1`` (HN-07): the
  projects read model (station, companies, participants).
- ``notices.document-users`` ← ``identity.user.created/updated.v1`` (HN-07): the users read
  model (name, organisation, roles — station leaders, repliers, recipients).
- ``notices.document-records`` ← ``inspections.record.submitted/reviewed.v1`` (HN-07): the
  supervision records a document may rest on (project, station, submitter, status).

Every handler runs in the inbox transaction, so a redelivered event has no second effect.
"""

from __future__ import annotations

from pydantic import BaseModel

from anjian_shared.bus import Subscription
from anjian_shared.events import CloudEvent
from anjian_shared.events.identity_v1 import UserCreated, UserUpdated
from anjian_shared.events.inspections_v1 import PlanSubmitted, RecordReviewed, RecordSubmitted
from anjian_shared.events.projects_v1 import ProjectSnapshot
from anjian_shared.mongo import UnitOfWork

from ..service_layer import directory
from ..service_layer.notices import issue_notices

plan_submissions = Subscription("plan-submissions", prefetch=1)
"""One at a time per replica: every notice of a tenant advances the same number counter, so
concurrent handlers only conflicted and retried (``make bench``: 3 notices/s with 32 in
flight, thousands of transaction conflicts)."""
document_projects = Subscription("document-projects")
document_users = Subscription("document-users")
document_records = Subscription("document-records")


@plan_submissions.on("inspections.plan.submitted.v1")
async def on_plan_submitted(uow: UnitOfWork, event: CloudEvent, payload: PlanSubmitted) -> None:
    """Issue the plan's notices (HB-06) in the consumer's transaction."""
    await issue_notices(uow, plan=payload)


@document_projects.on("projects.project.registered.v1")
@document_projects.on("projects.project.updated.v1")
async def on_project(uow: UnitOfWork, event: CloudEvent, payload: BaseModel) -> None:
    """HN-07: keep the project's snapshot (station, companies, participants)."""
    assert isinstance(payload, ProjectSnapshot)
    await directory.record_project(uow=uow, snapshot=payload)


@document_users.on("identity.user.created.v1")
@document_users.on("identity.user.updated.v1")
async def on_user(uow: UnitOfWork, event: CloudEvent, payload: BaseModel) -> None:
    """HN-07: keep the user's name, organisation, roles and enabled flag."""
    assert isinstance(payload, (UserCreated, UserUpdated))
    await directory.record_user(uow=uow, user=payload)


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
