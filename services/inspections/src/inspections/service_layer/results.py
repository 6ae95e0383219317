"""Use cases of inspection results (检查结果 / 检查清单), HB-04/HB-05/HB-07.

Photos go through the shared media intake (``anjian_shared.media.MediaIntake``): checked
for type, size and pixels and stored BEFORE the transaction that records them; if anything
fails afterwards the stored objects are deleted again, so no record points to a missing
object and no object is left without a record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from anjian_shared.auth import Principal
from anjian_shared.events.common import MediaRef
from anjian_shared.media import MediaIntake, MediaPolicy, Upload, discard
from anjian_shared.mongo import Mongo, TenantRepository, UnitOfWork, with_transaction
from anjian_shared.pagination import paginate
from anjian_shared.problems import Conflict, NotFound, Unprocessable
from anjian_shared.storage import Storage
from anjian_shared.tenant_policy import tenant_policy
from anjian_shared.types import new_id, utcnow

from ..adapters.repositories import CATALOG, PLANS, RESULTS, by_ids
from ..domain import plans as rules
from ..domain.plans import PlanFacts, PlanStatus
from ..settings import Settings
from .plans import load_plan


async def photo_policy(mongo: Mongo, settings: Settings, tenant: str) -> MediaPolicy:
    """Result photos: JPEG/PNG within the tenant's byte limit (tenant policy ``photo_max_bytes``)
    and the pixel limit (413/415/422 ``photos``)."""
    policy = await tenant_policy(mongo, tenant, settings)
    return MediaPolicy.photo(max_bytes=policy.limit("photo_max_bytes"))


async def _hazards(uow: UnitOfWork, codes: list[str], settings: Settings) -> list[dict[str, Any]]:
    codes = rules.normalize_hazard_codes(codes, settings.max_hazards_per_result)
    found = await by_ids(uow.repo(CATALOG), codes, key="code")
    return rules.hazards_from_catalog(codes, found)


async def _precheck_hazards(mongo: Mongo, tenant: str, codes: list[str], settings: Settings) -> list[dict[str, Any]]:
    """The cited catalog items, checked before anything is uploaded (422 ``hazard_codes``). The
    catalog is reference data (JGJ 59, the 2024 standard): the transaction uses these, it does
    not read them again."""
    codes = rules.normalize_hazard_codes(codes, settings.max_hazards_per_result)
    return rules.hazards_from_catalog(codes, await by_ids(mongo.repo(CATALOG, tenant), codes, key="code"))


async def _load_result(repo: TenantRepository, plan_id: str, result_id: str) -> dict[str, Any]:
    doc = await repo.get(result_id)
    if doc is None or doc["plan_id"] != plan_id:
        raise NotFound("result not found")
    return doc


async def record_result(*, mongo: Mongo, storage: Storage, settings: Settings, principal: Principal, plan_id: str,
                        project_id: str, building_name: str, hazard_codes: list[str], finding: str,
                        photos: Sequence[Upload]) -> dict[str, Any]:
    """HB-04 现场检查 / 加入检查清单: a team member records a result on a confirmed plan.

    ``project_id`` is one of the plan's projects (422 ``project_id``); every hazard code is in
    the tenant's catalog (422 ``hazard_codes``); 1..``max_photos_per_result`` JPEG/PNG photos
    (422/413/415 ``photos``). A result citing a 2024-standard item is ``major_hazard``.
    404 plan not visible; 403 not in the team; 409 draft ("plan not confirmed") or submitted.
    """
    rules.ensure_planner(principal)
    tenant = principal.tenant
    # cheap checks first, so a refused request stores nothing
    doc, facts = await load_plan(mongo.repo(PLANS, tenant), plan_id, principal)
    rules.ensure_can_record_result(facts, principal.user_id)
    if project_id not in doc["project_ids"]:
        raise Unprocessable("the project is not part of this plan", field="project_id")
    rules.ensure_photo_count(0, len(photos), settings.max_photos_per_result)
    hazards = await _precheck_hazards(mongo, tenant, hazard_codes, settings)

    refs: list[MediaRef] = []

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        plans = uow.repo(PLANS)
        _, current = await load_plan(plans, plan_id, principal)
        rules.ensure_can_record_result(current, principal.user_id)
        now = utcnow()
        result_id = new_id()
        result = {
            "_id": result_id, "plan_id": plan_id, "project_id": project_id, "building_name": building_name,
            "hazards": hazards, "finding": finding, "photos": [r.model_dump() for r in refs],
            "major_hazard": rules.is_major_hazard(hazards),
            "recorded_by": {"user_id": principal.user_id, "name": principal.name},
            "recorded_at": now, "created_at": now, "updated_at": now,
        }
        touched = await plans.update(
            {"_id": plan_id, "status": PlanStatus.CONFIRMED.value},
            {"$inc": {"result_count": 1}, "$set": {"updated_at": now},
             "$push": {"history": rules.history_entry("result.added", principal, now, result_id=result_id,
                                                      hazard_codes=[h["code"] for h in hazards],
                                                      major_hazard=result["major_hazard"])}},
            returning=False)
        if touched is None:
            raise Conflict("the plan changed meanwhile; reload and try again")
        return await uow.repo(RESULTS).insert(result)

    async with MediaIntake(storage, tenant=tenant, folder=f"plans/{plan_id}/results") as intake:
        refs = await intake.take(photos, await photo_policy(mongo, settings, tenant))
        return await with_transaction(mongo, tenant, apply, aggregate=f"plan:{plan_id}")


async def list_results(*, mongo: Mongo, principal: Principal, plan_id: str, project_id: str | None,
                       limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """HB-05/HB-07 清单: every result of a plan the caller sees, newest first."""
    rules.ensure_planner(principal)
    await load_plan(mongo.repo(PLANS, principal.tenant), plan_id, principal)
    flt: dict[str, Any] = {"plan_id": plan_id}
    if project_id:
        flt["project_id"] = project_id
    return await paginate(mongo.repo(RESULTS, principal.tenant), flt, limit=limit, cursor=cursor)


async def get_result(*, mongo: Mongo, principal: Principal, plan_id: str, result_id: str) -> dict[str, Any]:
    """One result of a plan the caller sees (404 otherwise)."""
    rules.ensure_planner(principal)
    await load_plan(mongo.repo(PLANS, principal.tenant), plan_id, principal)
    return await _load_result(mongo.repo(RESULTS, principal.tenant), plan_id, result_id)


async def update_result(*, mongo: Mongo, settings: Settings, principal: Principal, plan_id: str, result_id: str,
                        changes: dict[str, Any]) -> dict[str, Any]:
    """HB-05 修改: the result's author changes building name, hazards or finding while the plan
    is not submitted (409 after; 403 for another supervisor's result). ``major_hazard`` follows
    the hazards."""
    rules.ensure_planner(principal)

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        plans, results = uow.repo(PLANS), uow.repo(RESULTS)
        _, facts = await load_plan(plans, plan_id, principal)
        result = await _load_result(results, plan_id, result_id)
        rules.ensure_can_change_result(facts, result["recorded_by"]["user_id"], principal.user_id)
        fields: dict[str, Any] = {}
        if changes.get("building_name") is not None:
            fields["building_name"] = changes["building_name"]
        if changes.get("finding") is not None:
            fields["finding"] = changes["finding"]
        if changes.get("hazard_codes") is not None:
            hazards = await _hazards(uow, changes["hazard_codes"], settings)
            fields["hazards"] = hazards
            fields["major_hazard"] = rules.is_major_hazard(hazards)
        diff = rules.changed_fields(result, fields)
        if not diff:
            return result
        now = utcnow()
        await _touch_plan(plans, facts, principal, now, "result.updated", result_id=result_id,
                          fields=sorted(diff))
        updated = await results.update({"_id": result_id}, {"$set": {**fields, "updated_at": now}})
        assert updated is not None
        return updated

    return await with_transaction(mongo, principal.tenant, apply, aggregate=f"plan:{plan_id}")


async def delete_result(*, mongo: Mongo, storage: Storage, principal: Principal, plan_id: str,
                        result_id: str) -> None:
    """HB-05 删除: the result's author deletes it while the plan is not submitted (409 after;
    403 for others). Its photos leave storage after the commit."""
    rules.ensure_planner(principal)

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        plans, results = uow.repo(PLANS), uow.repo(RESULTS)
        _, facts = await load_plan(plans, plan_id, principal)
        result = await _load_result(results, plan_id, result_id)
        rules.ensure_can_change_result(facts, result["recorded_by"]["user_id"], principal.user_id)
        now = utcnow()
        await _touch_plan(plans, facts, principal, now, "result.deleted", inc=-1, result_id=result_id)
        await results.delete({"_id": result_id})
        return result

    result = await with_transaction(mongo, principal.tenant, apply, aggregate=f"plan:{plan_id}")
    await discard(storage, result.get("photos", []))


async def add_result_photos(*, mongo: Mongo, storage: Storage, settings: Settings, principal: Principal,
                            plan_id: str, result_id: str, photos: Sequence[Upload]) -> dict[str, Any]:
    """HB-05: the result's author adds photos (at most ``max_photos_per_result`` in all) while
    the plan is not submitted (409 after; 403 for others; 413/415/422 ``photos``)."""
    rules.ensure_planner(principal)
    tenant = principal.tenant
    _, facts = await load_plan(mongo.repo(PLANS, tenant), plan_id, principal)
    result = await _load_result(mongo.repo(RESULTS, tenant), plan_id, result_id)
    rules.ensure_can_change_result(facts, result["recorded_by"]["user_id"], principal.user_id)
    rules.ensure_photo_count(len(result.get("photos", [])), len(photos), settings.max_photos_per_result)

    refs: list[MediaRef] = []

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        plans, results = uow.repo(PLANS), uow.repo(RESULTS)
        _, current = await load_plan(plans, plan_id, principal)
        stored = await _load_result(results, plan_id, result_id)
        rules.ensure_can_change_result(current, stored["recorded_by"]["user_id"], principal.user_id)
        rules.ensure_photo_count(len(stored.get("photos", [])), len(refs), settings.max_photos_per_result)
        now = utcnow()
        await _touch_plan(plans, current, principal, now, "result.photos_added", result_id=result_id,
                          photos=len(refs))
        updated = await results.update(
            {"_id": result_id},
            {"$push": {"photos": {"$each": [r.model_dump() for r in refs]}}, "$set": {"updated_at": now}})
        assert updated is not None
        return updated

    async with MediaIntake(storage, tenant=tenant, folder=f"plans/{plan_id}/results") as intake:
        refs = await intake.take(photos, await photo_policy(mongo, settings, tenant))
        return await with_transaction(mongo, tenant, apply, aggregate=f"plan:{plan_id}")


async def _touch_plan(plans: TenantRepository, facts: PlanFacts, principal: Principal, now: Any, action: str,
                      *, inc: int = 0, **detail: Any) -> None:
    """Write the plan document (audit line, counter) under the condition that it is still
    not submitted: a submission racing this change makes one of the two fail and retry."""
    update: dict[str, Any] = {"$set": {"updated_at": now},
                              "$push": {"history": rules.history_entry(action, principal, now, **detail)}}
    if inc:
        update["$inc"] = {"result_count": inc}
    touched = await plans.update({"_id": facts.plan_id, "status": {"$ne": PlanStatus.SUBMITTED.value}}, update,
                                 returning=False)
    if touched is None:
        raise Conflict("the plan is submitted; nothing can change any more", slug="plan-submitted")
