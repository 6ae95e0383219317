"""HB-06 over HTTP: a plan whose result cites a 2024-standard item (重大事故隐患, flagged by the
server whatever the client sends) is submitted only with 停工整改 or 局部停工整改 naming the part;
无隐患 with results and 现场整改 of a 保证项目 are refused; each refusal names the field and the item
and leaves the plan as it was."""

from __future__ import annotations

import pytest_asyncio
from inspections_testkit import (
    API,
    add_result,
    confirmed_plan,
    sign,
    submit_body,
    wait_project_known,
)

from anjian_local.scenario import expect


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def ready(platform, world):
    await wait_project_known(platform.api, world)
    return world


async def test_hb06_a_major_hazard_forces_stop_work(platform, ready):
    """HB-04/HB-06: the flag comes from the catalog (a client ``major_hazard=false`` is ignored);
    限期整改 and 无隐患 are refused naming the item, 局部停工整改 needs the part, then passes."""
    plan = await confirmed_plan(platform.api, ready)
    result = expect(await add_result(platform.api, ready, plan["id"], codes=["ZD2024-5.4"], major_hazard="false"), 201)
    assert result["major_hazard"] is True
    expect(await sign(platform.api, ready, plan["id"]), 200)
    url = f"{API}/plans/{plan['id']}/submit"
    async with platform.api(ready.token("zhang")) as zhang:
        for disposition, slug in (("限期整改", "major-hazard-requires-stop-work"),
                                  ("现场整改", "major-hazard-requires-stop-work"),
                                  ("无隐患", "disposition-contradicts-results")):
            r = await zhang.post(url, json=submit_body(disposition))
            assert r.status_code == 422 and r.json()["code"] == slug, r.text
            assert r.json()["field"] == "disposition"
        assert "ZD2024-5.4" in (await zhang.post(url, json=submit_body("限期整改"))).json()["detail"]
        r = await zhang.post(url, json=submit_body("局部停工整改"))
        assert r.status_code == 422 and r.json()["field"] == "stop_work_part", r.text
        assert expect(await zhang.get(f"{API}/plans/{plan['id']}"), 200)["status"] == "confirmed"
        done = expect(await zhang.post(url, json={**submit_body("局部停工整改"), "stop_work_part": "3#楼基坑"}), 200)
    assert done["status"] == "submitted" and done["submission"]["stop_work_part"] == "3#楼基坑"


async def test_hb06_on_site_fix_is_refused_for_a_guarantee_item(platform, ready):
    """HB-06: 现场整改 of a JGJ 59 保证项目 (安全生产责任制) is refused; 限期整改 passes."""
    plan = await confirmed_plan(platform.api, ready)
    expect(await add_result(platform.api, ready, plan["id"], codes=["JGJ59-A.0.1-01"]), 201)
    expect(await sign(platform.api, ready, plan["id"]), 200)
    url = f"{API}/plans/{plan['id']}/submit"
    async with platform.api(ready.token("zhang")) as zhang:
        r = await zhang.post(url, json=submit_body("现场整改"))
        assert r.status_code == 422 and r.json()["code"] == "on-site-fix-not-allowed", r.text
        assert "JGJ59-A.0.1-01" in r.json()["detail"]
        expect(await zhang.post(url, json=submit_body("限期整改")), 200)
