"""Events published by conversations, version 1 (HN-12 企业号会话).

Personal content (what people wrote to each other): no partner scope grants these events
(``anjian_shared.scopes.PRIVATE_FAMILIES``); they exist for the service's own replicas
(real-time fan-out) and for internal consumers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .common import MediaRef, PersonRef

_CONVERSATION = {"conversation_id": "project-6751f0c2a1b2c3d4e5f60718", "kind": "project",
                 "title": "海口市美兰区某住宅楼工程", "project_id": "6751f0c2a1b2c3d4e5f60718",
                 "member_ids": ["u-zhang", "u-liu"], "version": 1}
_ZHANG = {"user_id": "u-zhang", "name": "张伟"}

ConversationKind = Literal["project", "group"]
MessageKind = Literal["text", "photo", "file"]


class ConversationSnapshot(BaseModel):
    """The conversation as its members see it (every conversation event carries it)."""

    conversation_id: str = Field(description="id of the conversation", examples=["project-6751f0c2a1b2c3d4e5f60718"])
    kind: ConversationKind = Field(description="``project``: one per project, members follow the project's "
                                               "supervisors and participants; ``group``: an ad-hoc group (群聊)",
                                   examples=["project"])
    title: str = Field(description="shown name: the project's name, or the group's title",
                       examples=["海口市美兰区某住宅楼工程"])
    project_id: str | None = Field(default=None, description="the project of a ``project`` conversation",
                                   examples=["6751f0c2a1b2c3d4e5f60718"])
    member_ids: list[str] = Field(description="user ids of the current members", examples=[["u-zhang", "u-liu"]])
    version: int = Field(ge=1, description="the conversation's version (+1 per change); keep the highest",
                         examples=[1])


class ConversationCreated(ConversationSnapshot):
    """``conversations.conversation.created.v1``: a project's conversation was opened (on the
    project's registration) or a user created an ad-hoc group."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CONVERSATION]})


class ConversationUpdated(ConversationSnapshot):
    """``conversations.conversation.updated.v1``: members joined or left (the project's people
    changed, a member left a group)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{**_CONVERSATION, "member_ids": ["u-zhang"],
                                                               "version": 2}]})


class ReplyRef(BaseModel):
    """The message a message replies to (引用)."""

    message_id: str = Field(description="id of the quoted message", examples=["6751f0c2a1b2c3d4e5f60a01"])
    sender: PersonRef = Field(description="who wrote the quoted message")
    excerpt: str = Field(description="the first 60 characters of its text ('[图片]'/'[文件]' for media)",
                         examples=["3#楼临边防护已整改"])


class MessagePosted(BaseModel):
    """``conversations.message.posted.v1``: a member posted a message (text, photo or file).
    Each replica of the service consumes it from a queue of its own and pushes it to its
    connected clients (dedupe by ``message_id``/``seq``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "conversation_id": "project-6751f0c2a1b2c3d4e5f60718", "message_id": "6751f0c2a1b2c3d4e5f60a02", "seq": 42,
        "kind": "text", "text": "收到，马上整改", "attachments": [],
        "reply_to": {"message_id": "6751f0c2a1b2c3d4e5f60a01", "sender": _ZHANG, "excerpt": "3#楼临边防护缺失"},
        "sender": {"user_id": "u-liu", "name": "刘洋"}, "member_ids": ["u-zhang", "u-liu"],
        "posted_at": "2026-12-02T03:00:00Z"}]})

    conversation_id: str = Field(description="the conversation it was posted in",
                                 examples=["project-6751f0c2a1b2c3d4e5f60718"])
    message_id: str = Field(description="id of the message", examples=["6751f0c2a1b2c3d4e5f60a02"])
    seq: int = Field(ge=1, description="the message's position in its conversation (1, 2, 3 … without gaps)",
                     examples=[42])
    kind: MessageKind = Field(description="text | photo | file", examples=["text"])
    text: str = Field(default="", description="the text (a caption for a photo or file)", examples=["收到，马上整改"])
    attachments: list[MediaRef] = Field(default=[], description="the photo(s) or file of the message (S3 objects)")
    reply_to: ReplyRef | None = Field(default=None, description="the quoted message, if a reply")
    sender: PersonRef = Field(description="the member who posted it")
    member_ids: list[str] = Field(description="who receives it: the members when it was posted",
                                  examples=[["u-zhang", "u-liu"]])
    posted_at: datetime = Field(description="when the server stored it (UTC)")


EVENTS: dict[str, type[BaseModel]] = {
    "conversations.conversation.created.v1": ConversationCreated,
    "conversations.conversation.updated.v1": ConversationUpdated,
    "conversations.message.posted.v1": MessagePosted,
}
