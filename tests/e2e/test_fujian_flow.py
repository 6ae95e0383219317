"""``make demo``'s Fujian part end to end (FJ-01..FJ-03): the platform pushes two projects (a
replay changes nothing), the chief signs in with a code, a wrong mobile is refused clearly,
the administrator sets the roles and one illegal double role is refused.

    ANJIAN_TEST_SERVICES=identity,projects .venv/bin/python -m pytest -q tests/e2e/test_fujian_flow.py
"""

from __future__ import annotations

from anjian_local.demo_fujian import play_fujian


async def test_fj01_fj03_the_fujian_demo_plays(platform):
    """FJ-01..FJ-03: the demo's Fujian part, as ``make demo`` plays it."""
    result = await play_fujian(platform.api, admin_password=platform.admin_password, say=lambda _: None)
    assert result["replayed"] == ["unchanged", "unchanged"]
    assert result["refused_sign_in"]["code"] == "mobile-not-registered"
    assert result["illegal_role"]["code"] == "supervision-role-exclusive"
    roles = {(p["user_id"], p["project_role"]) for p in result["participants"]}
    assert (result["staff"]["li"], "feedback_person") in roles
    assert (result["staff"]["wang"], "specialist_supervising_engineer") in roles
