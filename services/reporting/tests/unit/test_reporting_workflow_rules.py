"""Unit tests of reporting's workflow rules (no I/O): the 告知书's inspection date (HB-09),
the notifications that follow a changed plan (HB-03), and the notice version the read model
reached (HB-09)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.inspections_v1 import (
    HazardRef,
    NoticeData,
    PlanProject,
    PlanSubmitted,
    ResultSnapshot,
)
from anjian_shared.events.notices_v1 import NoticeIssued
from reporting.domain.access import PlanView
from reporting.domain.documents import notice_document, plan_document

ZHANG = PersonRef(user_id="u-zhang", name="张伟")
PROJECT = PlanProject(project_id="p1", name="江岸一号楼", address="江岸区", station_org_id="st", owner_org_id="ow",
                      contractor_org_id="ct", supervision_org_id="sv", project_manager_user_ids=["u-liu"])
SIG = MediaRef(bucket="b", key="hubei/sig.png", content_type="image/png", size=10)


def result(at: datetime, project_id: str = "p1") -> ResultSnapshot:
    return ResultSnapshot(result_id=at.isoformat(), project_id=project_id, building_name="3号楼",
                          hazards=[HazardRef(code="LB-07", name="临边防护缺失")], finding="临边无防护", photos=[],
                          major_hazard=False, recorded_by=ZHANG, recorded_at=at)


def plan(results: list[ResultSnapshot]) -> PlanSubmitted:
    """Planned for 12月4日, inspected earlier and submitted on 12月2日 (China time)."""
    return PlanSubmitted(plan_id="pl", title="十二月抽查", planned_date=date(2026, 12, 4), station_org_id="st",
                         projects=[PROJECT], responsible_supervisor=ZHANG, supervisors=[ZHANG], disposition="限期整改",
                         notice=NoticeData(title="安全隐患整改告知书", construction_stage="主体结构施工",
                                           rectification_date=date(2026, 12, 20)),
                         signature=SIG, results=results, submitted_at=datetime(2026, 12, 2, 6, tzinfo=UTC))


def notice() -> NoticeIssued:
    return NoticeIssued(notice_id="n1", number="鄂安监告〔2026〕0001号", plan_id="pl", project_id="p1",
                        project_name="江岸一号楼", station_org_id="st", addressee_org_id="ct", disposition="限期整改",
                        title="安全隐患整改告知书", construction_stage="主体结构施工",
                        rectification_date=date(2026, 12, 20), issued_by=ZHANG, replier_user_ids=["u-liu"],
                        issued_at=datetime(2026, 12, 2, 6, tzinfo=UTC))


def fields(doc) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return dict(doc.fields)


# --- HB-09: 检查日期 is when the results were recorded -------------------------------------------

def test_hb09_the_notice_prints_the_day_results_were_recorded_not_the_planned_date():
    """Planned 12月4日, results recorded 12月2日 (China time; 01:30 there is still 12月1日 in UTC)."""
    doc = notice_document(notice(), plan([result(datetime(2026, 12, 1, 17, 30, tzinfo=UTC))]), replies=[],
                          closed=None, org_names={})
    assert fields(doc)["检查日期"] == "2026年12月2日"
    assert doc.issue_date == "2026年12月2日"


def test_hb09_results_of_several_days_print_a_range_of_the_notices_project_only():
    results = [result(datetime(2026, 12, 2, 3, tzinfo=UTC)), result(datetime(2026, 11, 30, 3, tzinfo=UTC)),
               result(datetime(2026, 12, 1, 3, tzinfo=UTC)),
               result(datetime(2026, 11, 20, 3, tzinfo=UTC), project_id="p2")]
    doc = notice_document(notice(), plan(results), replies=[], closed=None, org_names={})
    assert fields(doc)["检查日期"] == "2026年11月30日至2026年12月2日"


def test_hb09_the_plan_document_shows_both_the_planned_and_the_inspection_days():
    doc = plan_document(plan([result(datetime(2026, 12, 1, 17, 30, tzinfo=UTC))]), view=PlanView(None),
                        org_names={})
    assert fields(doc)["计划检查日期"] == "2026年12月4日" and fields(doc)["检查日期"] == "2026年12月2日"


# --- HB-09: the PDF renders from state at least as new as the client's last write -----------------

def test_hb09_the_read_model_reached_the_highest_version_without_gaps():
    from reporting.domain.documents import reached_version

    assert reached_version([]) == 0 and reached_version([1]) == 1
    assert reached_version([3, 1, 2, 2]) == 3
    assert reached_version([1, 3]) == 1            # version 2 (the reply) is still on its way


def test_hb09_an_accepted_final_review_shows_the_closing_even_before_notice_closed_arrives():
    from anjian_shared.events.notices_v1 import ReplyReviewed, ReplySubmitted
    from reporting.domain.documents import ReplyRecord

    submitted = ReplySubmitted(notice_id="n1", number="x", reply_id="r1", round=1, text="已整改", photos=[],
                               replied_by=PersonRef(user_id="u-liu", name="刘洋"), reviewer_user_id="u-zhang",
                               submitted_at=datetime(2026, 12, 3, 2, tzinfo=UTC))
    reviewed = ReplyReviewed(notice_id="n1", number="x", reply_id="r1", round=1, passed=True, comment="",
                             reviewed_by=ZHANG, replier_user_ids=["u-liu"],
                             reviewed_at=datetime(2026, 12, 4, 2, tzinfo=UTC))
    doc = notice_document(notice(), plan([result(datetime(2026, 12, 2, 3, tzinfo=UTC))]),
                          replies=[ReplyRecord(reply_id="r1", round=1, submitted=submitted, reviewed=reviewed)],
                          closed=None, org_names={})
    assert doc.status is not None and "整改流程已于2026年12月4日结束" in doc.status
