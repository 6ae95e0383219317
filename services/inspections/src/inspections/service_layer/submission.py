"""Signature, seal and submission of a plan (提交检查结果), HB-06."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from anjian_shared.auth import Principal
from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.inspections_v1 import (
    HazardRef,
    NoticeData,
    PlanProject,
    PlanSubmitted,
    ResultSnapshot,
)
from anjian_shared.media import MediaIntake, MediaPolicy, Upload
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.problems import Conflict
from anjian_shared.storage import Storage
from anjian_shared.tenant_policy import tenant_policy
from anjian_shared.types import utcnow

from ..adapters.repositories import CATALOG, PLANS, PROJECTS, RESULTS, by_ids
from ..domain import hazards
from ..domain import plans as rules
from ..domain.plans import PlanStatus
from ..settings import Settings
from .directory import projects_by_id
from .plans import load_plan, resolve_people

PLAN_SUBMITTED = "inspections.plan.submitted.v1"
MAX_RESULTS_PER_PLAN = 2000
"""A plan with more results than this cannot be submitted in one event (409)."""


async def put_mark(*, mongo: Mongo, storage: Storage, settings: Settings, principal: Principal, plan_id: str,
                   kind: Literal["signature", "seal"], upload: Upload) -> dict[str, Any]:
    """HB-06 7.3 签名 / 7.4 盖章: the responsible supervisor uploads (or replaces) the signature
    or the seal as a JPEG/PNG image (413/415/422 ``file``; 413 also over the pixel limit) until
    the plan is submitted (409 after; 403 for anyone else). The replaced object is removed
    after the commit."""
    rules.ensure_planner(principal)
    tenant = principal.tenant
    _, facts = await load_plan(mongo.repo(PLANS, tenant), plan_id, principal)
    rules.ensure_can_sign(facts, principal.user_id, kind)
    ref: MediaRef

    async def apply(uow: UnitOfWork) -> tuple[dict[str, Any], Any]:
        plans = uow.repo(PLANS)
        doc, current = await load_plan(plans, plan_id, principal)
        rules.ensure_can_sign(current, principal.user_id, kind)
        now = utcnow()
        updated = await plans.update(
            {"_id": plan_id, "status": {"$ne": PlanStatus.SUBMITTED.value},
             "responsible_supervisor_id": principal.user_id},
            {"$set": {kind: ref.model_dump(), "updated_at": now},
             "$push": {"history": rules.history_entry(f"{kind}.uploaded", principal, now, key=ref.key,
                                                      sha256=ref.sha256)}})
        if updated is None:
            raise Conflict("the plan changed meanwhile; reload and try again", slug="plan-changed")
        return updated, doc.get(kind)

    async with MediaIntake(storage, tenant=tenant, folder=f"plans/{plan_id}/{kind}") as intake:
        ref = await intake.take_one(upload, MediaPolicy.mark(kind, max_bytes=(
            await tenant_policy(mongo, tenant, settings)).limit("photo_max_bytes")))
        updated, old = await with_transaction(mongo, tenant, apply, aggregate=f"plan:{plan_id}")
        intake.replaced(old)
    return updated


def _person(people: dict[str, str], user_id: str) -> PersonRef:
    return PersonRef(user_id=user_id, name=people.get(user_id) or user_id)


async def submit_plan(*, mongo: Mongo, principal: Principal, plan_id: str, disposition: str, title: str,
                      construction_stage: str, deadline: date, seal_required: bool,
                      backdated: bool = False, stop_work_part: str | None = None) -> dict[str, Any]:
    """HB-06 提交: the responsible supervisor submits a confirmed plan with the disposition
    (处置情况), the notice data (告知书: title, construction stage, ``deadline`` 整改期限 — sent
    on in the event as ``notice.rectification_date``, its contract name), the signature and,
    when ``seal_required``, the seal. Emits ``inspections.plan.submitted.v1`` with the whole
    plan (projects from the directory, all results). Afterwards nothing of the plan changes.
    403 not the responsible supervisor; 409 ``plan-not-confirmed`` (draft), ``plan-submitted``,
    ``plan-changed`` (a concurrent write), ``plan-too-many-results``,
    ``plan-project-unknown``; 422 ``signature`` / ``seal`` / ``notice.rectification_date``
    (a 限期整改/停工整改 deadline before the planned date, or — ``deadline-past`` — before
    today in China time unless ``backdated``: 补录 of an inspection made on paper).

    The disposition must follow from the results (``domain.hazards.check_disposition``, the
    catalog decides): 422 ``disposition`` ``major-hazard-requires-stop-work`` (a result cites
    a 重大事故隐患 item and the measure is not 停工整改/局部停工整改; the detail names each
    item), ``disposition-contradicts-results`` (无隐患 with results),
    ``on-site-fix-not-allowed`` (现场整改 of an item that needs a deadline); 422
    ``stop_work_part`` ``stop-work-part-required`` (局部停工整改 without the part)."""
    rules.ensure_planner(principal)

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        plans = uow.repo(PLANS)
        doc, facts = await load_plan(plans, plan_id, principal)
        rules.ensure_can_submit(facts, principal.user_id, disposition=disposition,
                                rectification_date=deadline, seal_required=seal_required, now=utcnow(),
                                backdated=backdated)
        results = await uow.repo(RESULTS).find({"plan_id": plan_id}, sort=[("created_at", 1), ("_id", 1)],
                                               limit=MAX_RESULTS_PER_PLAN + 1)
        if len(results) > MAX_RESULTS_PER_PLAN:
            raise Conflict(f"a plan cannot carry more than {MAX_RESULTS_PER_PLAN} results",
                           slug="plan-too-many-results")
        codes = list(dict.fromkeys(h["code"] for r in results for h in r["hazards"]))
        part = hazards.check_disposition(disposition, findings=[r["hazards"] for r in results],
                                         catalog=await by_ids(uow.repo(CATALOG), codes, key="code"),
                                         stop_work_part=stop_work_part)
        known = await projects_by_id(uow.repo(PROJECTS), doc["project_ids"])
        missing = [p for p in doc["project_ids"] if p not in known]
        if missing:
            raise Conflict(f"projects no longer in the directory: {', '.join(missing)}",
                           slug="plan-project-unknown")
        projects = [known[p] for p in doc["project_ids"]]
        people = await resolve_people(uow, principal, doc["supervisor_user_ids"], projects, doc.get("people"))
        now = utcnow()
        notice = NoticeData(title=title, construction_stage=construction_stage, rectification_date=deadline)
        submission = {"disposition": disposition, "stop_work_part": part, "notice": notice.model_dump(mode="json"),
                      "seal_required": seal_required, "submitted_by": principal.user_id, "backdated": backdated}
        seal = doc.get("seal") if seal_required else None
        updated = await plans.update(
            {"_id": plan_id, "status": PlanStatus.CONFIRMED.value, "result_count": facts.result_count},
            {"$set": {"status": PlanStatus.SUBMITTED.value, "submission": submission, "submitted_at": now,
                      "updated_at": now, "people": people},
             "$push": {"history": rules.history_entry("submitted", principal, now, disposition=disposition,
                                                      seal_required=seal_required,
                                                      results=len(results))}})
        if updated is None:
            raise Conflict("the plan changed meanwhile; reload and try again", slug="plan-changed")
        uow.emit(PLAN_SUBMITTED, subject=plan_id, data=PlanSubmitted(
            plan_id=plan_id, title=doc["title"], planned_date=date.fromisoformat(doc["planned_date"]),
            station_org_id=doc["station_org_id"],
            projects=[PlanProject(project_id=p["project_id"], name=p["name"], address=p.get("address", ""),
                                  station_org_id=p["station_org_id"], owner_org_id=p["owner_org_id"],
                                  contractor_org_id=p["contractor_org_id"],
                                  supervision_org_id=p["supervision_org_id"],
                                  project_manager_user_ids=rules.project_managers(p)) for p in projects],
            responsible_supervisor=_person(people, doc["responsible_supervisor_id"]),
            supervisors=[_person(people, u) for u in doc["supervisor_user_ids"]],
            disposition=disposition, stop_work_part=part, notice=notice,
            signature=MediaRef.model_validate(doc["signature"]),
            seal=MediaRef.model_validate(seal) if seal else None,
            results=[ResultSnapshot(
                result_id=r["_id"], project_id=r["project_id"], building_name=r["building_name"],
                hazards=[HazardRef.model_validate(h) for h in r["hazards"]], finding=r["finding"],
                photos=[MediaRef.model_validate(m) for m in r.get("photos", [])],
                major_hazard=r["major_hazard"],
                recorded_by=PersonRef(user_id=r["recorded_by"]["user_id"],
                                      name=people.get(r["recorded_by"]["user_id"]) or r["recorded_by"]["name"]
                                      or r["recorded_by"]["user_id"]),
                recorded_at=r["recorded_at"]) for r in results],
            submitted_at=now))
        return updated

    return await with_transaction(mongo, principal.tenant, apply, aggregate=f"plan:{plan_id}")
