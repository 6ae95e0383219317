"""projects use cases: register a project, change its supervisors and participants.

Organisations and users are known from identity's events (read models
``organizations`` and ``users``), so a project can only name parties of its own tenant.
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

from pymongo import ReturnDocument

from anjian_shared.auth import Principal
from anjian_shared.events.projects_v1 import Participant, ProjectRegistered, ProjectUpdated
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.pagination import DocPage, paginate
from anjian_shared.problems import Forbidden, NotFound, Unprocessable
from anjian_shared.tenant_policy import require_feature
from anjian_shared.types import new_id, utcnow

from ..domain.model import PARTY_FIELDS, PROJECT_ROLES, may_manage, may_register, visibility_filter


async def ensure_indexes(mongo: Mongo) -> None:
    await mongo.db.projects.create_index([("tenant_id", 1), ("created_at", -1)])
    await mongo.db.projects.create_index([("tenant_id", 1), ("code", 1)], unique=True)


def snapshot(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "project_id": doc["_id"], "code": doc["code"], "name": doc["name"], "address": doc["address"],
        "station_org_id": doc["station_org_id"], "owner_org_id": doc["owner_org_id"],
        "contractor_org_id": doc["contractor_org_id"], "supervision_org_id": doc["supervision_org_id"],
        "supervisor_user_ids": doc["supervisor_user_ids"],
        "participants": [{k: p[k] for k in ("user_id", "org_id", "name", "project_role", "discipline") if k in p}
                         for p in doc["participants"]],
        "status": doc.get("status", "active"), "version": doc.get("version"),
        "platform_code": doc.get("platform_code"), "assessable": doc.get("assessable"),
        **{k: doc.get(k) for k in ("division_code", "filing_id", "civilized_site_standard",
                                   "evaluation_application_id", "civilized_site_level")},
    }


async def check_supervisors(uow: UnitOfWork, station_org_id: str, user_ids: list[str]) -> None:
    """HN-01: every id is a supervisor or leader of ``station_org_id`` (422
    ``supervisor_user_ids``)."""
    await _check_supervisors(uow, station_org_id, user_ids)


async def event_snapshot(uow: UnitOfWork, doc: dict[str, Any]) -> dict[str, Any]:
    """``snapshot(doc)`` plus the names of the station and the three parties from this
    service's organisation directory (``station_name`` …), so a partner acts on a project
    event without calling back (issue 11); a name not known (yet) is left out."""
    fields = {"station_org_id": "station_name", "owner_org_id": "owner_name",
              "contractor_org_id": "contractor_name", "supervision_org_id": "supervision_name"}
    ids = sorted({doc[f] for f in fields if doc.get(f)})
    orgs = await uow.repo("organizations").find({"_id": {"$in": ids}}, limit=len(ids) or 1)
    names = {o["_id"]: o.get("name") for o in orgs if o.get("name")}
    return {**snapshot(doc), **{name: names[doc[f]] for f, name in fields.items() if doc.get(f) in names}}


async def _check_supervisors(uow: UnitOfWork, station_org_id: str, user_ids: list[str]) -> None:
    users = uow.repo("users")
    for uid in user_ids:
        u = await users.get(uid)
        if u is None or u["org_id"] != station_org_id or not {"supervisor", "station_leader"} & set(u["roles"]):
            raise Unprocessable(f"{uid} is not a supervisor of this station", field="supervisor_user_ids")


async def _resolve_participants(uow: UnitOfWork, parties: set[str], items: list[dict[str, Any]]
                                ) -> list[dict[str, Any]]:
    users = uow.repo("users")
    out = []
    for i, p in enumerate(items):
        if p["project_role"] not in PROJECT_ROLES:
            raise Unprocessable(f"unknown project role {p['project_role']}", field=f"participants.{i}.project_role")
        u = await users.get(p["user_id"])
        if u is None or u["org_id"] not in parties:
            raise Unprocessable("participant must be a user of one of the project's companies",
                                field=f"participants.{i}.user_id")
        out.append({"user_id": u["_id"], "org_id": u["org_id"], "name": u["display_name"],
                    "project_role": p["project_role"]})
    return out


async def check_parties(uow: UnitOfWork, data: dict[str, Any]) -> None:
    """HB-02/HN-01: the owner, contractor and supervision company are companies of this tenant
    holding that company role (422 naming the field otherwise)."""
    orgs = uow.repo("organizations")
    for field, role in PARTY_FIELDS.items():
        org = await orgs.get(data[field])
        if org is None or org.get("kind") != "company" or role not in org.get("company_roles", []):
            raise Unprocessable(f"not a registered {role} company", field=field)


async def resolve_participants(uow: UnitOfWork, data: dict[str, Any]) -> list[dict[str, Any]]:
    """HN-01: the participants of ``data`` (``[{user_id, project_role}]``), each a user of one of
    its three parties, with org and name (422 naming ``participants.<i>.…`` otherwise)."""
    return await _resolve_participants(uow, {data[f] for f in PARTY_FIELDS}, data.get("participants", []))


async def insert_project(uow: UnitOfWork, *, tenant: str, station_org_id: str, data: dict[str, Any],
                         participants: list[dict[str, Any]], by: str, action: str = "registered",
                         extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """HB-02/HN-01: write a new project of ``station_org_id`` (numbered from the tenant's yearly
    counter) and emit ``projects.project.registered.v1`` — whether the station registered it or
    accepted an online filing (``action``, ``extra`` fields such as ``filing_id``)."""
    counter = await uow.db["counters"].find_one_and_update(
        {"_id": f"{tenant}:project:{utcnow().year}", "tenant_id": tenant},
        {"$inc": {"seq": 1}}, upsert=True, return_document=ReturnDocument.AFTER, session=uow.session)
    code = f"{utcnow().astimezone(UTC).year}{counter['seq']:05d}"
    doc = await uow.repo("projects").insert({
        "_id": new_id(), "code": code, "name": data["name"], "address": data["address"],
        "station_org_id": station_org_id, "owner_org_id": data["owner_org_id"],
        "contractor_org_id": data["contractor_org_id"], "supervision_org_id": data["supervision_org_id"],
        "supervisor_user_ids": list(dict.fromkeys(data["supervisor_user_ids"])), "participants": participants,
        "status": "active", "version": 1, "created_at": utcnow(), "created_by": by, **(extra or {}),
        "history": [{"at": utcnow(), "by": by, "action": action}]})
    uow.emit("projects.project.registered.v1", subject=doc["_id"],
             data=ProjectRegistered(**await event_snapshot(uow, doc)))
    return doc


async def register_project(*, mongo: Mongo, actor: Principal, data: dict[str, Any],
                           settings: Any = None) -> dict[str, Any]:
    """A station registers a project with its owner, contractor and supervision company
    and assigns supervisors (HB-02 prerequisite, HN-01).

    403 unless a station supervisor/leader; 403 ``feature-disabled`` when the tenant's policy
    does not allow direct registration (``direct_registration``: its projects come in by online
    filing only, HN-01); 422 naming the field when a party is not a company of the right role
    in this tenant, a supervisor is not on the station's staff or a participant is not staff of
    a party.
    """
    if not may_register(actor):
        raise Forbidden("only a supervision station registers projects")
    if settings is not None:
        await require_feature(mongo, actor.tenant, settings, "direct_registration")

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        await check_parties(uow, data)
        await _check_supervisors(uow, actor.org_id, data["supervisor_user_ids"])
        participants = await resolve_participants(uow, data)
        return await insert_project(uow, tenant=actor.tenant, station_org_id=actor.org_id, data=data,
                                    participants=participants, by=actor.user_id)

    return await with_transaction(mongo, actor.tenant, fn)


async def get_visible(*, mongo: Mongo, actor: Principal, project_id: str) -> dict[str, Any]:
    """The project if the actor may see it; 404 otherwise (also for other tenants)."""
    doc = await mongo.repo("projects", actor.tenant).find_one({"_id": project_id, **visibility_filter(actor)})
    if doc is None:
        raise NotFound("project not found")
    return doc


async def with_names(mongo: Mongo, tenant: str, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``docs`` with ``names``: ``{"orgs": {org_id: name}, "users": {user_id: name}}`` for the
    station, the three parties and the supervisors, from this service's organisation and user
    directories (read models kept from identity's events; one query each for all ``docs``).
    An id not in a directory (yet) is left out: the view shows the id."""
    org_ids = {d[f] for d in docs for f in ("station_org_id", *PARTY_FIELDS) if d.get(f)}
    user_ids = {u for d in docs for u in d.get("supervisor_user_ids", [])}
    orgs = await mongo.repo("organizations", tenant).find({"_id": {"$in": sorted(org_ids)}}, limit=len(org_ids) or 1)
    users = await mongo.repo("users", tenant).find({"_id": {"$in": sorted(user_ids)}}, limit=len(user_ids) or 1)
    names = {"orgs": {o["_id"]: o.get("name") for o in orgs if o.get("name")},
             "users": {u["_id"]: u.get("display_name") for u in users if u.get("display_name")}}
    return [{**d, "names": names} for d in docs]


async def get_project(*, mongo: Mongo, actor: Principal, project_id: str) -> dict[str, Any]:
    """``GET /projects/{id}``: the project if the actor may see it (404 otherwise), with the
    names of its station, parties and supervisors (``with_names``)."""
    doc = await get_visible(mongo=mongo, actor=actor, project_id=project_id)
    return (await with_names(mongo, actor.tenant, [doc]))[0]


async def list_projects(*, mongo: Mongo, actor: Principal, q: str | None = None, positioned: bool | None = None,
                        limit: int, cursor: str | None = None) -> DocPage:
    """The projects the actor may see (participants their own), newest first, each with the
    names of its parties (``with_names``); ``q``: the name
    contains it (HN-03 工程列表 keyword), ``positioned``: with / still without a position
    (HN-03). One page of ``limit``; 422 naming ``cursor`` for a bad cursor."""
    conditions: list[dict[str, Any]] = []
    visible = visibility_filter(actor)
    if visible:
        conditions.append(visible)
    if q:
        conditions.append({"name": {"$regex": re.escape(q)}})
    if positioned is not None:
        conditions.append({"positioning": {"$exists": positioned}})
    flt: dict[str, Any] = {"$and": conditions} if len(conditions) > 1 else (conditions[0] if conditions else {})
    page = await paginate(mongo.repo("projects", actor.tenant), flt, limit=limit, cursor=cursor)
    return DocPage(await with_names(mongo, actor.tenant, page.items), page.next_cursor)


async def _change(*, mongo: Mongo, actor: Principal, project_id: str, action: str,
                  mutate: Any) -> dict[str, Any]:
    await get_visible(mongo=mongo, actor=actor, project_id=project_id)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        projects = uow.repo("projects")
        doc = await projects.get(project_id)
        assert doc is not None
        if not may_manage(actor, doc):
            raise Forbidden("only the supervising station changes the project")
        changes = await mutate(uow, doc)
        updated = await projects.update({"_id": project_id}, {
            "$set": {**changes, "updated_at": utcnow()}, "$inc": {"version": 1},
            "$push": {"history": {"at": utcnow(), "by": actor.user_id, "action": action}}})
        assert updated is not None
        uow.emit("projects.project.updated.v1", subject=project_id,
                 data=ProjectUpdated(**await event_snapshot(uow, updated)))
        return updated

    return await with_transaction(mongo, actor.tenant, fn)


async def set_supervisors(*, mongo: Mongo, actor: Principal, project_id: str, user_ids: list[str]) -> dict[str, Any]:
    """Assign the project's supervisors (监督员) from the station's staff."""
    async def mutate(uow: UnitOfWork, doc: dict[str, Any]) -> dict[str, Any]:
        await _check_supervisors(uow, doc["station_org_id"], user_ids)
        return {"supervisor_user_ids": list(dict.fromkeys(user_ids))}

    return await _change(mongo=mongo, actor=actor, project_id=project_id, action="supervisors_set", mutate=mutate)


async def add_participant(*, mongo: Mongo, actor: Principal, project_id: str,
                          participant: dict[str, Any]) -> dict[str, Any]:
    """Name a person of one of the parties on the project with a project role."""
    async def mutate(uow: UnitOfWork, doc: dict[str, Any]) -> dict[str, Any]:
        parties = {doc[f] for f in PARTY_FIELDS}
        [p] = await _resolve_participants(uow, parties, [participant])
        kept = [x for x in doc["participants"]
                if not (x["user_id"] == p["user_id"] and x["project_role"] == p["project_role"])]
        return {"participants": [*kept, p]}

    return await _change(mongo=mongo, actor=actor, project_id=project_id, action="participant_added", mutate=mutate)


async def remove_participant(*, mongo: Mongo, actor: Principal, project_id: str, user_id: str) -> dict[str, Any]:
    """Take a person off the project (all their project roles)."""
    async def mutate(uow: UnitOfWork, doc: dict[str, Any]) -> dict[str, Any]:
        if not any(p["user_id"] == user_id for p in doc["participants"]):
            raise NotFound("participant not found")
        return {"participants": [p for p in doc["participants"] if p["user_id"] != user_id]}

    return await _change(mongo=mongo, actor=actor, project_id=project_id, action="participant_removed",
                         mutate=mutate)


def participant_model(p: dict[str, Any]) -> Participant:
    return Participant(**p)
