"""Build a Hubei world over HTTP, as real users would: the province admin registers a
Wuhan supervision station and three companies and their people; a supervisor
registers a project. Used by the tests and by ``make demo``.

Every user name gets ``suffix`` so several worlds can live in one database.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

PASSWORD = "Anjian-pass-2026"

ApiFactory = Callable[..., httpx.AsyncClient]
"""``api(token=None) -> httpx.AsyncClient`` whose base URL serves ``/api/<service>/v1``."""


@dataclass
class Person:
    user_id: str
    username: str
    name: str
    org_id: str
    token: str = ""


@dataclass
class World:
    tenant: str
    station_id: str
    owner_id: str
    contractor_id: str
    supervision_id: str
    other_contractor_id: str
    people: dict[str, Person] = field(default_factory=dict)
    project_id: str = ""
    project: dict[str, Any] = field(default_factory=dict)

    def token(self, who: str) -> str:
        return self.people[who].token


def expect(resp: httpx.Response, status: int) -> dict[str, Any]:
    if resp.status_code != status:
        raise AssertionError(f"{resp.request.method} {resp.request.url.path} → {resp.status_code}, "
                             f"expected {status}: {resp.text[:500]}")
    return resp.json() if resp.content else {}


async def sign_in(api: ApiFactory, tenant: str, username: str, password: str) -> str:
    async with api() as c:
        return expect(await c.post("/api/identity/v1/sessions",
                                   json={"tenant": tenant, "username": username, "password": password}),
                      200)["access_token"]


@dataclass(frozen=True)
class Place:
    """Names of the world's station, companies and project (the default: Wuhan, Hubei)."""

    station: str = "武汉市建设工程安全监督站"
    owner: str = "武汉光谷建设投资有限公司"
    contractor: str = "中建三局第一建设工程有限责任公司"
    supervision: str = "武汉华中建设监理有限公司"
    other_contractor: str = "湖北省工业建筑集团有限公司"
    project: str = "武汉光谷科技园二期"
    address: str = "武汉市东湖新技术开发区高新大道 888 号"
    division_code: str | None = None
    """GB/T 2260 code given to the station and the companies (None: no division, as before HEB-01)."""


WUHAN = Place()
HAIKOU = Place(station="海口市建设工程质量安全监督站", owner="海口江东新区开发建设有限公司",
               contractor="中国建筑第四工程局有限公司", supervision="海南华磊建设监理有限公司",
               other_contractor="海南建设工程股份有限公司", project="海口江东新区总部经济区A08地块",
               address="海口市美兰区江东大道 168 号")


async def build_world(api: ApiFactory, *, admin_password: str, tenant: str = "hubei",
                      suffix: str | None = None, register_project: bool = True, place: Place = WUHAN) -> World:
    """Create the station, companies and people (named after ``place``), sign everyone in,
    register a project."""
    suffix = suffix or secrets.token_hex(3)
    admin = await sign_in(api, tenant, "admin", admin_password)
    async with api(admin) as c:
        async def org(name: str, kind: str, roles: list[str] | None = None) -> str:
            body: dict[str, Any] = {"name": name, "kind": kind, "company_roles": roles or []}
            if place.division_code:
                body["division_code"] = place.division_code
            return expect(await c.post("/api/identity/v1/organizations", json=body), 201)["id"]

        world = World(
            tenant=tenant,
            station_id=await org(f"{place.station}{suffix}", "station"),
            owner_id=await org(f"{place.owner}{suffix}", "company", ["owner"]),
            contractor_id=await org(f"{place.contractor}{suffix}", "company", ["contractor"]),
            supervision_id=await org(f"{place.supervision}{suffix}", "company", ["supervision"]),
            other_contractor_id=await org(f"{place.other_contractor}{suffix}", "company", ["contractor"]),
        )
        staff = {
            "zhang": ("张伟", world.station_id, ["supervisor"]),
            "li": ("李娜", world.station_id, ["supervisor"]),
            "wang": ("王强", world.station_id, ["station_leader"]),
            "liu": ("刘洋", world.contractor_id, ["project_manager"]),
            "chen": ("陈静", world.other_contractor_id, ["project_manager"]),
            "zhao": ("赵敏", world.supervision_id, ["company_staff"]),
        }
        for key, (name, org_id, roles) in staff.items():
            username = f"{key}.{suffix}"
            body = {"org_id": org_id, "username": username, "display_name": name, "password": PASSWORD,
                    "roles": roles}
            user = expect(await c.post("/api/identity/v1/users", json=body), 201)
            world.people[key] = Person(user["id"], username, name, org_id)
    for person in world.people.values():
        person.token = await sign_in(api, tenant, person.username, PASSWORD)
    if register_project:
        await register_hubei_project(api, world, name=place.project, address=place.address)
    return world


async def register_hubei_project(api: ApiFactory, world: World, *, name: str = WUHAN.project,
                                 address: str = WUHAN.address) -> dict[str, Any]:
    """张伟 registers the project; projects learns the orgs and users from identity's
    events first, so this retries while they are still on their way."""
    import asyncio
    import time

    body = {"name": name, "address": address,
            "owner_org_id": world.owner_id, "contractor_org_id": world.contractor_id,
            "supervision_org_id": world.supervision_id,
            "supervisor_user_ids": [world.people["zhang"].user_id, world.people["li"].user_id],
            "participants": [{"user_id": world.people["liu"].user_id, "project_role": "project_manager"},
                             {"user_id": world.people["zhao"].user_id,
                              "project_role": "chief_supervising_engineer"}]}
    deadline = time.monotonic() + 30
    async with api(world.token("zhang")) as c:
        while True:
            r = await c.post("/api/projects/v1/projects", json=body)
            if r.status_code == 201 or time.monotonic() > deadline or r.status_code != 422:
                break
            await asyncio.sleep(0.2)
        project = expect(r, 201)
    world.project_id = project["id"]
    world.project = project
    return project
