"""HEB-02 the home page's announcements (通知公告) and downloads (下载专区) on the in-memory
fakes: who publishes and withdraws, newest first with a cursor, files through MediaIntake
(sniffed, the tenant limit, nothing left behind), downloads from the platform's origin,
other provinces never see them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from anjian_shared.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unprocessable,
    UnsupportedMedia,
)
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from anjian_shared.testing.media import FakeUpload
from reporting.adapters.repositories import ANNOUNCEMENTS, ORGANIZATIONS
from reporting.service_layer import announcements as svc
from reporting.settings import Settings

PDF = b"%PDF-1.4\n% installation notification form\n"


def who(org: str, roles: list[str], kind: str, tenant: str = "hebei") -> Principal:
    return Principal(user_id=f"u-{org}-{roles[0]}", tenant=tenant, org_id=org, roles=roles, name=f"{org} 用户",
                     org_kind=kind)


STATION_LEADER = who("station", ["station_leader"], "station")
OTHER_LEADER = who("station2", ["station_leader"], "station")
SUPERVISOR = who("station", ["supervisor"], "station")
ADMIN = who("province", ["province_admin"], "authority")
COMPANY = who("company", ["company_admin"], "company")
HAINAN = who("company-hn", ["company_admin"], "company", tenant="hainan")


@pytest.fixture
async def env() -> tuple[FakeDatabase, FakeStorage]:
    mongo = FakeDatabase(service="reporting")
    await mongo.db[ORGANIZATIONS].insert_one({"_id": "station", "tenant_id": "hebei", "name": "长安区安全监督站"})
    return mongo, FakeStorage()


async def publish(env, p=STATION_LEADER, kind="announcement", title="关于开展塔吊专项检查的通知",
                  body="各施工单位：……", files=()):
    mongo, storage = env
    return await svc.publish(mongo=mongo, storage=storage, settings=Settings(), principal=p, kind=kind,
                             title=title, body=body, files=list(files))


async def test_heb02_station_leader_publishes_and_companies_list_newest_first(env):
    """HEB-02 published announcements and downloads are listed newest first, page by page."""
    mongo, storage = env
    first = await publish(env, title="第一条")
    second = await publish(env, kind="download", title="安装告知单样表", body="",
                           files=[FakeUpload(PDF, "样表.pdf")])
    third = await publish(env, p=ADMIN, title="全省通报")
    assert second["publisher_org_name"] == "长安区安全监督站" and second["files"][0]["filename"] == "样表.pdf"
    page1 = await svc.list_announcements(mongo=mongo, principal=COMPANY, limit=2)
    assert [d["_id"] for d in page1.items] == [third["_id"], second["_id"]] and page1.next_cursor
    page2 = await svc.list_announcements(mongo=mongo, principal=COMPANY, limit=2, cursor=page1.next_cursor)
    assert [d["_id"] for d in page2.items] == [first["_id"]] and page2.next_cursor is None
    downloads = await svc.list_announcements(mongo=mongo, principal=COMPANY, kind="download")
    assert [d["_id"] for d in downloads.items] == [second["_id"]]
    types = [e["type"] for e in mongo.outbox]
    assert types.count("reporting.announcement.published.v1") == 3
    url, ref = await svc.file_link(mongo=mongo, storage=storage, principal=COMPANY, announcement_id=second["_id"],
                                   index=0, ttl=timedelta(minutes=5))
    assert url.startswith("https://anjian.test/media/") and ref.content_type == "application/pdf"
    with pytest.raises(NotFound) as err:
        await svc.file_link(mongo=mongo, storage=storage, principal=COMPANY, announcement_id=second["_id"],
                            index=1, ttl=timedelta(minutes=5))
    assert err.value.slug == "announcement-file-not-found"
    with pytest.raises(Unprocessable) as bad:
        await svc.list_announcements(mongo=mongo, principal=COMPANY, cursor="garbage")
    assert bad.value.field == "cursor"


async def test_heb02_only_authority_leaders_and_province_admin_publish(env):
    """HEB-02 a company, a supervisor (not the leader) are 403 ``not-announcement-publisher``."""
    for p in (COMPANY, SUPERVISOR):
        with pytest.raises(Forbidden) as err:
            await publish(env, p=p)
        assert err.value.slug == "not-announcement-publisher"


async def test_heb02_content_and_files_refused_naming_the_field(env):
    """HEB-02 title, body, files named; a download needs a file; files are sniffed and limited;
    nothing stays in storage or the database after a refusal."""
    mongo, storage = env
    cases = [({"title": " "}, Unprocessable, "title"), ({"title": "x" * 201}, Unprocessable, "title"),
             ({"body": "", "files": []}, Unprocessable, "body"),
             ({"kind": "download", "files": []}, Unprocessable, "files"),
             ({"files": [FakeUpload(b"MZ\x90\x00 not a document", "setup.exe")]}, UnsupportedMedia, "files")]
    for kw, error, field in cases:
        with pytest.raises(error) as err:
            await publish(env, **kw)
        assert err.value.field == field, kw
    with pytest.raises(Unprocessable) as err:
        await publish(env, kind="download", files=[])
    assert err.value.slug == "download-file-required"
    await mongo.db["tenant_policy"].insert_one({"_id": "hebei", "tenant_id": "hebei", "version": 1,
                                                "limits": {"announcement_file_max_bytes": 1024}})
    with pytest.raises(PayloadTooLarge) as big:
        await publish(env, files=[FakeUpload(PDF + b"0" * 2000, "a.pdf")])
    assert big.value.field == "files" and "1024" in str(big.value.detail)
    storage.fail_put_at(2)
    with pytest.raises(ConnectionError):
        await publish(env, files=[FakeUpload(PDF, "a.pdf"), FakeUpload(PDF, "b.pdf")])
    assert list(storage.keys()) == [] and await mongo.repo(ANNOUNCEMENTS, "hebei").find({}) == []


async def test_heb02_withdraw_own_only_and_then_hidden_from_companies(env):
    """HEB-02 withdraw: another station's leader 403, a company 403; the publisher withdraws
    (event), again 409; companies neither list nor open it (404); the publisher still sees it
    with include_withdrawn; the province administrator withdraws anyone's."""
    mongo, _ = env
    doc = await publish(env)
    for p in (OTHER_LEADER, COMPANY):
        with pytest.raises(Forbidden):
            await svc.withdraw(mongo=mongo, principal=p, announcement_id=doc["_id"])
    done = await svc.withdraw(mongo=mongo, principal=STATION_LEADER, announcement_id=doc["_id"], reason="已过期")
    assert done["status"] == "withdrawn" and done["version"] == 2 and done["withdraw_reason"] == "已过期"
    assert mongo.outbox[-1]["type"] == "reporting.announcement.withdrawn.v1"
    with pytest.raises(Conflict) as again:
        await svc.withdraw(mongo=mongo, principal=STATION_LEADER, announcement_id=doc["_id"])
    assert again.value.slug == "announcement-withdrawn"
    assert (await svc.list_announcements(mongo=mongo, principal=COMPANY)).items == []
    with pytest.raises(NotFound):
        await svc.get_announcement(mongo=mongo, principal=COMPANY, announcement_id=doc["_id"])
    mine = await svc.list_announcements(mongo=mongo, principal=STATION_LEADER, include_withdrawn=True)
    assert [d["_id"] for d in mine.items] == [doc["_id"]]
    assert (await svc.list_announcements(mongo=mongo, principal=OTHER_LEADER, include_withdrawn=True)).items == []
    other = await publish(env, p=OTHER_LEADER)
    assert (await svc.withdraw(mongo=mongo, principal=ADMIN, announcement_id=other["_id"]))["status"] == "withdrawn"


async def test_heb02_concurrent_withdrawals_exactly_one(env):
    """HEB-02 two withdrawals at the same instant: one 200, one 409 (the version decides)."""
    mongo, _ = env
    doc = await publish(env)
    results = await asyncio.gather(
        svc.withdraw(mongo=mongo, principal=STATION_LEADER, announcement_id=doc["_id"]),
        svc.withdraw(mongo=mongo, principal=ADMIN, announcement_id=doc["_id"]), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"]
    assert [e["type"] for e in mongo.outbox].count("reporting.announcement.withdrawn.v1") == 1


async def test_heb02_other_province_never_sees_them(env):
    """HEB-02 another tenant's user lists nothing and gets 404 for the id."""
    mongo, storage = env
    doc = await publish(env, kind="download", files=[FakeUpload(PDF, "样表.pdf")])
    assert (await svc.list_announcements(mongo=mongo, principal=HAINAN)).items == []
    with pytest.raises(NotFound):
        await svc.get_announcement(mongo=mongo, principal=HAINAN, announcement_id=doc["_id"])
    with pytest.raises(NotFound):
        await svc.file_link(mongo=mongo, storage=storage, principal=HAINAN, announcement_id=doc["_id"], index=0,
                            ttl=timedelta(minutes=5))
