"""Read models of enforcement documents (HN-07): projects, users and supervision records,
kept from other services' events (notices never reads another service's database).

- ``projects`` ← ``projects.project.registered.v1`` / ``…updated.v1``: the full snapshot
  (station, owner/contractor/supervision companies, participants), kept by id;
- ``users`` ← ``identity.user.created.v1`` / ``…updated.v1``: name, organisation, roles,
  enabled;
  (these two are kept by the shared ``anjian_shared.read_models.read_model`` consumer, see
  ``entrypoints.consumers``: an older snapshot never overwrites a newer one)
- ``records`` ← ``inspections.record.submitted.v1`` / ``…reviewed.v1``: id, project,
  station, submitter, report and issue recipients (who may read it: the one rule of
  ``anjian_shared.record_access``), the problem details a document quotes, and the routing
  status. A record known only from its review (the submission still on its way) is not yet
  citable (409 ``not-yet-available``).

Each handler runs in the transaction that records the event id in the inbox, so a
redelivered event has no second effect; the upserts are idempotent too. The two record
events travel on one queue but may still be handled out of order (several in flight): a
review's final status (``issued``/``internal``/``rejected``) always wins over
``pending_review``, whichever arrives first.
"""

from __future__ import annotations

from anjian_shared.events.inspections_v1 import RecordReviewed, RecordSubmitted
from anjian_shared.mongo import UnitOfWork
from anjian_shared.types import utcnow

from ..adapters.document_store import RECORDS, upsert

PENDING = "pending_review"


async def record_submitted(*, uow: UnitOfWork, record: RecordSubmitted) -> None:
    """HN-07: keep a submitted supervision record (the problem details a document rests on).
    Its status is set only if no review arrived first."""
    fields = {
        "project_id": record.project_id, "project_name": record.project_name,
        "station_org_id": record.station_org_id, "check_type": record.check_type,
        "part_checked": record.part_checked, "terms": [t.model_dump(mode="json") for t in record.terms],
        "violations": [v.model_dump(mode="json") for v in record.violations], "supplement": record.supplement,
        "photo_count": len(record.photos), "submitted_by": record.submitted_by.model_dump(mode="json"),
        "report_recipient_ids": list(record.report_recipient_ids),
        "issue_recipient_ids": list(record.issue_recipient_ids),
        "major_hazard": record.major_hazard, "major_hazard_codes": list(record.major_hazard_codes),
        "submitted_at": record.submitted_at, "updated_at": utcnow()}
    await upsert(uow.repo(RECORDS), record.record_id, fields, on_insert={"status": record.status})


async def record_reviewed(*, uow: UnitOfWork, review: RecordReviewed) -> None:
    """HN-07: follow a record's routing status: a final status (issued, internal, rejected)
    is set; ``pending_review`` (another reviewer must still approve) changes nothing."""
    repo = uow.repo(RECORDS)
    if review.status == PENDING:
        await upsert(repo, review.record_id, {"project_id": review.project_id, "updated_at": utcnow()},
                     on_insert={"status": PENDING})
    else:
        await upsert(repo, review.record_id, {"project_id": review.project_id, "status": review.status,
                                              "updated_at": utcnow()})
