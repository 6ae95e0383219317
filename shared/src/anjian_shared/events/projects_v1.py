"""Events published by projects, version 1 (HB-02, HN-01)."""

from __future__ import annotations

from pydantic import BaseModel


class Participant(BaseModel):
    """A person on the project: ``project_role`` e.g. ``project_manager`` (项目经理),
    ``chief_supervising_engineer`` (总监理工程师), ``safety_officer`` (安全员)."""

    user_id: str
    org_id: str
    name: str
    project_role: str


class ProjectSnapshot(BaseModel):
    """The whole project as other services need it; every project event carries it."""

    project_id: str
    code: str
    name: str
    address: str
    station_org_id: str
    owner_org_id: str
    contractor_org_id: str
    supervision_org_id: str
    supervisor_user_ids: list[str]
    participants: list[Participant] = []
    status: str = "active"


class ProjectRegistered(ProjectSnapshot):
    """``projects.project.registered.v1``: a station registered a project."""


class ProjectUpdated(ProjectSnapshot):
    """``projects.project.updated.v1``: supervisors, participants or details changed."""


EVENTS: dict[str, type[BaseModel]] = {
    "projects.project.registered.v1": ProjectRegistered,
    "projects.project.updated.v1": ProjectUpdated,
}
