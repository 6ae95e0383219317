"""Enforcement documents (处理文书 / 通知书), their review, replies and reply reviews:
HN-07..HN-09. Rules only, no I/O.

A station's supervisor (or leader) submits a document about one project of the station,
resting on exactly one supervision record of that project ("no record, no document"). It
is **immutable from submission on**; only its routing ``status`` and the reply
bookkeeping move:

===========================  ==================  =========================================
submitted with               status              then
===========================  ==================  =========================================
report recipients (上报)      ``pending_review``  ALL must approve → ``issued``; the first
                                                 rejection → ``rejected`` (back to the issuer)
none                         ``issued``          at once
===========================  ==================  =========================================

Both reviews — of the document by its report recipients, of each reply by the issuer (a
list of one) — follow the review block ``anjian_shared.review``.

Once ``issued`` (下达) its repliers (回复人) reply with text, photos and attachments; the
issuer reviews every reply (accept / reject with a comment); a rejected replier replies
again. The document is ``closed`` (已办结) when EVERY replier's latest reply is accepted.
While a replier has a reply awaiting review they cannot send another one.

Who sees a document: its issuer; its report recipients (any state); its repliers and issue
recipients once issued (or closed); the leaders (站长) of its station. Anybody else — also
another station's staff or another tenant — gets 404, so ids don't leak.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from anjian_shared.china_time import check_not_past, china_day, day_range
from anjian_shared.errors import Conflict, Forbidden, NotFound, NotYetAvailable, Unprocessable
from anjian_shared.principal import Principal, Role
from anjian_shared.record_access import RecordAudience, is_released, may_read_record
from anjian_shared.review import (
    Box,
    Boxes,
    Decision,
    Outcome,
    Review,
    ReviewState,
    Step,
    Verdict,
    decide,
)
from anjian_shared.review import and_filters as and_filters  # re-exported for the views
from anjian_shared.review import reply_text as shared_reply_text

"""Every tenant's calendar: 'today' for deadlines, the numbering year, date filters."""

ISSUER_ROLES: tuple[str, ...] = (Role.SUPERVISOR.value, Role.STATION_LEADER.value)
"""Who submits documents: a station's supervisors (监督员) and leaders."""
REVIEWER_ROLES: tuple[str, ...] = (Role.STATION_LEADER.value, Role.SUPERVISOR.value)
"""Who can be a report recipient: the station's leaders (分管领导/站长) and supervisors."""

MAX_TEXT_CHARS = 2000
MAX_PEOPLE = 50
"""At most this many addressed units, repliers, report or issue recipients per document."""
MAX_REPLY_PHOTOS = 9
MAX_REPLY_ATTACHMENTS = 5


class DocumentStatus(StrEnum):
    PENDING_REVIEW = "pending_review"   # 待审核
    REJECTED = "rejected"               # 审核未通过
    ISSUED = "issued"                   # 已下达
    CLOSED = "closed"                   # 已办结


STATUS_LABELS = {"pending_review": "待审核", "rejected": "审核未通过", "issued": "已下达", "closed": "已办结"}


class ReplyStatus(StrEnum):
    PENDING = "pending"     # 待审核
    ACCEPTED = "accepted"   # 审核通过
    REJECTED = "rejected"   # 审核未通过


REPLY_LABELS = {"pending": "待审核", "accepted": "审核通过", "rejected": "审核未通过"}


ReviewBox = Box
"""上报给我的 (HN-08) and 我审核的 (HN-09) boxes: ``to_review`` (waiting for my decision),
``reviewed`` (I decided) — the review block's ``Box``."""

DOCUMENT_BOXES = Boxes(pending="pending_review")
"""A document's review routing as stored: ``report_recipient_ids``, ``reviews``, ``reviewed_by``."""
REPLY_BOXES = Boxes(pending="pending", reviewers="reviewer_user_id", decided_by="review.reviewed_by.user_id")
"""A reply's review as stored: its one reviewer ``reviewer_user_id`` (the issuer), ``review``."""


@dataclass(frozen=True)
class DocumentFacts:
    """What the rules need to know about a stored document."""

    document_id: str
    status: DocumentStatus
    station_org_id: str
    issuer_id: str
    report_recipient_ids: tuple[str, ...]
    review: ReviewState
    issue_recipient_ids: tuple[str, ...]
    replier_user_ids: tuple[str, ...]
    pending_replier_ids: tuple[str, ...]
    accepted_replier_ids: tuple[str, ...]

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> DocumentFacts:
        """HN-07..09: the facts of a stored document."""
        return cls(document_id=doc["_id"], status=DocumentStatus(doc["status"]),
                   station_org_id=doc["station_org_id"], issuer_id=doc["submitted_by"]["user_id"],
                   report_recipient_ids=tuple(doc.get("report_recipient_ids", ())),
                   review=ReviewState.from_doc(doc),
                   issue_recipient_ids=tuple(doc.get("issue_recipient_ids", ())),
                   replier_user_ids=tuple(doc.get("replier_user_ids", ())),
                   pending_replier_ids=tuple(doc.get("pending_replier_ids", ())),
                   accepted_replier_ids=tuple(doc.get("accepted_replier_ids", ())))

    @property
    def reviewed_by(self) -> tuple[str, ...]:
        return self.review.decided_by

    @property
    def released(self) -> bool:
        """Issued (下达) or closed: the repliers and issue recipients have it."""
        return self.status in (DocumentStatus.ISSUED, DocumentStatus.CLOSED)


# --- time -------------------------------------------------------------------------------------

def today(now: datetime) -> date:
    """HN-07: The tenant's calendar day (Asia/Shanghai) at the aware moment ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return china_day(now)


def numbering_year(now: datetime) -> int:
    """HN-07: The year a document submitted at ``now`` is numbered in (Asia/Shanghai)."""
    return today(now).year


def check_deadline(deadline: date, *, now: datetime, backdated: bool) -> None:
    """HN-07 截止日期: a day not before today (Asia/Shanghai), unless the document is
    ``backdated`` (补录 of a paper document issued earlier). 422 ``deadline``
    (``deadline-past``): the platform's one rule, ``anjian_shared.china_time.check_not_past``
    (HB-06 applies it to a plan's rectification date too)."""
    check_not_past(deadline, now=now, backdated=backdated, field="deadline")


def is_overdue(deadline: date, *, now: datetime) -> bool:
    """HN-07: The deadline day has passed (in Asia/Shanghai): overdue from the next day on."""
    return deadline < today(now)


"""Date filters outside these days are refused (422) rather than overflowing."""


# --- who --------------------------------------------------------------------------------------

def ensure_issuer_role(principal: Principal) -> None:
    """HN-07: documents are submitted by a supervision station's supervisors or leaders;
    403 for everybody else (companies, the authority)."""
    if not principal.has(*ISSUER_ROLES):
        raise Forbidden("requires the role supervisor or station_leader", slug="role-required")
    if principal.org_kind and principal.org_kind != "station":
        raise Forbidden("only the staff of a supervision station (监督站) submit enforcement documents",
                        slug="not-station-staff")


def is_station_leader_of(facts: DocumentFacts, principal: Principal) -> bool:
    return principal.has(Role.STATION_LEADER.value) and principal.org_id == facts.station_org_id


def can_see(facts: DocumentFacts, principal: Principal) -> bool:
    """HN-07..09: issuer; report recipients; repliers and issue recipients once released;
    the leaders of the document's station."""
    uid = principal.user_id
    if uid == facts.issuer_id or uid in facts.report_recipient_ids:
        return True
    if facts.released and (uid in facts.replier_user_ids or uid in facts.issue_recipient_ids):
        return True
    return is_station_leader_of(facts, principal)


def is_station_side(facts: DocumentFacts, principal: Principal) -> bool:
    """HN-07: who reads the produced 处罚建议书/不良行为记录: the issuer, the report recipients
    and the station's leaders (not the units it is about)."""
    return (principal.user_id == facts.issuer_id or principal.user_id in facts.report_recipient_ids
            or is_station_leader_of(facts, principal))


# --- review routing (上报给我的) ----------------------------------------------------------------

def initial_status(report_recipient_ids: Sequence[str]) -> DocumentStatus:
    """HN-07: report recipients → review first; none → issued at once."""
    return DocumentStatus.PENDING_REVIEW if report_recipient_ids else DocumentStatus.ISSUED


STATUS_AFTER = {Outcome.PENDING: DocumentStatus.PENDING_REVIEW, Outcome.APPROVED: DocumentStatus.ISSUED,
                Outcome.REJECTED: DocumentStatus.REJECTED}
"""HN-08: the document's status for a review outcome."""


def review(facts: DocumentFacts, reviewer_id: str, decision: Decision | str, comment: str | None,
           now: datetime, *, reviewer_name: str = "") -> tuple[Step, DocumentStatus]:
    """HN-08 审核 with the ALL rule (``anjian_shared.review.decide``): the decision and the
    document's status after it.

    403 ``not-a-reviewer`` (not a report recipient); 409 ``document-already-reviewed``
    (decided before) or ``document-not-pending-review``; 422 ``comment`` (a rejection needs
    one). A rejection returns the document to its issuer at once; the last approval issues it.
    """
    step = decide(facts.review, reviewer_id, decision, comment, now, reviewer_name=reviewer_name,
                  subject="document", why="telling the issuer what to change")
    if facts.status is not DocumentStatus.PENDING_REVIEW:  # stored status and reviews disagree
        raise Conflict(f"the document is not waiting for review (status {facts.status.value})",
                       slug="document-not-pending-review")
    return step, STATUS_AFTER[step.outcome]


def judge(doc: Mapping[str, Any] | None, principal: Principal, decision: Decision | str, comment: str | None,
          now: datetime) -> Verdict:
    """HN-08: the verdict on a report recipient's decision about the stored document ``doc``
    (for ``anjian_shared.review.decide_stored``): 404 missing or not visible, then ``review``'s
    refusals; the last approval issues it (``issued_at``)."""
    facts = visible_facts(doc, principal)
    name = principal.name or doc.get("people", {}).get(principal.user_id, "")
    step, status = review(facts, principal.user_id, decision, comment, now, reviewer_name=name)
    marks = {"issued_at": now} if status is DocumentStatus.ISSUED else {}
    return Verdict(step=step, status=status.value, also=marks)


def visible_facts(doc: Mapping[str, Any] | None, principal: Principal) -> DocumentFacts:
    """HN-07..09: the facts of ``doc`` if ``principal`` may see it; 404 otherwise."""
    if doc is None or not can_see(facts := DocumentFacts.from_doc(doc), principal):
        raise NotFound("document not found")
    return facts


def reply_review_state(reply: Mapping[str, Any]) -> ReviewState:
    """HN-09: the review of one stored reply: its one reviewer (the document's issuer) and
    the decision, once taken (stored as ``review: {accepted, comment, reviewed_by, reviewed_at}``)."""
    stored = reply.get("review")
    reviews = () if not stored else (Review(
        reviewer_id=stored["reviewed_by"]["user_id"], reviewer_name=stored["reviewed_by"].get("name", ""),
        decision=Decision(stored.get("decision") or Decision.of_accepted(stored["accepted"])),
        comment=stored.get("comment", ""), reviewed_at=stored["reviewed_at"]),)
    return ReviewState.of((reply["reviewer_user_id"],), reviews)


def review_reply(reply: Mapping[str, Any], reviewer_id: str, decision: Decision | str, comment: str | None,
                 now: datetime, *, reviewer_name: str = "") -> Step:
    """HN-09 审核 of a reply by the issuer: accept (``approve``) or reject with a comment. 403
    ``not-a-reviewer``; 409 ``reply-already-reviewed``; 422 ``comment``."""
    return decide(reply_review_state(reply), reviewer_id, decision, comment, now, reviewer_name=reviewer_name,
                  subject="reply", why="telling the replier what is missing")


def reply_review_doc(step: Step) -> dict[str, Any]:
    """HN-09: the stored ``review`` of a reply (``accepted`` kept for readers of the old shape)."""
    r = step.review
    return {"decision": r.decision.value, "accepted": r.approved, "comment": r.comment,
            "reviewed_by": {"user_id": r.reviewer_id, "name": r.reviewer_name}, "reviewed_at": r.reviewed_at}


def reply_status(outcome: Outcome) -> ReplyStatus:
    """HN-09: a reply's status for its review outcome (approved → ``accepted``)."""
    return {Outcome.PENDING: ReplyStatus.PENDING, Outcome.APPROVED: ReplyStatus.ACCEPTED,
            Outcome.REJECTED: ReplyStatus.REJECTED}[outcome]


# --- replies (HN-09) ----------------------------------------------------------------------------

def ensure_can_reply(facts: DocumentFacts, principal: Principal) -> None:
    """HN-09 回复: only a replier of the document (403 for anyone else who sees it); only
    while it is issued (409 ``document-not-open``: not issued yet, rejected or closed); not
    while the replier's previous reply awaits review (409 ``reply-pending``) nor after it was
    accepted (409 ``reply-accepted``)."""
    uid = principal.user_id
    if uid not in facts.replier_user_ids:
        raise Forbidden("only a replier (回复人) of the document replies to it", slug="not-a-replier")
    if facts.status is not DocumentStatus.ISSUED:
        raise Conflict(f"the document is not open for replies (status {facts.status.value})",
                       slug="document-not-open")
    if uid in facts.pending_replier_ids:
        raise Conflict("your previous reply is awaiting review", slug="reply-pending")
    if uid in facts.accepted_replier_ids:
        raise Conflict("your reply was already accepted", slug="reply-accepted")


def ensure_reply_reviewer(facts: DocumentFacts, principal: Principal) -> None:
    """HN-09 我审核的: the document's issuer reviews its replies (403 for anyone else)."""
    if principal.user_id != facts.issuer_id:
        raise Forbidden("only the issuer of the document reviews its replies", slug="not-a-reviewer")


def all_accepted(replier_user_ids: Iterable[str], accepted_ids: Iterable[str]) -> bool:
    """HN-09: the document is done (已办结) when every replier has an accepted reply."""
    return set(replier_user_ids) <= set(accepted_ids)


def missing_repliers(replier_user_ids: Sequence[str], accepted_ids: Iterable[str]) -> list[str]:
    """HN-07: the repliers without an accepted reply (named by an escalation), in order."""
    accepted = set(accepted_ids)
    return [u for u in replier_user_ids if u not in accepted]


def reply_text(text: str | None) -> str:
    """HN-09: reply text 1..2000 characters after trimming (422 ``text``)."""
    return shared_reply_text(text, what="say what was done", max_chars=MAX_TEXT_CHARS)


# --- the people of a document -----------------------------------------------------------------

def dedupe(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i.strip() for i in ids if i and i.strip()))


def project_companies(project: Mapping[str, Any]) -> list[str]:
    """HN-07: the project's companies (建设/施工/监理单位), the units a document may address."""
    return [o for o in (project.get("owner_org_id"), project.get("contractor_org_id"),
                        project.get("supervision_org_id")) if o]


def _limit(ids: list[str], field: str, *, minimum: int) -> list[str]:
    if len(ids) < minimum:
        raise Unprocessable(f"{field}: at least {minimum} required", field=field, slug="too-few-people")
    if len(ids) > MAX_PEOPLE:
        raise Unprocessable(f"{field}: at most {MAX_PEOPLE}", field=field, slug="too-many-people")
    return ids


def validate_addressed_orgs(ids: Sequence[str], project: Mapping[str, Any]) -> list[str]:
    """HN-07 通知对象单位: 1..50 units, each one of the project's companies (422
    ``addressed_org_ids``)."""
    out = _limit(dedupe(ids), "addressed_org_ids", minimum=1)
    companies = set(project_companies(project))
    bad = [o for o in out if o not in companies]
    if bad:
        raise Unprocessable(f"not companies of the project: {', '.join(bad)}", field="addressed_org_ids",
                            slug="not-project-companies")
    return out


def _unknown_yet(bad: Sequence[str], users: Mapping[str, Mapping[str, Any]], field: str) -> None:
    """HN-07: when every refused person is merely unknown here (their ``identity.user.*``
    event has not arrived), the answer is retryable (409 ``not-yet-available``), not a 422."""
    if all(u not in users for u in bad):
        raise not_arrived(f"the user(s) {', '.join(bad)}", field)


def _active(users: Mapping[str, Mapping[str, Any]], uid: str) -> bool:
    return uid in users and users[uid].get("enabled", True) is not False


def validate_repliers(ids: Sequence[str], users: Mapping[str, Mapping[str, Any]], project: Mapping[str, Any],
                      *, issuer_id: str) -> list[str]:
    """HN-07 回复人: 1..50 people of the project's parties — its participants (项目经理, 总监, …)
    or enabled users of its companies; not the issuer. 422 ``replier_user_ids``."""
    out = _limit(dedupe(ids), "replier_user_ids", minimum=1)
    if issuer_id in out:
        raise Unprocessable("you cannot reply to your own document", field="replier_user_ids", slug="self-reply")
    participants = {p["user_id"] for p in project.get("participants", [])}
    companies = set(project_companies(project))
    bad = [u for u in out if u not in participants
           and not (_active(users, u) and users[u].get("org_id") in companies)]
    if bad:
        _unknown_yet(bad, users, "replier_user_ids")
        raise Unprocessable(f"not people of the project's parties: {', '.join(bad)}", field="replier_user_ids",
                            slug="not-project-parties")
    return out


def validate_report_recipients(ids: Sequence[str], users: Mapping[str, Mapping[str, Any]], *,
                               station_org_id: str, issuer_id: str) -> list[str]:
    """HN-07 上报接收人: 0..50 enabled leaders or supervisors of the document's station, not
    the issuer. 422 ``report_recipient_ids``."""
    out = _limit(dedupe(ids), "report_recipient_ids", minimum=0)
    if issuer_id in out:
        raise Unprocessable("you cannot review your own document", field="report_recipient_ids", slug="self-review")
    bad = [u for u in out if not _active(users, u) or users[u].get("org_id") != station_org_id
           or not set(users[u].get("roles", [])) & set(REVIEWER_ROLES)]
    if bad:
        _unknown_yet(bad, users, "report_recipient_ids")
        raise Unprocessable(f"not leaders or supervisors of your station: {', '.join(bad)}",
                            field="report_recipient_ids", slug="not-station-reviewers")
    return out


def validate_issue_recipients(ids: Sequence[str], users: Mapping[str, Mapping[str, Any]],
                              project: Mapping[str, Any], *, issuer_id: str) -> list[str]:
    """HN-07 下达接收人: 0..50 people of the project's parties (participants, users of its
    companies) or of its station, not the issuer. 422 ``issue_recipient_ids``."""
    out = _limit(dedupe(ids), "issue_recipient_ids", minimum=0)
    if issuer_id in out:
        raise Unprocessable("you cannot issue a document to yourself", field="issue_recipient_ids",
                            slug="self-recipient")
    participants = {p["user_id"] for p in project.get("participants", [])}
    orgs = set(project_companies(project)) | {project.get("station_org_id")}
    bad = [u for u in out if u not in participants and not (_active(users, u) and users[u].get("org_id") in orgs)]
    if bad:
        _unknown_yet(bad, users, "issue_recipient_ids")
        raise Unprocessable(f"not people of the project's parties or station: {', '.join(bad)}",
                            field="issue_recipient_ids", slug="not-project-parties")
    return out


RECORD_RELEASE_RETRY_SECONDS = 30
"""Retry-After of a record still under review: a reviewer decides in minutes, not milliseconds."""
NOT_ARRIVED_RETRY_SECONDS = 2
"""Retry-After of something notices has not heard of yet (an event on its way: ~0.1..1 s)."""


def not_arrived(what: str, field: str) -> NotYetAvailable:
    """HN-07: the retryable answer for a project, record or person notices has not received
    yet (its event is on its way): 409 ``not-yet-available`` + Retry-After, naming ``field``.
    An id that never arrives keeps this answer: notices cannot tell "not yet" from "never"."""
    return NotYetAvailable(f"{field}: {what} has not reached the notices service yet; retry in a moment "
                           "(if it was created just now it will be known shortly)", field=field,
                           retry_after=NOT_ARRIVED_RETRY_SECONDS)


def check_record(record: Mapping[str, Any] | None, *, project_id: str, principal: Principal) -> None:
    """HN-04/HN-07 问题详情: the document rests on exactly one supervision record that the
    caller may read, of the SAME project, that the station has RELEASED ("no record, no
    document"; a document may rest only on a released record):

    - not (yet) in notices' read model — or only its review arrived — 409 ``not-yet-available``
      + Retry-After (``record_id``): the record's event is on its way;
    - a record the caller may not read (``anjian_shared.record_access``, the rule of
      ``GET /records/{id}``) — 404, as that GET answers;
    - of another project — 422 ``record-not-of-project``;
    - rejected in review (审核未通过) — 422 ``record-rejected`` (it never becomes citable);
    - still pending review — 409 ``record-not-released`` + Retry-After: it may be released
      later; submit the document once the reviewers approved the record.
    """
    if record is None or not (record.get("submitted_by") or {}).get("user_id"):
        raise not_arrived("the supervision record", "record_id")
    if not may_read_record(RecordAudience.from_doc(record), principal):
        raise NotFound("record not found", field="record_id")
    if record.get("project_id") != project_id:
        raise Unprocessable("record_id: not a supervision record of this project", field="record_id",
                            slug="record-not-of-project")
    if record.get("status") == "rejected":
        raise Unprocessable("record_id: the supervision record was rejected in review", field="record_id",
                            slug="record-rejected")
    if not is_released(record.get("status", "")):
        raise NotYetAvailable("record_id: the supervision record is still pending review; a document may rest "
                              "only on a record the station has released", field="record_id",
                              slug="record-not-released", retry_after=RECORD_RELEASE_RETRY_SECONDS)


# --- views (HN-08 / HN-09) ----------------------------------------------------------------------

def common_filter(*, project_id: str | None, document_type: str | None, status: str | None,
                  date_from: date | None, date_to: date | None) -> dict[str, Any]:
    """HN-08: the filters every document view shares: project, type, status, submission days."""
    return _view_filter(project_id=project_id, document_type=document_type,
                        status=DocumentStatus(status).value if status else None, date_from=date_from, date_to=date_to)


def _view_filter(*, project_id: str | None, document_type: str | None, status: str | None,
                 date_from: date | None, date_to: date | None, when: str = "submitted_at",
                 state: str = "status") -> dict[str, Any]:
    flt = {k: v for k, v in (("project_id", project_id), ("document_type", document_type), (state, status)) if v}
    rng = day_range(date_from, date_to)
    if rng:
        flt[when] = rng
    return flt


def escalation_filter(*, project_id: str | None, document_type: str | None, kind: str | None,
                      date_from: date | None, date_to: date | None) -> dict[str, Any]:
    """HN-07: the filters of the escalation list: project, document type, kind, days of
    ``escalated_at`` (Asia/Shanghai)."""
    return _view_filter(project_id=project_id, document_type=document_type, status=kind, state="kind",
                        date_from=date_from, date_to=date_to, when="escalated_at")


def reported_filter(user_id: str) -> dict[str, Any]:
    """我上报的 (HN-08): documents I submitted."""
    return {"submitted_by.user_id": user_id}


def to_review_filter(user_id: str, box: ReviewBox | str | None) -> dict[str, Any]:
    """上报给我的 (HN-08): ``to_review`` pending and not yet decided by me; ``reviewed``
    decided by me; none: either."""
    return DOCUMENT_BOXES.box(user_id, box)


RELEASED = [DocumentStatus.ISSUED.value, DocumentStatus.CLOSED.value]


def issued_to_me_filter(user_id: str) -> dict[str, Any]:
    """下达给我的 (HN-08): issued (or since closed) documents naming me as issue recipient or
    replier."""
    return {"status": {"$in": RELEASED}, "$or": [{"issue_recipient_ids": user_id}, {"replier_user_ids": user_id}]}


def to_reply_filter(user_id: str) -> dict[str, Any]:
    """需我回复的 (HN-08): issued documents where I am a replier without an accepted reply
    and without one awaiting review."""
    return {"status": DocumentStatus.ISSUED.value, "replier_user_ids": user_id,
            "accepted_replier_ids": {"$ne": user_id}, "pending_replier_ids": {"$ne": user_id}}


def reply_common_filter(*, project_id: str | None, document_type: str | None, status: str | None,
                        date_from: date | None, date_to: date | None) -> dict[str, Any]:
    """HN-09: the filters of both reply views: project, document type, reply status, days."""
    return _view_filter(project_id=project_id, document_type=document_type,
                        status=ReplyStatus(status).value if status else None, date_from=date_from, date_to=date_to)


def my_replies_filter(user_id: str) -> dict[str, Any]:
    """我回复的 (HN-09): replies I gave."""
    return {"replied_by.user_id": user_id}


def replies_reviewed_filter(user_id: str, box: ReviewBox | str | None) -> dict[str, Any]:
    """我审核的 (HN-09): replies to documents I issued; ``to_review`` awaiting my decision,
    ``reviewed`` decided by me; none: either."""
    if box is None:
        return {"reviewer_user_id": user_id}
    return REPLY_BOXES.box(user_id, box)

