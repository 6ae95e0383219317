"""Project rules: who registers, who sees a project, which roles people hold on it."""

from __future__ import annotations

from typing import Any

from anjian_shared.events.projects_v1 import FUJIAN_PROJECT_ROLES
from anjian_shared.principal import Principal, Role

PROJECT_ROLES: dict[str, str] = {
    "project_manager": "项目经理",
    "technical_lead": "技术负责人",
    "safety_officer": "专职安全员",
    "chief_supervising_engineer": "总监理工程师",
    "supervising_engineer": "专业监理工程师",
    "owner_representative": "建设单位项目负责人",
    **FUJIAN_PROJECT_ROLES,
}
"""Roles a person can hold on a project; ``project_manager`` marks the contractor's
project department (项目部) that replies to rectification notices (HB-08)."""

PARTY_FIELDS: dict[str, str] = {
    "owner_org_id": "owner",
    "contractor_org_id": "contractor",
    "supervision_org_id": "supervision",
}
"""The participating parties (参建责任主体) and the company role each must hold."""


def may_register(actor: Principal) -> bool:
    """A supervision station's supervisors and leaders register projects (报监受理)."""
    return actor.org_kind == "station" and actor.has(Role.SUPERVISOR, Role.STATION_LEADER)


def visibility_filter(actor: Principal) -> dict[str, Any]:
    """Participants see only their own projects: the station that supervises it, the
    three parties' companies, people named on it; the province office sees all (FJ-02 for
    platform projects: ``platform_visibility``)."""
    if actor.org_kind == "authority":
        return {}
    return {"$or": [
        {"station_org_id": actor.org_id},
        {"owner_org_id": actor.org_id},
        {"contractor_org_id": actor.org_id},
        *platform_visibility(actor),
    ]}


def platform_visibility(actor: Principal) -> list[dict[str, Any]]:
    """The supervision company's and the participants' part of ``visibility_filter``. Projects
    from Fujian's platform (FJ-02): the company administrator sees the company's assessable
    ones; the chief engineer and the staff given roles see their own while assessable; the
    company's other staff see none. A project that left 在建可评价 disappears from the
    company's lists (the station and the province still see it)."""
    clauses: list[dict[str, Any]] = [
        {"supervision_org_id": actor.org_id, "platform_code": None},
        {"participants.user_id": actor.user_id, "assessable": {"$ne": False}},
    ]
    if actor.has(Role.COMPANY_ADMIN):
        clauses.append({"supervision_org_id": actor.org_id, "assessable": True})
    return clauses


def may_manage(actor: Principal, project: dict[str, Any]) -> bool:
    """The supervising station's staff change supervisors and participants."""
    return project["station_org_id"] == actor.org_id and actor.has(Role.SUPERVISOR, Role.STATION_LEADER)
