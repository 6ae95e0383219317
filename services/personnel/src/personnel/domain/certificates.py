"""Hunan supervisors' certificates (HUN-09..HUN-12): rules only.

A staff member of an agency holds at most one valid supervision certificate (监督人员资格证书)
per ``kind`` (``quality`` 质量监督, ``safety`` 安全监督). Each certificate is a dict on the
staff record (``certificates``)::

    {"id", "kind", "number", "issued_on", "valid_until", "photo" (MediaRef dict or None),
     "status": "valid" | "cancelled", "cancellation": {"category", "reason"} | None,
     "reissued": int (how many times reissued), "updated_at"}

Changes of a certificate after it is entered are applications (事项, ``anjian_shared.applications``)
of the agency to the province office — ``cert_change`` 证书变更 (HUN-10: new number and/or
validity, new photo), ``cert_cancellation`` 证书注销 (HUN-11: category and reason),
``cert_reissue`` 证书补办 (HUN-12: a new photo of the replacement, same number). On approval
:func:`apply_approved` gives the certificate's new state. No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from anjian_shared.errors import Conflict, NotFound, Unprocessable

from .agencies import CERTIFICATE_KINDS

APPLICATION_KINDS = ("cert_change", "cert_cancellation", "cert_reissue")
"""HUN-10 证书变更, HUN-11 证书注销, HUN-12 证书补办."""
KIND_LABELS = {"cert_change": "证书变更", "cert_cancellation": "证书注销", "cert_reissue": "证书补办"}
CHANGE_TYPES = ("number", "validity", "photo")
"""What a change application changes (变更类型): the number, the validity dates, the photo."""
CANCEL_CATEGORIES = ("retired", "transferred", "deceased", "violation", "voluntary", "other")
"""注销类别: 退休, 调离, 死亡, 违规吊销, 本人申请, 其他."""
REISSUE_REASONS = ("lost", "damaged")
"""补办原因: 遗失, 损毁."""

PERSONAL_REQUIRED = ("name", "gender", "birth_date", "post", "education", "title", "mobile")
"""The personal-record fields marked * in 人员基本信息填报 (HUN-09)."""


def missing_personal(staff: Mapping[str, Any]) -> list[str]:
    """HUN-09: the required personal-record fields still empty, in form order."""
    return [f for f in PERSONAL_REQUIRED if staff.get(f) in (None, "")]


def check_dates(issued_on: date, valid_until: date, today: date, *, field: str = "valid_until") -> None:
    """A certificate's dates: issued not in the future (422 ``date-in-future`` naming
    ``issued_on``), validity ending after issue (422 ``valid-until-before-issue``)."""
    if issued_on > today:
        raise Unprocessable("the certificate cannot be issued in the future", field="issued_on",
                            slug="date-in-future")
    if valid_until <= issued_on:
        raise Unprocessable("the validity ends before it starts", field=field, slug="valid-until-before-issue")


def new_certificate(*, id: str, kind: str, number: str, issued_on: date, valid_until: date,
                    photo: dict[str, Any] | None, held: list[Mapping[str, Any]], today: date) -> dict[str, Any]:
    """HUN-09: a certificate entered on a personal record. 422 naming ``kind`` for an unknown
    kind; 409 ``certificate-kind-held`` when a valid one of the kind is already held (change it
    by an application instead); 409 ``certificate-number-taken`` for the number of another."""
    if kind not in CERTIFICATE_KINDS:
        raise Unprocessable(f"kind must be one of {', '.join(CERTIFICATE_KINDS)}", field="kind")
    number = number.strip()
    if not number:
        raise Unprocessable("the certificate number is required", field="number")
    check_dates(issued_on, valid_until, today)
    for cert in held:
        if cert.get("status") == "valid" and cert.get("kind") == kind:
            raise Conflict(f"a valid {kind} certificate is already held: apply for a change (证书变更)",
                           field="kind", slug="certificate-kind-held")
    return {"id": id, "kind": kind, "number": number, "issued_on": issued_on.isoformat(),
            "valid_until": valid_until.isoformat(), "photo": photo, "status": "valid", "cancellation": None,
            "reissued": 0}


def find_certificate(staff: Mapping[str, Any], certificate_id: str) -> dict[str, Any]:
    """The certificate of the staff record, else 404 ``certificate-not-found``."""
    for cert in staff.get("certificates") or []:
        if isinstance(cert, Mapping) and cert.get("id") == certificate_id:
            return dict(cert)
    raise NotFound("no such certificate on this staff record", slug="certificate-not-found")


def require_valid(cert: Mapping[str, Any]) -> None:
    """Only a valid (not cancelled) certificate is changed, cancelled or reissued: 409
    ``certificate-cancelled`` otherwise."""
    if cert.get("status") != "valid":
        raise Conflict("the certificate is cancelled (已注销); nothing more can be applied for",
                       field="certificate_id", slug="certificate-cancelled")


def check_form(kind: str, form: Mapping[str, Any], cert: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The content of an application of ``kind`` for ``cert`` (HUN-10..12), normalised (dates
    as ISO text). 422 naming the field:

    - ``cert_change``: ``change_types`` ⊆ number|validity|photo, not empty; ``new_number``
      when ``number`` (and different from the current one, ``number-unchanged``);
      ``new_issued_on``/``new_valid_until`` when ``validity``; the photo (``photo``) when
      ``photo`` (given by the caller as ``form["photo"]``); a change of number needs a photo
      of the new certificate too;
    - ``cert_cancellation``: ``category`` of :data:`CANCEL_CATEGORIES`, ``reason`` text;
    - ``cert_reissue``: ``reason`` of :data:`REISSUE_REASONS`, the photo of the replacement.
    """
    if kind not in APPLICATION_KINDS:
        raise Unprocessable(f"kind must be one of {', '.join(APPLICATION_KINDS)}", field="kind")
    out: dict[str, Any] = {"staff_id": form["staff_id"], "certificate_id": form["certificate_id"],
                           "certificate_kind": cert.get("kind"), "current_number": cert.get("number"),
                           "photo": form.get("photo")}
    if kind == "cert_change":
        types = list(dict.fromkeys(form.get("change_types") or []))
        if not types or any(t not in CHANGE_TYPES for t in types):
            raise Unprocessable(f"change_types: one or more of {', '.join(CHANGE_TYPES)}", field="change_types")
        if "number" in types:
            number = (form.get("new_number") or "").strip()
            if not number:
                raise Unprocessable("a change of number needs the new number", field="new_number")
            if number == cert.get("number"):
                raise Unprocessable("the new number is the current one", field="new_number", slug="number-unchanged")
            out["new_number"] = number
            if "photo" not in types:
                types.append("photo")  # a new number means a new document: its photo comes with it
        if "validity" in types:
            issued, until = form.get("new_issued_on"), form.get("new_valid_until")
            if issued is None:
                raise Unprocessable("a change of validity needs the issue date", field="new_issued_on")
            if until is None:
                raise Unprocessable("a change of validity needs the end of validity", field="new_valid_until")
            check_dates(issued, until, today, field="new_valid_until")
            out["new_issued_on"], out["new_valid_until"] = issued.isoformat(), until.isoformat()
        if "photo" in types and not form.get("photo"):
            raise Unprocessable("the photo of the new certificate is required", field="photo")
        out["change_types"] = types
    elif kind == "cert_cancellation":
        if form.get("category") not in CANCEL_CATEGORIES:
            raise Unprocessable(f"category must be one of {', '.join(CANCEL_CATEGORIES)}", field="category")
        reason = (form.get("reason") or "").strip()
        if not reason:
            raise Unprocessable("a cancellation needs its reason", field="reason")
        out["category"], out["reason"] = form["category"], reason
    else:
        if form.get("reason") not in REISSUE_REASONS:
            raise Unprocessable(f"reason must be one of {', '.join(REISSUE_REASONS)}", field="reason")
        if not form.get("photo"):
            raise Unprocessable("the photo of the replacement certificate is required", field="photo")
        out["reason"] = form["reason"]
    return out


def apply_approved(kind: str, form: Mapping[str, Any], cert: Mapping[str, Any]) -> dict[str, Any]:
    """The certificate after an approved application (HUN-10..12): a change takes the new
    number/validity/photo; a cancellation marks it ``cancelled`` with category and reason; a
    reissue takes the replacement's photo and counts ``reissued``. 409
    ``certificate-cancelled`` when it was cancelled meanwhile."""
    require_valid(cert)
    new = dict(cert)
    if kind == "cert_change":
        types = form.get("change_types") or []
        if "number" in types:
            new["number"] = form["new_number"]
        if "validity" in types:
            new["issued_on"], new["valid_until"] = form["new_issued_on"], form["new_valid_until"]
        if "photo" in types:
            new["photo"] = form["photo"]
    elif kind == "cert_cancellation":
        new["status"] = "cancelled"
        new["cancellation"] = {"category": form["category"], "reason": form["reason"]}
    elif kind == "cert_reissue":
        new["photo"] = form["photo"]
        new["reissued"] = int(cert.get("reissued", 0)) + 1
    else:  # pragma: no cover - the kinds are checked at creation
        raise Unprocessable(f"unknown application kind {kind!r}", field="kind")
    return new
