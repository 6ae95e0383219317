"""``make demo``, Fujian part: projects and people from the province (FJ-01..FJ-03) over HTTP.

The province administrator registers the integration platform (一体化平台) as a partner
client with the scope ``projects:sync``; the platform pushes two 在建可评价 projects of
福建闽江工程监理 (and pushes them again: nothing changes); identity opens the accounts of the
company's administrator 陈明 and of the chief engineers by themselves; 林总 signs in with a
one-time code (read from the development SMS gateway) and sees the project he leads; a
sign-in with a number the platform did not register is refused clearly; 陈明 signs in by
code, adds three of the company's people and gives the project roles — making one person
specialist engineer on one project and site supervisor on the other is refused.

``play_fujian`` is also what the end-to-end test runs; its result (projects, tokens, staff)
is what the Fujian inspection part of the demo builds on.
"""

from __future__ import annotations

import secrets
from typing import Any

from anjian_shared import credit_code

from .demo import Say, poll
from .scenario import PASSWORD, ApiFactory, expect, sign_in

T = "fujian"


def _mobile() -> str:
    return f"139{secrets.randbelow(10 ** 8):08d}"


def _credit_code() -> str:
    first17 = "91350100MA" + "".join(secrets.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(7))
    return first17 + credit_code.check_character(first17)


async def code_sign_in(api: ApiFactory, mobile: str, *, say: Say) -> str:
    """Ask identity for a code (waiting until the account is open), read it from the
    development SMS gateway, sign in with it; returns the access token."""
    async with api() as c:
        async def ask() -> bool:
            r = await c.post("/api/identity/v1/otp", json={"tenant": T, "mobile": mobile})
            return r.status_code == 202
        await poll(ask, what=f"the account of {mobile}")
        [sms, *_] = expect(await c.get("/api/identity/v1/dev/sms", params={"tenant": T, "mobile": mobile}), 200)
        say(f"   短信（开发网关）→ {mobile}: {sms['text']}")
        tokens = expect(await c.post("/api/identity/v1/sessions/otp",
                                     json={"tenant": T, "mobile": mobile, "code": sms["code"]}), 200)
    return str(tokens["access_token"])


async def play_fujian(api: ApiFactory, *, admin_password: str, say: Say = print) -> dict[str, Any]:
    """Play FJ-01..FJ-03; returns ``{"projects": {code: id}, "company_org_id", "tokens":
    {"admin", "chief", "chief2", <staff keys>}, "staff": {key: user_id}, "mobiles": {…}}``."""
    sfx = secrets.token_hex(3)
    mobiles = {"admin": _mobile(), "chief": _mobile(), "chief2": _mobile()}
    company = {"credit_code": _credit_code(), "name": f"福建闽江工程监理有限公司{sfx}",
               "administrator": {"name": "陈明", "mobile": mobiles["admin"]}}
    batch = [
        {"platform_code": f"FJ-{sfx}-01", "name": "福州滨海新城综合体", "address": "福州市长乐区滨海新城",
         "assessable": True, "division_code": "350112", "supervision_company": company,
         "chief_engineer": {"name": "林志强", "mobile": mobiles["chief"]}},
        {"platform_code": f"FJ-{sfx}-02", "name": "厦门翔安学校扩建工程", "address": "厦门市翔安区",
         "assessable": True, "division_code": "350213", "supervision_company": company,
         "chief_engineer": {"name": "黄建华", "mobile": mobiles["chief2"]}},
    ]
    say("Ⓕ① 福建省管理员登记一体化平台客户端 (scope projects:sync)；平台推送两个在建可评价项目 (FJ-01)")
    admin = await sign_in(api, T, "admin", admin_password)
    async with api(admin) as c:
        client = expect(await c.post("/api/identity/v1/clients", json={
            "name": f"福建省建设工程监管一体化平台{sfx}", "scopes": ["projects:sync"]}), 201)
        token = expect(await c.post("/api/identity/v1/oauth/token", data={
            "grant_type": "client_credentials", "client_id": client["client_id"],
            "client_secret": client["client_secret"]}), 200)["access_token"]
    async with api(token) as c:
        first = expect(await c.post("/api/projects/v1/platform/projects", json={"projects": batch}), 200)["results"]
        again = expect(await c.post("/api/projects/v1/platform/projects", json={"projects": batch}), 200)["results"]
    projects = {r["platform_code"]: r["project_id"] for r in first}
    say(f"   首次推送: {[r['outcome'] for r in first]}；重放同一批: {[r['outcome'] for r in again]}（版本不变）")
    a, b = projects[batch[0]["platform_code"]], projects[batch[1]["platform_code"]]

    say("Ⓕ② 总监林志强用平台登记的手机号获取验证码并登录，只看到自己负责的项目 (FJ-01, FJ-02)")
    chief = await code_sign_in(api, mobiles["chief"], say=say)
    async with api(chief) as c:
        mine = expect(await c.get("/api/projects/v1/projects", params={"limit": 50}), 200)["items"]
    say(f"   林志强的项目: {[p['name'] for p in mine]}")

    say("Ⓕ③ 用非平台登记的手机号再次登录：被明确拒绝")
    async with api() as c:
        r = await c.post("/api/identity/v1/otp", json={"tenant": T, "mobile": _mobile()})
    refused = r.json()
    say(f"   {r.status_code} {refused['code']}: {refused['title']}")

    say("Ⓕ④ 监理单位管理员陈明验证码登录，新增企业人员并设置项目角色 (FJ-03)")
    company_admin = await code_sign_in(api, mobiles["admin"], say=say)
    staff: dict[str, str] = {}
    tokens = {"admin": company_admin, "chief": chief}
    async with api(company_admin) as c:
        me = expect(await c.get("/api/identity/v1/me"), 200)
        seen = expect(await c.get("/api/projects/v1/projects", params={"limit": 50}), 200)["items"]
        say(f"   陈明看到本单位全部在建可评价项目: {[p['name'] for p in seen]}")
        for key, name in (("wang", "王工"), ("li", "李工"), ("zheng", "郑工")):
            user = expect(await c.post("/api/identity/v1/users", json={
                "org_id": me["org_id"], "username": f"fj.{key}.{sfx}", "display_name": name, "password": PASSWORD,
                "roles": ["company_staff"]}), 201)
            staff[key] = user["id"]

        async def give(project: str, key: str, role: str, discipline: str | None = None) -> Any:
            return await c.post(f"/api/projects/v1/projects/{project}/supervision-staff",
                                json={"user_id": staff[key], "project_role": role, "discipline": discipline})

        async def first_role() -> bool:   # the new users reach projects' directory by event
            return (await give(a, "wang", "specialist_supervising_engineer", "房建")).status_code == 200
        await poll(first_role, what="the company's new users in projects")
        expect(await give(a, "li", "site_supervisor"), 200)
        expect(await give(a, "li", "feedback_person"), 200)
        expect(await give(b, "zheng", "specialist_supervising_engineer", "市政"), 200)
        expect(await give(b, "zheng", "feedback_person"), 200)
        say("   滨海新城: 王工 专业监理工程师(房建)、李工 监理员兼反馈人；翔安学校: 郑工 专业监理工程师(市政)兼反馈人")
        r = await give(b, "wang", "site_supervisor")
        illegal = r.json()
        say(f"   王工再任翔安学校监理员 → {r.status_code} {illegal['code']}: {illegal['title']}")
        final = expect(await c.get(f"/api/projects/v1/projects/{a}"), 200)
    for key in staff:
        tokens[key] = await sign_in(api, T, f"fj.{key}.{sfx}", PASSWORD)
    return {"projects": projects, "project_ids": [a, b], "company_org_id": me["org_id"], "tokens": tokens,
            "staff": staff, "mobiles": mobiles, "refused_sign_in": refused, "illegal_role": illegal,
            "participants": final["participants"], "replayed": [r["outcome"] for r in again]}
