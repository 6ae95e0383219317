"""reporting's event consumers (queue ``reporting.read-models``).

Every handler runs in a MongoDB transaction together with the inbox insert of the
event id (shared ``Subscription``), so a redelivered event has no second effect.
"""

from __future__ import annotations

from typing import Any

from anjian_shared.bus import Subscription
from anjian_shared.events import CloudEvent
from anjian_shared.mongo import UnitOfWork
from anjian_shared.read_models import ORGANIZATIONS, read_model
from anjian_shared.tenant_policy import policy_subscription

from ..adapters.repositories import ORGANIZATIONS as ORGANIZATIONS_COLLECTION
from ..service_layer import read_models as rm

read_models = Subscription("read-models")


read_model(read_models, collection=ORGANIZATIONS_COLLECTION, events=ORGANIZATIONS)
"""Organisation names for documents (施工单位, 监督机构) and the station search: the shared
read-model consumer, an older snapshot never overwrites a newer one."""


@read_models.on("inspections.plan.confirmed.v1")
async def on_plan_confirmed(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HB-03: notify the plan's other supervisors (``plan_confirmed``)."""
    await rm.record_plan_confirmed(uow, event_id=event.id, payload=payload)


@read_models.on("inspections.plan.changed.v1")
async def on_plan_changed(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HB-03: tell who joined, who left (their notifications of the plan withdrawn) and the new date."""
    await rm.record_plan_changed(uow, event_id=event.id, payload=payload)


@read_models.on("inspections.plan.withdrawn.v1")
async def on_plan_withdrawn(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HB-03 撤回: withdraw the plan's notifications; tell the team."""
    await rm.record_plan_withdrawn(uow, event_id=event.id, payload=payload)


@read_models.on("inspections.plan.submitted.v1")
async def on_plan_submitted(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HB-06/HB-09: store the plan's results, signature, seal, disposition and notice data."""
    await rm.record_plan_submitted(uow, payload=payload)


@read_models.on("notices.notice.issued.v1")
async def on_notice_issued(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HB-08: store the notice; ``notice_to_reply`` to each replier; open their to-dos."""
    await rm.record_notice_issued(uow, event_id=event.id, payload=payload)


@read_models.on("notices.reply.submitted.v1")
async def on_reply_submitted(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HB-08: store the round; ``reply_to_review`` to the reviewer."""
    await rm.record_reply_submitted(uow, event_id=event.id, payload=payload)


@read_models.on("notices.reply.reviewed.v1")
async def on_reply_reviewed(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HB-08: store the outcome; ``reply_reviewed`` to the repliers (passed or failed, with comment)."""
    await rm.record_reply_reviewed(uow, event_id=event.id, payload=payload)


@read_models.on("notices.notice.closed.v1")
async def on_notice_closed(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HB-08: mark the notice closed; its to-dos are done."""
    await rm.record_notice_closed(uow, payload=payload)


# ---- Hainan: supervision records (HN-04..HN-06) and enforcement documents (HN-07..HN-09) ----------
# Into the HN-10 station search read model and the 站内通知; any order converges (see read_models).

@read_models.on("inspections.record.submitted.v1")
async def on_record_submitted(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HN-04/HN-10: the record into the search; ``record_to_review`` to each report recipient."""
    await rm.record_record_submitted(uow, event_id=event.id, payload=payload)


@read_models.on("inspections.record.reviewed.v1")
async def on_record_reviewed(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HN-05: the status after the review; ``record_reviewed`` to the sender."""
    await rm.record_record_reviewed(uow, event_id=event.id, payload=payload)


@read_models.on("inspections.record.released.v1")
async def on_record_released(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HN-06: issued; ``record_received`` to each issue recipient."""
    await rm.record_record_released(uow, event_id=event.id, payload=payload)


@read_models.on("notices.document.submitted.v1")
async def on_document_submitted(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HN-07/HN-10: the document into the search; ``document_to_review`` to each report recipient."""
    await rm.record_document_submitted(uow, event_id=event.id, payload=payload)


@read_models.on("notices.document.reviewed.v1")
async def on_document_reviewed(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HN-08: the status after a pre-issue review."""
    await rm.record_document_reviewed(uow, event_id=event.id, payload=payload)


@read_models.on("notices.document.issued.v1")
async def on_document_issued(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HN-08: issued; ``document_to_reply`` to repliers, ``document_received`` to issue recipients."""
    await rm.record_document_issued(uow, event_id=event.id, payload=payload)


@read_models.on("notices.document.replied.v1")
async def on_document_replied(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HN-09: ``document_replied`` to the issuer."""
    await rm.record_document_replied(uow, event_id=event.id, payload=payload)


@read_models.on("notices.document.reply_reviewed.v1")
async def on_document_reply_reviewed(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HN-09: ``document_reply_reviewed`` to the replier."""
    await rm.record_document_reply_reviewed(uow, event_id=event.id, payload=payload)


@read_models.on("notices.document.closed.v1")
async def on_document_closed(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HN-09: 已办结."""
    await rm.record_document_closed(uow, payload=payload)


@read_models.on("notices.document.escalated.v1")
async def on_document_escalated(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HN-07: the escalation; ``document_escalated`` to the issuer and the station leaders."""
    await rm.record_document_escalated(uow, event_id=event.id, payload=payload)


@read_models.on("inspections.self_inspection.escalated.v1")
async def on_self_inspection_escalated(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """FJ-11 逾期上报: ``self_inspection_escalated`` to the project's station."""
    await rm.record_self_inspection_escalated(uow, event_id=event.id, payload=payload)


@read_models.on("personnel.hunan_task.changed.v1")
async def on_hunan_task_changed(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
    """HUN-01: open or close the Hunan to-do of a certificate application, assessment, dynamic
    score or training registration (the latest event wins)."""
    await rm.record_hunan_task(uow, payload=payload)


SUBSCRIPTIONS = [read_models, policy_subscription()]
"""+ queue ``reporting.tenant-policy``: the province's limits (HEB-02 ``announcement_file_max_bytes``)."""


def _application_handler(stage: str) -> Any:
    async def on_application_stage(uow: UnitOfWork, event: CloudEvent, payload: Any) -> None:
        await rm.record_application_stage(uow, event_id=event.id, payload=payload)

    on_application_stage.__doc__ = (f"HEB-03 ``equipment.application.{stage}.v1``: notifications for the "
                                    "authority (submitted) or the applicant (decisions).")
    return on_application_stage


for _stage in ("submitted", "accepted", "not_accepted", "returned", "approved", "refused"):
    read_models.on(f"equipment.application.{_stage}.v1")(_application_handler(_stage))
