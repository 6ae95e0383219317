"""Applying events to reporting's read models (called by the consumers in a transaction).

Each function runs inside the consumer's unit of work, after the inbox insert, so a
redelivered event has no second effect. Stores are upserts of disjoint fields, so the
read models converge whatever order the events of different (or the same) aggregates
arrive in; notifications are created per event; to-dos are recomputed per notice.
"""

from __future__ import annotations

import uuid
from typing import Any

from anjian_shared.events.identity_v1 import OrganizationCreated
from anjian_shared.events.inspections_v1 import PlanConfirmed, PlanSubmitted
from anjian_shared.events.notices_v1 import NoticeClosed, NoticeIssued, ReplyReviewed, ReplySubmitted
from anjian_shared.mongo import UnitOfWork
from anjian_shared.types import new_id, utcnow

from ..adapters.repositories import NOTICES, NOTIFICATIONS, ORGANIZATIONS, PLANS, REPLIES, TODOS, upsert
from ..domain import notifications as rules
from ..domain.notifications import NotificationDraft
from ..domain.todos import NoticeState, ReplyState, open_todos

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
            "passed": d.passed, "event_id": event_id, "created_at": now, "read_at": None,
        })
    return len(drafts)


async def record_plan_confirmed(uow: UnitOfWork, *, event_id: str, payload: PlanConfirmed) -> int:
    """HB-03: remember the confirmed plan and notify its other supervisors; returns notifications made."""
    now = utcnow()
    await upsert(uow.repo(PLANS), payload.plan_id, set={"confirmed": _json(payload), "updated_at": now},
                 set_on_insert={"created_at": now})
    return await _notify(uow, event_id=event_id, drafts=rules.plan_confirmed(payload))


async def record_plan_submitted(uow: UnitOfWork, *, payload: PlanSubmitted) -> None:
    """HB-06/HB-09: store the submitted plan (projects, results, signature, seal, disposition, notice data)."""
    now = utcnow()
    await upsert(uow.repo(PLANS), payload.plan_id, set={"submitted": _json(payload), "updated_at": now},
                 set_on_insert={"created_at": now})


async def _touch_notice(uow: UnitOfWork, notice_id: str, number: str, fields: dict[str, Any] | None = None) -> None:
    """Upsert the notice document; the version bump makes concurrent handlers of one notice conflict
    (and retry) instead of computing to-dos from stale snapshots."""
    now = utcnow()
    await upsert(uow.repo(NOTICES), notice_id, set={"number": number, "updated_at": now, **(fields or {})},
                 set_on_insert={"created_at": now}, inc={"version": 1})


async def record_notice_issued(uow: UnitOfWork, *, event_id: str, payload: NoticeIssued) -> int:
    """HB-08: store the notice, tell its repliers a reply is due; returns notifications made."""
    await _touch_notice(uow, payload.notice_id, payload.number, {"issued": _json(payload), "plan_id": payload.plan_id})
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
    await _touch_notice(uow, payload.notice_id, payload.number)
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
    await _touch_notice(uow, payload.notice_id, payload.number)
    made = await _notify(uow, event_id=event_id, drafts=rules.reply_reviewed(payload))
    await sync_todos(uow, notice_id=payload.notice_id)
    return made


async def record_notice_closed(uow: UnitOfWork, *, payload: NoticeClosed) -> None:
    """HB-08: mark the notice closed; its to-dos are done."""
    await _touch_notice(uow, payload.notice_id, payload.number, {"closed": _json(payload)})
    await sync_todos(uow, notice_id=payload.notice_id)


async def record_organization(uow: UnitOfWork, *, payload: OrganizationCreated) -> None:
    """Keep organisation names for documents (施工单位, 监督机构)."""
    await upsert(uow.repo(ORGANIZATIONS), payload.org_id,
                 set={"name": payload.name, "kind": payload.kind, "company_roles": list(payload.company_roles)})


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
    for doc in await todos.find({"notice_id": notice_id, "done_at": None}, limit=1000):
        if doc["_id"] not in wanted_ids:
            await todos.update({"_id": doc["_id"], "done_at": None}, {"$set": {"done_at": now, "updated_at": now}})
