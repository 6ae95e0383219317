"""``make demo``, Hainan part: mobile supervision (HN-03..HN-11) over HTTP, as real users would.

A Haikou station's supervisor 张伟 and leader 王强, the contractor's project manager 刘洋
and the supervision company's chief engineer 赵敏:

the owner files a second project online (网上报监, HN-01): 张伟 returns it once with a reason, the
owner corrects it, 张伟 accepts and assigns himself; only then does 刘洋 see it → project
positioning (HN-03) → 刘洋 clocks in, 张伟 checks attendance (HN-11) → a
supervision record with an annotated photo, reviewed by 王强 and issued to 刘洋 (HN-04..06)
→ a 整改通知 from the record's draft, approved by 王强, replied to by 刘洋 (rejected once,
then accepted) and by 赵敏 → closed (HN-07..09) → a 停工通知 entered after the fact
(补录) with yesterday's deadline that nobody answered → the platform's escalation sweep
produces a 处罚建议书 and tells 张伟 and 王强 → 王强 searches the station and exports
the result to XLSX (HN-10).

``play_hainan`` is also what the end-to-end test runs.
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .demo import Say, poll
from .media import site_photo
from .scenario import HAIKOU, PASSWORD, ApiFactory, World, build_world, expect, sign_in

CHINA = ZoneInfo("Asia/Shanghai")
SITE = {"longitude": 110.3893, "latitude": 20.0442}
"""海口江东新区 (WGS-84)."""


async def play_hainan(api: ApiFactory, *, admin_password: str, out_dir: Path, say: Say = print,
                      escalation_timeout: float = 150) -> dict[str, Any]:
    """Play the Hainan flow; returns ids, numbers, statuses and the XLSX path.

    ``escalation_timeout`` (seconds) bounds the wait for the notices service's periodic
    escalation sweep (``ANJIAN_ESCALATION_INTERVAL_SECONDS``, 60 by default)."""
    say("Ⓗ① 海南省管理员登记海口监督站、参建单位和人员；张伟登记项目")
    world: World = await build_world(api, admin_password=admin_password, tenant="hainan", place=HAIKOU)
    zhang, wang, liu, zhao = (world.people[k] for k in ("zhang", "wang", "liu", "zhao"))
    project_id = world.project_id
    today = datetime.now(CHINA).date()
    say(f"   项目 {world.project['name']}，监督员 {zhang.name}，站长 {wang.name}，项目经理 {liu.name}，"
        f"总监 {zhao.name}")

    await play_online_filing(api, world, admin_password=admin_password, say=say)

    async with api(zhang.token) as zc, api(wang.token) as wc, api(liu.token) as lc, api(zhao.token) as jc:
        say("Ⓗ② 工程定位：封面照片、经纬度、地址 (HN-03)")
        positioned = expect(await zc.put(
            f"/api/projects/v1/projects/{project_id}/positioning",
            data={**{k: str(v) for k, v in SITE.items()}, "address": HAIKOU.address,
                  "captured_at": datetime.now(CHINA).isoformat(timespec="seconds")},
            files=[("cover_photo", ("cover.jpg", site_photo(21), "image/jpeg"))]), 200)
        say(f"   定位 {positioned['longitude']}, {positioned['latitude']}（{positioned['address']}）")

        say("Ⓗ③ 关键岗位人员打卡，监督员查岗 (HN-11)")
        expect(await lc.post(f"/api/projects/v1/projects/{project_id}/clock-ins",
                             json={"longitude": SITE["longitude"] + 0.0003, "latitude": SITE["latitude"],
                                   "address": "项目部"}), 201)
        check = expect(await zc.post(f"/api/projects/v1/projects/{project_id}/attendance-checks",
                                     json={"user_ids": [liu.user_id, zhao.user_id], "window_minutes": 120}), 201)
        for r in check["results"]:
            where = f"，距项目 {r['distance_m']:.0f} 米" if r.get("distance_m") is not None else ""
            say(f"   {r.get('name') or r['user_id']}: {r['status']}{where}")

        say("Ⓗ④ 监督上报：安全检查记录（标注照片），上报站长审核，下达项目经理，同时准备整改通知 (HN-04)")
        terms = expect(await zc.get("/api/inspections/v1/terms", params={"check_type": "safety", "q": "临边"}),
                       200)["items"]
        violations = expect(await zc.get("/api/inspections/v1/violations", params={"q": "基坑"}), 200)["items"]
        form = {"project_id": project_id, "check_type": "safety", "part_checked": "2#楼 12层 主体结构施工",
                "term_codes": json.dumps([t["code"] for t in terms[:1]]),
                "violation_codes": json.dumps([v["code"] for v in violations[:1]]),
                "supplement": "东侧临边防护栏杆缺失，未设挡脚板。",
                "annotations": json.dumps([[{"type": "rect", "coords": [40, 60, 300, 200]},
                                            {"type": "text", "coords": [40, 220], "text": "临边无防护"}]]),
                "report_recipient_ids": wang.user_id, "issue_recipient_ids": liu.user_id,
                "also_issue_notice": "true"}

        async def submit_record() -> dict[str, Any] | None:
            r = await zc.post("/api/inspections/v1/records", data=form,
                              files=[("photos", ("edge.jpg", site_photo(22), "image/jpeg"))])
            if r.status_code == 409 and "not-yet-available" in r.text:  # inspections still learning the project
                return None
            return expect(r, 201)

        record = await poll(submit_record, what="inspections to learn the project")
        say(f"   记录 {record['id']} 状态 {record['status']}，引用 {len(record['terms'])} 条术语、"
            f"{len(record['violations'])} 条违法违规行为")

        say("Ⓗ⑤ 站长审核通过，记录下达项目经理 (HN-05/06)")
        expect(await wc.post(f"/api/inspections/v1/records/{record['id']}/reviews",
                             json={"decision": "approve", "comment": "同意下达"}), 201)
        received = expect(await lc.get("/api/inspections/v1/records/views/received", params={"box": "issued"}),
                          200)["items"]
        assert any(r["id"] == record["id"] for r in received), "the record must reach the project manager"
        say(f"   {liu.name} 的「我接收的·下达接收」中有该记录")

        say("Ⓗ⑥ 以记录为依据下发整改通知：站长审核后下达，回复人 项目经理 + 总监 (HN-07)")
        draft = record["notice_draft"]

        async def submit_document(body: dict[str, Any]) -> dict[str, Any] | None:
            r = await zc.post("/api/notices/v1/documents", json=body)
            if r.status_code == 409 and ("not-yet-available" in r.text or "record-not-released" in r.text):
                return None  # notices still learning the record (or its approval) / project from their events
            return expect(r, 201)

        rectification = await poll(lambda: submit_document({
            "document_type": draft["document_type"], "project_id": draft["project_id"],
            "record_id": draft["record_id"], "addressed_org_ids": draft["addressed_org_ids"],
            "details": draft["details"] + " 请于期限内整改完毕并回复。",
            "deadline": (today + timedelta(days=3)).isoformat(),
            "replier_user_ids": [liu.user_id, zhao.user_id], "report_recipient_ids": [wang.user_id]}),
            what="notices to learn the record")
        doc_id = rectification["id"]
        say(f"   {rectification['number']} {rectification['document_type_label']}，状态 {rectification['status']}")
        expect(await wc.post(f"/api/notices/v1/documents/{doc_id}/reviews",
                             json={"decision": "approve", "comment": "同意下发"}), 201)
        to_reply = expect(await lc.get("/api/notices/v1/documents/views/to-reply"), 200)["items"]
        assert any(d["id"] == doc_id for d in to_reply), "the document must wait for the project manager's reply"
        counts = expect(await lc.get("/api/notices/v1/documents/views/counts"), 200)
        say(f"   站长审核通过；{liu.name}「需我回复的」角标：{json.dumps(counts, ensure_ascii=False)}")

        say("Ⓗ⑦ 回复与审核：项目经理首次回复被退回，再次回复通过；总监回复通过 → 办结 (HN-09)")

        async def reply(client: Any, text: str, seed: int) -> dict[str, Any]:
            return expect(await client.post(f"/api/notices/v1/documents/{doc_id}/replies", data={"text": text},
                                            files=[("photos", ("fixed.jpg", site_photo(seed), "image/jpeg"))]), 201)

        async def review(reply_id: str, accepted: bool, comment: str | None = None) -> dict[str, Any]:
            body: dict[str, Any] = {"accepted": accepted}
            if comment:
                body["comment"] = comment
            return expect(await zc.post(f"/api/notices/v1/documents/{doc_id}/replies/{reply_id}/reviews",
                                        json=body), 201)

        first = await reply(lc, "已在12层东侧补设防护栏杆。", 23)
        await review(first["id"], False, "未见挡脚板，请补设后重新回复。")
        second = await reply(lc, "已补设防护栏杆及180mm挡脚板，附整改后照片。", 24)
        await review(second["id"], True)
        chief = await reply(jc, "监理已复查，整改到位。", 25)
        await review(chief["id"], True)
        closed = expect(await zc.get(f"/api/notices/v1/documents/{doc_id}"), 200)
        mine = expect(await lc.get("/api/notices/v1/documents/replies/views/mine"), 200)["items"]
        reviewed = expect(await zc.get("/api/notices/v1/documents/replies/views/reviewed"), 200)["items"]
        say(f"   {closed['number']} 状态 {closed['status_label']}；{liu.name}「我回复的」{len(mine)} 条，"
            f"{zhang.name}「我审核的」{len(reviewed)} 条")

        say("Ⓗ⑧ 补录停工通知（期限为昨天），无人回复 → 平台自动生成处罚建议书 (HN-07)")
        stop = await poll(lambda: submit_document({
            "document_type": "stop_work", "project_id": project_id, "record_id": record["id"],
            "addressed_org_ids": [world.contractor_id], "details": "2#楼临边防护缺失，责令停工整改。",
            "deadline": (today - timedelta(days=1)).isoformat(), "backdated": True,
            "replier_user_ids": [liu.user_id]}), what="the stop-work document")
        say(f"   {stop['number']} {stop['document_type_label']}，期限 {stop['deadline']}，已逾期="
            f"{stop['overdue']}；等待升级处理（通知服务定时巡检）…")

        async def escalated() -> dict[str, Any] | None:
            r = await zc.get(f"/api/notices/v1/documents/{stop['id']}/escalation")
            return r.json() if r.status_code == 200 else None

        escalation = await poll(escalated, what="the escalation sweep", timeout=escalation_timeout)
        say(f"   {escalation['kind_label']} {escalation['number']}（依据 {escalation['document_number']}）")

        async def leader_told() -> Any:
            items = expect(await wc.get("/api/reporting/v1/notifications"), 200)["items"]
            return [n for n in items if n.get("document_id") == stop["id"]]

        note = (await poll(leader_told, what="the station leader's notification"))[0]
        say(f"   {wang.name} 的站内通知：{note['title']}")

        say("Ⓗ⑨ 站长按项目名称和日期查询本站记录和文书，并导出 Excel (HN-10)")
        params = {"project_name": HAIKOU.project[:6], "date_from": today.isoformat(),
                  "date_to": today.isoformat()}

        async def found_all() -> Any:
            items = expect(await wc.get("/api/reporting/v1/station-search", params={**params, "limit": 50}),
                           200)["items"]
            ids = {i["id"] for i in items if i["project_id"] == project_id}
            return items if {record["id"], doc_id, stop["id"]} <= ids else None

        items = await poll(found_all, what="reporting's station search")
        xlsx = await wc.get("/api/reporting/v1/station-search.xlsx", params=params)
        if xlsx.status_code != 200:
            raise AssertionError(f"station-search.xlsx → {xlsx.status_code}: {xlsx.text[:300]}")
        out_dir.mkdir(parents=True, exist_ok=True)
        xlsx_path = out_dir / f"station-search-{time.strftime('%Y%m%d-%H%M%S')}.xlsx"
        xlsx_path.write_bytes(xlsx.content)
        for i in items:
            if i["project_id"] == project_id:
                say(f"   {i['type_label']} {i['number'] or i['id'][:8]} {i['status_label']}"
                    + (f" → {i['escalation']['number']}" if i.get("escalation") else ""))
        say(f"   Excel 已写入 {xlsx_path}（{len(xlsx.content)} 字节）")

    return {"world": world, "record_id": record["id"], "document_id": doc_id, "document_number": closed["number"],
            "document_status": closed["status"], "stop_work_id": stop["id"], "escalation": escalation,
            "search_items": len(items), "xlsx_path": xlsx_path, "played_on": date.today().isoformat()}


async def play_online_filing(api: ApiFactory, world: World, *, admin_password: str, say: Say = print) -> dict[str, Any]:
    """HN-01 网上报监: the owner's representative files a project with its parties and personnel;
    张伟 returns it with a reason, the owner corrects and resubmits, 张伟 accepts and assigns
    himself: the project is registered and 刘洋 (its project manager) sees it. Returns the filing."""
    say("Ⓗ①′ 网上报监：建设单位填报工程及参建单位人员，监督站退回一次后受理并分配监督员 (HN-01)")
    admin = await sign_in(api, world.tenant, "admin", admin_password)
    username = f"owner.{world.owner_id[:8]}"
    async with api(admin) as c:
        expect(await c.post("/api/identity/v1/users", json={
            "org_id": world.owner_id, "username": username, "display_name": "陈业主", "password": PASSWORD,
            "roles": ["company_admin"]}), 201)
    owner = await sign_in(api, world.tenant, username, PASSWORD)
    zhang, liu, zhao = (world.people[k] for k in ("zhang", "liu", "zhao"))
    form = {"name": "海口江东新区安居房一期", "address": "海口市美兰区", "station_org_id": world.station_id,
            "contractor_org_id": world.contractor_id, "supervision_org_id": world.supervision_id,
            "participants": [{"user_id": liu.user_id, "project_role": "project_manager"},
                             {"user_id": zhao.user_id, "project_role": "chief_supervising_engineer"}]}
    async with api(owner) as oc, api(zhang.token) as zc, api(liu.token) as lc:
        async def filed() -> dict[str, Any] | None:  # the new user reaches projects in a moment
            r = await oc.post("/api/projects/v1/filings", json=form)
            return r.json() if r.status_code == 201 else None

        filing = await poll(filed, what="the online filing")
        fid = filing["id"]
        expect(await oc.post(f"/api/projects/v1/filings/{fid}/submit"), 200)
        returned = expect(await zc.post(f"/api/projects/v1/filings/{fid}/decisions",
                                        json={"action": "return", "comment": "工程地址请写到门牌号"}), 200)
        say(f"   {returned['stage_label']}：{returned['decision']}")
        expect(await oc.put(f"/api/projects/v1/filings/{fid}", json={**form, "address": "海口市美兰区江东大道 1 号"}),
               200)
        expect(await oc.post(f"/api/projects/v1/filings/{fid}/submit"), 200)
        before = expect(await lc.get("/api/projects/v1/projects", params={"q": "安居房"}), 200)["items"]
        accepted = expect(await zc.post(f"/api/projects/v1/filings/{fid}/decisions", json={
            "action": "accept", "supervisor_user_ids": [zhang.user_id]}), 200)
        after = expect(await lc.get("/api/projects/v1/projects", params={"q": "安居房"}), 200)["items"]
    say(f"   {accepted['stage_label']}：项目 {accepted['project_id'][:8]}…；{liu.name} 受理前可见 {len(before)} 个，"
        f"受理后 {len(after)} 个")
    return accepted
