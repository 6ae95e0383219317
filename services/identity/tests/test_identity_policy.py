"""The tenant policy over HTTP on the real platform (issue 10, PLAT-01): the province
administrator reads and changes it; the change is versioned, audited and published.

Uses Fujian (no flow of the other tests depends on its policy) and resets what it changed.
"""

from __future__ import annotations

import secrets

import pytest_asyncio

from anjian_local.scenario import PASSWORD, expect
from anjian_local.testing.fixtures import eventually

POLICY = "/api/identity/v1/tenants/{}/policy"


@pytest_asyncio.fixture(loop_scope="session")
async def fujian_admin(platform):
    token = await platform.admin_token("fujian")
    yield token
    async with platform.api(token) as c:  # back to the defaults for whoever runs next
        expect(
            await c.patch(
                POLICY.format("fujian"),
                json={
                    "features": {"attendance": None},
                    "limits": {"photo_max_bytes": None, "video_max_bytes": None},
                    "settings": {"notice_abbreviation": None},
                },
            ),
            200,
        )


async def _outbox(platform, version: int) -> list[dict]:
    db = platform.app("identity").state.mongo.db
    return await db.outbox.find(
        {
            "tenant_id": "fujian",
            "type": "identity.tenant_policy.updated.v1",
            "event.data.version": version,
        }
    ).to_list()


async def test_plat01_admin_reads_the_effective_policy_with_its_defaults(platform, fujian_admin):
    async with platform.api(fujian_admin) as c:
        policy = expect(await c.get(POLICY.format("fujian")), 200)
    assert policy["tenant"] == "fujian"
    assert policy["features"]["supervision_records"]["requirement"] == "HN-04..HN-06"
    photo = policy["limits"]["photo_max_bytes"]
    assert photo["unit"] == "bytes" and photo["minimum"] <= photo["value"] <= photo["maximum"]
    assert policy["settings"]["notice_abbreviation"]["value"] == "闽"
    assert all(v["is_default"] for v in policy["features"].values()) or policy["version"] > 0


async def test_plat01_admin_changes_a_limit_audited_and_published(platform, fujian_admin):
    request_id = f"req-{secrets.token_hex(4)}"
    async with platform.api(fujian_admin) as c:
        before = expect(await c.get(POLICY.format("fujian")), 200)
        r = await c.patch(
            POLICY.format("fujian"),
            json={"limits": {"photo_max_bytes": 614400}, "features": {"attendance": False}},
            headers={"X-Request-ID": request_id, "X-Forwarded-For": "203.0.113.9"},
        )
        after = expect(r, 200)
        assert after["version"] == before["version"] + 1
        assert after["limits"]["photo_max_bytes"] == {
            **after["limits"]["photo_max_bytes"],
            "value": 614400,
            "is_default": False,
        }
        assert after["features"]["attendance"]["value"] is False
        assert after["limits"]["video_max_bytes"]["is_default"]
        assert expect(await c.get(POLICY.format("fujian")), 200) == after
        audit = expect(await c.get(POLICY.format("fujian") + "/audit"), 200)["items"][0]
    assert audit["version"] == after["version"] and audit["request_id"] == request_id
    assert audit["actor_roles"] == ["province_admin"] and audit["forwarded_for"] == "203.0.113.9"
    assert audit["address"] and len(audit["hash"]) == 64
    old = before["limits"]["photo_max_bytes"]
    assert {
        "field": "limits.photo_max_bytes",
        "old": None if old["is_default"] else old["value"],
        "new": 614400,
    } in audit["changes"]
    [row] = await _outbox(platform, after["version"])
    data = row["event"]["data"]
    assert data["limits"]["photo_max_bytes"] == 614400 and data["features"]["attendance"] is False
    assert row["event"]["subject"] == "fujian" and row["event"]["tenant"] == "fujian"

    async def published() -> bool:
        return (await _outbox(platform, after["version"]))[0]["status"] == "sent"

    await eventually(published, timeout=15)


async def test_unknown_names_and_values_out_of_bounds_are_422_naming_the_field(
    platform, fujian_admin
):
    async with platform.api(fujian_admin) as c:
        for body, field in (
            ({"limits": {"photo_max_bytez": 1}}, "limits.photo_max_bytez"),
            ({"limits": {"photo_max_bytes": 12}}, "limits.photo_max_bytes"),
            ({"features": {"flying": True}}, "features.flying"),
            ({"settings": {"notice_abbreviation": "FJ"}}, "settings.notice_abbreviation"),
            ({"colour": "red"}, "colour"),
        ):
            r = await c.patch(POLICY.format("fujian"), json=body)
            assert r.status_code == 422 and r.json()["field"] == field, (body, r.text)


async def test_wrong_role_is_403_and_another_provinces_admin_404(platform, fujian_admin):
    username = f"leader.{secrets.token_hex(3)}"
    async with platform.api(
        fujian_admin
    ) as c:  # a Fujian station leader: of the province, not its admin
        station = expect(
            await c.post(
                "/api/identity/v1/organizations",
                json={"name": f"福州市监督站-{username}", "kind": "station"},
            ),
            201,
        )
        expect(
            await c.post(
                "/api/identity/v1/users",
                json={
                    "org_id": station["id"],
                    "username": username,
                    "display_name": "林站长",
                    "password": PASSWORD,
                    "roles": ["station_leader", "supervisor"],
                },
            ),
            201,
        )
    async with platform.api(await platform.sign_in("fujian", username, PASSWORD)) as c:
        r = await c.get(POLICY.format("fujian"))
        assert r.status_code == 403 and r.json()["type"].endswith("/not-policy-admin"), r.text
        r = await c.patch(POLICY.format("fujian"), json={"features": {"positioning": False}})
        assert r.status_code == 403
    async with platform.api(await platform.admin_token("hubei")) as c:
        assert (await c.get(POLICY.format("fujian"))).status_code == 404
        assert (
            await c.patch(POLICY.format("fujian"), json={"limits": {"photo_max_bytes": 2048}})
        ).status_code == 404
        assert (await c.get(POLICY.format("atlantis"))).status_code in (404, 422)
    async with platform.api() as c:
        assert (await c.get(POLICY.format("fujian"))).status_code == 401


async def test_a_retried_patch_with_the_same_idempotency_key_has_one_effect(platform, fujian_admin):
    key = secrets.token_hex(8)
    async with platform.api(fujian_admin) as c:
        before = expect(await c.get(POLICY.format("fujian")), 200)["version"]
        body = {"limits": {"video_max_bytes": 31 * 1024 * 1024 + int(key[:4], 16)}}
        first = await c.patch(POLICY.format("fujian"), json=body, headers={"Idempotency-Key": key})
        again = await c.patch(POLICY.format("fujian"), json=body, headers={"Idempotency-Key": key})
        assert expect(first, 200)["version"] == before + 1
        assert (
            expect(again, 200) == first.json()
            and again.headers.get("idempotent-replayed") == "true"
        )
        assert expect(await c.get(POLICY.format("fujian")), 200)["version"] == before + 1
        audit = expect(await c.get(POLICY.format("fujian") + "/audit"), 200)["items"]
    assert [a["version"] for a in audit].count(before + 1) == 1
    assert len(await _outbox(platform, before + 1)) == 1
