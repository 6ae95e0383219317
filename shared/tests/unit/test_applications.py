"""HEB-03: the application (事项) lifecycle — every transition, allowed and refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from anjian_shared.applications import (
    STAGE_LABELS,
    Actor,
    Application,
    Stage,
    applicant_filter,
    inbox_filter,
    new_application,
)
from anjian_shared.errors import Conflict, Forbidden, Unprocessable

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
APPLICANT = Actor(user_id="u-lease", org_id="org-lease", name="租赁公司管理员")
COLLEAGUE = Actor(user_id="u-lease-2", org_id="org-lease", name="同事")
OTHER_CO = Actor(user_id="u-other", org_id="org-other", name="别的公司")
AUTHORITY = Actor(user_id="u-auth", org_id="org-auth", name="住建局")
OTHER_AUTHORITY = Actor(user_id="u-auth2", org_id="org-auth2", name="别的住建局")


def draft() -> Application:
    return new_application(id="a1", kind="filing", by=APPLICANT, form={"model": "QTZ80"}, at=T0)


def submitted() -> Application:
    return draft().submit(APPLICANT, "org-auth", T0 + timedelta(minutes=1))


def accepted() -> Application:
    return submitted().accept(AUTHORITY, T0 + timedelta(minutes=2))


def test_heb03_new_draft_has_create_step_and_chinese_label():
    app = draft()
    assert app.stage is Stage.DRAFT and app.stage_label == "草稿"
    assert [(s.action, s.from_stage, s.to_stage) for s in app.history] == [("create", None, Stage.DRAFT)]
    assert set(STAGE_LABELS) == set(Stage)


def test_heb03_applicant_and_colleague_edit_draft_other_company_forbidden():
    app = draft().edit(COLLEAGUE, {"model": "QTZ100"}, T0)
    assert app.form == {"model": "QTZ100"} and app.history[-1].action == "edit"
    with pytest.raises(Forbidden) as err:
        draft().edit(OTHER_CO, {}, T0)
    assert err.value.slug == "not-applicant"


def test_heb03_submit_records_authority_and_history():
    app = submitted()
    assert app.stage is Stage.SUBMITTED and app.authority_org_id == "org-auth"
    step = app.history[-1]
    assert (step.action, step.from_stage, step.to_stage, step.by.user_id) == (
        "submit", Stage.DRAFT, Stage.SUBMITTED, "u-lease")
    assert app.submitted_at is not None and app.version == 2


def test_heb03_submit_refused_for_other_company_and_twice():
    with pytest.raises(Forbidden):
        draft().submit(OTHER_CO, "org-auth", T0)
    with pytest.raises(Conflict) as err:
        submitted().submit(APPLICANT, "org-auth", T0)
    assert err.value.slug == "application-not-draft"
    with pytest.raises(Conflict) as err:
        submitted().edit(APPLICANT, {}, T0)
    assert err.value.slug == "application-not-draft"
    with pytest.raises(Unprocessable) as err:
        draft().submit(APPLICANT, "", T0)
    assert err.value.field == "authority_org_id"


def test_heb03_only_addressed_authority_decides():
    for act in ("accept", "not_accept", "return"):
        with pytest.raises(Forbidden) as err:
            submitted().apply(act, OTHER_AUTHORITY, T0, "x")
        assert err.value.slug == "not-addressed-authority"
        with pytest.raises(Forbidden):
            submitted().apply(act, APPLICANT, T0, "x")


def test_heb03_accept_then_approve_or_refuse():
    app = accepted()
    assert app.stage is Stage.ACCEPTED and app.accepted_at is not None
    done = app.approve(AUTHORITY, T0, "同意备案")
    assert done.stage is Stage.APPROVED and done.completed and done.decision == "同意备案"
    refused = app.refuse(AUTHORITY, T0, "超过使用年限")
    assert refused.stage is Stage.REFUSED and refused.completed
    assert [s.action for s in refused.history] == ["create", "submit", "accept", "refuse"]


def test_heb03_decisions_refused_in_wrong_stage():
    with pytest.raises(Conflict) as err:
        draft().submit(APPLICANT, "org-auth", T0).approve(AUTHORITY, T0)
    assert err.value.slug == "application-not-accepted"
    with pytest.raises(Conflict) as err:
        accepted().accept(AUTHORITY, T0)
    assert err.value.slug == "application-not-submitted"
    with pytest.raises(Conflict) as err:
        accepted().not_accept(AUTHORITY, T0, "x")
    assert err.value.slug == "application-not-submitted"
    with pytest.raises(Conflict) as err:
        draft().model_copy(update={"authority_org_id": "org-auth"}).return_for_correction(AUTHORITY, T0, "x")
    assert err.value.slug == "application-not-pending"
    done = accepted().approve(AUTHORITY, T0)
    for act in ("accept", "not_accept", "return", "approve", "refuse"):
        with pytest.raises(Conflict):
            done.apply(act, AUTHORITY, T0, "x")
    with pytest.raises(Conflict):
        done.edit(APPLICANT, {}, T0)


def test_heb03_reasons_required():
    with pytest.raises(Unprocessable) as err:
        submitted().not_accept(AUTHORITY, T0, "  ")
    assert err.value.field == "comment"
    with pytest.raises(Unprocessable):
        submitted().return_for_correction(AUTHORITY, T0, "")
    with pytest.raises(Unprocessable):
        accepted().refuse(AUTHORITY, T0, "")
    with pytest.raises(Unprocessable) as err:
        submitted().apply("delete", AUTHORITY, T0)
    assert err.value.field == "action"


def test_heb03_not_accepted_is_completed_with_reason():
    app = submitted().not_accept(AUTHORITY, T0, "材料不全")
    assert app.stage is Stage.NOT_ACCEPTED and app.completed and app.decision == "材料不全"
    assert app.stage_label == "不予受理"


def test_heb03_returned_then_edited_and_resubmitted():
    for start in (submitted(), accepted()):
        back = start.return_for_correction(AUTHORITY, T0, "补充合格证")
        assert back.stage is Stage.RETURNED and back.history[-1].comment == "补充合格证"
        fixed = back.edit(APPLICANT, {"model": "QTZ80", "fixed": True}, T0)
        again = fixed.submit(APPLICANT, "org-auth", T0)
        assert again.stage is Stage.SUBMITTED
        assert again.history[-1].from_stage is Stage.RETURNED


def test_heb03_doc_round_trip_and_filters():
    app = accepted()
    doc = app.to_doc()
    assert doc["_id"] == "a1" and doc["stage_label"] == "已受理"
    assert Application.from_doc(doc) == app
    assert applicant_filter("org-lease", "in_progress")["stage"]["$in"] == sorted(
        ["accepted", "draft", "returned", "submitted"])
    assert applicant_filter("org-lease", "completed", "filing") == {
        "applicant.org_id": "org-lease", "stage": {"$in": ["approved", "not_accepted", "refused"]},
        "kind": "filing"}
    assert inbox_filter("org-auth") == {"authority_org_id": "org-auth",
                                        "stage": {"$in": ["accepted", "submitted"]}}
