"""FJ-03: the supervision company's staff on a Fujian platform project.

The company administrator or the project's chief supervising engineer gives the company's
users project roles: specialist supervising engineer (专业监理工程师, with the lead
discipline), site supervisor (监理员), feedback person (反馈人, one per project, one of the
project's supervision staff). The chief comes from the platform (read-only here).

One person is never specialist engineer AND site supervisor, in one project or across
projects. The database decides it: collection ``supervision_role_claims`` holds one claim
per (tenant, person) — unique index — naming the exclusive role the person holds and the
projects where they hold it. Giving a role reads the claim in the same transaction as the
project: a claim of the other role refuses (409 ``supervision-role-exclusive``); two first
assignments at once both try to insert the claim and the unique index lets one through,
the other runs again and then sees it. Every change publishes ``projects.project.updated.v1``.
"""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from anjian_shared.auth import Principal
from anjian_shared.events.projects_v1 import ProjectUpdated
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.problems import Forbidden, NotFound, Unprocessable
from anjian_shared.types import new_id, utcnow

from ..domain import platform
from .use_cases import event_snapshot, get_visible

CLAIMS = "supervision_role_claims"


async def ensure_indexes(mongo: Mongo) -> None:
    """One exclusive-role claim per person per tenant (FJ-03)."""
    await mongo.db[CLAIMS].create_index([("tenant_id", 1), ("user_id", 1)], unique=True,
                                        name="one_exclusive_role_per_person")


async def _claim(uow: UnitOfWork, user_id: str, role: str, project_id: str) -> None:
    claims = uow.repo(CLAIMS)
    held = await claims.find_one({"user_id": user_id})
    if held is None:
        await claims.insert({"_id": new_id(), "user_id": user_id, "role": role, "project_ids": [project_id],
                             "at": utcnow()})  # DuplicateKeyError: a concurrent first claim won
        return
    if held["role"] != role:
        raise platform.exclusive_conflict(held["role"])
    await claims.update({"_id": held["_id"]}, {"$addToSet": {"project_ids": project_id}})


async def _release(uow: UnitOfWork, user_id: str, role: str, project_id: str) -> None:
    claims = uow.repo(CLAIMS)
    held = await claims.find_one({"user_id": user_id, "role": role})
    if held is None:
        return
    rest = [p for p in held.get("project_ids", []) if p != project_id]
    if rest:
        await claims.update({"_id": held["_id"]}, {"$set": {"project_ids": rest}})
    else:
        await claims.delete({"_id": held["_id"]})


async def _change(*, mongo: Mongo, actor: Principal, project_id: str, action: str, mutate: Any) -> dict[str, Any]:
    project = await get_visible(mongo=mongo, actor=actor, project_id=project_id)
    if not platform.may_manage_staff(actor, project):
        raise Forbidden("only the supervision company's administrator or the project's chief engineer "
                        "gives project roles", slug="not-project-staff-manager")

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        projects = uow.repo("projects")
        doc = await projects.get(project_id)
        if doc is None:
            raise NotFound("project not found")
        participants = await mutate(uow, doc)
        updated = await projects.update({"_id": project_id}, {
            "$set": {"participants": participants, "updated_at": utcnow()}, "$inc": {"version": 1},
            "$push": {"history": {"at": utcnow(), "by": actor.user_id, "action": action}}})
        assert updated is not None
        uow.emit("projects.project.updated.v1", subject=project_id,
                 data=ProjectUpdated(**await event_snapshot(uow, updated)))
        return updated

    for attempt in range(5):
        try:
            return await with_transaction(mongo, actor.tenant, fn)
        except DuplicateKeyError:  # a concurrent first claim of the same person: decide again
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


async def assign_role(*, mongo: Mongo, actor: Principal, project_id: str, user_id: str, project_role: str,
                      discipline: str | None = None) -> dict[str, Any]:
    """FJ-03: give ``user_id`` (a user of the project's supervision company) ``project_role``
    (``specialist_supervising_engineer`` with ``discipline``, ``site_supervisor``,
    ``feedback_person``) on a platform project. Giving a role held already changes nothing
    but the discipline; a new feedback person replaces the old one.

    404 project not visible / other tenant; 403 ``not-project-staff-manager`` unless the
    company administrator or the project's chief; 403 ``chief-from-platform`` for the chief's
    role; 422 ``not-a-platform-project``, ``discipline`` missing, ``user_id`` not an enabled user
    of the supervision company, ``feedback-person-not-staff`` (the feedback person must be the
    chief, a specialist engineer or a site supervisor of the project); 409
    ``supervision-role-exclusive`` when the person is the other of specialist engineer / site
    supervisor here or in any project."""
    async def mutate(uow: UnitOfWork, doc: dict[str, Any]) -> list[dict[str, Any]]:
        platform.check_assignable(doc, project_role, discipline)
        user = await uow.repo("users").get(user_id)
        if user is None or user.get("org_id") != doc["supervision_org_id"] or not user.get("enabled", True):
            raise Unprocessable("not an enabled user of the project's supervision company", field="user_id",
                                slug="not-company-staff")
        if project_role == platform.FEEDBACK and not platform.holds_staff_role(doc, user_id):
            raise Unprocessable("the feedback person is one of the project's supervision staff (chief, "
                                "specialist engineer or site supervisor): give them that role first",
                                field="user_id", slug="feedback-person-not-staff")
        platform.check_not_double(doc, user_id, project_role)
        if project_role in platform.EXCLUSIVE_ROLES:
            await _claim(uow, user_id, project_role, doc["_id"])
        person = {"user_id": user_id, "org_id": user["org_id"], "name": user.get("display_name") or user_id}
        return platform.with_role(doc, person, project_role, discipline)

    return await _change(mongo=mongo, actor=actor, project_id=project_id, action=f"role_assigned:{project_role}",
                         mutate=mutate)


async def remove_role(*, mongo: Mongo, actor: Principal, project_id: str, user_id: str,
                      project_role: str) -> dict[str, Any]:
    """FJ-03: take ``project_role`` from ``user_id`` on the project (a feedback person who is
    then no longer one of the staff loses that role too). 404 project not visible, or the
    person does not hold the role (``role-not-held``); 403 as for ``assign_role``, and
    ``chief-from-platform`` for the chief."""
    async def mutate(uow: UnitOfWork, doc: dict[str, Any]) -> list[dict[str, Any]]:
        if not any(p["user_id"] == user_id and p["project_role"] == project_role for p in doc["participants"]):
            raise NotFound("the person does not hold this role on the project", slug="role-not-held")
        rest = platform.without_role(doc, user_id, project_role)
        if project_role in platform.EXCLUSIVE_ROLES:
            await _release(uow, user_id, project_role, doc["_id"])
        return rest

    return await _change(mongo=mongo, actor=actor, project_id=project_id, action=f"role_removed:{project_role}",
                         mutate=mutate)
