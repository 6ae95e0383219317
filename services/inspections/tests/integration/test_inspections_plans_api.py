"""Spot-check plans (抽查计划) over HTTP: HB-02 make, HB-03 confirm/modify/delete/withdraw."""

from __future__ import annotations

import pytest_asyncio
from inspections_testkit import (
    API,
    EventCapture,
    add_result,
    confirmed_plan,
    create_plan,
    plan_body,
    wait_project_known,
)

from anjian_local.scenario import build_world, expect
from anjian_shared.events import CloudEvent
from anjian_shared.types import new_id


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def ready(platform, world):
    """The module's world once inspections knows its project."""
    await wait_project_known(platform.api, world)
    return world


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def other_station(platform):
    """Another Hubei station with its own project."""
    w = await build_world(platform.api, admin_password=platform.admin_password)
    await wait_project_known(platform.api, w)
    return w


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def hebei(platform):
    """A Hebei station and its people (another tenant)."""
    w = await build_world(platform.api, admin_password=platform.admin_password, tenant="hebei")
    await wait_project_known(platform.api, w)
    return w


# --- HB-02 make a plan ------------------------------------------------------------------------

async def test_supervisor_makes_a_draft_plan(platform, ready):
    w = ready
    plan = await create_plan(platform.api, w)
    assert plan["status"] == "draft" and plan["result_count"] == 0
    assert plan["projects"] == [{"project_id": w.project_id, "name": w.project["name"]}]
    assert plan["responsible_supervisor"] == {"user_id": w.people["zhang"].user_id, "name": "张伟"}
    assert [s["name"] for s in plan["supervisors"]] == ["张伟", "李娜"]
    assert plan["station_org_id"] == w.station_id
    assert [h["action"] for h in plan["history"]] == ["created"]
    assert plan["history"][0]["by"] == w.people["zhang"].user_id


async def test_responsible_supervisor_defaults_to_the_creator(platform, ready):
    plan = await create_plan(platform.api, ready, who="li", responsible_supervisor_id=None)
    assert plan["responsible_supervisor"]["user_id"] == ready.people["li"].user_id


async def test_contractor_role_cannot_plan(platform, ready):
    async with platform.api(ready.token("liu")) as c:
        assert (await c.post(f"{API}/plans", json=plan_body(ready))).status_code == 403
        assert (await c.get(f"{API}/plans")).status_code == 403
    async with platform.api(ready.token("zhao")) as c:
        assert (await c.get(f"{API}/projects")).status_code == 403


async def test_missing_or_malformed_field_is_named(platform, ready):
    async with platform.api(ready.token("zhang")) as c:
        body = plan_body(ready)
        del body["title"]
        r = await c.post(f"{API}/plans", json=body)
        assert r.status_code == 422 and r.json()["field"] == "title"
        r = await c.post(f"{API}/plans", json=plan_body(ready, planned_date="next tuesday"))
        assert r.status_code == 422 and r.json()["field"] == "planned_date"
        r = await c.post(f"{API}/plans", json=plan_body(ready, project_ids=[]))
        assert r.status_code == 422 and r.json()["field"] == "project_ids"
        assert expect(await c.get(f"{API}/plans", params={"limit": 100}), 200)["items"] is not None


async def test_unknown_or_other_station_project_is_refused(platform, ready, other_station):
    async with platform.api(ready.token("zhang")) as c:
        before = len(expect(await c.get(f"{API}/plans", params={"limit": 100}), 200)["items"])
        for project_ids, code in (([new_id()], 409), ([ready.project_id, other_station.project_id], 422)):
            r = await c.post(f"{API}/plans", json=plan_body(ready, project_ids=project_ids))
            assert r.status_code == code and r.json()["field"] == "project_ids", r.text
        assert r.status_code == 422                          # 409 (unknown here: maybe not yet arrived) retries
        after = len(expect(await c.get(f"{API}/plans", params={"limit": 100}), 200)["items"])
    assert before == after


async def test_team_must_supervise_the_projects_and_include_the_creator(platform, ready):
    zhang, li, wang = (ready.people[k].user_id for k in ("zhang", "li", "wang"))
    async with platform.api(ready.token("zhang")) as c:
        r = await c.post(f"{API}/plans", json=plan_body(ready, supervisor_user_ids=[zhang, wang]))
        assert r.status_code == 422 and r.json()["field"] == "supervisor_user_ids"
        r = await c.post(f"{API}/plans", json=plan_body(ready, supervisor_user_ids=[li], responsible_supervisor_id=li))
        assert r.status_code == 422 and r.json()["field"] == "supervisor_user_ids"
        r = await c.post(f"{API}/plans", json=plan_body(ready, supervisor_user_ids=[zhang],
                                                         responsible_supervisor_id=li))
        assert r.status_code == 422 and r.json()["field"] == "responsible_supervisor_id"


# --- HB-03 confirm, visibility --------------------------------------------------------------

async def test_other_supervisor_sees_the_plan_only_after_confirm_which_emits_the_event(platform, ready):
    w = ready
    plan = await create_plan(platform.api, w)
    url = f"{API}/plans/{plan['id']}"
    async with platform.api(w.token("li")) as li, platform.api(w.token("wang")) as leader:
        assert (await li.get(url)).status_code == 404
        assert plan["id"] not in [p["id"] for p in expect(await li.get(f"{API}/plans?limit=100"), 200)["items"]]
        assert (await leader.get(url)).status_code == 404
        async with EventCapture(platform.infra.amqp_url, ["inspections.plan.confirmed.v1"]) as events:
            async with platform.api(w.token("zhang")) as zhang:
                confirmed = expect(await zhang.post(f"{url}/confirm"), 200)
            event = await events.wait_for("inspections.plan.confirmed.v1", plan["id"])
        assert confirmed["status"] == "confirmed" and confirmed["confirmed_at"]
        assert [h["action"] for h in confirmed["history"]] == ["created", "confirmed"]
        data = event["data"]
        assert event["tenant"] == "hubei" and data["confirmed_by"] == w.people["zhang"].user_id
        assert data["project_names"] == [w.project["name"]]
        assert {s["user_id"]: s["name"] for s in data["supervisors"]} == {
            w.people["zhang"].user_id: "张伟", w.people["li"].user_id: "李娜"}
        assert expect(await li.get(url), 200)["status"] == "confirmed"
        assert plan["id"] in [p["id"] for p in expect(await li.get(f"{API}/plans?limit=100"), 200)["items"]]
        assert expect(await leader.get(url), 200)["id"] == plan["id"]


async def test_only_the_creator_confirms_and_only_once(platform, ready):
    plan = await create_plan(platform.api, ready, who="li", responsible_supervisor_id=None)
    url = f"{API}/plans/{plan['id']}"
    async with platform.api(ready.token("zhang")) as zhang, platform.api(ready.token("li")) as li:
        assert (await zhang.post(f"{url}/confirm")).status_code == 404  # somebody else's draft
        expect(await li.post(f"{url}/confirm"), 200)
        assert (await zhang.post(f"{url}/confirm")).status_code == 403
        r = await li.post(f"{url}/confirm")
        assert r.status_code == 409


async def test_withdraw_takes_the_plan_back_to_draft_and_hides_it_again(platform, ready):
    plan = await confirmed_plan(platform.api, ready)
    url = f"{API}/plans/{plan['id']}"
    async with platform.api(ready.token("zhang")) as zhang, platform.api(ready.token("li")) as li:
        assert (await li.post(f"{url}/withdraw")).status_code == 403
        withdrawn = expect(await zhang.post(f"{url}/withdraw"), 200)
        assert withdrawn["status"] == "draft" and withdrawn["history"][-1]["action"] == "withdrawn"
        assert (await li.get(url)).status_code == 404
        assert (await zhang.post(f"{url}/withdraw")).status_code == 409


async def test_withdraw_modify_and_delete_refused_once_results_exist(platform, ready):
    plan = await confirmed_plan(platform.api, ready)
    url = f"{API}/plans/{plan['id']}"
    expect(await add_result(platform.api, ready, plan["id"], who="li"), 201)
    async with platform.api(ready.token("zhang")) as zhang:
        r = await zhang.post(f"{url}/withdraw")
        assert r.status_code == 409 and r.json()["type"].endswith("plan-has-results")
        assert (await zhang.patch(url, json={"title": "改个名"})).status_code == 409
        assert (await zhang.delete(url)).status_code == 409
        after = expect(await zhang.get(url), 200)
    assert after["status"] == "confirmed" and after["title"] == plan["title"] and after["result_count"] == 1


# --- HB-03 modify, delete ---------------------------------------------------------------------

async def test_creator_modifies_a_draft_and_a_confirmed_plan_without_results(platform, ready):
    w = ready
    plan = await create_plan(platform.api, w)
    url = f"{API}/plans/{plan['id']}"
    async with platform.api(w.token("zhang")) as zhang, platform.api(w.token("li")) as li:
        changed = expect(await zhang.patch(url, json={"title": "改期抽查", "planned_date": "2030-01-02",
                                                       "responsible_supervisor_id": w.people["li"].user_id}), 200)
        assert changed["title"] == "改期抽查" and changed["planned_date"] == "2030-01-02"
        assert changed["responsible_supervisor"]["name"] == "李娜"
        assert changed["history"][-1]["action"] == "updated"
        assert set(changed["history"][-1]["detail"]) == {"title", "planned_date", "responsible_supervisor_id"}
        r = await zhang.patch(url, json={"supervisor_user_ids": [w.people["zhang"].user_id]})
        assert r.status_code == 422 and r.json()["field"] == "responsible_supervisor_id"
        r = await zhang.patch(url, json={"project_ids": [new_id()]})   # unknown here: maybe not yet arrived
        assert r.status_code == 409 and r.json()["field"] == "project_ids" and r.headers["Retry-After"]
        r = await zhang.patch(url, json={"planned_date": "soon"})
        assert r.status_code == 422 and r.json()["field"] == "planned_date"
        expect(await zhang.post(f"{url}/confirm"), 200)
        assert (await li.patch(url, json={"title": "别人的计划"})).status_code == 403
        assert expect(await zhang.patch(url, json={"title": "确认后修改"}), 200)["title"] == "确认后修改"


async def test_only_the_creator_deletes_a_plan_without_results(platform, ready):
    plan = await confirmed_plan(platform.api, ready)
    url = f"{API}/plans/{plan['id']}"
    async with platform.api(ready.token("zhang")) as zhang, platform.api(ready.token("li")) as li:
        assert (await li.delete(url)).status_code == 403
        assert (await zhang.delete(url)).status_code == 204
        assert (await zhang.get(url)).status_code == 404
        assert (await li.get(url)).status_code == 404
        assert (await zhang.delete(url)).status_code == 404
    audit = await platform.app("inspections").state.mongo.repo("plan_audit", "hubei").find_one({"plan_id": plan["id"]})
    assert audit is not None and audit["history"][-1]["action"] == "deleted"


# --- tenancy, unknown ids, lists --------------------------------------------------------------

async def test_other_tenant_gets_404(platform, ready, hebei):
    plan = await confirmed_plan(platform.api, ready)
    url = f"{API}/plans/{plan['id']}"
    async with platform.api(hebei.token("zhang")) as c:
        assert (await c.get(url)).status_code == 404
        assert (await c.patch(url, json={"title": "x"})).status_code == 404
        assert (await c.post(f"{url}/withdraw")).status_code == 404
        assert (await c.delete(url)).status_code == 404
        assert (await c.get(f"{url}/results")).status_code == 404
        assert plan["id"] not in [p["id"] for p in expect(await c.get(f"{API}/plans?limit=100"), 200)["items"]]
        # Hebei cannot name Hubei's project either
        r = await c.post(f"{API}/plans", json=plan_body(hebei, project_ids=[ready.project_id]))
        assert r.status_code == 409 and r.json()["field"] == "project_ids"   # unknown in Hebei, as any unknown id


async def test_unknown_plan_is_404(platform, ready):
    async with platform.api(ready.token("zhang")) as c:
        assert (await c.get(f"{API}/plans/{new_id()}")).status_code == 404
        assert (await c.post(f"{API}/plans/{new_id()}/confirm")).status_code == 404


async def test_list_filters_by_status_and_pages(platform, ready):
    await create_plan(platform.api, ready)
    await confirmed_plan(platform.api, ready)
    async with platform.api(ready.token("zhang")) as c:
        drafts = expect(await c.get(f"{API}/plans", params={"status": "draft", "limit": 100}), 200)["items"]
        assert drafts and {p["status"] for p in drafts} == {"draft"}
        first = expect(await c.get(f"{API}/plans", params={"limit": 1}), 200)
        assert len(first["items"]) == 1 and first["next_cursor"]
        second = expect(await c.get(f"{API}/plans", params={"limit": 1, "cursor": first["next_cursor"]}), 200)
        assert second["items"][0]["id"] != first["items"][0]["id"]
        r = await c.get(f"{API}/plans", params={"status": "archived"})
        assert r.status_code == 422 and r.json()["field"] == "status"
    async with platform.api(ready.token("li")) as c:
        visible = expect(await c.get(f"{API}/plans", params={"limit": 100}), 200)["items"]
    li_id = ready.people["li"].user_id
    assert all(p["status"] != "draft" or p["created_by"]["user_id"] == li_id for p in visible)


# --- the project directory (read model) -----------------------------------------------------

async def test_redelivered_project_event_has_one_effect(platform, ready):
    """A second delivery of the same event id is ignored even when a newer event came between."""
    pid = new_id()

    def event(name: str, event_id: str | None = None, project_id: str = pid) -> dict:
        snapshot = {"project_id": project_id, "code": "420100", "name": name, "address": "武汉",
                    "station_org_id": ready.station_id, "owner_org_id": ready.owner_id,
                    "contractor_org_id": ready.contractor_id, "supervision_org_id": ready.supervision_id,
                    "supervisor_user_ids": [ready.people["zhang"].user_id], "participants": []}
        ev = CloudEvent(type="projects.project.updated.v1", source="/hubei/projects", subject=project_id,
                        tenant="hubei", data=snapshot)
        if event_id:
            ev.id = event_id
        return ev.model_dump(mode="json")

    async def name_of(project_id: str) -> str | None:
        async with platform.api(ready.token("zhang")) as c:
            items = expect(await c.get(f"{API}/projects", params={"limit": 100}), 200)["items"]
        return next((p["name"] for p in items if p["project_id"] == project_id), None)

    from anjian_local.testing.fixtures import eventually

    first = event("第一版")
    await platform.publish(first)
    await eventually(lambda: _is(name_of(pid), "第一版"))
    await platform.publish(event("第二版"))
    await eventually(lambda: _is(name_of(pid), "第二版"))
    await platform.publish(first)  # redelivery of the first event
    marker = new_id()
    await platform.publish(event("标记", project_id=marker))
    await eventually(lambda: _is(name_of(marker), "标记"))
    assert await name_of(pid) == "第二版"
    inbox = platform.app("inspections").state.mongo.db["inbox"]
    assert await inbox.count_documents({"_id": f"inspections.project-directory:{first['id']}"}) == 1


async def _is(awaitable, expected) -> bool:  # type: ignore[no-untyped-def]
    return (await awaitable) == expected
