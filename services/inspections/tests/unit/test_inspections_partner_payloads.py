"""Payloads sparing partner call-backs (issue 11, PLAT-03): a record's review and release name
the project, the check type and the part checked, not the record id alone. On the fakes,
reusing the world of ``test_inspections_records_use_cases``."""

from __future__ import annotations

from test_inspections_records_use_cases import (  # noqa: F401 - world is a fixture
    LEADER,
    PM,
    RELEASED,
    REVIEWED,
    TENANT,
    review,
    submit,
    world,
)


async def test_plat03_record_review_and_release_name_the_project_and_what_was_checked(world):  # noqa: F811
    doc = await submit(world, reviewers=[LEADER], receivers=[PM])
    await review(world, doc["_id"], LEADER, "approve")
    for event_type in (REVIEWED, RELEASED):
        data = world[0].events(event_type, tenant=TENANT)[0]["data"]
        assert data["project_name"] == "海口一号楼", event_type
        assert data["check_type"] == "safety" and data["part_checked"] == "2#楼5层", event_type
