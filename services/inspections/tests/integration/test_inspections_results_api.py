"""On-site results (HB-04/05/07), signature/seal and submission (HB-06) over HTTP."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest_asyncio
from inspections_testkit import (
    API,
    FIRE_CODES,
    MAJOR_CODES,
    EventCapture,
    add_result,
    confirmed_plan,
    create_plan,
    image_bytes,
    photos,
    result_form,
    sign,
    submit_body,
    wait_project_known,
)

from anjian_local.scenario import build_world, expect
from anjian_shared.types import new_id


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def ready(platform, world):
    await wait_project_known(platform.api, world)
    return world


async def stored_keys(platform, plan_id: str, tenant: str = "hubei") -> list[str]:
    """Objects under the plan's folder in the service's bucket."""
    storage = platform.app("inspections").state.storage

    def _list() -> list[str]:
        return sorted(o.object_name for o in storage.client.list_objects(
            storage.bucket, prefix=f"{tenant}/plans/{plan_id}/", recursive=True))

    return await asyncio.to_thread(_list)


async def result_count(platform, plan_id: str) -> int:
    return await platform.app("inspections").state.mongo.repo("results", "hubei").count({"plan_id": plan_id})


# --- HB-04 on-site inspection -----------------------------------------------------------------

async def test_inspect_refused_for_a_draft_plan(platform, ready):
    plan = await create_plan(platform.api, ready)
    r = await add_result(platform.api, ready, plan["id"])
    assert r.status_code == 409 and r.json()["detail"] == "plan not confirmed"
    assert await stored_keys(platform, plan["id"]) == [] and await result_count(platform, plan["id"]) == 0


async def test_team_member_records_a_result_with_photos_everyone_in_the_team_lists_it(platform, ready):
    plan = await confirmed_plan(platform.api, ready)
    r = await add_result(platform.api, ready, plan["id"], who="li", n_photos=2)
    result = expect(r, 201)
    assert r.headers["location"].endswith(f"/plans/{plan['id']}/results/{result['id']}")
    assert result["building_name"] == "3#楼" and result["major_hazard"] is False
    assert result["hazards"] == [{"code": "JGJ59-A.0.2-06", "name": "现场防火", "major": False}]
    assert result["recorded_by"] == {"user_id": ready.people["li"].user_id, "name": "李娜"}
    assert [p["content_type"] for p in result["photos"]] == ["image/jpeg", "image/jpeg"]
    async with platform.api(ready.token("zhang")) as zhang:
        listed = expect(await zhang.get(f"{API}/plans/{plan['id']}/results"), 200)["items"]
        assert [x["id"] for x in listed] == [result["id"]]
        one = expect(await zhang.get(f"{API}/plans/{plan['id']}/results/{result['id']}"), 200)
        assert expect(await zhang.get(f"{API}/plans/{plan['id']}"), 200)["result_count"] == 1
    async with platform.api() as raw:  # media come from the gateway origin (/media/…)
        fetched = await raw.get(one["photos"][0]["url"])
    assert fetched.status_code == 200 and fetched.content[:3] == b"\xff\xd8\xff"
    assert len(await stored_keys(platform, plan["id"])) == 2
    async with platform.api(ready.token("wang")) as leader:  # the station leader reads the checklist too
        assert len(expect(await leader.get(f"{API}/plans/{plan['id']}/results"), 200)["items"]) == 1


async def test_result_citing_a_2024_item_is_flagged_major_hazard(platform, ready):
    plan = await confirmed_plan(platform.api, ready)
    result = expect(await add_result(platform.api, ready, plan["id"], codes=MAJOR_CODES), 201)
    assert result["major_hazard"] is True
    assert [h["major"] for h in result["hazards"]] == [False, True]
    # repeated form fields work as well as a JSON array
    async with platform.api(ready.token("zhang")) as c:
        form = result_form(ready, hazard_codes=["ZD2024-5.4", "JGJ59-A.0.11-01"])
        again = expect(await c.post(f"{API}/plans/{plan['id']}/results", data=form, files=photos(1, "PNG")), 201)
    assert again["major_hazard"] is True and [h["code"] for h in again["hazards"]] == ["ZD2024-5.4", "JGJ59-A.0.11-01"]
    assert again["photos"][0]["content_type"] == "image/png"


async def test_unknown_hazard_code_is_refused_and_nothing_is_stored(platform, ready):
    plan = await confirmed_plan(platform.api, ready)
    r = await add_result(platform.api, ready, plan["id"], codes=["JGJ59-A.0.1-01", "NOPE-9.9"])
    assert r.status_code == 422 and r.json()["field"] == "hazard_codes" and "NOPE-9.9" in r.json()["detail"]
    async with platform.api(ready.token("zhang")) as c:
        r = await c.post(f"{API}/plans/{plan['id']}/results", data=result_form(ready, hazard_codes="[not json"),
                         files=photos(1))
        assert r.status_code == 422 and r.json()["field"] == "hazard_codes"
    assert await stored_keys(platform, plan["id"]) == [] and await result_count(platform, plan["id"]) == 0


async def test_photo_that_is_not_an_image_is_415_and_leaves_no_object(platform, ready):
    plan = await confirmed_plan(platform.api, ready)
    files = [*photos(1), ("photos", ("notes.jpg", b"this is not a picture at all", "image/jpeg"))]
    async with platform.api(ready.token("zhang")) as c:
        r = await c.post(f"{API}/plans/{plan['id']}/results", data=result_form(ready), files=files)
        assert r.status_code == 415 and r.json()["field"] == "photos"
        gif = ("photos", ("a.gif", _gif(), "image/gif"))
        r = await c.post(f"{API}/plans/{plan['id']}/results", data=result_form(ready), files=[gif])
        assert r.status_code == 415
    assert await stored_keys(platform, plan["id"]) == [] and await result_count(platform, plan["id"]) == 0


def _gif() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, format="GIF")
    return buf.getvalue()


async def test_oversize_photo_is_413_against_the_tenant_limit(platform, ready):
    plan = await confirmed_plan(platform.api, ready)
    settings = platform.app("inspections").state.settings
    big = image_bytes("PNG", (300, 300))
    settings.photo_max_bytes_per_tenant["hubei"] = len(big) - 1
    try:
        async with platform.api(ready.token("zhang")) as c:
            r = await c.post(f"{API}/plans/{plan['id']}/results", data=result_form(ready),
                             files=[("photos", ("big.png", big, "image/png"))])
            assert r.status_code == 413 and r.json()["field"] == "photos"
            r = await c.put(f"{API}/plans/{plan['id']}/signature", files={"file": ("s.png", big, "image/png")})
            assert r.status_code == 413 and r.json()["field"] == "file"
    finally:
        settings.photo_max_bytes_per_tenant.pop("hubei", None)
    assert await stored_keys(platform, plan["id"]) == [] and await result_count(platform, plan["id"]) == 0


async def test_photo_count_and_missing_fields_are_named(platform, ready):
    plan = await confirmed_plan(platform.api, ready)
    url = f"{API}/plans/{plan['id']}/results"
    async with platform.api(ready.token("zhang")) as c:
        r = await c.post(url, data=result_form(ready), files=photos(10))
        assert r.status_code == 422 and r.json()["field"] == "photos"
        r = await c.post(url, data=result_form(ready))  # no photos at all
        assert r.status_code == 422 and r.json()["field"] == "photos"
        form = result_form(ready)
        del form["building_name"]
        r = await c.post(url, data=form, files=photos(1))
        assert r.status_code == 422 and r.json()["field"] == "building_name"
        form = result_form(ready)
        del form["hazard_codes"]
        r = await c.post(url, data=form, files=photos(1))
        assert r.status_code == 422 and r.json()["field"] == "hazard_codes"
        r = await c.post(url, data=result_form(ready, project_id=new_id()), files=photos(1))
        assert r.status_code == 422 and r.json()["field"] == "project_id"
    assert await stored_keys(platform, plan["id"]) == [] and await result_count(platform, plan["id"]) == 0


async def test_only_team_members_inspect(platform, ready):
    plan = await confirmed_plan(platform.api, ready)
    assert (await add_result(platform.api, ready, plan["id"], who="wang")).status_code == 403  # leader, not team
    assert (await add_result(platform.api, ready, plan["id"], who="liu")).status_code == 403   # contractor
    assert (await add_result(platform.api, ready, new_id())).status_code == 404
    assert await stored_keys(platform, plan["id"]) == []


# --- HB-05 own results ------------------------------------------------------------------------

async def test_edit_and_delete_only_own_result_before_submission(platform, ready):
    plan = await confirmed_plan(platform.api, ready)
    mine = expect(await add_result(platform.api, ready, plan["id"], who="li", n_photos=2), 201)
    url = f"{API}/plans/{plan['id']}/results/{mine['id']}"
    async with platform.api(ready.token("zhang")) as zhang, platform.api(ready.token("li")) as li:
        assert (await zhang.patch(url, json={"finding": "改别人的"})).status_code == 403
        assert (await zhang.delete(url)).status_code == 403
        assert (await zhang.post(f"{url}/photos", files=photos(1))).status_code == 403
        changed = expect(await li.patch(url, json={"building_name": "5#楼", "hazard_codes": ["ZD2024-8.4"]}), 200)
        assert changed["building_name"] == "5#楼" and changed["major_hazard"] is True
        assert changed["finding"] == mine["finding"]
        r = await li.patch(url, json={"hazard_codes": ["NOPE"]})
        assert r.status_code == 422 and r.json()["field"] == "hazard_codes"
        r = await li.patch(url, json={"finding": ""})
        assert r.status_code == 422 and r.json()["field"] == "finding"
        more = expect(await li.post(f"{url}/photos", files=photos(3, "PNG")), 200)
        assert len(more["photos"]) == 5
        r = await li.post(f"{url}/photos", files=photos(5))
        assert r.status_code == 422 and r.json()["field"] == "photos"
        assert len(await stored_keys(platform, plan["id"])) == 5
        assert (await li.delete(url)).status_code == 204
        assert (await li.get(url)).status_code == 404
        plan_now = expect(await zhang.get(f"{API}/plans/{plan['id']}"), 200)
    assert plan_now["result_count"] == 0
    actions = [h["action"] for h in plan_now["history"]]
    assert actions[-4:] == ["result.added", "result.updated", "result.photos_added", "result.deleted"]
    assert await stored_keys(platform, plan["id"]) == []  # the deleted result's photos left storage


# --- HB-06 signature, seal, submission -------------------------------------------------------

async def test_signature_only_by_the_responsible_supervisor_and_replaceable(platform, ready):
    plan = await confirmed_plan(platform.api, ready)
    assert (await sign(platform.api, ready, plan["id"], who="li")).status_code == 403
    async with platform.api(ready.token("zhang")) as c:
        r = await c.put(f"{API}/plans/{plan['id']}/signature", files={"file": ("s.png", b"%PDF-1.4", "image/png")})
        assert r.status_code == 415 and r.json()["field"] == "file"
        r = await c.put(f"{API}/plans/{plan['id']}/signature")
        assert r.status_code == 422 and r.json()["field"] == "file"
    first = expect(await sign(platform.api, ready, plan["id"]), 200)["signature"]
    second = expect(await sign(platform.api, ready, plan["id"]), 200)["signature"]
    assert first["key"] != second["key"] and second["url"]
    assert await stored_keys(platform, plan["id"]) == [second["key"]]  # the replaced one is gone
    seal = expect(await sign(platform.api, ready, plan["id"], kind="seal"), 200)["seal"]
    assert seal["content_type"] == "image/png"


async def test_hb06_a_plan_planned_in_the_past_cannot_issue_an_overdue_notice(platform, ready):
    """HB-06 (issue 11): planned ten days ago, a 限期整改 with yesterday's deadline (China time) is
    after the planned date but already overdue: 422 ``deadline-past`` naming
    ``notice.rectification_date``; said ``backdated: true`` (补录), it is submitted."""
    china_today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    plan = await confirmed_plan(platform.api, ready, planned_date=(china_today - timedelta(days=10)).isoformat())
    expect(await add_result(platform.api, ready, plan["id"]), 201)
    expect(await sign(platform.api, ready, plan["id"]), 200)
    yesterday = (china_today - timedelta(days=1)).isoformat()
    body = {"disposition": "限期整改", "notice": {"title": "安全隐患整改告知书", "construction_stage": "主体结构施工",
                                              "deadline": yesterday}}
    async with platform.api(ready.token("zhang")) as zhang:
        r = await zhang.post(f"{API}/plans/{plan['id']}/submit", json=body)
        assert r.status_code == 422 and r.json()["type"].endswith("/deadline-past"), r.text
        assert r.json()["field"] == "notice.rectification_date"
        done = expect(await zhang.post(f"{API}/plans/{plan['id']}/submit", json={**body, "backdated": True}), 200)
    assert done["status"] == "submitted" and done["submission"]["backdated"] is True


async def test_submit_only_by_the_responsible_supervisor_with_all_its_data(platform, ready):
    plan = await confirmed_plan(platform.api, ready)
    url = f"{API}/plans/{plan['id']}/submit"
    async with platform.api(ready.token("zhang")) as zhang, platform.api(ready.token("li")) as li:
        assert (await li.post(url, json=submit_body())).status_code == 403
        r = await zhang.post(url, json=submit_body())
        assert r.status_code == 422 and r.json()["field"] == "signature"
        expect(await sign(platform.api, ready, plan["id"]), 200)
        r = await zhang.post(url, json=submit_body(seal_required=True))
        assert r.status_code == 422 and r.json()["field"] == "seal"
        r = await zhang.post(url, json=submit_body("停工整改", days=-3))
        assert r.status_code == 422 and r.json()["field"] == "notice.rectification_date"
        body = submit_body()
        del body["disposition"]
        r = await zhang.post(url, json=body)
        assert r.status_code == 422 and r.json()["field"] == "disposition"
        r = await zhang.post(url, json={**submit_body(), "disposition": "罚款"})
        assert r.status_code == 422 and r.json()["field"] == "disposition"
        body = submit_body()
        del body["notice"]["construction_stage"]
        r = await zhang.post(url, json=body)
        assert r.status_code == 422 and r.json()["field"] == "notice.construction_stage"
        assert expect(await zhang.get(f"{API}/plans/{plan['id']}"), 200)["status"] == "confirmed"


async def test_draft_plan_cannot_be_submitted(platform, ready):
    plan = await create_plan(platform.api, ready)
    expect(await sign(platform.api, ready, plan["id"]), 200)
    async with platform.api(ready.token("zhang")) as c:
        r = await c.post(f"{API}/plans/{plan['id']}/submit", json=submit_body())
    assert r.status_code == 409


async def test_submission_emits_the_whole_plan_and_freezes_it(platform, ready):
    w = ready
    plan = await confirmed_plan(platform.api, w)
    pid = plan["id"]
    base = f"{API}/plans/{pid}"
    r1 = expect(await add_result(platform.api, w, pid, who="li", codes=MAJOR_CODES, n_photos=2), 201)
    r2 = expect(await add_result(platform.api, w, pid, who="zhang", codes=FIRE_CODES), 201)
    sig = expect(await sign(platform.api, w, pid), 200)["signature"]
    seal = expect(await sign(platform.api, w, pid, kind="seal"), 200)["seal"]
    async with EventCapture(platform.infra.amqp_url, ["inspections.plan.submitted.v1"]) as events:
        async with platform.api(w.token("zhang")) as zhang:
            body = submit_body("停工整改", seal_required=True)   # r1 is a 重大事故隐患 (HB-06)
            submitted = expect(await zhang.post(f"{base}/submit", json=body), 200)
        event = await events.wait_for("inspections.plan.submitted.v1", pid)
    assert submitted["status"] == "submitted" and submitted["submitted_at"]
    assert submitted["submission"]["disposition"] == "停工整改" and submitted["submission"]["seal_required"] is True
    assert submitted["history"][-1]["action"] == "submitted"

    data = event["data"]
    assert data["plan_id"] == pid and data["station_org_id"] == w.station_id and data["disposition"] == "停工整改"
    assert data["notice"]["title"] == "安全隐患整改告知书" and data["notice"]["construction_stage"] == "主体结构施工"
    [project] = data["projects"]
    assert project["project_id"] == w.project_id and project["name"] == w.project["name"]
    assert project["contractor_org_id"] == w.contractor_id and project["owner_org_id"] == w.owner_id
    assert project["project_manager_user_ids"] == [w.people["liu"].user_id]
    assert data["responsible_supervisor"] == {"user_id": w.people["zhang"].user_id, "name": "张伟"}
    assert {s["name"] for s in data["supervisors"]} == {"张伟", "李娜"}
    assert data["signature"]["key"] == sig["key"] and data["seal"]["key"] == seal["key"]
    by_id = {r["result_id"]: r for r in data["results"]}
    assert set(by_id) == {r1["id"], r2["id"]}
    assert by_id[r1["id"]]["major_hazard"] is True and len(by_id[r1["id"]]["photos"]) == 2
    assert by_id[r1["id"]]["recorded_by"]["name"] == "李娜"
    assert by_id[r2["id"]]["major_hazard"] is False
    assert by_id[r2["id"]]["hazards"] == [{"code": "JGJ59-A.0.2-06", "name": "现场防火", "major": False}]

    # HB-06: nothing changes afterwards, whoever asks
    keys_before = await stored_keys(platform, pid)
    async with platform.api(w.token("zhang")) as zhang, platform.api(w.token("li")) as li:
        refused = [
            await li.post(f"{base}/results", data=result_form(w), files=photos(1)),
            await li.patch(f"{base}/results/{r1['id']}", json={"finding": "提交后修改"}),
            await li.delete(f"{base}/results/{r1['id']}"),
            await li.post(f"{base}/results/{r1['id']}/photos", files=photos(1)),
            await zhang.patch(f"{base}/results/{r1['id']}", json={"finding": "别人的，提交后"}),
            await zhang.put(f"{base}/signature", files={"file": ("s.png", image_bytes("PNG"), "image/png")}),
            await zhang.put(f"{base}/seal", files={"file": ("s.png", image_bytes("PNG"), "image/png")}),
            await zhang.patch(base, json={"title": "提交后改名"}),
            await zhang.delete(base),
            await zhang.post(f"{base}/withdraw"),
            await zhang.post(f"{base}/confirm"),
            await zhang.post(f"{base}/submit", json=submit_body()),
        ]
        assert [r.status_code for r in refused] == [409] * len(refused), [r.text for r in refused]
        # HB-07: the team still reads the plan and its results
        after = expect(await li.get(base), 200)
        listed = expect(await li.get(f"{base}/results"), 200)["items"]
    assert after["status"] == "submitted" and after["signature"]["key"] == sig["key"]
    assert {r["id"] for r in listed} == {r1["id"], r2["id"]}
    assert next(r for r in listed if r["id"] == r1["id"])["finding"] == r1["finding"]
    assert await stored_keys(platform, pid) == keys_before  # refused uploads left nothing behind
    assert len(events.of("inspections.plan.submitted.v1", pid)) == 1


async def test_no_hazard_submission_without_seal(platform, ready):
    plan = await confirmed_plan(platform.api, ready, responsible_supervisor_id=ready.people["li"].user_id)
    expect(await sign(platform.api, ready, plan["id"], who="li"), 200)
    async with platform.api(ready.token("zhang")) as zhang:
        assert (await zhang.post(f"{API}/plans/{plan['id']}/submit", json=submit_body("无隐患"))).status_code == 403
    async with platform.api(ready.token("li")) as li:
        done = expect(await li.post(f"{API}/plans/{plan['id']}/submit", json=submit_body("无隐患", days=-1)), 200)
    assert done["status"] == "submitted" and done["seal"] is None


# --- tenancy ----------------------------------------------------------------------------------

async def test_other_tenant_cannot_reach_results(platform, ready):
    plan = await confirmed_plan(platform.api, ready)
    result = expect(await add_result(platform.api, ready, plan["id"]), 201)
    hebei = await build_world(platform.api, admin_password=platform.admin_password, tenant="hebei",
                              register_project=False)
    url = f"{API}/plans/{plan['id']}/results"
    async with platform.api(hebei.token("zhang")) as c:
        assert (await c.get(url)).status_code == 404
        assert (await c.get(f"{url}/{result['id']}")).status_code == 404
        assert (await c.patch(f"{url}/{result['id']}", json={"finding": "x"})).status_code == 404
        assert (await c.delete(f"{url}/{result['id']}")).status_code == 404
        r = await c.post(url, data={**result_form(ready), "hazard_codes": json.dumps(FIRE_CODES)}, files=photos(1))
        assert r.status_code == 404
        assert (await c.put(f"{API}/plans/{plan['id']}/signature",
                            files={"file": ("s.png", image_bytes("PNG"), "image/png")})).status_code == 404
    assert await result_count(platform, plan["id"]) == 1


async def test_changing_the_responsible_supervisor_clears_signature_and_seal(platform, ready):
    plan = await confirmed_plan(platform.api, ready)
    expect(await sign(platform.api, ready, plan["id"]), 200)
    expect(await sign(platform.api, ready, plan["id"], kind="seal"), 200)
    async with platform.api(ready.token("zhang")) as c:
        changed = expect(await c.patch(f"{API}/plans/{plan['id']}",
                                       json={"responsible_supervisor_id": ready.people["li"].user_id}), 200)
    assert changed["signature"] is None and changed["seal"] is None
    assert await stored_keys(platform, plan["id"]) == []
    assert (await sign(platform.api, ready, plan["id"])).status_code == 403
    assert expect(await sign(platform.api, ready, plan["id"], who="li"), 200)["signature"]


async def test_racing_withdraw_and_first_result_never_both_succeed(platform, ready):
    for _ in range(3):
        plan = await confirmed_plan(platform.api, ready)
        async with platform.api(ready.token("zhang")) as c:
            added, withdrawn = await asyncio.gather(add_result(platform.api, ready, plan["id"], who="li"),
                                                    c.post(f"{API}/plans/{plan['id']}/withdraw"))
            final = expect(await c.get(f"{API}/plans/{plan['id']}"), 200)
        # either the result came first (withdraw 409) or the withdraw did (the draft is hidden
        # from li again: 404, or 409 when the plan was read just before) — never both
        outcome = (added.status_code, withdrawn.status_code)
        assert outcome in ((201, 409), (404, 200), (409, 200)), (added.text, withdrawn.text)
        if added.status_code == 201:
            assert final["status"] == "confirmed" and final["result_count"] == 1
        else:
            assert final["status"] == "draft" and final["result_count"] == 0
            assert await stored_keys(platform, plan["id"]) == [] and await result_count(platform, plan["id"]) == 0


async def test_concurrent_submissions_submit_once(platform, ready):
    plan = await confirmed_plan(platform.api, ready)
    expect(await sign(platform.api, ready, plan["id"]), 200)
    async with EventCapture(platform.infra.amqp_url, ["inspections.plan.submitted.v1"]) as events:
        async with platform.api(ready.token("zhang")) as a, platform.api(ready.token("zhang")) as b:
            url = f"{API}/plans/{plan['id']}/submit"
            r1, r2 = await asyncio.gather(a.post(url, json=submit_body()), b.post(url, json=submit_body()))
        assert sorted([r1.status_code, r2.status_code]) == [200, 409], (r1.text, r2.text)
        await events.wait_for("inspections.plan.submitted.v1", plan["id"])
        marker = await confirmed_plan(platform.api, ready)  # a later event proves nothing else was queued
        expect(await sign(platform.api, ready, marker["id"]), 200)
        async with platform.api(ready.token("zhang")) as c:
            expect(await c.post(f"{API}/plans/{marker['id']}/submit", json=submit_body()), 200)
        await events.wait_for("inspections.plan.submitted.v1", marker["id"])
    assert len(events.of("inspections.plan.submitted.v1", plan["id"])) == 1


async def test_a_burst_of_results_on_one_plan_is_all_recorded(platform, ready):
    """Two supervisors adding 24 results to one plan at once: every one is 201, counted once and
    in the plan's history once. (That the plan's writes queue instead of racing is proven in
    shared/tests/test_transactions.py; this burst alone is too short to exhaust the retries.)"""
    plan = await confirmed_plan(platform.api, ready)
    answers = await asyncio.gather(*(add_result(platform.api, ready, plan["id"], who=("zhang", "li")[i % 2],
                                                finding=f"第{i}处临边防护缺失")
                                     for i in range(24)))
    assert [r.status_code for r in answers] == [201] * 24, [r.text[:200] for r in answers if r.status_code != 201]
    async with platform.api(ready.token("zhang")) as c:
        now = expect(await c.get(f"{API}/plans/{plan['id']}"), 200)
    assert now["result_count"] == 24 == await result_count(platform, plan["id"])
    added = [h for h in now["history"] if h["action"] == "result.added"]
    assert len(added) == 24 and len({h["detail"]["result_id"] for h in added}) == 24


# --- issue 11: decompression bombs and polyglot files (media intake) ---------------------------

async def test_issue_11_a_decompression_bomb_is_413_on_every_plan_image_endpoint(platform, ready):
    """A 13000×13000 PNG of ~20 KB is refused (413 ``image-too-large`` naming the field, not
    500) as a result photo, an added photo, a signature and a seal; nothing is stored."""
    from anjian_shared.testing.media import huge_png

    plan = await confirmed_plan(platform.api, ready)
    result = expect(await add_result(platform.api, ready, plan["id"]), 201)
    before = await stored_keys(platform, plan["id"])
    bomb = ("bomb.png", huge_png(), "image/png")
    async with platform.api(ready.token("zhang")) as c:
        answers = {
            "result": await c.post(f"{API}/plans/{plan['id']}/results", data=result_form(ready),
                                   files=[*photos(1), ("photos", bomb)]),
            "added": await c.post(f"{API}/plans/{plan['id']}/results/{result['id']}/photos",
                                  files=[("photos", bomb)]),
            "signature": await c.put(f"{API}/plans/{plan['id']}/signature", files={"file": bomb}),
            "seal": await c.put(f"{API}/plans/{plan['id']}/seal", files={"file": bomb}),
        }
    for name, r in answers.items():
        assert r.status_code == 413, (name, r.status_code, r.text[:300])
        problem = r.json()
        assert problem["field"] == ("file" if name in ("signature", "seal") else "photos")
        assert problem["type"].endswith("image-too-large"), problem
    assert await stored_keys(platform, plan["id"]) == before and await result_count(platform, plan["id"]) == 1


async def test_issue_11_presigned_photo_urls_serve_the_sniffed_type_inline(platform, ready):
    """A JPEG that is also an HTML page, declared ``text/html``: stored as ``image/jpeg`` and
    its presigned URL (fetched from the real S3 endpoint) answers ``Content-Type: image/jpeg``
    and ``Content-Disposition: inline``, never as a page."""
    from anjian_shared.testing.media import POLYGLOT_HTML, polyglot_jpeg

    plan = await confirmed_plan(platform.api, ready)
    async with platform.api(ready.token("zhang")) as c:
        result = expect(await c.post(f"{API}/plans/{plan['id']}/results", data=result_form(ready),
                                     files=[("photos", ("page.html", polyglot_jpeg(), "text/html"))]), 201)
        signed = expect(await c.put(f"{API}/plans/{plan['id']}/signature",
                                    files={"file": ("sig.html", polyglot_jpeg(), "text/html")}), 200)
    assert result["photos"][0]["content_type"] == "image/jpeg"
    async with platform.api() as raw:  # media come from the gateway origin (/media/…)
        for url in (result["photos"][0]["url"], signed["signature"]["url"]):
            fetched = await raw.get(url)
            assert fetched.status_code == 200 and fetched.content.endswith(POLYGLOT_HTML)
            assert fetched.headers["content-type"] == "image/jpeg"
            assert fetched.headers["content-disposition"].startswith("inline; filename=")
