"""``make demo``, Hebei part: the crane registry and its locks (HEB-01/06/07/11/14/15) over HTTP.

In 石家庄市长安区 (GB/T 2260 ``130102``): a leasing company registers online and the province
administrator enables it (HEB-01) → it files a tower crane, refused first for a missing
certificate (HEB-06), approved by the district's station (the authority is answered from the
division codes) → installer A notifies installation on project A (the machine is locked to A,
HEB-14) → installer B's notification for project B is refused naming A → the contractor registers
use with driver 王某 (HEB-07, his certificate from personnel, HEB-11), approved with a number and a
registration sign → another registration naming 王某 is refused → dismantling on A is confirmed
(HEB-15), the machine is released and B's notification now passes → the registration sign PDF
and the registry XLSX are written.

``build_hebei`` is the same world the integration tests use; ``play_hebei`` is also what the
end-to-end test runs.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from anjian_shared.china_time import china_today

from .demo import Say
from .scenario import PASSWORD, ApiFactory, Place, World, build_world, expect, sign_in

SHIJIAZHUANG = Place(station="石家庄市长安区建设工程安全监督站", owner="石家庄城发投资集团有限公司",
                     contractor="河北建工集团有限责任公司", supervision="河北冀科工程项目管理有限公司",
                     other_contractor="中铁十八局集团第五工程有限公司", project="石家庄长安区东南智汇城A区",
                     address="石家庄市长安区建设北大街 66 号", division_code="130102")
PDF = b"%PDF-1.4\n% certificate scan\n"
EQ = "/api/equipment/v1"
CERTIFICATES = ("manufacturing_licence", "product_certificate", "supervision_certificate")
NOT_YET = ("not-yet-available", "organization-not-yet-known", "project-not-yet-known", "person-not-yet-known")


def _code(resp: httpx.Response) -> str:
    try:
        return str(resp.json().get("code") or resp.json().get("type", "").rsplit("/", 1)[-1])
    except ValueError:
        return ""


async def settled(send: Any, *, timeout: float = 30) -> httpx.Response:
    """``await send()`` again while it answers 409 not-yet-available (an event still on its way:
    the organisation, project or person has not reached equipment) or 503; the final answer."""
    deadline = time.monotonic() + timeout
    while True:
        r = await send()
        if not ((r.status_code == 409 and _code(r) in NOT_YET) or r.status_code == 503) \
                or time.monotonic() > deadline:
            return r
        await asyncio.sleep(0.2)


def credit_code_for(prefix: str = "91130102") -> str:
    """A valid GB 32100 code (random body, computed check character)."""
    from anjian_shared import credit_code

    while True:
        first17 = prefix + "".join(secrets.choice("0123456789") for _ in range(17 - len(prefix)))
        code = first17 + credit_code.check_character(first17)
        if credit_code.is_valid(code):
            return code


def tower_crane(factory: str) -> dict[str, Any]:
    return {"machine_kind": "tower_crane", "model": "QTZ80(TC5610)", "maker": "中联重科股份有限公司",
            "factory_number": factory, "manufacture_date": (china_today() - timedelta(days=3 * 365)).isoformat(),
            "rated_moment_knm": 800}


async def build_hebei(api: ApiFactory, *, admin_password: str, suffix: str | None = None,
                      leasing_by_registration: bool = False) -> tuple[World, dict[str, Any]]:
    """The Shijiazhuang world: station (130102) with 张伟/王强, owner, contractors (刘洋 and 陈静
    project managers), projects A and B, two installers and a leasing company (each with an
    administrator), and crane drivers 王某 and 李某 in the contractor's personnel (HEB-11).
    Returns (world, extra) where ``extra`` holds tokens (``lease``, ``inst1``, ``inst2``,
    ``con_admin``), ids (``project_b``, ``lease_org``, ``inst1_org``, ``inst2_org``) and the
    drivers (``drivers``: name → person)."""
    sfx = suffix or secrets.token_hex(3)
    world = await build_world(api, admin_password=admin_password, tenant="hebei", suffix=sfx, place=SHIJIAZHUANG)
    extra: dict[str, Any] = {"suffix": sfx}
    admin = await sign_in(api, "hebei", "admin", admin_password)
    extra["admin"] = admin
    async with api(admin) as c:
        async def company(key: str, name: str, roles: list[str]) -> None:
            org = expect(await c.post("/api/identity/v1/organizations", json={
                "name": f"{name}{sfx}", "kind": "company", "company_roles": roles, "division_code": "130102"}), 201)
            extra[f"{key}_org"] = org["id"]
            expect(await c.post("/api/identity/v1/users", json={
                "org_id": org["id"], "username": f"{key}.{sfx}", "display_name": f"{name}管理员",
                "password": PASSWORD, "roles": ["company_admin"]}), 201)
            extra[key] = await sign_in(api, "hebei", f"{key}.{sfx}", PASSWORD)

        await company("inst1", "河北建设机械安装工程有限公司", ["installer"])
        await company("inst2", "石家庄正达起重设备安装有限公司", ["installer"])
        if not leasing_by_registration:
            await company("lease", "河北华建机械租赁有限公司", ["leasing"])
        expect(await c.post("/api/identity/v1/users", json={
            "org_id": world.contractor_id, "username": f"con.admin.{sfx}", "display_name": "孙丽",
            "password": PASSWORD, "roles": ["company_admin"]}), 201)
    extra["con_admin"] = await sign_in(api, "hebei", f"con.admin.{sfx}", PASSWORD)
    async with api(world.token("zhang")) as c:
        body = {"name": f"石家庄长安区东南智汇城B区{sfx}", "address": "石家庄市长安区建设北大街 68 号",
                "owner_org_id": world.owner_id, "contractor_org_id": world.other_contractor_id,
                "supervision_org_id": world.supervision_id, "supervisor_user_ids": [world.people["zhang"].user_id],
                "participants": [{"user_id": world.people["chen"].user_id, "project_role": "project_manager"}]}
        extra["project_b"] = expect(await settled(lambda: c.post("/api/projects/v1/projects", json=body)), 201)["id"]
    extra["drivers"] = {}
    async with api(extra["con_admin"]) as c:
        for name in ("王某", "李某"):
            extra["drivers"][name] = expect(await c.post("/api/personnel/v1/people", json={
                "name": name, "category": "crane_driver", "certificate_number": f"冀A04{secrets.token_hex(4)}",
                "issued_on": (china_today() - timedelta(days=200)).isoformat()}), 201)
    return world, extra


async def register_leasing_company(api: ApiFactory, *, admin_token: str, sfx: str, say: Say) -> tuple[str, str]:
    """HEB-01: the company registers without signing in; the province administrator enables it.
    Returns (org id, the company administrator's token)."""
    username = f"lease.{sfx}"
    async with api() as c:
        reg = expect(await c.post("/api/identity/v1/company-registrations", json={
            "tenant": "hebei", "company_name": f"河北华建机械租赁有限公司{sfx}", "credit_code": credit_code_for(),
            "company_roles": ["leasing"], "in_province": True, "division_code": "130102", "contact_name": "李四",
            "contact_mobile": "13800000000", "admin": {"username": username, "password": "Tower-crane-2026"}}), 201)
    async with api(admin_token) as c:
        done = expect(await c.post(f"/api/identity/v1/company-registrations/{reg['id']}/decision",
                                   json={"decision": "enable"}), 200)
    say(f"   {done.get('company_name', '租赁公司')} 已启用")
    org_id = done.get("org_id") or done.get("organization_id") or ""
    return str(org_id), await sign_in(api, "hebei", username, "Tower-crane-2026")


async def draft(c: httpx.AsyncClient, kind: str, form: dict[str, Any], slots: tuple[str, ...]) -> str:
    app = expect(await settled(lambda: c.post(f"{EQ}/applications", json={"kind": kind, "form": form})), 201)
    for slot in slots:
        expect(await c.post(f"{EQ}/applications/{app['id']}/attachments", params={"slot": slot},
                            files={"file": (f"{slot}.pdf", PDF, "application/pdf")}), 201)
    return str(app["id"])


async def submit(c: httpx.AsyncClient, app_id: str, authority: str | None = None) -> httpx.Response:
    """上报: the platform answers the authority from the division codes; ``authority`` names it
    where several authorities share the division (worlds piled up in one database by earlier
    runs): it must then be one of them."""
    body = {"authority_org_id": authority} if authority else {}
    return await settled(lambda: c.post(f"{EQ}/applications/{app_id}/submission", json=body))


async def approve(c: httpx.AsyncClient, app_id: str) -> dict[str, Any]:
    expect(await c.post(f"{EQ}/applications/{app_id}/decisions", json={"action": "accept"}), 200)
    return expect(await c.post(f"{EQ}/applications/{app_id}/decisions", json={"action": "approve",
                                                                             "comment": "准予"}), 200)


async def play_hebei(api: ApiFactory, *, admin_password: str, out_dir: Path, say: Say = print) -> dict[str, Any]:
    """Play the Hebei flow (see the module); returns numbers, refusals and the files written."""
    say("⑪ 河北：石家庄市长安区 (130102) 的监督站、参建单位、两个工程、两家安装单位、司机王某 (HEB-11)")
    world, w = await build_hebei(api, admin_password=admin_password, leasing_by_registration=True)
    project_a, project_b = world.project_id, w["project_b"]
    out: dict[str, Any] = {"refusals": {}}
    say("⑫ 租赁公司网上注册，省管理员审核启用 (HEB-01)")
    _, w["lease"] = await register_leasing_company(api, admin_token=w["admin"], sfx=w["suffix"], say=say)
    zhang = world.token("zhang")
    async with api(w["lease"]) as lc, api(zhang) as zc, api(w["inst1"]) as i1, api(w["inst2"]) as i2, \
            api(world.token("liu")) as liu, api(world.token("chen")) as chen:
        say("⑬ 租赁公司设备备案：缺少制造监督检验证明被退回，补齐后上报，监督站准予 (HEB-06)")
        crane = await draft(lc, "filing", tower_crane(f"ZL{w['suffix']}01"), CERTIFICATES[:2])
        station = world.station_id
        refused = await submit(lc, crane, station)
        assert refused.status_code == 422 and _code(refused) == "certificates-missing", refused.text
        out["refusals"]["certificates-missing"] = refused.json()["detail"]
        say(f"   拒绝 422 certificates-missing：{refused.json()['detail']}")
        expect(await lc.post(f"{EQ}/applications/{crane}/attachments", params={"slot": CERTIFICATES[2]},
                             files={"file": ("supervision.pdf", PDF, "application/pdf")}), 201)
        submitted = expect(await submit(lc, crane, station), 200)
        filed = await approve(zc, crane)
        machine = filed["machine_id"]
        out["filing_number"] = filed["number"]
        say(f"   报送 {submitted['authority_org_id']}（产权单位注册地的区划代码 130102 所在监督站），"
            f"备案编号 {filed['number']}")
        second = await approve(zc, (expect(await submit(lc, await draft(
            lc, "filing", tower_crane(f"ZL{w['suffix']}02"), CERTIFICATES), station), 200))["id"])

        def installation(machine_id: str, project: str) -> dict[str, Any]:
            today = china_today()
            return {"machine_id": machine_id, "project_id": project, "start_date": today.isoformat(),
                    "end_date": (today + timedelta(days=2)).isoformat()}

        say("⑭ 安装单位甲对A工程安装告知：设备锁定在A工程 (HEB-14)")
        on_a = await draft(i1, "installation", installation(machine, project_a), ("special_plan",))
        expect(await submit(i1, on_a), 200)
        await approve(zc, on_a)
        say("⑮ 安装单位乙对B工程的安装告知被拒绝，指明设备所在的A工程")
        on_b = await draft(i2, "installation", installation(machine, project_b), ("special_plan",))
        locked = await submit(i2, on_b)
        assert locked.status_code == 409 and _code(locked) == "machine-locked", locked.text
        assert project_a in locked.json()["detail"]
        out["refusals"]["machine-locked"] = locked.json()["detail"]
        say(f"   拒绝 409 machine-locked：{locked.json()['detail']}")
        say("⑯ 施工单位使用登记，司机王某（证书有效）；监督站准予，发使用登记编号与登记标志 (HEB-07)")
        wang = w["drivers"]["王某"]
        operator = {"person_id": wang["id"], "name": wang["name"], "role": "driver",
                    "certificate_number": wang["certificate_number"]}
        accepted = (china_today() - timedelta(days=1)).isoformat()
        use = await draft(liu, "use_registration", {"machine_id": machine, "project_id": project_a,
                                                    "acceptance_date": accepted, "operators": [operator]},
                          ("acceptance_record",))
        expect(await submit(liu, use), 200)
        registered = await approve(zc, use)
        out["registration_number"] = registered["number"]
        say(f"   使用登记编号 {registered['number']}")
        say("⑰ 另一台设备在B工程的使用登记再次填报王某，被拒绝（人员锁定）")
        inst_b2 = await draft(i2, "installation", installation(second["machine_id"], project_b), ("special_plan",))
        expect(await submit(i2, inst_b2), 200)
        other = await draft(chen, "use_registration", {"machine_id": second["machine_id"], "project_id": project_b,
                                                       "acceptance_date": accepted, "operators": [operator]},
                            ("acceptance_record",))
        held = await submit(chen, other)
        assert held.status_code == 409 and _code(held) == "operator-locked", held.text
        out["refusals"]["operator-locked"] = held.json()["detail"]
        say(f"   拒绝 409 operator-locked：{held.json()['detail']}")
        say("⑱ A工程拆卸告知经监督站确认，设备解锁；B工程的安装告知现在通过 (HEB-15)")
        dis = await draft(i1, "dismantling", installation(machine, project_a), ("special_plan",))
        expect(await submit(i1, dis), 200)
        await approve(zc, dis)
        out["b_after_dismantling"] = expect(await submit(i2, on_b), 200)["stage"]
        say(f"   B工程安装告知：{out['b_after_dismantling']}")
        say("⑲ 登记标志 PDF（二维码打开公开状态页）与设备登记台账 XLSX")
        sign = await liu.get(f"{EQ}/applications/{use}/sign.pdf")
        assert sign.status_code == 200 and sign.content.startswith(b"%PDF"), sign.text[:300]
        xlsx = await zc.get(f"{EQ}/machines.xlsx")
        assert xlsx.status_code == 200, xlsx.text[:300]
    out_dir.mkdir(parents=True, exist_ok=True)
    out["sign_path"] = out_dir / f"hebei-registration-sign-{registered['number']}.pdf"
    out["sign_path"].write_bytes(sign.content)
    out["xlsx_path"] = out_dir / "hebei-crane-registry.xlsx"
    out["xlsx_path"].write_bytes(xlsx.content)
    async with api() as anyone:
        public = expect(await anyone.get(f"{EQ}/public/signs/{registered['sign_token']}"), 200)
    out["public_status"] = public["status"]
    out["tokens"] = {"zhang": zhang, "lease": w["lease"]}
    say(f"   {out['sign_path']}（公开状态：{public['status_label']}，A工程已拆卸）")
    say(f"   {out['xlsx_path']}")
    return out
