"""A project's parties come with names (issue 11, "for the people building front ends"): ``GET
/projects/{id}`` (and the list) names the station, the owner, contractor and supervision
companies and the supervisors, from the service's organisation and user directories, so a
form needs no three more calls. An organisation not (yet) in the directory reads as its id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from projects.entrypoints.api.routes import project_read
from projects.service_layer import use_cases

TENANT = "hubei"
T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
async def mongo() -> FakeDatabase:
    db = FakeDatabase(service="projects")
    orgs = (("st", "武汉市建设工程安全监督站"), ("own", "武汉城投"), ("con", "中建三局"), ("sv", "华中监理"))
    for org_id, name in orgs:
        await db.repo("organizations", TENANT).insert({"_id": org_id, "name": name, "kind": "company"})
    for uid, name in (("zhang", "张伟"), ("li", "李娜")):
        await db.repo("users", TENANT).insert({"_id": uid, "display_name": name, "org_id": "st"})
    await db.repo("projects", TENANT).insert({
        "_id": "p1", "code": "202600001", "name": "一号楼", "address": "江岸区", "station_org_id": "st",
        "owner_org_id": "own", "contractor_org_id": "con", "supervision_org_id": "sv-unknown",
        "supervisor_user_ids": ["zhang", "li", "gone"], "participants": [], "status": "active", "created_at": T0})
    return db


async def test_get_project_names_every_party_and_supervisor(mongo):
    actor = Principal(user_id="zhang", tenant=TENANT, org_id="st", roles=["supervisor"], name="张伟",
                      org_kind="station")
    body = project_read(await use_cases.get_project(mongo=mongo, actor=actor, project_id="p1")).model_dump()
    assert body["station"] == {"org_id": "st", "name": "武汉市建设工程安全监督站"}
    assert body["owner"] == {"org_id": "own", "name": "武汉城投"}
    assert body["contractor"] == {"org_id": "con", "name": "中建三局"}
    assert body["supervision"] == {"org_id": "sv-unknown", "name": "sv-unknown"}   # not in the directory yet
    assert body["supervisors"] == [{"user_id": "zhang", "name": "张伟"}, {"user_id": "li", "name": "李娜"},
                                   {"user_id": "gone", "name": "gone"}]
    assert body["owner_org_id"] == "own"                                               # the ids stay


async def test_the_project_list_names_parties_too(mongo):
    actor = Principal(user_id="zhang", tenant=TENANT, org_id="st", roles=["supervisor"], name="张伟",
                      org_kind="station")
    page = await use_cases.list_projects(mongo=mongo, actor=actor, limit=10)
    [body] = [project_read(d).model_dump() for d in page.items]
    assert body["contractor"]["name"] == "中建三局" and body["supervisors"][0]["name"] == "张伟"
