"""Use cases of spot-check plans (抽查计划), HB-02/HB-03.

Each use case is a keyword-only async function; the ones that change state run in one
MongoDB transaction (``with_transaction``) that also writes their events to the outbox.
The plan document is the aggregate: every change to a plan, or to one of its results,
writes the plan document, so concurrent changes conflict and are retried against the
new state (e.g. a withdraw racing the first result).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import structlog

from anjian_shared.auth import Principal
from anjian_shared.events.common import PersonRef
from anjian_shared.events.inspections_v1 import PlanChanged, PlanConfirmed, PlanWithdrawn
from anjian_shared.media import discard
from anjian_shared.mongo import Mongo, TenantRepository, UnitOfWork, with_transaction
from anjian_shared.pagination import paginate
from anjian_shared.problems import Conflict, NotFound
from anjian_shared.storage import Storage
from anjian_shared.types import new_id, utcnow

from ..adapters.repositories import PLAN_AUDIT, PLAN_NOTICES, PLANS, PROJECTS, RESULTS, USERS
from ..domain import plans as rules
from ..domain.plans import PlanFacts, PlanStatus
from .directory import person_names, projects_by_id

log = structlog.get_logger("inspections.plans")

PLAN_CONFIRMED = "inspections.plan.confirmed.v1"
PLAN_CHANGED = "inspections.plan.changed.v1"
PLAN_WITHDRAWN = "inspections.plan.withdrawn.v1"


async def load_plan(repo: TenantRepository, plan_id: str, principal: Principal) -> tuple[dict[str, Any], PlanFacts]:
    """The plan ``plan_id`` if ``principal`` may see it (HB-03), with its facts; 404 otherwise
    (unknown id, another tenant's plan, or somebody else's draft look the same)."""
    doc = await repo.get(plan_id)
    if doc is None:
        raise NotFound("plan not found")
    facts = PlanFacts.from_doc(doc)
    if not rules.can_see(facts, principal):
        raise NotFound("plan not found")
    return doc, facts


async def _team_and_projects(uow: UnitOfWork, principal: Principal, *, project_ids: list[str],
                             supervisor_user_ids: list[str], responsible_supervisor_id: str | None,
                             creator_id: str) -> tuple[list[str], list[str], str, list[dict[str, Any]]]:
    known = await projects_by_id(uow.repo(PROJECTS), project_ids)
    ids = rules.validate_projects(project_ids, known, principal.org_id)
    projects = [known[p] for p in ids]
    team, responsible = rules.validate_team(creator_id=creator_id, supervisor_user_ids=supervisor_user_ids,
                                            responsible_supervisor_id=responsible_supervisor_id,
                                            projects=projects)
    return ids, team, responsible, projects


async def resolve_people(uow: UnitOfWork, principal: Principal, user_ids: list[str],
                         projects: list[dict[str, Any]], existing: dict[str, str] | None = None) -> dict[str, str]:
    """Names of ``user_ids`` (user id → display name): the user directory, else names already
    on the plan (``existing``), project participants, or the caller's token name."""
    known = dict(existing or {})
    known[principal.user_id] = principal.name or known.get(principal.user_id, "")
    return await person_names(uow.repo(USERS), user_ids, known=known, projects=projects)


def _project_names(projects: list[dict[str, Any]]) -> dict[str, str]:
    return {p["project_id"]: p["name"] for p in projects}


async def create_plan(*, mongo: Mongo, principal: Principal, title: str, project_ids: list[str],
                      planned_date: date, supervisor_user_ids: list[str],
                      responsible_supervisor_id: str | None) -> dict[str, Any]:
    """HB-02 制定抽查计划: a station's supervisor or leader makes a draft plan.

    ``project_ids`` must be projects of the caller's station in this tenant (422
    ``project_ids``); the team ``supervisor_user_ids`` includes the caller and only
    supervisors of those projects (422 ``supervisor_user_ids``); the responsible supervisor
    defaults to the caller and is one of the team (422 ``responsible_supervisor_id``).
    Returns the stored plan document (status ``draft``).
    """
    rules.ensure_planner(principal)

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        ids, team, responsible, projects = await _team_and_projects(
            uow, principal, project_ids=project_ids, supervisor_user_ids=supervisor_user_ids,
            responsible_supervisor_id=responsible_supervisor_id, creator_id=principal.user_id)
        now = utcnow()
        doc = {
            "_id": new_id(), "title": title, "status": PlanStatus.DRAFT.value,
            "station_org_id": principal.org_id, "project_ids": ids, "project_names": _project_names(projects),
            "planned_date": planned_date.isoformat(), "supervisor_user_ids": team,
            "responsible_supervisor_id": responsible, "created_by": principal.user_id,
            "people": await resolve_people(uow, principal, team, projects),
            "result_count": 0, "signature": None, "seal": None, "submission": None,
            "created_at": now, "updated_at": now, "confirmed_at": None, "submitted_at": None,
            "history": [rules.history_entry("created", principal, now, title=title, project_ids=ids,
                                            planned_date=planned_date.isoformat(), supervisor_user_ids=team,
                                            responsible_supervisor_id=responsible)],
        }
        return await uow.repo(PLANS).insert(doc)

    return await with_transaction(mongo, principal.tenant, apply)


async def list_plans(*, mongo: Mongo, principal: Principal, status: PlanStatus | None, project_id: str | None,
                     limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """HB-03 日常抽查 list: the plans the caller may see (own plans in any state; confirmed and
    submitted plans of their teams; a station leader also those of the station), newest first."""
    rules.ensure_planner(principal)
    clauses: list[dict[str, Any]] = [rules.visibility_filter(principal)]
    if status is not None:
        clauses.append({"status": status.value})
    if project_id:
        clauses.append({"project_ids": project_id})
    flt = clauses[0] if len(clauses) == 1 else {"$and": clauses}
    return await paginate(mongo.repo(PLANS, principal.tenant), flt, limit=limit, cursor=cursor)


async def get_plan(*, mongo: Mongo, principal: Principal, plan_id: str) -> dict[str, Any]:
    """One plan the caller may see (404 otherwise), with ``notices``: the 告知书 issued from it
    once submitted (``notice_id``, ``number``, ``project_id``, ``project_name``, ``title``,
    ``rectification_date``, ``issued_at``; by number), as the notices service announced them
    (``notices.notice.issued.v1``: a second or two after submission, empty before)."""
    rules.ensure_planner(principal)
    doc, _ = await load_plan(mongo.repo(PLANS, principal.tenant), plan_id, principal)
    notices = await mongo.repo(PLAN_NOTICES, principal.tenant).find({"plan_id": plan_id}, limit=200)
    return {**doc, "notices": sorted(notices, key=lambda n: n["number"])}


async def update_plan(*, mongo: Mongo, storage: Storage, principal: Principal, plan_id: str,
                      changes: dict[str, Any]) -> dict[str, Any]:
    """HB-03 修改: the creator changes title, projects, planned date, team or responsible
    supervisor of a draft plan, or of a confirmed plan without results (409 otherwise; 409
    once submitted; 403 for anyone else). The team rules of ``create_plan`` apply again.
    A change of a CONFIRMED plan (its team sees it) emits ``inspections.plan.changed.v1``
    (who joined, who left, the new date): reporting tells the new members, withdraws the
    removed members' notifications and tells the others of a new date."""
    rules.ensure_planner(principal)

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        dropped.clear()  # a retried transaction starts over
        repo = uow.repo(PLANS)
        doc, facts = await load_plan(repo, plan_id, principal)
        rules.ensure_can_modify(facts, principal.user_id)
        ids, team, responsible, projects = await _team_and_projects(
            uow, principal,
            project_ids=changes.get("project_ids") or doc["project_ids"],
            supervisor_user_ids=changes.get("supervisor_user_ids") or doc["supervisor_user_ids"],
            responsible_supervisor_id=changes.get("responsible_supervisor_id") or doc["responsible_supervisor_id"],
            creator_id=doc["created_by"])
        after = {"title": changes.get("title") or doc["title"], "project_ids": ids,
                 "planned_date": (changes["planned_date"].isoformat() if changes.get("planned_date")
                                  else doc["planned_date"]),
                 "supervisor_user_ids": team, "responsible_supervisor_id": responsible}
        diff = rules.changed_fields(doc, after)
        if not diff:
            return doc
        now = utcnow()
        fields = {**after, "project_names": _project_names(projects), "updated_at": now,
                  "people": await resolve_people(uow, principal, team, projects, doc.get("people"))}
        if responsible != doc["responsible_supervisor_id"]:
            # the signature belongs to the responsible supervisor: a new one signs again
            fields["signature"] = None
            fields["seal"] = None
        updated = await repo.update(
            {"_id": plan_id, "status": facts.status.value, "result_count": 0},
            {"$set": fields, "$push": {"history": rules.history_entry("updated", principal, now, **diff)}})
        if updated is None:
            raise Conflict("the plan changed meanwhile; reload and try again")
        dropped.extend(doc.get(k) for k in ("signature", "seal") if k in fields)
        if facts.status is PlanStatus.CONFIRMED:
            uow.emit(PLAN_CHANGED, subject=plan_id, data=_changed_event(doc, updated, principal, now))
        return updated

    dropped: list[Any] = []
    updated = await with_transaction(mongo, principal.tenant, apply)
    await discard_media(storage, dropped)
    return updated


def _changed_event(before: dict[str, Any], after: dict[str, Any], principal: Principal, now: Any) -> PlanChanged:
    """HB-03: the ``inspections.plan.changed.v1`` payload of a confirmed plan's change."""
    old_team, team = before["supervisor_user_ids"], after["supervisor_user_ids"]
    people, names = after.get("people", {}), after.get("project_names", {})
    return PlanChanged(
        plan_id=after["_id"], title=after["title"], planned_date=date.fromisoformat(after["planned_date"]),
        previous_planned_date=date.fromisoformat(before["planned_date"]), project_ids=after["project_ids"],
        project_names=[names.get(p, p) for p in after["project_ids"]], previous_project_ids=before["project_ids"],
        responsible_supervisor=PersonRef(user_id=after["responsible_supervisor_id"],
                                         name=people.get(after["responsible_supervisor_id"], "")),
        supervisors=[PersonRef(user_id=u, name=people.get(u, "")) for u in team],
        added_user_ids=[u for u in team if u not in old_team], removed_user_ids=[u for u in old_team if u not in team],
        changed_by=principal.user_id, changed_at=now)


async def delete_plan(*, mongo: Mongo, storage: Storage, principal: Principal, plan_id: str) -> None:
    """HB-03 删除: the creator deletes a plan without results that is not submitted (409
    otherwise, 403 for anyone else). An audit line stays in ``plan_audit``; the signature and
    seal objects are removed from storage after the commit."""
    rules.ensure_planner(principal)

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        repo = uow.repo(PLANS)
        doc, facts = await load_plan(repo, plan_id, principal)
        rules.ensure_can_delete(facts, principal.user_id)
        if await uow.repo(RESULTS).count({"plan_id": plan_id}):
            raise Conflict("the plan has inspection results and cannot be deleted", slug="plan-has-results")
        if not await repo.delete({"_id": plan_id, "status": facts.status.value, "result_count": 0}):
            raise Conflict("the plan changed meanwhile; reload and try again")
        now = utcnow()
        await uow.repo(PLAN_AUDIT).insert({
            "_id": new_id(), "plan_id": plan_id, "title": doc["title"], "created_at": now,
            "history": [*doc.get("history", []), rules.history_entry("deleted", principal, now)]})
        return doc

    doc = await with_transaction(mongo, principal.tenant, apply)
    await discard_media(storage, [doc.get("signature"), doc.get("seal")])


async def confirm_plan(*, mongo: Mongo, principal: Principal, plan_id: str) -> dict[str, Any]:
    """HB-03 确认: the creator confirms a draft; the team then sees it and may inspect. Emits
    ``inspections.plan.confirmed.v1`` (reporting notifies the other supervisors, 站内通知).
    403 for anyone else, 409 unless draft."""
    rules.ensure_planner(principal)

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        repo = uow.repo(PLANS)
        doc, facts = await load_plan(repo, plan_id, principal)
        rules.ensure_can_confirm(facts, principal.user_id)
        projects = list((await projects_by_id(uow.repo(PROJECTS), doc["project_ids"])).values())
        people = await resolve_people(uow, principal, doc["supervisor_user_ids"], projects, doc.get("people"))
        names = {**doc.get("project_names", {}), **_project_names(projects)}
        now = utcnow()
        updated = await repo.update(
            {"_id": plan_id, "status": PlanStatus.DRAFT.value},
            {"$set": {"status": PlanStatus.CONFIRMED.value, "confirmed_at": now, "updated_at": now,
                      "people": people, "project_names": names},
             "$push": {"history": rules.history_entry("confirmed", principal, now)}})
        if updated is None:
            raise Conflict("the plan changed meanwhile; reload and try again")
        uow.emit(PLAN_CONFIRMED, subject=plan_id, data=PlanConfirmed(
            plan_id=plan_id, title=doc["title"], planned_date=date.fromisoformat(doc["planned_date"]),
            project_ids=doc["project_ids"], project_names=[names.get(p, p) for p in doc["project_ids"]],
            responsible_supervisor=PersonRef(user_id=doc["responsible_supervisor_id"],
                                             name=people[doc["responsible_supervisor_id"]]),
            supervisors=[PersonRef(user_id=u, name=people[u]) for u in doc["supervisor_user_ids"]],
            confirmed_by=principal.user_id, confirmed_at=now))
        return updated

    return await with_transaction(mongo, principal.tenant, apply)


async def withdraw_plan(*, mongo: Mongo, principal: Principal, plan_id: str) -> dict[str, Any]:
    """HB-03 撤回: the creator takes a confirmed plan back to draft; refused (409) once the plan
    has any inspection result (已产生检查记录的计划不可撤回) or is submitted; 403 for others.
    Emits ``inspections.plan.withdrawn.v1``: the team no longer sees the plan, reporting
    withdraws their notifications of it."""
    rules.ensure_planner(principal)

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        repo = uow.repo(PLANS)
        doc, facts = await load_plan(repo, plan_id, principal)
        rules.ensure_can_withdraw(facts, principal.user_id)
        now = utcnow()
        updated = await repo.update(
            {"_id": plan_id, "status": PlanStatus.CONFIRMED.value, "result_count": 0},
            {"$set": {"status": PlanStatus.DRAFT.value, "confirmed_at": None, "updated_at": now},
             "$push": {"history": rules.history_entry("withdrawn", principal, now)}})
        if updated is None:
            raise Conflict("the plan has inspection results and cannot be withdrawn", slug="plan-has-results")
        uow.emit(PLAN_WITHDRAWN, subject=plan_id, data=PlanWithdrawn(
            plan_id=plan_id, title=doc["title"], supervisor_user_ids=doc["supervisor_user_ids"],
            withdrawn_by=principal.user_id, withdrawn_at=now, planned_date=doc.get("planned_date"),
            project_ids=doc.get("project_ids"),
            project_names=[doc.get("project_names", {}).get(i, "") for i in doc.get("project_ids", [])]))
        return updated

    return await with_transaction(mongo, principal.tenant, apply)


async def discard_media(storage: Storage, refs: list[Any]) -> None:
    """Best-effort removal of objects no record points to any more (after a commit):
    ``anjian_shared.media.discard``."""
    await discard(storage, refs)
