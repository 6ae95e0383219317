"""Online project filing (网上报监, HN-01): file, edit, submit, decide, read.

Each write loads the stored application, applies the block's rule
(``anjian_shared.applications``) and writes it back under its ``version`` (a concurrent
change answers 409 ``filing-changed``). Accepting registers the project in the same
transaction (``use_cases.insert_project``, event ``projects.project.registered.v1``) with the
filed participants: from then on the parties' people see it.
"""

from __future__ import annotations

from typing import Any

from anjian_shared.applications import Application, Stage, new_application
from anjian_shared.auth import Principal
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.pagination import DocPage, paginate
from anjian_shared.problems import Conflict, NotFound
from anjian_shared.tenant_policy import require_feature
from anjian_shared.types import new_id, utcnow

from ..domain import filing as rules
from . import use_cases

FILINGS = "filings"
FEATURE = "online_filing"


async def ensure_indexes(mongo: Mongo) -> None:
    await mongo.db[FILINGS].create_index([("tenant_id", 1), ("applicant.org_id", 1), ("created_at", -1)])
    await mongo.db[FILINGS].create_index([("tenant_id", 1), ("authority_org_id", 1), ("created_at", -1)])


async def _validated_form(uow: UnitOfWork, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    rules.ensure_owner(principal, await uow.repo("organizations").get(principal.org_id))
    rules.check_station(await uow.repo("organizations").get(data["station_org_id"]))
    form = rules.form_of(data, principal.org_id)
    await use_cases.check_parties(uow, form)
    form["participants"] = await use_cases.resolve_participants(uow, form)
    return form


async def load(uow: UnitOfWork, principal: Principal, filing_id: str, kind: str = rules.FILING_KIND
                ) -> Application:
    """The application ``filing_id`` of ``kind`` the caller sees (404 otherwise): HN-01's and
    Hebei's filings and applications (HEB-04/05/08) share this store and these rules."""
    doc = await uow.repo(FILINGS).get(filing_id)
    if doc is None or doc.get("kind") != kind:
        raise NotFound("filing not found")
    app = Application.from_doc(doc)
    if not rules.can_see(app, principal):
        raise NotFound("filing not found")
    return app


async def save(uow: UnitOfWork, before: Application, after: Application, **extra: Any) -> dict[str, Any]:
    """Write ``after`` under ``before``'s version (409 ``filing-changed`` when it moved meanwhile)."""
    doc = after.to_doc()
    doc.pop("_id")
    saved = await uow.repo(FILINGS).update({"_id": before.id, "version": before.version}, {"$set": {**doc, **extra}})
    if saved is None:
        raise Conflict("the filing changed meanwhile; reload and try again", slug="filing-changed")
    return saved


async def create_filing(*, mongo: Mongo, settings: Any, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """HN-01 网上报监: a user of an owner company files a project (draft): ``name``, ``address``,
    ``station_org_id`` (the local station), ``contractor_org_id``, ``supervision_org_id`` and
    ``participants`` (``[{user_id, project_role}]``, people of the three parties). 403
    ``feature-disabled`` (the province does not allow online filing), ``not-an-owner``; 422
    naming the field."""
    await require_feature(mongo, principal.tenant, settings, FEATURE)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        form = await _validated_form(uow, principal, data)
        app = new_application(id=new_id(), kind=rules.FILING_KIND, by=rules.actor_of(principal), form=form,
                              at=utcnow())
        return await uow.repo(FILINGS).insert(app.to_doc())

    return await with_transaction(mongo, principal.tenant, fn)


async def edit_filing(*, mongo: Mongo, settings: Any, principal: Principal, filing_id: str,
                      data: dict[str, Any]) -> dict[str, Any]:
    """HN-01: the owner changes a draft or returned filing (409 ``application-not-draft`` after
    submission; 403 ``not-applicant``; 404 not visible; 422 naming the field)."""
    await require_feature(mongo, principal.tenant, settings, FEATURE)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        app = await load(uow, principal, filing_id)
        form = await _validated_form(uow, principal, data)
        return await save(uow, app, app.edit(rules.actor_of(principal), form, utcnow()))

    return await with_transaction(mongo, principal.tenant, fn)


async def submit_filing(*, mongo: Mongo, settings: Any, principal: Principal, filing_id: str) -> dict[str, Any]:
    """HN-01 上报: the owner submits (or resubmits after 退回) to the station named in the form
    (403 ``not-applicant``; 409 ``application-not-draft``; 404 not visible)."""
    await require_feature(mongo, principal.tenant, settings, FEATURE)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        app = await load(uow, principal, filing_id)
        return await save(uow, app, app.submit(rules.actor_of(principal), app.form["station_org_id"], utcnow()))

    return await with_transaction(mongo, principal.tenant, fn)


async def decide_filing(*, mongo: Mongo, settings: Any, principal: Principal, filing_id: str, action: str,
                        comment: str | None, supervisor_user_ids: list[str] | None) -> dict[str, Any]:
    """HN-01 受理 / 退回 / 不予受理 by a supervisor or leader of the addressed station:

    - ``accept`` with ``supervisor_user_ids`` (1..50 of the station's staff): registers the
      project (its participants = the filed personnel, who see it from now on) and records its
      id as ``project_id``;
    - ``return`` with ``comment`` (what to fix): the owner edits and resubmits;
    - ``not_accept`` with ``comment``: finished.

    403 ``role-required`` / ``not-addressed-authority``; 404 not visible; 409
    ``application-not-submitted`` / ``application-not-pending`` / ``filing-changed``; 422
    ``action``, ``comment``, ``supervisor_user_ids``."""
    await require_feature(mongo, principal.tenant, settings, FEATURE)
    rules.ensure_station_decider(principal)
    supervisors = rules.decision(action, supervisor_user_ids)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        app = await load(uow, principal, filing_id)
        now = utcnow()
        after = app.apply(action, rules.actor_of(principal), now, (comment or "").strip())
        extra: dict[str, Any] = {}
        if after.stage is Stage.ACCEPTED:
            await use_cases.check_supervisors(uow, principal.org_id, supervisors)
            project = await use_cases.insert_project(
                uow, tenant=principal.tenant, station_org_id=principal.org_id,
                data={**app.form, "supervisor_user_ids": supervisors}, participants=app.form["participants"],
                by=principal.user_id, action="registered_from_filing", extra={"filing_id": app.id})
            extra = {"project_id": project["_id"], "supervisor_user_ids": supervisors}
        return await save(uow, app, after, **extra)

    return await with_transaction(mongo, principal.tenant, fn)


async def get_filing(*, mongo: Mongo, settings: Any, principal: Principal, filing_id: str) -> dict[str, Any]:
    """HN-01: one filing the caller sees (the owner company; the station once submitted), 404 otherwise."""
    await require_feature(mongo, principal.tenant, settings, FEATURE)
    doc = await mongo.repo(FILINGS, principal.tenant).get(filing_id)
    if doc is None or doc.get("kind") != rules.FILING_KIND or not rules.can_see(Application.from_doc(doc), principal):
        raise NotFound("filing not found")
    return doc


async def list_filings(*, mongo: Mongo, settings: Any, principal: Principal, stage: Stage | None, limit: int,
                       cursor: str | None) -> DocPage:
    """HN-01: the filings the caller sees (the owner's own; the station's addressed ones),
    newest first, optionally of one ``stage``; paginated."""
    await require_feature(mongo, principal.tenant, settings, FEATURE)
    flt: dict[str, Any] = {"kind": rules.FILING_KIND, **rules.visibility_filter(principal)}
    if stage is not None:
        flt["stage"] = stage.value
    return await paginate(mongo.repo(FILINGS, principal.tenant), flt, limit=limit, cursor=cursor)
