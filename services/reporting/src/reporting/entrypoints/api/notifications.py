"""站内通知 and to-dos of the signed-in user (HB-03, HB-08)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.pagination import Cursor, Limit

from ...service_layer import notifications as svc
from .deps import MongoDep
from .schemas import MarkedRead, NotificationPage, NotificationRead, TodoPage, TodoRead, UnreadCount

router = APIRouter(tags=["notifications"])

NotificationId = Annotated[str, Path(max_length=64, description="id of one of your notifications")]


@router.get("/notifications", response_model=NotificationPage, summary="My notifications (站内通知)")
async def list_notifications(principal: CurrentPrincipal, mongo: MongoDep,
                             unread: Annotated[bool | None, Query(description="true: unread only; false: read only")]
                             = None, limit: Limit = 20, cursor: Cursor = None) -> NotificationPage:
    """HB-03/HB-08: the caller's own notifications, newest first, ``limit`` 1..100 per page
    (``next_cursor`` for the next). Kinds: ``plan_confirmed``, ``plan_joined``, ``plan_rescheduled``,
    ``plan_left`` and ``plan_withdrawn`` (HB-03: a confirmed plan changed; the notifications of a
    plan the caller left, or that was withdrawn, are withdrawn and no longer listed nor counted),
    ``notice_to_reply``, ``reply_to_review``,
    ``reply_reviewed`` (Hubei); ``record_to_review``, ``record_reviewed``, ``record_received`` (Hainan
    supervision records, HN-05/06; ``record_id``); ``document_to_review``, ``document_to_reply``,
    ``document_received``, ``document_replied``, ``document_reply_reviewed``, ``document_escalated``
    (Hainan enforcement documents, HN-07..HN-09; ``document_id``). 422 on a malformed cursor."""
    docs, nxt = await svc.list_notifications(mongo=mongo, principal=principal, unread=unread, limit=limit,
                                             cursor=cursor)
    return NotificationPage(items=[NotificationRead.from_doc(d) for d in docs], next_cursor=nxt)


@router.get("/notifications/count", response_model=UnreadCount, summary="How many are unread")
async def count_unread(principal: CurrentPrincipal, mongo: MongoDep) -> UnreadCount:
    """HB-03/HB-08: ``{unread}``, the number of the caller's unread notifications (the badge)."""
    return UnreadCount(unread=await svc.count_unread(mongo=mongo, principal=principal))


@router.post("/notifications/read-all", response_model=MarkedRead, summary="Mark all read")
async def mark_all_read(principal: CurrentPrincipal, mongo: MongoDep) -> MarkedRead:
    """Mark every unread notification of the caller read; ``{updated}`` says how many."""
    return MarkedRead(updated=await svc.mark_all_read(mongo=mongo, principal=principal))


@router.post("/notifications/{notification_id}/read", response_model=NotificationRead, summary="Mark read")
async def mark_read(notification_id: NotificationId, principal: CurrentPrincipal,
                    mongo: MongoDep) -> NotificationRead:
    """Mark one of the caller's notifications read (repeating keeps the first ``read_at``).
    404 for an unknown id or somebody else's notification."""
    doc = await svc.mark_read(mongo=mongo, principal=principal, notification_id=notification_id)
    return NotificationRead.from_doc(doc)


@router.get("/todos", response_model=TodoPage, summary="My to-dos (待办)", tags=["todos"])
async def list_todos(principal: CurrentPrincipal, mongo: MongoDep,
                     include_done: Annotated[bool, Query(description="also list finished to-dos")] = False,
                     limit: Limit = 20, cursor: Cursor = None) -> TodoPage:
    """HB-08: the caller's to-dos, newest first: ``reply_due`` (the project department owes a
    rectification reply, round n) and ``review_due`` (a reply awaits the caller's review). A to-do
    is done once the reply is submitted / reviewed or the notice is closed. HUN-01 (Hunan):
    ``certificate_application_to_decide``, ``assessment_to_finish``, ``dynamic_score_to_approve``,
    ``training_registration_to_review`` — addressed to the caller, or to their organisation and one
    of their roles; ``api_path`` opens the task; done once decided, submitted or deleted."""
    docs, nxt = await svc.list_todos(mongo=mongo, principal=principal, include_done=include_done, limit=limit,
                                     cursor=cursor)
    return TodoPage(items=[TodoRead.from_doc(d) for d in docs], next_cursor=nxt)
