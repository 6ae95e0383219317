"""The Fujian self-inspection flow across identity, projects and inspections, as ``make demo``
plays it: FJ-01..FJ-03 set up by ``demo_fujian.play_fujian`` (platform push, code sign-in, staff
roles), then FJ-04..FJ-11 (``demo_fujian_inspection.play_fujian_inspection``): check-in, a
companion by QR, two "no" points with photos, completion, a stop-work notice to the feedback
person, feedback sent back then accepted, the timeline."""

from __future__ import annotations

import pytest

from anjian_local.demo_fujian import play_fujian
from anjian_local.demo_fujian_inspection import play_fujian_inspection


@pytest.mark.slow
async def test_fj04_to_fj11_fujian_self_inspection_end_to_end(platform):
    """FJ-04..FJ-11 end to end on the real services, on FJ-01..FJ-03's projects and people."""
    lines: list[str] = []
    fujian = await play_fujian(platform.api, admin_password=platform.admin_password, say=lines.append)
    result = await play_fujian_inspection(platform.api, admin_password=platform.admin_password, fujian=fujian,
                                          say=lines.append)
    assert result["status"] == "closed"
    assert result["timeline"] == ["created", "checked_in", "companion_joined", "completed", "notice_issued",
                                  "feedback_sent", "feedback_returned", "feedback_sent", "feedback_accepted",
                                  "closed"]
    assert result["reused_token"] == "companion-token-used"
    assert result["not_stopped"] == "stop-work-required"
    events = platform.app("inspections").state.mongo.db["outbox"]
    types = {e["event"]["type"] async for e in events.find({"event.subject": result["inspection_id"]})}
    assert {f"inspections.self_inspection.{t}.v1" for t in (
        "created", "checked_in", "companion_joined", "completed", "notice_issued", "feedback_sent",
        "feedback_reviewed", "closed")} <= types
