"""conversations request and response bodies (HN-12), and how stored documents read."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from anjian_shared.events.common import MediaRef
from anjian_shared.pagination import Page


class PersonRead(BaseModel):
    user_id: str
    name: str


class GroupCreate(BaseModel):
    """发起群聊: a title and the members (users of the same province; you are added)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "title": "3#楼整改协调", "member_ids": ["0f4c…", "9a1b…"]}]})

    title: Annotated[str, Field(min_length=1, max_length=60, description="群名称, 1..60 characters")]
    member_ids: Annotated[list[Annotated[str, Field(max_length=64)]], Field(
        min_length=1, max_length=500, description="user ids of the other members (same province)")]


class ConversationRead(BaseModel):
    """A conversation as the calling member sees it."""

    id: str
    kind: Literal["project", "group"] = Field(description="project: one per project (its supervisors and "
                                                          "participants); group: an ad-hoc group")
    title: str
    project_id: str | None = None
    member_ids: list[str]
    last_seq: int = Field(description="seq of the newest message (0: none yet)")
    last_message_at: datetime | None = None
    unread: int = Field(description="messages after the caller's read mark (未读数)")
    last_read_seq: int = Field(description="the caller's read mark (seq)")
    muted: bool = Field(description="the caller muted it (消息免打扰)")
    created_at: datetime


class ConversationPage(Page[ConversationRead]):
    pass


class AttachmentRead(BaseModel):
    """A photo or file of a message: ``url`` is presigned (valid ``presign_minutes``, 15 by default)."""

    url: str
    content_type: str
    size: int = Field(description="bytes")
    filename: str | None = None
    sha256: str | None = None


class ReplyRead(BaseModel):
    message_id: str
    sender: PersonRead
    excerpt: str


class MessageRead(BaseModel):
    """A message. ``seq`` numbers the conversation's messages 1, 2, 3 … (no gaps)."""

    id: str
    conversation_id: str
    seq: int
    kind: Literal["text", "photo", "file"]
    text: str
    attachments: list[AttachmentRead] = []
    reply_to: ReplyRead | None = None
    sender: PersonRead
    created_at: datetime


class MessagePage(Page[MessageRead]):
    pass


class ReadMark(BaseModel):
    """已读: everything up to this message (of the conversation) is read."""

    model_config = ConfigDict(extra="forbid")
    message_id: Annotated[str, Field(max_length=64)]


class MuteUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    muted: bool


def conversation_read(doc: dict[str, Any]) -> ConversationRead:
    return ConversationRead(
        id=doc["_id"], kind=doc["kind"], title=doc["title"], project_id=doc.get("project_id"),
        member_ids=list(doc.get("member_ids", [])), last_seq=int(doc.get("last_seq", 0)),
        last_message_at=doc.get("last_message_at"), unread=doc.get("unread", 0),
        last_read_seq=doc.get("last_read_seq", 0), muted=doc.get("muted", False), created_at=doc["created_at"])


async def message_read(storage: Any, presign_minutes: int, doc: dict[str, Any]) -> MessageRead:
    """A stored message (or one rebuilt from its event) as clients read it, attachments presigned."""
    attachments = []
    for raw in doc.get("attachments") or []:
        ref = MediaRef(**raw)
        url = await storage.presigned_get(ref, expires=timedelta(minutes=presign_minutes))
        attachments.append(AttachmentRead(url=url, content_type=ref.content_type, size=ref.size,
                                          filename=ref.filename, sha256=ref.sha256))
    reply = doc.get("reply_to")
    return MessageRead(
        id=doc["_id"], conversation_id=doc["conversation_id"], seq=int(doc["seq"]), kind=doc["kind"],
        text=doc.get("text") or "", attachments=attachments,
        reply_to=ReplyRead(message_id=reply["message_id"], sender=PersonRead(**reply["sender"]),
                           excerpt=reply["excerpt"]) if reply else None,
        sender=PersonRead(**doc["sender"]), created_at=doc["created_at"])
