"""HN-10 rules without I/O: who searches what, status merging, filters, export rows; the
Hainan notification drafts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from anjian_shared.auth import Principal
from anjian_shared.events.common import PersonRef
from anjian_shared.events.inspections_v1 import RecordReviewed
from anjian_shared.events.notices_v1 import DocumentEscalated, DocumentIssued
from anjian_shared.problems import Forbidden, Unprocessable
from reporting.domain import notifications as rules
from reporting.domain import station_search as ss
from reporting.domain.station_search import SearchFilters, SearchScope


def principal(*roles: str, org: str = "st-a", kind: str = "station") -> Principal:
    return Principal(user_id="u", tenant="hainan", org_id=org, roles=list(roles), org_kind=kind)


def t(h: int) -> datetime:
    return datetime(2026, 11, 1, h, tzinfo=UTC)


def test_status_only_moves_forward() -> None:
    assert ss.merge_status("record", None, None, "pending_review", t(1))
    assert not ss.merge_status("record", "issued", t(2), "pending_review", t(1))     # late submitted
    assert not ss.merge_status("record", "issued", t(2), "pending_review", t(3))     # rank beats time
    assert ss.merge_status("record", "pending_review", t(2), "rejected", t(1))
    assert not ss.merge_status("document", "closed", t(5), "issued", t(6))
    assert ss.merge_status("document", "issued", t(5), "closed", t(4))
    assert ss.merge_status("document", "issued", t(5), "rejected", t(6))             # same rank, later
    assert not ss.merge_status("document", "issued", t(5), "rejected", t(4))
    naive = datetime(2026, 11, 1, 5)                                                 # BSON gives naive UTC
    assert ss.merge_status("document", "issued", naive, "rejected", t(6))


def test_scope_of_leader_admin_and_others() -> None:
    assert ss.search_scope(principal("station_leader"), None) == SearchScope(("st-a",))
    assert ss.search_scope(principal("station_leader", "supervisor"), "st-a") == SearchScope(("st-a",))
    with pytest.raises(Forbidden) as exc:
        ss.search_scope(principal("station_leader"), "st-b")
    assert exc.value.field == "station_org_id"
    assert ss.search_scope(principal("province_admin", kind="authority"), None) == SearchScope(None)
    assert ss.search_scope(principal("province_admin", kind="authority"), "st-b") == SearchScope(("st-b",))
    for p in (principal("supervisor"), principal("project_manager", kind="company"),
              principal("station_leader", kind="company"), principal("partner", kind="partner")):
        with pytest.raises(Forbidden):
            ss.search_scope(p, None)


def test_filter_contradictions_name_the_field() -> None:
    scope = SearchScope(("st-a",))
    for f, field in ((SearchFilters(kind="record", document_type="stop_work"), "document_type"),
                     (SearchFilters(kind="document", check_type="safety"), "check_type"),
                     (SearchFilters(kind="record", status="closed"), "status"),
                     (SearchFilters(check_type="safety", status="closed"), "status"),
                     (SearchFilters(date_from=date(2026, 11, 2), date_to=date(2026, 11, 1)), "date_to")):
        with pytest.raises(Unprocessable) as exc:
            ss.build_filter(f, scope)
        assert exc.value.field == field


def test_filter_escapes_text_and_bounds_china_days() -> None:
    flt = ss.build_filter(SearchFilters(project_name="a.*(", submitter="李", date_from=date(2026, 11, 2),
                                        date_to=date(2026, 11, 2)), SearchScope(None))
    clauses = flt["$and"]
    assert {"complete": True} in clauses
    assert {"project_name": {"$regex": r"a\.\*\(", "$options": "i"}} in clauses
    [rng] = [c["submitted_at"] for c in clauses if "submitted_at" in c]
    assert rng["$gte"] == datetime(2026, 11, 1, 16, tzinfo=UTC)
    assert rng["$lt"] == datetime(2026, 11, 2, 16, tzinfo=UTC)
    assert not any("station_org_id" in c for c in clauses)                           # admin: every station
    assert ss.build_filter(SearchFilters(), SearchScope(("s",)))["$and"][1] == {"station_org_id": {"$in": ["s"]}}


def test_export_row_uses_china_wall_clock_and_labels() -> None:
    row = ss.export_row({"kind": "document", "item_id": "d1", "type": "stop_work", "number": "N1",
                         "project_name": "P", "submitter_name": "张伟", "station_org_id": "s",
                         "submitted_at": datetime(2026, 11, 1, 16, 30), "status": "closed", "deadline": "2026-11-30",
                         "escalation": {"kind": "penalty_recommendation", "number": "E1"}, "summary": "x"},
                        {"s": "海口站"})
    assert row == ["处理文书", "停工通知", "N1", "P", "张伟", "海口站", datetime(2026, 11, 2, 0, 30), "已办结",
                   date(2026, 11, 30), "处罚建议书 E1", "x", "d1"]
    assert len(row) == len(ss.HEADERS)


def test_document_issued_tells_repliers_and_readers_once_each() -> None:
    ev = DocumentIssued(document_id="d", number="N", document_type="rectification", project_id="p",
                        project_name="P", station_org_id="s", record_id="r", deadline=date(2026, 11, 30),
                        replier_user_ids=["a", "a", "b"], issue_recipient_ids=["b", "c"], submitted_by_user_id="z",
                        issued_at=t(1))
    drafts = rules.document_issued(ev)
    assert [(d.user_id, d.kind.value) for d in drafts] == [
        ("a", "document_to_reply"), ("b", "document_to_reply"), ("c", "document_received")]


def test_escalation_and_record_review_recipients() -> None:
    esc = DocumentEscalated(document_id="d", number="N", document_type="stop_work", project_id="p", project_name="P",
                            station_org_id="s", escalation_id="e", kind="penalty_recommendation",
                            escalation_number="E", deadline=date(2026, 11, 30), missing_replier_ids=["r"],
                            issuer_user_id="z", station_leader_ids=["w", "z"], escalated_at=t(1))
    assert [d.user_id for d in rules.document_escalated(esc)] == ["z", "w"]
    rev = RecordReviewed(record_id="r", project_id="p", reviewer=PersonRef(user_id="w", name="王强"),
                         decision="approve", status="pending_review", submitted_by_user_id="z", reviewed_at=t(1))
    [d] = rules.record_reviewed(rev)
    assert d.user_id == "z" and d.passed is True and "仍待其他审核人审核" in d.body
