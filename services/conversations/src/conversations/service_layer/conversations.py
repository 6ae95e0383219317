"""Use cases of conversations (企业号会话, HN-12).

Collections of the service's database (every document carries ``tenant_id``):

- ``conversations``: ``{_id, kind, title, project_id, member_ids, last_seq, last_message_at,
  version, created_by, created_at, updated_at}``;
- ``members``: one per (conversation, user) ``{_id: "<conversation>:<user>", conversation_id,
  user_id, active, last_read_seq, muted, joined_at, left_at}`` — a removed member's document
  stays (``active: false``), so rejoining keeps the mute choice;
- ``messages``: ``{_id, conversation_id, seq, kind, text, attachments: [MediaRef], reply_to,
  sender: {user_id, name}, created_at}``;
- ``projects`` and ``users``: read models of projects' and identity's snapshots.

A message is stored, numbered (``seq``) and written to the outbox in one transaction before
the answer (201): a restart loses nothing, and ``conversations.message.posted.v1`` reaches
every replica's connected clients (``service_layer.live``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.conversations_v1 import (
    ConversationCreated,
    ConversationUpdated,
    MessagePosted,
    ReplyRef,
)
from anjian_shared.media import MediaIntake, MediaPolicy, Upload
from anjian_shared.mongo import UnitOfWork, UnitOfWorkFactory, with_transaction
from anjian_shared.pagination import DocPage, paginate
from anjian_shared.principal import Principal
from anjian_shared.problems import NotFound, Unprocessable
from anjian_shared.read_models import apply_snapshot, snapshot_fields, version_of
from anjian_shared.tenant_policy import tenant_policy
from anjian_shared.types import new_id, utcnow

from ..domain import rules

CONVERSATIONS = "conversations"
MEMBERS = "members"
MESSAGES = "messages"
PROJECTS = "projects"
USERS = "users"

NEWEST = [("seq", -1)]
OLDEST = [("seq", 1)]


async def ensure_indexes(mongo: Any) -> None:
    """Indexes: members by user (the caller's list), messages by conversation and seq (unique)."""
    await mongo.db[MEMBERS].create_index([("tenant_id", 1), ("user_id", 1), ("active", 1), ("joined_at", -1)])
    await mongo.db[MESSAGES].create_index([("tenant_id", 1), ("conversation_id", 1), ("seq", -1)], unique=True)


# --------------------------------------------------------------------------- membership sync


def _snapshot(conv: Mapping[str, Any]) -> dict[str, Any]:
    return {"conversation_id": conv["_id"], "kind": conv["kind"], "title": conv["title"],
            "project_id": conv.get("project_id"), "member_ids": list(conv["member_ids"]),
            "version": conv["version"]}


async def _join(uow: UnitOfWork, conversation_id: str, user_ids: Sequence[str], *, last_seq: int) -> None:
    """Make ``user_ids`` active members; a new member starts with nothing unread."""
    repo, now = uow.repo(MEMBERS), utcnow()
    for user_id in user_ids:
        mid = rules.member_id(conversation_id, user_id)
        updated = await repo.update({"_id": mid}, {"$set": {"active": True, "last_read_seq": last_seq,
                                                            "joined_at": now, "left_at": None}})
        if updated is None:
            await repo.insert({"_id": mid, "conversation_id": conversation_id, "user_id": user_id, "active": True,
                               "last_read_seq": last_seq, "muted": False, "joined_at": now, "left_at": None})


async def _leave(uow: UnitOfWork, conversation_id: str, user_ids: Sequence[str]) -> None:
    repo, now = uow.repo(MEMBERS), utcnow()
    for user_id in user_ids:
        await repo.update({"_id": rules.member_id(conversation_id, user_id)},
                          {"$set": {"active": False, "left_at": now}})


async def keep_project_snapshot(uow: UnitOfWork, payload: Any, *, time: Any) -> bool:
    """HN-12: apply a project snapshot (``projects.project.registered|updated.v1``) to the read
    model ``projects`` — never an older one over a newer one (``read_models.apply_snapshot``) —
    and, when it was applied, bring the project's conversation in step with it. Returns
    whether it was applied. Runs in the consumer's inbox transaction."""
    applied = await apply_snapshot(uow.repo(PROJECTS), payload.project_id, snapshot_fields(payload),
                                   version=version_of(payload), time=time)
    if applied:
        await sync_project_conversation(uow, payload.model_dump(mode="json"))
    return applied


async def sync_project_conversation(uow: UnitOfWork, project: Mapping[str, Any]) -> dict[str, Any]:
    """HN-12: open the project's conversation (first snapshot) or update its members: the
    supervisors and participants of ``project`` join (nothing unread), the others leave (their
    reads and writes answer 404 from then on). Emits ``conversations.conversation.created.v1``
    or ``…updated.v1`` (only when something changed). Returns the conversation."""
    cid = rules.project_conversation_id(project["project_id"])
    wanted = rules.project_member_ids(project)
    repo, now = uow.repo(CONVERSATIONS), utcnow()
    conv = await repo.get(cid)
    if conv is None:
        conv = await repo.insert({
            "_id": cid, "kind": rules.PROJECT, "title": project["name"], "project_id": project["project_id"],
            "member_ids": wanted, "last_seq": 0, "last_message_at": None, "version": 1, "created_by": None,
            "created_at": now, "updated_at": now})
        await _join(uow, cid, wanted, last_seq=0)
        uow.emit("conversations.conversation.created.v1", subject=cid, data=ConversationCreated(**_snapshot(conv)))
        return conv
    change = rules.membership_change(conv["member_ids"], wanted)
    if not change.changed and conv["title"] == project["name"]:
        return conv
    await _join(uow, cid, change.joined, last_seq=conv["last_seq"])
    await _leave(uow, cid, change.left)
    conv = await repo.update({"_id": cid}, {"$set": {"member_ids": wanted, "title": project["name"],
                                                     "updated_at": now}, "$inc": {"version": 1}})
    assert conv is not None
    uow.emit("conversations.conversation.updated.v1", subject=cid, data=ConversationUpdated(**_snapshot(conv)))
    return conv


# --------------------------------------------------------------------------- groups


async def create_group(*, mongo: UnitOfWorkFactory, actor: Principal, title: str, member_ids: Sequence[str],
                       max_members: int) -> dict[str, Any]:
    """HN-12 发起群聊: ``actor`` opens an ad-hoc group with ``member_ids`` (users of the same
    tenant, known to the service's user directory and enabled). The creator is a member.
    422 ``title`` (1..60 characters), ``member_ids`` (nobody else named, over
    ``max_members``, or an id that is no enabled user of the tenant — another province's
    user included). Emits ``conversations.conversation.created.v1``. Returns the conversation."""
    title = rules.validate_title(title)
    ids = rules.group_member_ids(actor.user_id, member_ids, max_members=max_members)
    others = [u for u in ids if u != actor.user_id]
    known = await mongo.repo(USERS, actor.tenant).find({"_id": {"$in": others}, "enabled": {"$ne": False}},
                                                       limit=len(others), projection={"_id": 1})
    missing = sorted(set(others) - {u["_id"] for u in known})
    if missing:
        raise Unprocessable(f"not a user of this province: {', '.join(missing[:5])}", field="member_ids",
                            slug="conversation-member-unknown")

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        now = utcnow()
        conv = await uow.repo(CONVERSATIONS).insert({
            "_id": new_id(), "kind": rules.GROUP, "title": title, "project_id": None, "member_ids": ids,
            "last_seq": 0, "last_message_at": None, "version": 1, "created_by": actor.user_id,
            "created_at": now, "updated_at": now})
        await _join(uow, conv["_id"], ids, last_seq=0)
        uow.emit("conversations.conversation.created.v1", subject=conv["_id"],
                 data=ConversationCreated(**_snapshot(conv)))
        return conv

    return await with_transaction(mongo, actor.tenant, fn)


async def leave(*, mongo: UnitOfWorkFactory, actor: Principal, conversation_id: str) -> None:
    """HN-12 退出群聊: the caller leaves an ad-hoc group; from then on it reads as 404 for
    them. 404 not a member; 403 ``project-conversation-membership`` for a project's
    conversation. Emits ``conversations.conversation.updated.v1``."""
    await load(mongo=mongo, actor=actor, conversation_id=conversation_id)

    async def fn(uow: UnitOfWork) -> None:
        conv = await uow.repo(CONVERSATIONS).get(conversation_id)
        membership = await uow.repo(MEMBERS).get(rules.member_id(conversation_id, actor.user_id))
        rules.ensure_member(conv, membership)
        assert conv is not None
        rules.ensure_may_leave(conv)
        await _leave(uow, conversation_id, [actor.user_id])
        conv = await uow.repo(CONVERSATIONS).update(
            {"_id": conversation_id}, {"$pull": {"member_ids": actor.user_id}, "$set": {"updated_at": utcnow()},
                                       "$inc": {"version": 1}})
        assert conv is not None
        uow.emit("conversations.conversation.updated.v1", subject=conversation_id,
                 data=ConversationUpdated(**_snapshot(conv)))

    await with_transaction(mongo, actor.tenant, fn, aggregate=f"conversation:{conversation_id}")


# --------------------------------------------------------------------------- reading


async def load(*, mongo: UnitOfWorkFactory, actor: Principal,
               conversation_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """HN-12: the conversation and the caller's membership; 404 unless an active member
    (other tenant, other project's people, removed member, left group)."""
    return await load_for(mongo=mongo, tenant=actor.tenant, user_id=actor.user_id, conversation_id=conversation_id)


async def load_for(*, mongo: UnitOfWorkFactory, tenant: str, user_id: str,
                   conversation_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """:func:`load` by tenant and user id (the WebSocket's re-check)."""
    conv = await mongo.repo(CONVERSATIONS, tenant).get(conversation_id)
    membership = await mongo.repo(MEMBERS, tenant).get(rules.member_id(conversation_id, user_id))
    rules.ensure_member(conv, membership)
    assert conv is not None and membership is not None
    return conv, membership


def view(conv: Mapping[str, Any], membership: Mapping[str, Any]) -> dict[str, Any]:
    """The conversation as its member sees it: with ``unread`` and ``muted``."""
    return {**conv, "unread": rules.unread(conv.get("last_seq", 0), membership.get("last_read_seq", 0)),
            "muted": bool(membership.get("muted")), "last_read_seq": membership.get("last_read_seq", 0)}


async def list_mine(*, mongo: UnitOfWorkFactory, actor: Principal, limit: int,
                    cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """HN-12 会话列表: the caller's conversations (newest membership first) with unread
    counts; paginated (``limit``, ``cursor``; 422 ``cursor``)."""
    page = await paginate(mongo.repo(MEMBERS, actor.tenant), {"user_id": actor.user_id, "active": True},
                          sort=[("joined_at", -1)], limit=limit, cursor=cursor)
    ids = [m["conversation_id"] for m in page.items]
    convs = {c["_id"]: c for c in await mongo.repo(CONVERSATIONS, actor.tenant).find(
        {"_id": {"$in": ids}}, limit=len(ids) or 1)}
    return [view(convs[m["conversation_id"]], m) for m in page.items if m["conversation_id"] in convs], \
        page.next_cursor


async def history(*, mongo: UnitOfWorkFactory, actor: Principal, conversation_id: str, limit: int,
                  cursor: str | None) -> DocPage:
    """HN-12 历史消息: one page of messages, newest first (``seq`` descending); 404 not a member."""
    await load(mongo=mongo, actor=actor, conversation_id=conversation_id)
    return await paginate(mongo.repo(MESSAGES, actor.tenant), {"conversation_id": conversation_id},
                          sort=NEWEST, limit=limit, cursor=cursor)


async def seq_of(*, mongo: UnitOfWorkFactory, tenant: str, conversation_id: str, message_id: str,
                 field: str = "after") -> int:
    """The ``seq`` of a message of the conversation (422 naming ``field`` when it is none of its)."""
    msg = await mongo.repo(MESSAGES, tenant).get(message_id)
    if msg is None or msg["conversation_id"] != conversation_id:
        raise Unprocessable(f"{field} must name a message of this conversation", field=field)
    return int(msg["seq"])


async def messages_after(*, mongo: UnitOfWorkFactory, tenant: str, conversation_id: str, after_seq: int,
                         limit: int = 100) -> list[dict[str, Any]]:
    """Messages with ``seq > after_seq``, oldest first, at most ``limit`` (catch-up)."""
    return await mongo.repo(MESSAGES, tenant).find(
        {"conversation_id": conversation_id, "seq": {"$gt": after_seq}}, sort=OLDEST, limit=limit)


async def catch_up(*, mongo: UnitOfWorkFactory, actor: Principal, conversation_id: str, after: str,
                   limit: int) -> list[dict[str, Any]]:
    """HN-12: the messages after message ``after`` (the last one the client saw), oldest first,
    at most ``limit``; 404 not a member; 422 ``after`` not a message of the conversation."""
    await load(mongo=mongo, actor=actor, conversation_id=conversation_id)
    seq = await seq_of(mongo=mongo, tenant=actor.tenant, conversation_id=conversation_id, message_id=after)
    return await messages_after(mongo=mongo, tenant=actor.tenant, conversation_id=conversation_id, after_seq=seq,
                                limit=limit)


async def get_message(*, mongo: UnitOfWorkFactory, actor: Principal, conversation_id: str,
                      message_id: str) -> dict[str, Any]:
    """HN-12: one message; 404 not a member, or no such message in the conversation."""
    await load(mongo=mongo, actor=actor, conversation_id=conversation_id)
    msg = await mongo.repo(MESSAGES, actor.tenant).get(message_id)
    if msg is None or msg["conversation_id"] != conversation_id:
        raise NotFound("message not found")
    return msg


# --------------------------------------------------------------------------- writing


async def post_message(*, mongo: UnitOfWorkFactory, storage: Any, settings: Any, actor: Principal,
                       conversation_id: str, text: str = "", reply_to: str | None = None,
                       photos: Sequence[Upload] = (), files: Sequence[Upload] = ()) -> dict[str, Any]:
    """HN-12 发送消息: a member posts a text, photos (≤ 9 JPEG/PNG) or one file (PDF, DOCX,
    XLSX, JPEG/PNG), optionally replying to a message of the same conversation.

    The uploads go through ``MediaIntake`` (tenant limits ``conversation_photo_max_bytes`` /
    ``conversation_file_max_bytes``; removed again if anything fails). In one transaction:
    the message gets the next ``seq``, the conversation its ``last_seq``, the sender's read
    mark moves to it, and ``conversations.message.posted.v1`` goes to the outbox.
    404 not a member (checked before any upload is read); 422 ``text``/``photos``/``file``
    (``rules.message_kind``), ``reply_to`` (not a message of this conversation); 413/415 naming
    ``photos``/``file``. Returns the stored message."""
    await load(mongo=mongo, actor=actor, conversation_id=conversation_id)
    text = text or ""
    kind = rules.message_kind(text, len(photos), len(files))
    quoted: dict[str, Any] | None = None
    if reply_to:
        msg = await mongo.repo(MESSAGES, actor.tenant).get(reply_to)
        quoted = rules.reply_ref(conversation_id, msg)
    refs: list[MediaRef] = []

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        convs = uow.repo(CONVERSATIONS)
        conv = await convs.get(conversation_id)
        membership = await uow.repo(MEMBERS).get(rules.member_id(conversation_id, actor.user_id))
        rules.ensure_member(conv, membership)  # removed meanwhile: nothing stored
        assert conv is not None
        now = utcnow()
        seq = int(conv["last_seq"]) + 1
        updated = await convs.update({"_id": conversation_id, "last_seq": conv["last_seq"]},
                                     {"$set": {"last_seq": seq, "last_message_at": now}})
        if updated is None:  # another replica took this seq first: run again
            raise _SeqTaken
        sender = {"user_id": actor.user_id, "name": actor.name or actor.user_id}
        doc = await uow.repo(MESSAGES).insert({
            "_id": new_id(), "conversation_id": conversation_id, "seq": seq, "kind": kind, "text": text,
            "attachments": [r.model_dump() for r in refs], "reply_to": quoted, "sender": sender, "created_at": now})
        await uow.repo(MEMBERS).update({"_id": rules.member_id(conversation_id, actor.user_id)},
                                       {"$max": {"last_read_seq": seq}})
        uow.emit("conversations.message.posted.v1", subject=conversation_id, data=MessagePosted(
            conversation_id=conversation_id, message_id=doc["_id"], seq=seq, kind=kind, text=text,  # type: ignore[arg-type]
            attachments=refs, reply_to=ReplyRef(**quoted) if quoted else None, sender=PersonRef(**sender),
            member_ids=list(conv["member_ids"]), posted_at=now))
        return doc

    async with MediaIntake(storage, tenant=actor.tenant, folder=f"conversations/{conversation_id}") as intake:
        if photos or files:
            policy = await tenant_policy(mongo, actor.tenant, settings)
            groups = []
            if photos:
                groups.append((photos, MediaPolicy.photo(max_bytes=policy.limit("conversation_photo_max_bytes"),
                                                         field="photos")))
            if files:
                groups.append((files, MediaPolicy.attachment(max_bytes=policy.limit("conversation_file_max_bytes"),
                                                             field="file")))
            for taken in await intake.take_groups(*groups):
                refs.extend(taken)
        return await _retrying_seq(lambda: with_transaction(mongo, actor.tenant, fn,
                                                            aggregate=f"conversation:{conversation_id}"))


class _SeqTaken(Exception):
    """Two replicas numbered a message of one conversation at once; the loser runs again."""


async def _retrying_seq(run: Any, attempts: int = 8) -> dict[str, Any]:
    for _ in range(attempts - 1):
        try:
            return await run()
        except _SeqTaken:
            continue
    return await run()


async def mark_read(*, mongo: UnitOfWorkFactory, actor: Principal, conversation_id: str,
                    message_id: str) -> dict[str, Any]:
    """HN-12 已读: the caller has read everything up to message ``message_id``; the read mark
    never goes backwards. 404 not a member; 422 ``message_id`` not a message of the
    conversation. Returns the conversation as the caller sees it (``unread``)."""
    await load(mongo=mongo, actor=actor, conversation_id=conversation_id)
    seq = await seq_of(mongo=mongo, tenant=actor.tenant, conversation_id=conversation_id, message_id=message_id,
                       field="message_id")
    membership = await mongo.repo(MEMBERS, actor.tenant).update(
        {"_id": rules.member_id(conversation_id, actor.user_id), "active": True},
        {"$max": {"last_read_seq": seq}})
    conv = await mongo.repo(CONVERSATIONS, actor.tenant).get(conversation_id)
    rules.ensure_member(conv, membership)
    assert conv is not None and membership is not None
    return view(conv, membership)


async def set_muted(*, mongo: UnitOfWorkFactory, actor: Principal, conversation_id: str,
                    muted: bool) -> dict[str, Any]:
    """HN-12 消息免打扰: mute or unmute the conversation for the caller (messages still arrive
    and count as unread; a front end does not alert). 404 not a member."""
    await load(mongo=mongo, actor=actor, conversation_id=conversation_id)
    membership = await mongo.repo(MEMBERS, actor.tenant).update(
        {"_id": rules.member_id(conversation_id, actor.user_id), "active": True}, {"$set": {"muted": bool(muted)}})
    conv = await mongo.repo(CONVERSATIONS, actor.tenant).get(conversation_id)
    rules.ensure_member(conv, membership)
    assert conv is not None and membership is not None
    return view(conv, membership)


def message_from_event(payload: MessagePosted) -> dict[str, Any]:
    """The stored message's document rebuilt from its ``conversations.message.posted.v1``."""
    return {"_id": payload.message_id, "conversation_id": payload.conversation_id, "seq": payload.seq,
            "kind": payload.kind, "text": payload.text,
            "attachments": [a.model_dump() for a in payload.attachments],
            "reply_to": payload.reply_to.model_dump() if payload.reply_to else None,
            "sender": payload.sender.model_dump(), "created_at": payload.posted_at}

