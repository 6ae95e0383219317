"""Fujian's projects from the province's integration platform (一体化平台, FJ-01) and the
supervision staff's project roles (FJ-03): pure rules, no I/O.

A platform project is identified by its ``platform_code`` (unique per tenant). A sync
brings its name, address, state (在建可评价 ``assessable``), supervision company (credit
code, name, optionally its administrator) and chief supervising engineer (name, mobile).
``merge`` says what a sync changes on a held project: only the platform's fields and the
chief; everything else done here (staff roles, positions, unknown fields) stays.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from anjian_shared.errors import Conflict, Forbidden, Unprocessable
from anjian_shared.events.projects_v1 import FUJIAN_PROJECT_ROLES

PLATFORM_NAMESPACE = uuid.UUID("3f0c1f52-4a0e-4c55-8d7e-0b9c2f6a7e11")

CHIEF = "chief_supervising_engineer"
SPECIALIST = "specialist_supervising_engineer"
SITE_SUPERVISOR = "site_supervisor"
FEEDBACK = "feedback_person"

EXCLUSIVE_ROLES = (SPECIALIST, SITE_SUPERVISOR)
"""A person holds at most one of these, in one project and across projects (FJ-03)."""

STAFF_ROLES = (CHIEF, SPECIALIST, SITE_SUPERVISOR)
"""The project's supervision staff (项目监理人员): the feedback person is one of them."""

ASSIGNABLE_ROLES = (SPECIALIST, SITE_SUPERVISOR, FEEDBACK)
"""Roles the company administrator or the chief gives here; the chief comes from the platform."""

assert set(STAFF_ROLES) | {FEEDBACK} == set(FUJIAN_PROJECT_ROLES)

PLATFORM_FIELDS = ("name", "address", "assessable", "supervision_org_id", "station_org_id")
"""The project fields the platform owns (a sync overwrites them, nothing else)."""


def platform_org_id(tenant: str, credit_code: str) -> str:
    """The id of a supervision company first known from the platform: stable per credit code,
    so a replayed sync (or two replicas) name the same organisation."""
    return uuid.uuid5(PLATFORM_NAMESPACE, f"{tenant}:org:{credit_code}").hex


def platform_user_id(tenant: str, mobile: str) -> str:
    """The id of a platform-registered person (chief engineer): stable per mobile number."""
    return uuid.uuid5(PLATFORM_NAMESPACE, f"{tenant}:user:{mobile}").hex


def platform_admin_id(tenant: str, credit_code: str) -> str:
    """The id of a supervision company's administrator account: stable per company."""
    return uuid.uuid5(PLATFORM_NAMESPACE, f"{tenant}:admin:{credit_code}").hex


def chief_participant(*, user_id: str, org_id: str, name: str) -> dict[str, Any]:
    return {"user_id": user_id, "org_id": org_id, "name": name, "project_role": CHIEF}


def merge(held: Mapping[str, Any], fields: Mapping[str, Any], chief: Mapping[str, Any]) -> dict[str, Any]:
    """The ``$set`` a sync makes on the held project: the platform's ``fields`` that differ,
    and ``participants`` when the chief changed (the old chief's chief role replaced by the
    new one; every other participant and role kept, FJ-01). Empty: the sync changes nothing
    (a replayed batch), so the version does not move."""
    changes = {k: v for k, v in fields.items() if held.get(k) != v}
    participants = list(held.get("participants", []))
    chiefs = [p for p in participants if p["project_role"] == CHIEF]
    if [(p["user_id"], p["name"], p["org_id"]) for p in chiefs] != [(chief["user_id"], chief["name"], chief["org_id"])]:
        kept = [p for p in participants if p["project_role"] != CHIEF]
        staff = {chief["user_id"]} | {p["user_id"] for p in kept if p["project_role"] in STAFF_ROLES}
        # an old chief who was the feedback person and holds no other staff role is no longer one
        kept = [p for p in kept if p["project_role"] != FEEDBACK or p["user_id"] in staff]
        changes["participants"] = [dict(chief), *kept]
    return changes


def may_manage_staff(actor: Any, project: Mapping[str, Any]) -> bool:
    """FJ-03: the supervision company's administrator, or the project's chief engineer, gives
    the project's staff roles (``actor``: a ``Principal``)."""
    if actor.org_id != project.get("supervision_org_id"):
        return False
    if "company_admin" in actor.roles:
        return True
    return any(p["user_id"] == actor.user_id and p["project_role"] == CHIEF for p in project.get("participants", []))


def check_assignable(project: Mapping[str, Any], role: str, discipline: str | None) -> None:
    """FJ-03: only a platform project takes supervision staff roles; the chief is the
    platform's (403 ``chief-from-platform``); a specialist engineer names the lead
    discipline (422 ``discipline``)."""
    if not project.get("platform_code"):
        raise Unprocessable("supervision staff roles are for projects from the province's platform",
                            field="project_role", slug="not-a-platform-project")
    if role == CHIEF:
        raise Forbidden("the chief supervising engineer comes from the province's platform and is changed there",
                        field="project_role", slug="chief-from-platform")
    if role not in ASSIGNABLE_ROLES:
        raise Unprocessable(f"unknown supervision project role {role}", field="project_role")
    if role == SPECIALIST and not (discipline or "").strip():
        raise Unprocessable("a specialist supervising engineer needs the lead discipline (主导专业)",
                            field="discipline")


def holds_staff_role(project: Mapping[str, Any], user_id: str) -> bool:
    """Whether ``user_id`` is one of the project's supervision staff (chief, specialist, site supervisor)."""
    return any(p["user_id"] == user_id and p["project_role"] in STAFF_ROLES for p in project.get("participants", []))


def check_not_double(project: Mapping[str, Any], user_id: str, role: str) -> None:
    """FJ-03 within the project (the database's role claim decides across projects): a
    specialist engineer is not also the site supervisor (409 ``supervision-role-exclusive``)."""
    if role not in EXCLUSIVE_ROLES:
        return
    for p in project.get("participants", []):
        if p["user_id"] == user_id and p["project_role"] in EXCLUSIVE_ROLES and p["project_role"] != role:
            raise exclusive_conflict(p["project_role"])


def exclusive_conflict(held: str) -> Conflict:
    return Conflict(f"one person is never both specialist supervising engineer and site supervisor "
                    f"(they are {FUJIAN_PROJECT_ROLES[held]} already, in this or another project)",
                    field="user_id", slug="supervision-role-exclusive")


def with_role(project: Mapping[str, Any], person: Mapping[str, Any], role: str, discipline: str | None
              ) -> list[dict[str, Any]]:
    """The participants with ``person`` holding ``role``: the feedback person is one per
    project (a new one replaces the old); the same role given again replaces it (discipline)."""
    entry = {"user_id": person["user_id"], "org_id": person["org_id"], "name": person["name"], "project_role": role}
    if role == SPECIALIST:
        entry["discipline"] = (discipline or "").strip()
    kept = [p for p in project.get("participants", [])
            if not (p["project_role"] == role and (role == FEEDBACK or p["user_id"] == person["user_id"]))]
    return [*kept, entry]


def without_role(project: Mapping[str, Any], user_id: str, role: str) -> list[dict[str, Any]]:
    """The participants without ``user_id``'s ``role``; a feedback person who is no longer
    one of the staff loses the feedback role too (the feedback person is one of the staff)."""
    if role == CHIEF:
        raise Forbidden("the chief supervising engineer comes from the province's platform and is changed there",
                        field="project_role", slug="chief-from-platform")
    rest = [p for p in project.get("participants", []) if not (p["user_id"] == user_id and p["project_role"] == role)]
    if not any(p["user_id"] == user_id and p["project_role"] in STAFF_ROLES for p in rest):
        rest = [p for p in rest if not (p["user_id"] == user_id and p["project_role"] == FEEDBACK)]
    return rest


def missing_roles(project: Mapping[str, Any]) -> list[str]:
    """The required roles the project still lacks (FJ-03): the chief and the feedback person."""
    held = {p["project_role"] for p in project.get("participants", [])}
    return [r for r in (CHIEF, FEEDBACK) if r not in held]
