"""HUN-22: the lifecycle table (``applications.TRANSITIONS``) the business-process help is
generated from is what ``Application`` does: every action from every stage succeeds exactly
where the table says, and lands where it says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from anjian_shared.applications import TRANSITIONS, Actor, Application, Stage, new_application
from anjian_shared.errors import Conflict

AT = datetime(2026, 6, 1, tzinfo=UTC)
APPLICANT = Actor(user_id="u", org_id="agency")
OFFICE = Actor(user_id="o", org_id="office")


def _at(stage: Stage) -> Application:
    app = new_application(id="a", kind="user", by=APPLICANT, form={}, at=AT)
    return app.model_copy(update={"stage": stage, "authority_org_id": "office"})


def _run(app: Application, action: str) -> Application | None:
    if action == "edit":
        return app.edit(APPLICANT, {"x": 1}, AT)
    if action == "submit":
        return app.submit(APPLICANT, "office", AT)
    if action == "delete":
        app.ensure_deletable(APPLICANT)
        return None
    return app.apply(action, OFFICE, AT, "理由")


@pytest.mark.parametrize("transition", [t for t in TRANSITIONS if t.action != "create"], ids=lambda t: t.action)
@pytest.mark.parametrize("stage", list(Stage))
def test_hun22_the_transition_table_is_what_the_lifecycle_runs(transition, stage):
    """HUN-22: the table and the methods agree for every (stage, action)."""
    app = _at(stage)
    if stage in transition.from_stages:
        out = _run(app, transition.action)
        if transition.action == "edit":
            assert out is not None and out.stage == stage
        elif transition.action != "delete":
            assert out is not None and out.stage == transition.to_stage
    else:
        with pytest.raises(Conflict):
            _run(app, transition.action)


def test_hun22_create_starts_a_draft():
    """HUN-22: ``create`` has no from-stage and makes a draft."""
    [create] = [t for t in TRANSITIONS if t.action == "create"]
    assert create.from_stages == () and new_application(id="a", kind="k", by=APPLICANT, form={},
                                                        at=AT).stage == create.to_stage
