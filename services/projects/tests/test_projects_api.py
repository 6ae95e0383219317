"""projects over HTTP: a station registers projects; participants see only their own."""

from __future__ import annotations

from anjian_local.scenario import expect


def _body(world, **over):
    body = {"name": "武汉长江新区综合管廊", "address": "武汉市长江新区",
            "owner_org_id": world.owner_id, "contractor_org_id": world.contractor_id,
            "supervision_org_id": world.supervision_id,
            "supervisor_user_ids": [world.people["li"].user_id],
            "participants": [{"user_id": world.people["liu"].user_id, "project_role": "project_manager"}]}
    body.update(over)
    return body


async def test_station_registers_project_with_parties(platform, world):
    p = world.project
    assert p["station_org_id"] == world.station_id
    assert p["contractor_org_id"] == world.contractor_id
    assert {x["project_role"] for x in p["participants"]} == {"project_manager", "chief_supervising_engineer"}
    assert p["participants"][0]["project_role_label"] in ("项目经理", "总监理工程师")
    assert p["code"].isdigit()


async def test_contractor_cannot_register(platform, world):
    async with platform.api(world.token("liu")) as c:
        r = await c.post("/api/projects/v1/projects", json=_body(world))
    assert r.status_code == 403


async def test_party_must_have_the_right_company_role(platform, world):
    async with platform.api(world.token("zhang")) as c:
        r = await c.post("/api/projects/v1/projects", json=_body(world, contractor_org_id=world.owner_id))
    assert r.status_code == 422 and r.json()["field"] == "contractor_org_id"


async def test_supervisors_must_be_station_staff(platform, world):
    async with platform.api(world.token("zhang")) as c:
        r = await c.post("/api/projects/v1/projects",
                         json=_body(world, supervisor_user_ids=[world.people["liu"].user_id]))
    assert r.status_code == 422 and r.json()["field"] == "supervisor_user_ids"


async def test_participant_must_belong_to_a_party(platform, world):
    async with platform.api(world.token("zhang")) as c:
        r = await c.post("/api/projects/v1/projects", json=_body(world, participants=[
            {"user_id": world.people["chen"].user_id, "project_role": "project_manager"}]))
    assert r.status_code == 422 and r.json()["field"] == "participants.0.user_id"


async def test_missing_field_is_named(platform, world):
    body = _body(world)
    del body["address"]
    async with platform.api(world.token("zhang")) as c:
        r = await c.post("/api/projects/v1/projects", json=body)
    assert r.status_code == 422 and r.json()["field"] == "address"


async def test_participants_see_only_their_projects(platform, world):
    async with platform.api(world.token("liu")) as c:
        mine = expect(await c.get("/api/projects/v1/projects"), 200)
        assert world.project_id in [p["id"] for p in mine["items"]]
    async with platform.api(world.token("chen")) as c:
        other = expect(await c.get("/api/projects/v1/projects"), 200)
        assert world.project_id not in [p["id"] for p in other["items"]]
        assert (await c.get(f"/api/projects/v1/projects/{world.project_id}")).status_code == 404


async def test_other_tenant_gets_404(platform, world):
    async with platform.api(await platform.admin_token("hebei")) as c:
        assert (await c.get(f"/api/projects/v1/projects/{world.project_id}")).status_code == 404


async def test_only_the_station_changes_supervisors(platform, world):
    url = f"/api/projects/v1/projects/{world.project_id}/supervisors"
    async with platform.api(world.token("liu")) as c:
        assert (await c.put(url, json={"supervisor_user_ids": [world.people["li"].user_id]})).status_code == 403
    async with platform.api(world.token("zhang")) as c:
        ids = [world.people["zhang"].user_id, world.people["li"].user_id]
        p = expect(await c.put(url, json={"supervisor_user_ids": ids}), 200)
    assert p["supervisor_user_ids"] == ids


async def test_retried_registration_with_idempotency_key_creates_one_project(platform, world):
    headers = {"Idempotency-Key": "register-once-1"}
    async with platform.api(world.token("zhang")) as c:
        first = await c.post("/api/projects/v1/projects", json=_body(world, name="幂等项目"), headers=headers)
        second = await c.post("/api/projects/v1/projects", json=_body(world, name="幂等项目"), headers=headers)
        assert first.status_code == 201 and second.status_code == 201
        assert first.json()["id"] == second.json()["id"]
        assert second.headers.get("idempotent-replayed") == "true"
        listed = expect(await c.get("/api/projects/v1/projects", params={"q": "幂等项目"}), 200)
        assert len(listed["items"]) == 1
        reused = await c.post("/api/projects/v1/projects", json=_body(world, name="另一个"), headers=headers)
        assert reused.status_code == 422 and reused.json()["field"] == "Idempotency-Key"
