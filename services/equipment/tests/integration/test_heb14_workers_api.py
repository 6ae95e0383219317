"""HEB-14 installation workers named by personnel person id over HTTP on the real servers
(``ANJIAN_TEST_SERVICES=identity,projects,personnel,equipment``): the installer enters its
建筑起重机械安装拆卸工 in personnel (HEB-11), names them in its installation notification; another
company's person, a person not yet known (409 + Retry-After) and the old ``worker_user_ids`` are
refused naming the field; a worker removed after the draft was saved is refused at 上报."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import pytest

from anjian_local.demo_hebei import (
    CERTIFICATES,
    approve,
    build_hebei,
    draft,
    settled,
    submit,
    tower_crane,
)
from anjian_local.scenario import expect
from anjian_local.testing.fixtures import Platform, eventually
from anjian_shared.types import utcnow

pytestmark = pytest.mark.asyncio(loop_scope="session")

EQ = "/api/equipment/v1"


def _problem(r: Any) -> tuple[int, str, str | None]:
    body = r.json()
    field = body.get("field") or ((body.get("errors") or [{}])[0].get("field"))
    return r.status_code, body.get("code", ""), field


async def test_heb14_workers_from_the_installers_personnel_over_http(platform: Platform):
    """HEB-14 save and 上报 of an installation/dismantling notification with workers."""
    world, w = await build_hebei(platform.api, admin_password=platform.admin_password)
    async with platform.api(w["inst1"]) as c:
        worker = expect(await c.post("/api/personnel/v1/people", json={
            "name": "赵安装", "category": "crane_installer", "certificate_number": f"冀A{secrets.token_hex(4)}",
            "issued_on": (utcnow().date() - timedelta(days=100)).isoformat()}), 201)
    driver = w["drivers"]["王某"]  # the contractor's crane driver: another company, another category
    async with platform.api(w["lease"]) as c:
        filing = await draft(c, "filing", tower_crane(f"WK{w['suffix']}"), CERTIFICATES)
        expect(await submit(c, filing, world.station_id), 200)
    async with platform.api(world.token("zhang")) as c:
        machine = (await approve(c, filing))["machine_id"]
    today = utcnow().date()

    def form(*people: str, **extra: Any) -> dict[str, Any]:
        return {"machine_id": machine, "project_id": world.project_id, "start_date": today.isoformat(),
                "end_date": (today + timedelta(days=2)).isoformat(),
                "workers": [{"person_id": p} for p in people], **extra}

    async with platform.api(w["inst1"]) as c:
        async def create(body: dict[str, Any], kind: str = "installation") -> Any:
            return await settled(lambda: c.post(f"{EQ}/applications", json={"kind": kind, "form": body}))

        ok = await create(form(worker["id"]))  # waits until the worker reached equipment
        assert ok.status_code == 201, ok.text
        r = await create(form(worker["id"], driver["id"]))
        assert _problem(r) == (422, "person-of-another-company", "form.workers.1.person_id"), r.text
        r = await c.post(f"{EQ}/applications", json={"kind": "installation", "form": form(worker["id"], "0" * 32)})
        assert _problem(r) == (409, "person-not-yet-known", "form.workers.1.person_id"), r.text
        assert r.headers.get("retry-after")
        legacy = {**form(), "worker_user_ids": [world.people["liu"].user_id]}
        legacy.pop("workers")
        r = await c.post(f"{EQ}/applications", json={"kind": "installation", "form": legacy})
        assert r.status_code == 422 and "form.worker_user_ids" in r.text, r.text
        app_id = ok.json()["id"]
        expect(await c.post(f"{EQ}/applications/{app_id}/attachments", params={"slot": "special_plan"},
                            files={"file": ("plan.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}), 201)
        done = expect(await submit(c, app_id), 200)
        assert done["form"]["workers"][0]["person_id"] == worker["id"]
        dismantling = await create(form(worker["id"]), kind="dismantling")
        assert dismantling.status_code == 201, dismantling.text
        expect(await c.delete(f"/api/personnel/v1/people/{worker['id']}"), 200)

        dismantling_id = dismantling.json()["id"]

        async def known_removed() -> Any:  # saving the same form again is refused once the removal arrived
            r = await c.put(f"{EQ}/applications/{dismantling_id}/form", json={"form": form(worker["id"])})
            assert _problem(r) == (422, "person-removed", "form.workers.0.person_id"), r.text
            return r

        # wait by re-saving, never by submitting: a 上报 that raced ahead of the event would succeed
        await eventually(known_removed, timeout=30)
        r = await submit(c, dismantling_id)
        assert _problem(r) == (422, "person-removed", "form.workers.0.person_id"), r.text
