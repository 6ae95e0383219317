"""Pure rules of enforcement documents (HN-07..HN-09): numbering configuration, deadlines in
Asia/Shanghai, the all-must-approve review, who may reply, attachment signatures, escalation."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

import pytest

from anjian_shared.auth import Principal
from anjian_shared.errors import NotFound, NotYetAvailable
from anjian_shared.problems import Conflict, Forbidden, Unprocessable, UnsupportedMedia
from anjian_shared.review import Decision, Review, ReviewState
from anjian_shared.testing.media import image_bytes
from notices.domain import document_config as cfg
from notices.domain import documents as rules
from notices.domain import escalation as esc
from notices.domain.attachments import DOCX, PDF, PNG, XLSX, attachment_type
from notices.domain.documents import DocumentFacts, DocumentStatus


def principal(uid: str, org: str = "station", roles: tuple[str, ...] = ("supervisor",),
              kind: str = "station") -> Principal:
    return Principal(user_id=uid, tenant="hainan", org_id=org, roles=list(roles), org_kind=kind)


NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def facts(**over) -> DocumentFacts:  # type: ignore[no-untyped-def]
    """A document's facts; ``reviewed_by`` approved (or ``rejected_by`` rejected), in order."""
    approvals = [Review(u, Decision.APPROVE, NOW) for u in over.pop("reviewed_by", ())]
    rejections = [Review(u, Decision.REJECT, NOW, "no") for u in over.pop("rejected_by", ())]
    base = dict(document_id="d1", status=DocumentStatus.ISSUED, station_org_id="station", issuer_id="zhang",
                report_recipient_ids=("wang", "li"), issue_recipient_ids=("zhao",),
                replier_user_ids=("liu", "pm2"), pending_replier_ids=(), accepted_replier_ids=())
    base.update(over)
    base["review"] = ReviewState.of(base["report_recipient_ids"], [*approvals, *rejections])
    return DocumentFacts(**base)


def after(f: DocumentFacts, who: str, decision: str, comment: str | None = "c") -> DocumentStatus:
    step, status = rules.review(f, who, decision, comment, NOW, reviewer_name=who)
    assert step.review.reviewer_id == who and step.review.decision == decision
    return status


# --- numbering configuration ---------------------------------------------------------------------

def test_default_numbers_look_like_the_manuals():
    c = cfg.default_config("琼")
    assert cfg.render_number(c, key="rectification", year=2026, seq=12) == "琼安监整〔2026〕0012号"
    assert cfg.render_number(c, key="penalty_recommendation", year=2026, seq=1) == "琼安监罚建〔2026〕0001号"
    assert cfg.render_number(c, key="bad_conduct_record", year=2026, seq=1) == "琼安监不良〔2026〕0001号"
    assert cfg.render_number(c, key="stop_work", year=2027, seq=12345) == "琼安监停〔2027〕12345号"
    assert len(set(c["short_names"].values())) == 8          # no two counters share a rendered number


def test_every_document_type_has_an_escalation_kind_by_default():
    assert set(cfg.DEFAULT_ESCALATION_KINDS) == set(cfg.DOCUMENT_TYPES)
    assert set(cfg.DEFAULT_ESCALATION_KINDS.values()) <= set(cfg.ESCALATION_KINDS)


@pytest.mark.parametrize("seq,year", [(0, 2026), (1, 999)])
def test_render_refuses_bad_sequence_or_year(seq, year):
    with pytest.raises(ValueError):
        cfg.render_number(cfg.default_config("琼"), key="rectification", year=year, seq=seq)


def test_valid_config_is_normalised():
    c = cfg.default_config("琼") | {"format": " {abbr}建{type}字[{year}]第{seq}号 "}
    clean = cfg.validate_config(c)
    assert clean["format"] == "{abbr}建{type}字[{year}]第{seq}号"
    assert cfg.render_number(clean, key="stop_work", year=2026, seq=3) == "琼建停字[2026]第0003号"


@pytest.mark.parametrize("change,field", [
    ({"format": "{abbr}{type}{year}"}, "format"),                 # no {seq}
    ({"format": "{abbr}{type}{year}{seq}{seq}"}, "format"),       # twice
    ({"format": "{abbr}{type}{year}{seq}{id}"}, "format"),        # unknown placeholder
    ({"format": "{abbr}{type}{year}{seq:08d}"}, "format"),        # format specs are not allowed
    ({"format": "{abbr{type}{year}{seq}"}, "format"),             # unbalanced
    ({"format": "{year}{seq}"}, "format"),                        # without {type} types collide
    ({"abbr": ""}, "abbr"),
    ({"short_names": {**cfg.DEFAULT_SHORT_NAMES, "stop_work": "整"}}, "short_names"),  # same as rectification
    ({"short_names": {k: v for k, v in cfg.DEFAULT_SHORT_NAMES.items() if k != "stop_work"}}, "short_names"),
    ({"escalation_kinds": {**cfg.DEFAULT_ESCALATION_KINDS, "stop_work": "fine"}}, "escalation_kinds"),
])
def test_invalid_config_is_422_naming_the_field(change, field):
    with pytest.raises(Unprocessable) as exc:
        cfg.validate_config(cfg.default_config("琼") | change)
    assert exc.value.field == field


def test_chinese_type_names_map_to_codes():
    assert cfg.document_type_code("整改通知") == "rectification"
    assert cfg.document_type_code(" 局部停工通知 ") == "partial_stop_work"
    assert cfg.document_type_code("stop_work") == "stop_work"
    assert cfg.document_type_code(3) == 3


def test_counters_are_per_tenant_type_and_year():
    ids = {cfg.document_counter_id("hainan", "rectification", 2026),
           cfg.document_counter_id("hainan", "stop_work", 2026),
           cfg.document_counter_id("hainan", "rectification", 2027),
           cfg.document_counter_id("hubei", "rectification", 2026),
           cfg.escalation_counter_id("hainan", "penalty_recommendation", 2026)}
    assert len(ids) == 5


# --- time ------------------------------------------------------------------------------------------

def test_today_and_the_numbering_year_turn_at_midnight_beijing_time():
    assert rules.today(datetime(2025, 12, 31, 15, 59, tzinfo=UTC)) == date(2025, 12, 31)
    assert rules.today(datetime(2025, 12, 31, 16, 0, tzinfo=UTC)) == date(2026, 1, 1)
    assert rules.numbering_year(datetime(2025, 12, 31, 16, 0, tzinfo=UTC)) == 2026
    with pytest.raises(ValueError):
        rules.today(datetime(2026, 1, 1))


def test_deadline_before_today_needs_backdated():
    now = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)        # 11 March 01:00 in Beijing
    rules.check_deadline(date(2026, 3, 11), now=now, backdated=False)
    with pytest.raises(Unprocessable) as exc:
        rules.check_deadline(date(2026, 3, 10), now=now, backdated=False)
    assert exc.value.field == "deadline"
    rules.check_deadline(date(2026, 3, 1), now=now, backdated=True)


def test_overdue_from_the_day_after_the_deadline_in_beijing():
    assert not rules.is_overdue(date(2026, 3, 10), now=datetime(2026, 3, 10, 15, 59, tzinfo=UTC))
    assert rules.is_overdue(date(2026, 3, 10), now=datetime(2026, 3, 10, 16, 0, tzinfo=UTC))
    flt = esc.overdue_filter(datetime(2026, 3, 10, 16, 0, tzinfo=UTC))
    assert flt == {"status": "issued", "escalated": {"$ne": True}, "deadline": {"$lt": "2026-03-11"}}


# --- who ---------------------------------------------------------------------------------------------

def test_only_station_supervisors_and_leaders_issue():
    rules.ensure_issuer_role(principal("zhang"))
    rules.ensure_issuer_role(principal("wang", roles=("station_leader",)))
    for p in (principal("liu", "contractor", ("project_manager",), "company"),
              principal("admin", "authority", ("province_admin",), "authority"),
              principal("odd", "contractor", ("supervisor",), "company")):
        with pytest.raises(Forbidden):
            rules.ensure_issuer_role(p)


def test_visibility():
    pending = facts(status=DocumentStatus.PENDING_REVIEW)
    assert rules.can_see(pending, principal("zhang")) and rules.can_see(pending, principal("li"))
    assert not rules.can_see(pending, principal("liu", "contractor"))        # a replier: not issued yet
    assert not rules.can_see(pending, principal("zhao", "supervision"))      # an issue recipient likewise
    assert rules.can_see(facts(), principal("liu", "contractor")) and rules.can_see(facts(), principal("zhao", "x"))
    assert rules.can_see(pending, principal("boss", roles=("station_leader",)))
    assert not rules.can_see(pending, principal("boss", "other-station", ("station_leader",)))
    assert not rules.can_see(facts(), principal("other", roles=("supervisor",)))
    assert rules.is_station_side(facts(), principal("wang")) and not rules.is_station_side(facts(), principal("liu"))


# --- review routing ------------------------------------------------------------------------------------

def test_hn08_all_report_recipients_must_approve_and_the_first_rejection_returns_it():
    pending = facts(status=DocumentStatus.PENDING_REVIEW)
    assert after(pending, "wang", "approve") is DocumentStatus.PENDING_REVIEW
    assert after(facts(status=DocumentStatus.PENDING_REVIEW, reviewed_by=("wang",)), "li", "approve") \
        is DocumentStatus.ISSUED
    assert after(pending, "li", "reject") is DocumentStatus.REJECTED
    with pytest.raises(Conflict) as exc:
        after(facts(status=DocumentStatus.REJECTED, rejected_by=("li",)), "wang", "approve")
    assert exc.value.slug == "document-not-pending-review"
    with pytest.raises(Conflict) as exc:
        after(facts(status=DocumentStatus.PENDING_REVIEW, reviewed_by=("wang",)), "wang", "approve")
    assert exc.value.slug == "document-already-reviewed"
    with pytest.raises(Forbidden) as exc:
        after(pending, "zhang", "approve")
    assert exc.value.slug == "not-a-reviewer"
    assert rules.initial_status([]) is DocumentStatus.ISSUED
    assert rules.initial_status(["wang"]) is DocumentStatus.PENDING_REVIEW


def test_hn08_rejecting_needs_a_comment():
    with pytest.raises(Unprocessable) as exc:
        after(facts(status=DocumentStatus.PENDING_REVIEW), "wang", "reject", "  ")
    assert exc.value.field == "comment" and exc.value.slug == "comment-required"
    assert after(facts(status=DocumentStatus.PENDING_REVIEW), "wang", "approve", None) \
        is DocumentStatus.PENDING_REVIEW


def test_hn09_a_reply_is_reviewed_once_by_the_issuer_a_list_of_one():
    reply = {"reviewer_user_id": "zhang", "status": "pending", "review": None}
    step = rules.review_reply(reply, "zhang", "approve", None, NOW, reviewer_name="张")
    assert rules.reply_status(step.outcome).value == "accepted"
    stored = rules.reply_review_doc(step)
    assert stored["accepted"] is True and stored["decision"] == "approve"
    with pytest.raises(Conflict) as exc:
        rules.review_reply({**reply, "review": stored}, "zhang", "reject", "again", NOW)
    assert exc.value.slug == "reply-already-reviewed"
    old_shape = {"accepted": False, "comment": "x", "reviewed_by": {"user_id": "zhang", "name": ""},
                 "reviewed_at": NOW}                                         # stored before ``decision``
    assert rules.reply_review_state({**reply, "review": old_shape}).outcome.value == "rejected"
    with pytest.raises(Forbidden) as exc:
        rules.review_reply(reply, "wang", "approve", None, NOW)
    assert exc.value.slug == "not-a-reviewer"
    rejected = rules.review_reply(reply, "zhang", "reject", "请补充照片", NOW)
    assert rules.reply_status(rejected.outcome).value == "rejected"


# --- replies -------------------------------------------------------------------------------------------

def test_who_may_reply_when():
    liu = principal("liu", "contractor", ("project_manager",), "company")
    rules.ensure_can_reply(facts(), liu)
    with pytest.raises(Forbidden):
        rules.ensure_can_reply(facts(), principal("zhao", "supervision"))         # issue recipient only
    for state in (DocumentStatus.PENDING_REVIEW, DocumentStatus.REJECTED, DocumentStatus.CLOSED):
        with pytest.raises(Conflict):
            rules.ensure_can_reply(facts(status=state), liu)
    with pytest.raises(Conflict) as exc:
        rules.ensure_can_reply(facts(pending_replier_ids=("liu",)), liu)
    assert exc.value.slug == "reply-pending"
    with pytest.raises(Conflict):
        rules.ensure_can_reply(facts(accepted_replier_ids=("liu",)), liu)
    with pytest.raises(Forbidden):
        rules.ensure_reply_reviewer(facts(), principal("wang", roles=("station_leader",)))
    rules.ensure_reply_reviewer(facts(), principal("zhang"))


def test_closed_only_when_every_replier_is_accepted():
    assert not rules.all_accepted(["liu", "pm2"], ["liu"])
    assert rules.all_accepted(["liu", "pm2"], ["pm2", "liu"])
    assert rules.missing_repliers(["liu", "pm2", "zhao"], ["pm2"]) == ["liu", "zhao"]


def test_reply_text_is_required():
    for bad in (None, "", "   ", "x" * 2001):
        with pytest.raises(Unprocessable) as exc:
            rules.reply_text(bad)
        assert exc.value.field == "text"
    assert rules.reply_text("  已整改 ") == "已整改"


def _zip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n in names:
            zf.writestr(n, "<x/>")
    return buf.getvalue()


def test_attachments_are_recognised_by_content():
    assert attachment_type(b"%PDF-1.7\n...") == PDF
    assert attachment_type(image_bytes("PNG")) == PNG  # an image attachment must decode (issue 11)
    assert attachment_type(_zip(["[Content_Types].xml", "word/document.xml"])) == DOCX
    assert attachment_type(_zip(["[Content_Types].xml", "xl/workbook.xml"])) == XLSX
    for bad in (b"MZ\x90\x00 this is an exe", b"<html><script>", _zip(["a.txt"]), b"PK\x03\x04broken"):
        with pytest.raises(UnsupportedMedia) as exc:
            attachment_type(bad)
        assert exc.value.field == "attachments"


# --- the people ------------------------------------------------------------------------------------------

PROJECT = {"station_org_id": "station", "owner_org_id": "owner", "contractor_org_id": "contractor",
           "supervision_org_id": "supervision",
           "participants": [{"user_id": "liu", "org_id": "contractor", "project_role": "project_manager"}]}
USERS = {"liu": {"org_id": "contractor", "roles": ["project_manager"]},
         "staff": {"org_id": "owner", "roles": ["company_staff"]},
         "gone": {"org_id": "owner", "roles": ["company_staff"], "enabled": False},
         "chen": {"org_id": "other-contractor", "roles": ["project_manager"]},
         "wang": {"org_id": "station", "roles": ["station_leader"]},
         "far": {"org_id": "other-station", "roles": ["station_leader"]}}


def test_people_rules():
    assert rules.validate_repliers(["liu", "staff", "liu"], USERS, PROJECT, issuer_id="zhang") == ["liu", "staff"]
    for bad in (["chen"], ["gone"], [], ["zhang"]):
        with pytest.raises(Unprocessable) as exc:
            rules.validate_repliers(bad, USERS, PROJECT, issuer_id="zhang")
        assert exc.value.field == "replier_user_ids"
    assert rules.validate_report_recipients(["wang"], USERS, station_org_id="station", issuer_id="zhang") == ["wang"]
    for bad in (["far"], ["liu"]):
        with pytest.raises(Unprocessable):
            rules.validate_report_recipients(bad, USERS, station_org_id="station", issuer_id="zhang")
    assert rules.validate_issue_recipients(["wang", "staff"], USERS, PROJECT, issuer_id="zhang") == ["wang", "staff"]
    with pytest.raises(Unprocessable):
        rules.validate_issue_recipients(["chen"], USERS, PROJECT, issuer_id="zhang")
    assert rules.validate_addressed_orgs(["contractor", "supervision"], PROJECT) == ["contractor", "supervision"]
    for bad in ([], ["other-contractor"], ["station"]):
        with pytest.raises(Unprocessable) as exc:
            rules.validate_addressed_orgs(bad, PROJECT)
        assert exc.value.field == "addressed_org_ids"


def test_record_must_be_readable_released_of_the_same_project():
    """HN-04/HN-07: 404 unreadable; 422 another project or rejected; 409 (retryable) pending
    review or not arrived yet."""
    me = principal("zhang")

    def rec(**over):  # type: ignore[no-untyped-def]
        return {"project_id": "p1", "status": "issued", "station_org_id": "station",
                "submitted_by": {"user_id": "zhang"}, **over}

    rules.check_record(rec(status="internal"), project_id="p1", principal=me)
    rules.check_record(rec(), project_id="p1", principal=me)
    for bad in (rec(project_id="p2"), rec(status="rejected")):
        with pytest.raises(Unprocessable) as exc:
            rules.check_record(bad, project_id="p1", principal=me)
        assert exc.value.field == "record_id"
    for later, slug in ((None, "not-yet-available"), ({"project_id": "p1", "status": "issued"}, "not-yet-available"),
                        (rec(status="pending_review"), "record-not-released")):
        with pytest.raises(NotYetAvailable) as exc:
            rules.check_record(later, project_id="p1", principal=me)
        assert exc.value.slug == slug and exc.value.retry_after and exc.value.field == "record_id"
    with pytest.raises(NotFound):
        rules.check_record(rec(submitted_by={"user_id": "li"}), project_id="p1", principal=me)


def test_date_filters_are_days_in_beijing_and_bounded():
    rng = rules.day_range(date(2026, 3, 1), date(2026, 3, 1))
    assert rng is not None and rng["$gte"].isoformat() == "2026-03-01T00:00:00+08:00"
    assert rng["$lt"].isoformat() == "2026-03-02T00:00:00+08:00"
    for start, end, field in ((date(2026, 3, 2), date(2026, 3, 1), "date_to"), (date(1, 1, 1), None, "date_from"),
                              (None, date(9999, 12, 31), "date_to")):
        with pytest.raises(Unprocessable) as exc:
            rules.day_range(start, end)
        assert exc.value.field == field


def test_hn04_hn07_the_notice_draft_of_a_record_posts_as_returned():
    """HN-04 同时下发整改通知: inspections' ``notice_draft`` (with its display fields
    ``project_name`` and ``repliers``) is a valid ``POST /documents`` body as returned, once
    the supervisor chose the deadline; the display fields are ignored, other unknown fields
    are still refused."""
    from pydantic import ValidationError

    from notices.entrypoints.api.documents_schemas import DocumentCreate

    draft = {"document_type": "rectification", "project_id": "p1", "project_name": "海口一号楼",
             "record_id": "r1", "addressed_org_ids": ["org-contractor"], "details": "抽查类型：安全",
             "replier_user_ids": ["liu"], "repliers": [{"user_id": "liu", "name": "刘洋"}]}
    body = DocumentCreate.model_validate({**draft, "deadline": "2026-03-20"})
    assert body.record_id == "r1" and body.replier_user_ids == ["liu"]
    assert "project_name" not in body.model_dump(exclude_none=True)
    with pytest.raises(ValidationError):
        DocumentCreate.model_validate({**draft, "deadline": "2026-03-20", "typo_field": 1})
