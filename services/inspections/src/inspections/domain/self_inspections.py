"""Fujian: supervision companies inspect their own sites (监理单位自查), FJ-04..FJ-11. No I/O.

One **self-inspection** (自查) is one visit of a supervision company's staff to one of its
assessable projects (在建可评价, synced from the province's platform, FJ-01). It moves:

==============  =====================================================================
status          what happens
==============  =====================================================================
``created``     新增检查: basic data entered (FJ-04); not checked in yet
``in_progress`` 检查打卡 done (time, GPS, distance from the project's position); companions
                join by QR (同行检查, FJ-05); the checklist is answered and saved (FJ-06/07)
``completed``   完成检查 (FJ-08): every point answered, confirmed; waits for the notice
``rectifying``  整改通知 issued (FJ-09) to the project's feedback person (反馈人), who
                replies (FJ-11); the inspector accepts or sends a reply back
``closed``      办结: the accepted reply closes it — or, with no problem found, the notice
                issue itself closes it
==============  =====================================================================

Who: the **inspector** is a participant of the project holding a supervision-staff role
(总监理工程师, 专业监理工程师, 监理员) in the project's supervision company; companions are
colleagues of that company; the **feedback person** is the project's participant with
role ``feedback_person``. Anybody else gets 404 (ids don't leak), except a colleague of the
company who is not staff of the project, who gets 403 where acting would need the role.

The checklist (检查要点) is copied from the tenant's check-point catalog when the inspection
is created, so a later catalog edit never changes an inspection. A point citing an item of
the 2024 major-hazard standard (``ZD2024-`` codes) is a 重大事故隐患 point; answered "no" it
makes the notice's opinion order work stopped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from anjian_shared import review
from anjian_shared.china_time import check_not_past, china_day
from anjian_shared.errors import Conflict, Forbidden, NotFound, NotYetAvailable, Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.review import Decision, Review, ReviewState, Step, decide

from .catalog import is_major_code

# --- roles -----------------------------------------------------------------------------------

CHIEF = "chief_supervising_engineer"            # 总监理工程师 (from the platform)
SPECIALIST = "specialist_supervising_engineer"  # 专业监理工程师 (lead discipline)
SITE_SUPERVISOR = "site_supervisor"             # 监理员
FEEDBACK_PERSON = "feedback_person"             # 反馈人
INSPECTOR_ROLES: tuple[str, ...] = (CHIEF, SPECIALIST, SITE_SUPERVISOR)
"""Project roles that may inspect (the project's supervision staff, FJ-03/FJ-04)."""

MAX_TEXT = 2000
MAX_TITLE = 100
MAX_FUTURE_CAPTURE = timedelta(minutes=5)
"""A check-in captured later than now + this (a wrong device clock) is refused."""
MAX_CAPTURE_AGE = timedelta(hours=24)
"""A check-in captured longer ago than this (a stale cached fix) is refused."""
COMPANION_TOKEN_TTL = timedelta(minutes=5)
"""How long a companion QR code (同行检查) is valid."""
STOP_WORK_WORDS: tuple[str, ...] = ("停工", "停止施工", "暂停施工", "停止作业")
"""An opinion orders work stopped when it contains one of these (FJ-09 with a major hazard)."""
NOT_ARRIVED_RETRY_SECONDS = 2


class Status(StrEnum):
    CREATED = "created"           # 已新增 (not checked in)
    IN_PROGRESS = "in_progress"   # 检查中 (checked in; draft of the checklist)
    COMPLETED = "completed"       # 已完成检查 (waiting for the notice)
    RECTIFYING = "rectifying"     # 整改中 (notice issued, waiting for accepted feedback)
    CLOSED = "closed"             # 已办结


STATUS_LABELS = {"created": "已新增", "in_progress": "检查中", "completed": "已完成检查",
                 "rectifying": "整改中", "closed": "已办结"}
DRAFT_STATUSES = (Status.CREATED.value, Status.IN_PROGRESS.value)
"""我的检查 → 检查填报 (FJ-07): inspections still being filled in."""


class Answer(StrEnum):
    YES = "yes"                   # 是
    NO = "no"                     # 否: a problem; description and photos required
    NOT_CHECKED = "not_checked"   # 本次不检查


ANSWER_LABELS = {"yes": "是", "no": "否", "not_checked": "本次不检查"}


class Filled(StrEnum):
    """FJ-06 filter of the checklist: 已填写 / 未填写."""

    ANSWERED = "answered"
    UNANSWERED = "unanswered"


class FeedbackStatus(StrEnum):
    PENDING = "pending"     # 待审核
    ACCEPTED = "accepted"   # 已通过
    RETURNED = "returned"   # 已退回


# --- the project and who may act --------------------------------------------------------------

def participants_with(project: Mapping[str, Any], roles: Iterable[str]) -> list[Mapping[str, Any]]:
    """The project's participants holding one of ``roles``."""
    wanted = set(roles)
    return [p for p in project.get("participants", []) if p.get("project_role") in wanted]


def is_inspector_of(project: Mapping[str, Any], user_id: str) -> bool:
    """FJ-04: ``user_id`` is supervision staff (总监/专监/监理员) of the project."""
    return any(p["user_id"] == user_id for p in participants_with(project, INSPECTOR_ROLES))


def feedback_people(project: Mapping[str, Any]) -> list[str]:
    """FJ-03/FJ-09: the project's feedback people (反馈人)."""
    return [p["user_id"] for p in participants_with(project, (FEEDBACK_PERSON,))]


def not_arrived(field: str = "project_id") -> NotYetAvailable:
    """A project this service has not received yet (its event is on its way): 409 retryable."""
    return NotYetAvailable(f"{field}: the project is not known here yet; retry shortly", field=field,
                           retry_after=NOT_ARRIVED_RETRY_SECONDS)


def ensure_inspector(project: Mapping[str, Any] | None, principal: Principal) -> None:
    """FJ-04 新增检查: the caller is supervision staff of an assessable project of their company.

    Unknown project: 409 ``not-yet-available`` (retryable); a project of another company (or
    tenant): 404; a colleague who is not the project's supervision staff: 403
    ``not-project-inspector``; a project no longer assessable (在建可评价): 409
    ``project-not-assessable-for-inspection``.
    """
    if project is None:
        raise not_arrived()
    if not project.get("supervision_org_id") or project.get("supervision_org_id") != principal.org_id:
        raise NotFound("project not found", field="project_id")
    if not is_inspector_of(project, principal.user_id):
        raise Forbidden("only the project's supervision staff (总监理工程师, 专业监理工程师, 监理员) inspect it",
                        slug="not-project-inspector")
    if not project.get("assessable"):
        raise Conflict("the project is not under construction and assessable (在建可评价)",
                       slug="project-not-assessable-for-inspection", field="project_id")


def basic_data(title: str | None, *, now: datetime, project: Mapping[str, Any]) -> str:
    """FJ-04 基本信息: the inspection's title, 1..100 characters; default
    ``<project name><YYYY-MM-DD>安全检查`` (China day)."""
    text = (title or "").strip() or f"{project.get('name', '')}{china_day(now).isoformat()}安全检查"
    if len(text) > MAX_TITLE:
        raise Unprocessable(f"title: at most {MAX_TITLE} characters", field="title")
    return text


def can_see(doc: Mapping[str, Any], principal: Principal) -> bool:
    """FJ-04..FJ-11: the inspector, companions, the feedback person once a notice is issued, and
    the company admin of the supervision company see an inspection; nobody else."""
    uid = principal.user_id
    if doc["tenant_id"] != principal.tenant:
        return False
    if uid == doc["inspector"]["user_id"] or uid in doc.get("companion_ids", []):
        return True
    if doc.get("notice") and uid == doc["notice"]["feedback_person"]["user_id"]:
        return True
    return principal.has("company_admin") and principal.org_id == doc["supervision_org_id"]


def visible(doc: Mapping[str, Any] | None, principal: Principal) -> Mapping[str, Any]:
    """The inspection if ``principal`` may see it; 404 otherwise."""
    if doc is None or not can_see(doc, principal):
        raise NotFound("inspection not found")
    return doc


def ensure_inspector_of(doc: Mapping[str, Any], principal: Principal, action: str) -> None:
    """Only the inspector completes, issues, reviews feedback and shows the QR code (403)."""
    if principal.user_id != doc["inspector"]["user_id"]:
        raise Forbidden(f"only the inspector {action}", slug="not-the-inspector")


def ensure_status(doc: Mapping[str, Any], *allowed: Status, what: str) -> None:
    """409 ``self-inspection-wrong-status`` (detail: the status it is in) when the inspection is
    not in one of ``allowed``."""
    if doc["status"] not in {s.value for s in allowed}:
        raise Conflict(f"cannot {what}: the inspection is {doc['status']} ({STATUS_LABELS[doc['status']]})",
                       slug="self-inspection-wrong-status")


# --- check-in (检查打卡) -----------------------------------------------------------------------

EARTH_MEAN_RADIUS_M = 6_371_008.8


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points (haversine on the mean sphere)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_MEAN_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def check_in(*, longitude: float, latitude: float, captured_at: datetime, now: datetime,
             position: Mapping[str, Any] | None) -> dict[str, Any]:
    """FJ-04 检查打卡: the stored check-in — ``longitude``/``latitude`` (WGS-84 degrees),
    ``captured_at`` (device time, aware), ``checked_in_at`` (server), ``distance_m`` (metres
    from the project's position, HN-03; None while the project has none) and the position it
    was measured from. 422 ``captured_at`` when naive, more than 5 min ahead or over 24 h old;
    422 ``longitude``/``latitude`` out of range."""
    if not -180 <= longitude <= 180:
        raise Unprocessable("longitude: -180..180", field="longitude")
    if not -90 <= latitude <= 90:
        raise Unprocessable("latitude: -90..90", field="latitude")
    if captured_at.tzinfo is None:
        raise Unprocessable("captured_at needs a time zone offset", field="captured_at")
    if captured_at > now + MAX_FUTURE_CAPTURE or captured_at < now - MAX_CAPTURE_AGE:
        raise Unprocessable("captured_at: must be within the last 24 hours (device clock?)", field="captured_at",
                            slug="captured-at-out-of-range")
    distance = None
    if position:
        distance = round(haversine_m(position["longitude"], position["latitude"], longitude, latitude), 1)
    return {"longitude": longitude, "latitude": latitude, "captured_at": captured_at, "checked_in_at": now,
            "distance_m": distance,
            "project_position": {k: position[k] for k in ("longitude", "latitude", "address") if k in position}
            if position else None}


# --- companions (同行检查): a short-lived signed single-use token ------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def companion_token(*, inspection_id: str, tenant: str, jti: str, expires_at: datetime, key: bytes) -> str:
    """FJ-05 查看二维码: ``<payload>.<signature>``, base64url; the payload names tenant,
    inspection, token id and expiry (epoch seconds); HMAC-SHA256 with the inspection's own key
    (kept only in its stored document), so a token cannot be forged nor moved to another one."""
    payload = _b64(json.dumps({"t": tenant, "i": inspection_id, "j": jti, "e": int(expires_at.timestamp())},
                              separators=(",", ":")).encode())
    return f"{payload}.{_b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())}"


def read_companion_token(token: str) -> dict[str, Any]:
    """FJ-05: the unverified claims of a token (``t`` tenant, ``i`` inspection, ``j`` id, ``e``
    expiry); 422 ``companion-token-invalid`` when it is not one."""
    try:
        payload, _ = token.split(".", 1)
        claims = json.loads(_unb64(payload))
        if not all(isinstance(claims.get(k), str) for k in ("t", "i", "j")) or not isinstance(claims.get("e"), int):
            raise ValueError
        return claims
    except (ValueError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Unprocessable("not a companion QR code", field="token", slug="companion-token-invalid") from exc


def verify_companion_token(token: str, doc: Mapping[str, Any], principal: Principal, now: datetime) -> str:
    """FJ-05 同行检查: the token's id (``jti``) when ``principal`` may join ``doc`` with it.

    Refused, each with its own problem: 422 ``companion-token-invalid`` (bad signature, other
    tenant or inspection), 422 ``companion-token-expired`` (past its 5 minutes), 409
    ``companion-token-used`` (single use: already scanned), 403 ``companion-other-company``
    (the scanner is not staff of the inspecting company), 409 ``already-companion`` (the
    inspector or a companion scanning again), 409 ``self-inspection-wrong-status`` (not checked in, or
    completed)."""
    claims = read_companion_token(token)
    key = _unb64(doc.get("companion_key", ""))
    payload = token.split(".", 1)[0]
    expected = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    if (not key or not hmac.compare_digest(expected, token.split(".", 1)[1])
            or claims["t"] != principal.tenant or claims["i"] != doc["_id"]):
        raise Unprocessable("not a companion QR code of this inspection", field="token",
                            slug="companion-token-invalid")
    if now.timestamp() > claims["e"]:
        raise Unprocessable("the QR code has expired; ask the inspector to show a new one", field="token",
                            slug="companion-token-expired")
    issued = (doc.get("companion_tokens") or {}).get(claims["j"])
    if issued is None:
        raise Unprocessable("not a companion QR code of this inspection", field="token",
                            slug="companion-token-invalid")
    if issued.get("used_by"):
        raise Conflict("the QR code was already used; ask the inspector to show a new one",
                       slug="companion-token-used", field="token")
    if principal.org_id != doc["supervision_org_id"] or principal.org_kind not in ("", "company"):
        raise Forbidden("only a colleague of the inspecting supervision company joins (同行检查)",
                        slug="companion-other-company")
    if principal.user_id == doc["inspector"]["user_id"] or principal.user_id in doc.get("companion_ids", []):
        raise Conflict("you are already on this inspection", slug="already-companion")
    ensure_status(doc, Status.IN_PROGRESS, what="join")
    return str(claims["j"])


# --- the checklist (检查要点) ------------------------------------------------------------------

def major_codes(codes: Iterable[str]) -> list[str]:
    """FJ-06: the cited codes that are items of the 2024 major-hazard standard (``ZD2024-``):
    the fallback for a point stored without its ``major`` flag."""
    return [c for c in codes if is_major_code(c)]


def is_major_point(entry: Mapping[str, Any]) -> bool:
    """FJ-06: a check point is a 重大事故隐患 point when it cites a major item of the hazard
    catalog: the ``major`` flag the library stored from the catalog items when the point was
    saved (the catalog decides, as ``domain.hazards`` does for results), else by code."""
    if "major" in entry:
        return bool(entry["major"])
    return bool(major_codes(entry.get("hazard_codes") or []))


def checklist(entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """FJ-06: the inspection's points, copied from the tenant's live catalog entries (display
    order): ``code, text, reference, category, source, hazard_codes, major`` and ``answer``
    (None until answered). 409 ``checklist-empty`` when the catalog has no point."""
    points = [{"code": e["code"], "text": e["text"], "reference": e.get("reference"),
               "category": e.get("category"), "source": e.get("source"),
               "hazard_codes": list(e.get("hazard_codes") or []),
               "major": is_major_point(e), "answer": None}
              for e in entries]
    if not points:
        raise Conflict("the province's check-point catalog is empty", slug="checklist-empty")
    return points


def point_index(points: Sequence[Mapping[str, Any]], code: str) -> int:
    """The position of point ``code``; 404 when the inspection has no such point."""
    for i, p in enumerate(points):
        if p["code"] == code:
            return i
    raise NotFound(f"the inspection has no check point {code}", field="code")


def answer_point(*, value: Answer | str, description: str | None, photo_count: int, kept_photos: int,
                 max_photos: int) -> tuple[Answer, str]:
    """FJ-06 是 / 否 / 本次不检查: the answer and its trimmed description. "no" needs a
    description (422 ``description``, ``description-required``) and at least one photo, new or
    kept from an earlier "no" (422 ``photos``, ``photo-required``); at most ``max_photos``
    (422 ``photos``, ``too-many-files``). "yes" and "not checked" carry no photos (422 ``photos``)."""
    value = Answer(value)
    text = (description or "").strip()
    if len(text) > MAX_TEXT:
        raise Unprocessable(f"description: at most {MAX_TEXT} characters", field="description")
    if value is Answer.NO:
        if not text:
            raise Unprocessable("a point answered no needs a problem description (问题描述)", field="description",
                                slug="description-required")
        if photo_count + kept_photos < 1:
            raise Unprocessable("a point answered no needs at least one photo (问题照片)", field="photos",
                                slug="photo-required")
        if photo_count + kept_photos > max_photos:
            raise Unprocessable(f"at most {max_photos} photos per point", field="photos", slug="too-many-files")
    elif photo_count:
        raise Unprocessable("only a point answered no carries photos", field="photos", slug="photos-not-allowed")
    return value, text


def is_answered(point: Mapping[str, Any]) -> bool:
    return bool(point.get("answer"))


def filter_points(points: Sequence[Mapping[str, Any]], filled: Filled | str | None) -> list[Mapping[str, Any]]:
    """FJ-06 已填写 / 未填写: the points answered, or not yet (all without a filter)."""
    if filled is None:
        return list(points)
    want = Filled(filled) is Filled.ANSWERED
    return [p for p in points if is_answered(p) is want]


def progress(points: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """FJ-06 progress: ``total, answered, unanswered, yes, no, not_checked, major_hazards``
    (points answered no that cite a major-hazard item)."""
    values = [p["answer"]["value"] for p in points if is_answered(p)]
    return {"total": len(points), "answered": len(values), "unanswered": len(points) - len(values),
            "yes": values.count("yes"), "no": values.count("no"), "not_checked": values.count("not_checked"),
            "major_hazards": sum(1 for p in points if p.get("major") and is_answered(p)
                                 and p["answer"]["value"] == "no")}


def problems(points: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """FJ-09: the points answered no (the problems found, 检查问题)."""
    return [p for p in points if is_answered(p) and p["answer"]["value"] == Answer.NO.value]


def ensure_complete(points: Sequence[Mapping[str, Any]]) -> None:
    """FJ-08 完成检查: every point answered; 409 ``checklist-incomplete`` naming the unanswered
    codes otherwise (the first 20, and how many)."""
    missing = [p["code"] for p in points if not is_answered(p)]
    if missing:
        shown = ", ".join(missing[:20]) + (" …" if len(missing) > 20 else "")
        raise Conflict(f"{len(missing)} check point(s) unanswered: {shown}", slug="checklist-incomplete",
                       field="points")


def ensure_confirmed(confirm: bool) -> None:
    """FJ-08 完成检查 → 确认: the request must confirm (422 ``confirm``, ``confirmation-required``)."""
    if not confirm:
        raise Unprocessable("completing an inspection needs confirm: true (确认)", field="confirm",
                            slug="confirmation-required")


# --- the rectification notice (整改通知, FJ-09) -----------------------------------------------

def orders_stop(opinion: str) -> bool:
    """FJ-09: the opinion orders work stopped (停工 …)."""
    return any(w in opinion for w in STOP_WORK_WORDS)


def notice(*, points: Sequence[Mapping[str, Any]], project: Mapping[str, Any], opinion: str | None,
           deadline: date | None, feedback_user_id: str, now: datetime) -> dict[str, Any]:
    """FJ-09 下发整改通知: the stored notice, and whether it closes the inspection at once.

    ``feedback_user_id`` is required and must be a feedback person (反馈人) of the project (422
    ``feedback_user_id``, ``not-feedback-person``). With problems found: ``opinion`` (整改意见,
    1..2000, 422 ``opinion``) and ``deadline`` (not before today, China time; 422 ``deadline``)
    are required, and with a major-hazard point answered no the opinion must order work
    stopped (422 ``opinion``, ``stop-work-required``, naming the points). Without problems:
    no opinion nor deadline (422 naming the field) — the notice closes the inspection.
    Returns ``{feedback_user_id, opinion, deadline, problem_count, major_codes, closes}``.
    """
    feedback_user_id = (feedback_user_id or "").strip()
    if not feedback_user_id:
        raise Unprocessable("the feedback person (反馈人) is required", field="feedback_user_id",
                            slug="feedback-person-required")
    if feedback_user_id not in feedback_people(project):
        raise Unprocessable("not a feedback person (反馈人) of the project; the company admin or chief sets them",
                            field="feedback_user_id", slug="not-feedback-person")
    found = problems(points)
    text = (opinion or "").strip()
    if not found:
        if text:
            raise Unprocessable("no problem was found: a notice without problems has no opinion", field="opinion",
                                slug="opinion-not-allowed")
        if deadline is not None:
            raise Unprocessable("no problem was found: a notice without problems has no deadline", field="deadline",
                                slug="deadline-not-allowed")
        return {"feedback_user_id": feedback_user_id, "opinion": "", "deadline": None, "problem_count": 0,
                "major_codes": [], "closes": True}
    if not text:
        raise Unprocessable("the rectification opinion (整改意见) is required", field="opinion",
                            slug="opinion-required")
    if len(text) > MAX_TEXT:
        raise Unprocessable(f"opinion: at most {MAX_TEXT} characters", field="opinion")
    if deadline is None:
        raise Unprocessable("the rectification deadline is required", field="deadline", slug="deadline-required")
    check_not_past(deadline, now=now, backdated=False, field="deadline")
    majors = [p["code"] for p in found if p.get("major")]
    if majors and not orders_stop(text):
        raise Unprocessable(f"a major accident hazard (重大事故隐患) was found at {', '.join(majors)}: the opinion "
                            "must order work stopped (停工整改)", field="opinion", slug="stop-work-required")
    return {"feedback_user_id": feedback_user_id, "opinion": text, "deadline": deadline.isoformat(),
            "problem_count": len(found), "major_codes": majors, "closes": False}


def is_overdue(doc: Mapping[str, Any], now: datetime) -> bool:
    """FJ-11: a notice still rectifying whose deadline day has passed (China time)."""
    n = doc.get("notice") or {}
    return doc.get("status") == Status.RECTIFYING.value and bool(n.get("deadline")) \
        and n["deadline"] < china_day(now).isoformat()


def overdue_filter(now: datetime) -> dict[str, Any]:
    """FJ-11: inspections (any tenant) whose notice is overdue and not yet escalated."""
    return {"status": Status.RECTIFYING.value, "notice.deadline": {"$lt": china_day(now).isoformat()},
            "escalated": {"$ne": True}}


# --- feedback (整改反馈, FJ-11) -----------------------------------------------------------------

def ensure_can_reply(doc: Mapping[str, Any], principal: Principal) -> None:
    """FJ-11 整改反馈: only the notice's feedback person (403 ``not-the-feedback-person``); only
    while rectifying (409 ``self-inspection-wrong-status``); not while a reply awaits review (409
    ``reply-pending``)."""
    n = doc.get("notice")
    if not n or principal.user_id != n["feedback_person"]["user_id"]:
        raise Forbidden("only the feedback person (反馈人) of the notice replies", slug="not-the-feedback-person")
    ensure_status(doc, Status.RECTIFYING, what="reply")
    if doc.get("pending_feedback_id"):
        raise Conflict("your previous feedback is awaiting the inspector's review", slug="reply-pending")


def feedback_text(text: str | None) -> str:
    """FJ-11: the feedback's text, 1..2000 characters (422 ``text``)."""
    return review.reply_text(text, what="say what was rectified", max_chars=MAX_TEXT)


def feedback_review_state(feedback: Mapping[str, Any]) -> ReviewState:
    """FJ-11: the review of one feedback — its one reviewer (the inspector), the decision once
    taken — in the shared review block's terms."""
    stored = feedback.get("review")
    reviews = () if not stored else (Review.from_doc(stored),)
    return ReviewState.of((feedback["reviewer_user_id"],), reviews)


def review_feedback(feedback: Mapping[str, Any], principal: Principal, decision: Decision | str,
                    comment: str | None, now: datetime) -> Step:
    """FJ-11 accept (``approve``) or send back (``reject``, comment required) a feedback, by the
    shared review block: 403 ``not-a-reviewer``; 409 ``feedback-already-reviewed``; 422
    ``comment``."""
    return decide(feedback_review_state(feedback), principal.user_id, decision, comment, now,
                  reviewer_name=principal.name, subject="feedback", why="telling the feedback person what is missing")


def feedback_status(step: Step) -> FeedbackStatus:
    return FeedbackStatus.ACCEPTED if step.review.approved else FeedbackStatus.RETURNED


# --- the timeline (流程跟踪, FJ-10) -------------------------------------------------------------

TIMELINE_LABELS = {"created": "新增检查", "checked_in": "检查打卡", "companion_joined": "同行检查",
                   "completed": "完成检查", "notice_issued": "下发整改通知", "feedback_sent": "整改反馈",
                   "feedback_returned": "反馈退回", "feedback_accepted": "反馈通过", "closed": "办结",
                   "escalated": "逾期上报"}


def step_entry(action: str, who: Mapping[str, Any] | None, at: datetime, **detail: Any) -> dict[str, Any]:
    """FJ-10: one line of the timeline: ``action`` (a key of ``TIMELINE_LABELS``), ``label``,
    ``by`` ({user_id, name} or None for the system), ``at`` and details."""
    return {"action": action, "label": TIMELINE_LABELS[action], "by": dict(who) if who else None, "at": at,
            **detail}


# --- the authorities' view ----------------------------------------------------------------------

def station_summary(projects: Sequence[Mapping[str, Any]], inspections: Sequence[Mapping[str, Any]], *,
                    now: datetime) -> dict[str, Any]:
    """For the stations: per supervision company and project, the self-inspections completed in
    the period (``inspections``: those of the period), the hazards found (points answered no;
    major among them), notices open (rectifying) and overdue; and the projects with none
    (五个一 duty missed). ``projects``: the station's assessable projects."""
    per_project: dict[str, dict[str, Any]] = {
        p["_id"]: {"project_id": p["_id"], "project_name": p.get("name", ""),
                   "supervision_org_id": p.get("supervision_org_id"), "inspections": 0, "hazards": 0,
                   "major_hazards": 0, "notices_open": 0, "notices_overdue": 0} for p in projects}
    for doc in inspections:
        row = per_project.get(doc["project_id"])
        if row is None:
            continue
        if doc["status"] in (Status.COMPLETED.value, Status.RECTIFYING.value, Status.CLOSED.value):
            row["inspections"] += 1
        found = progress(doc.get("points", []))
        row["hazards"] += found["no"]
        row["major_hazards"] += found["major_hazards"]
        if doc["status"] == Status.RECTIFYING.value:
            row["notices_open"] += 1
            row["notices_overdue"] += int(is_overdue(doc, now))
    companies: dict[str, dict[str, Any]] = {}
    for row in per_project.values():
        c = companies.setdefault(row["supervision_org_id"] or "", {
            "supervision_org_id": row["supervision_org_id"], "inspections": 0, "hazards": 0, "major_hazards": 0,
            "notices_open": 0, "notices_overdue": 0, "projects": []})
        for k in ("inspections", "hazards", "major_hazards", "notices_open", "notices_overdue"):
            c[k] += row[k]
        c["projects"].append(row)
    missing = [r for r in per_project.values() if r["inspections"] == 0]
    return {"companies": sorted(companies.values(), key=lambda c: c["supervision_org_id"] or ""),
            "projects_without_inspection": missing}
