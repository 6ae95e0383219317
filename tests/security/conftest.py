"""Fixtures of the hostile-input tests: the whole Hubei flow played once through a client
that records every response, and a second province (Hainan) whose people attack it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio

from anjian_local.demo import play_hubei
from anjian_local.scenario import PASSWORD, Person, World, build_world, expect, sign_in
from anjian_local.testing.fixtures import eventually


@dataclass
class Recorded:
    """One response seen by a recording client."""

    caller_tenant: str
    method: str
    path: str
    status: int
    content_type: str
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class Recorder:
    responses: list[Recorded] = field(default_factory=list)

    def factory(self, platform: Any, tenant: str):  # type: ignore[no-untyped-def]
        """An ``ApiFactory`` (like ``platform.api``) whose clients record every response."""

        async def hook(response: httpx.Response) -> None:
            await response.aread()
            ctype = response.headers.get("content-type", "")
            text = response.text if "json" in ctype else ""
            self.responses.append(Recorded(tenant, response.request.method, response.request.url.path,
                                           response.status_code, ctype, text))

        def api(token: str | None = None, **kw: Any) -> httpx.AsyncClient:
            return platform.api(token, event_hooks={"response": [hook]}, **kw)

        return api


@dataclass
class Played:
    """What ``play_hubei`` left behind, with the ids of every kind of object."""

    hubei: World
    hainan: World
    ids: dict[str, str]
    recorder: Recorder
    admin_token: str = ""
    hainan_admin_token: str = ""
    partner_tokens: dict[str, str] = field(default_factory=dict)
    """``partner`` (owns the subscription), ``other partner`` (Hubei), ``hainan partner``."""

    def token(self, who: str) -> str:
        """A Hubei person's token; ``admin`` is the province administrator, ``partner`` a partner system."""
        if who == "admin":
            return self.admin_token
        if who in self.partner_tokens:
            return self.partner_tokens[who]
        return self.hubei.token(who)


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def played(platform, tmp_path_factory) -> Played:  # type: ignore[no-untyped-def]
    recorder = Recorder()
    hubei_api = recorder.factory(platform, "hubei")
    result = await play_hubei(hubei_api, admin_password=platform.admin_password,
                              out_dir=Path(tmp_path_factory.mktemp("played")), say=lambda _: None)
    world: World = result["world"]
    plan_id, notice_id = result["plan_id"], result["notice_id"]
    async with hubei_api(world.token("zhang")) as c:
        results = expect(await c.get(f"/api/inspections/v1/plans/{plan_id}/results"), 200)["items"]
        notice = expect(await c.get(f"/api/notices/v1/notices/{notice_id}"), 200)
        code = expect(await c.get("/api/inspections/v1/catalog/items", params={"limit": 1}), 200)["items"][0]["code"]
    async with hubei_api(world.token("li")) as c:
        notes = expect(await c.get("/api/reporting/v1/notifications"), 200)["items"]
    ids = {
        "plan_id": plan_id,
        "notice_id": notice_id,
        "result_id": results[0]["id"],
        "reply_id": notice["replies"][-1]["id"],
        "project_id": world.project_id,
        "user_id": world.people["liu"].user_id,
        "org_id": world.station_id,
        "notification_id": notes[0]["id"],
        "code": code,
        "token": httpx.URL(result["share_url"]).path.rstrip("/").split("/")[-1],
    }
    async with hubei_api(world.token("zhang")) as c:  # HN-04 record awaiting 王强's review, HN-11 check
        term = expect(await c.get("/api/inspections/v1/terms", params={"check_type": "safety", "limit": 1}),
                      200)["items"][0]["code"]
        record = expect(await c.post("/api/inspections/v1/records", data={
            "project_id": world.project_id, "check_type": "safety", "part_checked": "3#楼12层",
            "term_codes": [term], "supplement": "临边防护缺失",
            "report_recipient_ids": [world.people["wang"].user_id],
            "issue_recipient_ids": [world.people["liu"].user_id]}), 201)
        check = expect(await c.post(f"/api/projects/v1/projects/{world.project_id}/attendance-checks",
                                    json={"user_ids": [world.people["liu"].user_id]}), 201)
        link = expect(await c.post(f"/api/reporting/v1/notices/{notice_id}/share-links",
                                   json={"expires_in_minutes": 60}), 201)
    ids["link_id"] = link["id"]  # DELETE /api/reporting/v1/share-links/{link_id} (issue 11, HB-09)
    ids["record_id"] = record["id"]
    ids["tenant"] = "hubei"  # /api/identity/v1/tenants/{tenant}/policy: the province's own policy
    ids["check_id"] = check["id"]
    ids["document_id"] = await _escalated_document(platform, hubei_api, world, term)
    admin_token = await platform.admin_token("hubei")
    if "equipment" in platform.services:  # HEB-01/03/06/07/11 objects, made in Hubei
        ids.update(await _registry_objects(platform, hubei_api, world, admin_token))
    hainan_admin_token = await platform.admin_token("hainan")
    partner_tokens: dict[str, str] = {}
    if "/api/identity/v1/clients" in platform.app("identity").openapi()["paths"]:  # partner clients (PLAT-03)
        for key, tenant, admin in (("partner", "hubei", admin_token), ("other partner", "hubei", admin_token),
                                   ("hainan partner", "hainan", hainan_admin_token)):
            async with recorder.factory(platform, tenant)(admin) as c:
                client = expect(await c.post("/api/identity/v1/clients",
                                             json={"name": f"{key} 大数据中心", "scopes": ["events:read"]}), 201)
                token = expect(await c.post("/api/identity/v1/oauth/token", data={
                    "grant_type": "client_credentials", "client_id": client["client_id"],
                    "client_secret": client["client_secret"]}), 200)
            partner_tokens[key] = token["access_token"]
            if key == "partner":
                ids["client_id"] = client["client_id"]
        if "partners" in platform.services:
            async with hubei_api(partner_tokens["partner"]) as c:
                sub = expect(await c.post("/api/partners/v1/subscriptions", json={
                    "kind": "webhook", "url": "https://bigdata.hubei.example/anjian/events",
                    "event_types": ["notices.notice.issued.v1"]}), 201)
            ids["subscription_id"] = sub["id"]
            logged = await platform.app("partners").state.mongo.db["event_log"].find_one({"tenant_id": "hubei"})
            ids["event_id"] = logged["_id"] if logged else "0" * 32  # …/events/{event_id}/redeliver (PLAT-03)
    hainan = await build_world(recorder.factory(platform, "hainan"), admin_password=platform.admin_password,
                               tenant="hainan", register_project=False)
    return Played(hubei=world, hainan=hainan, ids=ids, recorder=recorder, admin_token=admin_token,
                  hainan_admin_token=hainan_admin_token, partner_tokens=partner_tokens)


async def _escalated_document(platform: Any, api: Any, world: World, term: str) -> str:
    """HN-07: a backdated 整改通知 of 张伟 resting on a record of his the station released (监督内档:
    a document never rests on a record still under review), overdue and escalated (so
    ``/documents/{document_id}`` and its ``/escalation`` name real objects)."""
    from datetime import UTC, date, datetime, timedelta

    from notices.service_layer.escalation import escalate_document

    db = platform.app("notices").state.mongo.db
    async with api(world.token("zhang")) as c:
        record_id = expect(await c.post("/api/inspections/v1/records", data={
            "project_id": world.project_id, "check_type": "safety", "part_checked": "3#楼12层",
            "term_codes": [term], "supplement": "临边防护缺失"}), 201)["id"]

    async def known() -> bool:  # notices learns the record and the people from events
        users = [world.people[p].user_id for p in ("zhang", "liu")]
        return (await db["records"].find_one({"_id": record_id, "tenant_id": "hubei", "station_org_id": {"$exists": 1}})
                is not None and await db["users"].count_documents({"_id": {"$in": users}}) == 2)

    await eventually(known, timeout=30)
    async with api(world.token("zhang")) as c:
        doc = expect(await c.post("/api/notices/v1/documents", json={
            "document_type": "rectification", "project_id": world.project_id,
            "addressed_org_ids": [world.contractor_id], "record_id": record_id, "details": "临边防护缺失",
            "deadline": (date.today() - timedelta(days=5)).isoformat(), "backdated": True,
            "replier_user_ids": [world.people["liu"].user_id]}), 201)
    await escalate_document(platform.app("notices").state.mongo, "hubei", doc["id"], now=datetime.now(UTC))
    return doc["id"]


PDF = b"%PDF-1.4\n% certificate\n"


async def _registry_objects(platform: Any, api: Any, world: World, admin: str) -> dict[str, Any]:
    """HEB-01/03/06/07/11 in Hubei: 孙丽 (the contractor's administrator) with a crane driver
    of her company (``person_id``), two machines she filed, the one on the project used by a
    registration naming the driver (his operator lock; approved: ``use_app_id`` with its sign
    and public ``sign_token``), the other ``machine_id`` to cancel;
    a draft filing (``app_id``); a banned model (``ban_id``); a pending company registration
    (``registration_id`` and its ``status_token``)."""
    import secrets
    from datetime import date, timedelta

    from anjian_shared import credit_code

    sfx = secrets.token_hex(3)
    async with api(admin) as c:
        installer = expect(await c.post("/api/identity/v1/organizations", json={
            "name": f"武汉某起重设备安装有限公司{sfx}", "kind": "company", "company_roles": ["installer"]}), 201)["id"]
        for key, name, org in (("sun", "孙丽", world.contractor_id), ("xu", "徐刚", installer)):
            user = expect(await c.post("/api/identity/v1/users", json={
                "org_id": org, "username": f"{key}.{sfx}", "display_name": name, "password": PASSWORD,
                "roles": ["company_admin"]}), 201)
            world.people[key] = Person(user["id"], f"{key}.{sfx}", name, org,
                                       await sign_in(api, "hubei", f"{key}.{sfx}", PASSWORD))
        ban = expect(await c.post("/api/equipment/v1/banned-models", json={"model": f"QTZ25-{sfx}",
                                                                           "reason": "淘汰"}), 201)
    today = date.today()
    async with api(world.token("sun")) as c:
        driver = expect(await c.post("/api/personnel/v1/people", json={
            "name": "王师傅", "category": "crane_driver", "certificate_number": f"鄂A{sfx}",
            "issued_on": (today - timedelta(days=30)).isoformat()}), 201)

    async def draft(who: str, kind: str, form: dict[str, Any], slots: tuple[str, ...]) -> str:
        async with api(world.token(who)) as c:
            async def create() -> dict[str, Any]:  # 409/503 until identity's org event has arrived
                r = await c.post("/api/equipment/v1/applications", json={"kind": kind, "form": form})
                assert r.status_code == 201, r.text
                return r.json()
            app = await eventually(create, timeout=30)
            for slot in slots:
                expect(await c.post(f"/api/equipment/v1/applications/{app['id']}/attachments",
                                    params={"slot": slot}, files={"file": (f"{slot}.pdf", PDF, "application/pdf")}),
                       201)
        return str(app["id"])

    async def submit(who: str, app_id: str) -> dict[str, Any]:
        async with api(world.token(who)) as c:
            async def go() -> dict[str, Any]:
                r = await c.post(f"/api/equipment/v1/applications/{app_id}/submission",
                                 json={"authority_org_id": world.station_id})
                assert r.status_code == 200, r.text
                return r.json()
            return await eventually(go, timeout=30)

    certificates = ("manufacturing_licence", "product_certificate", "supervision_certificate")

    def filing(n: int) -> dict[str, Any]:
        return {"machine_kind": "tower_crane", "model": "QTZ80", "maker": "中联重科",
                "factory_number": f"SEC-{sfx}-{n}", "manufacture_date": (today - timedelta(days=700)).isoformat(),
                "rated_moment_knm": 800}

    machines = []
    for n in (1, 2):
        app_id = await draft("sun", "filing", filing(n), certificates)
        await submit("sun", app_id)
        async with api(world.token("zhang")) as c:
            for action in ("accept", "approve"):
                done = expect(await c.post(f"/api/equipment/v1/applications/{app_id}/decisions",
                                           json={"action": action}), 200)
        machines.append(done["machine_id"])
    on_project = {"machine_id": machines[0], "project_id": world.project_id}
    await submit("xu", await draft("xu", "installation", {
        **on_project, "start_date": (today - timedelta(days=3)).isoformat(),
        "end_date": (today - timedelta(days=2)).isoformat()}, ("special_plan",)))
    use_app_id = await draft("sun", "use_registration", {
        **on_project, "acceptance_date": (today - timedelta(days=1)).isoformat(),
        "operators": [{"person_id": driver["id"], "name": driver["name"], "role": "driver",
                       "certificate_number": driver["certificate_number"]}]}, ("acceptance_record",))
    await submit("sun", use_app_id)
    async with api(world.token("zhang")) as c:  # approved: it has a registration sign (HEB-07)
        for action in ("accept", "approve"):
            registered = expect(await c.post(f"/api/equipment/v1/applications/{use_app_id}/decisions",
                                             json={"action": action}), 200)
    while True:
        first17 = "91420102" + "".join(secrets.choice("0123456789") for _ in range(9))
        code = first17 + credit_code.check_character(first17)
        if credit_code.is_valid(code):
            break
    async with api() as c:
        registration = expect(await c.post("/api/identity/v1/company-registrations", json={
            "tenant": "hubei", "company_name": f"武汉某建筑工程有限公司{sfx}", "credit_code": code,
            "company_roles": ["contractor"], "in_province": True, "division_code": "420102",
            "contact_name": "周七", "contact_mobile": "13800000000",
            "admin": {"username": f"reg.{sfx}", "password": "Tower-crane-2026"}}), 201)
    return {"app_id": await draft("sun", "filing", filing(3), ()), "machine_id": machines[1], "ban_id": ban["id"],
            "person_id": driver["id"], "registration_id": registration["id"],
            "status_token": registration["status_token"], "use_app_id": use_app_id,
            "sign_token": registered["sign_token"]}
