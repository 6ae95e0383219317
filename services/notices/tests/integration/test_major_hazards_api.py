"""The major-hazard register (重大事故隐患挂牌督办) and the stop-work rule over HTTP on real servers:
a Hubei 告知书 resting on a major result is listed for the station leader until the notice closes
(HB-06/HB-08); a Hainan record citing a 2024-standard violation refuses a 整改通知 and accepts a
停工通知, which is listed (HN-07); who may read the register, other tenants, pagination."""

from __future__ import annotations

import json
from typing import Any

from anjian_local.scenario import World, expect
from anjian_local.testing.fixtures import eventually
from anjian_shared.events.inspections_v1 import HazardRef

REGISTER = "/api/notices/v1/major-hazards"


def major_plan(kit: Any, world: World, projects: list[Any]) -> dict[str, Any]:
    """A 停工整改 plan event whose results cite ZD2024-5.4 (as inspections emits it)."""
    event = kit.plan_event(world, disposition="停工整改", projects=projects)
    for r in event["data"]["results"]:
        r["hazards"] = [HazardRef(code="ZD2024-5.4", name="基坑出现坍塌征兆", major=True).model_dump()]
        r["major_hazard"] = True
    return event


async def register(kit_platform: Any, world: World, who: str, **params: Any) -> Any:
    async with kit_platform.api(world.token(who)) as c:
        return await c.get(REGISTER, params=params)


async def test_hb06_a_major_notice_is_listed_until_it_closes(kit):
    """HB-06/HB-08: open with where, since when, which notice, overdue; paginated; closed by the
    accepted reply. A supervisor or a company is refused (403); Hainan sees none of it."""
    hb = kit.hb
    first, second = kit.project(hb), kit.project(hb)
    event = major_plan(kit, hb, [first, second])
    await kit.publish(event)
    [notice] = await kit.wait_notices(hb, first.project_id)
    await kit.wait_notices(hb, second.project_id)

    async def listed() -> list[dict[str, Any]]:
        page = expect(await register(kit.platform, hb, "wang", status="open", limit=100), 200)
        mine = [e for e in page["items"] if e["project_id"] in (first.project_id, second.project_id)]
        assert len(mine) == 2, page
        return mine
    entries = await eventually(listed)
    entry = next(e for e in entries if e["source_id"] == notice["id"])
    assert entry["source"] == "notice" and entry["number"] == notice["number"] and entry["measure"] == "停工整改"
    assert entry["hazards"] == [{"code": "ZD2024-5.4", "name": "基坑出现坍塌征兆"}]
    assert entry["deadline"] == "2026-03-09" and entry["overdue"] is True and entry["status_label"] == "督办中"
    assert entry["station_org_id"] == hb.station_id and entry["found_at"] and entry["listed_at"]
    # paginated: one by one, the same entries without doubles
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1, "project_id": first.project_id}
        if cursor:
            params["cursor"] = cursor
        page = expect(await register(kit.platform, hb, "wang", **params), 200)
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [entry["id"]]
    assert (await register(kit.platform, hb, "zhang")).status_code == 403
    assert (await register(kit.platform, hb, "liu")).status_code == 403
    hn_items = expect(await register(kit.platform, kit.hn, "wang", limit=100), 200)["items"]
    assert entry["id"] not in [e["id"] for e in hn_items]

    async with kit.platform.api(hb.token("liu")) as c:
        replied = expect(await c.post(f"/api/notices/v1/notices/{notice['id']}/replies",
                                      data={"text": "已停工并完成基坑支护加固"},
                                      files=[("photos", ("a.png", kit.image_bytes("PNG"), "image/png"))]), 201)
    async with kit.platform.api(hb.token("zhang")) as c:
        expect(await c.post(f"/api/notices/v1/notices/{notice['id']}/replies/{replied['replies'][-1]['id']}/reviews",
                            json={"decision": "approve"}), 201)
    closed = expect(await register(kit.platform, hb, "wang", status="closed", project_id=first.project_id), 200)
    assert [e["id"] for e in closed["items"]] == [entry["id"]] and closed["items"][0]["closed_at"]
    still_open = expect(await register(kit.platform, hb, "wang", status="open", project_id=second.project_id), 200)
    assert len(still_open["items"]) == 1


async def test_hn07_a_record_citing_a_major_violation_allows_only_a_stop_work_document(docs):
    """HN-07: inspections flags the record from its catalog; notices refuses a 整改通知 on it (422
    ``document_type`` naming the item) and lists the 停工通知 for the station leader."""
    hn = docs.hn
    async with docs.platform.api(hn.token("zhang")) as c:
        record = expect(await c.post("/api/inspections/v1/records", data={
            "project_id": hn.project_id, "check_type": "safety", "part_checked": "2#楼基坑",
            "violation_codes": json.dumps(["ZD2024-5.1"]), "major_hazard": "false"}), 201)
    # the client's "false" is ignored: the catalog decides
    assert record["major_hazard"] is True and record["major_hazard_codes"] == ["ZD2024-5.1"]
    await docs.record_known(hn, record["id"])
    r = await docs.submit(hn, docs.body(hn, record["id"]))
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["code"] == "major-hazard-requires-stop-work" and problem["field"] == "document_type"
    assert "ZD2024-5.1" in problem["detail"]
    doc = expect(await docs.submit(hn, docs.body(hn, record["id"], document_type="stop_work")), 201)
    async with docs.platform.api(hn.token("wang")) as c:
        page = expect(await c.get(REGISTER, params={"status": "open", "project_id": hn.project_id, "limit": 100}),
                      200)
    [entry] = [e for e in page["items"] if e["source_id"] == doc["id"]]
    assert entry["source"] == "document" and entry["measure"] == "stop_work" and entry["measure_label"] == "停工通知"
    assert entry["hazards"][0]["code"] == "ZD2024-5.1" and entry["overdue"] is False
