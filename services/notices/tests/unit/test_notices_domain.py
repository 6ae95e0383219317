"""Pure rules of notices: numbering, who may act, the reply/review state machine (HB-06, HB-08)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.inspections_v1 import (
    NoticeData,
    PlanProject,
    PlanSubmitted,
    ResultSnapshot,
)
from notices.adapters.tenants import TENANT_CONFIG, tenant_config
from notices.domain import model
from notices.domain.model import (
    InvalidInput,
    InvalidState,
    NoticeStatus,
    ReviewStatus,
    UnknownReply,
)
from notices.domain.numbering import (
    counter_id,
    format_notice_number,
    numbering_year,
    parse_notice_number,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SUPERVISOR = PersonRef(user_id="sup1", name="张监督")
PM = PersonRef(user_id="pm1", name="李经理")


@dataclass
class Actor:
    user_id: str
    org_id: str
    roles: list[str] = field(default_factory=list)
    name: str = ""


def media(key: str = "k.jpg") -> MediaRef:
    return MediaRef(bucket="anjian-inspections", key=key, content_type="image/jpeg", size=10)


def plan(disposition: str = "限期整改", submitted_at: datetime = T0) -> PlanSubmitted:
    def project(pid: str, contractor: str) -> PlanProject:
        return PlanProject(project_id=pid, name=f"项目{pid}", address="武汉", station_org_id="station",
                           owner_org_id="owner", contractor_org_id=contractor, supervision_org_id="sv",
                           project_manager_user_ids=["pm1", "pm1", "pm2"])

    def result(rid: str, pid: str) -> ResultSnapshot:
        return ResultSnapshot(result_id=rid, project_id=pid, building_name="1#楼", hazards=[], finding="临边未防护",
                              photos=[media(rid)], major_hazard=False, recorded_by=SUPERVISOR, recorded_at=T0)

    return PlanSubmitted(
        plan_id="plan1", title="三月抽查", planned_date=date(2026, 3, 1), station_org_id="station",
        projects=[project("p1", "contractorA"), project("p2", "contractorB")],
        responsible_supervisor=SUPERVISOR, supervisors=[SUPERVISOR], disposition=disposition,
        notice=NoticeData(title="安全隐患整改告知书", construction_stage="主体施工",
                          rectification_date=date(2026, 3, 9)),
        signature=media("sig.png"), seal=None,
        results=[result("r1", "p1"), result("r2", "p2"), result("r3", "p1")], submitted_at=submitted_at)


def notice(**overrides) -> model.Notice:  # type: ignore[no-untyped-def]
    p = plan()
    n = model.issue_notice(plan=p, project=p.projects[0], tenant="hubei", notice_id="n1",
                           number="鄂安监告〔2026〕0001号", year=2026, seq=1, now=T0)
    return n.model_copy(update=overrides)


# ---------------------------------------------------------------- numbering

def test_number_format_is_abbr_year_and_four_digit_sequence():
    assert format_notice_number("鄂", 2026, 1) == "鄂安监告〔2026〕0001号"
    assert format_notice_number("琼", 2027, 42) == "琼安监告〔2027〕0042号"
    assert format_notice_number("冀", 2026, 12345) == "冀安监告〔2026〕12345号"


def test_number_parses_back():
    assert parse_notice_number("湘安监告〔2026〕0107号") == ("湘", 2026, 107)
    with pytest.raises(ValueError):
        parse_notice_number("湘安监〔2026〕107")


@pytest.mark.parametrize("seq,year", [(0, 2026), (-1, 2026), (1, 999)])
def test_number_refuses_bad_sequence_or_year(seq, year):
    with pytest.raises(ValueError):
        format_notice_number("鄂", year, seq)


def test_numbering_year_turns_at_midnight_in_shanghai_not_utc():
    assert numbering_year(datetime(2025, 12, 31, 15, 59, tzinfo=UTC)) == 2025   # 23:59 Beijing
    assert numbering_year(datetime(2025, 12, 31, 16, 0, tzinfo=UTC)) == 2026    # 00:00 Beijing
    with pytest.raises(ValueError):
        numbering_year(datetime(2026, 1, 1))


def test_every_tenant_has_its_province_abbreviation():
    assert {t: c.abbr for t, c in TENANT_CONFIG.items()} == {
        "hubei": "鄂", "hainan": "琼", "fujian": "闽", "hunan": "湘", "hebei": "冀"}
    with pytest.raises(LookupError):
        tenant_config("beijing")


def test_counter_is_per_tenant_and_year():
    assert counter_id("hubei", 2026) != counter_id("hainan", 2026)
    assert counter_id("hubei", 2026) != counter_id("hubei", 2027)


# ---------------------------------------------------------------- issuing

@pytest.mark.parametrize("disposition,needed", [("无隐患", False), ("现场整改", False), ("限期整改", True),
                                                ("停工整改", True)])
def test_only_rectification_dispositions_require_a_notice(disposition, needed):
    assert model.requires_notice(disposition) is needed


def test_issued_notice_addresses_the_contractor_and_keeps_only_its_projects_results():
    p = plan()
    n = model.issue_notice(plan=p, project=p.projects[1], tenant="hubei", notice_id="n2",
                           number="鄂安监告〔2026〕0002号", year=2026, seq=2, now=T0)
    assert n.addressee_org_id == "contractorB"
    assert n.reviewer_user_id == "sup1"
    assert n.replier_user_ids == ["pm1", "pm2"]          # deduplicated, order kept
    assert [r.result_id for r in n.results] == ["r2"]
    assert n.status is NoticeStatus.AWAITING_REPLY and n.replies == []
    assert n.issued_at == T0 and n.signature.key == "sig.png"


def test_notice_document_round_trips_with_dates_as_strings():
    n = notice()
    doc = n.to_document()
    assert doc["_id"] == "n1" and doc["rectification_date"] == "2026-03-09" and doc["planned_date"] == "2026-03-01"
    assert isinstance(doc["issued_at"], datetime)
    assert model.Notice.model_validate(doc) == n


# ---------------------------------------------------------------- state machine

def test_reply_moves_notice_to_awaiting_review_and_numbers_rounds():
    n = notice()
    r = n.add_reply(reply_id="a", text="  已整改  ", photos=[media()], replied_by=PM, now=T0)
    assert (r.round, r.text, r.review_status) == (1, "已整改", ReviewStatus.PENDING)
    assert n.status is NoticeStatus.AWAITING_REVIEW and n.version == 2


def test_second_reply_while_awaiting_review_is_refused():
    n = notice()
    n.add_reply(reply_id="a", text="x", photos=[], replied_by=PM, now=T0)
    with pytest.raises(InvalidState):
        n.add_reply(reply_id="b", text="y", photos=[], replied_by=PM, now=T0)


def test_failed_review_needs_comment_and_reopens_for_a_new_round():
    n = notice()
    n.add_reply(reply_id="a", text="x", photos=[], replied_by=PM, now=T0)
    with pytest.raises(InvalidInput) as exc:
        n.review_reply(reply_id="a", passed=False, comment="  ", reviewed_by=SUPERVISOR, now=T0)
    assert exc.value.field == "comment"
    n.review_reply(reply_id="a", passed=False, comment="未整改到位", reviewed_by=SUPERVISOR, now=T0)
    assert n.status is NoticeStatus.AWAITING_REPLY
    r2 = n.add_reply(reply_id="b", text="再次整改", photos=[], replied_by=PM, now=T0 + timedelta(days=1))
    assert r2.round == 2
    n.review_reply(reply_id="b", passed=True, comment=None, reviewed_by=SUPERVISOR, now=T0 + timedelta(days=2))
    assert n.status is NoticeStatus.CLOSED and n.closed_at == T0 + timedelta(days=2)
    assert [r.review_status for r in n.replies] == [ReviewStatus.FAILED, ReviewStatus.PASSED]
    assert n.replies[0].review.comment == "未整改到位"


def test_reply_after_close_is_refused():
    n = notice()
    n.add_reply(reply_id="a", text="x", photos=[], replied_by=PM, now=T0)
    n.review_reply(reply_id="a", passed=True, comment="", reviewed_by=SUPERVISOR, now=T0)
    with pytest.raises(InvalidState):
        n.add_reply(reply_id="b", text="y", photos=[], replied_by=PM, now=T0)


def test_only_the_latest_unreviewed_reply_can_be_reviewed():
    n = notice()
    with pytest.raises(UnknownReply):
        n.review_reply(reply_id="nope", passed=True, comment="", reviewed_by=SUPERVISOR, now=T0)
    n.add_reply(reply_id="a", text="x", photos=[], replied_by=PM, now=T0)
    n.review_reply(reply_id="a", passed=False, comment="no", reviewed_by=SUPERVISOR, now=T0)
    with pytest.raises(InvalidState):     # already reviewed, awaiting a new reply
        n.review_reply(reply_id="a", passed=True, comment="", reviewed_by=SUPERVISOR, now=T0)
    n.add_reply(reply_id="b", text="y", photos=[], replied_by=PM, now=T0)
    with pytest.raises(InvalidState):     # not the latest
        n.review_reply(reply_id="a", passed=True, comment="", reviewed_by=SUPERVISOR, now=T0)


def test_reply_text_and_photo_limits():
    n = notice()
    with pytest.raises(InvalidInput) as exc:
        n.add_reply(reply_id="a", text="   ", photos=[], replied_by=PM, now=T0)
    assert exc.value.field == "text"
    with pytest.raises(InvalidInput):
        n.add_reply(reply_id="a", text="x" * 2001, photos=[], replied_by=PM, now=T0)
    with pytest.raises(InvalidInput) as exc:
        n.add_reply(reply_id="a", text="x", photos=[media()] * 10, replied_by=PM, now=T0)
    assert exc.value.field == "photos"
    assert n.status is NoticeStatus.AWAITING_REPLY and n.replies == []


def test_status_labels_are_chinese():
    assert [s.label for s in NoticeStatus] == ["待整改回复", "待审核", "已闭环"]


# ---------------------------------------------------------------- who may act

def test_visibility_is_addressee_and_station_only():
    n = notice()
    assert model.can_view(n, Actor("u", "contractorA"))
    assert model.can_view(n, Actor("u", "station"))
    assert not model.can_view(n, Actor("u", "contractorB"))
    assert not model.can_view(n, Actor("u", "authority", ["province_admin"]))


def test_repliers_are_named_pms_or_addressee_project_managers():
    n = notice()
    assert model.may_reply(n, Actor("pm2", "contractorA"))
    assert model.may_reply(n, Actor("other", "contractorA", ["project_manager"]))
    assert not model.may_reply(n, Actor("staff", "contractorA", ["company_staff"]))
    assert not model.may_reply(n, Actor("x", "contractorB", ["project_manager"]))
    assert not model.may_reply(n, Actor("sup1", "station", ["supervisor"]))


def test_reviewers_are_the_responsible_supervisor_or_a_station_leader():
    n = notice()
    assert model.may_review(n, Actor("sup1", "station", ["supervisor"]))
    assert model.may_review(n, Actor("lead", "station", ["station_leader"]))
    assert not model.may_review(n, Actor("sup2", "station", ["supervisor"]))
    assert not model.may_review(n, Actor("lead", "other-station", ["station_leader"]))
    assert not model.may_review(n, Actor("pm1", "contractorA", ["project_manager"]))
