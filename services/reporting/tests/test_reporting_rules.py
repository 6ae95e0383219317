"""Unit tests of reporting's rules (no I/O): notifications, to-dos, access, share tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import reporting_testkit as kit

from anjian_shared.auth import Principal
from reporting.domain import notifications as rules
from reporting.domain import share_links
from reporting.domain.access import may_read_notice, plan_view
from reporting.domain.todos import NoticeState, ReplyState, TodoKind, open_todos

ZHANG, LI, WANG = kit.person("u-zhang", "张伟"), kit.person("u-li", "李娜"), kit.person("u-wang", "王强")
PROJECT = kit.project(project_id="p1", station="org-station", owner="org-owner", contractor="org-contractor",
                      supervision="org-supervision", managers=["u-liu"])
OTHER_PROJECT = kit.project(project_id="p2", station="org-station", owner="org-owner2",
                            contractor="org-contractor2", supervision="org-supervision2", managers=["u-chen"],
                            name="汉阳钢厂改造")


def who(user_id: str, org_id: str, tenant: str = "hubei") -> Principal:
    return Principal(user_id=user_id, tenant=tenant, org_id=org_id, roles=["company_staff"])


# ---- notifications ------------------------------------------------------------------------------

def test_plan_confirmed_notifies_other_supervisors_not_the_confirmer() -> None:
    event = kit.plan_confirmed(plan_id="pl", responsible=ZHANG, supervisors=[ZHANG, LI, WANG, LI],
                               confirmed_by=ZHANG.user_id, projects=[PROJECT])
    drafts = rules.plan_confirmed(event)
    assert [d.user_id for d in drafts] == [LI.user_id, WANG.user_id]
    assert all(d.kind == "plan_confirmed" and d.plan_id == "pl" and d.title == "抽查计划已确认" for d in drafts)
    assert "张伟" in drafts[0].body and PROJECT.name in drafts[0].body


def test_plan_confirmed_by_a_team_member_also_notifies_the_responsible_supervisor() -> None:
    event = kit.plan_confirmed(plan_id="pl", responsible=ZHANG, supervisors=[LI], confirmed_by=LI.user_id,
                               projects=[PROJECT])
    assert [d.user_id for d in rules.plan_confirmed(event)] == [ZHANG.user_id]


def test_notice_issued_tells_each_replier_once() -> None:
    n = kit.notice_issued(notice_id="n1", plan_id="pl", project=PROJECT, station="org-station", issuer=ZHANG,
                          repliers=["u-liu", "u-liu", "u-x"], number="鄂安监告〔2026〕0001号")
    drafts = rules.notice_issued(n)
    assert [d.user_id for d in drafts] == ["u-liu", "u-x"]
    assert drafts[0].kind == "notice_to_reply" and drafts[0].notice_id == "n1" and "2026年3月20日" in drafts[0].body


def test_reply_submitted_tells_the_reviewer() -> None:
    r = kit.reply_submitted(notice_id="n1", number="N", reply_id="r1", round=2, replier=kit.person("u-liu", "刘洋"),
                            reviewer=ZHANG.user_id, photos=[])
    [d] = rules.reply_submitted(r)
    assert (d.user_id, d.kind, d.round, d.reply_id) == (ZHANG.user_id, "reply_to_review", 2, "r1")


@pytest.mark.parametrize("passed,title", [(True, "整改回复审核通过"), (False, "整改回复审核未通过")])
def test_reply_reviewed_tells_the_repliers_outcome_and_comment(passed: bool, title: str) -> None:
    r = kit.reply_reviewed(notice_id="n1", number="N", reply_id="r1", round=1, passed=passed, reviewer=ZHANG,
                           repliers=["u-liu"], comment="桩间距不符")
    [d] = rules.reply_reviewed(r)
    assert d.user_id == "u-liu" and d.title == title and d.passed is passed and "桩间距不符" in d.body


# ---- to-dos -------------------------------------------------------------------------------------

def notice_state(**kw: object) -> NoticeState:
    base = dict(notice_id="n1", number="N", issued=True, replier_user_ids=["u-liu"])
    base.update(kw)
    return NoticeState(**base)  # type: ignore[arg-type]


def test_issued_notice_makes_reply_due_for_each_replier() -> None:
    todos = open_todos(notice_state(replier_user_ids=["u-liu", "u-x"]), [])
    assert [(t.kind, t.user_id, t.round) for t in todos] == [(TodoKind.REPLY_DUE, "u-liu", 1),
                                                             (TodoKind.REPLY_DUE, "u-x", 1)]


def test_submitted_reply_makes_review_due_and_no_reply_due() -> None:
    todos = open_todos(notice_state(), [ReplyState("r1", 1, submitted=True, reviewer_user_id="u-zhang")])
    assert [(t.kind, t.user_id) for t in todos] == [(TodoKind.REVIEW_DUE, "u-zhang")]


def test_failed_review_makes_the_next_round_due() -> None:
    todos = open_todos(notice_state(), [ReplyState("r1", 1, submitted=True, reviewer_user_id="u-zhang",
                                                   reviewed=True, passed=False)])
    assert [(t.kind, t.user_id, t.round) for t in todos] == [(TodoKind.REPLY_DUE, "u-liu", 2)]


def test_passed_review_or_closed_notice_leaves_nothing_open() -> None:
    passed = [ReplyState("r1", 1, submitted=True, reviewer_user_id="u-zhang", reviewed=True, passed=True)]
    assert open_todos(notice_state(), passed) == []
    pending = [ReplyState("r1", 1, submitted=True, reviewer_user_id="u-zhang")]
    assert open_todos(notice_state(closed=True), pending) == []


def test_review_arriving_before_the_notice_still_makes_the_next_round_due() -> None:
    early = [ReplyState("r1", 1, reviewed=True, passed=False, replier_user_ids=["u-liu"])]
    todos = open_todos(notice_state(issued=False, replier_user_ids=[]), early)
    assert [(t.kind, t.user_id, t.round) for t in todos] == [(TodoKind.REPLY_DUE, "u-liu", 2)]
    assert open_todos(notice_state(issued=False, replier_user_ids=[]), []) == []


# ---- access -------------------------------------------------------------------------------------

def _plan() -> object:
    results = [kit.result(project_id="p1", recorder=LI, photos=[]), kit.result(project_id="p2", recorder=LI,
                                                                               photos=[])]
    return kit.plan_submitted(plan_id="pl", station="org-station", projects=[PROJECT, OTHER_PROJECT],
                              responsible=ZHANG, supervisors=[ZHANG, LI], results=results,
                              signature=kit.ref("sig", "image/png"), seal=None)


def test_notice_readers() -> None:
    plan = _plan()
    n = kit.notice_issued(notice_id="n1", plan_id="pl", project=PROJECT, station="org-station", issuer=ZHANG,
                          repliers=["u-liu"], number="N")
    assert may_read_notice(who("u-any", "org-station"), n, None) is True          # station
    assert may_read_notice(who("u-any", "org-contractor"), n, None) is True       # addressee
    assert may_read_notice(who("u-liu", "org-elsewhere"), n, None) is True        # replier
    assert may_read_notice(who("u-any", "org-owner"), n, None) is None            # undecidable yet
    assert may_read_notice(who("u-any", "org-owner"), n, plan) is True            # owner
    assert may_read_notice(who("u-any", "org-supervision"), n, plan) is True      # supervision company
    assert may_read_notice(who(LI.user_id, "org-other-station"), n, plan) is True  # plan's supervisor
    assert may_read_notice(who("u-chen", "org-contractor2"), n, plan) is False    # other project's contractor
    assert may_read_notice(who("u-x", "org-unrelated"), n, plan) is False


def test_plan_view_limits_a_company_to_its_own_projects() -> None:
    plan = _plan()
    assert plan_view(who("u-any", "org-station"), plan).project_ids is None
    assert plan_view(who(LI.user_id, "org-x"), plan).project_ids is None
    assert plan_view(who("u-any", "org-contractor2"), plan).project_ids == frozenset({"p2"})
    assert plan_view(who("u-liu", "org-x"), plan).project_ids == frozenset({"p1"})
    assert plan_view(who("u-any", "org-unrelated"), plan).empty


# ---- share tokens -------------------------------------------------------------------------------

def test_share_token_names_its_tenant_and_only_its_hash_is_kept() -> None:
    token = share_links.new_token("hubei")
    assert share_links.tenant_of(token) == "hubei"
    assert len(share_links.token_hash(token)) == 64 and token not in share_links.token_hash(token)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert share_links.token_hash(tampered) != share_links.token_hash(token)
    assert share_links.tenant_of("mars." + token.split(".", 1)[1]) is None
    assert share_links.tenant_of("hubei.short") is None


def test_share_link_lifetime_bounds() -> None:
    now = datetime(2026, 3, 5, tzinfo=UTC)
    assert share_links.expires_at(now, 1440) == now + timedelta(days=1)
    for bad in (0, 10081):
        with pytest.raises(ValueError):
            share_links.expires_at(now, bad)
    assert share_links.is_expired(now, now) and not share_links.is_expired(now + timedelta(seconds=1), now)
