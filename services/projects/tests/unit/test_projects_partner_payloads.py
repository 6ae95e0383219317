"""Payloads sparing partner call-backs (issue 11, PLAT-03): a project event names the station
and the three parties (from the service's organisation directory), so a partner needs no
call-back for them; a party not (yet) in the directory is left out, never guessed."""

from __future__ import annotations

from test_projects_party_names import TENANT, mongo  # noqa: F401 - mongo is a fixture

from projects.service_layer import use_cases


async def test_plat03_project_events_carry_the_parties_names(mongo):  # noqa: F811
    async with mongo.uow(TENANT) as uow:
        doc = await uow.repo("projects").get("p1")
        data = await use_cases.event_snapshot(uow, doc)
    assert data["station_name"] == "武汉市建设工程安全监督站" and data["owner_name"] == "武汉城投"
    assert data["contractor_name"] == "中建三局"
    assert "supervision_name" not in data          # sv-unknown: not in the directory yet
    assert data["project_id"] == "p1" and data["code"] == "202600001"
