"""Conversations API (企业号会话, HN-12) under ``/api/conversations/v1``.

HTTP for everything that changes state (so ``Idempotency-Key`` and the problem documents
apply); one WebSocket per open conversation for what arrives (``live.py``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Response, UploadFile

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.deps import MongoDep, StorageDep, app_settings
from anjian_shared.pagination import Cursor, Limit

from ...service_layer import conversations as cases
from ...settings import Settings
from .schemas import (
    ConversationPage,
    ConversationRead,
    GroupCreate,
    MessagePage,
    MessageRead,
    MuteUpdate,
    ReadMark,
    conversation_read,
    message_read,
)

router = APIRouter(tags=["conversations (HN-12)"])
SettingsDep = Annotated[Settings, Depends(app_settings)]
ConversationId = Annotated[str, Path(max_length=80, description="conversation id (project-<project id> for a "
                                                                "project's conversation)")]
MessageId = Annotated[str, Path(max_length=64, description="message id")]


async def _member(conversation_id: ConversationId, principal: CurrentPrincipal, mongo: MongoDep) -> dict[str, Any]:
    """The conversation if the caller is an active member (404 otherwise), checked before the
    body is read: somebody outside learns nothing from a 422."""
    conv, _membership = await cases.load(mongo=mongo, actor=principal, conversation_id=conversation_id)
    return conv


MemberOf = Annotated[dict[str, Any], Depends(_member)]


@router.post("/conversations", status_code=201, response_model=ConversationRead,
             summary="Start an ad-hoc group (发起群聊)")
async def create_group(body: GroupCreate, principal: CurrentPrincipal, mongo: MongoDep,
                       settings: SettingsDep) -> ConversationRead:
    """HN-12: open a group with ``member_ids`` (users of the caller's province; the caller is
    added as its first member). Project conversations are not created here: each project has
    one, opened and kept in step with the project's supervisors and participants.
    201 with the conversation. 422 ``title``; ``member_ids`` (nobody else named, more than
    ``max_group_members`` = 200, or ``conversation-member-unknown``: an id that is no enabled
    user of the province — another province's user included)."""
    conv = await cases.create_group(mongo=mongo, actor=principal, title=body.title, member_ids=body.member_ids,
                                    max_members=settings.max_group_members)
    return conversation_read({**conv, "unread": 0, "muted": False, "last_read_seq": 0})


@router.get("/conversations", response_model=ConversationPage, summary="My conversations, with unread counts")
async def list_conversations(principal: CurrentPrincipal, mongo: MongoDep, limit: Limit = 20,
                             cursor: Cursor = None) -> ConversationPage:
    """HN-12 会话列表: the caller's conversations (project and group), newest membership first,
    each with ``unread`` (messages after the caller's read mark) and ``muted``. Paginated:
    ``limit`` 1..100, ``cursor`` (422 ``cursor`` when damaged)."""
    items, nxt = await cases.list_mine(mongo=mongo, actor=principal, limit=limit, cursor=cursor)
    return ConversationPage(items=[conversation_read(d) for d in items], next_cursor=nxt)


@router.get("/conversations/{conversation_id}", response_model=ConversationRead, summary="One conversation")
async def get_conversation(conversation_id: ConversationId, principal: CurrentPrincipal,
                           mongo: MongoDep) -> ConversationRead:
    """HN-12: the conversation with the caller's ``unread`` and ``muted``. 404 when the caller
    is not a member (another province, another project's people, removed, left)."""
    conv, membership = await cases.load(mongo=mongo, actor=principal, conversation_id=conversation_id)
    return conversation_read(cases.view(conv, membership))


@router.get("/conversations/{conversation_id}/messages", response_model=MessagePage,
            summary="History, newest first (or catch-up after a message)")
async def list_messages(conversation_id: ConversationId, principal: CurrentPrincipal, mongo: MongoDep,
                        storage: StorageDep, settings: SettingsDep, limit: Limit = 20, cursor: Cursor = None,
                        after: Annotated[str | None, Query(max_length=64, description=(
                            "catch-up: the messages after this one (the last one the client saw), "
                            "OLDEST first, at most `limit`; no cursor"))] = None) -> MessagePage:
    """HN-12 历史消息: one page of the conversation's messages, newest first (``seq``
    descending; ``limit`` 1..100, ``cursor``). With ``after`` (a message id): the messages
    after it, oldest first — how a client that was offline catches up (then ``next_cursor``
    is null; ask again with the last id until the page is short). Photos and files carry
    presigned URLs. 404 not a member; 422 ``cursor``, ``after`` (not a message of this
    conversation)."""
    if after:
        docs = await cases.catch_up(mongo=mongo, actor=principal, conversation_id=conversation_id, after=after,
                                    limit=limit)
        nxt = None
    else:
        docs, nxt = await cases.history(mongo=mongo, actor=principal, conversation_id=conversation_id, limit=limit,
                                        cursor=cursor)
    return MessagePage(items=[await message_read(storage, settings.presign_minutes, d) for d in docs],
                       next_cursor=nxt)


@router.post("/conversations/{conversation_id}/messages", status_code=201, response_model=MessageRead,
             summary="Send a message (text, photos or a file; a reply)")
async def post_message(
    conversation_id: ConversationId, conversation: MemberOf, principal: CurrentPrincipal, mongo: MongoDep,
    storage: StorageDep, settings: SettingsDep,
    text: Annotated[str, Form(max_length=2000, description="the text, or a caption of photos / a file")] = "",
    reply_to: Annotated[str | None, Form(max_length=64, description="id of a message of this conversation "
                                                                   "this one replies to (引用)")] = None,
    photos: Annotated[list[UploadFile] | None, File(description="up to 9 JPEG/PNG photos")] = None,
    file: Annotated[list[UploadFile] | None, File(description="one file: PDF, DOCX, XLSX, JPEG or PNG")] = None,
) -> MessageRead:
    """HN-12 发送消息, multipart/form-data (or urlencoded for text only): ``text``, ``photos``
    (≤ 9) or one ``file``, optionally ``reply_to``. Send it with an ``Idempotency-Key``: a
    retried send (lost answer) stores ONE message and replays the first answer. The message
    is stored, numbered (``seq``) and queued for every member's connected clients in one
    transaction before the 201. Emits ``conversations.message.posted.v1``.

    404 not a member (nothing read); 422 ``text`` (empty message, over 2000 characters),
    ``photos`` (over 9, photos with a file), ``file`` (more than one), ``reply_to`` (not a
    message of this conversation); 413 ``photos``/``file`` over the province's limit
    (``conversation_photo_max_bytes`` / ``conversation_file_max_bytes``, 10 MB by default);
    415 not an accepted type. Nothing is stored when refused."""
    doc = await cases.post_message(mongo=mongo, storage=storage, settings=settings, actor=principal,
                                   conversation_id=conversation_id, text=text, reply_to=reply_to,
                                   photos=photos or [], files=file or [])
    return await message_read(storage, settings.presign_minutes, doc)


@router.get("/conversations/{conversation_id}/messages/{message_id}", response_model=MessageRead,
            summary="One message")
async def get_message(conversation_id: ConversationId, message_id: MessageId, principal: CurrentPrincipal,
                      mongo: MongoDep, storage: StorageDep, settings: SettingsDep) -> MessageRead:
    """HN-12: one message of the conversation. 404 not a member, or no such message in it."""
    doc = await cases.get_message(mongo=mongo, actor=principal, conversation_id=conversation_id,
                                  message_id=message_id)
    return await message_read(storage, settings.presign_minutes, doc)


@router.put("/conversations/{conversation_id}/read", response_model=ConversationRead,
            summary="Mark read up to a message (已读)")
async def mark_read(conversation_id: ConversationId, conversation: MemberOf, body: ReadMark,
                    principal: CurrentPrincipal, mongo: MongoDep) -> ConversationRead:
    """HN-12: everything up to ``message_id`` is read by the caller; ``unread`` counts what
    came after. The mark never moves backwards (marking an older message changes nothing).
    404 not a member; 422 ``message_id`` not a message of this conversation."""
    view = await cases.mark_read(mongo=mongo, actor=principal, conversation_id=conversation_id,
                                 message_id=body.message_id)
    return conversation_read(view)


@router.put("/conversations/{conversation_id}/mute", response_model=ConversationRead,
            summary="Mute or unmute (消息免打扰)")
async def mute(conversation_id: ConversationId, conversation: MemberOf, body: MuteUpdate,
               principal: CurrentPrincipal, mongo: MongoDep) -> ConversationRead:
    """HN-12: ``muted: true`` — messages still arrive and count as unread; the front end does
    not alert. 404 not a member."""
    view = await cases.set_muted(mongo=mongo, actor=principal, conversation_id=conversation_id, muted=body.muted)
    return conversation_read(view)


@router.delete("/conversations/{conversation_id}/membership", status_code=204,
               summary="Leave an ad-hoc group (退出群聊)")
async def leave(conversation_id: ConversationId, principal: CurrentPrincipal, mongo: MongoDep) -> Response:
    """HN-12: the caller leaves a group; it reads as 404 for them from then on, and their open
    connections to it are closed. 404 not a member; 403 ``project-conversation-membership``
    (a project's conversation follows the project's people)."""
    await cases.leave(mongo=mongo, actor=principal, conversation_id=conversation_id)
    return Response(status_code=204)
