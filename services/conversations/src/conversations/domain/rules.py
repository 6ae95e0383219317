"""The rules of conversations (企业号会话, HN-12), without I/O.

A conversation belongs to one tenant and is either

- ``project``: one per project, id ``project-<project_id>``; its members are the project's
  supervisors (the station staff, ``supervisor_user_ids``) and its parties' people
  (``participants``), kept in step with every project snapshot: :func:`project_member_ids`
  and :func:`membership_change`;
- ``group``: an ad-hoc group a user creates with members of the same tenant; a member may
  leave it (a project conversation is left only by leaving the project).

Messages are numbered per conversation (``seq`` 1, 2, 3 …): history pages, unread counts
(``last_seq - last_read_seq``) and a reconnecting client's catch-up all rest on it.
Somebody who is not (or no longer) a member reads and writes nothing of it: 404, as if the
conversation did not exist (:func:`ensure_member`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from anjian_shared.errors import Forbidden, NotFound, Unprocessable

PROJECT = "project"
GROUP = "group"
TEXT_MAX = 2000
"""Longest message text (characters)."""
TITLE_MAX = 60
EXCERPT = 60
MAX_PHOTOS = 9
"""Photos in one message (like a chat app's picker)."""


def project_conversation_id(project_id: str) -> str:
    """The id of a project's conversation (one per project)."""
    return f"project-{project_id}"


def member_id(conversation_id: str, user_id: str) -> str:
    """The id of one membership document."""
    return f"{conversation_id}:{user_id}"


def project_member_ids(project: Mapping[str, Any]) -> list[str]:
    """HN-12: who belongs to a project's conversation — its supervisors (station staff) and
    every participant of its parties, each once, in that order."""
    ids = list(project.get("supervisor_user_ids") or [])
    ids += [p["user_id"] for p in project.get("participants") or [] if p.get("user_id")]
    return list(dict.fromkeys(ids))


@dataclass(frozen=True)
class MembershipChange:
    """Who joins and who leaves when the members become ``wanted``."""

    joined: list[str]
    left: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.joined or self.left)


def membership_change(current: Iterable[str], wanted: Iterable[str]) -> MembershipChange:
    """HN-12: the difference between the current members and the wanted ones (order kept)."""
    now, want = list(dict.fromkeys(current)), list(dict.fromkeys(wanted))
    return MembershipChange(joined=[u for u in want if u not in now], left=[u for u in now if u not in want])


def ensure_member(conversation: Mapping[str, Any] | None, membership: Mapping[str, Any] | None) -> None:
    """HN-12: 404 unless the caller is an active member (another tenant's conversation, another
    project's, a removed member or one who left all read as "no such conversation")."""
    if conversation is None or membership is None or not membership.get("active"):
        raise NotFound("conversation not found")


def validate_title(title: str) -> str:
    """A group's title: 1..60 characters after trimming (422 ``title``)."""
    title = (title or "").strip()
    if not 1 <= len(title) <= TITLE_MAX:
        raise Unprocessable(f"title must have 1..{TITLE_MAX} characters", field="title")
    return title


def group_member_ids(creator: str, member_ids: Iterable[str], *, max_members: int) -> list[str]:
    """HN-12: the members of a new group — the creator first, then the named users, each once.
    422 ``member_ids`` when nobody besides the creator is named or the group would exceed
    ``max_members``."""
    ids = list(dict.fromkeys([creator, *member_ids]))
    if len(ids) < 2:
        raise Unprocessable("name at least one member besides yourself", field="member_ids")
    if len(ids) > max_members:
        raise Unprocessable(f"a group has at most {max_members} members", field="member_ids")
    return ids


def ensure_may_leave(conversation: Mapping[str, Any]) -> None:
    """HN-12: only an ad-hoc group is left by its member; a project's conversation follows the
    project's people (403 ``project-conversation-membership``)."""
    if conversation.get("kind") == PROJECT:
        raise Forbidden("a project's conversation is left by leaving the project",
                        slug="project-conversation-membership")


def message_kind(text: str, photos: int, files: int) -> str:
    """HN-12: ``text``, ``photo`` or ``file`` from what a message carries. 422 ``text`` for an
    empty message or a text over 2000 characters; 422 ``photos`` for more than 9 photos or
    photos and a file together; 422 ``file`` for more than one file."""
    if len(text) > TEXT_MAX:
        raise Unprocessable(f"text has at most {TEXT_MAX} characters", field="text")
    if files > 1:
        raise Unprocessable("send one file per message", field="file")
    if photos and files:
        raise Unprocessable("send photos and a file as two messages", field="photos")
    if photos > MAX_PHOTOS:
        raise Unprocessable(f"at most {MAX_PHOTOS} photos per message", field="photos")
    if photos:
        return "photo"
    if files:
        return "file"
    if not text.strip():
        raise Unprocessable("a message needs a text, photos or a file", field="text")
    return "text"


def reply_ref(conversation_id: str, quoted: Mapping[str, Any] | None) -> dict[str, Any]:
    """HN-12: the quote of a reply. The quoted message must be one of the same conversation
    (422 ``reply_to`` otherwise, also for an unknown id: never reveals another conversation's
    messages)."""
    if quoted is None or quoted.get("conversation_id") != conversation_id:
        raise Unprocessable("reply_to must be a message of this conversation", field="reply_to")
    return {"message_id": quoted["_id"], "sender": dict(quoted["sender"]), "excerpt": excerpt(quoted)}


def excerpt(message: Mapping[str, Any]) -> str:
    """The first 60 characters of a message's text; ``[图片]``/``[文件]`` for media without text."""
    text = (message.get("text") or "").strip()
    if text:
        return text[:EXCERPT]
    return {"photo": "[图片]", "file": "[文件]"}.get(message.get("kind", ""), "")


def unread(last_seq: int, last_read_seq: int) -> int:
    """HN-12: messages of the conversation after the member's read mark (never negative)."""
    return max(0, int(last_seq) - int(last_read_seq))


def read_mark(current: int, seq: int, last_seq: int) -> int:
    """HN-12: the member's new read mark after "read up to ``seq``": never beyond the last
    message, never backwards (marking an older message read changes nothing)."""
    return max(int(current), min(int(seq), int(last_seq)))
