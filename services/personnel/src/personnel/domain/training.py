"""Hunan training registrations and quotas (HUN-13..HUN-15): rules only, no I/O.

Vocabulary (API codes with the Hunan manual's terms):

- training ``kind``: ``new_staff`` 新进人员培训 (HUN-13: staff without a supervision
  certificate or with one of the two), ``continuing`` 继续教育 (HUN-14: certified staff).
- a session (档期): ``kind``, ``title``, ``starts_on``/``ends_on`` (China dates), ``capacity``
  (seats in the room), ``taken`` (seats held by registrations; never above ``capacity``).
- a quota (额度, HUN-15): continuing-education seats of one agency in one session.
- registration ``status``: ``submitted`` 未审核 → ``approved`` 审核通过 | ``rejected`` 审核不通过;
  an approved registration gets its assessment ``result`` (``score`` 0..100, ``passed``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from anjian_shared.errors import Conflict, Forbidden, Unprocessable

from . import agencies as agency_rules

KINDS = ("new_staff", "continuing")
STATUSES = ("submitted", "approved", "rejected")
PERSONAL_REQUIRED = ("id_number", "mobile")
"""Personal data a registration form marks * beyond the staff record (证件号码, 手机号码)."""


def check_eligible(kind: str, certificates: list[Any] | None, *, field: str = "staff_id") -> None:
    """HUN-13 new-staff training is for staff holding no or one supervision certificate;
    HUN-14 continuing education for certified staff (one or two). 422
    ``training-not-eligible`` naming ``field`` otherwise."""
    held = agency_rules.holding(certificates or [])
    if kind == "new_staff" and held == "two":
        raise Unprocessable("new-staff training (新进人员培训) is for staff without both certificates",
                            field=field, slug="training-not-eligible")
    if kind == "continuing" and held == "none":
        raise Unprocessable("continuing education (继续教育) is for certified supervisors", field=field,
                            slug="training-not-eligible")


def check_session_dates(starts_on: date, ends_on: date, today: date) -> None:
    """A session starts today or later and ends on or after its start (422 naming the date)."""
    if starts_on < today:
        raise Unprocessable("the session cannot start in the past", field="starts_on", slug="session-starts-in-past")
    if ends_on < starts_on:
        raise Unprocessable("the session ends before it starts", field="ends_on", slug="session-ends-before-start")


def check_session_open(session: Mapping[str, Any], kind: str, today: date, *, field: str = "session_id") -> None:
    """A registration or assignment names a session of its kind that has not started yet
    (422 ``session-kind-mismatch``; 409 ``session-started``)."""
    if session["kind"] != kind:
        raise Unprocessable(f"the session is for {session['kind']} training", field=field,
                            slug="session-kind-mismatch")
    if date.fromisoformat(session["starts_on"]) <= today:
        raise Conflict("the session has started; registrations are closed", field=field, slug="session-started")


def check_capacity_change(capacity: int, taken: int) -> None:
    """A session's capacity may shrink only down to the seats already taken (409)."""
    if capacity < taken:
        raise Conflict(f"{taken} seats are already taken", field="capacity", slug="capacity-below-taken")


def check_quota_change(seats: int, used: int) -> None:
    """An agency's seats may shrink only down to those its registrations hold (409)."""
    if seats < used:
        raise Conflict(f"the agency's registrations hold {used} seats", field="seats", slug="quota-below-used")


def may_delete(registration: Mapping[str, Any], agency_org_id: str) -> None:
    """Delete only own and unreviewed (HUN-13/14): another agency's registration is 403
    ``not-own-registration``; a reviewed one 409 ``registration-reviewed``."""
    if registration["agency_org_id"] != agency_org_id:
        raise Forbidden("only the registering agency deletes its registration", slug="not-own-registration")
    if registration["status"] != "submitted":
        raise Conflict("a reviewed registration is kept", field="status", slug="registration-reviewed")


def check_review(registration: Mapping[str, Any], decision: str, reason: str | None) -> str:
    """The training office's decision on a submitted registration: the new status. 409
    ``registration-reviewed`` when decided already; 422 naming ``reason`` for a rejection
    without one; 409 ``session-not-assigned`` approving a new-staff registration before the
    province assigned it a session (HUN-15)."""
    if registration["status"] != "submitted":
        raise Conflict("the registration is decided already", field="decision", slug="registration-reviewed")
    if decision == "reject":
        if not (reason or "").strip():
            raise Unprocessable("a rejection needs its reason", field="reason")
        return "rejected"
    if registration.get("session_id") is None:
        raise Conflict("assign the registrant to a session first", field="session_id", slug="session-not-assigned")
    return "approved"


def check_result(registration: Mapping[str, Any], score: int, pass_mark: int) -> bool:
    """An assessment result (考核结果) is recorded once, on an approved registration: returns
    passed (``score >= pass_mark``). 409 ``registration-not-approved`` / ``result-recorded``;
    422 naming ``score`` outside 0..100."""
    if registration["status"] != "approved":
        raise Conflict("only an approved registration is assessed", field="status",
                       slug="training-registration-not-approved")
    if registration.get("result") is not None:
        raise Conflict("the result is recorded already", field="score", slug="result-recorded")
    if not 0 <= score <= 100:
        raise Unprocessable("the score is 0..100", field="score")
    return score >= pass_mark


SUMMARY_COUNTS = ("registered", "submitted", "approved", "rejected", "passed", "failed")


def summary(registrations: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The registration and assessment summary (培训报名汇总 / 考核结果汇总, HUN-13/14): per
    agency (by id) the registrations and how many are submitted, approved, rejected, passed,
    failed; ``total`` the same summed over the rows (the rows add up to it)."""
    rows: dict[str, dict[str, Any]] = {}
    for reg in registrations:
        row = rows.setdefault(reg["agency_org_id"], {"agency_org_id": reg["agency_org_id"],
                                                      **dict.fromkeys(SUMMARY_COUNTS, 0)})
        row["registered"] += 1
        row[reg["status"]] += 1
        result = reg.get("result")
        if result is not None:
            row["passed" if result["passed"] else "failed"] += 1
    ordered = [rows[k] for k in sorted(rows)]
    total = {k: sum(r[k] for r in ordered) for k in SUMMARY_COUNTS}
    return {"rows": ordered, "total": total}
