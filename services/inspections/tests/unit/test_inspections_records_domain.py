"""Pure rules of supervision records (HN-04..HN-06): routing, the ALL review rule, visibility,
views, recipients, annotations, media signatures, libraries and the notice draft."""

from __future__ import annotations

import json
import struct
from datetime import UTC, date, datetime

import pytest

from anjian_shared.auth import Principal
from anjian_shared.problems import Conflict, Forbidden, Unprocessable, UnsupportedMedia
from anjian_shared.review import Review, ReviewState, review_comment
from inspections.adapters.records_store import seed_library
from inspections.adapters.seed import seed_catalog
from inspections.domain import libraries
from inspections.domain import records as rules
from inspections.domain.libraries import CheckType, Library
from inspections.domain.media import MediaKind, media_type, sniff_audio, sniff_video
from inspections.domain.records import Decision, ReceivedBox, RecordFacts, RecordStatus, SentStatus
from inspections.settings import Settings

SENDER, LEADER, DEPUTY, PM, OUTSIDER = "u-sender", "u-leader", "u-deputy", "u-pm", "u-outsider"
STATION, OTHER_STATION, CONTRACTOR = "org-station", "org-other-station", "org-contractor"


def principal(user_id: str, *roles: str, org_id: str = STATION, org_kind: str = "station") -> Principal:
    return Principal(user_id=user_id, tenant="hainan", org_id=org_id, roles=list(roles or ("supervisor",)),
                     name=user_id, org_kind=org_kind)


NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def record(status: RecordStatus = RecordStatus.PENDING_REVIEW, *, reviewers: tuple[str, ...] = (LEADER, DEPUTY),
           receivers: tuple[str, ...] = (PM,), reviewed_by: tuple[str, ...] = ()) -> RecordFacts:
    """A record whose ``reviewed_by`` approved (in that order)."""
    approvals = [Review(reviewer_id=u, decision=Decision.APPROVE, reviewed_at=NOW) for u in reviewed_by]
    return RecordFacts(record_id="r1", status=status, station_org_id=STATION, submitted_by=SENDER,
                       report_recipient_ids=reviewers, issue_recipient_ids=receivers,
                       review=ReviewState.of(reviewers, approvals))


def status_after(facts: RecordFacts, who: str, decision: Decision | str, comment: str | None = "c") -> RecordStatus:
    step, status = rules.review(facts, who, decision, comment, NOW, reviewer_name=who)
    assert step.review.reviewer_id == who and step.review.decision == decision
    return status


# --- routing (HN-04) ----------------------------------------------------------------------------

def test_report_recipients_route_to_review_first():
    assert rules.initial_status([LEADER], [PM]) is RecordStatus.PENDING_REVIEW
    assert rules.initial_status([LEADER], []) is RecordStatus.PENDING_REVIEW


def test_without_report_recipients_the_record_goes_straight_to_the_issue_recipients():
    assert rules.initial_status([], [PM]) is RecordStatus.ISSUED


def test_without_any_recipient_the_record_is_an_internal_file():
    assert rules.initial_status([], []) is RecordStatus.INTERNAL


# --- the ALL review rule (HN-05/06) ---------------------------------------------------------------

def test_hn05_first_approval_of_two_keeps_the_record_pending():
    assert status_after(record(), LEADER, Decision.APPROVE) is RecordStatus.PENDING_REVIEW


def test_hn05_last_approval_releases_to_the_issue_recipients_or_the_internal_file():
    assert status_after(record(reviewed_by=(LEADER,)), DEPUTY, "approve") is RecordStatus.ISSUED
    assert status_after(record(receivers=(), reviewed_by=(LEADER,)), DEPUTY, "approve") is RecordStatus.INTERNAL


def test_hn05_any_rejection_returns_the_record_to_the_sender_even_after_an_approval():
    assert status_after(record(), LEADER, Decision.REJECT) is RecordStatus.REJECTED
    assert status_after(record(reviewed_by=(LEADER,)), DEPUTY, Decision.REJECT) is RecordStatus.REJECTED


def test_hn05_only_report_recipients_review():
    for who in (SENDER, PM, OUTSIDER):
        with pytest.raises(Forbidden) as exc:
            status_after(record(), who, Decision.APPROVE)
        assert exc.value.slug == "not-a-reviewer"


def test_hn05_reviewing_twice_is_a_conflict():
    with pytest.raises(Conflict) as exc:
        status_after(record(reviewed_by=(LEADER,)), LEADER, Decision.APPROVE)
    assert exc.value.slug == "record-already-reviewed"


def test_hn05_a_rejected_or_released_record_cannot_be_reviewed_any_more():
    for status in (RecordStatus.REJECTED, RecordStatus.ISSUED, RecordStatus.INTERNAL):
        with pytest.raises(Conflict) as exc:
            status_after(record(status, reviewed_by=(LEADER,)), DEPUTY, Decision.APPROVE)
        assert exc.value.slug == "record-not-pending-review"


def test_hn05_rejection_needs_a_comment_approval_does_not():
    with pytest.raises(Unprocessable) as exc:
        status_after(record(), LEADER, Decision.REJECT, "  ")
    assert exc.value.field == "comment" and exc.value.slug == "comment-required"
    assert review_comment(Decision.APPROVE, None) == ""
    assert review_comment(Decision.REJECT, " 请补充照片 ") == "请补充照片"


def test_sent_tabs_count_released_and_internal_records_as_approved():
    assert rules.sent_status("issued") is SentStatus.APPROVED
    assert rules.sent_status("internal") is SentStatus.APPROVED
    assert rules.sent_status("rejected") is SentStatus.REJECTED
    assert rules.sent_status("pending_review") is SentStatus.PENDING_REVIEW


# --- visibility ----------------------------------------------------------------------------------

def test_sender_reviewers_and_station_leaders_see_a_pending_record_issue_recipients_do_not():
    pending = record()
    assert rules.can_see(pending, principal(SENDER))
    assert rules.can_see(pending, principal(LEADER, "station_leader"))
    assert rules.can_see(pending, principal("u-other-leader", "station_leader"))
    assert not rules.can_see(pending, principal(PM, "project_manager", org_id=CONTRACTOR, org_kind="company"))
    assert rules.can_see(record(RecordStatus.ISSUED), principal(PM, "project_manager", org_id=CONTRACTOR))


def test_other_supervisors_and_other_stations_leaders_do_not_see_it():
    assert not rules.can_see(record(RecordStatus.ISSUED), principal(OUTSIDER))
    assert not rules.can_see(record(), principal("u-far-leader", "station_leader", org_id=OTHER_STATION))


def test_issue_recipients_never_see_a_rejected_record():
    assert not rules.can_see(record(RecordStatus.REJECTED), principal(PM, "project_manager", org_id=CONTRACTOR))


def test_contractors_cannot_submit_records():
    with pytest.raises(Forbidden):
        rules.ensure_reporter(principal(PM, "project_manager", org_id=CONTRACTOR, org_kind="company"))
    with pytest.raises(Forbidden):
        rules.ensure_reporter(principal("u-admin", "province_admin", org_kind="authority"))
    rules.ensure_reporter(principal(SENDER))
    rules.ensure_reporter(principal(LEADER, "station_leader"))


# --- views ---------------------------------------------------------------------------------------

def test_view_filters():
    assert rules.sent_filter(SENDER, SentStatus.APPROVED) == {
        "submitted_by.user_id": SENDER, "status": {"$in": ["issued", "internal"]}}
    assert rules.received_filter(LEADER, ReceivedBox.TO_REVIEW) == {
        "report_recipient_ids": LEADER, "status": "pending_review", "reviewed_by": {"$ne": LEADER}}
    assert rules.received_filter(PM, ReceivedBox.ISSUED) == {"issue_recipient_ids": PM, "status": "issued"}
    assert len(rules.received_filter(PM, None)["$or"]) == 3


def test_day_range_is_china_time_and_refuses_a_reversed_range():
    rng = rules.day_range(date(2026, 3, 12), date(2026, 3, 12))
    assert rng["$gte"] == datetime.fromisoformat("2026-03-11T16:00:00+00:00")
    assert rng["$lt"] == datetime.fromisoformat("2026-03-12T16:00:00+00:00")
    with pytest.raises(Unprocessable) as exc:
        rules.day_range(date(2026, 3, 12), date(2026, 3, 11))
    assert exc.value.field == "date_to"


# --- recipients ----------------------------------------------------------------------------------

USERS = {
    LEADER: {"org_id": STATION, "roles": ["station_leader"]},
    DEPUTY: {"org_id": STATION, "roles": ["supervisor"]},
    PM: {"org_id": CONTRACTOR, "roles": ["project_manager"]},
    "u-clerk": {"org_id": STATION, "roles": ["company_staff"]},
    "u-far": {"org_id": OTHER_STATION, "roles": ["station_leader"]},
    "u-gone": {"org_id": STATION, "roles": ["station_leader"], "enabled": False},
}
PROJECT = {"station_org_id": STATION, "owner_org_id": "org-owner", "contractor_org_id": CONTRACTOR,
           "supervision_org_id": "org-sup", "participants": [
               {"user_id": PM, "org_id": CONTRACTOR, "name": "刘洋", "project_role": "project_manager"},
               {"user_id": "u-chief", "org_id": "org-sup", "name": "赵敏", "project_role": "chief"}]}


def test_report_recipients_are_leaders_or_supervisors_of_the_station():
    assert rules.validate_report_recipients([LEADER, DEPUTY, LEADER], USERS, station_org_id=STATION,
                                            sender_id=SENDER) == [LEADER, DEPUTY]
    for bad in (PM, "u-clerk", "u-far", "u-gone", "u-unknown", SENDER):
        with pytest.raises(Unprocessable) as exc:
            rules.validate_report_recipients([bad], USERS, station_org_id=STATION, sender_id=SENDER)
        assert exc.value.field == "report_recipient_ids"


def test_issue_recipients_are_people_of_the_projects_parties_or_station():
    assert rules.validate_issue_recipients([PM, "u-chief", LEADER], USERS, PROJECT, sender_id=SENDER) == [
        PM, "u-chief", LEADER]
    for bad in ("u-far", "u-unknown", SENDER):
        with pytest.raises(Unprocessable) as exc:
            rules.validate_issue_recipients([bad], USERS, PROJECT, sender_id=SENDER)
        assert exc.value.field == "issue_recipient_ids"


# --- annotations ---------------------------------------------------------------------------------

def test_annotations_one_list_per_photo():
    shapes = rules.parse_annotations(json.dumps([
        [{"type": "rect", "coords": [10, 10, 100, 80]}, {"type": "text", "coords": [12, 90], "text": " 临边缺失 "}],
        None]), 2)
    assert shapes == [[{"type": "rect", "coords": [10.0, 10.0, 100.0, 80.0]},
                       {"type": "text", "coords": [12.0, 90.0], "text": "临边缺失"}], []]
    assert rules.parse_annotations(None, 3) == [[], [], []]


@pytest.mark.parametrize("raw", [
    "not json", json.dumps({"a": 1}), json.dumps([[]]),  # wrong count (2 photos)
    json.dumps([[{"type": "star", "coords": [1, 2]}], []]),
    json.dumps([[{"type": "circle", "coords": [1, 2]}], []]),
    json.dumps([[{"type": "arrow", "coords": [1, 2, -3, 4]}], []]),
    json.dumps([[{"type": "text", "coords": [1, 2]}], []]),
    json.dumps([[{"type": "rect", "coords": [1, 2, 3, 4], "colour": "red"}], []]),
])
def test_malformed_annotations_are_refused(raw):
    with pytest.raises(Unprocessable) as exc:
        rules.parse_annotations(raw, 2)
    assert exc.value.field == "annotations"


def test_annotations_must_lie_on_the_photo():
    rules.check_annotation_bounds([{"type": "rect", "coords": [0, 0, 640, 480]}], 640, 480, 0)
    with pytest.raises(Unprocessable):
        rules.check_annotation_bounds([{"type": "arrow", "coords": [0, 0, 641, 10]}], 640, 480, 0)
    with pytest.raises(Unprocessable):
        rules.check_annotation_bounds([{"type": "circle", "coords": [5, 5, 0]}], 640, 480, 0)


# --- media signatures ----------------------------------------------------------------------------

def ftyp(brand: bytes) -> bytes:
    return struct.pack(">I", 24) + b"ftyp" + brand + b"\x00\x00\x02\x00" + brand + b"isom"


def test_video_signatures():
    assert sniff_video(ftyp(b"isom") + b"\x00" * 16) == "video/mp4"
    assert sniff_video(ftyp(b"qt  ")) == "video/quicktime"
    assert sniff_video(struct.pack(">I", 8) + b"moov") == "video/quicktime"
    assert sniff_video(ftyp(b"M4A ")) is None  # an audio file is not a video
    assert sniff_video(b"\xff\xd8\xff\xe0 a jpeg") is None


def test_audio_signatures():
    assert sniff_audio(ftyp(b"M4A ")) == "audio/mp4"
    assert sniff_audio(b"ID3\x04\x00\x00\x00\x00\x00\x00") == "audio/mpeg"
    assert sniff_audio(b"\xff\xfb\x90\x64" + b"\x00" * 10) == "audio/mpeg"   # MPEG-1 layer III, 128 kbit/s
    assert sniff_audio(b"\xff\xf1\x50\x80\x02\x1f\xfc") == "audio/aac"       # ADTS
    assert sniff_audio(b"#!AMR\n\x3c") == "audio/amr"
    assert sniff_audio(b"#!AMR-WB\n") == "audio/amr-wb"
    assert sniff_audio(b"RIFF\x00\x00\x00\x00WAVE") is None
    assert sniff_audio(b"\xff\xfe\x00\x00") is None  # UTF-16 text, not a frame header


def test_wrong_signature_is_415_naming_the_field():
    with pytest.raises(UnsupportedMedia) as exc:
        media_type(MediaKind.VIDEO, b"RIFF....AVI ", field="video")
    assert exc.value.field == "video"


# --- libraries -----------------------------------------------------------------------------------

def test_terms_library_seeds_every_jgj59_item_as_a_safety_term_and_a_labelled_quality_sample():
    terms = seed_library(Library.TERMS)
    safety = [t for t in terms if t["check_type"] == "safety"]
    quality = [t for t in terms if t["check_type"] == "quality"]
    assert len(safety) == len([i for i in seed_catalog() if i["source"] == "jgj59"])
    assert safety[0]["code"] == "JGJ59-A.0.1-01" and safety[0]["text"] == "安全管理：安全生产责任制"
    assert quality and all(t["source"] == "sample" and t["code"].startswith("ZL-") for t in quality)
    assert [t["seq"] for t in terms] == list(range(len(terms)))


def test_violations_library_is_the_53_major_hazard_items():
    violations = seed_library(Library.VIOLATIONS)
    assert len(violations) == 53
    first = next(v for v in violations if v["code"] == "ZD2024-5.1")
    assert first["reference"].endswith("第5条") and first["category"] == "基坑、边坡工程"


def test_a_record_cites_terms_of_its_check_type_a_combined_record_any():
    found = {"S1": {"check_type": "safety", "text": "s"}, "Q1": {"check_type": "quality", "text": "q"},
             "C1": {"check_type": "combined", "text": "c"}}
    assert libraries.cite(["S1"], found, field="term_codes", check_type=CheckType.SAFETY) == [
        {"code": "S1", "text": "s"}]
    with pytest.raises(Unprocessable) as exc:
        libraries.cite(["S1", "Q1"], found, field="term_codes", check_type=CheckType.QUALITY)
    assert exc.value.field == "term_codes" and "S1" in exc.value.detail and "Q1" not in exc.value.detail
    with pytest.raises(Unprocessable):
        libraries.cite(["C1"], found, field="term_codes", check_type=CheckType.SAFETY)
    assert len(libraries.cite(["S1", "Q1", "C1"], found, field="term_codes", check_type="combined")) == 3
    with pytest.raises(Unprocessable):
        libraries.cite(["nope"], found, field="violation_codes")


def test_only_province_admin_or_station_leader_edit_the_libraries():
    libraries.ensure_editor(principal("a", "province_admin", org_kind="authority"))
    libraries.ensure_editor(principal("l", "station_leader"))
    with pytest.raises(Forbidden):
        libraries.ensure_editor(principal("s", "supervisor"))


# --- notice draft, feature flag --------------------------------------------------------------------

def test_notice_draft_addresses_the_contractor_and_suggests_the_project_managers():
    doc = {"_id": "r1", "project_id": "p1", "project_name": "海口湾一期", "check_type": "safety",
           "part_checked": "3#楼 5层 主体施工", "terms": [{"code": "JGJ59-A.0.2-06", "text": "文明施工：现场防火"}],
           "violations": [{"code": "ZD2024-5.1", "text": "未采取专项防护措施"}], "supplement": "灭火器过期"}
    draft = rules.notice_draft(doc, PROJECT)
    assert draft["document_type"] == "rectification" and draft["record_id"] == "r1" and draft["project_id"] == "p1"
    assert draft["addressed_org_ids"] == [CONTRACTOR]
    assert draft["replier_user_ids"] == [PM] and draft["repliers"] == [{"user_id": PM, "name": "刘洋"}]
    assert "3#楼 5层" in draft["details"] and "1. 文明施工：现场防火" in draft["details"]
    assert "未采取专项防护措施" in draft["details"] and "补充说明：灭火器过期" in draft["details"]


def test_feature_flag_is_on_for_every_tenant_by_default_and_switchable_per_tenant():
    assert all(Settings().records_enabled(t) for t in ("hubei", "hainan", "fujian", "hunan", "hebei"))
    s = Settings(supervision_records_enabled={"hebei": False})
    assert s.records_enabled("hainan") and not s.records_enabled("hebei")
    s = Settings(supervision_records_default=False, supervision_records_enabled={"hainan": True})
    assert s.records_enabled("hainan") and not s.records_enabled("hubei")
