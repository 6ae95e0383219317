"""HN-12 企业号会话 on the in-memory fakes: membership kept in step with the project, removed
members lose the conversation, unread counts, reply rules, media rollback, groups, leave and
mute, and the live hub's dedupe and gap filling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from anjian_shared.errors import Forbidden, NotFound, PayloadTooLarge, Unprocessable
from anjian_shared.events.projects_v1 import Participant, ProjectUpdated
from anjian_shared.mongo import with_transaction
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from anjian_shared.testing.media import FakeUpload, image_bytes
from conversations.domain import rules
from conversations.service_layer import conversations as cases
from conversations.service_layer.live import Hub, LiveClient
from conversations.settings import Settings

T = "hainan"
T0 = datetime(2026, 11, 1, tzinfo=UTC)
SETTINGS = Settings(environment="test")


def person(uid: str, tenant: str = T, org: str = "st") -> Principal:
    return Principal(user_id=uid, tenant=tenant, org_id=org, roles=["supervisor"], name=uid.upper())


ZHANG, LI, LIU, CHEN = person("zhang"), person("li"), person("liu", org="con"), person("chen", org="con2")


def snapshot(version: int, *, supervisors: list[str], participants: list[str], name: str = "海口某住宅楼") -> Any:
    return ProjectUpdated(
        project_id="p1", code="HN1", name=name, address="海口", station_org_id="st", owner_org_id="own",
        contractor_org_id="con", supervision_org_id="sv", supervisor_user_ids=supervisors,
        participants=[Participant(user_id=u, org_id="con", name=u, project_role="project_manager")
                      for u in participants], version=version)


async def apply(mongo: FakeDatabase, payload: Any, *, at: datetime = T0) -> bool:
    return await with_transaction(mongo, T, lambda uow: cases.keep_project_snapshot(uow, payload, time=at))


@pytest.fixture
async def mongo() -> FakeDatabase:
    db = FakeDatabase(service="conversations")
    await apply(db, snapshot(1, supervisors=["zhang", "li"], participants=["liu"]))
    return db


CID = rules.project_conversation_id("p1")


async def send(mongo: FakeDatabase, who: Principal, text: str, **kw: Any) -> dict[str, Any]:
    return await cases.post_message(mongo=mongo, storage=kw.pop("storage", FakeStorage()), settings=SETTINGS,
                                    actor=who, conversation_id=CID, text=text, **kw)


def test_hn12_project_members_are_supervisors_then_participants_once():
    """HN-12: station staff (supervisors) and the parties' people, each once."""
    project = {"supervisor_user_ids": ["zhang", "li"],
               "participants": [{"user_id": "liu"}, {"user_id": "zhang"}, {"user_id": "wang"}]}
    assert rules.project_member_ids(project) == ["zhang", "li", "liu", "wang"]
    change = rules.membership_change(["zhang", "li", "liu"], ["zhang", "wang"])
    assert change.joined == ["wang"] and change.left == ["li", "liu"]


async def test_hn12_first_project_snapshot_opens_its_conversation(mongo):
    """HN-12: the project's registration opens one conversation with its people."""
    conv, membership = await cases.load(mongo=mongo, actor=LIU, conversation_id=CID)
    assert conv["kind"] == "project" and conv["member_ids"] == ["zhang", "li", "liu"]
    assert conv["title"] == "海口某住宅楼" and membership["active"] and membership["last_read_seq"] == 0
    [created] = mongo.events("conversations.conversation.created.v1")
    assert created["data"]["member_ids"] == ["zhang", "li", "liu"]


async def test_hn12_member_removed_from_the_project_loses_its_conversation(mongo):
    """HN-12: 刘 leaves the project → reads and writes of its conversation answer 404."""
    await send(mongo, LIU, "收到")
    assert await apply(mongo, snapshot(2, supervisors=["zhang", "li"], participants=["wang"]))
    for call in (cases.load(mongo=mongo, actor=LIU, conversation_id=CID),
                 cases.history(mongo=mongo, actor=LIU, conversation_id=CID, limit=10, cursor=None),
                 send(mongo, LIU, "还在吗")):
        with pytest.raises(NotFound):
            await call
    conv, wang = await cases.load(mongo=mongo, actor=person("wang", org="con"), conversation_id=CID)
    assert conv["member_ids"] == ["zhang", "li", "wang"]
    assert wang["last_read_seq"] == 1  # a newcomer starts with nothing unread
    [updated] = mongo.events("conversations.conversation.updated.v1")
    assert updated["data"]["member_ids"] == ["zhang", "li", "wang"] and updated["data"]["version"] == 2


async def test_hn12_an_older_project_snapshot_never_overwrites_a_newer_one(mongo):
    """HN-12: snapshots out of order (redelivery, replay): the older one changes nothing."""
    assert await apply(mongo, snapshot(3, supervisors=["zhang"], participants=["liu"]))
    assert not await apply(mongo, snapshot(2, supervisors=["zhang", "li"], participants=["liu"]))
    with pytest.raises(NotFound):
        await cases.load(mongo=mongo, actor=LI, conversation_id=CID)
    assert len(mongo.events("conversations.conversation.updated.v1")) == 1


async def test_hn12_same_people_again_emits_nothing(mongo):
    """HN-12: a project update that does not touch its people leaves the conversation alone."""
    assert await apply(mongo, snapshot(2, supervisors=["zhang", "li"], participants=["liu"]))
    assert mongo.events("conversations.conversation.updated.v1") == []


async def test_hn12_unread_counts_per_member_and_the_read_mark_never_goes_back(mongo):
    """HN-12: unread = messages after the member's read mark; the sender has read their own."""
    m1 = await send(mongo, ZHANG, "明天上午检查3#楼")
    m2 = await send(mongo, ZHANG, "请项目部准备资料")
    m3 = await send(mongo, LIU, "收到")
    assert [m["seq"] for m in (m1, m2, m3)] == [1, 2, 3]
    unread = {}
    for who in (ZHANG, LI, LIU):
        conv, membership = await cases.load(mongo=mongo, actor=who, conversation_id=CID)
        unread[who.user_id] = cases.view(conv, membership)["unread"]
    assert unread == {"zhang": 1, "li": 3, "liu": 0}
    view = await cases.mark_read(mongo=mongo, actor=LI, conversation_id=CID, message_id=m2["_id"])
    assert view["unread"] == 1
    view = await cases.mark_read(mongo=mongo, actor=LI, conversation_id=CID, message_id=m1["_id"])
    assert view["unread"] == 1 and view["last_read_seq"] == 2
    mine, _ = await cases.list_mine(mongo=mongo, actor=LI, limit=10, cursor=None)
    assert [(c["_id"], c["unread"]) for c in mine] == [(CID, 1)]


async def test_hn12_read_mark_must_name_a_message_of_the_conversation(mongo):
    with pytest.raises(Unprocessable) as err:
        await cases.mark_read(mongo=mongo, actor=LI, conversation_id=CID, message_id="nope")
    assert err.value.field == "message_id"


async def test_hn12_reply_quotes_a_message_of_the_same_conversation_only(mongo):
    """HN-12: reply_to names a message of this conversation (else 422 reply_to)."""
    first = await send(mongo, ZHANG, "临边防护缺失，请整改")
    reply = await send(mongo, LIU, "已整改", reply_to=first["_id"])
    assert reply["reply_to"] == {"message_id": first["_id"], "sender": {"user_id": "zhang", "name": "ZHANG"},
                                 "excerpt": "临边防护缺失，请整改"}
    posted = mongo.events("conversations.message.posted.v1")[-1]["data"]
    assert posted["reply_to"]["message_id"] == first["_id"] and posted["member_ids"] == ["zhang", "li", "liu"]
    group = await cases.create_group(mongo=mongo, actor=ZHANG, title="整改协调", member_ids=["li"],
                                     max_members=10) if await _users(mongo, "li") else None
    assert group is not None
    other = await cases.post_message(mongo=mongo, storage=FakeStorage(), settings=SETTINGS, actor=ZHANG,
                                     conversation_id=group["_id"], text="别的群")
    for bad in (other["_id"], "unknown-id"):
        with pytest.raises(Unprocessable) as err:
            await send(mongo, LIU, "引用别的会话", reply_to=bad)
        assert err.value.field == "reply_to"


async def _users(mongo: FakeDatabase, *ids: str, tenant: str = T) -> bool:
    for uid in ids:
        await mongo.repo("users", tenant).insert({"_id": uid, "user_id": uid, "enabled": True})
    return True


@pytest.mark.parametrize(("text", "photos", "files", "field"), [
    ("", 0, 0, "text"), ("   ", 0, 0, "text"), ("长" * 2001, 0, 0, "text"), ("", 10, 0, "photos"),
    ("", 1, 1, "photos"), ("", 0, 2, "file")])
def test_hn12_message_shape_is_refused_naming_the_field(text, photos, files, field):
    with pytest.raises(Unprocessable) as err:
        rules.message_kind(text, photos, files)
    assert err.value.field == field


async def test_hn12_history_newest_first_paginated(mongo):
    """HN-12: history pages newest first, the cursor continues without repeats."""
    for i in range(5):
        await send(mongo, ZHANG, f"第{i + 1}条")
    page1 = await cases.history(mongo=mongo, actor=LI, conversation_id=CID, limit=2, cursor=None)
    page2 = await cases.history(mongo=mongo, actor=LI, conversation_id=CID, limit=2, cursor=page1.next_cursor)
    page3 = await cases.history(mongo=mongo, actor=LI, conversation_id=CID, limit=2, cursor=page2.next_cursor)
    assert [m["seq"] for m in page1.items + page2.items + page3.items] == [5, 4, 3, 2, 1]
    assert page3.next_cursor is None
    after = await cases.catch_up(mongo=mongo, actor=LI, conversation_id=CID, after=page2.items[0]["_id"], limit=10)
    assert [m["seq"] for m in after] == [4, 5]


async def test_hn12_photos_go_through_media_intake_and_are_removed_when_refused(mongo):
    """HN-12: photos stored via MediaIntake; a failing upload leaves no object behind."""
    storage = FakeStorage()
    photo = image_bytes("JPEG")
    msg = await send(mongo, LIU, "整改后照片", storage=storage,
                     photos=[FakeUpload(photo, "a.jpg"), FakeUpload(photo, "b.jpg")])
    assert msg["kind"] == "photo" and len(msg["attachments"]) == 2 and len(storage.objects) == 2
    storage2 = FakeStorage()
    storage2.fail_put_at(2, RuntimeError("S3 down"))
    with pytest.raises(RuntimeError):
        await send(mongo, LIU, "x", storage=storage2, photos=[FakeUpload(photo, "a.jpg"), FakeUpload(photo, "b.jpg")])
    assert storage2.objects == {} and len(mongo.documents("messages")) == 1


async def test_hn12_photo_over_the_province_limit_is_refused(mongo):
    await mongo.repo("tenant_policy", T).insert({"_id": T, "limits": {"conversation_photo_max_bytes": 1024},
                                                 "features": {}, "settings": {}, "version": 1})
    big = image_bytes("PNG", size=(400, 400), color="blue") + b"\0" * 2048
    with pytest.raises(PayloadTooLarge) as err:
        await send(mongo, LIU, "", photos=[FakeUpload(big, "big.png")])
    assert err.value.field == "photos" and mongo.documents("messages") == []


async def test_hn12_file_message(mongo):
    pdf = b"%PDF-1.4\n% report\n"
    msg = await send(mongo, LIU, "整改报告", files=[FakeUpload(pdf, "report.pdf")])
    assert msg["kind"] == "file" and msg["attachments"][0]["content_type"] == "application/pdf"


async def test_hn12_groups_only_with_known_users_of_the_same_tenant(mongo):
    """HN-12: an ad-hoc group takes users of the creator's province only (422 member_ids)."""
    await _users(mongo, "li", "liu")
    await _users(mongo, "hubei-user", tenant="hubei")
    with pytest.raises(Unprocessable) as err:
        await cases.create_group(mongo=mongo, actor=ZHANG, title="协调", member_ids=["li", "hubei-user"],
                                 max_members=10)
    assert err.value.field == "member_ids" and err.value.slug == "conversation-member-unknown"
    for title, members in (("", ["li"]), ("协调", []), ("协调", ["zhang"])):
        with pytest.raises(Unprocessable):
            await cases.create_group(mongo=mongo, actor=ZHANG, title=title, member_ids=members, max_members=10)
    with pytest.raises(Unprocessable):
        await cases.create_group(mongo=mongo, actor=ZHANG, title="协调", member_ids=["li", "liu"], max_members=2)
    group = await cases.create_group(mongo=mongo, actor=ZHANG, title="协调", member_ids=["li", "liu", "li"],
                                     max_members=10)
    assert group["member_ids"] == ["zhang", "li", "liu"] and group["kind"] == "group"
    with pytest.raises(NotFound):
        await cases.load(mongo=mongo, actor=CHEN, conversation_id=group["_id"])
    with pytest.raises(NotFound):  # same id, other tenant
        await cases.load(mongo=mongo, actor=person("zhang", tenant="hubei"), conversation_id=group["_id"])


async def test_hn12_leave_a_group_but_not_a_project_conversation(mongo):
    """HN-12: 退出群聊 for groups; a project's conversation follows the project (403)."""
    await _users(mongo, "li", "liu")
    group = await cases.create_group(mongo=mongo, actor=ZHANG, title="协调", member_ids=["li", "liu"],
                                     max_members=10)
    await cases.leave(mongo=mongo, actor=LI, conversation_id=group["_id"])
    with pytest.raises(NotFound):
        await cases.load(mongo=mongo, actor=LI, conversation_id=group["_id"])
    with pytest.raises(NotFound):
        await cases.post_message(mongo=mongo, storage=FakeStorage(), settings=SETTINGS, actor=LI,
                                 conversation_id=group["_id"], text="我又来了")
    conv, _ = await cases.load(mongo=mongo, actor=ZHANG, conversation_id=group["_id"])
    assert conv["member_ids"] == ["zhang", "liu"]
    with pytest.raises(Forbidden) as err:
        await cases.leave(mongo=mongo, actor=LIU, conversation_id=CID)
    assert err.value.slug == "project-conversation-membership"


async def test_hn12_mute(mongo):
    view = await cases.set_muted(mongo=mongo, actor=LIU, conversation_id=CID, muted=True)
    assert view["muted"] is True
    with pytest.raises(NotFound):
        await cases.set_muted(mongo=mongo, actor=CHEN, conversation_id=CID, muted=True)


# --------------------------------------------------------------------------- live hub


class Socket:
    def __init__(self) -> None:
        self.got: list[int] = []
        self.closed: str | None = None

    async def send(self, message: Any) -> None:
        self.got.append(int(message["seq"]))

    async def close(self, reason: str) -> None:
        self.closed = reason


async def test_hn12_hub_pushes_a_redelivered_event_once_and_fills_gaps_from_the_database(mongo):
    """HN-12: dedupe by seq (a redelivered posted event pushes once); a gap (an event still on
    its way) is filled from the database, in order."""
    msgs = [await send(mongo, ZHANG, f"m{i}") for i in range(4)]

    async def fetch(tenant: str, cid: str, after: int) -> list[dict[str, Any]]:
        return await cases.messages_after(mongo=mongo, tenant=tenant, conversation_id=cid, after_seq=after)

    hub, sock = Hub(fetch), Socket()
    client = LiveClient(tenant=T, conversation_id=CID, user_id="li", last_seq=1, send=sock.send, close=sock.close)
    await hub.connect(client)  # catch-up after seq 1
    assert sock.got == [2, 3, 4]
    members = ["zhang", "li", "liu"]
    await hub.posted(T, msgs[3], members)  # redelivered / already caught up
    m5 = await send(mongo, ZHANG, "m5")
    m6 = await send(mongo, ZHANG, "m6")
    await hub.posted(T, m6, members)  # m5's event not here yet: filled from the database
    await hub.posted(T, m5, members)  # …and then it arrives: dropped
    await hub.posted(T, m6, members)
    assert sock.got == [2, 3, 4, 5, 6] and client.sent == [m["_id"] for m in msgs[1:]] + [m5["_id"], m6["_id"]]


async def test_hn12_hub_closes_the_socket_of_a_removed_member(mongo):
    async def fetch(*_: Any) -> list[dict[str, Any]]:
        return []

    hub, sock, other = Hub(fetch), Socket(), Socket()
    await hub.connect(LiveClient(tenant=T, conversation_id=CID, user_id="liu", last_seq=0, send=sock.send,
                                 close=sock.close))
    await hub.connect(LiveClient(tenant="hubei", conversation_id=CID, user_id="liu", last_seq=0, send=other.send,
                                 close=other.close))
    await hub.members_changed(T, CID, ["zhang", "li"])
    assert sock.closed == "removed" and other.closed is None and hub.connected == 1
    msg = {"_id": "x", "conversation_id": CID, "seq": 1, "created_at": T0 + timedelta(seconds=1)}
    await hub.posted(T, msg, ["zhang"])
    assert sock.got == [] and other.got == []  # never another tenant's clients
