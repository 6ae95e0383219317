"""Fixtures of the hostile-input tests: the whole Hubei flow played once through a client
that records every response, and a second province (Hainan) whose people attack it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio

from anjian_local.demo import play_hubei
from anjian_local.scenario import PASSWORD, Person, World, build_world, expect, sign_in
from anjian_local.testing.fixtures import eventually
from anjian_shared.china_time import china_day


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
async def played(platform, tmp_path_factory) -> AsyncIterator[Played]:  # type: ignore[no-untyped-def]
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
        evaluation = expect(await c.post("/api/inspections/v1/evaluations", json={  # JGJ 59 draft (issue 15)
            "project_id": world.project_id, "check_date": china_day(datetime.now(UTC)).isoformat(),
            "tables": [{"code": "A.0.1", "items": [{"no": 7, "deduction": 2, "finding": "分包协议缺安全条款"}]}]}), 201)
    ids["evaluation_id"] = evaluation["id"]
    ids["link_id"] = link["id"]  # DELETE /api/reporting/v1/share-links/{link_id} (issue 11, HB-09)
    ids["record_id"] = record["id"]
    ids["tenant"] = "hubei"  # /api/identity/v1/tenants/{tenant}/policy: the province's own policy
    ids["check_id"] = check["id"]
    ids["document_id"] = await _escalated_document(platform, hubei_api, world, term)
    if "inspections" in platform.services:  # FJ-04..FJ-11 objects, made in Hubei (the attacked tenant)
        ids.update(await _self_inspection(platform, world))
    admin_token = await platform.admin_token("hubei")
    async with hubei_api(admin_token) as c:  # HEB-18: a (labelled sample) entry of Hubei's discretion table
        expect(await c.put("/api/notices/v1/discretion-table/SAMPLE-001", json={
            "violation_name": "样例：临边防护缺失", "legal_basis": "样例（非官方数值）",
            "ranges": {"minor": {"min_yuan": 0, "max_yuan": 1000}, "general": {"min_yuan": 1000, "max_yuan": 5000},
                       "serious": {"min_yuan": 5000, "max_yuan": 10000}}}), 201)
    ids["violation_code"] = "SAMPLE-001"
    ids["filing_id"] = await _submitted_filing(hubei_api, world, admin_token)
    ids.update(await _construction_log_objects(hubei_api, world))  # HEB-09: a hazard source and a log
    ids.update(await _supervision_filing_objects(platform, hubei_api, world, admin_token))
    if "equipment" in platform.services:  # HEB-01/03/06/07/11 objects, made in Hubei
        ids.update(await _registry_objects(platform, hubei_api, world, admin_token))
    if "personnel" in platform.services:  # HUN-02..08 objects (an agency's records), made in Hubei
        ids.update(await _agency_objects(platform, hubei_api, world, admin_token))
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
                partner_client = {"grant_type": "client_credentials", "client_id": client["client_id"],
                                  "client_secret": client["client_secret"]}
        if "partners" in platform.services:
            async with hubei_api(partner_tokens["partner"]) as c:
                sub = expect(await c.post("/api/partners/v1/subscriptions", json={
                    "kind": "webhook", "url": "https://bigdata.hubei.example/anjian/events",
                    "event_types": ["notices.notice.issued.v1"]}), 201)
            ids["subscription_id"] = sub["id"]
            logged = await platform.app("partners").state.mongo.db["event_log"].find_one({"tenant_id": "hubei"})
            ids["event_id"] = logged["_id"] if logged else "0" * 32  # …/events/{event_id}/redeliver (PLAT-03)
            # GET /api/partners/v1/media/{event_id}/{name} (issue 11): the plan's submission names its signature
            log = platform.app("partners").state.mongo.db["event_log"]

            async def submitted() -> dict[str, Any] | None:
                return await log.find_one({"tenant_id": "hubei", "type": "inspections.plan.submitted.v1"})

            media_event = await eventually(submitted, timeout=20)
            ids["media_event_id"] = media_event["_id"]
            ids["name"] = media_event["event"]["data"]["signature"]["key"].rsplit("/", 1)[-1]
    if "conversations" in platform.services:  # HN-12: the project's conversation and a message of 张伟's
        ids.update(await _conversation_objects(hubei_api, world))
    if "reporting" in platform.services:  # HEB-02: a download 王强 (station leader) published in Hubei
        async with hubei_api(world.token("wang")) as c:
            ids["announcement_id"] = expect(await c.post("/api/reporting/v1/announcements", data={
                "kind": "download", "title": "安装告知单样表"}, files=[("files", (
                    "样表.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"))]), 201)["id"]
    hainan = await build_world(recorder.factory(platform, "hainan"), admin_password=platform.admin_password,
                               tenant="hainan", register_project=False)
    yield Played(hubei=world, hainan=hainan, ids=ids, recorder=recorder, admin_token=admin_token,
                 hainan_admin_token=hainan_admin_token, partner_tokens=partner_tokens)
    if "subscription_id" in ids:  # its host never resolves: left behind it retried for the rest of the session
        async with hubei_api(None) as c:  # a fresh token: the package may outlast the first one
            token = expect(await c.post("/api/identity/v1/oauth/token", data=partner_client), 200)["access_token"]
        async with hubei_api(token) as c:
            r = await c.delete(f"/api/partners/v1/subscriptions/{ids['subscription_id']}")
            assert r.status_code in (204, 404), r.text


async def _conversation_objects(api: Any, world: World) -> dict[str, str]:
    """HN-12: the Hubei project's conversation (opened from the project's event) and a message
    张伟 posted in it (``/conversations/{conversation_id}/messages/{message_id}``)."""
    conversation_id = f"project-{world.project_id}"
    async with api(world.token("zhang")) as c:
        async def posted() -> dict[str, Any]:
            r = await c.post(f"/api/conversations/v1/conversations/{conversation_id}/messages",
                             data={"text": "明天上午检查3#楼"})
            assert r.status_code == 201, r.text
            return r.json()

        message = await eventually(posted, timeout=30)
    return {"conversation_id": conversation_id, "message_id": message["id"]}


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


async def _self_inspection(platform: Any, world: World) -> dict[str, str]:
    """FJ-04..FJ-11: a self-inspection of 赵敏 (the Hubei project's chief supervising engineer,
    also made its feedback person here) on the Hubei project, made assessable in inspections'
    read model: checked in, a companion token minted (``companion_token``), every point answered
    (one "no" with a photo), completed, notice issued, a feedback awaiting review
    (``inspection_id``, ``feedback_id``). Made through the use cases on the real servers."""
    from datetime import timedelta

    from anjian_local.media import site_photo
    from anjian_shared.china_time import china_day
    from anjian_shared.principal import Principal
    from anjian_shared.testing.media import FakeUpload
    from anjian_shared.types import utcnow
    from inspections.service_layer import self_inspections as cases

    app = platform.app("inspections")
    mongo, storage, settings = app.state.mongo, app.state.storage, app.state.settings
    zhao = world.people["zhao"]
    await mongo.db["projects"].update_one({"_id": world.project_id, "tenant_id": "hubei"}, {
        "$set": {"assessable": True}, "$push": {"participants": {
            "user_id": zhao.user_id, "org_id": world.supervision_id, "name": zhao.name,
            "project_role": "feedback_person"}}})
    me = Principal(user_id=zhao.user_id, tenant="hubei", org_id=world.supervision_id, roles=["company_staff"],
                   name=zhao.name, org_kind="company")
    doc = await cases.create_inspection(mongo=mongo, settings=settings, principal=me, project_id=world.project_id,
                                        title=None)
    await cases.check_in(mongo=mongo, principal=me, inspection_id=doc["_id"], longitude=114.4, latitude=30.5,
                         captured_at=utcnow())
    token = (await cases.companion_code(mongo=mongo, principal=me, inspection_id=doc["_id"]))["token"]
    first = doc["points"][0]["code"]
    await cases.answer_point(mongo=mongo, storage=storage, settings=settings, principal=me, inspection_id=doc["_id"],
                             code=first, value="no", description="临边防护缺失",
                             photos=[FakeUpload(site_photo(7), filename="p.jpg", content_type="image/jpeg")])
    answered = {"value": "yes", "description": "", "photos": [], "answered_by": {"user_id": zhao.user_id,
                                                                                  "name": zhao.name},
                "answered_at": utcnow()}
    await mongo.db["self_inspections"].update_one(  # the other ~200 points: yes (set in one write)
        {"_id": doc["_id"]}, {"$set": {f"points.{i}.answer": answered for i in range(1, len(doc["points"]))}})
    await cases.complete(mongo=mongo, principal=me, inspection_id=doc["_id"], confirm=True)
    await cases.issue_notice(mongo=mongo, principal=me, inspection_id=doc["_id"], opinion="停工整改",
                             deadline=china_day(utcnow()) + timedelta(days=7), feedback_user_id=zhao.user_id)
    fb = await cases.send_feedback(mongo=mongo, storage=storage, settings=settings, principal=me,
                                   inspection_id=doc["_id"], text="已整改", photos=[], attachments=[])
    return {"inspection_id": doc["_id"], "feedback_id": fb["_id"], "companion_token": token}
async def _submitted_filing(api: Any, world: World, admin: str) -> str:
    """HN-01: an online filing (网上报监) of the world's owner submitted to 张伟's station; Hubei
    allows online filing for it (the province admin switches the tenant policy on)."""
    import secrets

    sfx = secrets.token_hex(3)
    async with api(admin) as c:
        expect(await c.patch("/api/identity/v1/tenants/hubei/policy", json={"features": {"online_filing": True}}),
               200)
        user = expect(await c.post("/api/identity/v1/users", json={
            "org_id": world.owner_id, "username": f"owner.{sfx}", "display_name": "业主代表", "password": PASSWORD,
            "roles": ["company_admin"]}), 201)
    world.people["owner"] = Person(user["id"], f"owner.{sfx}", "业主代表", world.owner_id,
                                   await sign_in(api, "hubei", f"owner.{sfx}", PASSWORD))
    async with api(world.token("owner")) as c:
        async def filed() -> dict[str, Any]:  # 403/422 until the policy and the new user reached projects
            r = await c.post("/api/projects/v1/filings", json={
                "name": "网上报监工程", "address": "武汉市江岸区", "station_org_id": world.station_id,
                "contractor_org_id": world.contractor_id, "supervision_org_id": world.supervision_id,
                "participants": [{"user_id": world.people["liu"].user_id, "project_role": "project_manager"}]})
            assert r.status_code == 201, r.text
            return r.json()
        filing = await eventually(filed, timeout=30)
        expect(await c.post(f"/api/projects/v1/filings/{filing['id']}/submit"), 200)
    return str(filing["id"])


async def _supervision_filing_objects(platform: Any, api: Any, world: World, admin: str) -> dict[str, str]:
    """HEB-04/05 in Hubei (the feature switched on by the province admin): the owner's safety-
    supervision filing, accepted by 张伟's station (``supervision_filing_id``), and the owner's
    comprehensive evaluation of the project it created, submitted (``project_application_id``).
    The contractor's B and C are put into projects' read model of personnel, and 张伟's station
    given division 420111 there (the Wuhan world has no divisions)."""
    from datetime import date, timedelta

    db = platform.app("projects").state.mongo.db
    valid = (date.today() + timedelta(days=365)).isoformat()
    people = {}
    for category in ("B", "C1"):
        people[category] = f"sec-{category}-{world.station_id[:8]}"
        await db["company_people"].insert_one({
            "_id": people[category], "tenant_id": "hubei", "person_id": people[category],
            "company_org_id": world.contractor_id, "name": f"三类人员{category}", "category": category,
            "certificate_number": f"鄂建安{category}", "issued_on": "2025-01-01", "expires_on": valid,
            "removed": False})
    async with api(admin) as c:
        expect(await c.patch("/api/identity/v1/tenants/hubei/policy",
                             json={"features": {"supervision_filing": True}}), 200)
    body = {"name": "安全监督备案工程", "address": "武汉市洪山区", "division_code": "420111",
            "station_org_id": world.station_id, "civilized_site_standard": "municipal",
            "parties": {"contractor": {"org_id": world.contractor_id, "project_leader_person_id": people["B"],
                                       "safety_officer_person_ids": [people["C1"]]},
                        "supervision": {"org_id": world.supervision_id}}}
    async with api(world.token("owner")) as c:
        async def filed() -> dict[str, Any]:  # 403 until the policy reached projects
            await db["organizations"].update_one({"_id": world.station_id, "tenant_id": "hubei"},
                                                 {"$set": {"division_code": "420111"}})
            r = await c.post("/api/projects/v1/supervision-filings", json=body)
            assert r.status_code == 201, r.text
            return r.json()
        filing = await eventually(filed, timeout=30)
        expect(await c.post(f"/api/projects/v1/supervision-filings/{filing['id']}/submit"), 200)
    async with api(world.token("zhang")) as c:
        project_id = expect(await c.post(f"/api/projects/v1/supervision-filings/{filing['id']}/decisions", json={
            "action": "accept", "supervisor_user_ids": [world.people["zhang"].user_id]}), 200)["project_id"]
    async with api(world.token("owner")) as c:
        app = expect(await c.post("/api/projects/v1/project-applications", json={
            "kind": "comprehensive_evaluation", "project_id": project_id, "planned_completion_on": "2027-06-30"}), 201)
        expect(await c.post(f"/api/projects/v1/project-applications/{app['id']}/submit"), 200)
    return {"supervision_filing_id": filing["id"], "project_application_id": app["id"]}


PDF = b"%PDF-1.4\n% certificate\n"


async def _agency_objects(platform: Any, api: Any, world: World, admin: str) -> dict[str, Any]:
    """HUN-02..08 in Hubei: a county agency (``agency_id``) whose leader 彭涛 filled every part
    of its record this year (``year``), with one staff member (``staff_id``) holding a safety
    certificate (HUN-09) and a draft reissue application for it (``application_id``, HUN-12); the
    agency's leader reads and writes it all (READER ``peng``). HUN-13..15: a continuing-education
    session (``session_id``) with a seat for the agency, a new-staff registration of the staff
    member (``training_registration_id``)."""
    import secrets
    from datetime import date

    from anjian_shared import credit_code

    sfx = secrets.token_hex(3)
    year = date.today().year
    async with api(admin) as c:
        agency = expect(await c.post("/api/identity/v1/organizations", json={
            "name": f"武汉市江岸区监督站{sfx}", "kind": "agency", "division_code": "420102"}), 201)["id"]
        peng = expect(await c.post("/api/identity/v1/users", json={
            "org_id": agency, "username": f"peng.{sfx}", "display_name": "彭涛", "password": PASSWORD,
            "roles": ["station_leader"]}), 201)
    token = await sign_in(api, "hubei", f"peng.{sfx}", PASSWORD)
    world.people["peng"] = Person(peng["id"], f"peng.{sfx}", "彭涛", agency, token)
    base = f"/api/personnel/v1/agencies/{agency}"
    async with api(token) as c:
        code = "12420102MB0000000"
        code += credit_code.check_character(code)

        async def basic() -> dict[str, Any]:  # 404 until identity's organisation event has arrived
            return expect(await c.put(f"{base}/basic-info", json={
                "name": "江岸区监督站", "credit_code": code, "kind": "combined", "approved_headcount": 20,
                "address": "武汉市江岸区 1 号", "leader_name": "彭涛", "leader_mobile": "13800000002"}), 200)
        await eventually(basic, timeout=30)
        staff = expect(await c.post(f"{base}/staff", json={
            "name": "李明", "gender": "male", "birth_date": "1988-04-12", "post": "supervisor",
            "education": "bachelor", "title": "intermediate"}), 201)
        expect(await c.post(f"{base}/project-figures", json={
            "year": year, "projects": 12, "new_projects": 4, "completed_projects": 3, "floor_area_10k_m2": 35.5,
            "investment_10k_yuan": 81000}), 201)
        expect(await c.post(f"{base}/funding-figures", json={
            "year": year, "fiscal_10k_yuan": 80, "other_income_10k_yuan": 3, "personnel_costs_10k_yuan": 60,
            "operating_costs_10k_yuan": 19, "equipment_costs_10k_yuan": 4}), 201)
        expect(await c.put(f"{base}/qualification", json={
            "certificate_number": f"鄂监资{sfx}", "issued_on": f"{year}-01-01", "valid_until": f"{year + 2}-12-31"}),
            200)
        sheet = expect(await c.post("/api/personnel/v1/assessments", json={  # HUN-16, kept a draft
            "kind": "group", "assessed_staff_ids": [staff["id"]]}), 201)
        expect(await c.post(f"/api/personnel/v1/assessments/{sheet['id']}/projects", json={
            "project_name": "江岸某住宅", "construction_unit": "某置业", "deductions": [{"code": "D01"}]}), 201)
        score = expect(await c.post("/api/personnel/v1/dynamic-scores", json={  # HUN-18, pending
            "staff_id": staff["id"], "date": f"{year}-01-02", "reason_codes": ["R02"]}), 201)
        from anjian_shared.testing.media import image_bytes

        png = ("cert.png", image_bytes("PNG"), "image/png")
        held = expect(await c.post(f"{base}/staff/{staff['id']}/certificates", data={  # HUN-09
            "kind": "safety", "number": f"鄂安监{sfx}", "issued_on": "2021-05-01", "valid_until": "2099-04-30"},
            files={"photo": png}), 201)
        application = expect(await c.post("/api/personnel/v1/certificate-applications", data={  # HUN-12, a draft
            "kind": "cert_reissue", "staff_id": staff["id"], "certificate_id": held["certificates"][0]["id"],
            "reason": "lost"}, files={"photo": png}), 201)
    async with api(admin) as c:  # HUN-14/15: the province office opens a session, gives the agency a seat
        start = date.today().toordinal() + 30
        session = expect(await c.post("/api/personnel/v1/training-sessions", json={
            "kind": "continuing", "title": f"继续教育{sfx}", "starts_on": date.fromordinal(start).isoformat(),
            "ends_on": date.fromordinal(start + 2).isoformat(), "capacity": 5}), 201)
        expect(await c.put(f"/api/personnel/v1/training-sessions/{session['id']}/quotas/{agency}",
                           json={"seats": 1}), 200)
    async with api(token) as c:  # HUN-13: a new-staff registration of the agency's staff member, unreviewed
        training = expect(await c.post("/api/personnel/v1/training-registrations", json={
            "kind": "new_staff", "staff_id": staff["id"],
            "personal": {"id_number": "420102198804120012", "mobile": "13800000003"}}), 201)
    async with api(token) as c:  # HUN-20: the agency proposes its staff member as a user (undecided)
        async def propose() -> dict[str, Any]:  # 409 staff-unknown until personnel's staff event arrived
            return expect(await c.post("/api/identity/v1/user-applications", json={
                "staff_id": staff["id"], "username": f"liming.{sfx}", "roles": ["supervisor"]}), 201)
        account_application = await eventually(propose, timeout=30)
    return {"agency_id": agency, "staff_id": staff["id"], "year": str(year), "assessment_id": sheet["id"],
            "index": "0", "score_id": score["id"], "session_id": session["id"],
            "training_registration_id": training["id"], "application_id": application["id"],
            "account_application_id": account_application["_id"]}


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


async def _construction_log_objects(api: Any, world: World) -> dict[str, str]:
    """HEB-09: a hazard source 刘洋 (the contractor's project manager) declared on the Hubei project
    (``source_id``, open since yesterday) and today's construction log (``log_id``)."""
    from datetime import timedelta

    from anjian_local.media import site_photo

    today = china_day(datetime.now(UTC))
    async with api(world.token("liu")) as c:
        source = expect(await c.post(f"/api/projects/v1/projects/{world.project_id}/hazard-sources", json={
            "kind": "scaffolding", "category": "general", "name": "3#楼落地式脚手架",
            "start_date": (today - timedelta(days=1)).isoformat(),
            "planned_end_date": (today + timedelta(days=60)).isoformat()}), 201)
        log = expect(await c.post(f"/api/projects/v1/projects/{world.project_id}/construction-logs",
                                  data={"log_date": today.isoformat(), "text": "3#楼脚手架搭设至12层"},
                                  files=[("photos", ("site.jpg", site_photo(4), "image/jpeg"))]), 201)
    return {"source_id": source["id"], "log_id": log["id"]}
