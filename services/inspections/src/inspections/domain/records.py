"""Supervision records (监督检查记录 / 监督上报) and their review routing, HN-04..HN-06. No I/O.

A station's supervisor (or leader) submits a record about one project of the station.
It is **immutable from submission on**: no field of it ever changes; reviews are appended
and only the routing ``status`` moves:

=====================================  ==================  ===============================
submitted with                         status              who receives it
=====================================  ==================  ===============================
report recipients (上报接收人)          ``pending_review``  the report recipients review
no report, but issue recipients        ``issued``          the issue recipients (下达接收人)
neither                                ``internal``        nobody: 监督内档 (internal file)
=====================================  ==================  ===============================

Review rule with several report recipients (``anjian_shared.review``, ``Rule.ALL``): **all
must approve** to release the record; **the first rejection returns it to the sender**
(``rejected``, 审核未通过) and ends the review (the others can no longer decide: 409). On
the last approval the record goes to
its issue recipients (``issued``) or, without any, stays ``internal``. Why ALL: the
manual has the supervisor choose report recipients "who must review" (需要审核的接收人,
the 分管领导 or 站长); naming two leaders means both are to vouch for what goes out in the
station's name to the contractor, and with ANY the second name would have no effect.

Who sees a record: its sender; its report recipients (at any state); its issue
recipients once it is ``issued``; the leaders (站长) of its station. Anybody else — also
another station's supervisor or another tenant — gets 404, so ids don't leak.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from anjian_shared.china_time import day_range
from anjian_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from anjian_shared.jsontext import loads_limited
from anjian_shared.principal import Principal, Role
from anjian_shared.record_access import RecordAudience, may_read_record
from anjian_shared.review import (
    Box,
    Boxes,
    Decision,
    Outcome,
    ReviewState,
    Step,
    Verdict,
    decide,
)
from anjian_shared.review import and_filters as and_filters  # re-exported for the views

from .libraries import CheckType

REPORTER_ROLES: tuple[str, ...] = (Role.SUPERVISOR.value, Role.STATION_LEADER.value)
"""Who submits records: a station's supervisors (监督员) and leaders."""

REVIEWER_ROLES: tuple[str, ...] = (Role.STATION_LEADER.value, Role.SUPERVISOR.value)
"""Who can be a report recipient: the station's leaders (站长/分管领导) and supervisors."""


"""Date filters (``date_from``/``date_to``) are calendar days in China Standard Time."""

CHECK_TYPE_LABELS = {"quality": "质量", "safety": "安全", "combined": "综合"}


class RecordStatus(StrEnum):
    PENDING_REVIEW = "pending_review"   # 待审核
    ISSUED = "issued"                   # 已下达
    INTERNAL = "internal"               # 监督内档
    REJECTED = "rejected"               # 审核未通过


STATUS_LABELS = {"pending_review": "待审核", "issued": "已下达", "internal": "监督内档", "rejected": "审核未通过"}


class SentStatus(StrEnum):
    """我发送的 (HN-05) tabs: approved includes records that needed no review."""

    PENDING_REVIEW = "pending_review"   # 待审核
    APPROVED = "approved"               # 审核通过 (issued or internal)
    REJECTED = "rejected"               # 审核未通过


SENT_STATUS_LABELS = {"pending_review": "待审核", "approved": "审核通过", "rejected": "审核未通过"}
"""The Chinese label of each 我发送的 tab (``sent_status_label``)."""


SENT_STATUSES: dict[SentStatus, tuple[str, ...]] = {
    SentStatus.PENDING_REVIEW: (RecordStatus.PENDING_REVIEW.value,),
    SentStatus.APPROVED: (RecordStatus.ISSUED.value, RecordStatus.INTERNAL.value),
    SentStatus.REJECTED: (RecordStatus.REJECTED.value,),
}


class ReceivedBox(StrEnum):
    """我接收的 (HN-06) boxes: the two review boxes (``anjian_shared.review.Box``) and issued."""

    TO_REVIEW = Box.TO_REVIEW.value   # 待审核: waiting for my review
    REVIEWED = Box.REVIEWED.value     # 已审核: I decided (approved or rejected)
    ISSUED = "issued"                 # 下达接收: issued to me


REVIEW_BOXES = Boxes(pending="pending_review")
"""Where a record's review routing is stored: ``report_recipient_ids``, ``reviews``, ``reviewed_by``."""


@dataclass(frozen=True)
class RecordFacts:
    """What the rules need to know about a stored record."""

    record_id: str
    status: RecordStatus
    station_org_id: str
    submitted_by: str
    report_recipient_ids: tuple[str, ...]
    issue_recipient_ids: tuple[str, ...]
    review: ReviewState

    @property
    def reviewed_by(self) -> tuple[str, ...]:
        return self.review.decided_by

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> RecordFacts:
        """HN-04..06: The facts of a stored record document."""
        return cls(record_id=doc["_id"], status=RecordStatus(doc["status"]), station_org_id=doc["station_org_id"],
                   submitted_by=doc["submitted_by"]["user_id"],
                   report_recipient_ids=tuple(doc.get("report_recipient_ids", ())),
                   issue_recipient_ids=tuple(doc.get("issue_recipient_ids", ())),
                   review=ReviewState.from_doc(doc))


# --- who ------------------------------------------------------------------------------------

def ensure_reporter(principal: Principal) -> None:
    """HN-04: records are submitted by a supervision station's supervisors or leaders; 403
    for everybody else (contractors, companies, the authority)."""
    if not principal.has(*REPORTER_ROLES):
        raise Forbidden("requires the role supervisor or station_leader", slug="role-required")
    if principal.org_kind and principal.org_kind != "station":
        raise Forbidden("only the staff of a supervision station (监督站) submit supervision records",
                        slug="not-station-staff")


def can_see(record: RecordFacts, principal: Principal) -> bool:
    """HN-04..06: sender; report recipients; issue recipients once issued; station leaders —
    the platform's one rule (``anjian_shared.record_access``, also applied by notices before
    a document cites a record)."""
    return may_read_record(RecordAudience.of(
        submitted_by=record.submitted_by, station_org_id=record.station_org_id, status=record.status.value,
        report_recipient_ids=record.report_recipient_ids, issue_recipient_ids=record.issue_recipient_ids),
        principal)


# --- routing --------------------------------------------------------------------------------

def initial_status(report_recipient_ids: Sequence[str], issue_recipient_ids: Sequence[str]) -> RecordStatus:
    """HN-04: report recipients → review first; else issue recipients → issued at once; else 监督内档."""
    if report_recipient_ids:
        return RecordStatus.PENDING_REVIEW
    return released_status(issue_recipient_ids)


def released_status(issue_recipient_ids: Sequence[str]) -> RecordStatus:
    """HN-05/06: Where a record goes once no review holds it: its issue recipients, or the internal file."""
    return RecordStatus.ISSUED if issue_recipient_ids else RecordStatus.INTERNAL


def review(record: RecordFacts, reviewer_id: str, decision: Decision | str, comment: str | None,
           now: datetime, *, reviewer_name: str = "") -> tuple[Step, RecordStatus]:
    """HN-05/06 审核 with the ALL rule (``anjian_shared.review.decide``): the decision of
    ``reviewer_id`` and the record's status after it.

    403 ``not-a-reviewer`` (not a report recipient); 409 ``record-already-reviewed`` (decided
    before) or ``record-not-pending-review`` (released, or returned by another's rejection);
    422 ``comment`` (a rejection needs one). A rejection returns the record to the sender at
    once; the last approval releases it to its issue recipients (or the internal file); it
    stays ``pending_review`` otherwise.
    """
    step = decide(record.review, reviewer_id, decision, comment, now, reviewer_name=reviewer_name,
                  subject="record")
    if record.status is not RecordStatus.PENDING_REVIEW:  # stored status and reviews disagree
        raise Conflict(f"the record is not waiting for review (status {record.status.value})",
                       slug="record-not-pending-review")
    return step, status_after(step.outcome, record.issue_recipient_ids)


def judge(doc: Mapping[str, Any] | None, principal: Principal, decision: Decision | str, comment: str | None,
          now: datetime) -> Verdict:
    """HN-05/06: the verdict on ``principal``'s decision about the stored record ``doc`` (for
    ``anjian_shared.review.decide_stored``): 404 missing or not visible, then ``review``'s
    refusals; the last approval to issue recipients marks ``released_at``."""
    facts = visible_facts(doc, principal)
    step, status = review(facts, principal.user_id, decision, comment, now,
                          reviewer_name=principal.name or doc.get("people", {}).get(principal.user_id, ""))
    return Verdict(step, status.value, {"released_at": now} if status is RecordStatus.ISSUED else {})


def visible_facts(doc: Mapping[str, Any] | None, principal: Principal) -> RecordFacts:
    """HN-04..06: the facts of ``doc`` if ``principal`` may see it; 404 otherwise (ids don't leak)."""
    facts = RecordFacts.from_doc(doc) if doc else None
    if facts is None or not can_see(facts, principal):
        raise NotFound("record not found")
    return facts


def status_after(outcome: Outcome, issue_recipient_ids: Sequence[str]) -> RecordStatus:
    """HN-05/06: the record's status for a review outcome: rejected → back to the sender;
    approved → released (issued / internal); pending → still waiting."""
    if outcome is Outcome.REJECTED:
        return RecordStatus.REJECTED
    if outcome is Outcome.APPROVED:
        return released_status(issue_recipient_ids)
    return RecordStatus.PENDING_REVIEW


def sent_status(status: RecordStatus | str) -> SentStatus:
    """The 我发送的 tab of a record status (HN-05)."""
    s = RecordStatus(status)
    if s is RecordStatus.PENDING_REVIEW:
        return SentStatus.PENDING_REVIEW
    if s is RecordStatus.REJECTED:
        return SentStatus.REJECTED
    return SentStatus.APPROVED


# --- recipients -----------------------------------------------------------------------------

def validate_report_recipients(ids: Sequence[str], users: Mapping[str, Mapping[str, Any]], *,
                               station_org_id: str, sender_id: str) -> list[str]:
    """HN-04: 上报接收人: enabled users of the record's station with the role station_leader or
    supervisor, not the sender. Returns the ids without duplicates; 422
    ``report_recipient_ids`` naming the others."""
    out = _dedupe(ids)
    if sender_id in out:
        raise Unprocessable("you cannot review your own record", field="report_recipient_ids", slug="self-review")
    bad = [u for u in out if u not in users or users[u].get("org_id") != station_org_id
           or not set(users[u].get("roles", [])) & set(REVIEWER_ROLES) or users[u].get("enabled") is False]
    if bad:
        raise Unprocessable(f"not leaders or supervisors of your station: {', '.join(bad)}",
                            field="report_recipient_ids", slug="not-station-reviewers")
    return out


def project_party_orgs(project: Mapping[str, Any]) -> set[str]:
    """HN-04: The organisations whose people may receive a record of ``project``: its station and
    its owner, contractor and supervision companies."""
    return {o for o in (project.get("station_org_id"), project.get("owner_org_id"),
                        project.get("contractor_org_id"), project.get("supervision_org_id")) if o}


def validate_issue_recipients(ids: Sequence[str], users: Mapping[str, Mapping[str, Any]],
                              project: Mapping[str, Any], *, sender_id: str) -> list[str]:
    """HN-04: 下达接收人: people of the project's parties (owner, contractor, supervision company;
    its participants) or of the station, not the sender. 422 ``issue_recipient_ids``."""
    out = _dedupe(ids)
    if sender_id in out:
        raise Unprocessable("you cannot issue a record to yourself", field="issue_recipient_ids", slug="self-recipient")
    orgs = project_party_orgs(project)
    participants = {p["user_id"] for p in project.get("participants", [])}
    bad = [u for u in out if u not in participants
           and (u not in users or users[u].get("org_id") not in orgs or users[u].get("enabled") is False)]
    if bad:
        raise Unprocessable(f"not people of the project's parties or station: {', '.join(bad)}",
                            field="issue_recipient_ids", slug="not-project-parties")
    return out


def _dedupe(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i.strip() for i in ids if i and i.strip()))


# --- photo annotations (照片标注) ------------------------------------------------------------

SHAPE_COORDS = {"rect": 4, "arrow": 4, "circle": 3, "text": 2}
MAX_SHAPES_PER_PHOTO = 50


def parse_annotations(raw: str | None, photo_count: int) -> list[list[dict[str, Any]]]:
    """HN-04: The ``annotations`` form field: a JSON array with one entry per photo (same order),
    each a list of shapes ``{type: rect|arrow|circle|text, coords: [numbers], text?}`` (or
    null / [] for none). Absent: no shapes on any photo. 422 ``annotations``."""
    if raw is None or not raw.strip():
        return [[] for _ in range(photo_count)]
    try:
        data = loads_limited(raw)
    except ValueError as exc:
        raise Unprocessable("annotations is not JSON", field="annotations", slug="annotations-invalid") from exc
    if not isinstance(data, list):
        raise Unprocessable("annotations must be an array with one entry per photo", field="annotations",
                            slug="annotations-invalid")
    if len(data) != photo_count:
        raise Unprocessable(f"annotations has {len(data)} entries for {photo_count} photos", field="annotations",
                            slug="annotations-invalid")
    return [_shapes(entry, i) for i, entry in enumerate(data)]


def _shapes(entry: Any, index: int) -> list[dict[str, Any]]:
    where = f"annotations[{index}]"
    if entry is None:
        return []
    if not isinstance(entry, list):
        raise Unprocessable(f"{where} must be a list of shapes", field="annotations", slug="annotations-invalid")
    if len(entry) > MAX_SHAPES_PER_PHOTO:
        raise Unprocessable(f"{where}: at most {MAX_SHAPES_PER_PHOTO} shapes", field="annotations",
                            slug="annotations-invalid")
    shapes = []
    for j, shape in enumerate(entry):
        at = f"{where}[{j}]"
        if not isinstance(shape, dict) or shape.get("type") not in SHAPE_COORDS:
            raise Unprocessable(f"{at}.type must be one of rect, arrow, circle, text", field="annotations",
                                slug="annotations-invalid")
        extra = set(shape) - {"type", "coords", "text"}
        if extra:
            raise Unprocessable(f"{at}: unknown keys {sorted(extra)}", field="annotations", slug="annotations-invalid")
        coords = shape.get("coords")
        n = SHAPE_COORDS[shape["type"]]
        if (not isinstance(coords, list) or len(coords) != n
                or not all(isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c)
                           and c >= 0 for c in coords)):
            raise Unprocessable(f"{at}.coords: {n} non-negative numbers (pixels) for {shape['type']}",
                                field="annotations", slug="annotations-invalid")
        text = shape.get("text")
        if shape["type"] == "text":
            if not isinstance(text, str) or not text.strip() or len(text) > 200:
                raise Unprocessable(f"{at}.text: 1..200 characters", field="annotations", slug="annotations-invalid")
            text = text.strip()
        elif text is not None and (not isinstance(text, str) or len(text) > 200):
            raise Unprocessable(f"{at}.text: at most 200 characters", field="annotations", slug="annotations-invalid")
        shape_out: dict[str, Any] = {"type": shape["type"], "coords": [float(c) for c in coords]}
        if text:
            shape_out["text"] = text
        shapes.append(shape_out)
    return shapes


def check_annotation_bounds(shapes: Sequence[Mapping[str, Any]], width: int, height: int, index: int) -> None:
    """HN-04: Every point of the shapes lies on the photo (``width`` × ``height`` pixels); a circle's
    radius is positive. 422 ``annotations``."""
    for j, s in enumerate(shapes):
        c = s["coords"]
        points = [(c[0], c[1])] if s["type"] in ("circle", "text") else [(c[0], c[1]), (c[2], c[3])]
        if any(x > width or y > height for x, y in points):
            raise Unprocessable(f"annotations[{index}][{j}] lies outside the {width}×{height} photo",
                                field="annotations", slug="annotation-outside-photo")
        if s["type"] == "circle" and c[2] <= 0:
            raise Unprocessable(f"annotations[{index}][{j}]: a circle needs a positive radius", field="annotations",
                                slug="annotations-invalid")


# --- views (HN-05/06) ------------------------------------------------------------------------

def common_filter(*, project_id: str | None, check_type: CheckType | None, date_from: date | None,
                  date_to: date | None) -> dict[str, Any]:
    """HN-05/06: The filters every view shares: project, check type, submission days."""
    flt: dict[str, Any] = {}
    if project_id:
        flt["project_id"] = project_id
    if check_type is not None:
        flt["check_type"] = CheckType(check_type).value
    rng = day_range(date_from, date_to)
    if rng:
        flt["submitted_at"] = rng
    return flt


def sent_filter(user_id: str, status: SentStatus | None) -> dict[str, Any]:
    """我发送的 (HN-05): records I submitted, optionally of one tab."""
    flt: dict[str, Any] = {"submitted_by.user_id": user_id}
    if status is not None:
        flt["status"] = {"$in": list(SENT_STATUSES[SentStatus(status)])}
    return flt


def received_filter(user_id: str, box: ReceivedBox | None) -> dict[str, Any]:
    """我接收的 (HN-06): ``to_review`` pending and not yet decided by me; ``reviewed`` decided
    by me (approved or rejected); ``issued`` released to me; none: any of the three."""
    boxes = {
        ReceivedBox.TO_REVIEW: REVIEW_BOXES.to_review(user_id),
        ReceivedBox.REVIEWED: REVIEW_BOXES.reviewed(user_id),
        ReceivedBox.ISSUED: {"issue_recipient_ids": user_id, "status": RecordStatus.ISSUED.value},
    }
    if box is not None:
        return boxes[ReceivedBox(box)]
    return {"$or": list(boxes.values())}



# --- the notice draft (同时下发整改通知) --------------------------------------------------------

def notice_details(record: Mapping[str, Any]) -> str:
    """HN-04: The problem details of a 整改通知 built from the record: part checked, the cited terms
    and violations (numbered), the supplement."""
    lines = [f"抽查类型：{CHECK_TYPE_LABELS.get(record['check_type'], record['check_type'])}",
             f"抽查部位：{record['part_checked']}"]
    if record.get("terms"):
        lines.append("存在问题（标准规范）：")
        lines += [f"{i}. {t['text']}" for i, t in enumerate(record["terms"], start=1)]
    if record.get("violations"):
        lines.append("违法违规行为：")
        lines += [f"{i}. {v['text']}" for i, v in enumerate(record["violations"], start=1)]
    if record.get("supplement"):
        lines.append(f"补充说明：{record['supplement']}")
    return "\n".join(lines)


def notice_draft(record: Mapping[str, Any], project: Mapping[str, Any]) -> dict[str, Any]:
    """HN-04 同时下发整改通知: a pre-filled 整改通知 for the notices service's document form:
    document type, project, the record as its single problem record, the contractor as the
    addressed unit, details from the record, and the project managers (项目经理 participants)
    suggested as repliers. A record citing a 重大事故隐患 (``major_hazard``) drafts a 停工通知
    (``stop_work``) instead: notices accepts nothing weaker on it (HN-07)."""
    managers = [p for p in project.get("participants", []) if p.get("project_role") == "project_manager"]
    seen: dict[str, dict[str, str]] = {}
    for p in managers:
        seen.setdefault(p["user_id"], {"user_id": p["user_id"], "name": p.get("name") or p["user_id"]})
    return {
        # 整改通知 / 停工通知, the codes notices' POST /documents takes
        "document_type": "stop_work" if record.get("major_hazard") else "rectification",
        "project_id": record["project_id"],
        "project_name": record.get("project_name") or project.get("name", ""),
        "record_id": record["_id"],
        "addressed_org_ids": [project["contractor_org_id"]] if project.get("contractor_org_id") else [],
        "details": notice_details(record),
        "replier_user_ids": list(seen),
        "repliers": list(seen.values()),
    }
