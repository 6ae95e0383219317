"""Hunan's home-page tasks (HUN-01 待办): personnel says in the same transaction as the change
that a task opened or closed (``personnel.hunan_task.changed.v1``); reporting keeps the to-dos.
Titles and bodies name no person (partners with the legacy ``events:read`` scope receive
``personnel.*``): the task's object, opened by ``api_path``, shows who.

- ``certificate_application_to_decide``: submitted (or resubmitted) to the province office
  (its supervisors, leaders, administrators); closed when returned, not accepted, approved,
  refused or deleted (受理 keeps it open: the decision is still to come).
- ``assessment_to_finish``: a draft assessment sheet, for the user who started it; closed on
  submission.
- ``dynamic_score_to_approve``: a pending dynamic-scoring entry, for the agency's leader; closed
  on approval or deletion.
- ``training_registration_to_review``: a submitted training registration, for the province
  training office; closed on review or deletion.
"""

from __future__ import annotations

from typing import Any

from anjian_shared.events.personnel_v1 import HunanTaskChanged
from anjian_shared.mongo import UnitOfWork
from anjian_shared.types import utcnow

CHANGED = "personnel.hunan_task.changed.v1"
DECIDERS = ["supervisor", "station_leader", "province_admin"]
"""Who of the province office decides (as equipment's authorities: HEB-03)."""

OBJECTS = {
    "certificate_application_to_decide": ("certificate_application", "/api/personnel/v1/certificate-applications/{}"),
    "assessment_to_finish": ("assessment", "/api/personnel/v1/assessments/{}"),
    "dynamic_score_to_approve": ("dynamic_score", "/api/personnel/v1/dynamic-scores?status=pending"),
    "training_registration_to_review": ("training_registration", "/api/personnel/v1/training-registrations/{}"),
}
"""Task kind → (object kind, the API path that opens it). A dynamic-scoring entry has no
single-entry GET: its path lists the agency's pending entries (``object_id`` names the entry)."""


def task(uow: UnitOfWork, kind: str, object_id: str, *, open: bool, title: str = "", body: str = "",
         assignee_org_id: str | None = None, assignee_roles: list[str] | None = None,
         assignee_user_id: str | None = None, agency_org_id: str | None = None, at: Any = None) -> None:
    """Queue ``personnel.hunan_task.changed.v1`` for ``object_id`` (``kind`` one of ``OBJECTS``)."""
    object_kind, path = OBJECTS[kind]
    uow.emit(CHANGED, subject=object_id, data=HunanTaskChanged(
        task_id=f"{object_kind}:{object_id}", kind=kind, object_kind=object_kind, object_id=object_id,  # type: ignore[arg-type]
        api_path=path.format(object_id), open=open, assignee_org_id=assignee_org_id,
        assignee_roles=assignee_roles or [], assignee_user_id=assignee_user_id, agency_org_id=agency_org_id,
        title=title, body=body, at=at or utcnow()))
