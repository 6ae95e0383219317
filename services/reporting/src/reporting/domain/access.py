"""Who may read a notice's or a plan's document (HB-09).

A notice (告知书) may be read by: users of the project's station org, the plan's
supervisors (and the issuer), users of the addressee org (the contractor) and the
notice's repliers, users of the project's owner and supervision orgs.
A plan's results may be read by its station and its supervisors (all projects), and
by users of a project's contractor, owner or supervision org (that project only).
Everybody else of the tenant is refused (403); other tenants never see the ids (404).
"""

from __future__ import annotations

from dataclasses import dataclass

from anjian_shared.events.inspections_v1 import PlanProject, PlanSubmitted
from anjian_shared.events.notices_v1 import NoticeIssued
from anjian_shared.principal import Principal


def _project_party(principal: Principal, project: PlanProject) -> bool:
    """The caller belongs to one of the project's parties or its project department."""
    return (principal.org_id in {project.station_org_id, project.owner_org_id, project.contractor_org_id,
                                 project.supervision_org_id}
            or principal.user_id in project.project_manager_user_ids)


def _plan_team(principal: Principal, plan: PlanSubmitted) -> bool:
    """The caller is in the plan's station or team of supervisors."""
    team = {plan.responsible_supervisor.user_id, *(s.user_id for s in plan.supervisors)}
    return principal.org_id == plan.station_org_id or principal.user_id in team


def may_read_notice(principal: Principal, notice: NoticeIssued, plan: PlanSubmitted | None) -> bool | None:
    """True if ``principal`` may read ``notice``; None when that can't be decided before the plan's
    read model (the project's owner and supervision orgs) arrived. Same tenant assumed."""
    if (principal.org_id in {notice.station_org_id, notice.addressee_org_id}
            or principal.user_id == notice.issued_by.user_id
            or principal.user_id in notice.replier_user_ids):
        return True
    if plan is None:
        return None
    if _plan_team(principal, plan):
        return True
    return any(_project_party(principal, p) for p in plan.projects if p.project_id == notice.project_id)


@dataclass(frozen=True)
class PlanView:
    """Which of a plan's projects a caller may read: ``project_ids`` None means all of them."""

    project_ids: frozenset[str] | None

    @property
    def empty(self) -> bool:
        return self.project_ids is not None and not self.project_ids

    def includes(self, project_id: str) -> bool:
        return self.project_ids is None or project_id in self.project_ids


def plan_view(principal: Principal, plan: PlanSubmitted) -> PlanView:
    """The part of ``plan`` that ``principal`` may read (empty view: none, refuse with 403)."""
    if _plan_team(principal, plan):
        return PlanView(None)
    if any(p.station_org_id == principal.org_id for p in plan.projects):
        return PlanView(None)
    return PlanView(frozenset(p.project_id for p in plan.projects if _project_party(principal, p)))
