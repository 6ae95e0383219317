"""Use cases of the crane registry (HEB-03/06/07/12/14/15/17) on the shared application lifecycle.

Every use case takes ``mongo`` (a ``UnitOfWorkFactory``: the service's ``Mongo`` or the
in-memory ``FakeDatabase``), the caller's ``Principal`` and plain values; it raises
``anjian_shared.errors`` classes. Every state change, its event(s) and its audit line commit in
one transaction (``with_transaction``).

Locks are unique documents (``adapters.store``): the database refuses a second lock of a machine
or a person, so two concurrent requests can never both pass. The refusal names where the machine
or person stands (409 ``machine-locked`` / ``operator-locked``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from anjian_shared import divisions
from anjian_shared.applications import (
    COMPLETED,
    IN_PROGRESS,
    Actor,
    Application,
    Box,
    Stage,
    applicant_filter,
    inbox_filter,
    new_application,
)
from anjian_shared.china_time import china_day
from anjian_shared.errors import (
    Conflict,
    FieldProblem,
    Forbidden,
    NotFound,
    NotYetAvailable,
    Unprocessable,
)
from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.equipment_v1 import (
    ApplicationStageChanged,
    MachineCancelled,
    MachineFiled,
    MachineLockChanged,
    OperatorLockChanged,
)
from anjian_shared.media import MediaIntake, MediaPolicy, Sniffed, Upload
from anjian_shared.mongo import UnitOfWork, UnitOfWorkFactory, with_transaction
from anjian_shared.pagination import DocPage, paginate
from anjian_shared.principal import Principal, Role
from anjian_shared.tenant_policy import tenant_policy
from anjian_shared.types import new_id, utcnow

from ..adapters import store
from ..domain.model import (
    KIND_LABELS,
    REQUIRED_SLOTS,
    SLOTS,
    InstallationForm,
    InstallerEntryForm,
    Kind,
    MachineForm,
    UseRegistrationForm,
    check_filing,
    check_installer_entry,
    check_legacy_workers,
    check_operator,
    check_use_window,
    check_worker,
    entry_valid_until,
    filing_number,
    key,
    life_limit_name,
    parse_form,
    registration_number,
    split_legacy_workers,
)

MIN_SCAN = (1024, 768)
"""HEB-17: scans below 1024×768 are accepted with a warning."""
AUTHORITY_KINDS = ("authority", "station")
DECIDER_ROLES = (Role.STATION_LEADER, Role.SUPERVISOR, Role.PROVINCE_ADMIN)


def actor(p: Principal) -> Actor:
    return Actor(user_id=p.user_id, org_id=p.org_id, name=p.name)


def person(p: Principal) -> PersonRef:
    return PersonRef(user_id=p.user_id, name=p.name)


# ------------------------------------------------------------------------------ directory


async def _org(mongo: UnitOfWorkFactory, tenant: str, org_id: str) -> dict[str, Any] | None:
    return await mongo.repo(store.ORGANIZATIONS, tenant).get(org_id)


PROJECT_KINDS = (Kind.INSTALLATION, Kind.USE_REGISTRATION, Kind.DISMANTLING)
PROVINCE_OFFICE = "province"
"""``location_of`` for an out-of-province company: straight to the province office."""


async def _authorities(mongo: UnitOfWorkFactory, tenant: str) -> list[dict[str, Any]]:
    return await mongo.repo(store.ORGANIZATIONS, tenant).find(
        {"kind": {"$in": list(AUTHORITY_KINDS)}, "division_code": {"$type": "string"}}, limit=2000)


async def _project(mongo: UnitOfWorkFactory, tenant: str, project_id: str) -> dict[str, Any]:
    """The project from projects' read model (tenant-scoped: another province's id is unknown here);
    409 ``project-not-yet-known`` + Retry-After naming ``form.project_id`` until it has arrived."""
    project = await mongo.repo(store.PROJECTS, tenant).get(project_id)
    if project is None:
        raise NotYetAvailable("form.project_id: the project has not reached the equipment service (or does "
                              "not exist in this province); retry shortly", field="form.project_id",
                              slug="project-not-yet-known", retry_after=2)
    return project


async def location_of(mongo: UnitOfWorkFactory, p: Principal, kind: Kind,
                      form: dict[str, Any]) -> tuple[str | None, str | None]:
    """(GB/T 2260 code, preferred org id) of "where": the applicant company's registered division
    for a filing/补录 (the province's code for an out-of-province company: straight to the
    province office), the division of the project's station for installation, use registration
    and dismantling (the station is preferred among the authorities of that division)."""
    if kind is Kind.INSTALLER_ENTRY:
        return PROVINCE_OFFICE, None
    if kind in PROJECT_KINDS:
        project = await _project(mongo, p.tenant, str(form.get("project_id") or ""))
        station = await _org(mongo, p.tenant, project.get("station_org_id") or "")
        return ((station or {}).get("division_code"), (station or {}).get("_id"))
    company = await _org(mongo, p.tenant, p.org_id) or {}
    code = company.get("division_code")
    if code and company.get("in_province") is False:
        return PROVINCE_OFFICE, None
    return code, None


async def authority_for(mongo: UnitOfWorkFactory, p: Principal, kind: Kind, requested: str | None,
                        form: Any = None) -> dict[str, Any]:
    """The authority an application of ``kind`` goes to: THE one place answering "where"
    (GB/T 2260, ``anjian_shared.divisions``, identity's organisation directory).

    Filing/补录 (HEB-06/12): where the property owner (the applicant company) is registered;
    an out-of-province company goes straight to the province office. Installation, use
    registration, dismantling (HEB-07/14/15): where the project is (its station's division).
    The answer is the authority or station whose ``division_code`` is the nearest
    ancestor-or-self of that code (the project's own station first, then an authority, at the
    same code). ``requested`` (``authority_org_id``) is optional: accepted only when it is that
    one, else 422 ``wrong-authority`` naming ``authority_org_id``; when several authorities of
    the same kind share that division the applicant must name one of them (422
    ``authority-ambiguous`` listing them). When the applicant's or station's division is not
    known (organisations registered before divisions), the applicant's ``requested`` authority
    or station of the tenant is taken as before (422 naming it when it is none)."""
    code, preferred = await location_of(mongo, p, kind, form or {})
    if code:
        candidates = await _authorities(mongo, p.tenant)
        if code == PROVINCE_OFFICE:
            office = [o for o in candidates if o.get("kind") == "authority"
                      and (divisions.get(o["division_code"]) or _NO_DIVISION).level == "province"]
            if not office:
                raise NotYetAvailable("the province office has not reached the equipment directory yet",
                                      slug="organization-not-yet-known")
            return divisions.accept_requested(office[0], requested)
        return divisions.authority_for(code, candidates, requested=requested, preferred=preferred)
    if not requested:
        raise Unprocessable("the division of the applicant (or of the project's station) is not known: "
                            "choose the authority (authority_org_id)", field="authority_org_id")
    org = await _org(mongo, p.tenant, requested)
    if org is None or org.get("kind") not in AUTHORITY_KINDS:
        raise Unprocessable("authority_org_id is not an authority or station of this province",
                            field="authority_org_id")
    return org


_NO_DIVISION = divisions.Division("", "", "county")


def authority_code(org: dict[str, Any]) -> str:
    """The authority's code in numbers: its GB/T 2260 division (冀**130100**-T-2026-0001).

    Hebei's city letters (冀A 石家庄 …) are the vehicle-plate letters of the public security
    organs; no authoritative list of them is shipped (only unofficial web pages), so the number
    carries the division code instead of a guessed letter. ``filing_code`` of the directory
    entry wins where identity carries one; ``A`` for an authority without a division."""
    return str(org.get("filing_code") or org.get("division_code") or "A")


async def _company_roles(mongo: UnitOfWorkFactory, p: Principal) -> set[str]:
    org = await _org(mongo, p.tenant, p.org_id)
    if org is None:
        raise NotYetAvailable("your organisation has not reached the equipment directory yet",
                              slug="organization-not-yet-known")
    return set(org.get("company_roles") or [])


async def _ensure_applicant_role(mongo: UnitOfWorkFactory, p: Principal, kind: Kind) -> None:
    from ..domain.model import APPLICANT_ROLES

    if p.org_kind != "company" or not p.has(Role.COMPANY_ADMIN, Role.COMPANY_STAFF, Role.PROJECT_MANAGER):
        raise Forbidden(f"{KIND_LABELS[kind]} is filed by a company", slug="not-a-company")
    if not (await _company_roles(mongo, p)) & APPLICANT_ROLES[kind]:
        raise Forbidden(f"{KIND_LABELS[kind]} is filed by a company with role "
                        f"{' or '.join(sorted(APPLICANT_ROLES[kind]))}", slug="company-role-required")


def _ensure_decider(p: Principal) -> None:
    if p.org_kind not in AUTHORITY_KINDS or not p.has(*DECIDER_ROLES):
        raise Forbidden("only the staff of an authority or station decide applications", slug="not-authority-staff")


# ------------------------------------------------------------------------------ applications


async def _load(uow_or_mongo: Any, tenant: str | None, app_id: str) -> dict[str, Any]:
    repo = uow_or_mongo.repo(store.APPLICATIONS) if tenant is None else uow_or_mongo.repo(store.APPLICATIONS, tenant)
    doc = await repo.get(app_id)
    if doc is None:
        raise NotFound("no such application", slug="application-not-found")
    return doc


def _visible(doc: dict[str, Any], p: Principal) -> bool:
    return p.org_id in (doc["applicant"]["org_id"], doc.get("authority_org_id")) or p.has(Role.PROVINCE_ADMIN)


async def _save(uow: UnitOfWork, doc: dict[str, Any], app: Application, **extra: Any) -> dict[str, Any]:
    new = {**doc, **app.to_doc(), **extra}
    updated = await uow.repo(store.APPLICATIONS).update(
        {"_id": app.id, "version": doc["version"]}, {"$set": {k: v for k, v in new.items() if k != "_id"}})
    if updated is None:
        raise Conflict("the application changed meanwhile; reload it", slug="application-changed")
    return updated


def _emit_stage(uow: UnitOfWork, doc: dict[str, Any], app: Application, p: Principal) -> None:
    step = app.history[-1]
    uow.emit(f"equipment.application.{app.stage.value}.v1", subject=app.id, data=ApplicationStageChanged(
        application_id=app.id, kind=app.kind, from_stage=step.from_stage, to_stage=app.stage.value,
        stage_label=app.stage_label, applicant_org_id=app.applicant.org_id, authority_org_id=app.authority_org_id,
        machine_id=doc.get("machine_id"), project_id=doc.get("project_id"), number=doc.get("number"),
        comment=step.comment, by=person(p), at=step.at))


async def create_application(*, mongo: UnitOfWorkFactory, principal: Principal, kind: Kind,
                             form: dict[str, Any]) -> dict[str, Any]:
    """HEB-03 a draft application of ``kind`` with its form (validated: 422 naming ``form.<field>``).
    403 ``not-a-company`` / ``company-role-required`` (filing, 补录: contractor or leasing;
    installation, dismantling: installer; use registration: contractor)."""
    kind = Kind(kind)
    await _ensure_applicant_role(mongo, principal, kind)
    parsed = parse_form(kind, form)
    await _check_links(mongo, principal, kind, parsed, china_day(utcnow()))
    if kind is Kind.INSTALLER_ENTRY and (await _org(mongo, principal.tenant, principal.org_id) or {}).get(
            "in_province") is not False:
        raise Forbidden("进冀备案 is filed by an installer registered outside the province", slug="not-out-of-province")
    app = new_application(id=new_id(), kind=kind.value, by=actor(principal), form=parsed.model_dump(mode="json"),
                          at=utcnow())
    doc = {**app.to_doc(), "attachments": {}, **_links(kind, parsed)}

    async def run(uow: UnitOfWork) -> dict[str, Any]:
        return await uow.repo(store.APPLICATIONS).insert(doc)

    return await with_transaction(mongo, principal.tenant, run)


async def _check_links(mongo: UnitOfWorkFactory, p: Principal, kind: Kind, form: Any, today: date) -> None:
    """The project named exists in this province (projects' read model: 409
    ``project-not-yet-known`` until it arrives) and every operator named holds a valid
    certificate of the right category (personnel's read model, HEB-07/11); every installation
    worker is a person of the applicant installer holding a valid 安装拆卸工 certificate (HEB-14)."""
    if isinstance(form, (InstallationForm, UseRegistrationForm)):
        await _project(mongo, p.tenant, form.project_id)
    people = mongo.repo(store.PEOPLE, p.tenant)
    if isinstance(form, UseRegistrationForm):
        for i, op in enumerate(form.operators):
            check_operator(i, op, await people.get(op.person_id), today)
    if isinstance(form, InstallationForm):
        await _check_workers(people, form, p.org_id, today)


async def _check_workers(people: Any, form: InstallationForm, installer_org_id: str, today: date) -> None:
    """HEB-14 each worker of an installation/dismantling notification (``check_worker``, the one
    helper operators use too), against personnel's read model ``people``."""
    for i, worker in enumerate(form.workers):
        check_worker(i, worker, await people.get(worker.person_id), today, installer_org_id=installer_org_id)


def installation_form(doc: dict[str, Any]) -> tuple[InstallationForm, list[str]]:
    """HEB-14 the stored form of an installation/dismantling notification and the user ids of a
    draft saved before workers were named by person id (``legacy_worker_user_ids``, or still in
    the form when the startup migration has not run)."""
    form, legacy = split_legacy_workers(doc["form"])
    return InstallationForm.model_validate(form), legacy or list(doc.get("legacy_worker_user_ids") or [])


def _links(kind: Kind, form: Any) -> dict[str, Any]:
    if isinstance(form, (InstallationForm, UseRegistrationForm)):
        return {"machine_id": form.machine_id, "project_id": form.project_id}
    return {}


async def update_application(*, mongo: UnitOfWorkFactory, principal: Principal, app_id: str,
                             form: dict[str, Any]) -> dict[str, Any]:
    """HEB-03 the applicant edits a draft or returned application (403 ``not-applicant``; 409
    ``application-not-draft``; 422 naming ``form.<field>``)."""
    async def run(uow: UnitOfWork) -> dict[str, Any]:
        doc = await _load(uow, None, app_id)
        if not _visible(doc, principal):
            raise NotFound("no such application", slug="application-not-found")
        kind = Kind(doc["kind"])
        parsed = parse_form(kind, form)
        await _check_links(mongo, principal, kind, parsed, china_day(utcnow()))
        app = Application.from_doc(doc).edit(actor(principal), parsed.model_dump(mode="json"), utcnow())
        if kind in (Kind.FILING, Kind.SUPPLEMENTARY) and doc.get("machine_id"):
            raise Conflict("the machine of a submitted filing is fixed", slug="application-not-draft")
        extra = {"legacy_worker_user_ids": []} if doc.get("legacy_worker_user_ids") else {}
        return await _save(uow, doc, app, **_links(kind, parsed), **extra)

    return await with_transaction(mongo, principal.tenant, run, aggregate=f"application:{app_id}")


async def add_attachment(*, mongo: UnitOfWorkFactory, storage: Any, settings: Any, principal: Principal,
                         app_id: str, slot: str, upload: Upload) -> tuple[dict[str, Any], list[str]]:
    """HEB-17 attach one file to ``slot`` of a draft/returned application: PDF, DOCX, XLSX, JPEG
    or PNG (sniffed), at most the tenant's ``application_attachment_max_bytes`` (Hebei 600 KB):
    413 naming the limit and asking to split the file. A scan below 1024×768 is accepted with
    a warning (returned). 422 naming ``slot`` for an unknown slot; 403/409 as for editing."""
    doc = await _load(mongo, principal.tenant, app_id)
    if not _visible(doc, principal):
        raise NotFound("no such application", slug="application-not-found")
    kind = Kind(doc["kind"])
    if slot not in SLOTS[kind]:
        raise Unprocessable(f"slot must be one of {', '.join(SLOTS[kind])}", field="slot")
    Application.from_doc(doc).edit(actor(principal), doc["form"], utcnow())  # the same checks as an edit
    policy = await tenant_policy(mongo, principal.tenant, settings)
    limit = policy.limit("application_attachment_max_bytes")
    warnings: list[str] = []

    def inspect(_: int, found: Sniffed) -> None:
        if found.width is not None and found.height is not None and (
                found.width < MIN_SCAN[0] or found.height < MIN_SCAN[1]):
            warnings.append(f"scan-below-1024x768: the scan is {found.width}×{found.height}; "
                            "1024×768 or more is needed to read it reliably")

    async with MediaIntake(storage, tenant=principal.tenant, folder=f"applications/{app_id}") as intake:
        [ref] = await intake.take([upload], MediaPolicy.attachment(max_bytes=limit, field="file", split_hint=True),
                                  inspect=inspect)

        async def run(uow: UnitOfWork) -> dict[str, Any]:
            current = await _load(uow, None, app_id)
            app = Application.from_doc(current).edit(actor(principal), current["form"], utcnow())
            attachments = dict(current.get("attachments") or {})
            attachments[slot] = [*attachments.get(slot, []), {**ref.model_dump(mode="json"), "warnings": warnings}]
            return await _save(uow, current, app, attachments=attachments)

        saved = await with_transaction(mongo, principal.tenant, run, aggregate=f"application:{app_id}")
    return saved, warnings


class _Locked(Exception):
    """Raised inside a transaction when a unique lock refused an insert (the transaction is
    spoiled: the refusal naming where is built after it aborted)."""

    def __init__(self, what: str, ident: str) -> None:
        super().__init__(what, ident)
        self.what, self.ident = what, ident


async def _locked_refusal(mongo: UnitOfWorkFactory, tenant: str, err: _Locked) -> Conflict:
    if err.what == "machine":
        lock = await mongo.repo(store.MACHINE_LOCKS, tenant).find_one({"machine_id": err.ident})
        where = lock["project_id"] if lock else "another project"
        return Conflict(f"the machine is locked to project {where} until it is dismantled (HEB-14)",
                        slug="machine-locked", field="form.machine_id",
                        errors=[FieldProblem("form.machine_id", f"locked to project {where}")])
    if err.what == "machine-filing":
        return Conflict("this maker and factory number are already filed", slug="machine-already-filed",
                        field="form.factory_number")
    lock = await mongo.repo(store.OPERATOR_LOCKS, tenant).find_one({"person_id": err.ident})
    where = f"machine {lock['machine_id']} on project {lock['project_id']}" if lock else "another machine"
    return Conflict(f"person {err.ident} is registered on {where} until the authority unlocks them (HEB-07)",
                    slug="operator-locked", field="form.operators",
                    errors=[FieldProblem("form.operators", f"{err.ident} registered on {where}")])


async def submit_application(*, mongo: UnitOfWorkFactory, principal: Principal, app_id: str,
                             authority_org_id: str | None) -> dict[str, Any]:
    """HEB-03 上报 to the authority ``authority_for`` picks, with the kind's checks and effects in
    the same transaction:

    - filing/补录 (HEB-06/12): 409 ``model-banned``, ``service-life-exceeded``,
      ``machine-already-filed`` (unique maker + factory number), 422 ``certificates-missing``;
      the machine enters the registry as ``pending``;
    - installation (HEB-14): the machine must be filed (409 ``machine-not-filed``); it is locked
      to the project — 409 ``machine-locked`` naming the project where it stands;
    - use registration (HEB-07): the machine must stand on that project (409
      ``machine-not-installed``), acceptance within 30 days (422), the acceptance record
      attached; every operator is locked — 409 ``operator-locked`` naming where;
    - dismantling (HEB-15): the machine must stand on that project.
    403 ``not-applicant``; 409 ``application-not-draft``; 422 ``attachments`` (required slot)."""
    doc = await _load(mongo, principal.tenant, app_id)
    if not _visible(doc, principal):
        raise NotFound("no such application", slug="application-not-found")
    kind = Kind(doc["kind"])
    org = await authority_for(mongo, principal, kind, authority_org_id, doc["form"])
    policy = await tenant_policy(mongo, principal.tenant)
    today = china_day(utcnow())

    async def run(uow: UnitOfWork) -> dict[str, Any]:
        current = await _load(uow, None, app_id)
        app = Application.from_doc(current).submit(actor(principal), org["_id"], utcnow())
        slots = {s for s, refs in (current.get("attachments") or {}).items() if refs}
        missing = [SLOTS[kind][s] for s in REQUIRED_SLOTS[kind] if s not in slots]
        if missing:
            raise Unprocessable(f"attachments missing: {'、'.join(missing)}", field="attachments",
                                slug="certificates-missing" if kind is Kind.FILING else "attachments-missing")
        extra: dict[str, Any] = {}
        if kind in (Kind.FILING, Kind.SUPPLEMENTARY):
            extra = await _submit_filing(uow, current, kind, slots, policy, today)
        elif kind is Kind.INSTALLATION:
            await _ensure_installer_entry(uow, mongo, principal, today)
            await _submit_installation(uow, current, principal, today)
        elif kind is Kind.USE_REGISTRATION:
            await _submit_use_registration(uow, current, principal, today)
        elif kind is Kind.INSTALLER_ENTRY:
            check_installer_entry(InstallerEntryForm.model_validate(current["form"]), today)
        else:
            await _ensure_installer_entry(uow, mongo, principal, today)
            await _machine_on_project(uow, await _installation_checked(uow, current, today))
        saved = await _save(uow, current, app, **extra)
        _emit_stage(uow, saved, app, principal)
        return saved

    try:
        return await with_transaction(mongo, principal.tenant, run, aggregate=f"application:{app_id}")
    except _Locked as err:
        raise await _locked_refusal(mongo, principal.tenant, err) from None


async def _submit_filing(uow: UnitOfWork, doc: dict[str, Any], kind: Kind, slots: set[str], policy: Any,
                         today: date) -> dict[str, Any]:
    machine = MachineForm.model_validate(doc["form"])
    banned = await uow.repo(store.BANNED).find_one({"model_key": key(machine.model)}) is not None
    limit = life_limit_name(machine)
    check_filing(machine, slots=slots, banned=banned, life_years=policy.limit(limit) if limit else None,
                 today=today, supplementary=kind is Kind.SUPPLEMENTARY)
    machines = uow.repo(store.MACHINES)
    fields = {"machine_kind": machine.machine_kind.value, "model": machine.model, "maker": machine.maker,
              "factory_number": machine.factory_number, "maker_key": key(machine.maker),
              "factory_number_key": key(machine.factory_number),
              "manufacture_date": machine.manufacture_date.isoformat(),
              "rated_moment_knm": machine.rated_moment_knm, "rated_load_t": machine.rated_load_t,
              "owner_org_id": doc["applicant"]["org_id"], "status": "pending", "filing_application_id": doc["_id"],
              "old_filing_number": machine.old_filing_number, "supplementary": kind is Kind.SUPPLEMENTARY,
              "updated_at": utcnow()}
    if doc.get("machine_id"):  # resubmission after 退回
        await machines.update({"_id": doc["machine_id"]}, {"$set": fields})
        return {}
    machine_id = new_id()
    try:
        await machines.insert({"_id": machine_id, "created_at": utcnow(), **fields})
    except Exception as exc:
        if store.is_duplicate(exc):
            raise _Locked("machine-filing", machine.factory_number) from None
        raise
    return {"machine_id": machine_id}


async def _filed_machine(uow: UnitOfWork, machine_id: str) -> dict[str, Any]:
    machine = await uow.repo(store.MACHINES).get(machine_id)
    if machine is None or machine.get("status") != "filed":
        raise Conflict("the machine has no approved filing (备案) or was cancelled", slug="machine-not-filed",
                       field="form.machine_id")
    return machine


async def _ensure_installer_entry(uow: UnitOfWork, mongo: UnitOfWorkFactory, p: Principal, today: date) -> None:
    """HEB-13 an out-of-province installer notifies installation or dismantling only with an
    approved 进冀备案 valid today: 409 ``installer-entry-required`` otherwise."""
    org = await _org(mongo, p.tenant, p.org_id) or {}
    if org.get("in_province") is not False:
        return
    entry = await uow.repo(store.INSTALLER_ENTRIES).find_one({"org_id": p.org_id,
                                                              "valid_until": {"$gte": today.isoformat()}})
    if entry is None:
        raise Conflict("an installer from outside the province needs an approved, valid 进冀备案 (HEB-13) first",
                       slug="installer-entry-required", field="applicant")


async def _installation_checked(uow: UnitOfWork, doc: dict[str, Any], today: date) -> InstallationForm:
    """HEB-14 at 上报 of an installation/dismantling: a draft still naming workers by user id is
    422 ``workers-by-person-id``; every worker is checked again (certificates expire, people
    are removed) against the installer's personnel."""
    form, legacy = installation_form(doc)
    check_legacy_workers(form, legacy)
    await _check_workers(uow.repo(store.PEOPLE), form, doc["applicant"]["org_id"], today)
    return form


async def _submit_installation(uow: UnitOfWork, doc: dict[str, Any], p: Principal, today: date) -> None:
    form = await _installation_checked(uow, doc, today)
    machine = await _filed_machine(uow, form.machine_id)
    held = await uow.repo(store.MACHINE_LOCKS).find_one({"machine_id": form.machine_id})
    if held is not None and held.get("application_id") == doc["_id"]:
        return  # resubmission after 退回: the lock is still this notification's
    lock = {"machine_id": form.machine_id, "project_id": form.project_id, "application_id": doc["_id"],
            "installer_org_id": doc["applicant"]["org_id"], "locked_at": utcnow(), "locked_by": p.user_id}
    if held is not None or await store.insert_machine_lock(uow, lock) is None:
        raise _Locked("machine", form.machine_id)
    reason = "安装告知"
    await store.audit(uow, action="machine.locked", subject=form.machine_id, by=person(p).model_dump(),
                      reason=reason, project_id=form.project_id, application_id=doc["_id"])
    uow.emit("equipment.machine.locked.v1", subject=form.machine_id, data=MachineLockChanged(
        machine_id=form.machine_id, project_id=form.project_id, application_id=doc["_id"], reason=reason,
        by=person(p), at=utcnow(), filing_number=machine.get("filing_number")))


async def _machine_on_project(uow: UnitOfWork, form: Any) -> dict[str, Any]:
    lock = await uow.repo(store.MACHINE_LOCKS).find_one({"machine_id": form.machine_id})
    if lock is None or lock["project_id"] != form.project_id:
        raise Conflict("the machine is not installed on this project (no installation notification)",
                       slug="machine-not-installed", field="form.machine_id")
    return lock


async def _submit_use_registration(uow: UnitOfWork, doc: dict[str, Any], p: Principal, today: date) -> None:
    form = UseRegistrationForm.model_validate(doc["form"])
    check_use_window(form.acceptance_date, today)
    for i, op in enumerate(form.operators):
        check_operator(i, op, await uow.repo(store.PEOPLE).get(op.person_id), today)
    await _filed_machine(uow, form.machine_id)
    await _machine_on_project(uow, form)
    locks = uow.repo(store.OPERATOR_LOCKS)
    for op in form.operators:
        held = await locks.find_one({"person_id": op.person_id})
        if held is not None and held.get("application_id") == doc["_id"]:
            continue
        lock = {"person_id": op.person_id, "name": op.name, "role": op.role.value,
                "certificate_number": op.certificate_number, "machine_id": form.machine_id,
                "project_id": form.project_id, "application_id": doc["_id"],
                "contractor_org_id": doc["applicant"]["org_id"], "locked_at": utcnow(), "locked_by": p.user_id}
        if held is not None or await store.insert_operator_lock(uow, lock) is None:
            raise _Locked("operator", op.person_id)
        reason = "使用登记"
        await store.audit(uow, action="operator.locked", subject=op.person_id, by=person(p).model_dump(),
                          reason=reason, machine_id=form.machine_id, project_id=form.project_id,
                          application_id=doc["_id"])
        uow.emit("equipment.operator.locked.v1", subject=op.person_id, data=OperatorLockChanged(
            person_id=op.person_id, role=op.role.value, certificate_number=op.certificate_number,
            machine_id=form.machine_id, project_id=form.project_id, application_id=doc["_id"], reason=reason,
            by=person(p), at=utcnow(), person_name=op.name))


async def decide(*, mongo: UnitOfWorkFactory, principal: Principal, app_id: str, action: str,
                 comment: str = "") -> dict[str, Any]:
    """HEB-03 the addressed authority's step: ``accept`` 受理 | ``not_accept`` 不予受理 (reason) |
    ``return`` 退回 (what to fix) | ``approve`` / ``refuse`` 办结. Effects in the same transaction:
    an approved filing gets its number (per authority and year) and the machine is ``filed``;
    an approved use registration gets its registration number; an approved dismantling
    releases the machine (HEB-15); a refused or not accepted application releases what it
    locked (a refused filing leaves the registry). 403 ``not-authority-staff`` /
    ``not-addressed-authority``; 409 wrong stage; 422 ``comment`` when a reason is needed."""
    _ensure_decider(principal)
    doc = await _load(mongo, principal.tenant, app_id)
    if not _visible(doc, principal):
        raise NotFound("no such application", slug="application-not-found")
    policy = await tenant_policy(mongo, principal.tenant)
    abbreviation = policy.setting("notice_abbreviation")
    authority = await _org(mongo, principal.tenant, doc.get("authority_org_id") or "") or {}

    async def run(uow: UnitOfWork) -> dict[str, Any]:
        current = await _load(uow, None, app_id)
        app = Application.from_doc(current).apply(action, actor(principal), utcnow(), comment)
        kind = Kind(current["kind"])
        extra: dict[str, Any] = {}
        if app.stage is Stage.APPROVED:
            extra = await _on_approved(uow, current, kind, principal, abbreviation, authority_code(authority))
        elif app.stage in COMPLETED:
            await _release(uow, current, kind, principal, f"{app.stage_label}: {app.decision}")
        saved = await _save(uow, current, app, **extra)
        _emit_stage(uow, saved, app, principal)
        return saved

    return await with_transaction(mongo, principal.tenant, run, aggregate=f"application:{app_id}")


async def _on_approved(uow: UnitOfWork, doc: dict[str, Any], kind: Kind, p: Principal, abbreviation: str,
                       code: str) -> dict[str, Any]:
    now = utcnow()
    year = china_day(now).year
    if kind in (Kind.FILING, Kind.SUPPLEMENTARY):
        form = MachineForm.model_validate(doc["form"])
        if kind is Kind.SUPPLEMENTARY:
            number = form.old_filing_number or ""
        else:
            seq = await store.next_counter(uow, f"filing:{code}:{year}")
            number = filing_number(abbreviation=abbreviation, authority_code=code, kind=form.machine_kind,
                                   year=year, seq=seq)
        await uow.repo(store.MACHINES).update({"_id": doc["machine_id"]}, {"$set": {
            "status": "filed", "filing_number": number, "authority_org_id": doc["authority_org_id"],
            "filed_at": now, "updated_at": now}})
        await store.audit(uow, action="machine.filed", subject=doc["machine_id"], by=person(p).model_dump(),
                          reason=KIND_LABELS[kind], filing_number=number)
        uow.emit("equipment.machine.filed.v1", subject=doc["machine_id"], data=MachineFiled(
            machine_id=doc["machine_id"], filing_number=number, kind=form.machine_kind.value, model=form.model,
            maker=form.maker, factory_number=form.factory_number, owner_org_id=doc["applicant"]["org_id"],
            authority_org_id=doc["authority_org_id"], supplementary=kind is Kind.SUPPLEMENTARY, filed_at=now))
        return {"number": number}
    if kind is Kind.USE_REGISTRATION:
        seq = await store.next_counter(uow, f"registration:{code}:{year}")
        return {"number": registration_number(abbreviation=abbreviation, authority_code=code, year=year, seq=seq),
                "sign_token": new_sign_token(uow.tenant_id), "sign_status": "valid"}
    if kind is Kind.INSTALLER_ENTRY:
        form = InstallerEntryForm.model_validate(doc["form"])
        seq = await store.next_counter(uow, f"entry:{year}")
        number = f"{abbreviation}JJ-{year}-{seq:04d}"
        entries = uow.repo(store.INSTALLER_ENTRIES)
        await entries.delete({"org_id": doc["applicant"]["org_id"]})
        await entries.insert({"_id": new_id(), "org_id": doc["applicant"]["org_id"], "application_id": doc["_id"],
                              "number": number, "valid_until": entry_valid_until(form).isoformat(),
                              "approved_at": now})
        await store.audit(uow, action="installer.entered", subject=doc["applicant"]["org_id"],
                          by=person(p).model_dump(), reason=KIND_LABELS[kind], number=number)
        return {"number": number}
    if kind is Kind.DISMANTLING:
        await _release_machine(uow, doc["machine_id"], p, "拆卸告知已确认 (HEB-15)", project_id=doc["project_id"])
        registrations = uow.repo(store.APPLICATIONS)
        for reg in await registrations.find({"kind": Kind.USE_REGISTRATION.value, "machine_id": doc["machine_id"],
                                             "project_id": doc["project_id"], "sign_status": "valid"}):
            await registrations.update({"_id": reg["_id"]}, {"$set": {"sign_status": "dismantled"}})
    return {}


async def _release_machine(uow: UnitOfWork, machine_id: str, p: Principal, reason: str, *,
                           application_id: str | None = None, project_id: str | None = None) -> None:
    flt: dict[str, Any] = {"machine_id": machine_id}
    if application_id:
        flt["application_id"] = application_id
    if project_id:
        flt["project_id"] = project_id
    locks = uow.repo(store.MACHINE_LOCKS)
    lock = await locks.find_one(flt)
    if lock is None:
        return
    await locks.delete({"_id": lock["_id"]})
    await store.audit(uow, action="machine.unlocked", subject=machine_id, by=person(p).model_dump(), reason=reason,
                      project_id=lock["project_id"], application_id=lock["application_id"])
    machine = await uow.repo(store.MACHINES).get(machine_id)
    uow.emit("equipment.machine.unlocked.v1", subject=machine_id, data=MachineLockChanged(
        machine_id=machine_id, project_id=lock["project_id"], application_id=lock["application_id"], reason=reason,
        by=person(p), at=utcnow(), filing_number=(machine or {}).get("filing_number")))


async def _release_operator(uow: UnitOfWork, lock: dict[str, Any], p: Principal, reason: str) -> None:
    await uow.repo(store.OPERATOR_LOCKS).delete({"_id": lock["_id"]})
    await store.audit(uow, action="operator.unlocked", subject=lock["person_id"], by=person(p).model_dump(),
                      reason=reason, machine_id=lock["machine_id"], project_id=lock["project_id"],
                      application_id=lock["application_id"])
    uow.emit("equipment.operator.unlocked.v1", subject=lock["person_id"], data=OperatorLockChanged(
        person_id=lock["person_id"], role=lock["role"], certificate_number=lock["certificate_number"],
        machine_id=lock["machine_id"], project_id=lock["project_id"], application_id=lock["application_id"],
        reason=reason, by=person(p), at=utcnow(), person_name=lock.get("name")))


async def _release(uow: UnitOfWork, doc: dict[str, Any], kind: Kind, p: Principal, reason: str) -> None:
    """What a not accepted / refused application held is given back."""
    if kind in (Kind.FILING, Kind.SUPPLEMENTARY) and doc.get("machine_id"):
        await uow.repo(store.MACHINES).delete({"_id": doc["machine_id"], "status": "pending"})
    elif kind is Kind.INSTALLATION:
        await _release_machine(uow, doc["machine_id"], p, reason, application_id=doc["_id"])
    elif kind is Kind.USE_REGISTRATION:
        for lock in await uow.repo(store.OPERATOR_LOCKS).find({"application_id": doc["_id"]}):
            await _release_operator(uow, lock, p, reason)


# ------------------------------------------------------------------------------ registry actions


async def _ensure_jurisdiction(mongo: UnitOfWorkFactory, p: Principal, authority_org_id: str | None) -> None:
    """403 ``outside-jurisdiction`` unless the caller is the province administrator, of
    ``authority_org_id`` itself, or of an authority whose division encloses its division."""
    if p.has(Role.PROVINCE_ADMIN) or (authority_org_id and p.org_id == authority_org_id):
        return
    mine = (await _org(mongo, p.tenant, p.org_id) or {}).get("division_code")
    theirs = (await _org(mongo, p.tenant, authority_org_id or "") or {}).get("division_code")
    if mine and theirs and divisions.within(theirs, mine):
        return
    raise Forbidden("only the authority of the registration's jurisdiction (or one above it) unlocks its operators",
                    slug="outside-jurisdiction")



async def unlock_operator(*, mongo: UnitOfWorkFactory, principal: Principal, person_id: str,
                          reason: str) -> dict[str, Any]:
    """HEB-07 the authority unlocks a special-operations person (explicit, audited, with a
    reason: 422 naming ``reason`` without one). Only the authority of the registration's
    jurisdiction unlocks: the authority the use registration went to, an authority whose
    GB/T 2260 division encloses it, or the province administrator — any other authority staff
    is 403 ``outside-jurisdiction``. 403 ``not-authority-staff``; 404 ``operator-not-locked``.
    Returns the released lock."""
    _ensure_decider(principal)
    if not (reason or "").strip():
        raise Unprocessable("unlocking needs a reason", field="reason")
    lock = await mongo.repo(store.OPERATOR_LOCKS, principal.tenant).find_one({"person_id": person_id})
    if lock is None:
        raise NotFound("this person is not locked", slug="operator-not-locked")
    registration = await mongo.repo(store.APPLICATIONS, principal.tenant).get(lock["application_id"]) or {}
    await _ensure_jurisdiction(mongo, principal, registration.get("authority_org_id"))

    async def run(uow: UnitOfWork) -> dict[str, Any]:
        lock = await uow.repo(store.OPERATOR_LOCKS).find_one({"person_id": person_id})
        if lock is None:
            raise NotFound("this person is not locked", slug="operator-not-locked")
        await _release_operator(uow, lock, principal, reason.strip())
        return lock

    return await with_transaction(mongo, principal.tenant, run)


async def cancel_machine(*, mongo: UnitOfWorkFactory, principal: Principal, machine_id: str,
                         reason: str) -> dict[str, Any]:
    """HEB-06 注销: the owner cancels the filing of a scrapped machine (422 ``reason`` when empty;
    409 ``machine-locked`` while it stands on a project; 403 ``not-owner``)."""
    if not (reason or "").strip():
        raise Unprocessable("cancellation needs a reason", field="reason")

    async def run(uow: UnitOfWork) -> dict[str, Any]:
        machine = await uow.repo(store.MACHINES).get(machine_id)
        if machine is None:
            raise NotFound("no such machine", slug="machine-not-found")
        if machine["owner_org_id"] != principal.org_id:
            raise Forbidden("only the owner cancels a filing", slug="not-owner")
        if machine.get("status") != "filed":
            raise Conflict("only a filed machine is cancelled", slug="machine-not-filed")
        if await uow.repo(store.MACHINE_LOCKS).find_one({"machine_id": machine_id}) is not None:
            raise Conflict("the machine stands on a project: dismantle it first", slug="machine-locked")
        now = utcnow()
        updated = await uow.repo(store.MACHINES).update({"_id": machine_id}, {"$set": {
            "status": "cancelled", "cancelled_at": now, "cancel_reason": reason.strip(), "updated_at": now}})
        await store.audit(uow, action="machine.cancelled", subject=machine_id, by=person(principal).model_dump(),
                          reason=reason.strip())
        uow.emit("equipment.machine.cancelled.v1", subject=machine_id, data=MachineCancelled(
            machine_id=machine_id, filing_number=machine.get("filing_number"), reason=reason.strip(),
            by=person(principal), at=now))
        return updated or machine

    return await with_transaction(mongo, principal.tenant, run, aggregate=f"machine:{machine_id}")


async def ban_model(*, mongo: UnitOfWorkFactory, principal: Principal, model: str, reason: str) -> dict[str, Any]:
    """HEB-06 the province administrator lists a banned/eliminated model (tenant-scoped;
    409 ``model-already-banned``; 403 ``not-province-admin``)."""
    if not principal.has(Role.PROVINCE_ADMIN):
        raise Forbidden("the province administrator maintains the banned models", slug="not-province-admin")
    doc = {"_id": new_id(), "model": model.strip(), "model_key": key(model), "reason": reason.strip(),
           "created_at": utcnow(), "created_by": principal.user_id}

    async def run(uow: UnitOfWork) -> dict[str, Any]:
        if await uow.repo(store.BANNED).find_one({"model_key": doc["model_key"]}) is not None:
            raise Conflict("this model is already listed", slug="model-already-banned", field="model")
        saved = await uow.repo(store.BANNED).insert(doc)
        await store.audit(uow, action="model.banned", subject=doc["model_key"], by=person(principal).model_dump(),
                          reason=doc["reason"])
        return saved

    return await with_transaction(mongo, principal.tenant, run)


async def unban_model(*, mongo: UnitOfWorkFactory, principal: Principal, ban_id: str) -> None:
    """HEB-06 the province administrator removes a listed model (404 when unknown)."""
    if not principal.has(Role.PROVINCE_ADMIN):
        raise Forbidden("the province administrator maintains the banned models", slug="not-province-admin")

    async def run(uow: UnitOfWork) -> None:
        ban = await uow.repo(store.BANNED).get(ban_id)
        if ban is None:
            raise NotFound("no such listed model", slug="banned-model-not-found")
        await uow.repo(store.BANNED).delete({"_id": ban_id})
        await store.audit(uow, action="model.unbanned", subject=ban["model_key"], by=person(principal).model_dump())

    await with_transaction(mongo, principal.tenant, run)


async def list_banned(*, mongo: UnitOfWorkFactory, principal: Principal) -> list[dict[str, Any]]:
    """HEB-06 the tenant's banned/eliminated models (anyone of the tenant may read them)."""
    return await mongo.repo(store.BANNED, principal.tenant).find({}, sort=[("model_key", 1)], limit=1000)


# ------------------------------------------------------------------------------ reads


async def get_application(*, mongo: UnitOfWorkFactory, principal: Principal, app_id: str) -> dict[str, Any]:
    """HEB-03 one application the caller may see (applicant org, addressed authority, province admin)."""
    doc = await _load(mongo, principal.tenant, app_id)
    if not _visible(doc, principal):
        raise NotFound("no such application", slug="application-not-found")
    return doc


async def list_applications(*, mongo: UnitOfWorkFactory, principal: Principal, view: str, box: Box | None = None,
                            kind: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """HEB-03 ``view=mine`` (the caller's organisation's, ``box`` 在办/办结) or ``view=inbox``
    (what awaits the caller's authority), newest first."""
    flt = inbox_filter(principal.org_id, kind) if view == "inbox" else applicant_filter(principal.org_id, box, kind)
    return await mongo.repo(store.APPLICATIONS, principal.tenant).find(flt, sort=[("updated_at", -1)], limit=limit)


async def status_summary(*, mongo: UnitOfWorkFactory, principal: Principal) -> dict[str, Any]:
    """HEB-02 the home page's "status of my applications": for the caller's organisation, how
    many applications of each kind stand at each stage (``by_kind``: kind → stage → count, with
    ``kind_label``), totals of 在办 (``in_progress``) and 办结 (``completed``), and for an
    authority or station the size of its inbox (``inbox``: 待受理 submitted, 待办结 accepted)."""
    repo = mongo.repo(store.APPLICATIONS, principal.tenant)
    mine = await repo.find(applicant_filter(principal.org_id), limit=100000,
                           projection={"kind": 1, "stage": 1})
    by_kind: dict[str, dict[str, Any]] = {}
    for doc in mine:
        entry = by_kind.setdefault(doc["kind"], {"kind_label": KIND_LABELS.get(Kind(doc["kind"]), doc["kind"]),
                                                 "stages": {}})
        entry["stages"][doc["stage"]] = entry["stages"].get(doc["stage"], 0) + 1
    out: dict[str, Any] = {
        "by_kind": by_kind,
        "in_progress": sum(1 for d in mine if d["stage"] in {s.value for s in IN_PROGRESS}),
        "completed": sum(1 for d in mine if d["stage"] in {s.value for s in COMPLETED}),
    }
    if principal.org_kind in AUTHORITY_KINDS:
        waiting = await repo.find(inbox_filter(principal.org_id), limit=100000, projection={"stage": 1})
        out["inbox"] = {"submitted": sum(1 for d in waiting if d["stage"] == Stage.SUBMITTED.value),
                        "accepted": sum(1 for d in waiting if d["stage"] == Stage.ACCEPTED.value)}
    return out


async def registry(*, mongo: UnitOfWorkFactory, principal: Principal, limit: int = 20,
                   cursor: str | None = None) -> DocPage:
    """HEB-06/07/14 one page of the registry, oldest filing first (``anjian_shared.pagination``):
    every machine with its filing, where it stands (``project_id`` and ``project_name`` from the
    machine lock) and who operates it (``operators``: the operator locks). Authorities and
    stations see all of the province; a company its own machines. 422 naming ``cursor``."""
    flt = {} if principal.org_kind in AUTHORITY_KINDS else {"owner_org_id": principal.org_id}
    page = await paginate(mongo.repo(store.MACHINES, principal.tenant), flt, sort=[("created_at", 1)],
                          limit=limit, cursor=cursor)
    return DocPage(await _with_places(mongo, principal.tenant, page.items), page.next_cursor)


async def _with_places(mongo: UnitOfWorkFactory, tenant: str, machines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [m["_id"] for m in machines]
    locks = {lk["machine_id"]: lk for lk in await mongo.repo(store.MACHINE_LOCKS, tenant).find(
        {"machine_id": {"$in": ids}}, limit=len(ids) + 1)}
    ops: dict[str, list[dict[str, Any]]] = {}
    for lk in await mongo.repo(store.OPERATOR_LOCKS, tenant).find({"machine_id": {"$in": ids}}, limit=100000):
        ops.setdefault(lk["machine_id"], []).append(lk)
    project_ids = [lk["project_id"] for lk in locks.values()]
    projects = {pr["_id"]: pr for pr in await mongo.repo(store.PROJECTS, tenant).find(
        {"_id": {"$in": project_ids}}, limit=len(project_ids) + 1)}
    out = []
    for m in machines:
        project_id = (locks.get(m["_id"]) or {}).get("project_id")
        out.append({**m, "project_id": project_id,
                    "project_name": (projects.get(project_id or "") or {}).get("name"),
                    "operators": ops.get(m["_id"], [])})
    return out


def new_sign_token(tenant: str) -> str:
    """HEB-07 the registration sign's public token: ``<tenant>.<32 random url-safe characters>``
    (unguessable; the tenant prefix lets the public page find its province)."""
    import secrets

    return f"{tenant}.{secrets.token_urlsafe(24)}"


def media_refs(doc: dict[str, Any]) -> list[MediaRef]:
    """Every attachment of an application as ``MediaRef``."""
    return [MediaRef.model_validate({k: v for k, v in r.items() if k != "warnings"})
            for refs in (doc.get("attachments") or {}).values() for r in refs]
