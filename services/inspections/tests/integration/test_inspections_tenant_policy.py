"""The tenant policy takes effect in another service (issue 10): the Hainan administrator
changes it at identity, inspections applies it once ``identity.tenant_policy.updated.v1``
arrived — supervision records switched off (HN-04, 403 ``feature-disabled``) and a lowered
photo limit (PLAT-01, 413 naming ``photos``). Needs identity, projects and inspections.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest_asyncio
from inspections_testkit import API, wait_project_known

from anjian_local.media import site_photo
from anjian_local.scenario import World, build_world, expect
from anjian_local.testing.fixtures import eventually

POLICY = "/api/identity/v1/tenants/hainan/policy"


async def _policy_arrived(platform: Any, version: int) -> None:
    """Poll inspections' read model until it holds ``version`` (the event arrived)."""
    repo = platform.app("inspections").state.mongo.repo("tenant_policy", "hainan")

    async def arrived() -> bool:
        doc = await repo.get("hainan")
        return doc is not None and doc["version"] >= version

    await eventually(arrived, timeout=30)


async def _patch(platform: Any, token: str, body: dict[str, Any]) -> int:
    async with platform.api(token) as c:
        version = expect(await c.patch(POLICY, json=body), 200)["version"]
    await _policy_arrived(platform, version)
    return version


async def _submit(platform: Any, w: World, photo: bytes) -> httpx.Response:
    data = {
        "project_id": w.project_id,
        "check_type": "safety",
        "part_checked": "2#楼 3层 模板支撑",
        "term_codes": json.dumps(["JGJ59-A.0.2-06"]),
        "supplement": "支撑立杆间距过大",
    }
    async with platform.api(w.token("zhang")) as c:
        return await c.post(
            f"{API}/records", data=data, files=[("photos", ("site.jpg", photo, "image/jpeg"))]
        )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def hainan(platform):
    w = await build_world(platform.api, admin_password=platform.admin_password, tenant="hainan")
    await wait_project_known(platform.api, w)
    ids = [p.user_id for p in w.people.values()]
    users = platform.app("inspections").state.mongo.repo("users", "hainan")

    async def known() -> bool:
        return await users.count({"_id": {"$in": ids}}) == len(ids)

    await eventually(known, timeout=30)
    return w


@pytest_asyncio.fixture(loop_scope="session")
async def admin(platform):
    token = await platform.admin_token("hainan")
    yield token
    # back to the defaults, and wait until inspections knows, so later tests see Hainan as before
    await _patch(
        platform,
        token,
        {"features": {"supervision_records": None}, "limits": {"photo_max_bytes": None}},
    )


async def test_hn04_hainan_admin_switches_supervision_records_off_and_inspections_refuses(
    platform, hainan, admin
):
    photo = site_photo(3)
    expect(await _submit(platform, hainan, photo), 201)
    await _patch(platform, admin, {"features": {"supervision_records": False}})
    r = await _submit(platform, hainan, photo)
    assert r.status_code == 403 and r.json()["type"].endswith("/feature-disabled"), r.text
    async with platform.api(hainan.token("zhang")) as c:
        assert (await c.get(f"{API}/terms")).status_code == 403
    await _patch(platform, admin, {"features": {"supervision_records": None}})
    expect(await _submit(platform, hainan, photo), 201)


async def test_plat01_a_lowered_photo_limit_is_413_naming_the_field(platform, hainan, admin):
    photo = site_photo(4)
    assert len(photo) > 2048
    await _patch(platform, admin, {"limits": {"photo_max_bytes": len(photo) - 1}})
    r = await _submit(platform, hainan, photo)
    assert r.status_code == 413 and r.json()["field"] == "photos", r.text
    await _patch(platform, admin, {"limits": {"photo_max_bytes": len(photo)}})
    expect(await _submit(platform, hainan, photo), 201)
    # another province keeps its own limit: Hubei's default is untouched
    hubei = (
        await platform.app("inspections").state.mongo.repo("tenant_policy", "hubei").get("hubei")
    )
    assert hubei is None or "photo_max_bytes" not in hubei["limits"]
