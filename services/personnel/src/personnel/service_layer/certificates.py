"""Hunan supervisors' personal records and certificate applications (HUN-09..HUN-12): use cases.

- HUN-09 人员基本信息: the personal record of a staff member (view with what is still missing,
  complete with the required fields) and their certificates (kind, number, dates, photo in S3
  through ``MediaIntake``), entered by the agency's leader.
- HUN-10 证书变更 / HUN-11 证书注销 / HUN-12 证书补办: applications (事项,
  ``anjian_shared.applications``) of the agency to the province office. The agency's leader
  creates and submits them; the province office (an authority of province level) accepts,
  does not accept, returns or decides them; the agency deletes its own only while
  未受理/不予受理/已退回 (``Application.ensure_deletable``). On approval the certificate on the
  staff record changes in the same transaction, a staff revision is written (so the year-end
  freeze of HUN-04 stays exact) and ``personnel.supervisor_certificate.changed.v1`` is emitted.

Nobody else sees an application (404 ``application-not-found``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from anjian_shared import divisions
from anjian_shared.applications import Actor, Application, applicant_filter, new_application
from anjian_shared.china_time import china_day
from anjian_shared.errors import Conflict, Forbidden, NotFound, NotYetAvailable, Unprocessable
from anjian_shared.events.personnel_v1 import SupervisorCertificateChanged
from anjian_shared.media import MediaIntake, MediaPolicy, Upload, discard
from anjian_shared.mongo import UnitOfWork, with_transaction
from anjian_shared.principal import Principal
from anjian_shared.tenant_policy import tenant_policy
from anjian_shared.types import new_id, utcnow

from ..adapters.store import ORGANIZATIONS, STAFF
from ..domain import agencies as agency_rules
from ..domain import certificates as rules
from . import agencies as agencies_service
from . import tasks

APPLICATIONS = "certificate_applications"
"""One document per application (``Application.to_doc()`` plus ``agency_org_id``)."""
CHANGED = "personnel.supervisor_certificate.changed.v1"
PHOTO_LIMIT = "photo_max_bytes"


def _today() -> date:
    return china_day(utcnow())


def _actor(p: Principal) -> Actor:
    return Actor(user_id=p.user_id, org_id=p.org_id, name=p.name)


async def _photo_limit(mongo: Any, tenant: str) -> int:
    """The tenant's ``photo_max_bytes`` (the registry's default unless the province changed it)."""
    return (await tenant_policy(mongo, tenant)).limit(PHOTO_LIMIT)


# -- HUN-09 personal records --------------------------------------------------------------


async def personal_record(*, mongo: Any, actor: Principal, agency_org_id: str, staff_id: str) -> dict[str, Any]:
    """HUN-09 查看: the staff record with its certificates and ``missing`` (the required
    personal fields still empty, ``rules.PERSONAL_REQUIRED``). 404 ``agency-not-found`` /
    ``staff-not-found`` for what the caller may not see."""
    await agencies_service.readable_agency(mongo, actor, agency_org_id)
    doc = await agencies_service._own_staff(mongo.repo(STAFF, actor.tenant), agency_org_id, staff_id)
    return {**doc, "missing": rules.missing_personal(doc)}


async def complete_record(*, mongo: Any, actor: Principal, agency_org_id: str, staff_id: str,
                          data: dict[str, Any], if_version: int | None = None) -> dict[str, Any]:
    """HUN-09 完善: the agency's leader fills the personal record's required fields (all of
    ``rules.PERSONAL_REQUIRED``; ``hired_on`` optional) — a staff change (HUN-05 rules and
    revision). 422 naming the first missing field (``required-field-missing``)."""
    missing = [f for f in rules.PERSONAL_REQUIRED if data.get(f) in (None, "")]
    if missing:
        raise Unprocessable(f"required: {', '.join(missing)}", field=missing[0], slug="required-field-missing")
    doc = await agencies_service.change_staff(mongo=mongo, actor=actor, agency_org_id=agency_org_id,
                                              staff_id=staff_id, changes=data, if_version=if_version)
    return {**doc, "missing": rules.missing_personal(doc)}


async def _write_certificates(uow: UnitOfWork, agency: dict[str, Any], doc: dict[str, Any],
                              certificates: list[dict[str, Any]]) -> dict[str, Any]:
    """Replace the staff record's certificates (version +1), write the staff revision (the
    year-end freeze reads it) and the agency's snapshot event."""
    new = await uow.repo(STAFF).update({"_id": doc["_id"], "version": doc["version"]}, {"$set": {
        "certificates": certificates, "version": doc["version"] + 1, "updated_at": utcnow()}})
    if new is None:  # changed by someone else meanwhile: the transaction retries
        raise Conflict("the staff record changed meanwhile", field="version", slug="version-mismatch")
    await agencies_service._revision(uow, new)
    await agencies_service._emit_saved(uow, agency, _today())
    return new


async def add_certificate(*, mongo: Any, storage: Any, actor: Principal, agency_org_id: str, staff_id: str,
                          data: dict[str, Any], photo: Upload | None) -> dict[str, Any]:
    """HUN-09 a certificate on a personal record: ``kind`` (quality|safety), ``number``,
    ``issued_on``, ``valid_until`` and the certificate's photo (JPEG/PNG, the tenant's
    ``photo_max_bytes``; 413/415 naming ``photo``; stored in S3, removed again when the request
    fails). 409 ``certificate-kind-held`` when a valid certificate of the kind is held; 422
    naming the field. Returns the staff record (its revision counted for the year-end freeze)."""
    agency = await agencies_service._writable(mongo, actor, agency_org_id)
    today = _today()
    doc = await agencies_service._own_staff(mongo.repo(STAFF, actor.tenant), agency_org_id, staff_id)
    cert_id = new_id()
    rules.new_certificate(id=cert_id, kind=data["kind"], number=data["number"], issued_on=data["issued_on"],
                          valid_until=data["valid_until"], photo=None, held=doc.get("certificates") or [],
                          today=today)  # refuse before anything is stored
    limit = await _photo_limit(mongo, actor.tenant)
    async with MediaIntake(storage, tenant=actor.tenant, folder=f"staff/{staff_id}/certificates") as intake:
        ref = (await intake.take_one(photo, MediaPolicy.photo(max_bytes=limit, field="photo"))
               if photo is not None else None)

        async def fn(uow: UnitOfWork) -> dict[str, Any]:
            current = await agencies_service._own_staff(uow.repo(STAFF), agency_org_id, staff_id)
            held = current.get("certificates") or []
            cert = rules.new_certificate(
                id=cert_id, kind=data["kind"], number=data["number"], issued_on=data["issued_on"],
                valid_until=data["valid_until"], photo=ref.model_dump(mode="json") if ref else None,
                held=held, today=today)
            return await _write_certificates(uow, agency, current, [*held, cert])

        return await with_transaction(mongo, actor.tenant, fn, aggregate=f"staff:{staff_id}")


# -- HUN-10..12 certificate applications ---------------------------------------------------


async def _province_office(mongo: Any, tenant: str, chosen: str | None = None) -> str:
    """The org id of the province office (an authority of province level) the application goes
    to: ``chosen`` when given (422 naming ``authority_org_id`` when it is not one), else the
    tenant's only one (422 naming ``authority_org_id`` when there are several to choose from);
    409 ``province-office-unknown`` (retryable) until identity's directory has one."""
    offices = [str(org["org_id"]) for org in await mongo.repo(ORGANIZATIONS, tenant).find(
        {"kind": "authority"}, sort=[("_id", 1)], limit=0)
        if (d := divisions.get(org.get("division_code") or "")) is not None and d.level == "province"]
    if chosen is not None:
        if chosen not in offices:
            raise Unprocessable("not a province office of this province", field="authority_org_id")
        return chosen
    if not offices:
        raise NotYetAvailable("the province office is not in the directory yet", slug="province-office-unknown")
    if len(offices) > 1:
        raise Unprocessable("several province offices: name the one to submit to", field="authority_org_id")
    return offices[0]


async def _load(mongo: Any, actor: Principal, app_id: str) -> dict[str, Any]:
    """The application if the caller may see it (the applicant agency, the authority it is
    addressed to, the province office), else 404 ``application-not-found``."""
    doc = await mongo.repo(APPLICATIONS, actor.tenant).get(app_id)
    if doc is None:
        raise NotFound("no such certificate application", slug="application-not-found")
    if actor.org_id in (doc["applicant"]["org_id"], doc.get("authority_org_id")):
        return doc
    own = await mongo.repo(ORGANIZATIONS, actor.tenant).get(actor.org_id)
    if agency_rules.is_province_office(actor, own):
        return doc
    raise NotFound("no such certificate application", slug="application-not-found")


def _store(app: Application, agency_org_id: str) -> dict[str, Any]:
    return {**app.to_doc(), "agency_org_id": agency_org_id, "kind_label": rules.KIND_LABELS[app.kind]}


async def create_application(*, mongo: Any, storage: Any, actor: Principal, agency_org_id: str, kind: str,
                             form: dict[str, Any], photo: Upload | None) -> dict[str, Any]:
    """HUN-10/11/12 新增: the agency's leader drafts an application of ``kind``
    (cert_change | cert_cancellation | cert_reissue) for ``form["staff_id"]``'s certificate
    ``form["certificate_id"]`` with the kind's content (``rules.check_form``) and, for a change
    of number/photo or a reissue, the new certificate's photo (413/415 naming ``photo``).
    409 ``certificate-cancelled`` for a cancelled certificate, ``certificate-application-pending``
    while another application for it is not finished; 404 for another agency's staff. Returns
    the stored application (stage ``draft``)."""
    await agencies_service._writable(mongo, actor, agency_org_id, "certificates.apply")
    today = _today()
    staff = await agencies_service._own_staff(mongo.repo(STAFF, actor.tenant), agency_org_id, form["staff_id"])
    cert = rules.find_certificate(staff, form["certificate_id"])
    rules.require_valid(cert)
    rules.check_form(kind, {**form, "photo": form.get("photo") or ({"pending": True} if photo else None)}, cert,
                     today)  # refuse before the photo is stored
    app_id = new_id()
    limit = await _photo_limit(mongo, actor.tenant)
    async with MediaIntake(storage, tenant=actor.tenant, folder=f"certificate-applications/{app_id}") as intake:
        ref = (await intake.take_one(photo, MediaPolicy.photo(max_bytes=limit, field="photo"))
               if photo is not None else None)
        content = rules.check_form(kind, {**form, "photo": ref.model_dump(mode="json") if ref else None}, cert, today)

        async def fn(uow: UnitOfWork) -> dict[str, Any]:
            repo = uow.repo(APPLICATIONS)
            open_ = await repo.find({"form.certificate_id": form["certificate_id"],
                                     "stage": {"$in": ["draft", "submitted", "accepted", "returned"]}}, limit=1)
            if open_:
                raise Conflict("another application for this certificate is not finished yet",
                               field="certificate_id", slug="certificate-application-pending")
            app = new_application(id=app_id, kind=kind, by=_actor(actor), form=content, at=utcnow())
            return await repo.insert(_store(app, agency_org_id))

        return await with_transaction(mongo, actor.tenant, fn, aggregate=f"certificate:{form['certificate_id']}")


async def submit_application(*, mongo: Any, actor: Principal, app_id: str, comment: str = "",
                             authority_org_id: str | None = None) -> dict[str, Any]:
    """HUN-10..12 上报 (or resubmission after 退回) to the province office
    (``authority_org_id``, optional while the province has one). 403
    ``not-applicant`` / ``not-agency-leader``; 409 ``application-not-draft``; 409
    ``province-office-unknown`` (retryable) while the directory lacks the province office."""
    doc = await _load(mongo, actor, app_id)
    agency_rules.may_manage(actor, doc["agency_org_id"], "certificates.apply")
    authority = await _province_office(mongo, actor.tenant, authority_org_id)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        current = Application.from_doc(await uow.repo(APPLICATIONS).get(app_id))  # type: ignore[arg-type]
        new = current.submit(_actor(actor), authority, utcnow(), comment)
        stored = await _save(uow, new, current.version, doc["agency_org_id"])
        _task(uow, stored)
        return stored

    return await with_transaction(mongo, actor.tenant, fn, aggregate=f"certificate-application:{app_id}")


async def _save(uow: UnitOfWork, app: Application, version: int, agency_org_id: str) -> dict[str, Any]:
    stored = await uow.repo(APPLICATIONS).update({"_id": app.id, "version": version},
                                                 {"$set": {k: v for k, v in _store(app, agency_org_id).items()
                                                           if k != "_id"}})
    if stored is None:
        raise Conflict("the application changed meanwhile", field="version", slug="version-mismatch")
    return stored


async def decide_application(*, mongo: Any, actor: Principal, app_id: str, action: str, comment: str = ""
                             ) -> dict[str, Any]:
    """HUN-10..12 the province office's step: ``accept`` 受理, ``not_accept`` 不予受理 (reason),
    ``return`` 退回 (what to fix), ``approve`` 准予, ``refuse`` 不予许可 (reason). On approval
    the certificate changes (``rules.apply_approved``) in the same transaction, with a staff
    revision and ``personnel.supervisor_certificate.changed.v1``. 403 ``not-addressed-authority``;
    409 per the lifecycle; 409 ``certificate-cancelled`` when approving for a certificate
    cancelled meanwhile."""
    doc = await _load(mongo, actor, app_id)
    agency = dict(agency_rules.require_agency(await mongo.repo(ORGANIZATIONS, actor.tenant).get(doc["agency_org_id"])))

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        current = Application.from_doc(await uow.repo(APPLICATIONS).get(app_id))  # type: ignore[arg-type]
        now = utcnow()
        new = current.apply(action, _actor(actor), now, comment)
        stored = await _save(uow, new, current.version, doc["agency_org_id"])
        if action == "approve":
            await _apply_to_certificate(uow, agency, new, now)
        _task(uow, stored)
        return stored

    return await with_transaction(mongo, actor.tenant, fn, aggregate=f"certificate-application:{app_id}")


def _task(uow: UnitOfWork, stored: dict[str, Any]) -> None:
    """HUN-01: the province office's to-do opens on 上报 and stays through 受理; any other stage
    closes it."""
    stage = stored.get("stage")
    tasks.task(uow, "certificate_application_to_decide", stored["_id"], open=stage in ("submitted", "accepted"),
               title=f"审核{stored.get('kind_label', '证书申请')}",
               body=f"{stored.get('kind_label', '证书')}申请已上报，待省级主管部门审核。",
               assignee_org_id=stored.get("authority_org_id"), assignee_roles=list(tasks.DECIDERS),
               agency_org_id=stored.get("agency_org_id"))


async def _apply_to_certificate(uow: UnitOfWork, agency: dict[str, Any], app: Application, at: Any) -> None:
    form = app.form
    staff = await uow.repo(STAFF).get(form["staff_id"])
    if staff is None or staff.get("deleted"):
        raise Conflict("the staff member was deleted meanwhile", field="staff_id", slug="staff-not-found")
    cert = rules.find_certificate(staff, form["certificate_id"])
    changed = rules.apply_approved(app.kind, form, cert)
    certificates = [changed if c.get("id") == cert["id"] else c for c in staff.get("certificates") or []]
    await _write_certificates(uow, agency, staff, certificates)
    uow.emit(CHANGED, subject=form["staff_id"], data=SupervisorCertificateChanged(
        application_id=app.id, application_kind=app.kind, agency_org_id=agency["org_id"], staff_id=staff["_id"],
        certificate_id=cert["id"], certificate_kind=cert["kind"], number=changed["number"],
        previous_number=cert["number"], issued_on=changed["issued_on"], valid_until=changed["valid_until"],
        status=changed["status"], reissued=changed.get("reissued", 0), approved_at=at))


async def delete_application(*, mongo: Any, storage: Any, actor: Principal, app_id: str) -> None:
    """HUN-10..12 删除: only the applicant agency (403 ``not-applicant``), only while 未受理,
    不予受理 or 已退回 (409 ``application-not-deletable`` saying the stage otherwise). The
    application's photo is removed from S3 after the commit."""
    doc = await _load(mongo, actor, app_id)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        current = await uow.repo(APPLICATIONS).get(app_id)
        if current is None:
            raise NotFound("no such certificate application", slug="application-not-found")
        Application.from_doc(current).ensure_deletable(_actor(actor))
        if actor.org_id == current["agency_org_id"]:
            agency_rules.may_manage(actor, current["agency_org_id"], "certificates.apply")
        await uow.repo(APPLICATIONS).delete({"_id": app_id, "version": current["version"]})
        tasks.task(uow, "certificate_application_to_decide", app_id, open=False)
        return current

    deleted = await with_transaction(mongo, actor.tenant, fn, aggregate=f"certificate-application:{app_id}")
    if storage is not None:
        await discard(storage, [(deleted.get("form") or {}).get("photo") or doc["form"].get("photo")])


async def get_application(*, mongo: Any, actor: Principal, app_id: str) -> dict[str, Any]:
    """HUN-10..12 查看: one application with its history (404 when not the caller's)."""
    return await _load(mongo, actor, app_id)


async def list_applications(*, mongo: Any, actor: Principal, kind: str | None = None, box: str | None = None,
                            limit: int = 50) -> list[dict[str, Any]]:
    """HUN-10..12 lists, newest first: an agency's own applications (``box`` in_progress 在办 /
    completed 办结); the province office's applications addressed to it (``box``
    ``inbox``: those awaiting it). 403 ``forbidden`` for a company."""
    own = await mongo.repo(ORGANIZATIONS, actor.tenant).get(actor.org_id)
    if agency_rules.is_province_office(actor, own):
        flt: dict[str, Any] = {"authority_org_id": {"$ne": None}}
        if box == "inbox":
            flt["stage"] = {"$in": ["submitted", "accepted"]}
        if kind:
            flt["kind"] = kind
    elif actor.org_kind == "agency":
        flt = applicant_filter(actor.org_id, box if box in ("in_progress", "completed") else None,  # type: ignore[arg-type]
                               kind)
    else:
        raise Forbidden("certificate applications are the agencies' and the province office's")
    return await mongo.repo(APPLICATIONS, actor.tenant).find(flt, sort=[("updated_at", -1)], limit=limit)
