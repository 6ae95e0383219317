"""Hunan agencies' own records (HUN-02..HUN-08): use cases.

Every use case takes ``mongo`` (the unit-of-work factory) and the caller (``actor``). Reading
an agency another caller may not see answers 404 ``agency-not-found`` (one rule for "not
yours" and "not there"); writing one's own agency needs its leader (403 ``not-agency-leader``).
Every change emits ``personnel.agency.saved.v1`` (the agency's progress snapshot) in the same
transaction, for reporting's to-dos and the partner stream.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from anjian_shared import credit_code
from anjian_shared.china_time import china_day, day_start
from anjian_shared.errors import (
    Conflict,
    FieldProblem,
    Forbidden,
    NotFound,
    NotYetAvailable,
    Unprocessable,
)
from anjian_shared.events.personnel_v1 import AgencySaved, StaffingReturnFrozen, StaffSaved
from anjian_shared.mongo import UnitOfWork, with_transaction
from anjian_shared.pagination import DocPage, paginate
from anjian_shared.principal import Principal
from anjian_shared.types import new_id, utcnow

from ..adapters.store import (
    FIGURES,
    ORGANIZATIONS,
    QUALIFICATIONS,
    RECORDS,
    RETURNS,
    REVISIONS,
    STAFF,
    insert_once,
    next_staff_seq,
)
from ..domain import agencies as rules

SAVED = "personnel.agency.saved.v1"
FIGURE_KINDS = ("projects", "funding")
STAFF_FIELDS = ("name", "gender", "birth_date", "post", "education", "title", "mobile", "hired_on")


def _today() -> date:
    return china_day(utcnow())


async def _org(mongo: Any, tenant: str, org_id: str) -> dict[str, Any] | None:
    return await mongo.repo(ORGANIZATIONS, tenant).get(org_id)


async def readable_agency(mongo: Any, actor: Principal, agency_org_id: str) -> dict[str, Any]:
    """The agency's organisation document if ``actor`` may see it (HUN-02), else 404."""
    agency = rules.require_agency(await _org(mongo, actor.tenant, agency_org_id))
    if not rules.may_read(actor, agency, await _org(mongo, actor.tenant, actor.org_id)):
        raise NotFound("no such supervision agency", slug="agency-not-found")
    return dict(agency)


async def _writable(mongo: Any, actor: Principal, agency_org_id: str, permission: str = "agencies.write"
                    ) -> dict[str, Any]:
    agency = await readable_agency(mongo, actor, agency_org_id)
    rules.may_manage(actor, agency_org_id, permission)
    return agency


async def _progress(repo_of: Any, agency_org_id: str, year: int, today: date) -> dict[str, Any]:
    record = await repo_of(RECORDS).get(agency_org_id)
    staff = await repo_of(STAFF).count({"agency_org_id": agency_org_id, "deleted": False})
    projects = await repo_of(FIGURES).get(f"{agency_org_id}:projects:{year}")
    funding = await repo_of(FIGURES).get(f"{agency_org_id}:funding:{year}")
    qualification = rules.qualification_status(await repo_of(QUALIFICATIONS).get(agency_org_id), today)
    out = rules.progress(basic_info=bool(record and record.get("basic_info")), staff_count=staff,
                         has_projects=projects is not None, has_funding=funding is not None,
                         qualification=qualification)
    return {**out, "year": year, "qualification_status": qualification}


async def _emit_saved(uow: UnitOfWork, agency: dict[str, Any], today: date) -> None:
    year = today.year
    prog = await _progress(uow.repo, agency["org_id"], year, today)
    records = uow.repo(RECORDS)
    record = await records.get(agency["org_id"])
    version = (record or {}).get("version", 0) + 1
    if record is None:
        await records.insert({"_id": agency["org_id"], "agency_org_id": agency["org_id"], "version": version,
                              "basic_info": None})
    else:  # every change of the agency's records moves its version (its snapshot event's order)
        await records.update({"_id": agency["org_id"]}, {"$set": {"version": version}})
    uow.emit(SAVED, subject=agency["org_id"], data=AgencySaved(
        agency_org_id=agency["org_id"], name=agency.get("name", ""), division_code=agency.get("division_code"),
        kind=((record or {}).get("basic_info") or {}).get("kind"), year=year,
        steps_done=[s["step"] for s in prog["steps"] if s["done"]], next_step=prog["next_step"],
        qualification_status=prog["qualification_status"], version=version))


# -- HUN-02 agency records ---------------------------------------------------------------


async def save_basic_info(*, mongo: Any, actor: Principal, agency_org_id: str, data: dict[str, Any]
                          ) -> dict[str, Any]:
    """HUN-02: the agency's leader submits its basic-information form (监督机构基本信息填报):
    ``name, credit_code (GB 32100), kind (combined|quality|safety), approved_headcount,
    address, leader_name, leader_mobile`` required, ``established_on, phone, email,
    funding_source`` optional. The jurisdiction is the organisation's GB/T 2260 code, never
    typed here. 422 naming the field (a wrong credit-code check character
    ``credit-code-check-character``); 403/404 per the access rules. Returns the record."""
    agency = await _writable(mongo, actor, agency_org_id)
    missing = [f for f in rules.BASIC_REQUIRED if data.get(f) in (None, "")]
    if missing:
        raise Unprocessable(f"required: {', '.join(missing)}", field=missing[0], slug="required-field-missing")
    info = dict(data)
    info["credit_code"] = credit_code.validate(data["credit_code"])
    if info["kind"] not in rules.AGENCY_KINDS:
        raise Unprocessable(f"kind must be one of {', '.join(rules.AGENCY_KINDS)}", field="kind")
    if info.get("established_on") is not None:
        info["established_on"] = info["established_on"].isoformat()
    today = _today()

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        records = uow.repo(RECORDS)
        now = utcnow()
        if await records.get(agency_org_id) is None:
            await records.insert({"_id": agency_org_id, "agency_org_id": agency_org_id, "version": 0,
                                  "basic_info": None})
        await records.update({"_id": agency_org_id}, {"$set": {"basic_info": info, "updated_at": now,
                                                                "updated_by": actor.user_id}})
        await _emit_saved(uow, agency, today)
        return await records.get(agency_org_id)  # type: ignore[return-value]

    return await with_transaction(mongo, actor.tenant, fn, aggregate=f"agency:{agency_org_id}")


async def agency_detail(*, mongo: Any, actor: Principal, agency_org_id: str, year: int | None = None
                        ) -> dict[str, Any]:
    """HUN-02 detail view: the organisation (name, division), the basic information (None
    until filed), the completion progress for ``year`` (default: this year), the
    qualification (HUN-08) and the year's figures. 404 when not visible."""
    agency = await readable_agency(mongo, actor, agency_org_id)
    today = _today()
    year = rules.check_year(year or today.year, today)

    def repo_of(name: str) -> Any:
        return mongo.repo(name, actor.tenant)

    record = await repo_of(RECORDS).get(agency_org_id)
    return {"agency": agency, "basic_info": (record or {}).get("basic_info"),
            "progress": await _progress(repo_of, agency_org_id, year, today),
            "qualification": await repo_of(QUALIFICATIONS).get(agency_org_id),
            "projects": await repo_of(FIGURES).get(f"{agency_org_id}:projects:{year}"),
            "funding": await repo_of(FIGURES).get(f"{agency_org_id}:funding:{year}")}


async def list_agencies(*, mongo: Any, actor: Principal, kind: str | None, limit: int, cursor: str | None
                        ) -> tuple[list[dict[str, Any]], str | None]:
    """HUN-02 summary list (监督机构基本情况汇总): the agencies the caller may see (itself;
    a city its counties'; the province all), by name, with each one's basic information
    and progress this year; ``kind`` filters on the filed basic information. Paged in the
    database (``rules.visible_filter``)."""
    own = await _org(mongo, actor.tenant, actor.org_id)
    flt = rules.visible_filter(actor, own)
    if kind:
        records = await mongo.repo(RECORDS, actor.tenant).find({"basic_info.kind": kind}, limit=0,
                                                                 projection={"_id": 1})
        flt = {"$and": [flt, {"org_id": {"$in": [r["_id"] for r in records]}}]}
    page: DocPage = await paginate(mongo.repo(ORGANIZATIONS, actor.tenant), flt, sort=[("name", 1)], limit=limit,
                                   cursor=cursor)
    today = _today()

    def repo_of(name: str) -> Any:
        return mongo.repo(name, actor.tenant)

    items = []
    for org in page.items:
        record = await repo_of(RECORDS).get(org["org_id"])
        items.append({"agency": org, "basic_info": (record or {}).get("basic_info"),
                      "progress": await _progress(repo_of, org["org_id"], today.year, today)})
    return items, page.next_cursor


# -- HUN-05 staff records ------------------------------------------------------------------


def _staff_state(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc.get(k) for k in (*STAFF_FIELDS, "certificates")}


async def _revision(uow: UnitOfWork, doc: dict[str, Any], *, deleted: bool = False) -> None:
    seq = await next_staff_seq(uow, doc["agency_org_id"])
    await uow.repo(REVISIONS).insert({"_id": new_id(), "agency_org_id": doc["agency_org_id"], "staff_id": doc["_id"],
                                      "seq": seq, "at": utcnow(), "state": None if deleted else _staff_state(doc)})
    # every staff change passes here: identity's staff snapshots (HUN-20 user applications)
    uow.emit("personnel.staff.saved.v1", subject=doc["_id"], data=StaffSaved(
        staff_id=doc["_id"], agency_org_id=doc["agency_org_id"], name=doc.get("name") or "",
        mobile=doc.get("mobile"), post=doc.get("post"), deleted=deleted or bool(doc.get("deleted")),
        version=doc.get("version", 1)))


def _staff_doc(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: data.get(k) for k in STAFF_FIELDS if k in data}
    for k in ("birth_date", "hired_on"):
        if out.get(k) is not None:
            out[k] = out[k].isoformat()
    return out


async def add_staff(*, mongo: Any, actor: Principal, agency_org_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """HUN-05 新增非持证人员: the agency's leader adds a staff member without supervision
    certificates (``name, gender, birth_date, post, education, title`` required; ``mobile,
    hired_on`` optional). Certified supervisors come with their certificates (HUN-09..12).
    422 naming the field; 403/404. Returns the record (``version`` 1)."""
    agency = await _writable(mongo, actor, agency_org_id)
    today = _today()
    rules.check_staff(data, today)
    doc = {"_id": new_id(), "agency_org_id": agency_org_id, **_staff_doc(data), "certificates": [],
           "deleted": False, "version": 1, "created_at": utcnow(), "created_by": actor.user_id}

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        stored = await uow.repo(STAFF).insert(doc)
        await _revision(uow, stored)
        await _emit_saved(uow, agency, today)
        return stored

    return await with_transaction(mongo, actor.tenant, fn)


async def _own_staff(repo: Any, agency_org_id: str, staff_id: str) -> dict[str, Any]:
    doc = await repo.get(staff_id)
    if doc is None or doc.get("deleted") or doc["agency_org_id"] != agency_org_id:
        raise NotFound("no such staff record in this agency", slug="staff-not-found")
    return doc


async def change_staff(*, mongo: Any, actor: Principal, agency_org_id: str, staff_id: str,
                       changes: dict[str, Any], if_version: int | None = None) -> dict[str, Any]:
    """HUN-05 修改: the leader changes a staff record's fields (only those given). With
    ``if_version``, 409 ``version-mismatch`` when someone changed it meanwhile. 404 for
    another agency's record."""
    agency = await _writable(mongo, actor, agency_org_id)
    today = _today()
    rules.check_staff(changes, today)
    update = _staff_doc(changes)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        staff = uow.repo(STAFF)
        doc = await _own_staff(staff, agency_org_id, staff_id)
        if if_version is not None and doc["version"] != if_version:
            raise Conflict(f"the record is at version {doc['version']}", field="version", slug="version-mismatch")
        new = await staff.update({"_id": staff_id, "version": doc["version"]},
                                 {"$set": {**update, "version": doc["version"] + 1, "updated_at": utcnow()}})
        assert new is not None
        await _revision(uow, new)
        await _emit_saved(uow, agency, today)
        return new

    return await with_transaction(mongo, actor.tenant, fn, aggregate=f"staff:{staff_id}")


async def delete_staff(*, mongo: Any, actor: Principal, agency_org_id: str, staff_id: str) -> None:
    """HUN-05 删除: the leader deletes a staff record (kept as history for past years'
    returns; gone from lists and from this year's structure). 404 for another agency's."""
    agency = await _writable(mongo, actor, agency_org_id)
    today = _today()

    async def fn(uow: UnitOfWork) -> None:
        staff = uow.repo(STAFF)
        doc = await _own_staff(staff, agency_org_id, staff_id)
        new = await staff.update({"_id": staff_id, "version": doc["version"]},
                                 {"$set": {"deleted": True, "version": doc["version"] + 1, "deleted_at": utcnow()}})
        assert new is not None
        await _revision(uow, new, deleted=True)
        await _emit_saved(uow, agency, today)

    await with_transaction(mongo, actor.tenant, fn, aggregate=f"staff:{staff_id}")


async def list_staff(*, mongo: Any, actor: Principal, agency_org_id: str, post: str | None, limit: int,
                     cursor: str | None) -> DocPage:
    """HUN-05 在职工作人员基础数据: the agency's current staff by name (``post`` filters)."""
    await readable_agency(mongo, actor, agency_org_id)
    flt: dict[str, Any] = {"agency_org_id": agency_org_id, "deleted": False}
    if post:
        flt["post"] = post
    return await paginate(mongo.repo(STAFF, actor.tenant), flt, sort=[("name", 1)], limit=limit, cursor=cursor)


# -- HUN-04 staffing structure ---------------------------------------------------------------


async def staffing_structure(*, mongo: Any, actor: Principal, agency_org_id: str, year: int | None = None
                             ) -> dict[str, Any]:
    """HUN-04 人员结构情况: for the current year (China time) computed live from the staff
    records (``frozen: false``); for a past year the return frozen as of 31 December
    (``frozen: true``, ``frozen_at``) — 409 ``staffing-return-not-frozen-yet`` with
    Retry-After while the year-end job has not caught up (it runs at start and hourly);
    404 ``no-staffing-return-for-year`` for a year before the agency's first staff record.
    Years before 2000 or after this year: 422 naming ``year``."""
    await readable_agency(mongo, actor, agency_org_id)
    today = _today()
    year = rules.check_year(year or today.year, today)
    if year == today.year:
        staff = await mongo.repo(STAFF, actor.tenant).find({"agency_org_id": agency_org_id, "deleted": False},
                                                             limit=0)
        return {**rules.staffing_structure(staff, year), "frozen": False, "frozen_at": None}
    frozen = await mongo.repo(RETURNS, actor.tenant).get(f"{agency_org_id}:{year}")
    if frozen is None:
        history = await mongo.repo(REVISIONS, actor.tenant).find_one(
            {"agency_org_id": agency_org_id, "at": {"$lt": year_end(year, actor.tenant)}})
        if history is None:  # no staff record existed that year: nothing will ever be frozen
            raise NotFound(f"the agency had no staff records in {year}", slug="no-staffing-return-for-year")
        raise NotYetAvailable(f"the {year} return is frozen by the year-end job; it has not run yet",
                              field="year", slug="staffing-return-not-frozen-yet", retry_after=60)
    return {**frozen["structure"], "frozen": True, "frozen_at": frozen["frozen_at"]}


def year_end(year: int, tenant: str) -> Any:
    """The instant the year ends in the tenant's zone (1 January of ``year + 1``, 00:00 China)."""
    return day_start(date(year + 1, 1, 1), tenant)


async def freeze_year(*, mongo: Any, tenant: str, agency_org_id: str, year: int) -> bool:
    """Freeze ``year``'s staffing return of one agency as the staff stood at the end of 31
    December (China time), from the staff revisions — exact even when run days later.
    Exactly once: the return's ``_id`` is ``<agency>:<year>``; a second run (another replica,
    a restart) finds it and changes nothing. Returns True when this call froze it."""
    returns = mongo.repo(RETURNS, tenant)
    key = f"{agency_org_id}:{year}"
    if await returns.get(key) is not None:
        return False
    revisions = await mongo.repo(REVISIONS, tenant).find(
        {"agency_org_id": agency_org_id, "at": {"$lt": year_end(year, tenant)}}, sort=[("seq", 1)], limit=0)
    structure = rules.staffing_structure(rules.state_as_of(revisions), year)
    doc = {"_id": key, "agency_org_id": agency_org_id, "year": year, "structure": structure, "frozen_at": utcnow()}

    async def fn(uow: UnitOfWork) -> bool:
        if await insert_once(uow.repo(RETURNS), doc) is None:
            return False
        uow.emit("personnel.staffing_return.frozen.v1", subject=agency_org_id, data=_frozen_event(doc))
        return True

    try:
        return await with_transaction(mongo, tenant, fn, aggregate=f"return:{key}")
    except Exception as exc:  # a concurrent replica froze it first: the duplicate spoils our unit
        if await returns.get(key) is not None:
            return False
        raise exc


def _frozen_event(doc: dict[str, Any]) -> StaffingReturnFrozen:
    return StaffingReturnFrozen(agency_org_id=doc["agency_org_id"], year=doc["year"],
                                total=doc["structure"]["total"], frozen_at=doc["frozen_at"])


async def freeze_due_years(*, mongo: Any, tenant: str, now: Any = None) -> int:
    """The year-end job (HUN-04) for one tenant: every past year of every agency with staff
    history that has no frozen return yet is frozen (catching up after downtime: a service
    down over New Year freezes the year at its next start, as of 31 December). Returns how
    many returns this run froze."""
    today = china_day(now or utcnow(), tenant)
    revisions = mongo.repo(REVISIONS, tenant)
    frozen = 0
    firsts = await revisions.find({"seq": 1}, limit=0)  # each agency's first staff change
    for first in firsts:
        start = china_day(first["at"], tenant).year
        for year in range(start, today.year):
            frozen += await freeze_year(mongo=mongo, tenant=tenant, agency_org_id=first["agency_org_id"], year=year)
    return frozen


# -- HUN-06 / HUN-07 figures per year ---------------------------------------------------------


async def add_figures(*, mongo: Any, actor: Principal, agency_org_id: str, kind: str, year: int,
                      figures: dict[str, Any]) -> dict[str, Any]:
    """HUN-06 监督工程情况 (``kind`` projects) / HUN-07 监督经费情况 (``kind`` funding) of one
    year: one per agency, kind and year — a second is 409 ``figures-exist-for-year`` (the
    database decides, concurrent adds included). 422 naming ``year`` out of range."""
    agency = await _writable(mongo, actor, agency_org_id)
    today = _today()
    rules.check_year(year, today)
    doc = {"_id": f"{agency_org_id}:{kind}:{year}", "agency_org_id": agency_org_id, "kind": kind, "year": year,
           "figures": figures, "version": 1, "created_at": utcnow(), "created_by": actor.user_id}

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        if await uow.repo(FIGURES).get(doc["_id"]) is not None or await insert_once(uow.repo(FIGURES), doc) is None:
            raise Conflict(f"the {year} figures exist: change them instead", field="year",
                           slug="figures-exist-for-year")
        await _emit_saved(uow, agency, today)
        return doc

    try:
        return await with_transaction(mongo, actor.tenant, fn)
    except Conflict:
        raise
    except Exception:  # a concurrent add of the same year won: its duplicate spoiled this unit
        if await mongo.repo(FIGURES, actor.tenant).get(doc["_id"]) is not None:
            raise Conflict(f"the {year} figures exist: change them instead", field="year",
                           slug="figures-exist-for-year") from None
        raise


async def change_figures(*, mongo: Any, actor: Principal, agency_org_id: str, kind: str, year: int,
                         figures: dict[str, Any]) -> dict[str, Any]:
    """HUN-06/07 修改: replace one year's figures (404 ``figures-not-found`` when none)."""
    agency = await _writable(mongo, actor, agency_org_id)
    today = _today()

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        doc = await uow.repo(FIGURES).get(f"{agency_org_id}:{kind}:{year}")
        if doc is None:
            raise NotFound(f"no {kind} figures for {year}", slug="figures-not-found")
        new = await uow.repo(FIGURES).update({"_id": doc["_id"]}, {"$set": {
            "figures": figures, "version": doc["version"] + 1, "updated_at": utcnow()}})
        await _emit_saved(uow, agency, today)
        return new  # type: ignore[return-value]

    return await with_transaction(mongo, actor.tenant, fn)


async def list_figures(*, mongo: Any, actor: Principal, agency_org_id: str, kind: str) -> list[dict[str, Any]]:
    """HUN-06/07 list: the agency's figures of ``kind``, newest year first (one per year)."""
    await readable_agency(mongo, actor, agency_org_id)
    return await mongo.repo(FIGURES, actor.tenant).find({"agency_org_id": agency_org_id, "kind": kind},
                                                          sort=[("year", -1)], limit=0)


async def get_figures(*, mongo: Any, actor: Principal, agency_org_id: str, kind: str, year: int) -> dict[str, Any]:
    """HUN-06/07 查看/查看详情: one year's figures (404 ``figures-not-found``)."""
    await readable_agency(mongo, actor, agency_org_id)
    doc = await mongo.repo(FIGURES, actor.tenant).get(f"{agency_org_id}:{kind}:{year}")
    if doc is None:
        raise NotFound(f"no {kind} figures for {year}", slug="figures-not-found")
    return doc


# -- HUN-08 qualification verification ----------------------------------------------------------


async def file_qualification(*, mongo: Any, actor: Principal, agency_org_id: str, data: dict[str, Any]
                             ) -> dict[str, Any]:
    """HUN-08 监督资格验证情况填报: the leader files the agency's qualification
    (``certificate_number, issued_on, valid_until``); status ``pending`` until the province
    office decides. 422 ``valid-until-before-issue``; 409 ``qualification-already-verified``
    while a verified one is still valid."""
    agency = await _writable(mongo, actor, agency_org_id)
    today = _today()
    if data["valid_until"] <= data["issued_on"]:
        raise Unprocessable("the validity ends before it starts", field="valid_until", slug="valid-until-before-issue")

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        quals = uow.repo(QUALIFICATIONS)
        held = await quals.get(agency_org_id)
        if rules.qualification_status(held, today) == "verified":
            raise Conflict("the agency's qualification is verified and valid", field="certificate_number",
                           slug="qualification-already-verified")
        doc = {"certificate_number": data["certificate_number"], "issued_on": data["issued_on"].isoformat(),
               "valid_until": data["valid_until"].isoformat(), "status": "pending", "filed_at": utcnow(),
               "filed_by": actor.user_id, "decision": None}
        if held is None:
            await quals.insert({"_id": agency_org_id, "agency_org_id": agency_org_id, **doc})
        else:
            await quals.update({"_id": agency_org_id}, {"$set": doc})
        await _emit_saved(uow, agency, today)
        return await quals.get(agency_org_id)  # type: ignore[return-value]

    return await with_transaction(mongo, actor.tenant, fn, aggregate=f"agency:{agency_org_id}")


async def decide_qualification(*, mongo: Any, actor: Principal, agency_org_id: str, decision: str,
                               reason: str | None) -> dict[str, Any]:
    """HUN-08: the province office verifies (``verify``) or rejects (``reject``, reason
    required, 422 naming ``reason``) a pending qualification. 403 ``not-province-office``;
    409 ``qualification-not-pending``."""
    agency = await readable_agency(mongo, actor, agency_org_id)
    if not rules.is_province_office(actor, await _org(mongo, actor.tenant, actor.org_id)):
        raise Forbidden("only the province office verifies qualifications", slug="not-province-office")
    if decision == "reject" and not (reason or "").strip():
        raise Unprocessable("a rejection needs its reason", field="reason")
    today = _today()

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        quals = uow.repo(QUALIFICATIONS)
        held = await quals.get(agency_org_id)
        if held is None or held.get("status") != "pending":
            raise Conflict("no qualification waits for a decision", field="decision", slug="qualification-not-pending")
        new = await quals.update({"_id": agency_org_id, "status": "pending"}, {"$set": {
            "status": "verified" if decision == "verify" else "rejected",
            "decision": {"by": actor.user_id, "at": utcnow(), "reason": reason}}})
        await _emit_saved(uow, agency, today)
        return new  # type: ignore[return-value]

    return await with_transaction(mongo, actor.tenant, fn, aggregate=f"agency:{agency_org_id}")


# -- HUN-03 the annual record ---------------------------------------------------------------------


async def annual_record(*, mongo: Any, actor: Principal, agency_org_id: str, year: int) -> dict[str, Any]:
    """HUN-03 one agency's annual record (the data of its export): basic information, the
    staffing structure of ``year``, supervised projects, funding and qualification. 422
    ``annual-record-incomplete`` naming the first missing part (``field``) and listing all
    (``missing``) until every step of the completion flow is filled (manual: only agencies whose
    人员结构、监督工程、监督经费、监督资格验证 are filled may export)."""
    detail = await agency_detail(mongo=mongo, actor=actor, agency_org_id=agency_org_id, year=year)
    done = {s["step"]: s["done"] for s in detail["progress"]["steps"]}
    if year != _today().year:  # a past year's staffing is its frozen return
        done["staffing"] = await mongo.repo(RETURNS, actor.tenant).get(f"{agency_org_id}:{year}") is not None
    missing = rules.missing_for_annual_record(done)
    if missing:
        raise Unprocessable(f"the {year} annual record lacks: {', '.join(missing)}", field=missing[0],
                            slug="annual-record-incomplete",
                            errors=[FieldProblem(m, f"{m} is not filled") for m in missing])
    detail["staffing"] = await staffing_structure(mongo=mongo, actor=actor, agency_org_id=agency_org_id, year=year)
    return detail

