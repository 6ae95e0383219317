"""HEB-02 the home page's announcements (通知公告) and downloads (下载专区) over HTTP on the real
servers (``ANJIAN_TEST_SERVICES=identity,reporting``; real S3 and MongoDB): a station leader
publishes with a file, a company lists newest first and downloads it from the platform's origin,
the refusals (role, content, file type), withdrawal, and another province that never sees them."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import pytest

from anjian_local.scenario import build_world, expect
from anjian_local.testing.fixtures import GATEWAY, Platform

pytestmark = pytest.mark.asyncio(loop_scope="session")

API = "/api/reporting/v1/announcements"
PDF = b"%PDF-1.4\n% installation notification form\n%%EOF\n"


async def _publish(platform: Platform, token: str, *, kind: str = "announcement", title: str = "塔吊专项检查通知",
                   body: str = "各施工单位：请于月底前完成自查。",
                   files: list[tuple[str, bytes, str]] | None = None) -> Any:
    async with platform.api(token) as c:
        return await c.post(API, data={"kind": kind, "title": title, "body": body},
                            files=[("files", f) for f in (files or [])] or None)


@pytest.fixture
async def hebei(platform: Platform) -> dict[str, Any]:
    world = await build_world(platform.api, admin_password=platform.admin_password, tenant="hebei",
                              suffix=secrets.token_hex(3), register_project=False)
    hainan = await build_world(platform.api, admin_password=platform.admin_password, tenant="hainan",
                               suffix=secrets.token_hex(3), register_project=False)
    return {"leader": world.token("wang"), "supervisor": world.token("zhang"), "company": world.token("liu"),
            "admin": await platform.admin_token("hebei"), "hainan": hainan.token("liu"),
            "station": world.station_id}


async def test_heb02_publish_list_download_over_http(platform: Platform, hebei: dict[str, Any]):
    """HEB-02 a station leader publishes a download with a PDF (201, Location); a company lists it
    newest first with a cursor and downloads the file: 307 to ``<public base>/media/…`` whose
    bytes are the PDF; the event ``reporting.announcement.published.v1`` is in the outbox."""
    w = hebei
    first = expect(await _publish(platform, w["leader"], title=f"第一条{secrets.token_hex(2)}"), 201)
    r = await _publish(platform, w["leader"], kind="download", title="安装告知单样表", body="",
                       files=[("安装告知单样表.pdf", PDF, "application/pdf")])
    second = expect(r, 201)
    assert r.headers["location"].endswith(second["id"])
    assert second["kind_label"] == "下载专区" and second["publisher_org_id"] == w["station"]
    assert second["files"][0]["filename"] == "安装告知单样表.pdf"
    async with platform.api(w["company"]) as c:
        page = expect(await c.get(API, params={"limit": 1}), 200)
        assert [i["id"] for i in page["items"]] == [second["id"]] and page["next_cursor"]
        page2 = expect(await c.get(API, params={"limit": 1, "cursor": page["next_cursor"]}), 200)
        assert page2["items"][0]["id"] == first["id"]
        downloads = expect(await c.get(API, params={"kind": "download"}), 200)
        assert second["id"] in [i["id"] for i in downloads["items"]]
        assert first["id"] not in [i["id"] for i in downloads["items"]]
        got = await c.get(second["files"][0]["download_path"])
        assert got.status_code == 307, got.text
        location = got.headers["location"]
        assert location.startswith(f"{GATEWAY}/media/") and got.headers["cache-control"] == "no-store"
        fetched = await c.get(location)
        assert fetched.status_code == 200 and fetched.content == PDF
        link = expect(await c.get(second["files"][0]["download_path"], params={"redirect": "false"}), 200)
        assert link["url"].startswith(f"{GATEWAY}/media/") and link["expires_at"]
        missing = await c.get(f"{API}/{second['id']}/files/1")
        assert missing.status_code == 404 and missing.json()["code"] == "announcement-file-not-found"
        bad_cursor = await c.get(API, params={"cursor": "nope"})
        assert bad_cursor.status_code == 422
    outbox = platform.app("reporting").state.mongo.db["outbox"]
    assert await outbox.find_one({"event.subject": second["id"], "type": "reporting.announcement.published.v1"})


async def test_heb02_refusals_over_http(platform: Platform, hebei: dict[str, Any]):
    """HEB-02 a company and a supervisor 403 ``not-announcement-publisher``; an empty title 422
    naming ``title``; a download without a file 422 ``download-file-required``; an executable
    415 naming ``files``; nothing of a refusal is listed."""
    w = hebei
    for who in ("company", "supervisor"):
        r = await _publish(platform, w[who])
        assert r.status_code == 403 and r.json()["code"] == "not-announcement-publisher", r.text
    r = await _publish(platform, w["leader"], title=" ")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "title", r.text
    r = await _publish(platform, w["leader"], kind="download", title="空下载")
    assert r.status_code == 422 and r.json()["code"] == "download-file-required", r.text
    r = await _publish(platform, w["leader"], title="带病毒的附件",
                       files=[("setup.exe", b"MZ\x90\x00" * 64, "application/pdf")])
    assert r.status_code == 415 and r.json()["errors"][0]["field"] == "files", r.text
    async with platform.api(w["company"]) as c:
        titles = [i["title"] for i in expect(await c.get(API, params={"limit": 100}), 200)["items"]]
    assert "带病毒的附件" not in titles and "空下载" not in titles


async def test_heb02_withdraw_and_other_province_over_http(platform: Platform, hebei: dict[str, Any]):
    """HEB-02 another province's user: not listed, 404 on the id and the file; a company may not
    withdraw (403); two withdrawals at once: one 200, one 409 ``announcement-withdrawn``; the
    company then gets 404; the province administrator withdraws any."""
    w = hebei
    doc = expect(await _publish(platform, w["leader"], kind="download", title="撤回测试",
                                files=[("a.pdf", PDF, "application/pdf")]), 201)
    async with platform.api(w["hainan"]) as c:
        assert doc["id"] not in [i["id"] for i in expect(await c.get(API), 200)["items"]]
        assert (await c.get(f"{API}/{doc['id']}")).status_code == 404
        assert (await c.get(f"{API}/{doc['id']}/files/0")).status_code == 404
        assert (await c.post(f"{API}/{doc['id']}/withdrawal", json={})).status_code in (403, 404)
    async with platform.api(w["company"]) as c:
        r = await c.post(f"{API}/{doc['id']}/withdrawal", json={"reason": "x"})
        assert r.status_code == 403 and r.json()["code"] == "not-announcement-publisher"
    async with platform.api(w["leader"]) as lc, platform.api(w["admin"]) as ac:
        r1, r2 = await asyncio.gather(lc.post(f"{API}/{doc['id']}/withdrawal", json={"reason": "样表已更新"}),
                                      ac.post(f"{API}/{doc['id']}/withdrawal", json={}))
    assert sorted([r1.status_code, r2.status_code]) == [200, 409], (r1.text, r2.text)
    loser = r1 if r1.status_code == 409 else r2
    assert loser.json()["code"] == "announcement-withdrawn"
    async with platform.api(w["company"]) as c:
        assert (await c.get(f"{API}/{doc['id']}")).status_code == 404
    async with platform.api(w["leader"]) as c:
        mine = expect(await c.get(API, params={"include_withdrawn": "true", "limit": 100}), 200)
        assert doc["id"] in [i["id"] for i in mine["items"]]
    other = expect(await _publish(platform, w["leader"], title="省管理员撤回"), 201)
    async with platform.api(w["admin"]) as c:
        assert expect(await c.post(f"{API}/{other['id']}/withdrawal", json={}), 200)["status"] == "withdrawn"
