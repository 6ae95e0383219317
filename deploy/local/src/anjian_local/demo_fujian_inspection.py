"""``make demo``, Fujian part 2: a supervision company inspects its own site (监理单位自查,
FJ-04..FJ-11) over HTTP, on the projects, accounts and roles ``demo_fujian.play_fujian`` set up
(FJ-01..FJ-03: chief 林志强 of 福州滨海新城综合体, 王工 specialist engineer, 李工 site supervisor
and feedback person, 郑工 a colleague on the company's other project).

The province flags the scaffold tie-in check point as citing the 2024 major-hazard item; 林志强
creates an inspection and checks in; 郑工 joins by the QR code (a second scan is refused); the
checklist is answered with two "no" points and their photos, partly by the companion;
completed with confirmation; a notice not ordering work stopped is refused, the stop-work
notice goes to 李工, whose first feedback is sent back and second accepted; the timeline is
printed.

``play_fujian_inspection`` is also what the end-to-end test runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .demo import Say, poll
from .media import site_photo
from .scenario import ApiFactory, expect, sign_in

CHINA = ZoneInfo("Asia/Shanghai")
INSPECT = "/api/inspections/v1"
SITE = {"longitude": 119.5231, "latitude": 25.9614}
"""福州市长乐区滨海新城 (WGS-84)."""
MAJOR_POINT = "JGJ59-A.0.3-03"   # 扣件式钢管脚手架：架体与建筑结构拉结 → cites ZD2024-7.2 (未设置连墙件)
FIRE_POINT = "JGJ59-A.0.2-06"    # 文明施工：现场防火


async def play_fujian_inspection(api: ApiFactory, *, admin_password: str, fujian: dict[str, Any],
                                 say: Say = print) -> dict[str, Any]:
    """Play FJ-04..FJ-11 on ``fujian`` (``demo_fujian.play_fujian``'s result); returns the
    inspection id, its final status, the timeline's actions and the refusals met."""
    tokens, staff = fujian["tokens"], fujian["staff"]
    project_id = fujian["project_ids"][0]
    admin = await sign_in(api, "fujian", "admin", admin_password)
    say("Ⓕ⑤ 省管理员在检查要点库中将“架体与建筑结构拉结”关联重大事故隐患 ZD2024-7.2 (FJ-06)")
    async with api(admin) as c:
        point = expect(await c.patch(f"{INSPECT}/check-points/{MAJOR_POINT}", json={"hazard_codes": ["ZD2024-7.2"]}),
                       200)
    say(f"   {point['code']} {point['text']}：重大事故隐患 = {point['major']}")

    async with api(tokens["chief"]) as cc, api(tokens["zheng"]) as mc, api(tokens["li"]) as fc:
        say("Ⓕ⑥ 林志强新增检查（基本信息）并检查打卡 (FJ-04)")
        created: dict[str, Any] = {}

        async def create() -> bool:  # the roles reach inspections by event
            r = await cc.post(f"{INSPECT}/self-inspections", json={"project_id": project_id})
            if r.status_code == 201:
                created.update(r.json())
            return r.status_code == 201

        await poll(create, what="the project and its roles in inspections")
        iid = created["id"]
        doc = expect(await cc.post(f"{INSPECT}/self-inspections/{iid}/check-in", json={
            **SITE, "captured_at": datetime.now(CHINA).isoformat(timespec="seconds")}), 200)
        distance = doc["check_in"]["distance_m"]
        say(f"   {doc['title']}：已打卡 " + (f"（距项目定位 {distance:.0f} 米）" if distance is not None
                                           else "（项目尚未定位，距离不计）"))

        say("Ⓕ⑦ 查看二维码，同单位的郑工扫码同行检查 (FJ-05)")
        code = expect(await cc.post(f"{INSPECT}/self-inspections/{iid}/companion-codes"), 201)
        png = await cc.get(f"{INSPECT}/self-inspections/{iid}/companion-codes/qr.png", params={"token": code["token"]})
        joined = expect(await mc.post(f"{INSPECT}/self-inspections/companions", json={"token": code["token"]}), 200)
        again = await fc.post(f"{INSPECT}/self-inspections/companions", json={"token": code["token"]})
        reused = again.json()
        say(f"   二维码 PNG {len(png.content)} 字节，5 分钟有效、只能用一次；同行：{joined['companions'][0]['name']}；"
            f"再次扫码 → {again.status_code} {reused['code']}: {reused['title']}")

        say("Ⓕ⑧ 检查要点：两项“否”（问题描述、问题照片），其余“是”或“本次不检查”；逐项保存 (FJ-06/07)")
        points = expect(await cc.get(f"{INSPECT}/self-inspections/{iid}/points"), 200)["items"]
        for i, p in enumerate(points):
            if p["code"] in (MAJOR_POINT, FIRE_POINT):
                expect(await cc.put(f"{INSPECT}/self-inspections/{iid}/points/{p['code']}",
                                    data={"value": "no", "description": f"{p['text']}：现场不符合要求"},
                                    files=[("photos", (f"{p['code']}.jpg", site_photo(40 + i), "image/jpeg"))]), 200)
            else:
                who = cc if i % 3 else mc  # the companion answers part of the checklist
                expect(await who.put(f"{INSPECT}/self-inspections/{iid}/points/{p['code']}",
                                     data={"value": "yes" if i % 7 else "not_checked"}), 200)
        progress = expect(await cc.get(f"{INSPECT}/self-inspections/{iid}/points",
                                       params={"filled": "unanswered"}), 200)["progress"]
        say(f"   共 {progress['total']} 项：是 {progress['yes']}，否 {progress['no']}，本次不检查 "
            f"{progress['not_checked']}，其中重大事故隐患 {progress['major_hazards']}；未填写 {progress['unanswered']}")

        say("Ⓕ⑨ 完成检查 → 确认 (FJ-08)")
        expect(await cc.post(f"{INSPECT}/self-inspections/{iid}/complete", json={"confirm": True}), 200)

        say("Ⓕ⑩ 下发整改通知给项目反馈人李工；存在重大事故隐患，整改意见须责令停工 (FJ-09)")
        deadline = (datetime.now(CHINA).date() + timedelta(days=7)).isoformat()
        r = await cc.post(f"{INSPECT}/self-inspections/{iid}/notice", json={
            "feedback_user_id": staff["li"], "opinion": "请限期整改", "deadline": deadline})
        not_stopped = r.json()
        say(f"   “请限期整改” → {r.status_code} {not_stopped['code']}: {not_stopped['title']}")
        expect(await cc.post(f"{INSPECT}/self-inspections/{iid}/notice", json={
            "feedback_user_id": staff["li"], "opinion": "立即停工整改：按方案补设连墙件；更换过期灭火器。",
            "deadline": deadline}), 200)

        say("Ⓕ⑪ 李工的整改清单与整改反馈：第一次被退回，第二次通过后办结 (FJ-11)")
        todo = expect(await fc.get(f"{INSPECT}/rectifications"), 200)["items"]
        say(f"   整改清单：{[d['title'] for d in todo]}")
        first = expect(await fc.post(f"{INSPECT}/self-inspections/{iid}/feedback", data={"text": "已整改。"},
                                     files=[("photos", ("after-1.jpg", site_photo(51), "image/jpeg"))]), 201)
        expect(await cc.post(f"{INSPECT}/self-inspections/{iid}/feedback/{first['id']}/review",
                             json={"decision": "reject", "comment": "照片未反映连墙件，请补拍"}), 200)
        second = expect(await fc.post(
            f"{INSPECT}/self-inspections/{iid}/feedback", data={"text": "已按方案补设连墙件并更换灭火器，附照片。"},
            files=[("photos", ("after-2.jpg", site_photo(52), "image/jpeg"))]), 201)
        expect(await cc.post(f"{INSPECT}/self-inspections/{iid}/feedback/{second['id']}/review",
                             json={"decision": "approve"}), 200)

        say("Ⓕ⑫ 流程跟踪 (FJ-10)")
        timeline = expect(await cc.get(f"{INSPECT}/self-inspections/{iid}/timeline"), 200)
        for e in timeline:
            at = datetime.fromisoformat(e["at"]).astimezone(CHINA).strftime("%H:%M:%S")
            say(f"   {at} {e['label']}（{(e.get('by') or {}).get('name') or '系统'}）")
        final = expect(await cc.get(f"{INSPECT}/self-inspections/{iid}"), 200)
    return {"inspection_id": iid, "status": final["status"], "timeline": [e["action"] for e in timeline],
            "reused_token": reused["code"], "not_stopped": not_stopped["code"], "project_id": project_id}
