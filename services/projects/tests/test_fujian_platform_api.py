"""FJ-01..FJ-03 over HTTP on the real servers (identity + projects): the integration platform
pushes projects as a partner client (scope ``projects:sync``) and is pulled from a REAL local
HTTP server standing in for it (paged, one transient 503); accounts open by themselves; the
chief and the company administrator sign in with a one-time code; who sees which project
(FJ-02); staff roles, with the specialist-engineer / site-supervisor rule fired concurrently
many rounds (the database's unique role claim decides).

    ANJIAN_TEST_SERVICES=identity,projects .venv/bin/python -m pytest -q \
        services/projects/tests/test_fujian_platform_api.py
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from anjian_local.infra import free_port
from anjian_local.scenario import PASSWORD, expect
from anjian_local.testing.fixtures import Platform, eventually
from anjian_shared import credit_code
from projects.service_layer import platform_sync

T = "fujian"
PUSH = "/api/projects/v1/platform/projects"
ROUNDS = 10


def mobile() -> str:
    return f"139{secrets.randbelow(10 ** 8):08d}"


def new_credit_code() -> str:
    body = f"91350100MA{secrets.token_hex(4).upper().replace('I', 'J').replace('O', 'P')[:7]}"
    return body + credit_code.check_character(body)


def project(code: str, company: dict[str, Any], chief: dict[str, str], *, assessable: bool = True) -> dict[str, Any]:
    return {"platform_code": code, "name": f"福州项目{code}", "address": "福州市鼓楼区", "assessable": assessable,
            "supervision_company": company, "chief_engineer": chief}


async def sync_client(platform: Platform, scopes: list[str] | None = None) -> str:
    """A partner client of Fujian (the integration platform) and its access token."""
    async with platform.api(await platform.admin_token(T)) as c:
        client = expect(await c.post("/api/identity/v1/clients", json={
            "name": f"一体化平台{secrets.token_hex(3)}", "scopes": scopes or ["projects:sync"]}), 201)
        token = expect(await c.post("/api/identity/v1/oauth/token", data={
            "grant_type": "client_credentials", "client_id": client["client_id"],
            "client_secret": client["client_secret"]}), 200)
    return token["access_token"]


async def code_sign_in(platform: Platform, number: str) -> str:
    """Ask for a code (waiting until identity opened the account), read it from the
    development gateway, sign in with it."""
    async with platform.api() as c:
        async def ask() -> bool:
            r = await c.post("/api/identity/v1/otp", json={"tenant": T, "mobile": number})
            assert r.status_code == 202, r.text
            return True
        await eventually(ask, timeout=20)
        code = expect(await c.get("/api/identity/v1/dev/sms", params={"tenant": T, "mobile": number}), 200)[0]["code"]
        return expect(await c.post("/api/identity/v1/sessions/otp",
                                   json={"tenant": T, "mobile": number, "code": code}), 200)["access_token"]


async def fujian(platform: Platform) -> dict[str, Any]:
    """Two projects of one company pushed; a third whose state is not assessable."""
    sfx = secrets.token_hex(3)
    w: dict[str, Any] = {"sfx": sfx, "admin_mobile": mobile(), "chief_mobile": mobile(), "chief2_mobile": mobile()}
    w["company"] = {"credit_code": new_credit_code(), "name": f"福建闽江工程监理{sfx}",
                    "administrator": {"name": "陈明", "mobile": w["admin_mobile"]}}
    w["token"] = await sync_client(platform)
    batch = [project(f"A{sfx}", w["company"], {"name": "林总", "mobile": w["chief_mobile"]}),
             project(f"B{sfx}", w["company"], {"name": "黄总", "mobile": w["chief2_mobile"]}),
             project(f"C{sfx}", w["company"], {"name": "林总", "mobile": w["chief_mobile"]}, assessable=False)]
    w["batch"] = batch
    async with platform.api(w["token"]) as c:
        results = expect(await c.post(PUSH, json={"projects": batch}), 200)["results"]
    assert [r["outcome"] for r in results] == ["created"] * 3
    w["ids"] = {r["platform_code"][0]: r["project_id"] for r in results}
    return w


async def test_fj01_push_is_idempotent_and_opens_accounts_that_sign_in_by_code(platform):
    """FJ-01: a replayed batch changes nothing (same versions); the chief signs in with a
    code sent to the platform's number; a number the platform did not register is
    ``mobile-not-registered``; FJ-02: the chief sees the assessable project they lead."""
    w = await fujian(platform)
    async with platform.api(w["token"]) as c:
        again = expect(await c.post(PUSH, json={"projects": w["batch"]}), 200)["results"]
    assert [(r["outcome"], r["version"]) for r in again] == [("unchanged", 1)] * 3
    chief = await code_sign_in(platform, w["chief_mobile"])
    async with platform.api(chief) as c:
        seen = {p["id"] for p in expect(await c.get("/api/projects/v1/projects", params={"limit": 100}), 200)["items"]}
        me = expect(await c.get("/api/identity/v1/me"), 200)
        one = expect(await c.get(f"/api/projects/v1/projects/{w['ids']['A']}"), 200)
        assert (await c.get(f"/api/projects/v1/projects/{w['ids']['B']}")).status_code == 404
    assert seen == {w["ids"]["A"]}     # not B (another chief), not C (not assessable)
    assert me["mobile"] == w["chief_mobile"] and me["organization"]["credit_code"] == w["company"]["credit_code"]
    assert one["platform_code"] == f"A{w['sfx']}" and one["assessable"] is True
    assert one["participants"][0]["project_role"] == "chief_supervising_engineer"
    async with platform.api() as c:
        r = await c.post("/api/identity/v1/otp", json={"tenant": T, "mobile": mobile()})
    assert r.status_code == 422 and r.json()["code"] == "mobile-not-registered"
    assert r.json()["title"].startswith("该手机号不是平台登记的手机号")


async def test_fj02_the_admin_sees_the_companys_assessable_projects_others_nothing(platform):
    """FJ-02: the company administrator (account opened from the platform) sees A and B, not
    C; a staff member they add sees nothing until given a role; Hubei's administrator 404."""
    w = await fujian(platform)
    admin = await code_sign_in(platform, w["admin_mobile"])
    async with platform.api(admin) as c:
        seen = {p["id"] for p in expect(await c.get("/api/projects/v1/projects", params={"limit": 100}), 200)["items"]}
        me = expect(await c.get("/api/identity/v1/me"), 200)
        expect(await c.post("/api/identity/v1/users", json={
            "org_id": me["org_id"], "username": f"staff.{w['sfx']}", "display_name": "员工",
            "password": PASSWORD, "roles": ["company_staff"]}), 201)
    assert seen == {w["ids"]["A"], w["ids"]["B"]}
    plain = await platform.sign_in(T, f"staff.{w['sfx']}", PASSWORD)
    async with platform.api(plain) as c:
        assert expect(await c.get("/api/projects/v1/projects", params={"limit": 100}), 200)["items"] == []
    async with platform.api(await platform.admin_token("hubei")) as c:
        assert (await c.get(f"/api/projects/v1/projects/{w['ids']['A']}")).status_code == 404


async def test_fj01_a_project_leaving_the_state_or_a_new_chief_takes_effect_at_the_next_sync(platform):
    """FJ-01: the next sync makes A not assessable and gives B a new chief: the old chief of
    B can no longer sign in (``project-not-assessable``, distinct from a wrong number), the
    new one can; staff roles on B are kept; the versions move once."""
    w = await fujian(platform)
    admin = await code_sign_in(platform, w["admin_mobile"])
    async with platform.api(admin) as c:
        me = expect(await c.get("/api/identity/v1/me"), 200)
        staff = expect(await c.post("/api/identity/v1/users", json={
            "org_id": me["org_id"], "username": f"site.{w['sfx']}", "display_name": "监理员甲",
            "password": PASSWORD, "roles": ["company_staff"]}), 201)

        async def give() -> bool:
            r = await c.post(f"/api/projects/v1/projects/{w['ids']['B']}/supervision-staff",
                             json={"user_id": staff["id"], "project_role": "site_supervisor"})
            assert r.status_code == 200, r.text
            return True
        await eventually(give, timeout=20)    # the user reaches projects' directory by event
    new_chief = mobile()
    changed = [{**w["batch"][0], "assessable": False},
               {**w["batch"][1], "chief_engineer": {"name": "郑总", "mobile": new_chief}}]
    async with platform.api(w["token"]) as c:
        results = expect(await c.post(PUSH, json={"projects": changed}), 200)["results"]
    assert [(r["outcome"], r["version"]) for r in results] == [("updated", 2), ("updated", 3)]
    async with platform.api() as c:
        async def refused() -> bool:
            r = await c.post("/api/identity/v1/otp", json={"tenant": T, "mobile": w["chief2_mobile"]})
            assert r.status_code == 403 and r.json()["code"] == "project-not-assessable", r.text
            return True
        await eventually(refused, timeout=20)
    token = await code_sign_in(platform, new_chief)
    async with platform.api(token) as c:
        b = expect(await c.get(f"/api/projects/v1/projects/{w['ids']['B']}"), 200)
    assert {(p["user_id"], p["project_role"]) for p in b["participants"]} >= {(staff["id"], "site_supervisor")}
    assert [p["name"] for p in b["participants"] if p["project_role"] == "chief_supervising_engineer"] == ["郑总"]


async def test_fj01_only_a_client_with_the_sync_scope_pushes(platform):
    """FJ-01: a partner client following events, or a province administrator: 403."""
    other = await sync_client(platform, ["events:projects"])
    body = {"projects": [project("Z1", {"credit_code": new_credit_code(), "name": "某监理"},
                                 {"name": "某总", "mobile": mobile()})]}
    for token in (other, await platform.admin_token(T)):
        async with platform.api(token) as c:
            r = await c.post(PUSH, json=body)
        assert r.status_code == 403 and r.json()["code"] == "scope-missing"
    async with platform.api(await sync_client(platform)) as c:
        r = await c.post(PUSH, json={"projects": [{**body["projects"][0], "supervision_company": {
            "credit_code": "91350100MA0000000X", "name": "某监理"}}]})
    assert r.status_code == 422 and r.json()["field"] == "projects.0.supervision_company.credit_code"


class FakePlatformFeed:
    """A real HTTP server (uvicorn) standing in for the integration platform's feed: two
    pages; the first request of each pull answers 503 once (a passing failure)."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items, self.requests, self.fail_next = items, 0, True
        app = FastAPI()

        @app.get("/feed")
        async def feed(request: Request) -> JSONResponse:
            self.requests += 1
            assert request.headers.get("authorization") == "Bearer feed-token"
            if self.fail_next:
                self.fail_next = False
                return JSONResponse({"error": "busy"}, status_code=503)
            page = int(request.query_params.get("cursor") or 0)
            chunk = self.items[page * 2:page * 2 + 2]
            more = (page + 1) * 2 < len(self.items)
            return JSONResponse({"items": chunk, "next_cursor": str(page + 1) if more else None})

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]

    async def __aenter__(self) -> FakePlatformFeed:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            await asyncio.sleep(0.02)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        await self.task


async def test_fj01_projects_are_pulled_from_the_platforms_feed_on_schedule(platform):
    """FJ-01 pull: the feed loop reads every page of a real HTTP feed (retrying a 503), a
    malformed item is skipped, a second pull changes nothing, a changed item updates."""
    sfx = secrets.token_hex(3)
    company = {"credit_code": new_credit_code(), "name": f"拉取监理{sfx}"}
    items = [project(f"P{i}{sfx}", company, {"name": f"总监{i}", "mobile": mobile()}) for i in range(3)]
    items.append({"platform_code": f"BAD{sfx}", "name": "缺字段"})
    app = platform.app("projects")
    async with FakePlatformFeed(items) as feed:
        settings = app.state.settings.model_copy(update={
            "platform_feed_url": f"http://127.0.0.1:{feed.port}/feed", "platform_feed_token": "feed-token",
            "platform_feed_interval_seconds": 3600, "platform_feed_tenant": T})

        class App:   # what the background task reads of the app
            state = type("S", (), {"settings": settings, "mongo": app.state.mongo})

        loop = asyncio.create_task(platform_sync.feed_loop(App()))  # type: ignore[arg-type]
        try:
            async def pulled() -> bool:
                n = await app.state.mongo.repo("projects", T).count({"platform_code": {"$in": [
                    i["platform_code"] for i in items]}})
                assert n == 3
                return True
            await eventually(pulled, timeout=30)
        finally:
            loop.cancel()
        assert feed.requests == 3   # the 503, then two pages
        feed.fail_next = True
        assert await platform_sync.pull_feed(mongo=app.state.mongo, settings=settings) == {
            "created": 0, "updated": 0, "unchanged": 3, "refused": 1}
        items[0]["assessable"] = False
        assert await platform_sync.pull_feed(mongo=app.state.mongo, settings=settings) == {
            "created": 0, "updated": 1, "unchanged": 2, "refused": 1}


async def test_fj03_roles_and_the_exclusive_rule_hold_under_concurrent_assignments(platform):
    """FJ-03: the administrator gives roles (the chief's is the platform's; the feedback
    person must be staff); one person is never specialist engineer and site supervisor, in
    one project or across projects: each round fires the three conflicting assignments at
    once — exactly one passes, the others are 409 ``supervision-role-exclusive``."""
    w = await fujian(platform)
    admin = await code_sign_in(platform, w["admin_mobile"])
    a, b = w["ids"]["A"], w["ids"]["B"]
    async with platform.api(admin) as c:
        me = expect(await c.get("/api/identity/v1/me"), 200)
        people = []
        for i in range(ROUNDS + 1):
            people.append(expect(await c.post("/api/identity/v1/users", json={
                "org_id": me["org_id"], "username": f"p{i}.{w['sfx']}", "display_name": f"人员{i}",
                "password": PASSWORD, "roles": ["company_staff"]}), 201)["id"])

        async def give(project_id: str, user_id: str, role: str, discipline: str | None = "房建") -> Any:
            return await c.post(f"/api/projects/v1/projects/{project_id}/supervision-staff",
                                json={"user_id": user_id, "project_role": role, "discipline": discipline})

        async def known() -> bool:
            r = await give(a, people[-1], "specialist_supervising_engineer")
            assert r.status_code == 200, r.text
            return True
        await eventually(known, timeout=20)
        r = await give(a, people[-1], "chief_supervising_engineer")
        assert r.status_code == 403 and r.json()["code"] == "chief-from-platform"
        r = await give(a, people[0], "feedback_person", None)
        assert r.status_code == 422 and r.json()["code"] == "feedback-person-not-staff"
        r = await give(a, people[-1], "specialist_supervising_engineer", None)
        assert r.status_code == 422 and r.json()["field"] == "discipline"
        expect(await give(a, people[-1], "feedback_person", None), 200)
        for i in range(ROUNDS):
            answers = await asyncio.gather(give(a, people[i], "specialist_supervising_engineer"),
                                           give(a, people[i], "site_supervisor"),
                                           give(b, people[i], "site_supervisor"))
            codes = sorted(r.status_code for r in answers)
            assert codes == [200, 409, 409] or codes == [200, 200, 409], [r.text for r in answers]
            for r in answers:
                if r.status_code == 409:
                    assert r.json()["code"] == "supervision-role-exclusive"
            won = {r.request.content for r in answers if r.status_code == 200}
            roles = {("site" if b"site_supervisor" in x else "specialist") for x in won}
            assert len(roles) == 1, "one person, one of the two roles"
        final = {pid: expect(await c.get(f"/api/projects/v1/projects/{pid}"), 200) for pid in (a, b)}
    for i in range(ROUNDS):
        held = {p["project_role"] for pid in (a, b) for p in final[pid]["participants"] if p["user_id"] == people[i]}
        assert len(held & {"specialist_supervising_engineer", "site_supervisor"}) == 1, held
    plain = await platform.sign_in(T, f"p0.{w['sfx']}", PASSWORD)
    async with platform.api(plain) as c:
        r = await c.post(f"/api/projects/v1/projects/{a}/supervision-staff",
                         json={"user_id": people[1], "project_role": "feedback_person"})
    assert r.status_code == 403 and r.json()["code"] == "not-project-staff-manager"
