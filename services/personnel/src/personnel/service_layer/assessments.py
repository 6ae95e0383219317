"""Hunan assessments and dynamic scoring (HUN-16..HUN-18): use cases.

Collections (per tenant): ``assessment_catalog`` (deduction items and scoring reasons: ``code``,
``kind``, ``text``, ``points``, ``retired``; seeded from ``seed_data/hunan-assessment-catalog.json``,
labelled as a sample, changed by the province administrator), ``assessments`` (a sheet: assessor,
assessed staff or agency, projects with their priced deductions, ``status`` draft → submitted,
score), ``dynamic_scores`` (one entry: staff, date, reasons with points, ``status`` pending →
approved).
"""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from typing import Any

from anjian_shared.china_time import china_day
from anjian_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from anjian_shared.events.personnel_v1 import AssessmentSubmitted
from anjian_shared.mongo import UnitOfWork, with_transaction
from anjian_shared.pagination import DocPage, paginate
from anjian_shared.principal import Principal, Role
from anjian_shared.tenant_policy import tenant_policy
from anjian_shared.types import TENANTS, new_id, utcnow

from ..adapters.store import ORGANIZATIONS, STAFF
from ..domain import agencies as agency_rules
from ..domain import assessments as rules
from . import tasks
from .agencies import readable_agency

CATALOG = "assessment_catalog"
ASSESSMENTS = "assessments"
SCORES = "dynamic_scores"


def seed_catalog_data() -> dict[str, Any]:
    """The shipped sample catalog (its ``source`` says what it is)."""
    text = resources.files("personnel.adapters.seed_data").joinpath("hunan-assessment-catalog.json").read_text("utf-8")
    return json.loads(text)


async def seed_catalog(mongo: Any) -> int:
    """Startup: give every tenant without a catalog the sample one (idempotent: ``_id`` is
    ``<tenant>:<code>``; an administrator's changes are never overwritten). Returns inserted."""
    data = seed_catalog_data()
    inserted = 0
    for tenant in TENANTS:
        repo = mongo.repo(CATALOG, tenant)
        if await repo.count({}) > 0:
            continue
        for kind, items in (("deduction", data["deductions"]), ("scoring_reason", data["scoring_reasons"])):
            for item in items:
                try:
                    await repo.insert({"_id": f"{tenant}:{item['code']}", "code": item["code"], "kind": kind,
                                       "text": item["text"], "points": item["points"], "retired": False,
                                       "source": data["source"], "version": 1})
                    inserted += 1
                except Exception:  # noqa: BLE001 - another replica seeded it at the same moment
                    continue
    return inserted


async def _catalog(mongo: Any, tenant: str) -> dict[str, dict[str, Any]]:
    return {d["code"]: d for d in await mongo.repo(CATALOG, tenant).find({}, limit=0)}


async def list_catalog(*, mongo: Any, actor: Principal, kind: str | None) -> list[dict[str, Any]]:
    """The province's catalog (HUN-16 deductions, HUN-18 scoring reasons), by code; anyone of
    the tenant reads it."""
    flt = {"kind": kind} if kind else {}
    return await mongo.repo(CATALOG, actor.tenant).find(flt, sort=[("code", 1)], limit=0)


async def save_catalog_item(*, mongo: Any, actor: Principal, code: str, data: dict[str, Any]) -> dict[str, Any]:
    """The province administrator adds or changes an item (``kind``, ``text``, ``points``,
    ``retired``): 403 ``not-province-admin`` for anyone else. Assessments keep the points they
    were scored with."""
    if not actor.has(Role.PROVINCE_ADMIN):
        raise Forbidden("only the province administrator maintains the catalog", slug="not-province-admin")

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        repo = uow.repo(CATALOG)
        key = f"{actor.tenant}:{code}"
        held = await repo.get(key)
        if held is None:
            return await repo.insert({"_id": key, "code": code, "retired": False, "version": 1,
                                      "source": "province administrator", **data})
        return await repo.update({"_id": key}, {"$set": {**data, "version": held["version"] + 1,
                                                         "source": "province administrator"}})  # type: ignore[return-value]

    return await with_transaction(mongo, actor.tenant, fn, aggregate=f"catalog:{code}")


# -- HUN-16 / HUN-17 assessments ------------------------------------------------------------


async def _actor_org(mongo: Any, actor: Principal) -> dict[str, Any] | None:
    return await mongo.repo(ORGANIZATIONS, actor.tenant).get(actor.org_id)


async def start_assessment(*, mongo: Any, actor: Principal, kind: str, assessed_staff_ids: list[str] | None,
                           assessed_agency_id: str | None, title: str | None = None) -> dict[str, Any]:
    """Open a draft assessment sheet.

    ``kind`` ``group`` (HUN-16): the agency's leader picks the assessed staff (its own, current;
    404 ``staff-not-found`` naming ``assessed_staff_ids.<i>`` otherwise). ``kind`` ``agency``
    (HUN-17): the province office or a city-level authority/agency assesses an agency below it
    (403 ``not-above-assessed``; 404 for an agency it does not see)."""
    if kind == "group":
        agency_rules.may_manage(actor, actor.org_id, "assessments.write")
        if not assessed_staff_ids:
            raise Unprocessable("pick at least one assessed staff member", field="assessed_staff_ids")
        staff = mongo.repo(STAFF, actor.tenant)
        for i, sid in enumerate(assessed_staff_ids):
            doc = await staff.get(sid)
            if doc is None or doc.get("deleted") or doc["agency_org_id"] != actor.org_id:
                raise NotFound("not a staff member of your agency", field=f"assessed_staff_ids.{i}",
                               slug="staff-not-found")
        subject = {"agency_org_id": actor.org_id, "staff_ids": list(dict.fromkeys(assessed_staff_ids))}
    else:
        if not assessed_agency_id:
            raise Unprocessable("name the assessed agency", field="assessed_agency_id")
        assessed = await readable_agency(mongo, actor, assessed_agency_id)
        rules.check_may_assess_agency(actor, ((await _actor_org(mongo, actor)) or {}).get("division_code"),
                                      assessed.get("division_code"))
        subject = {"agency_org_id": assessed_agency_id, "staff_ids": []}
    doc = {"_id": new_id(), "kind": kind, "title": title, "assessor_org_id": actor.org_id,
           "assessor_user_id": actor.user_id, **subject, "projects": [], "status": "draft", "score": None,
           "created_at": utcnow(), "submitted_at": None, "version": 1}

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        stored = await uow.repo(ASSESSMENTS).insert(doc)
        tasks.task(uow, "assessment_to_finish", doc["_id"], open=True, title="完成考核",
                   body=f"{'监督组考核' if kind == 'group' else '层级考核'}{'「' + title + '」' if title else ''}"
                        "尚未提交：补充项目扣分后提交。",
                   assignee_user_id=actor.user_id, agency_org_id=doc["agency_org_id"], at=doc["created_at"])
        return stored

    return await with_transaction(mongo, actor.tenant, fn)


async def _own_sheet(repo: Any, actor: Principal, assessment_id: str) -> dict[str, Any]:
    doc = await repo.get(assessment_id)
    if doc is None or doc["assessor_org_id"] != actor.org_id:
        raise NotFound("no such assessment of yours", slug="assessment-not-found")
    return doc


async def save_project(*, mongo: Any, actor: Principal, assessment_id: str, project_name: str,
                       construction_unit: str, deductions: list[dict[str, Any]], index: int | None = None
                       ) -> dict[str, Any]:
    """HUN-16 保存 / 新增项目: add (``index`` None) or replace the ``index``-th assessed project
    (工程名称, 建设单位, the deduction items ticked with how many times); its score is 100 minus
    the points, never below 0. 409 ``assessment-submitted``; 422 naming
    ``deductions.<i>.code`` for an item not in the catalog; 404 ``assessed-project-not-found``."""
    catalog = await _catalog(mongo, actor.tenant)
    priced = rules.priced(deductions, catalog, kind="deduction", field="deductions")
    project = {"project_name": project_name, "construction_unit": construction_unit, "deductions": priced,
               "score": rules.project_score(priced)}

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        repo = uow.repo(ASSESSMENTS)
        doc = await _own_sheet(repo, actor, assessment_id)
        rules.check_editable(doc)
        projects = list(doc["projects"])
        if index is None:
            projects.append(project)
        elif 0 <= index < len(projects):
            projects[index] = project
        else:
            raise NotFound("no such project on this assessment", slug="assessed-project-not-found")
        return await repo.update({"_id": assessment_id, "version": doc["version"]}, {"$set": {
            "projects": projects, "version": doc["version"] + 1, "updated_at": utcnow()}})  # type: ignore[return-value]

    return await with_transaction(mongo, actor.tenant, fn, aggregate=f"assessment:{assessment_id}")


async def submit_assessment(*, mongo: Any, actor: Principal, assessment_id: str) -> dict[str, Any]:
    """HUN-16 提交: the score is fixed (the mean of the projects', two decimals) and the sheet
    never changes again; event ``personnel.assessment.submitted.v1``. 422
    ``assessment-without-projects``; 409 ``assessment-submitted`` the second time."""

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        repo = uow.repo(ASSESSMENTS)
        doc = await _own_sheet(repo, actor, assessment_id)
        rules.check_editable(doc)
        score = rules.assessment_score([p["score"] for p in doc["projects"]])
        new = await repo.update({"_id": assessment_id, "version": doc["version"]}, {"$set": {
            "status": "submitted", "score": str(score), "submitted_at": utcnow(), "version": doc["version"] + 1}})
        assert new is not None
        uow.emit("personnel.assessment.submitted.v1", subject=assessment_id, data=AssessmentSubmitted(
            assessment_id=assessment_id, kind=new["kind"], assessor_org_id=new["assessor_org_id"],
            agency_org_id=new["agency_org_id"], staff_ids=new["staff_ids"], projects=len(new["projects"]),
            score=float(score), submitted_at=new["submitted_at"]))
        tasks.task(uow, "assessment_to_finish", assessment_id, open=False, assignee_user_id=new["assessor_user_id"],
                   at=new["submitted_at"])
        return new

    return await with_transaction(mongo, actor.tenant, fn, aggregate=f"assessment:{assessment_id}")


async def get_assessment(*, mongo: Any, actor: Principal, assessment_id: str) -> dict[str, Any]:
    """One sheet: its assessor's organisation reads it, and so does the assessed agency once
    submitted (404 ``assessment-not-found`` otherwise)."""
    doc = await mongo.repo(ASSESSMENTS, actor.tenant).get(assessment_id)
    if doc is None or not (doc["assessor_org_id"] == actor.org_id
                           or (doc["status"] == "submitted" and doc["agency_org_id"] == actor.org_id)):
        raise NotFound("no such assessment of yours", slug="assessment-not-found")
    return doc


async def list_assessments(*, mongo: Any, actor: Principal, status: str | None, limit: int, cursor: str | None
                           ) -> DocPage:
    """The caller organisation's sheets (drafts to resume, submitted ones), newest first."""
    flt: dict[str, Any] = {"assessor_org_id": actor.org_id}
    if status:
        flt["status"] = status
    return await paginate(mongo.repo(ASSESSMENTS, actor.tenant), flt, limit=limit, cursor=cursor)


# -- HUN-18 dynamic scoring --------------------------------------------------------------------


def _in_agency(actor: Principal) -> None:
    if actor.org_kind != "agency":
        raise Forbidden("dynamic scoring is kept by the staff's own agency", slug="not-agency-staff")


async def record_score(*, mongo: Any, actor: Principal, staff_id: str, on: date, reason_codes: list[str],
                       note: str | None) -> dict[str, Any]:
    """HUN-18: a member of an agency records points against one of its staff for reasons of the
    catalog (points summed from it); ``pending`` until the leader approves. 404
    ``staff-not-found`` for another agency's staff; 422 naming ``reason_codes.<i>.code``; a
    future date 422 ``date-in-future``."""
    _in_agency(actor)
    if on > china_day(utcnow()):
        raise Unprocessable("the date is in the future", field="date", slug="date-in-future")
    staff = await mongo.repo(STAFF, actor.tenant).get(staff_id)
    if staff is None or staff.get("deleted") or staff["agency_org_id"] != actor.org_id:
        raise NotFound("not a staff member of your agency", field="staff_id", slug="staff-not-found")
    priced = rules.priced([{"code": c} for c in reason_codes], await _catalog(mongo, actor.tenant),
                          kind="scoring_reason", field="reason_codes")
    doc = {"_id": new_id(), "agency_org_id": actor.org_id, "staff_id": staff_id, "staff_name": staff["name"],
           "date": on.isoformat(), "year": on.year, "reasons": priced, "points": sum(r["points"] for r in priced),
           "note": note, "status": "pending", "recorded_by": actor.user_id, "created_at": utcnow(),
           "approved_by": None, "approved_at": None}

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        stored = await uow.repo(SCORES).insert(doc)
        tasks.task(uow, "dynamic_score_to_approve", doc["_id"], open=True, title="审批动态考核记分",
                   body=f"{doc['date']} 的动态考核记分（{doc['points']}分）待机构负责人审批。",
                   assignee_org_id=actor.org_id, assignee_roles=["station_leader"], agency_org_id=actor.org_id,
                   at=doc["created_at"])
        return stored

    return await with_transaction(mongo, actor.tenant, fn)


async def _own_score(repo: Any, actor: Principal, score_id: str) -> dict[str, Any]:
    doc = await repo.get(score_id)
    if doc is None or doc["agency_org_id"] != actor.org_id:
        raise NotFound("no such scoring entry in your agency", slug="score-not-found")
    return doc


async def approve_score(*, mongo: Any, actor: Principal, score_id: str) -> dict[str, Any]:
    """HUN-18 the agency leader approves an entry (403 ``not-agency-leader``; 409
    ``score-already-approved``). Approved entries count in the person's yearly total."""
    agency_rules.may_manage(actor, actor.org_id, "scores.approve")
    await _own_score(mongo.repo(SCORES, actor.tenant), actor, score_id)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        new = await uow.repo(SCORES).update({"_id": score_id, "status": "pending"}, {"$set": {
            "status": "approved", "approved_by": actor.user_id, "approved_at": utcnow()}})
        if new is None:
            raise Conflict("the entry is approved already", field="status", slug="score-already-approved")
        tasks.task(uow, "dynamic_score_to_approve", score_id, open=False, assignee_org_id=actor.org_id,
                   at=new["approved_at"])
        return new

    return await with_transaction(mongo, actor.tenant, fn, aggregate=f"dynamic-score:{score_id}")


async def delete_score(*, mongo: Any, actor: Principal, score_id: str) -> None:
    """HUN-18 only an unapproved entry is deleted (409 ``score-already-approved`` naming why)."""
    _in_agency(actor)
    await _own_score(mongo.repo(SCORES, actor.tenant), actor, score_id)

    async def fn(uow: UnitOfWork) -> None:
        if await uow.repo(SCORES).delete({"_id": score_id, "status": "pending"}) == 0:
            raise Conflict("an approved entry is part of the record and is never deleted", field="status",
                           slug="score-already-approved")
        tasks.task(uow, "dynamic_score_to_approve", score_id, open=False, assignee_org_id=actor.org_id)

    await with_transaction(mongo, actor.tenant, fn, aggregate=f"dynamic-score:{score_id}")


async def list_scores(*, mongo: Any, actor: Principal, year: int | None, status: str | None, limit: int,
                      cursor: str | None) -> DocPage:
    """HUN-18 the agency's entries (``year``, ``status`` filter), newest first."""
    _in_agency(actor)
    flt: dict[str, Any] = {"agency_org_id": actor.org_id}
    if year:
        flt["year"] = year
    if status:
        flt["status"] = status
    return await paginate(mongo.repo(SCORES, actor.tenant), flt, limit=limit, cursor=cursor)


async def staff_total(*, mongo: Any, actor: Principal, agency_org_id: str, staff_id: str, year: int
                      ) -> dict[str, Any]:
    """HUN-18 a person's approved points in ``year`` and whether they reach the province's
    threshold (tenant limit ``dynamic_score_threshold``): ``{"staff_id", "year", "total",
    "threshold", "flagged", "pending"}``. Whoever sees the agency reads it."""
    await readable_agency(mongo, actor, agency_org_id)
    staff = await mongo.repo(STAFF, actor.tenant).get(staff_id)
    if staff is None or staff["agency_org_id"] != agency_org_id:
        raise NotFound("no such staff record in this agency", slug="staff-not-found")
    entries = await mongo.repo(SCORES, actor.tenant).find({"staff_id": staff_id, "year": year}, limit=0)
    threshold = (await tenant_policy(mongo, actor.tenant)).limit("dynamic_score_threshold")
    total = rules.total_points(entries)
    return {"staff_id": staff_id, "year": year, "total": total, "threshold": threshold,
            "flagged": rules.flagged(total, threshold),
            "pending": sum(1 for e in entries if e["status"] == "pending")}
