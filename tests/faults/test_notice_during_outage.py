"""PLAT-04 (nothing lost when a service, the broker or the database goes away).
HB-06/HB-08 under a broker outage: a plan submitted while RabbitMQ is down still
produces exactly one notice for the contractor once the broker is back."""

from __future__ import annotations

import signal
import time

import pytest

from anjian_local.fixtures_faults import restart_process
from anjian_local.media import signature_png, site_photo
from anjian_local.scenario import expect
from anjian_local.testing.fixtures import eventually


@pytest.mark.slow
async def test_plan_submitted_while_broker_down_yields_one_notice(platform, world):
    infra = platform.infra.embedded
    if infra is None:
        pytest.skip("needs the embedded infrastructure to stop the broker")
    zhang, li, liu = world.people["zhang"], world.people["li"], world.people["liu"]
    async with platform.api(zhang.token) as zc:
        async def create() -> dict | None:
            r = await zc.post("/api/inspections/v1/plans", json={
                "title": "停机演练抽查", "project_ids": [world.project_id], "planned_date": time.strftime("%Y-%m-%d"),
                "supervisor_user_ids": [zhang.user_id, li.user_id]})
            return r.json() if r.status_code == 201 else None

        plan = await eventually(create, timeout=30)
        expect(await zc.post(f"/api/inspections/v1/plans/{plan['id']}/confirm"), 200)
        expect(await zc.post(f"/api/inspections/v1/plans/{plan['id']}/results", data={
            "project_id": world.project_id, "building_name": "2#楼", "hazard_codes": ["ZD2024-4.1"],
            "finding": "施工企业无安全生产许可证。"}, files=[("photos", ("a.jpg", site_photo(7), "image/jpeg"))]), 201)
        expect(await zc.put(f"/api/inspections/v1/plans/{plan['id']}/signature",
                            files={"file": ("s.png", signature_png(), "image/png")}), 200)

        infra.kill("rabbitmq", signal.SIGKILL)
        try:
            submitted = expect(await zc.post(f"/api/inspections/v1/plans/{plan['id']}/submit", json={
                "disposition": "停工整改", "seal_required": False,
                "notice": {"title": "停工整改告知书", "construction_stage": "基础施工",
                           "rectification_date": time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400))}}),
                200)
            assert submitted["status"] == "submitted"
        finally:
            await restart_process(infra, "rabbitmq")
            await platform.wait_ready()

    async with platform.api(liu.token) as pc:
        async def notices_for_plan() -> list:
            items = expect(await pc.get("/api/notices/v1/notices", params={"limit": 100}), 200)["items"]
            return [n for n in items if n["plan_id"] == plan["id"]]

        found = await eventually(notices_for_plan, timeout=90)
        assert len(found) == 1 and found[0]["disposition"] == "停工整改"

        async def notified() -> list:
            items = expect(await pc.get("/api/reporting/v1/notifications", params={"limit": 100}), 200)["items"]
            return [n for n in items if n.get("notice_id") == found[0]["id"]]

        assert len(await eventually(notified, timeout=60)) == 1
        # settle: still exactly one notice
        assert len(await notices_for_plan()) == 1
