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

from anjian_local.scenario import PASSWORD, expect
from anjian_local.testing.fixtures import Platform, eventually
from anjian_shared.types import utcnow

T = "hebei"
PDF = b"%PDF-1.4\n% certificate\n"
ROUNDS = 10


async def _setup(platform: Platform) -> dict[str, Any]:
    admin = await platform.admin_token(T)
    sfx = secrets.token_hex(3)
    out: dict[str, Any] = {"admin": admin}
    async with platform.api(admin) as c:
        async def org(name: str, kind: str, roles: list[str]) -> str:
            return expect(await c.post("/api/identity/v1/organizations",
                                       json={"name": f"{name}{sfx}", "kind": kind, "company_roles": roles}), 201)["id"]

        async def user(key: str, org_id: str, role: str) -> None:
            body = {"org_id": org_id, "username": f"{key}.{sfx}", "display_name": key, "password": PASSWORD,
                    "roles": [role]}
            expect(await c.post("/api/identity/v1/users", json=body), 201)
            out[key] = await platform.sign_in(T, f"{key}.{sfx}", PASSWORD)

        out["station"] = await org("石家庄市建设工程安全监督站", "station", [])
        for key, roles in (("lease", ["leasing"]), ("inst1", ["installer"]), ("inst2", ["installer"]),
                           ("con1", ["contractor"]), ("con2", ["contractor"])):
            out[f"{key}_org"] = await org(f"河北{key}公司", "company", roles)
            await user(key, out[f"{key}_org"], "company_admin")
        await user("auth", out["station"], "supervisor")
    return out


async def _filed(platform: Platform, w: dict[str, Any], factory: str) -> str:
    form = {"machine_kind": "tower_crane", "model": "QTZ80", "maker": "中联重科", "factory_number": factory,
            "manufacture_date": (utcnow().date() - timedelta(days=700)).isoformat(), "rated_moment_knm": 800}
    async with platform.api(w["lease"]) as c:
        async def create() -> dict[str, Any]:
            r = await c.post("/api/equipment/v1/applications", json={"kind": "filing", "form": form})
            assert r.status_code == 201, r.text  # 409 until identity's org event has arrived
            return r.json()
        app = await eventually(create, timeout=20)
        for slot in ("manufacturing_licence", "product_certificate", "supervision_certificate"):
            expect(await c.post(f"/api/equipment/v1/applications/{app['id']}/attachments", params={"slot": slot},
                                files={"file": (f"{slot}.pdf", PDF, "application/pdf")}), 201)

        async def submit() -> dict[str, Any]:
            r = await c.post(f"/api/equipment/v1/applications/{app['id']}/submission",
                             json={"authority_org_id": w["station"]})
            assert r.status_code == 200, r.text
            return r.json()
        await eventually(submit, timeout=20)
    async with platform.api(w["auth"]) as c:
        for action in ("accept", "approve"):
            done = expect(await c.post(f"/api/equipment/v1/applications/{app['id']}/decisions",
                                       json={"action": action}), 200)
    assert done["number"].startswith("冀A-T-")
    return done["machine_id"]


async def _draft(platform: Platform, token: str, kind: str, form: dict[str, Any], slot: str) -> str:
    async with platform.api(token) as c:
        app = expect(await c.post("/api/equipment/v1/applications", json={"kind": kind, "form": form}), 201)
        expect(await c.post(f"/api/equipment/v1/applications/{app['id']}/attachments", params={"slot": slot},
                            files={"file": ("a.pdf", PDF, "application/pdf")}), 201)
    return app["id"]


async def _submit(platform: Platform, token: str, app_id: str, station: str) -> Any:
    async with platform.api(token) as c:
        return await c.post(f"/api/equipment/v1/applications/{app_id}/submission", json={"authority_org_id": station})


@pytest.fixture
async def hebei(platform: Platform) -> dict[str, Any]:
    return await _setup(platform)


async def test_heb14_concurrent_installation_notifications_exactly_one_locks(platform: Platform, hebei):
    w = hebei
    for i in range(ROUNDS):
        machine = await _filed(platform, w, f"RACE-{secrets.token_hex(4)}-{i}")
        ids = []
        for who, project in (("inst1", "project-A"), ("inst2", "project-B")):
            form = {"machine_id": machine, "project_id": f"{project}-{i}", "start_date": "2026-01-01",
                    "end_date": "2026-01-03"}
            ids.append(await _draft(platform, w[who], "installation", form, "special_plan"))
        r1, r2 = await asyncio.gather(_submit(platform, w["inst1"], ids[0], w["station"]),
                                      _submit(platform, w["inst2"], ids[1], w["station"]))
        codes = sorted([r1.status_code, r2.status_code])
        assert codes == [200, 409], (r1.text, r2.text)
        loser = r1 if r1.status_code == 409 else r2
        winner_project = "project-A" if loser is r2 else "project-B"
        assert loser.json()["type"].endswith("/machine-locked")
        assert f"{winner_project}-{i}" in loser.json()["detail"]


async def test_heb07_concurrent_use_registrations_naming_one_driver_exactly_one(platform: Platform, hebei):
    w = hebei
    for i in range(ROUNDS):
        driver = f"wang-{secrets.token_hex(4)}"
        apps = []
        for n, (inst, con) in enumerate((("inst1", "con1"), ("inst2", "con2"))):
            machine = await _filed(platform, w, f"USE-{secrets.token_hex(4)}-{i}-{n}")
            project = f"p-{i}-{n}"
            form = {"machine_id": machine, "project_id": project, "start_date": "2026-01-01", "end_date": "2026-01-03"}
            inst_id = await _draft(platform, w[inst], "installation", form, "special_plan")
            expect(await _submit(platform, w[inst], inst_id, w["station"]), 200)
            reg = {"machine_id": machine, "project_id": project,
                   "acceptance_date": (utcnow().date() - timedelta(days=1)).isoformat(),
                   "operators": [{"person_id": driver, "name": "王某", "role": "driver", "certificate_number": "冀A1"}]}
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
