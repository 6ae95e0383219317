"""Spot-check plans (抽查计划) and their rules, HB-02..HB-07. Pure functions, no I/O.

A plan moves ``draft → confirmed → submitted`` (withdraw 撤回 goes back ``confirmed → draft``
while no result exists). Who may do what:

====================  ============================  ==========================================
action                who                           when
====================  ============================  ==========================================
see                   creator; team member; leader  creator always; others once not draft
                      of the plan's station
modify / delete       creator                       not submitted, no result yet
confirm               creator                       draft
withdraw              creator                       confirmed, no result yet
record a result       team member                   confirmed (not draft, not submitted)
change a result       the result's author           not submitted
signature / seal      responsible supervisor        not submitted
submit                responsible supervisor        confirmed, with signature (+ seal)
====================  ============================  ==========================================

Refusals raise the platform's problem errors: ``Forbidden`` (403, wrong person),
``Conflict`` (409, wrong state), ``Unprocessable`` (422, naming the field). A plan the
caller may not see is answered 404 by the service layer, so ids don't leak.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from anjian_shared.china_time import check_not_past
from anjian_shared.errors import Conflict, Forbidden, NotYetAvailable, Unprocessable
from anjian_shared.events.inspections_v1 import RECTIFICATION_DISPOSITIONS
from anjian_shared.principal import Principal, Role

from . import hazards

PLANNER_ROLES: tuple[str, ...] = (Role.SUPERVISOR.value, Role.STATION_LEADER.value)
"""Roles that make, run and read plans (a station's supervisors and leaders)."""


class PlanStatus(StrEnum):
    DRAFT = "draft"            # 草稿: only the creator sees it
    CONFIRMED = "confirmed"    # 已确认: the team sees it and inspects
    SUBMITTED = "submitted"    # 已提交: frozen


STATUS_LABELS = {PlanStatus.DRAFT.value: "草稿", PlanStatus.CONFIRMED.value: "已确认",
                 PlanStatus.SUBMITTED.value: "已提交"}
"""The Chinese label of each plan status (``status_label`` in every plan view)."""

VISIBLE_TO_TEAM = (PlanStatus.CONFIRMED.value, PlanStatus.SUBMITTED.value)


@dataclass(frozen=True)
class PlanFacts:
    """What the rules need to know about a stored plan."""

    plan_id: str
    status: PlanStatus
    created_by: str
    station_org_id: str
    supervisor_user_ids: tuple[str, ...]
    responsible_supervisor_id: str
    result_count: int
    has_signature: bool
    has_seal: bool
    planned_date: date

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> PlanFacts:
        """The facts of a stored plan document."""
        return cls(
            plan_id=doc["_id"],
            status=PlanStatus(doc["status"]),
            created_by=doc["created_by"],
            station_org_id=doc["station_org_id"],
            supervisor_user_ids=tuple(doc.get("supervisor_user_ids", ())),
            responsible_supervisor_id=doc["responsible_supervisor_id"],
            result_count=int(doc.get("result_count", 0)),
            has_signature=doc.get("signature") is not None,
            has_seal=doc.get("seal") is not None,
            planned_date=date.fromisoformat(doc["planned_date"]),
        )

    def in_team(self, user_id: str) -> bool:
        """True when ``user_id`` is one of the plan's supervisors (监督员)."""
        return user_id in self.supervisor_user_ids


# --- who ------------------------------------------------------------------------------------

def ensure_planner(principal: Principal) -> None:
    """A supervisor or station leader of a station (HB-02); 403 otherwise."""
    if not principal.has(*PLANNER_ROLES):
        raise Forbidden("requires the role supervisor or station_leader")
    if principal.org_kind and principal.org_kind != "station":
        raise Forbidden("only the staff of a supervision station (监督站) work with plans")


def can_see(plan: PlanFacts, principal: Principal) -> bool:
    """HB-03: the creator always; team members and the station's leaders once confirmed."""
    if plan.created_by == principal.user_id:
        return True
    if plan.status.value not in VISIBLE_TO_TEAM:
        return False
    if plan.in_team(principal.user_id):
        return True
    return principal.has(Role.STATION_LEADER.value) and principal.org_id == plan.station_org_id


def visibility_filter(principal: Principal) -> dict[str, Any]:
    """The MongoDB filter equivalent to ``can_see`` (for lists)."""
    clauses: list[dict[str, Any]] = [
        {"created_by": principal.user_id},
        {"status": {"$in": list(VISIBLE_TO_TEAM)}, "supervisor_user_ids": principal.user_id},
    ]
    if principal.has(Role.STATION_LEADER.value):
        clauses.append({"status": {"$in": list(VISIBLE_TO_TEAM)}, "station_org_id": principal.org_id})
    return {"$or": clauses}


def _not_submitted(plan: PlanFacts) -> None:
    if plan.status is PlanStatus.SUBMITTED:
        raise Conflict("the plan is submitted; nothing can change any more", slug="plan-submitted")


def _creator(plan: PlanFacts, user_id: str, action: str) -> None:
    if plan.created_by != user_id:
        raise Forbidden(f"only the plan's creator may {action} it")


# --- plan actions (HB-03) -------------------------------------------------------------------

def ensure_can_modify(plan: PlanFacts, user_id: str) -> None:
    """Modify (修改): creator; draft, or confirmed without any result; never once submitted."""
    _not_submitted(plan)
    _creator(plan, user_id, "modify")
    if plan.result_count > 0:
        raise Conflict("the plan has inspection results and can no longer be modified", slug="plan-has-results")


def ensure_can_delete(plan: PlanFacts, user_id: str) -> None:
    """Delete (删除): creator; refused once submitted or once any result exists."""
    _not_submitted(plan)
    _creator(plan, user_id, "delete")
    if plan.result_count > 0:
        raise Conflict("the plan has inspection results and cannot be deleted", slug="plan-has-results")


def ensure_can_confirm(plan: PlanFacts, user_id: str) -> None:
    """Confirm (确认): creator; draft only."""
    _not_submitted(plan)
    _creator(plan, user_id, "confirm")
    if plan.status is not PlanStatus.DRAFT:
        raise Conflict("the plan is already confirmed", slug="plan-already-confirmed")


def ensure_can_withdraw(plan: PlanFacts, user_id: str) -> None:
    """Withdraw (撤回): creator; confirmed and no result yet (已产生检查记录的计划不可撤回)."""
    _not_submitted(plan)
    _creator(plan, user_id, "withdraw")
    if plan.status is not PlanStatus.CONFIRMED:
        raise Conflict("only a confirmed plan can be withdrawn", slug="plan-not-confirmed")
    if plan.result_count > 0:
        raise Conflict("the plan has inspection results and cannot be withdrawn", slug="plan-has-results")


# --- results (HB-04/05) ---------------------------------------------------------------------

def ensure_can_record_result(plan: PlanFacts, user_id: str) -> None:
    """On-site inspection (去检查): team members; confirmed, not submitted plans only."""
    _not_submitted(plan)
    if not plan.in_team(user_id):
        raise Forbidden("only the plan's supervisors record results")
    if plan.status is not PlanStatus.CONFIRMED:
        raise Conflict("plan not confirmed", slug="plan-not-confirmed")


def ensure_can_change_result(plan: PlanFacts, author_id: str, user_id: str) -> None:
    """Modify/delete a result (HB-05): its author only, while the plan is not submitted."""
    _not_submitted(plan)
    if author_id != user_id:
        raise Forbidden("only the supervisor who recorded a result may change it")


def ensure_photo_count(existing: int, added: int, maximum: int, *, field: str = "photos") -> None:
    """A result carries 1..``maximum`` photos (HB-04)."""
    if added < 1:
        raise Unprocessable("at least one photo is required", field=field)
    if existing + added > maximum:
        raise Unprocessable(f"a result carries at most {maximum} photos", field=field)


def normalize_hazard_codes(codes: Iterable[str], maximum: int) -> list[str]:
    """Strip, drop blanks and duplicates (first wins); 1..``maximum`` codes (422 ``hazard_codes``)."""
    out: list[str] = []
    for code in codes:
        code = code.strip()
        if code and code not in out:
            out.append(code)
    if not out:
        raise Unprocessable("choose at least one hazard from the catalog", field="hazard_codes")
    if len(out) > maximum:
        raise Unprocessable(f"at most {maximum} hazards per result", field="hazard_codes")
    return out


def hazards_from_catalog(codes: Sequence[str], found: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """HB-04: ``HazardRef``-shaped dicts for ``codes`` (in the given order) from the tenant's
    catalog items ``found`` (code → item), ``major`` decided from the catalog
    (``domain.hazards.cite``); 422 ``hazard_codes`` naming every unknown code."""
    return hazards.cite(codes, found)


def is_major_hazard(cited: Iterable[Mapping[str, Any]]) -> bool:
    """HB-04: A result citing a major item of the catalog is a major hazard (重大事故隐患)."""
    return hazards.is_major_hazard(cited)


# --- team and projects (HB-02) --------------------------------------------------------------

def validate_projects(project_ids: Sequence[str], known: Mapping[str, Mapping[str, Any]],
                      station_org_id: str) -> list[str]:
    """Every project must be in the tenant's directory and belong to the caller's station;
    returns the ids without duplicates; 422 ``project_ids`` naming the others — or, when every
    refused id is merely unknown here (its event still on its way), 409 ``not-yet-available``
    with Retry-After (issue 11: a transient state never reads as a permanent error)."""
    ids = list(dict.fromkeys(project_ids))
    if not ids:
        raise Unprocessable("name at least one project", field="project_ids")
    bad = [p for p in ids if p not in known or known[p].get("station_org_id") != station_org_id]
    if bad and all(p not in known for p in bad):
        raise NotYetAvailable(f"project_ids: {', '.join(bad)} not known here yet (a project registered just now "
                              "reaches inspections in a moment); retry shortly", field="project_ids", retry_after=2)
    if bad:
        raise Unprocessable(f"unknown projects or not supervised by your station: {', '.join(bad)}",
                            field="project_ids")
    return ids


def validate_team(*, creator_id: str, supervisor_user_ids: Sequence[str], responsible_supervisor_id: str | None,
                  projects: Iterable[Mapping[str, Any]]) -> tuple[list[str], str]:
    """The team (监督员) includes the creator, and every member supervises at least one of the
    plan's projects (their ``supervisor_user_ids``); the responsible supervisor (责任监督员,
    default the creator) is in the team. Returns (team without duplicates, responsible id).
    422 ``supervisor_user_ids`` / ``responsible_supervisor_id``."""
    team = list(dict.fromkeys(u.strip() for u in supervisor_user_ids if u.strip()))
    if creator_id not in team:
        raise Unprocessable("the team must include the plan's creator", field="supervisor_user_ids")
    allowed: set[str] = set()
    for p in projects:
        allowed.update(p.get("supervisor_user_ids", []))
    outsiders = [u for u in team if u not in allowed]
    if outsiders:
        raise Unprocessable(f"not supervisors of the plan's projects: {', '.join(outsiders)}",
                            field="supervisor_user_ids")
    responsible = responsible_supervisor_id or creator_id
    if responsible not in team:
        raise Unprocessable("the responsible supervisor must be one of the team", field="responsible_supervisor_id")
    return team, responsible


# --- signature, seal, submission (HB-06) ----------------------------------------------------

def ensure_can_sign(plan: PlanFacts, user_id: str, what: str = "signature") -> None:
    """Signature (7.3) and seal (7.4): the responsible supervisor, replaceable until submission."""
    _not_submitted(plan)
    if plan.responsible_supervisor_id != user_id:
        raise Forbidden(f"only the responsible supervisor uploads the {what}")


def ensure_can_submit(plan: PlanFacts, user_id: str, *, disposition: str, rectification_date: date,
                      seal_required: bool, now: datetime, backdated: bool = False) -> None:
    """Submit (提交): only the responsible supervisor (403), only a confirmed plan not yet
    submitted (409), with the signature (422 ``signature``), the seal when chosen (422 ``seal``)
    and, for 限期整改/停工整改, a rectification date not before the planned date and not
    before today in China time at ``now`` unless ``backdated`` (补录; the one deadline rule of
    the platform, ``anjian_shared.china_time.check_not_past``, as Hainan's documents)
    (422 ``notice.rectification_date``, ``deadline-past`` for the latter)."""
    _not_submitted(plan)
    if plan.responsible_supervisor_id != user_id:
        raise Forbidden("only the responsible supervisor (责任监督员) submits the plan")
    if plan.status is not PlanStatus.CONFIRMED:
        raise Conflict("plan not confirmed", slug="plan-not-confirmed")
    if not plan.has_signature:
        raise Unprocessable("upload the responsible supervisor's signature first (PUT .../signature)",
                            field="signature")
    if seal_required and not plan.has_seal:
        raise Unprocessable("a seal was chosen: upload it first (PUT .../seal)", field="seal")
    if disposition in RECTIFICATION_DISPOSITIONS and rectification_date < plan.planned_date:
        raise Unprocessable("the rectification date cannot be before the planned date",
                            field="notice.rectification_date")
    if disposition in RECTIFICATION_DISPOSITIONS:
        check_not_past(rectification_date, now=now, backdated=backdated, field="notice.rectification_date")


def project_managers(project: Mapping[str, Any]) -> list[str]:
    """The contractor's project department people (项目部) who reply: participants with the
    project role ``project_manager``, without duplicates."""
    return list(dict.fromkeys(p["user_id"] for p in project.get("participants", [])
                              if p.get("project_role") == "project_manager"))


# --- audit ----------------------------------------------------------------------------------

def history_entry(action: str, principal: Principal, at: datetime, **detail: Any) -> dict[str, Any]:
    """One audit line on the plan: who (id and name), when (UTC), what (action + detail)."""
    return {"at": at, "by": principal.user_id, "by_name": principal.name, "action": action,
            "detail": detail}


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``after`` whose value differs from ``before`` (for the audit line)."""
    return {k: v for k, v in after.items() if before.get(k) != v}
