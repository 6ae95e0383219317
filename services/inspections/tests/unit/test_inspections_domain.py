"""Pure domain rules of inspections: catalog building, plan life cycle, results, submission."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from anjian_shared.auth import Principal
from anjian_shared.problems import Conflict, Forbidden, NotYetAvailable, Unprocessable
from inspections.adapters.seed import JGJ59_FILE, MAJOR_FILE, load_json, seed_catalog
from inspections.domain import catalog
from inspections.domain import plans as rules
from inspections.domain.plans import PlanFacts, PlanStatus

CREATOR, MEMBER, OUTSIDER, LEADER = "u-creator", "u-member", "u-outsider", "u-leader"
STATION = "org-station"


def principal(user_id: str, *roles: str, org_id: str = STATION, org_kind: str = "station") -> Principal:
    return Principal(user_id=user_id, tenant="hubei", org_id=org_id, roles=list(roles or ("supervisor",)),
                     name=user_id, org_kind=org_kind)


def plan(status: PlanStatus = PlanStatus.CONFIRMED, *, results: int = 0, signature: bool = True,
         seal: bool = False, responsible: str = CREATOR) -> PlanFacts:
    return PlanFacts(plan_id="p1", status=status, created_by=CREATOR, station_org_id=STATION,
                     supervisor_user_ids=(CREATOR, MEMBER), responsible_supervisor_id=responsible,
                     result_count=results, has_signature=signature, has_seal=seal,
                     planned_date=date(2026, 3, 12))


# --- catalog ---------------------------------------------------------------------------------

def test_seed_catalog_has_every_jgj59_item_and_the_53_major_items():
    items = seed_catalog()
    jgj = [i for i in items if i["source"] == "jgj59"]
    major = [i for i in items if i["source"] == "major2024"]
    tables = load_json(JGJ59_FILE)["tables"]
    assert len(tables) == 19
    assert len(jgj) == sum(len(t["items"]) for t in tables)
    assert len(major) == 53 and all(i["major"] for i in major) and not any(i["major"] for i in jgj)
    assert len({i["code"] for i in items}) == len(items)
    assert [i["seq"] for i in items] == list(range(len(items)))


def test_catalog_codes_and_fields():
    items = {i["code"]: i for i in seed_catalog()}
    first = items["JGJ59-A.0.1-01"]
    assert (first["name"], first["table_code"], first["table_name"], first["kind"], first["points"]) == (
        "安全生产责任制", "A.0.1", "安全管理", "保证项目", 10)
    assert "JGJ59-A.0.19-11" in items and "JGJ59-A.0.19-12" not in items
    assert items["JGJ59-A.0.14-01"]["verified"] is False
    z = items["ZD2024-4.1"]
    assert z["article"] == 4 and z["category"] == "施工安全管理" and z["name"] == z["text"]


def test_article_5_item_4_keeps_its_four_precursors_and_they_are_searchable():
    item = next(i for i in seed_catalog() if i["code"] == "ZD2024-5.4")
    raw = next(a for a in load_json(MAJOR_FILE)["articles"] if a["article"] == 5)["items"][3]
    assert item["precursors"] == raw["precursors"] and len(item["precursors"]) == 4
    assert "管涌" in item["search_text"]


def test_group_tables_keeps_table_order_and_items():
    tables = catalog.group_tables(seed_catalog())
    assert [t["code"] for t in tables][:3] == ["A.0.1", "A.0.2", "A.0.3"]
    assert len(tables) == 19 and tables[-1]["code"] == "A.0.19"
    assert [i["code"] for i in tables[0]["items"]][0] == "JGJ59-A.0.1-01"


def test_duplicate_codes_are_refused():
    data = {"tables": [{"code": "A.0.1", "name": "x", "items": [{"name": "a", "kind": "保证项目", "points": 10}]}] * 2}
    with pytest.raises(ValueError):
        catalog.catalog_items(data, {"articles": []})


def test_major_code_detection():
    assert catalog.is_major_code("ZD2024-8.4") and not catalog.is_major_code("JGJ59-A.0.17-01")


# --- who sees a plan (HB-03) -----------------------------------------------------------------

def test_creator_sees_own_draft_and_team_sees_only_confirmed():
    draft = plan(PlanStatus.DRAFT)
    assert rules.can_see(draft, principal(CREATOR))
    assert not rules.can_see(draft, principal(MEMBER))
    assert rules.can_see(plan(PlanStatus.CONFIRMED), principal(MEMBER))
    assert rules.can_see(plan(PlanStatus.SUBMITTED), principal(MEMBER))
    assert not rules.can_see(plan(PlanStatus.CONFIRMED), principal(OUTSIDER))


def test_station_leader_sees_confirmed_plans_of_the_station_only():
    leader = principal(LEADER, "station_leader")
    assert rules.can_see(plan(PlanStatus.CONFIRMED), leader)
    assert not rules.can_see(plan(PlanStatus.DRAFT), leader)
    assert not rules.can_see(plan(PlanStatus.CONFIRMED), principal(LEADER, "station_leader", org_id="other"))


def test_only_station_supervisors_and_leaders_plan():
    rules.ensure_planner(principal(CREATOR, "supervisor"))
    rules.ensure_planner(principal(LEADER, "station_leader"))
    with pytest.raises(Forbidden):
        rules.ensure_planner(principal("pm", "project_manager", org_kind="company"))
    with pytest.raises(Forbidden):
        rules.ensure_planner(principal("x", "supervisor", org_kind="company"))


# --- plan actions -----------------------------------------------------------------------------

def test_confirm_only_by_creator_and_only_draft():
    rules.ensure_can_confirm(plan(PlanStatus.DRAFT), CREATOR)
    with pytest.raises(Forbidden):
        rules.ensure_can_confirm(plan(PlanStatus.DRAFT), MEMBER)
    with pytest.raises(Conflict):
        rules.ensure_can_confirm(plan(PlanStatus.CONFIRMED), CREATOR)


def test_withdraw_refused_once_results_exist():
    rules.ensure_can_withdraw(plan(PlanStatus.CONFIRMED), CREATOR)
    with pytest.raises(Conflict):
        rules.ensure_can_withdraw(plan(PlanStatus.CONFIRMED, results=1), CREATOR)
    with pytest.raises(Conflict):
        rules.ensure_can_withdraw(plan(PlanStatus.DRAFT), CREATOR)
    with pytest.raises(Forbidden):
        rules.ensure_can_withdraw(plan(PlanStatus.CONFIRMED), MEMBER)


def test_modify_and_delete_only_by_creator_without_results_before_submission():
    for check in (rules.ensure_can_modify, rules.ensure_can_delete):
        check(plan(PlanStatus.DRAFT), CREATOR)
        check(plan(PlanStatus.CONFIRMED), CREATOR)
        with pytest.raises(Forbidden):
            check(plan(PlanStatus.DRAFT), MEMBER)
        with pytest.raises(Conflict):
            check(plan(PlanStatus.CONFIRMED, results=2), CREATOR)
        with pytest.raises(Conflict):
            check(plan(PlanStatus.SUBMITTED), CREATOR)


def test_submitted_plan_refuses_every_change_with_409_even_for_others():
    submitted = plan(PlanStatus.SUBMITTED, results=1)
    checks = [
        lambda: rules.ensure_can_modify(submitted, MEMBER),
        lambda: rules.ensure_can_delete(submitted, MEMBER),
        lambda: rules.ensure_can_confirm(submitted, CREATOR),
        lambda: rules.ensure_can_withdraw(submitted, CREATOR),
        lambda: rules.ensure_can_record_result(submitted, MEMBER),
        lambda: rules.ensure_can_change_result(submitted, MEMBER, CREATOR),
        lambda: rules.ensure_can_sign(submitted, CREATOR),
        lambda: rules.ensure_can_submit(submitted, CREATOR, disposition="无隐患",
                                        rectification_date=date(2026, 3, 12), seal_required=False,
                                        now=SUBMIT_NOW),
    ]
    for check in checks:
        with pytest.raises(Conflict):
            check()


# --- results (HB-04/05) ----------------------------------------------------------------------

def test_inspect_only_confirmed_plans_by_team_members():
    rules.ensure_can_record_result(plan(PlanStatus.CONFIRMED), MEMBER)
    with pytest.raises(Conflict, match="plan not confirmed"):
        rules.ensure_can_record_result(plan(PlanStatus.DRAFT), CREATOR)
    with pytest.raises(Forbidden):
        rules.ensure_can_record_result(plan(PlanStatus.CONFIRMED), OUTSIDER)


def test_only_the_author_changes_a_result():
    rules.ensure_can_change_result(plan(), MEMBER, MEMBER)
    with pytest.raises(Forbidden):
        rules.ensure_can_change_result(plan(), MEMBER, CREATOR)


def test_photo_count_is_one_to_nine():
    rules.ensure_photo_count(0, 1, 9)
    rules.ensure_photo_count(5, 4, 9)
    with pytest.raises(Unprocessable) as none:
        rules.ensure_photo_count(0, 0, 9)
    with pytest.raises(Unprocessable):
        rules.ensure_photo_count(8, 2, 9)
    assert none.value.field == "photos"


def test_hazard_codes_are_normalized_and_must_exist():
    assert rules.normalize_hazard_codes([" A ", "B", "A", ""], 10) == ["A", "B"]
    with pytest.raises(Unprocessable) as empty:
        rules.normalize_hazard_codes(["", " "], 10)
    assert empty.value.field == "hazard_codes"
    found = {"JGJ59-A.0.1-01": {"name": "安全生产责任制", "major": False},
             "ZD2024-5.4": {"name": "坍塌风险预兆", "major": True}}
    hazards = rules.hazards_from_catalog(["ZD2024-5.4", "JGJ59-A.0.1-01"], found)
    assert [h["code"] for h in hazards] == ["ZD2024-5.4", "JGJ59-A.0.1-01"]
    with pytest.raises(Unprocessable) as unknown:
        rules.hazards_from_catalog(["JGJ59-A.0.1-01", "NOPE-1"], found)
    assert unknown.value.field == "hazard_codes" and "NOPE-1" in unknown.value.detail


def test_a_result_citing_a_2024_item_is_a_major_hazard():
    assert rules.is_major_hazard([{"code": "JGJ59-A.0.1-01", "major": False}, {"code": "ZD2024-7.2", "major": True}])
    assert not rules.is_major_hazard([{"code": "JGJ59-A.0.1-01", "major": False}])


# --- team and projects (HB-02) ---------------------------------------------------------------

PROJECTS = {"p1": {"station_org_id": STATION, "supervisor_user_ids": [CREATOR, MEMBER]},
            "p2": {"station_org_id": "elsewhere", "supervisor_user_ids": [OUTSIDER]}}


def test_projects_must_belong_to_the_callers_station():
    assert rules.validate_projects(["p1", "p1"], PROJECTS, STATION) == ["p1"]
    for ids in (["p2"], ["p1", "p2"], ["nope", "p2"]):
        with pytest.raises(Unprocessable) as exc:
            rules.validate_projects(ids, PROJECTS, STATION)
        assert exc.value.field == "project_ids"


def test_hn07_a_project_not_yet_received_is_retryable_not_422():
    """Issue 11 (the HN-07 class): a project inspections has not received yet (its
    projects.project.registered.v1 on its way) answers 409 not-yet-available + Retry-After."""
    with pytest.raises(NotYetAvailable) as exc:
        rules.validate_projects(["p1", "nope"], PROJECTS, STATION)
    assert exc.value.field == "project_ids" and exc.value.retry_after


def test_team_includes_creator_and_only_project_supervisors():
    team, responsible = rules.validate_team(creator_id=CREATOR, supervisor_user_ids=[CREATOR, MEMBER, MEMBER],
                                            responsible_supervisor_id=None, projects=[PROJECTS["p1"]])
    assert team == [CREATOR, MEMBER] and responsible == CREATOR
    cases = [([MEMBER], None, "supervisor_user_ids"),
             ([CREATOR, OUTSIDER], None, "supervisor_user_ids"),
             ([CREATOR], MEMBER, "responsible_supervisor_id")]
    for members, resp, field in cases:
        with pytest.raises(Unprocessable) as exc:
            rules.validate_team(creator_id=CREATOR, supervisor_user_ids=members, responsible_supervisor_id=resp,
                                projects=[PROJECTS["p1"]])
        assert exc.value.field == field


# --- submission (HB-06) ----------------------------------------------------------------------

SUBMIT_NOW = datetime(2026, 3, 14, 17, 0, tzinfo=UTC)   # 3月15日 01:00 in China


def _submit(p: PlanFacts, user: str = CREATOR, disposition: str = "限期整改", when: date = date(2026, 3, 20),
            seal_required: bool = False, backdated: bool = False) -> None:
    rules.ensure_can_submit(p, user, disposition=disposition, rectification_date=when, seal_required=seal_required,
                            now=SUBMIT_NOW, backdated=backdated)


def test_hb06_a_rectification_deadline_before_today_in_china_needs_backdated():
    """HB-06: 3月14日 is after the planned date (3月12日) but already past in China (3月15日 01:00) →
    422 ``deadline-past``; backdated accepts it; 无隐患/现场整改 carry no deadline rule."""
    with pytest.raises(Unprocessable) as exc:
        _submit(plan(), when=date(2026, 3, 14))
    assert exc.value.field == "notice.rectification_date" and exc.value.slug == "deadline-past"
    _submit(plan(), when=date(2026, 3, 14), backdated=True)
    _submit(plan(), when=date(2026, 3, 15))
    _submit(plan(), disposition="现场整改", when=date(2026, 3, 14))


def test_submit_only_by_the_responsible_supervisor_of_a_confirmed_plan():
    _submit(plan())
    _submit(plan(responsible=MEMBER), user=MEMBER)
    with pytest.raises(Forbidden):
        _submit(plan(), user=MEMBER)
    with pytest.raises(Conflict):
        _submit(plan(PlanStatus.DRAFT))


def test_submit_needs_signature_and_the_seal_when_chosen():
    with pytest.raises(Unprocessable) as sig:
        _submit(plan(signature=False))
    assert sig.value.field == "signature"
    with pytest.raises(Unprocessable) as seal:
        _submit(plan(), seal_required=True)
    assert seal.value.field == "seal"
    _submit(plan(seal=True), seal_required=True)


def test_rectification_date_not_before_planned_date_for_rectification_dispositions():
    with pytest.raises(Unprocessable) as exc:
        _submit(plan(), disposition="停工整改", when=date(2026, 3, 1))
    assert exc.value.field == "notice.rectification_date"
    _submit(plan(), disposition="现场整改", when=date(2026, 3, 1))
    _submit(plan(), disposition="限期整改", when=date(2026, 3, 12), backdated=True)   # the planned day itself


def test_signature_and_seal_only_by_the_responsible_supervisor():
    rules.ensure_can_sign(plan(), CREATOR)
    rules.ensure_can_sign(plan(PlanStatus.DRAFT), CREATOR)
    with pytest.raises(Forbidden):
        rules.ensure_can_sign(plan(), MEMBER, "seal")


def test_project_managers_are_the_participants_with_that_role():
    project = {"participants": [{"user_id": "a", "project_role": "project_manager"},
                                {"user_id": "b", "project_role": "chief_supervising_engineer"},
                                {"user_id": "a", "project_role": "project_manager"}]}
    assert rules.project_managers(project) == ["a"]


def test_history_entry_records_who_when_what():
    at = datetime(2026, 3, 12, 8, 0, tzinfo=UTC)
    entry = rules.history_entry("confirmed", principal(CREATOR), at, note="x")
    assert entry == {"at": at, "by": CREATOR, "by_name": CREATOR, "action": "confirmed", "detail": {"note": "x"}}
    assert rules.changed_fields({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": 3}
