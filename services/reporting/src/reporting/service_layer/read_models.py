"""Applying events to reporting's read models (called by the consumers in a transaction).

Each function runs inside the consumer's unit of work, after the inbox insert, so a
redelivered event has no second effect. Stores are upserts of disjoint fields, so the
read models converge whatever order the events of different (or the same) aggregates
arrive in; notifications are created per event; to-dos are recomputed per notice.
"""

from __future__ import annotations

import uuid
from typing import Any

from anjian_shared.accounts import ACCOUNTS
from anjian_shared.events.inspections_v1 import (
    PlanChanged,
    PlanConfirmed,
    PlanSubmitted,
    PlanWithdrawn,
    RecordReleased,
    RecordReviewed,
    RecordSubmitted,
)
from anjian_shared.events.notices_v1 import (
    DocumentClosed,
    DocumentEscalated,
    DocumentIssued,
    DocumentReplied,
    DocumentReplyReviewed,
    DocumentReviewed,
    DocumentSubmitted,
    NoticeClosed,
    NoticeIssued,
    ReplyReviewed,
    ReplySubmitted,
)
from anjian_shared.mongo import UnitOfWork
from anjian_shared.types import new_id, utcnow

from ..adapters.repositories import (
    NOTICES,
    NOTIFICATIONS,
    PLANS,
    REPLIES,
    STATION_ITEMS,
    TODOS,
    upsert,
)
from ..domain import notifications as rules
from ..domain.notifications import NotificationDraft
from ..domain.station_search import Kind, merge_status
from ..domain.todos import NoticeState, ReplyState, hunan_todo, newer_task, open_todos

_TODO_NS = uuid.UUID("8a0f7f52-3c1e-4a57-9e7a-2f4a1d6c9b31")


def _json(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json")


async def _notify(uow: UnitOfWork, *, event_id: str, drafts: list[NotificationDraft]) -> int:
    """Store one unread notification per draft; returns how many."""
    repo = uow.repo(NOTIFICATIONS)
    now = utcnow()
    for d in drafts:
        await repo.insert({
            "_id": new_id(), "user_id": d.user_id, "kind": d.kind.value, "title": d.title, "body": d.body,
            "plan_id": d.plan_id, "notice_id": d.notice_id, "reply_id": d.reply_id, "round": d.round,
            "passed": d.passed, "record_id": d.record_id, "document_id": d.document_id,
            "application_id": d.application_id, "inspection_id": d.inspection_id, "event_id": event_id,
            "created_at": now, "read_at": None,
            "withdrawn_at": None,
        })
    return len(drafts)


async def record_plan_confirmed(uow: UnitOfWork, *, event_id: str, payload: PlanConfirmed) -> int:
    """HB-03: remember the confirmed plan and notify its other supervisors; returns notifications made.
    When a LATER change of the plan was handled first (events may overtake each other), only
    the members of the team after that change are told, of its date."""
    now = utcnow()
    plans = uow.repo(PLANS)
    known = await plans.get(payload.plan_id) or {}
    await upsert(plans, payload.plan_id, set={"confirmed": _json(payload), "updated_at": now},
                 set_on_insert={"created_at": now})
    drafts = rules.plan_confirmed(payload)
    change = PlanChanged.model_validate(known["changed"]) if known.get("changed") else None
    if change is not None and payload.confirmed_at is not None and change.changed_at > payload.confirmed_at:
        team = {change.responsible_supervisor.user_id, *(p.user_id for p in change.supervisors)}
        drafts = [d for d in drafts if d.user_id in team and d.user_id not in change.added_user_ids]
    return await _notify(uow, event_id=event_id, drafts=drafts)


async def _withdraw_plan_notifications(uow: UnitOfWork, plan_id: str, user_ids: list[str]) -> None:
    """HB-03: the plan's notifications of ``user_ids`` are withdrawn (no longer listed nor counted)."""
    if not user_ids:
        return
    repo = uow.repo(NOTIFICATIONS)
    now = utcnow()
    await repo.collection.update_many(
        {"tenant_id": uow.tenant_id, "plan_id": plan_id, "user_id": {"$in": user_ids}, "withdrawn_at": None},
        {"$set": {"withdrawn_at": now}}, session=repo.session)


async def record_plan_changed(uow: UnitOfWork, *, event_id: str, payload: PlanChanged) -> int:
    """HB-03: a confirmed plan changed: withdraw the notifications of the members who left, tell
    who joined, who left and (new date) who stayed; returns notifications made. An older change
    handled after a newer one only withdraws (the newer one already told the team)."""
    now = utcnow()
    plans = uow.repo(PLANS)
    known = await plans.get(payload.plan_id) or {}
    newest = known.get("changed")
    if newest and PlanChanged.model_validate(newest).changed_at >= payload.changed_at:
        await _withdraw_plan_notifications(uow, payload.plan_id, rules.withdrawn_for(payload))
        return 0
    await upsert(plans, payload.plan_id, set={"changed": _json(payload), "updated_at": now},
                 set_on_insert={"created_at": now})
    await _withdraw_plan_notifications(uow, payload.plan_id, rules.withdrawn_for(payload))
    return await _notify(uow, event_id=event_id, drafts=rules.plan_changed(payload))


async def record_plan_withdrawn(uow: UnitOfWork, *, event_id: str, payload: PlanWithdrawn) -> int:
    """HB-03 撤回: every notification of the plan is withdrawn; the team is told."""
    await _withdraw_plan_notifications(uow, payload.plan_id, list(payload.supervisor_user_ids))
    return await _notify(uow, event_id=event_id, drafts=rules.plan_withdrawn(payload))


async def record_plan_submitted(uow: UnitOfWork, *, payload: PlanSubmitted) -> None:
    """HB-06/HB-09: store the submitted plan (projects, results, signature, seal, disposition, notice data)."""
    now = utcnow()
    await upsert(uow.repo(PLANS), payload.plan_id, set={"submitted": _json(payload), "updated_at": now},
                 set_on_insert={"created_at": now})


async def _touch_notice(uow: UnitOfWork, notice_id: str, number: str, fields: dict[str, Any] | None = None,
                        *, source_version: int | None = None) -> None:
    """Upsert the notice document; the version bump makes concurrent handlers of one notice conflict
    (and retry) instead of computing to-dos from stale snapshots. ``source_version`` (the
    notice's own version the event left behind, HB-09) joins ``versions``: the PDF knows how
    far the read model got (``domain.documents.reached_version``), whatever the arrival order."""
    now = utcnow()
    await upsert(uow.repo(NOTICES), notice_id, set={"number": number, "updated_at": now, **(fields or {})},
                 set_on_insert={"created_at": now}, inc={"version": 1},
                 add_to_set={"versions": source_version} if source_version is not None else None)


async def record_notice_issued(uow: UnitOfWork, *, event_id: str, payload: NoticeIssued) -> int:
    """HB-08: store the notice, tell its repliers a reply is due; returns notifications made."""
    await _touch_notice(uow, payload.notice_id, payload.number, {"issued": _json(payload), "plan_id": payload.plan_id},
                        source_version=payload.version)
    made = await _notify(uow, event_id=event_id, drafts=rules.notice_issued(payload))
    await sync_todos(uow, notice_id=payload.notice_id)
    return made


async def record_reply_submitted(uow: UnitOfWork, *, event_id: str, payload: ReplySubmitted) -> int:
    """HB-08: store the reply round, tell the reviewer; returns notifications made."""
    now = utcnow()
    await upsert(uow.repo(REPLIES), payload.reply_id,
                 set={"notice_id": payload.notice_id, "round": payload.round, "submitted": _json(payload),
                      "updated_at": now},
                 set_on_insert={"created_at": now})
    await _touch_notice(uow, payload.notice_id, payload.number, source_version=payload.version)
    made = await _notify(uow, event_id=event_id, drafts=rules.reply_submitted(payload))
    await sync_todos(uow, notice_id=payload.notice_id)
    return made


async def record_reply_reviewed(uow: UnitOfWork, *, event_id: str, payload: ReplyReviewed) -> int:
    """HB-08: store the review outcome, tell the repliers (passed or failed, with comment)."""
    now = utcnow()
    await upsert(uow.repo(REPLIES), payload.reply_id,
                 set={"notice_id": payload.notice_id, "round": payload.round, "reviewed": _json(payload),
                      "updated_at": now},
                 set_on_insert={"created_at": now})
    await _touch_notice(uow, payload.notice_id, payload.number, source_version=payload.version)
    made = await _notify(uow, event_id=event_id, drafts=rules.reply_reviewed(payload))
    await sync_todos(uow, notice_id=payload.notice_id)
    return made


async def record_notice_closed(uow: UnitOfWork, *, payload: NoticeClosed) -> None:
    """HB-08: mark the notice closed; its to-dos are done."""
    await _touch_notice(uow, payload.notice_id, payload.number, {"closed": _json(payload)},
                        source_version=payload.version)
    await sync_todos(uow, notice_id=payload.notice_id)


def notice_state(doc: dict[str, Any]) -> NoticeState:
    """The to-do view of a stored notice document."""
    issued = NoticeIssued.model_validate(doc["issued"]) if doc.get("issued") else None
    return NoticeState(
        notice_id=doc["_id"], number=doc.get("number", ""), issued=issued is not None,
        plan_id=issued.plan_id if issued else doc.get("plan_id"),
        project_name=issued.project_name if issued else "",
        rectification_date=issued.rectification_date if issued else None,
        replier_user_ids=list(issued.replier_user_ids) if issued else [],
        closed=bool(doc.get("closed")),
    )


def reply_state(doc: dict[str, Any]) -> ReplyState:
    """The to-do view of a stored reply round."""
    sub = ReplySubmitted.model_validate(doc["submitted"]) if doc.get("submitted") else None
    rev = ReplyReviewed.model_validate(doc["reviewed"]) if doc.get("reviewed") else None
    return ReplyState(
        reply_id=doc["_id"], round=int(doc.get("round", 0)), submitted=sub is not None,
        reviewer_user_id=sub.reviewer_user_id if sub else None,
        replied_by_name=sub.replied_by.name if sub else "",
        reviewed=rev is not None, passed=rev.passed if rev else None,
        replier_user_ids=list(rev.replier_user_ids) if rev else [],
    )


async def sync_todos(uow: UnitOfWork, *, notice_id: str) -> None:
    """Make the stored to-dos of ``notice_id`` equal to ``domain.todos.open_todos`` of its read model."""
    notice = await uow.repo(NOTICES).get(notice_id)
    if notice is None:
        return
    replies = await uow.repo(REPLIES).find({"notice_id": notice_id}, limit=1000)
    wanted = open_todos(notice_state(notice), [reply_state(r) for r in replies])
    todos = uow.repo(TODOS)
    now = utcnow()
    wanted_ids = {}
    for t in wanted:
        todo_id = uuid.uuid5(_TODO_NS, f"{uow.tenant_id}:{t.key}").hex
        wanted_ids[todo_id] = t
        await upsert(todos, todo_id,
                     set={"title": t.title, "body": t.body, "done_at": None, "updated_at": now},
                     set_on_insert={"user_id": t.user_id, "kind": t.kind.value, "notice_id": t.notice_id,
                                    "plan_id": t.plan_id, "reply_id": t.reply_id, "round": t.round,
                                    "number": notice.get("number", ""), "created_at": now})
    # by the (tenant_id, notice_id) index, open ones picked here: the embedded database (SecantusDB
    # 0.7) serves no filter holding a null equality from an index, and `done_at: None` made this
    # read — once per notice event — scan every to-do of the tenant (150 ms at 6,000; issue 16)
    for doc in await todos.find({"notice_id": notice_id}, limit=1000):
        if doc.get("done_at") is None and doc["_id"] not in wanted_ids:
            await todos.update({"_id": doc["_id"], "done_at": None}, {"$set": {"done_at": now, "updated_at": now}})


# ---- HN-04..HN-10: supervision records and enforcement documents --------------------------------------
#
# One ``station_items`` document per record / document, merged from its events. Order does
# not matter: every event upserts its own fields; ``complete`` (the item is listed by the
# search) is set by the ``submitted`` event, which carries the item's content; the status
# only moves forward (``domain.station_search.merge_status``: higher rank, or same rank and
# a later event time), so e.g. a ``reviewed`` that overtook its ``submitted`` is kept, and
# the late ``submitted`` (status ``pending_review``) does not move it back. Redelivery is
# dropped by the consumer's inbox (same transaction); the read-then-write of the status is
# safe under concurrency because every write bumps ``version`` (concurrent handlers of one
# item conflict and retry).


async def _apply_item(uow: UnitOfWork, kind: Kind, item_id: str, *, fields: dict[str, Any] | None = None,
                      status: str | None = None, status_at: Any = None,
                      set_on_insert: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Upsert ``fields`` of the item; take ``status`` if it moves the item forward. Returns the
    item as it was before (None if new)."""
    repo = uow.repo(STATION_ITEMS)
    key = f"{kind}:{item_id}"
    before = await repo.get(key)
    now = utcnow()
    update: dict[str, Any] = {"kind": kind, "item_id": item_id, "updated_at": now, **(fields or {})}
    if status is not None and merge_status(kind, (before or {}).get("status"), (before or {}).get("status_at"),
                                           status, status_at):
        update["status"] = status
        update["status_at"] = status_at
    await upsert(repo, key, set=update, set_on_insert={"first_seen_at": now, **(set_on_insert or {})},
                 inc={"version": 1})
    return before


async def _item(uow: UnitOfWork, kind: Kind, item_id: str) -> dict[str, Any]:
    return await uow.repo(STATION_ITEMS).get(f"{kind}:{item_id}") or {}


async def record_record_submitted(uow: UnitOfWork, *, event_id: str, payload: RecordSubmitted) -> int:
    """HN-04/HN-10: the record's content into the search; its report recipients are told to review."""
    summary = "；".join(x for x in [payload.part_checked, *(v.text for v in payload.violations),
                                    payload.supplement] if x and x.strip())
    await _apply_item(uow, "record", payload.record_id, status=payload.status, status_at=payload.submitted_at,
                      fields={"complete": True, "number": "", "type": payload.check_type,
                              "project_id": payload.project_id, "project_name": payload.project_name,
                              "station_org_id": payload.station_org_id,
                              "submitter_id": payload.submitted_by.user_id,
                              "submitter_name": payload.submitted_by.name,
                              "submitted_at": payload.submitted_at, "created_at": payload.submitted_at,
                              "summary": summary[:500],
                              "report_recipient_ids": list(payload.report_recipient_ids),
                              "issue_recipient_ids": list(payload.issue_recipient_ids)})
    return await _notify(uow, event_id=event_id, drafts=rules.record_submitted(payload))


async def record_record_reviewed(uow: UnitOfWork, *, event_id: str, payload: RecordReviewed) -> int:
    """HN-05: the status after the review; the sender is told (approved / rejected)."""
    await _apply_item(uow, "record", payload.record_id, status=payload.status, status_at=payload.reviewed_at,
                      fields={"project_id": payload.project_id, "submitter_id": payload.submitted_by_user_id,
                              "last_review": {"reviewer": _json(payload.reviewer), "decision": payload.decision,
                                              "comment": payload.comment, "reviewed_at": payload.reviewed_at}})
    item = await _item(uow, "record", payload.record_id)
    return await _notify(uow, event_id=event_id,
                         drafts=rules.record_reviewed(payload, project_name=item.get("project_name")))


async def record_record_released(uow: UnitOfWork, *, event_id: str, payload: RecordReleased) -> int:
    """HN-06: the record is issued; its issue recipients are told."""
    await _apply_item(uow, "record", payload.record_id, status="issued", status_at=payload.released_at,
                      fields={"project_id": payload.project_id, "station_org_id": payload.station_org_id,
                              "released_at": payload.released_at})
    item = await _item(uow, "record", payload.record_id)
    return await _notify(uow, event_id=event_id, drafts=rules.record_released(
        payload, project_name=item.get("project_name"), sender_name=item.get("submitter_name")))


async def record_document_submitted(uow: UnitOfWork, *, event_id: str, payload: DocumentSubmitted) -> int:
    """HN-07/HN-10: the document's content into the search; report recipients are told to review."""
    await _apply_item(uow, "document", payload.document_id, status=payload.status, status_at=payload.submitted_at,
                      fields={"complete": True, "number": payload.number, "type": payload.document_type,
                              "project_id": payload.project_id, "project_name": payload.project_name,
                              "station_org_id": payload.station_org_id,
                              "submitter_id": payload.submitted_by.user_id,
                              "submitter_name": payload.submitted_by.name,
                              "submitted_at": payload.submitted_at, "created_at": payload.submitted_at,
                              "deadline": payload.deadline.isoformat(), "record_id": payload.record_id,
                              "summary": payload.details[:500],
                              "report_recipient_ids": list(payload.report_recipient_ids),
                              "issue_recipient_ids": list(payload.issue_recipient_ids),
                              "replier_user_ids": list(payload.replier_user_ids)})
    return await _notify(uow, event_id=event_id, drafts=rules.document_submitted(payload))


async def record_document_reviewed(uow: UnitOfWork, *, event_id: str, payload: DocumentReviewed) -> int:
    """HN-08: the status after a pre-issue review. No notification here: a rejection reaches
    the issuer through the notices views; the issue itself is told by ``document_issued``."""
    await _apply_item(uow, "document", payload.document_id, status=payload.status, status_at=payload.reviewed_at,
                      fields={"number": payload.number, "project_id": payload.project_id,
                              "submitter_id": payload.submitted_by_user_id,
                              "last_review": {"reviewer": _json(payload.reviewer), "decision": payload.decision,
                                              "comment": payload.comment, "reviewed_at": payload.reviewed_at}})
    return 0


async def record_document_issued(uow: UnitOfWork, *, event_id: str, payload: DocumentIssued) -> int:
    """HN-08: the document is issued; repliers and issue recipients are told."""
    await _apply_item(uow, "document", payload.document_id, status="issued", status_at=payload.issued_at,
                      fields={"number": payload.number, "type": payload.document_type,
                              "project_id": payload.project_id, "project_name": payload.project_name,
                              "station_org_id": payload.station_org_id, "deadline": payload.deadline.isoformat(),
                              "issued_at": payload.issued_at, "submitter_id": payload.submitted_by_user_id})
    return await _notify(uow, event_id=event_id, drafts=rules.document_issued(payload))


async def record_document_replied(uow: UnitOfWork, *, event_id: str, payload: DocumentReplied) -> int:
    """HN-09: a reply; the issuer is told."""
    await _apply_item(uow, "document", payload.document_id,
                      fields={"number": payload.number, "last_reply_at": payload.submitted_at})
    return await _notify(uow, event_id=event_id, drafts=rules.document_replied(payload))


async def record_document_reply_reviewed(uow: UnitOfWork, *, event_id: str, payload: DocumentReplyReviewed) -> int:
    """HN-09: the issuer's verdict on a reply; the replier is told."""
    await _apply_item(uow, "document", payload.document_id, fields={"number": payload.number})
    return await _notify(uow, event_id=event_id, drafts=rules.document_reply_reviewed(payload))


async def record_document_closed(uow: UnitOfWork, *, payload: DocumentClosed) -> None:
    """HN-09: every reply accepted — 已办结."""
    await _apply_item(uow, "document", payload.document_id, status="closed", status_at=payload.closed_at,
                      fields={"number": payload.number, "project_id": payload.project_id,
                              "closed_at": payload.closed_at})


async def record_document_escalated(uow: UnitOfWork, *, event_id: str, payload: DocumentEscalated) -> int:
    """HN-07: the overdue document's escalation; the issuer and the station leaders are told."""
    await _apply_item(uow, "document", payload.document_id,
                      fields={"number": payload.number, "escalation": {
                          "escalation_id": payload.escalation_id, "kind": payload.kind,
                          "number": payload.escalation_number, "escalated_at": payload.escalated_at,
                          "missing_replier_ids": list(payload.missing_replier_ids)}})
    return await _notify(uow, event_id=event_id, drafts=rules.document_escalated(payload))


AUTHORITY_ROLES = ("supervisor", "station_leader", "province_admin")
"""HEB-03 who of an authority or station handles its applications (equipment's deciders)."""


async def record_application_stage(uow: UnitOfWork, *, event_id: str, payload: Any) -> int:
    """HEB-03 an application (equipment's 事项) moved: the addressed authority's staff are told
    of a submission (待办), the applicant organisation's users of every decision. Recipients
    come from the ``accounts`` read model (enabled users of the organisation)."""
    accounts = uow.repo(ACCOUNTS)

    async def users(org_id: str | None, roles: tuple[str, ...] | None = None) -> list[str]:
        if not org_id:
            return []
        flt: dict[str, Any] = {"org_id": org_id, "enabled": {"$ne": False}}
        if roles:
            flt["roles"] = {"$in": list(roles)}
        return [a["_id"] for a in await accounts.find(flt, sort=[("_id", 1)], limit=500)]

    if payload.to_stage == "submitted":
        drafts = rules.application_stage(payload, authority_user_ids=await users(payload.authority_org_id,
                                                                                   AUTHORITY_ROLES),
                                         applicant_user_ids=[])
    else:
        drafts = rules.application_stage(payload, authority_user_ids=[],
                                         applicant_user_ids=await users(payload.applicant_org_id))
    return await _notify(uow, event_id=event_id, drafts=drafts)


async def record_self_inspection_escalated(uow: UnitOfWork, *, event_id: str, payload: Any) -> int:
    """FJ-11: the station of the project (its supervisors, leaders) is told of an overdue
    self-inspection notice; a redelivered event tells nobody twice (the bus's inbox)."""
    if not payload.station_org_id:
        return 0
    accounts = uow.repo(ACCOUNTS)
    users = [a["_id"] for a in await accounts.find(
        {"org_id": payload.station_org_id, "enabled": {"$ne": False},
         "roles": {"$in": ["supervisor", "station_leader"]}}, sort=[("_id", 1)], limit=500)]
    return await _notify(uow, event_id=event_id, drafts=rules.self_inspection_escalated(payload,
                                                                                        station_user_ids=users))


async def record_hunan_task(uow: UnitOfWork, *, payload: Any) -> None:
    """HUN-01 ``personnel.hunan_task.changed.v1``: open or close the task's to-do. One to-do per
    task (id from the tenant and ``task_id``); the event with the latest ``at`` wins, so a close
    that arrives before its open leaves the to-do done (stored as done) and the late open is
    dropped; a redelivered event changes nothing (the inbox, and the same ``at``)."""
    todo = hunan_todo(payload)
    todos = uow.repo(TODOS)
    todo_id = uuid.uuid5(_TODO_NS, f"{uow.tenant_id}:{todo.key}").hex
    held = await todos.get(todo_id)
    if held is not None and not newer_task(held.get("task_at"), payload.at):
        return
    now = utcnow()
    fields: dict[str, Any] = {"task_at": payload.at, "updated_at": now}
    if todo.open or held is None:  # an open task, or a close that overtook its open (stored done)
        fields.update({"kind": todo.kind, "object_kind": todo.object_kind, "object_id": todo.object_id,
                       "api_path": todo.api_path, "agency_org_id": todo.agency_org_id, "title": todo.title,
                       "body": todo.body, "user_id": todo.user_id, "org_id": todo.org_id, "roles": list(todo.roles)})
    fields["done_at"] = None if todo.open else (held or {}).get("done_at") or now
    await upsert(todos, todo_id, set=fields, set_on_insert={"created_at": now})
