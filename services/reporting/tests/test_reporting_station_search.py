"""HN-10 station search and XLSX export, and the Hainan 站内通知 of supervision records and
enforcement documents, on the real platform: document events published on the real broker
(the notices side's API is built elsewhere), records submitted through the real inspections
API as well as published; XLSX files read back with openpyxl."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import unquote

import openpyxl
import pytest_asyncio
from pydantic import BaseModel

from anjian_local.infra import rabbitmqctl
from anjian_local.media import site_photo
from anjian_local.scenario import World, build_world, expect
from anjian_local.testing.fixtures import Platform, eventually
from anjian_shared.events import make_event
from anjian_shared.events.common import PersonRef
from anjian_shared.events.inspections_v1 import RecordReleased, RecordReviewed, RecordSubmitted
from anjian_shared.events.notices_v1 import (
    DocumentClosed,
    DocumentEscalated,
    DocumentIssued,
    DocumentReplied,
    DocumentReplyReviewed,
    DocumentReviewed,
    DocumentSubmitted,
)
from anjian_shared.types import new_id

API = "/api/reporting/v1"
INSPECTIONS = "/api/inspections/v1"
INBOX = "reporting.read-models:"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Hainan:
    platform: Platform
    a: World           # station A: zhang, li supervisors; wang leader; liu contractor PM; project
    b: World           # station B of the same province, its own leader wang
    hubei: World       # another tenant
    admin: str         # Hainan's province admin
    hubei_admin: str

    @property
    def db(self) -> Any:
        return self.platform.app("reporting").state.mongo.db

    def person(self, key: str, w: World | None = None) -> PersonRef:
        p = (w or self.a).people[key]
        return PersonRef(user_id=p.user_id, name=p.name)

    def uid(self, key: str, w: World | None = None) -> str:
        return (w or self.a).people[key].user_id

    def event(self, type_: str, subject: str, data: BaseModel, tenant: str = "hainan") -> dict[str, Any]:
        return make_event(type=type_, tenant=tenant, service=type_.split(".", 1)[0], subject=subject,
                          data=data).model_dump(mode="json")

    async def publish(self, event: dict[str, Any], *, wait: bool = True) -> dict[str, Any]:
        """Publish on the real broker; wait until reporting's consumer committed it (inbox row)."""
        await self.platform.publish(event)
        if wait:
            async def handled() -> bool:
                return await self.db["inbox"].find_one({"_id": INBOX + event["id"]}) is not None
            await eventually(handled)
        return event

    async def search(self, token: str, **params: Any) -> Any:
        async with self.platform.api(token) as c:
            return await c.get(f"{API}/station-search", params=params)

    async def ids(self, token: str, **params: Any) -> list[str]:
        return [i["id"] for i in expect(await self.search(token, limit=100, **params), 200)["items"]]

    async def notifications(self, token: str, **match: Any) -> list[dict[str, Any]]:
        async with self.platform.api(token) as c:
            items = expect(await c.get(f"{API}/notifications", params={"limit": 100}), 200)["items"]
        return [n for n in items if all(n.get(k) == v for k, v in match.items())]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def hn(platform: Platform, world: World) -> Hainan:
    a = await build_world(platform.api, admin_password=platform.admin_password, tenant="hainan")
    b = await build_world(platform.api, admin_password=platform.admin_password, tenant="hainan",
                          register_project=False)
    return Hainan(platform=platform, a=a, b=b, hubei=world, admin=await platform.admin_token("hainan"),
                  hubei_admin=await platform.admin_token("hubei"))


def at(day: int, hour: int = 2, minute: int = 0) -> datetime:
    """A UTC instant in November 2026 (China time is 8 hours ahead)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def record(hn: Hainan, *, project_id: str, project_name: str, who: str = "zhang", w: World | None = None,
           when: datetime, status: str = "internal", reviewers: list[str] = (), receivers: list[str] = (),
           check_type: str = "safety") -> RecordSubmitted:
    w = w or hn.a
    return RecordSubmitted(record_id=new_id(), project_id=project_id, project_name=project_name,
                           station_org_id=w.station_id, check_type=check_type,  # type: ignore[arg-type]
                           part_checked="3#楼 5层 主体结构施工", supplement="北侧临边防护缺失",
                           submitted_by=hn.person(who, w), report_recipient_ids=list(reviewers),
                           issue_recipient_ids=list(receivers), status=status,  # type: ignore[arg-type]
                           submitted_at=when)


def document(hn: Hainan, *, project_id: str, project_name: str, who: str = "zhang", w: World | None = None,
             when: datetime, status: str = "issued", reviewers: list[str] = (), receivers: list[str] = (),
             repliers: list[str] = (), document_type: str = "rectification", deadline: date = date(2026, 11, 30),
             ) -> DocumentSubmitted:
    w = w or hn.a
    return DocumentSubmitted(document_id=new_id(), number=f"琼安监整〔2026〕{new_id()[:4]}号",
                             document_type=document_type,  # type: ignore[arg-type]
                             project_id=project_id, project_name=project_name, station_org_id=w.station_id,
                             record_id=new_id(), addressed_org_ids=[w.contractor_id],
                             details="3#楼5层临边防护缺失，限期整改", deadline=deadline,
                             replier_user_ids=list(repliers), report_recipient_ids=list(reviewers),
                             issue_recipient_ids=list(receivers), status=status,  # type: ignore[arg-type]
                             submitted_by=hn.person(who, w), submitted_at=when)


def issued_of(d: DocumentSubmitted, when: datetime) -> DocumentIssued:
    return DocumentIssued(document_id=d.document_id, number=d.number, document_type=d.document_type,
                          project_id=d.project_id, project_name=d.project_name, station_org_id=d.station_org_id,
                          record_id=d.record_id, deadline=d.deadline, replier_user_ids=d.replier_user_ids,
                          issue_recipient_ids=d.issue_recipient_ids, submitted_by_user_id=d.submitted_by.user_id,
                          issued_at=when)


async def publish_record(hn: Hainan, r: RecordSubmitted, tenant: str = "hainan") -> None:
    await hn.publish(hn.event("inspections.record.submitted.v1", r.record_id, r, tenant))


async def publish_document(hn: Hainan, d: DocumentSubmitted) -> None:
    await hn.publish(hn.event("notices.document.submitted.v1", d.document_id, d))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def corpus(hn: Hainan) -> dict[str, Any]:
    """Station A: 2 records and 3 documents of two projects by two submitters on several days;
    station B: one record and one document; Hubei: one record (other tenant)."""
    p1, p2 = new_id(), new_id()
    n1, n2 = f"海口江东新区总部大楼{p1[:4]}", f"三亚崖州湾科创园{p2[:4]}"
    r1 = record(hn, project_id=p1, project_name=n1, when=at(1, 16, 30))            # 11-02 00:30 China
    r2 = record(hn, project_id=p2, project_name=n2, who="li", when=at(3), check_type="quality")
    d1 = document(hn, project_id=p1, project_name=n1, when=at(2), repliers=[hn.uid("liu")])
    d2 = document(hn, project_id=p2, project_name=n2, who="li", when=at(4), document_type="stop_work",
                  status="pending_review", reviewers=[hn.uid("wang")])
    d3 = document(hn, project_id=p1, project_name=n1, when=at(5), repliers=[hn.uid("liu")])
    rb = record(hn, w=hn.b, project_id=new_id(), project_name=f"儋州洋浦港区仓储中心{p1[:4]}", when=at(3))
    db = document(hn, w=hn.b, project_id=new_id(), project_name=f"儋州洋浦港区仓储中心{p1[:4]}", when=at(3))
    rh = RecordSubmitted(**{**record(hn, w=hn.hubei, project_id=new_id(), project_name=n1, when=at(3)).model_dump(),
                            "station_org_id": hn.a.station_id})  # a Hubei event naming station A's id
    for r in (r1, r2, rb):
        await publish_record(hn, r)
    await publish_record(hn, rh, "hubei")
    for d in (d1, d2, d3, db):
        await publish_document(hn, d)
    for d in (d1, d3):
        await hn.publish(hn.event("notices.document.issued.v1", d.document_id, issued_of(d, d.submitted_at)))
    esc = DocumentEscalated(document_id=d1.document_id, number=d1.number, document_type=d1.document_type,
                            project_id=p1, project_name=n1, station_org_id=hn.a.station_id, escalation_id=new_id(),
                            kind="penalty_recommendation", escalation_number="琼安监罚建〔2026〕0003号",
                            deadline=d1.deadline, missing_replier_ids=[hn.uid("liu")],
                            issuer_user_id=hn.uid("zhang"), station_leader_ids=[hn.uid("wang"), hn.uid("zhang")],
                            escalated_at=at(20))
    await hn.publish(hn.event("notices.document.escalated.v1", d1.document_id, esc))
    return {"p1": p1, "p2": p2, "n1": n1, "n2": n2, "r1": r1, "r2": r2, "d1": d1, "d2": d2, "d3": d3,
            "rb": rb, "db": db, "rh": rh, "esc": esc}


# ---- HN-10 search -----------------------------------------------------------------------------------

async def test_leader_searches_the_stations_records_and_documents_newest_first(hn: Hainan, corpus: dict) -> None:
    c = corpus
    leader = hn.a.token("wang")
    mine = {x.record_id for x in (c["r1"], c["r2"])} | {x.document_id for x in (c["d1"], c["d2"], c["d3"])}
    for pid in (c["p1"], c["p2"]):
        page = expect(await hn.search(leader, project_id=pid, limit=100), 200)
        assert {i["station_org_id"] for i in page["items"]} == {hn.a.station_id}
    listed = (await hn.ids(leader, project_id=c["p1"])) + (await hn.ids(leader, project_id=c["p2"]))
    assert set(listed) == mine
    # newest first, both kinds in one list
    assert await hn.ids(leader, project_id=c["p1"]) == [c["d3"].document_id, c["d1"].document_id,
                                                        c["r1"].record_id]
    item = expect(await hn.search(leader, project_id=c["p1"], kind="document"), 200)["items"][-1]
    assert item == {**item, "kind": "document", "id": c["d1"].document_id, "number": c["d1"].number,
                    "type": "rectification", "type_label": "整改通知", "project_name": c["n1"],
                    "submitter_name": "张伟", "status": "issued", "status_label": "已下达",
                    "deadline": "2026-11-30"}
    assert item["station_name"].startswith("武汉市建设工程安全监督站")  # build_world's station name
    assert item["escalation"]["number"] == "琼安监罚建〔2026〕0003号"
    # the station's other items: never B's, never Hubei's (even with station A's id in it)
    everything = await hn.ids(leader)
    assert c["rb"].record_id not in everything and c["db"].document_id not in everything
    assert c["rh"].record_id not in everything
    assert mine <= set(everything)


async def test_filters_project_name_submitter_kind_type_status_and_china_days(hn: Hainan, corpus: dict) -> None:
    c = corpus
    leader = hn.a.token("wang")
    tag = c["p1"][:4]
    assert set(await hn.ids(leader, project_name=f"江东新区总部大楼{tag}")) == {
        c["r1"].record_id, c["d1"].document_id, c["d3"].document_id}
    assert set(await hn.ids(leader, project_name=tag, submitter="李")) == set()
    assert set(await hn.ids(leader, project_id=c["p2"], submitter="李娜")) == {c["r2"].record_id, c["d2"].document_id}
    assert set(await hn.ids(leader, project_id=c["p2"], submitter=hn.uid("li"))) == {
        c["r2"].record_id, c["d2"].document_id}
    assert await hn.ids(leader, project_id=c["p2"], kind="record") == [c["r2"].record_id]
    assert await hn.ids(leader, project_id=c["p2"], check_type="quality") == [c["r2"].record_id]
    assert await hn.ids(leader, project_id=c["p2"], document_type="stop_work") == [c["d2"].document_id]
    assert await hn.ids(leader, project_id=c["p2"], status="pending_review") == [c["d2"].document_id]
    # r1 was submitted 2026-11-01 16:30 UTC = 11-02 00:30 in China: it belongs to 11-02
    assert await hn.ids(leader, project_id=c["p1"], date_from="2026-11-02", date_to="2026-11-02") == [
        c["d1"].document_id, c["r1"].record_id]
    assert await hn.ids(leader, project_id=c["p1"], date_to="2026-11-01") == []
    assert await hn.ids(leader, project_id=c["p1"], date_from="2026-11-03") == [c["d3"].document_id]


async def test_cursor_pages_follow_each_other(hn: Hainan, corpus: dict) -> None:
    leader = hn.a.token("wang")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "project_name": corpus["p1"][:4]}
        if cursor:
            params["cursor"] = cursor
        page = expect(await hn.search(leader, **params), 200)
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == await hn.ids(leader, project_name=corpus["p1"][:4]) and len(seen) == 3


async def test_province_admin_searches_every_station_and_filters_by_station(hn: Hainan, corpus: dict) -> None:
    c = corpus
    tag = c["p1"][:4]
    both = set(await hn.ids(hn.admin, project_name=tag))
    assert {c["r1"].record_id, c["rb"].record_id, c["db"].document_id} <= both
    assert c["rh"].record_id not in both
    only_b = await hn.ids(hn.admin, project_name=tag, station_org_id=hn.b.station_id)
    assert set(only_b) == {c["rb"].record_id, c["db"].document_id}
    # the station B leader sees B's only
    assert set(await hn.ids(hn.b.token("wang"), project_name=tag)) == {c["rb"].record_id, c["db"].document_id}


async def test_search_refused_paths(hn: Hainan, corpus: dict) -> None:
    leader = hn.a.token("wang")
    for who in ("zhang", "liu", "zhao"):          # supervisor (not leader), contractor PM, company staff
        r = await hn.search(hn.a.token(who))
        assert r.status_code == 403, (who, r.text)
    r = await hn.search(leader, station_org_id=hn.b.station_id)
    assert r.status_code == 403 and r.json()["field"] == "station_org_id" and r.json()["type"].endswith(
        "other-station")
    # other tenant: Hubei's leader naming Hainan's station is refused, Hubei's admin finds nothing of it
    r = await hn.search(hn.hubei.token("wang"), station_org_id=hn.a.station_id)
    assert r.status_code == 403
    hubei_admin = await hn.ids(hn.hubei_admin, station_org_id=hn.a.station_id)
    assert hubei_admin == [corpus["rh"].record_id]  # only the Hubei event, not one Hainan item
    for params, field in (({"limit": 101}, "limit"), ({"limit": 0}, "limit"),
                          ({"date_from": "2026-11-05", "date_to": "2026-11-04"}, "date_to"),
                          ({"date_from": "2026-13-01"}, "date_from"),
                          ({"kind": "record", "document_type": "stop_work"}, "document_type"),
                          ({"kind": "document", "check_type": "safety"}, "check_type"),
                          ({"kind": "record", "status": "closed"}, "status"),
                          ({"kind": "letters"}, "kind"), ({"cursor": "not-a-cursor!"}, "cursor")):
        r = await hn.search(leader, **params)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["field"] == field, (params, r.json())
    async with hn.platform.api() as anon:
        assert (await anon.get(f"{API}/station-search")).status_code == 401
    for text in ("\x00", "(?i)[", ".*", "\\", "$where", "a" * 100, "🏗️工程"):
        for params in ({"project_name": text}, {"submitter": text}, {"project_id": text[:64]}):
            assert (await hn.search(leader, **params)).status_code == 200, params
            assert (await export(hn, leader, **params)).status_code == 200, params
    assert (await hn.search(leader, project_name="a" * 101)).json()["field"] == "project_name"


async def test_xlsx_cells_hold_hostile_text_as_text(hn: Hainan) -> None:
    """Control characters (XML cannot hold them) are dropped; a formula-like text stays text."""
    pid = new_id()
    r = record(hn, project_id=pid, project_name="=HYPERLINK(\"http://x\")\x07工程", when=at(8))
    r = RecordSubmitted(**{**r.model_dump(), "supplement": "坡顶\x00堆载\x1f超限"})
    await publish_record(hn, r)
    resp = await export(hn, hn.a.token("wang"), project_id=pid)
    assert resp.status_code == 200, resp.text
    row = [c.value for c in next(openpyxl.load_workbook(io.BytesIO(resp.content)).active.iter_rows(min_row=2))]
    assert row[3] == "'=HYPERLINK(\"http://x\")工程" and "坡顶堆载超限" in row[10]


# ---- HN-10 XLSX export --------------------------------------------------------------------------------

async def export(hn: Hainan, token: str, **params: Any) -> Any:
    async with hn.platform.api(token) as c:
        return await c.get(f"{API}/station-search.xlsx", params=params)


async def test_xlsx_export_has_the_searchs_rows_with_real_dates(hn: Hainan, corpus: dict) -> None:
    c = corpus
    leader = hn.a.token("wang")
    params = {"project_name": c["p1"][:4]}
    r = await export(hn, leader, **params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XLSX
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    utf8 = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(utf8).startswith("监督记录及处理文书查询_") and unquote(utf8).endswith(".xlsx")
    assert 'filename="station-search-' in disposition
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    ws = wb.active
    header = [cell.value for cell in ws[1]]
    assert header[:10] == ["类别", "类型", "编号", "项目", "提交人", "监督站", "提交日期", "状态",
                           "回复期限", "升级处理"]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["D"].width == 34
    rows = [[cell.value for cell in row] for row in ws.iter_rows(min_row=2)]
    search = expect(await hn.search(leader, limit=100, **params), 200)["items"]
    assert [row[11] for row in rows] == [i["id"] for i in search]
    by_id = {row[11]: row for row in rows}
    d1 = by_id[c["d1"].document_id]
    assert d1[:6] == ["处理文书", "整改通知", c["d1"].number, c["n1"], "张伟", search[0]["station_name"]]
    assert d1[6] == datetime(2026, 11, 2, 10, 0)          # 02:00 UTC as China wall-clock time
    assert d1[7] == "已下达" and d1[8] == datetime(2026, 11, 30) and "琼安监罚建〔2026〕0003号" in d1[9]
    r1 = by_id[c["r1"].record_id]
    assert r1[:2] == ["监督检查记录", "安全"] and r1[6] == datetime(2026, 11, 2, 0, 30) and r1[8] is None
    cell = ws.cell(row=2, column=7)
    assert cell.is_date and cell.number_format == "yyyy-mm-dd hh:mm"
    assert ws.cell(row=2, column=9).number_format == "yyyy-mm-dd"
    # one kind only: the sheet is named after it
    r = await export(hn, leader, kind="record", project_name=c["p1"][:4])
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert ws.title == "监督检查记录" and [row[11].value for row in ws.iter_rows(min_row=2)] == [c["r1"].record_id]


async def test_xlsx_export_refused_paths_and_row_cap(hn: Hainan, corpus: dict) -> None:
    leader = hn.a.token("wang")
    assert (await export(hn, hn.a.token("zhang"))).status_code == 403
    assert (await export(hn, leader, station_org_id=hn.b.station_id)).status_code == 403
    r = await export(hn, leader, date_from="2026-11-05", date_to="2026-11-01")
    assert r.status_code == 422 and r.json()["field"] == "date_to"
    settings = hn.platform.app("reporting").state.settings
    cap = settings.station_search_max_export_rows
    settings.station_search_max_export_rows = 2
    try:
        r = await export(hn, leader, project_name=corpus["p1"][:4])
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["type"].endswith("export-too-large")
        assert "3 records/documents match" in body["detail"] and f"project_name={corpus['p1'][:4]}" in body["detail"]
        assert "at most 2" in body["detail"]
        ok = await export(hn, leader, project_name=corpus["p1"][:4], kind="document")  # narrowed: 2 rows
        assert ok.status_code == 200
        assert openpyxl.load_workbook(io.BytesIO(ok.content)).active.max_row == 3
    finally:
        settings.station_search_max_export_rows = cap


# ---- read model: order and redelivery -------------------------------------------------------------

async def test_document_events_out_of_order_converge_without_going_back(hn: Hainan) -> None:
    pid = new_id()
    d = document(hn, project_id=pid, project_name=f"文昌航天城配套{pid[:4]}", when=at(6), status="pending_review",
                 reviewers=[hn.uid("wang")], repliers=[hn.uid("liu")])
    closed = DocumentClosed(document_id=d.document_id, number=d.number, project_id=pid, closed_at=at(9))
    reviewed = DocumentReviewed(document_id=d.document_id, number=d.number, project_id=pid,
                                reviewer=hn.person("wang"), decision="approve", status="issued",
                                submitted_by_user_id=hn.uid("zhang"), reviewed_at=at(7))
    await hn.publish(hn.event("notices.document.closed.v1", d.document_id, closed))
    await hn.publish(hn.event("notices.document.issued.v1", d.document_id, issued_of(d, at(7))))
    await hn.publish(hn.event("notices.document.reviewed.v1", d.document_id, reviewed))
    leader = hn.a.token("wang")
    assert await hn.ids(leader, project_id=pid) == []        # not listed before its content arrived
    await publish_document(hn, d)                             # the submission comes last
    [item] = expect(await hn.search(leader, project_id=pid), 200)["items"]
    assert item["status"] == "closed" and item["number"] == d.number and item["submitter_name"] == "张伟"

    rec = record(hn, project_id=pid, project_name=d.project_name, when=at(6), status="pending_review",
                 reviewers=[hn.uid("wang")], receivers=[hn.uid("liu")])
    rev = RecordReviewed(record_id=rec.record_id, project_id=pid, reviewer=hn.person("wang"), decision="approve",
                         status="issued", submitted_by_user_id=hn.uid("zhang"), reviewed_at=at(7))
    await hn.publish(hn.event("inspections.record.reviewed.v1", rec.record_id, rev))
    await publish_record(hn, rec)
    items = expect(await hn.search(leader, project_id=pid, kind="record"), 200)["items"]
    assert [(i["id"], i["status"]) for i in items] == [(rec.record_id, "issued")]


async def wait_drained(hn: Hainan) -> None:
    """Wait until the broker has no message left for reporting (a redelivered copy was acked)."""
    infra = hn.platform.infra.embedded
    if infra is None:
        return

    async def drained() -> bool:
        res = await asyncio.to_thread(rabbitmqctl, infra.cfg, "list_queues", "-p", infra.cfg.vhost, "name",
                                      "messages", "--quiet")
        rows = dict(line.split() for line in res.stdout.splitlines() if line.strip())
        return rows.get("reporting.read-models") == "0"

    await eventually(drained, timeout=30, interval=0.3)


# ---- 站内通知 --------------------------------------------------------------------------------------

async def test_document_lifecycle_notifies_each_party_once(hn: Hainan) -> None:
    pid = new_id()
    d = document(hn, project_id=pid, project_name=f"琼海博鳌会展中心{pid[:4]}", when=at(10), status="pending_review",
                 reviewers=[hn.uid("wang"), hn.uid("li")], repliers=[hn.uid("liu")],
                 receivers=[hn.uid("zhao"), hn.uid("liu")])
    await publish_document(hn, d)
    for who in ("wang", "li"):
        [n] = await hn.notifications(hn.a.token(who), document_id=d.document_id)
        assert n["kind"] == "document_to_review" and d.number in n["body"] and "张伟" in n["body"]
    assert await hn.notifications(hn.a.token("zhang"), document_id=d.document_id) == []

    issued = hn.event("notices.document.issued.v1", d.document_id, issued_of(d, at(11)))
    await hn.publish(issued)
    await hn.publish(issued, wait=False)        # the same event again, as a redelivery brings it
    await wait_drained(hn)
    [to_reply] = await hn.notifications(hn.a.token("liu"), document_id=d.document_id)
    assert to_reply["kind"] == "document_to_reply" and "2026年11月30日" in to_reply["body"]
    [received] = await hn.notifications(hn.a.token("zhao"), document_id=d.document_id)
    assert received["kind"] == "document_received"
    assert await hn.db["notifications"].count_documents({"tenant_id": "hainan", "event_id": issued["id"]}) == 2

    reply_id = new_id()
    await hn.publish(hn.event("notices.document.replied.v1", d.document_id, DocumentReplied(
        document_id=d.document_id, number=d.number, reply_id=reply_id, text="已补设临边防护栏杆",
        replied_by=hn.person("liu"), reviewer_user_id=hn.uid("zhang"), submitted_at=at(12))))
    [replied] = await hn.notifications(hn.a.token("zhang"), document_id=d.document_id)
    assert replied["kind"] == "document_replied" and replied["reply_id"] == reply_id and "刘洋" in replied["body"]

    await hn.publish(hn.event("notices.document.reply_reviewed.v1", d.document_id, DocumentReplyReviewed(
        document_id=d.document_id, number=d.number, reply_id=reply_id, replier_user_id=hn.uid("liu"),
        accepted=False, comment="防护栏杆高度不足1.2米", reviewed_by=hn.person("zhang"), reviewed_at=at(13))))
    verdict = await hn.notifications(hn.a.token("liu"), document_id=d.document_id, kind="document_reply_reviewed")
    assert len(verdict) == 1 and verdict[0]["passed"] is False and "1.2米" in verdict[0]["body"]

    esc = DocumentEscalated(document_id=d.document_id, number=d.number, document_type=d.document_type,
                            project_id=pid, project_name=d.project_name, station_org_id=hn.a.station_id,
                            escalation_id=new_id(), kind="bad_conduct_record",
                            escalation_number="琼安监不良〔2026〕0001号",
                            deadline=d.deadline, missing_replier_ids=[hn.uid("liu")], issuer_user_id=hn.uid("zhang"),
                            station_leader_ids=[hn.uid("wang"), hn.uid("zhang")], escalated_at=at(30, 16, 1))
    await hn.publish(hn.event("notices.document.escalated.v1", d.document_id, esc))
    for who in ("zhang", "wang"):               # the issuer is also a listed leader: told once
        told = await hn.notifications(hn.a.token(who), document_id=d.document_id, kind="document_escalated")
        assert len(told) == 1 and "不良行为记录琼安监不良〔2026〕0001号" in told[0]["body"]
    assert await hn.notifications(hn.a.token("liu"), document_id=d.document_id, kind="document_escalated") == []
    # nothing leaks to another tenant's user with the same role
    assert await hn.notifications(hn.hubei.token("wang"), document_id=d.document_id) == []


async def test_document_issued_without_review_notifies_no_reviewer(hn: Hainan) -> None:
    pid = new_id()
    d = document(hn, project_id=pid, project_name=f"万宁神州半岛酒店{pid[:4]}", when=at(10), repliers=[hn.uid("liu")])
    await publish_document(hn, d)
    await hn.publish(hn.event("notices.document.issued.v1", d.document_id, issued_of(d, at(10))))
    assert await hn.notifications(hn.a.token("wang"), document_id=d.document_id) == []
    assert [n["kind"] for n in await hn.notifications(hn.a.token("liu"), document_id=d.document_id)] == [
        "document_to_reply"]


async def users_known_to_inspections(hn: Hainan) -> None:
    w = hn.a
    ids = [p.user_id for p in w.people.values()]
    repo = hn.platform.app("inspections").state.mongo.repo("users", w.tenant)

    async def known() -> bool:
        async with hn.platform.api(w.token("zhang")) as c:
            r = await c.get(f"{INSPECTIONS}/projects", params={"limit": 100})
        assert r.status_code == 200, r.text
        return (w.project_id in [p["project_id"] for p in r.json()["items"]]
                and await repo.count({"_id": {"$in": ids}}) == len(ids))

    await eventually(known, timeout=30)


async def test_records_through_the_inspections_api_notify_reviewer_sender_and_receiver(hn: Hainan) -> None:
    """A real record (inspections API): the leader is told to review, the sender of the
    approval, the project manager of the release; the leader then finds it in the search."""
    w = hn.a
    await users_known_to_inspections(hn)
    async with hn.platform.api(w.token("zhang")) as c:
        rec = expect(await c.post(f"{INSPECTIONS}/records", data={
            "project_id": w.project_id, "check_type": "safety", "part_checked": "2#楼 基坑东侧",
            "supplement": "坡顶堆载超限", "report_recipient_ids": [w.people["wang"].user_id],
            "issue_recipient_ids": [w.people["liu"].user_id]},
            files=[("photos", ("site.jpg", site_photo(3), "image/jpeg"))]), 201)
    record_id = rec["id"]

    async def told(who: str, kind: str) -> list[dict[str, Any]]:
        async def arrived() -> list[dict[str, Any]]:
            return await hn.notifications(w.token(who), record_id=record_id, kind=kind)
        return await eventually(arrived, timeout=30)

    [to_review] = await told("wang", "record_to_review")
    assert "2#楼 基坑东侧" in to_review["body"] and "张伟" in to_review["body"]
    async with hn.platform.api(w.token("wang")) as c:
        expect(await c.post(f"{INSPECTIONS}/records/{record_id}/reviews", json={"decision": "approve"}), 201)
    [approved] = await told("zhang", "record_reviewed")
    assert approved["passed"] is True and "已下达" in approved["body"]
    [received] = await told("liu", "record_received")
    assert w.project["name"] in received["body"]

    async def searchable() -> dict[str, Any]:
        items = expect(await hn.search(w.token("wang"), project_id=w.project_id, kind="record"), 200)["items"]
        mine = [i for i in items if i["id"] == record_id and i["status"] == "issued"]
        return mine[0] if mine else {}

    item = await eventually(searchable, timeout=30)
    assert item["submitter_name"] == "张伟" and item["project_name"] == w.project["name"]
    for who in ("wang", "zhang", "liu"):   # exactly one notification each about this record
        assert len(await hn.notifications(w.token(who), record_id=record_id)) == 1


async def test_rejected_record_tells_the_sender_with_the_comment(hn: Hainan) -> None:
    pid = new_id()
    rec = record(hn, project_id=pid, project_name=f"五指山茶园综合体{pid[:4]}", when=at(14), status="pending_review",
                 reviewers=[hn.uid("wang")], receivers=[hn.uid("liu")])
    await publish_record(hn, rec)
    await hn.publish(hn.event("inspections.record.reviewed.v1", rec.record_id, RecordReviewed(
        record_id=rec.record_id, project_id=pid, reviewer=hn.person("wang"), decision="reject",
        comment="请补充5层照片", status="rejected", submitted_by_user_id=hn.uid("zhang"), reviewed_at=at(15))))
    [n] = await hn.notifications(hn.a.token("zhang"), record_id=rec.record_id)
    assert n["kind"] == "record_reviewed" and n["passed"] is False and "请补充5层照片" in n["body"]
    assert n["title"] == "监督检查记录审核未通过"
    assert await hn.notifications(hn.a.token("liu"), record_id=rec.record_id) == []  # never released


async def test_released_record_tells_each_receiver_once_even_when_redelivered(hn: Hainan) -> None:
    pid = new_id()
    rec = record(hn, project_id=pid, project_name=f"五指山茶园综合体{pid[:4]}", when=at(14), status="issued",
                 receivers=[hn.uid("liu"), hn.uid("zhao")])
    await publish_record(hn, rec)
    assert await hn.notifications(hn.a.token("wang"), record_id=rec.record_id) == []   # no reviewer named
    rel = hn.event("inspections.record.released.v1", rec.record_id, RecordReleased(
        record_id=rec.record_id, project_id=pid, station_org_id=hn.a.station_id,
        issue_recipient_ids=[hn.uid("liu"), hn.uid("zhao")], submitted_by_user_id=hn.uid("zhang"),
        released_at=at(14)))
    await hn.publish(rel)
    await hn.publish(rel, wait=False)
    await wait_drained(hn)
    for who in ("liu", "zhao"):
        [n] = await hn.notifications(hn.a.token(who), record_id=rec.record_id)
        assert n["kind"] == "record_received" and rec.project_name in n["body"] and "张伟" in n["body"]
