"""``make demo``, Fujian part: supervision companies inspect their own sites (监理单位自查,
FJ-04..FJ-11) over HTTP, as real users would.

Set-up (FJ-01..03, the projects and identity services): the Fujian admin registers the
Changle station (division 350112) with its leader and supervisor; the province's platform,
a partner client with scope ``projects:sync``, pushes an assessable project of a supervision
company with its administrator and chief engineer; both sign in with a one-time code (the
development SMS gateway); the company admin adds a specialist engineer (also the feedback
person), a site supervisor and a colleague and gives them their project roles; the station's
supervisor positions the project.

The self-inspection: the chief (林总监) creates an inspection and checks in (distance from the
project's position), a colleague joins by the QR code, the checklist is answered with two
"no" points and their photos (one a 重大事故隐患 the province flagged), completed with
confirmation, a stop-work rectification notice goes to the feedback person, whose first
feedback is sent back and second accepted; the timeline is printed; the station leader
reads the overview (projects without a self-inspection, 五个一).

``play_fujian`` is also what the end-to-end test runs.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from anjian_shared import credit_code

from .demo import Say
from .media import site_photo
from .scenario import PASSWORD, ApiFactory, expect, sign_in

CHINA = ZoneInfo("Asia/Shanghai")
SITE = {"longitude": 119.5231, "latitude": 25.9614}
"""福州市长乐区 (WGS-84)."""
INSPECT = "/api/inspections/v1"
MAJOR_POINT = "JGJ59-A.0.3-03"   # 扣件式钢管脚手架：架体与建筑结构拉结 → flagged with ZD2024-7.2 (未设置连墙件)
FIRE_POINT = "JGJ59-A.0.2-06"    # 文明施工：现场防火


def _credit_code() -> str:
    """A valid unified social credit code (GB 32100) for the demo company (Fuzhou, random)."""
    body = "91350100" + "".join(secrets.choice(credit_code.ALPHABET) for _ in range(9))
    return body + credit_code.check_character(body)


def _mobile() -> str:
    return "139" + "".join(secrets.choice("0123456789") for _ in range(8))


async def otp_sign_in(api: ApiFactory, tenant: str, mobile: str) -> str:
    """FJ-01: request a code, read it from the development SMS gateway, sign in with it."""
    async with api() as c:
        expect(await c.post("/api/identity/v1/otp", json={"tenant": tenant, "mobile": mobile}), 202)
        messages = expect(await c.get("/api/identity/v1/dev/sms", params={"tenant": tenant}), 200)
        code = max((m for m in messages if m["mobile"] == mobile), key=lambda m: str(m["at"]))["code"]
        return expect(await c.post("/api/identity/v1/sessions/otp",
                                   json={"tenant": tenant, "mobile": mobile, "code": code}), 200)["access_token"]


async def prepare_fujian(api: ApiFactory, *, admin_password: str, say: Say = print) -> dict[str, Any]:
    """FJ-01..03 set-up over the projects and identity APIs; returns tokens, ids and names."""
    tenant, sfx = "fujian", secrets.token_hex(3)
    admin = await sign_in(api, tenant, "admin", admin_password)
    say("Ⓕ① 福建省管理员登记长乐区监督站（站长、监督员）；一体化平台接入（scope projects:sync）")
    async with api(admin) as c:
        station = expect(await c.post("/api/identity/v1/organizations", json={
            "name": f"福州市长乐区建设工程质量安全监督站{sfx}", "kind": "station", "division_code": "350112"}), 201)
        people: dict[str, str] = {}
        for key, name, roles in (("leader", "郑站长", ["station_leader"]), ("sup", "何监督", ["supervisor"])):
            username = f"fj-{key}.{sfx}"
            expect(await c.post("/api/identity/v1/users", json={
                "org_id": station["id"], "username": username, "display_name": name, "password": PASSWORD,
                "roles": roles}), 201)
            people[key] = username
        client = expect(await c.post("/api/identity/v1/clients", json={
            "name": f"福建省建设工程监管一体化平台{sfx}", "scopes": ["projects:sync"]}), 201)
        platform_token = expect(await c.post("/api/identity/v1/oauth/token", data={
            "grant_type": "client_credentials", "client_id": client["client_id"],
            "client_secret": client["client_secret"]}), 200)["access_token"]
        # the province marks the scaffold tie-in point as citing the 2024 major-hazard item (FJ-06)
        expect(await c.patch(f"{INSPECT}/check-points/{MAJOR_POINT}", json={"hazard_codes": ["ZD2024-7.2"]}), 200)
    chief_mobile, admin_mobile = _mobile(), _mobile()
    code = _credit_code()
    say("Ⓕ② 一体化平台推送在建可评价项目、监理单位（管理员）和总监理工程师 (FJ-01)")
    async with api(platform_token) as c:
        pushed = expect(await c.post("/api/projects/v1/platform/projects", json={"projects": [{
            "platform_code": f"FJ-DEMO-{sfx}", "name": f"福州滨海新城综合体{sfx}", "address": "福州市长乐区滨海大道",
            "assessable": True, "division_code": "350112",
            "supervision_company": {"credit_code": code, "name": f"福建闽江工程监理有限公司{sfx}",
                                    "administrator": {"name": "陈明", "mobile": admin_mobile}},
            "chief_engineer": {"name": "林总监", "mobile": chief_mobile}}]}), 200)["results"][0]
    project_id = pushed["project_id"]
    say(f"   项目 {project_id}（{pushed['outcome']}）")
    say("Ⓕ③ 总监与监理单位管理员以手机验证码登录 (FJ-01)")
    tokens = {"chief": await _retry_otp(api, tenant, chief_mobile),
              "jladmin": await _retry_otp(api, tenant, admin_mobile)}
    say("Ⓕ④ 管理员新增企业人员并设置项目角色：专监（兼反馈人）、监理员；同事 (FJ-03)")
    async with api(tokens["jladmin"]) as c:
        me = expect(await c.get("/api/identity/v1/me"), 200)
        org_id = me["org_id"]
        ids: dict[str, str] = {}
        for key, name in (("fb", "黄专监"), ("site", "陈监理员"), ("mate", "吴同事")):
            username = f"fj-{key}.{sfx}"
            user = expect(await c.post("/api/identity/v1/users", json={
                "org_id": org_id, "username": username, "display_name": name, "password": PASSWORD,
                "roles": ["company_staff"]}), 201)
            ids[key] = user["id"]
            people[key] = username
    for key in ("fb", "site", "mate", "leader", "sup"):
        tokens[key] = await sign_in(api, tenant, people[key], PASSWORD)
    async with api(tokens["jladmin"]) as c:
        for body in ({"user_id": ids["fb"], "project_role": "specialist_supervising_engineer", "discipline": "房建"},
                     {"user_id": ids["fb"], "project_role": "feedback_person"},
                     {"user_id": ids["site"], "project_role": "site_supervisor"}):
            await _eventually_ok(c, "post", f"/api/projects/v1/projects/{project_id}/supervision-staff", json=body)
    say("Ⓕ⑤ 监督员工程定位 (HN-03)")
    async with api(tokens["sup"]) as c:
        r = await c.put(f"/api/projects/v1/projects/{project_id}/positioning",
                        data={**{k: str(v) for k, v in SITE.items()}, "address": "福州市长乐区滨海大道",
                              "captured_at": datetime.now(CHINA).isoformat(timespec="seconds")},
                        files=[("cover_photo", ("cover.jpg", site_photo(31), "image/jpeg"))])
        say("   已定位" if r.status_code == 200 else f"   未定位（{r.status_code}），打卡距离不计")
    return {"tenant": tenant, "project_id": project_id, "tokens": tokens, "ids": ids}


async def _retry_otp(api: ApiFactory, tenant: str, mobile: str) -> str:
    """The account opens when identity has the platform's event: retry a few seconds."""
    for _ in range(60):
        try:
            return await otp_sign_in(api, tenant, mobile)
        except (AssertionError, ValueError):
            await asyncio.sleep(0.5)
    return await otp_sign_in(api, tenant, mobile)


async def _eventually_ok(c: Any, method: str, url: str, **kw: Any) -> dict[str, Any]:
    for _ in range(60):
        r = await getattr(c, method)(url, **kw)
        if r.status_code < 300:
            return r.json()
        if r.status_code not in (404, 409, 422):
            break
        await asyncio.sleep(0.5)
    return expect(r, 200)


async def play_fujian(api: ApiFactory, *, admin_password: str, say: Say = print,
                      prepared: dict[str, Any] | None = None) -> dict[str, Any]:
    """Play the Fujian self-inspection flow; returns the inspection id, its final status and
    timeline, and the station overview."""
    site = prepared or await prepare_fujian(api, admin_password=admin_password, say=say)
    t, pid = site["tokens"], site["project_id"]
    async with api(t["chief"]) as cc, api(t["mate"]) as mc, api(t["fb"]) as fc:
        say("Ⓕ⑥ 新增检查并检查打卡 (FJ-04)")
        r = None
        for _ in range(120):  # the project and its roles reach inspections by event
            r = await cc.post(f"{INSPECT}/self-inspections", json={"project_id": pid})
            if r.status_code == 201:
                break
            await asyncio.sleep(0.5)
        doc = expect(r, 201)
        iid = doc["id"]
        doc = expect(await cc.post(f"{INSPECT}/self-inspections/{iid}/check-in", json={
            "longitude": SITE["longitude"] + 0.0004, "latitude": SITE["latitude"],
            "captured_at": datetime.now(CHINA).isoformat(timespec="seconds")}), 200)
        distance = doc["check_in"]["distance_m"]
        say(f"   {doc['title']}：打卡" + (f"，距项目 {distance:.0f} 米" if distance is not None else ""))

        say("Ⓕ⑦ 同行人扫码加入 (FJ-05)")
        code = expect(await cc.post(f"{INSPECT}/self-inspections/{iid}/companion-codes"), 201)
        png = await cc.get(f"{INSPECT}/self-inspections/{iid}/companion-codes/qr.png", params={"token": code["token"]})
        joined = expect(await mc.post(f"{INSPECT}/self-inspections/companions", json={"token": code["token"]}), 200)
        again = await mc.post(f"{INSPECT}/self-inspections/companions", json={"token": code["token"]})
        say(f"   二维码 PNG {len(png.content)} 字节；同行：{', '.join(p['name'] for p in joined['companions'])}；"
            f"再次扫码：{again.status_code} {again.json().get('code')}")

        say("Ⓕ⑧ 检查要点：两项“否”（问题描述和照片），其余“是”或“本次不检查”；暂存后继续 (FJ-06/07)")
        points = expect(await cc.get(f"{INSPECT}/self-inspections/{iid}/points"), 200)["items"]
        for i, p in enumerate(points):
            if p["code"] in (MAJOR_POINT, FIRE_POINT):
                expect(await cc.put(f"{INSPECT}/self-inspections/{iid}/points/{p['code']}",
                                    data={"value": "no", "description": f"{p['text']}：现场不符合要求"},
                                    files=[("photos", (f"{p['code']}.jpg", site_photo(40 + i), "image/jpeg"))]), 200)
            else:
                by = cc if i % 2 else mc  # the companion fills in part of the checklist
                expect(await by.put(f"{INSPECT}/self-inspections/{iid}/points/{p['code']}",
                                    data={"value": "yes" if i % 5 else "not_checked"}), 200)
        progress = expect(await cc.get(f"{INSPECT}/self-inspections/{iid}/points",
                                       params={"filled": "unanswered"}), 200)["progress"]
        say(f"   共 {progress['total']} 项：是 {progress['yes']}，否 {progress['no']}，本次不检查 "
            f"{progress['not_checked']}，重大事故隐患 {progress['major_hazards']}")

        say("Ⓕ⑨ 完成检查 → 确认 (FJ-08)")
        expect(await cc.post(f"{INSPECT}/self-inspections/{iid}/complete", json={"confirm": True}), 200)

        say("Ⓕ⑩ 下发整改通知：含重大事故隐患，须责令停工 (FJ-09)")
        deadline = (datetime.now(CHINA).date() + timedelta(days=7)).isoformat()
        refused = await cc.post(f"{INSPECT}/self-inspections/{iid}/notice", json={
            "feedback_user_id": site["ids"]["fb"], "opinion": "请限期整改", "deadline": deadline})
        say(f"   未责令停工的意见被拒：{refused.status_code} {refused.json().get('code')}")
        expect(await cc.post(f"{INSPECT}/self-inspections/{iid}/notice", json={
            "feedback_user_id": site["ids"]["fb"], "opinion": "立即停工整改：补设连墙件；更换过期灭火器。",
            "deadline": deadline}), 200)

        say("Ⓕ⑪ 反馈人整改清单与整改反馈：第一次退回，第二次通过 (FJ-11)")
        todo = expect(await fc.get(f"{INSPECT}/rectifications"), 200)["items"]
        say(f"   整改清单 {len(todo)} 项")
        first = expect(await fc.post(f"{INSPECT}/self-inspections/{iid}/feedback", data={"text": "已整改。"},
                                     files=[("photos", ("after-1.jpg", site_photo(51), "image/jpeg"))]), 201)
        expect(await cc.post(f"{INSPECT}/self-inspections/{iid}/feedback/{first['id']}/review",
                             json={"decision": "reject", "comment": "照片未反映连墙件，请补拍"}), 200)
        second = expect(await fc.post(
            f"{INSPECT}/self-inspections/{iid}/feedback", data={"text": "已按方案补设连墙件并更换灭火器，附验收照片。"},
            files=[("photos", ("after-2.jpg", site_photo(52), "image/jpeg"))]), 201)
        expect(await cc.post(f"{INSPECT}/self-inspections/{iid}/feedback/{second['id']}/review",
                             json={"decision": "approve"}), 200)

        say("Ⓕ⑫ 流程跟踪 (FJ-10)")
        timeline = expect(await cc.get(f"{INSPECT}/self-inspections/{iid}/timeline"), 200)
        for e in timeline:
            at = datetime.fromisoformat(e["at"]).astimezone(CHINA).strftime("%H:%M:%S")
            who = (e.get("by") or {}).get("name") or "系统"
            say(f"   {at} {e['label']}（{who}）")
        final = expect(await cc.get(f"{INSPECT}/self-inspections/{iid}"), 200)
    async with api(t["leader"]) as lc:
        say("Ⓕ⑬ 监督站查看监理自查情况与未按期自查项目（五个一）")
        overview = expect(await lc.get(f"{INSPECT}/self-inspection-overview"), 200)
        for company in overview["companies"]:
            say(f"   监理单位 {company['supervision_org_id']}: 自查 {company['inspections']} 次，隐患 "
                f"{company['hazards']}，整改中 {company['notices_open']}，逾期 {company['notices_overdue']}")
        say(f"   {overview['period_days']} 天内未自查项目 {len(overview['projects_without_inspection'])} 个")
    return {"inspection_id": iid, "status": final["status"], "timeline": [e["action"] for e in timeline],
            "overview": overview, "project_id": pid}
