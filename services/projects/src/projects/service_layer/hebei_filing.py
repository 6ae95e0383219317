"""Hebei project filings (HEB-04 安全监督备案, HEB-05 综合评定, HEB-08 文明工地申报): use cases.

HN-01's filing machinery (``service_layer.filing``: ``load``/``save`` of the ``filings``
store, the ``anjian_shared.applications`` lifecycle, the parties' checks, ``insert_project``)
with Hebei's extras: the project's division and the station of its jurisdiction
(``anjian_shared.divisions.authority_for``, the rule equipment uses), the contractor's B/C
personnel from personnel's read model ``company_people`` (HEB-11; a person not yet known →
409 + Retry-After), the civilized-site standard, 600 KB attachments (``MediaIntake``, tenant
limit ``application_attachment_max_bytes``). Every stage change emits
``projects.application.<stage>.v1``; accepting a filing registers the project
(``projects.project.registered.v1``), approving an evaluation or a civilized site updates it
(``projects.project.updated.v1``).
"""

from __future__ import annotations

from typing import Any

from anjian_shared import divisions
from anjian_shared.applications import Application, Stage, new_application
from anjian_shared.china_time import china_day
from anjian_shared.errors import Forbidden, NotFound, Unprocessable
from anjian_shared.events.common import PersonRef
from anjian_shared.events.projects_v1 import ProjectApplicationStageChanged, ProjectUpdated
from anjian_shared.media import MediaIntake, MediaPolicy, Upload
from anjian_shared.mongo import UnitOfWork, UnitOfWorkFactory, with_transaction
from anjian_shared.pagination import DocPage, paginate
from anjian_shared.principal import Principal
from anjian_shared.tenant_policy import require_feature
from anjian_shared.types import new_id, utcnow

from ..domain import filing as hn01
from ..domain import hebei_filing as rules
from ..domain.model import visibility_filter
from . import use_cases
from .filing import FILINGS, load, save

FEATURE = "supervision_filing"
PEOPLE = "company_people"
"""Personnel's company people (HEB-11), kept from ``personnel.company_person.saved.v1``."""
AUTHORITY_KINDS = ("authority", "station")


def _emit(uow: UnitOfWork, before: Application | None, after: Application, principal: Principal,
          project_id: str | None, level: str | None = None) -> None:
    uow.emit(f"projects.application.{after.stage.value}.v1", subject=after.id, data=ProjectApplicationStageChanged(
        application_id=after.id, kind=after.kind, from_stage=before.stage.value if before else None,
        to_stage=after.stage.value, stage_label=after.stage_label, applicant_org_id=after.applicant.org_id,
        authority_org_id=after.authority_org_id, project_id=project_id, level=level,
        comment=after.history[-1].comment if after.history else "",
        by=PersonRef(user_id=principal.user_id, name=principal.name), at=utcnow()))


async def _check_people(uow: UnitOfWork, form: dict[str, Any]) -> None:
    contractor = form["parties"]["contractor"]["org_id"]
    people = uow.repo(PEOPLE)
    today = china_day(utcnow())
    for field, person_id, categories in rules.named_people(form):
        rules.check_contractor_person(field, person_id, await people.get(person_id), contractor, categories, today)


async def _validated_form(uow: UnitOfWork, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    hn01.ensure_owner(principal, await uow.repo("organizations").get(principal.org_id))
    rules.check_division(data["division_code"])
    rules.check_standard(data["civilized_site_standard"])
    parties = data["parties"]
    form = {"name": data["name"], "address": data["address"], "division_code": data["division_code"],
            "station_org_id": data.get("station_org_id"), "civilized_site_standard": data["civilized_site_standard"],
            "owner_org_id": principal.org_id, "contractor_org_id": parties["contractor"]["org_id"],
            "supervision_org_id": parties["supervision"]["org_id"],
            "parties": {"contractor": dict(parties["contractor"]), "supervision": dict(parties["supervision"])},
            "participants": [dict(p) for p in data.get("participants", [])]}
    try:
        await use_cases.check_parties(uow, form)
    except Unprocessable as exc:  # name the field as the form spells it
        party = {"contractor_org_id": "contractor", "supervision_org_id": "supervision"}.get(exc.field or "", "")
        raise Unprocessable(str(exc), field=f"parties.{party}.org_id" if party else exc.field) from exc
    await _check_people(uow, form)
    form["participants"] = await use_cases.resolve_participants(uow, form)
    return form


async def _station_for(uow: UnitOfWork, form: dict[str, Any]) -> dict[str, Any]:
    """HEB-04: the station (or authority) whose jurisdiction covers the project's division."""
    authorities = await uow.repo("organizations").find(
        {"kind": {"$in": list(AUTHORITY_KINDS)}, "division_code": {"$type": "string"}}, limit=2000)
    return divisions.authority_for(form["division_code"], authorities, requested=form.get("station_org_id"),
                                   field="station_org_id")


async def create_filing(*, mongo: UnitOfWorkFactory, settings: Any, principal: Principal,
                        data: dict[str, Any]) -> dict[str, Any]:
    """HEB-04 安全监督备案 (draft) by a user of an owner company: ``name``, ``address``,
    ``division_code`` (GB/T 2260), optional ``station_org_id``, ``civilized_site_standard``
    (none | municipal | provincial), ``parties.contractor`` (``org_id``,
    ``project_leader_person_id`` B, ``safety_officer_person_ids`` C), ``parties.supervision``
    (``org_id``), ``participants``. 403 ``feature-disabled`` / ``not-an-owner``; 409
    ``person-not-yet-known`` (+ Retry-After); 422 naming the field (``parties.contractor.…``:
    person of another company, removed, wrong category, certificate expired)."""
    await require_feature(mongo, principal.tenant, settings, FEATURE)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        form = await _validated_form(uow, principal, data)
        app = new_application(id=new_id(), kind=rules.SUPERVISION_FILING, by=hn01.actor_of(principal), form=form,
                              at=utcnow())
        return await uow.repo(FILINGS).insert(app.to_doc())

    return await with_transaction(mongo, principal.tenant, fn)


async def edit_filing(*, mongo: UnitOfWorkFactory, settings: Any, principal: Principal, filing_id: str,
                      data: dict[str, Any]) -> dict[str, Any]:
    """HEB-04: the owner corrects a draft or returned filing (as ``create_filing``; 403
    ``not-applicant``; 409 ``application-not-draft``; 404 not visible)."""
    await require_feature(mongo, principal.tenant, settings, FEATURE)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        app = await load(uow, principal, filing_id, rules.SUPERVISION_FILING)
        form = await _validated_form(uow, principal, data)
        return await save(uow, app, app.edit(hn01.actor_of(principal), form, utcnow()))

    return await with_transaction(mongo, principal.tenant, fn)


async def add_attachment(*, mongo: UnitOfWorkFactory, storage: Any, settings: Any, principal: Principal,
                         filing_id: str, upload: Upload) -> dict[str, Any]:
    """HEB-04/17: one attachment (PDF, DOCX, XLSX, JPEG, PNG; sniffed) of a draft or returned
    filing, at most the tenant's ``application_attachment_max_bytes`` (Hebei 600 KB): 413
    ``attachment-too-large`` naming the limit and asking to split the file; 415 another type;
    403/404/409 as for editing. Nothing stays in S3 when refused."""
    policy = await require_feature(mongo, principal.tenant, settings, FEATURE)
    limit = policy.limit("application_attachment_max_bytes")

    async def check(uow: UnitOfWork) -> None:
        app = await load(uow, principal, filing_id, rules.SUPERVISION_FILING)
        app.edit(hn01.actor_of(principal), app.form, utcnow())  # the same checks as an edit

    await with_transaction(mongo, principal.tenant, check)
    async with MediaIntake(storage, tenant=principal.tenant, folder=f"filings/{filing_id}") as intake:
        [ref] = await intake.take([upload], MediaPolicy.attachment(max_bytes=limit, field="file", split_hint=True))

        async def fn(uow: UnitOfWork) -> dict[str, Any]:
            app = await load(uow, principal, filing_id, rules.SUPERVISION_FILING)
            doc = await uow.repo(FILINGS).get(filing_id) or {}
            after = app.edit(hn01.actor_of(principal), app.form, utcnow())
            return await save(uow, app, after,
                              attachments=[*doc.get("attachments", []), ref.model_dump(mode="json")])

        return await with_transaction(mongo, principal.tenant, fn)


async def submit_filing(*, mongo: UnitOfWorkFactory, settings: Any, principal: Principal,
                        filing_id: str) -> dict[str, Any]:
    """HEB-04 上报 to the station whose jurisdiction covers ``division_code`` (the named
    ``station_org_id`` must be it: 422 ``wrong-authority``; ``authority-ambiguous`` /
    ``no-authority-for-division``). The contractor's people are checked again: a certificate
    that expired meanwhile → 422, a person not yet known → 409 + Retry-After. 403
    ``not-applicant``; 409 ``application-not-draft``; 404 not visible."""
    await require_feature(mongo, principal.tenant, settings, FEATURE)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        app = await load(uow, principal, filing_id, rules.SUPERVISION_FILING)
        await _check_people(uow, app.form)
        station = await _station_for(uow, app.form)
        after = app.submit(hn01.actor_of(principal), station["_id"], utcnow())
        _emit(uow, app, after, principal, None)
        return await save(uow, app, after)

    return await with_transaction(mongo, principal.tenant, fn)


async def decide_filing(*, mongo: UnitOfWorkFactory, settings: Any, principal: Principal, filing_id: str,
                        action: str, comment: str | None, supervisor_user_ids: list[str] | None) -> dict[str, Any]:
    """HEB-04 受理 / 退回 / 不予受理 by a supervisor or leader of the addressed station, as HN-01:
    ``accept`` with 1..50 ``supervisor_user_ids`` registers the project (``project_id``; its
    division, filing and civilized-site standard on it; its parties' companies and participants
    see it from now on). 403 ``role-required`` / ``not-addressed-authority``; 404; 409 stage /
    ``filing-changed``; 422 ``comment`` / ``supervisor_user_ids``."""
    await require_feature(mongo, principal.tenant, settings, FEATURE)
    hn01.ensure_station_decider(principal)
    supervisors = hn01.decision(action, supervisor_user_ids)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        app = await load(uow, principal, filing_id, rules.SUPERVISION_FILING)
        after = app.apply(action, hn01.actor_of(principal), utcnow(), (comment or "").strip())
        extra: dict[str, Any] = {}
        if after.stage is Stage.ACCEPTED:
            await use_cases.check_supervisors(uow, principal.org_id, supervisors)
            project = await use_cases.insert_project(
                uow, tenant=principal.tenant, station_org_id=principal.org_id,
                data={**app.form, "supervisor_user_ids": supervisors}, participants=app.form["participants"],
                by=principal.user_id, action="registered_from_supervision_filing",
                extra={"filing_id": app.id, "division_code": app.form["division_code"],
                       "civilized_site_standard": app.form["civilized_site_standard"]})
            extra = {"project_id": project["_id"], "supervisor_user_ids": supervisors}
        _emit(uow, app, after, principal, extra.get("project_id"))
        return await save(uow, app, after, **extra)

    return await with_transaction(mongo, principal.tenant, fn)


async def get_application(*, mongo: UnitOfWorkFactory, settings: Any, principal: Principal, app_id: str,
                          kinds: tuple[str, ...]) -> dict[str, Any]:
    """HEB-04/05/08: one application of ``kinds`` the caller sees (the applicant company; the
    addressed station once submitted); 404 otherwise."""
    await require_feature(mongo, principal.tenant, settings, FEATURE)
    doc = await mongo.repo(FILINGS, principal.tenant).get(app_id)
    if doc is None or doc.get("kind") not in kinds or not hn01.can_see(Application.from_doc(doc), principal):
        raise NotFound("application not found")
    return doc


async def list_applications(*, mongo: UnitOfWorkFactory, settings: Any, principal: Principal,
                            kinds: tuple[str, ...], stage: Stage | None, limit: int, cursor: str | None) -> DocPage:
    """HEB-03/04: the applications of ``kinds`` the caller sees (its company's; those addressed
    to its station), newest first, optionally of one ``stage``; paginated."""
    await require_feature(mongo, principal.tenant, settings, FEATURE)
    flt: dict[str, Any] = {"kind": {"$in": list(kinds)}, **hn01.visibility_filter(principal)}
    if stage is not None:
        flt["stage"] = stage.value
    return await paginate(mongo.repo(FILINGS, principal.tenant), flt, limit=limit, cursor=cursor)


async def list_contractor_staff(*, mongo: UnitOfWorkFactory, settings: Any, principal: Principal,
                                contractor_org_id: str, limit: int, cursor: str | None) -> DocPage:
    """HEB-04/11: what the owner picks from — the 三类人员 B (项目负责人) and C1/C2/C3 (专职安全员)
    the contractor ``contractor_org_id`` entered in personnel, not removed and with a
    certificate valid today, as projects knows them (read model ``company_people``); newest
    first, paginated. Only a user of an owner company asks (403 ``not-an-owner``)."""
    await require_feature(mongo, principal.tenant, settings, FEATURE)
    hn01.ensure_owner(principal, await mongo.repo("organizations", principal.tenant).get(principal.org_id))
    flt = {"company_org_id": contractor_org_id, "removed": {"$ne": True},
           "category": {"$in": sorted(rules.LEADER_CATEGORIES | rules.SAFETY_OFFICER_CATEGORIES)},
           "expires_on": {"$gte": china_day(utcnow()).isoformat()}}
    return await paginate(mongo.repo(PEOPLE, principal.tenant), flt, limit=limit, cursor=cursor)


# ------------------------------------------------------------------ HEB-05 / HEB-08 applications


async def _project(uow: UnitOfWork, principal: Principal, project_id: str) -> dict[str, Any]:
    project = await uow.repo("projects").find_one({"_id": project_id, **visibility_filter(principal)})
    if project is None:
        raise Unprocessable("no such project of yours", field="project_id", slug="project-not-found")
    return project


async def _checked_form(uow: UnitOfWork, principal: Principal, kind: str, data: dict[str, Any]
                        ) -> dict[str, Any]:
    project = await _project(uow, principal, data["project_id"])
    if kind == rules.EVALUATION:
        rules.ensure_owner_of(principal, project)
        rules.ensure_filed(project)
        if not data.get("planned_completion_on"):
            raise Unprocessable("the planned completion day (竣工日期) is required", field="planned_completion_on")
        return {"project_id": project["_id"], "project_name": project["name"],
                "planned_completion_on": str(data["planned_completion_on"]), "summary": data.get("summary", "")}
    if kind == rules.CIVILIZED_SITE:
        rules.ensure_contractor_of(principal, project)
        rules.ensure_filed(project)
        rules.check_level(data.get("level") or "", project.get("civilized_site_standard"))
        return {"project_id": project["_id"], "project_name": project["name"], "level": data["level"],
                "summary": data.get("summary", "")}
    raise Unprocessable(f"kind: one of {', '.join(rules.PROJECT_KINDS)}", field="kind")


async def create_project_application(*, mongo: UnitOfWorkFactory, settings: Any, principal: Principal,
                                     kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """HEB-05 综合评定 (``kind`` comprehensive_evaluation, by the project's owner:
    ``project_id``, ``planned_completion_on``, ``summary``) or HEB-08 文明工地申报
    (``civilized_site``, by its contractor: ``project_id``, ``level`` municipal | provincial,
    ``summary``), a draft. 403 ``not-project-owner`` / ``not-project-contractor``; 422
    ``project-not-found`` / ``project-not-filed`` / ``civilized-site-not-chosen`` /
    ``civilized-level-above-standard`` / ``level``; 409 ``project-completed`` /
    ``already-evaluated``."""
    await require_feature(mongo, principal.tenant, settings, FEATURE)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        form = await _checked_form(uow, principal, kind, data)
        app = new_application(id=new_id(), kind=kind, by=hn01.actor_of(principal), form=form, at=utcnow())
        return await uow.repo(FILINGS).insert(app.to_doc())

    return await with_transaction(mongo, principal.tenant, fn)


async def _load_project_app(uow: UnitOfWork, principal: Principal, app_id: str) -> Application:
    doc = await uow.repo(FILINGS).get(app_id)
    if doc is None or doc.get("kind") not in rules.PROJECT_KINDS:
        raise NotFound("application not found")
    return await load(uow, principal, app_id, doc["kind"])


async def submit_project_application(*, mongo: UnitOfWorkFactory, settings: Any, principal: Principal,
                                     app_id: str) -> dict[str, Any]:
    """HEB-05/08 上报 to the project's station; the rules of creation are checked again (the
    project may have been completed or evaluated meanwhile). 403 ``not-applicant``; 409
    ``application-not-draft``; 404 not visible."""
    await require_feature(mongo, principal.tenant, settings, FEATURE)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        app = await _load_project_app(uow, principal, app_id)
        if app.applicant.org_id != principal.org_id:
            raise Forbidden("only the applicant organisation submits this application", slug="not-applicant")
        await _checked_form(uow, principal, app.kind, app.form)
        project = await _project(uow, principal, app.form["project_id"])
        after = app.submit(hn01.actor_of(principal), project["station_org_id"], utcnow())
        _emit(uow, app, after, principal, project["_id"], app.form.get("level"))
        return await save(uow, app, after)

    return await with_transaction(mongo, principal.tenant, fn)


async def decide_project_application(*, mongo: UnitOfWorkFactory, settings: Any, principal: Principal,
                                     app_id: str, action: str, comment: str | None) -> dict[str, Any]:
    """HEB-05/08 the project's station: accept (受理) / not_accept / return / approve / refuse.
    Approving an evaluation marks it on the project (``evaluation_application_id``), approving a
    civilized site records its ``civilized_site_level``; both emit
    ``projects.project.updated.v1``. 403 ``role-required`` / ``not-addressed-authority``; 404;
    409 stage; 422 ``comment`` / ``action``."""
    await require_feature(mongo, principal.tenant, settings, FEATURE)
    hn01.ensure_station_decider(principal)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        app = await _load_project_app(uow, principal, app_id)
        after = app.apply(action, hn01.actor_of(principal), utcnow(), (comment or "").strip())
        project_id = app.form["project_id"]
        if after.stage is Stage.APPROVED:
            mark = ({"evaluation_application_id": app.id} if app.kind == rules.EVALUATION
                    else {"civilized_site_level": app.form["level"]})
            updated = await uow.repo("projects").update({"_id": project_id}, {
                "$set": {**mark, "updated_at": utcnow()}, "$inc": {"version": 1},
                "$push": {"history": {"at": utcnow(), "by": principal.user_id, "action": f"{app.kind}_approved"}}})
            if updated is None:
                raise NotFound("project not found")
            uow.emit("projects.project.updated.v1", subject=project_id,
                     data=ProjectUpdated(**await use_cases.event_snapshot(uow, updated)))
        _emit(uow, app, after, principal, project_id, app.form.get("level"))
        return await save(uow, app, after)

    return await with_transaction(mongo, principal.tenant, fn)
