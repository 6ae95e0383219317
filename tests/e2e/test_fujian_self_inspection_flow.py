"""The Fujian self-inspection flow across identity, projects and inspections, as ``make demo``
plays it (FJ-01..FJ-03 set-up by H5's platform sync, one-time-code sign-in and staff roles;
FJ-04..FJ-11 the self-inspection): check-in, a companion by QR, two "no" points with photos,
completion, a stop-work notice to the feedback person, feedback sent back then accepted, the
timeline, and the station's overview."""

from __future__ import annotations

import pytest

from anjian_local.demo_fujian import play_fujian


@pytest.mark.slow
async def test_fj04_to_fj11_fujian_flow_end_to_end(platform):
    """FJ-04..FJ-11 end to end on the real services."""
    lines: list[str] = []
    result = await play_fujian(platform.api, admin_password=platform.admin_password, say=lines.append)
    assert result["status"] == "closed"
    assert result["timeline"] == ["created", "checked_in", "companion_joined", "completed", "notice_issued",
                                  "feedback_sent", "feedback_returned", "feedback_sent", "feedback_accepted",
                                  "closed"]
    assert any("companion-token-used" in line for line in lines)
    assert any("stop-work-required" in line for line in lines)
    rows = [p for c in result["overview"]["companies"] for p in c["projects"]]
    assert any(p["project_id"] == result["project_id"] and p["inspections"] >= 1 and p["hazards"] == 2
               for p in rows)
