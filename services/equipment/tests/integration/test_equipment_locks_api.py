"""HEB-06/07/14/15 over HTTP on the real servers (identity + equipment): filing, the machine lock
and the operator lock refused with 409 naming where, and the lock races — two installation
notifications for one machine, and two use registrations naming one driver, fired concurrently
many times: exactly one passes each time (the database's unique index decides)."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from typing import Any

import pytest

from anjian_local.demo_hebei import CERTIFICATES, approve, build_hebei, draft, submit, tower_crane
from anjian_local.scenario import expect
from anjian_local.testing.fixtures import Platform
from anjian_shared.types import utcnow

T = "hebei"
PDF = b"%PDF-1.4\n% certificate\n"
ROUNDS = 10


async def _setup(platform: Platform) -> dict[str, Any]:
    """The Shijiazhuang world of ``make demo`` (``anjian_local.demo_hebei.build_hebei``): projects
    and people are real (the projects and personnel services), the authority is answered from
    the GB/T 2260 codes (the station of 130102)."""
    world, extra = await build_hebei(platform.api, admin_password=platform.admin_password)
    out: dict[str, Any] = {**extra, "station": world.station_id, "auth": world.token("zhang"),
                           "con1": world.token("liu"), "con2": world.token("chen"), "project_a": world.project_id,
                           "world": world}
    return out


async def _filed(platform: Platform, w: dict[str, Any], factory: str) -> str:
    async with platform.api(w["lease"]) as c:
        app_id = await draft(c, "filing", tower_crane(factory), CERTIFICATES)
        expect(await submit(c, app_id, w["station"]), 200)
    async with platform.api(w["auth"]) as c:
        done = await approve(c, app_id)
    assert done["number"].startswith("冀130102-T-")
    return str(done["machine_id"])


async def _draft(platform: Platform, token: str, kind: str, form: dict[str, Any], slot: str) -> str:
    async with platform.api(token) as c:
        return await draft(c, kind, form, (slot,))


async def _submit(platform: Platform, token: str, app_id: str, station: str) -> Any:
    async with platform.api(token) as c:
        return await submit(c, app_id)


async def _person(platform: Platform, w: dict[str, Any], name: str) -> dict[str, Any]:
    async with platform.api(w["con_admin"]) as c:
        return expect(await c.post("/api/personnel/v1/people", json={
            "name": name, "category": "crane_driver", "certificate_number": f"冀A{secrets.token_hex(5)}",
            "issued_on": (utcnow().date() - timedelta(days=100)).isoformat()}), 201)


@pytest.fixture
async def hebei(platform: Platform) -> dict[str, Any]:
    return await _setup(platform)


async def test_heb14_concurrent_installation_notifications_exactly_one_locks(platform: Platform, hebei):
    w = hebei
    for i in range(ROUNDS):
        machine = await _filed(platform, w, f"RACE-{secrets.token_hex(4)}-{i}")
        ids = []
        for who, project in (("inst1", w["project_a"]), ("inst2", w["project_b"])):
            form = {"machine_id": machine, "project_id": project, "start_date": "2026-01-01",
                    "end_date": "2026-01-03"}
            ids.append(await _draft(platform, w[who], "installation", form, "special_plan"))
        r1, r2 = await asyncio.gather(_submit(platform, w["inst1"], ids[0], w["station"]),
                                      _submit(platform, w["inst2"], ids[1], w["station"]))
        codes = sorted([r1.status_code, r2.status_code])
        assert codes == [200, 409], (r1.text, r2.text)
        loser = r1 if r1.status_code == 409 else r2
        winner_project = w["project_a"] if loser is r2 else w["project_b"]
        assert loser.json()["type"].endswith("/machine-locked")
        assert winner_project in loser.json()["detail"]


async def test_heb07_concurrent_use_registrations_naming_one_driver_exactly_one(platform: Platform, hebei):
    w = hebei
    for i in range(ROUNDS):
        person = await _person(platform, w, f"王{i}")
        driver = person["id"]
        apps = []
        for n, (inst, con, project) in enumerate((("inst1", "con1", w["project_a"]),
                                                  ("inst2", "con2", w["project_b"]))):
            machine = await _filed(platform, w, f"USE-{secrets.token_hex(4)}-{i}-{n}")
            form = {"machine_id": machine, "project_id": project, "start_date": "2026-01-01", "end_date": "2026-01-03"}
            inst_id = await _draft(platform, w[inst], "installation", form, "special_plan")
            expect(await _submit(platform, w[inst], inst_id, w["station"]), 200)
            reg = {"machine_id": machine, "project_id": project,
                   "acceptance_date": (utcnow().date() - timedelta(days=1)).isoformat(),
                   "operators": [{"person_id": driver, "name": person["name"], "role": "driver",
                                  "certificate_number": person["certificate_number"]}]}
            apps.append((con, await _draft(platform, w[con], "use_registration", reg, "acceptance_record")))
        r1, r2 = await asyncio.gather(*(_submit(platform, w[con], app_id, w["station"]) for con, app_id in apps))
        assert sorted([r1.status_code, r2.status_code]) == [200, 409], (r1.text, r2.text)
        loser = r1 if r1.status_code == 409 else r2
        assert loser.json()["type"].endswith("/operator-locked")
    # the authority unlocks the last driver (audited, with a reason); unknown → 404
    async with platform.api(w["auth"]) as c:
        expect(await c.request("DELETE", f"/api/equipment/v1/operator-locks/{driver}", json={"reason": "调离"}), 200)
        expect(await c.request("DELETE", f"/api/equipment/v1/operator-locks/{driver}", json={"reason": "调离"}), 404)
    async with platform.api(w["con1"]) as c:
        r = await c.request("DELETE", f"/api/equipment/v1/operator-locks/{driver}", json={"reason": "x"})
        assert r.status_code == 403
