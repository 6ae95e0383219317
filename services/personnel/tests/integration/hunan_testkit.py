"""The Hunan people the personnel integration tests act as (one builder for every test file).

``hunan_world(platform, orgs)`` creates, in tenant hunan, one organisation per ``(key, kind,
division_code, role)`` with one signed-in user of that role: ``out[key]`` is the user's token,
``out[f"{key}_org"]`` the organisation's id, ``out["admin"]`` the province administrator's token.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from anjian_local.scenario import PASSWORD, expect
from anjian_local.testing.fixtures import Platform

T = "hunan"

COUNTIES_AND_OFFICE = (("furong", "agency", "430102", "station_leader"),   # a county of 长沙 (430100)
                       ("yuelu", "agency", "430104", "station_leader"),    # a sibling county
                       ("office", "authority", "430000", "station_leader"))  # the province office


async def hunan_world(platform: Platform, orgs: Iterable[tuple[str, str, str, str]] = COUNTIES_AND_OFFICE
                      ) -> dict[str, Any]:
    admin = await platform.admin_token(T)
    sfx = secrets.token_hex(3)
    out: dict[str, Any] = {"admin": admin}
    async with platform.api(admin) as c:
        for key, kind, division, role in orgs:
            org = expect(await c.post("/api/identity/v1/organizations", json={
                "name": f"{key}{sfx}", "kind": kind, "division_code": division}), 201)["id"]
            out[f"{key}_org"] = org
            expect(await c.post("/api/identity/v1/users", json={
                "org_id": org, "username": f"{key}.{sfx}", "display_name": key, "password": PASSWORD,
                "roles": [role]}), 201)
            out[key] = await platform.sign_in(T, f"{key}.{sfx}", PASSWORD)
        out["sfx"] = sfx
    return out
