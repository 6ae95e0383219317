"""Hunan training registrations and quotas (HUN-13..HUN-15): use cases.

Collections (per tenant):

- ``training_sessions``: a session (档期) the province training office opens: ``kind``,
  ``title``, ``starts_on``/``ends_on`` (ISO dates), ``capacity``, ``taken`` (seats held), ``free`` (capacity − taken).
- ``training_quotas``: ``_id`` = ``<session>:<agency>``: the agency's continuing-education
  ``seats`` in the session, the ``used`` ones and the ``free`` ones.
- ``training_registrations``: one registration (``kind``, ``agency_org_id``, ``staff_id``,
  personal data, ``session_id``, ``status``, ``review``, ``result``, ``photos``) with
  ``active_key`` (unique per tenant): one live registration per staff member, kind and session.

Seats are never counted in Python: a registration takes one with a conditional ``$inc``
on a ``free`` seat count (``free > 0``: ``$inc`` free −1, taken +1; for continuing
education the same on the agency's quota) inside its transaction,
so concurrent registrations — on this replica or another — end with at most ``capacity``
(and at most ``seats`` per agency); a deleted or rejected registration gives its seat back.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from anjian_shared import divisions
from anjian_shared.china_time import china_day
from anjian_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from anjian_shared.events.personnel_v1 import TrainingPassed
from anjian_shared.media import MediaIntake, MediaPolicy, Upload
from anjian_shared.mongo import UnitOfWork, with_transaction
from anjian_shared.pagination import DocPage, paginate
from anjian_shared.principal import Principal, Role
from anjian_shared.tenant_policy import tenant_policy
from anjian_shared.types import new_id, utcnow

from ..adapters.store import ORGANIZATIONS, STAFF
from ..domain import agencies as agency_rules
from ..domain import training as rules
from . import tasks
from .agencies import readable_agency

SESSIONS = "training_sessions"
QUOTAS = "training_quotas"
REGISTRATIONS = "training_registrations"
PASSED = "personnel.training.passed.v1"
PASS_MARK = 60
"""考核合格 at 60 of 100 points."""
MAX_PHOTOS = 4
PERSONAL_FIELDS = ("id_number", "mobile", "workplace", "note")


async def ensure_training_indexes(mongo: Any) -> None:
    """Idempotent: one live registration per staff member, kind and session (the database
    refuses a second, concurrent ones included); the lists' indexes."""
    db = mongo.db
    await db[REGISTRATIONS].create_index([("tenant_id", ASCENDING), ("active_key", ASCENDING)], unique=True,
                                         name="one_live_training_registration")
    await db[REGISTRATIONS].create_index([("tenant_id", ASCENDING), ("agency_org_id", ASCENDING),
                                          ("created_at", ASCENDING)])


def _today() -> date:
    return china_day(utcnow())


async def _office(mongo: Any, actor: Principal) -> None:
    org = await mongo.repo(ORGANIZATIONS, actor.tenant).get(actor.org_id)
    if not agency_rules.is_province_office(actor, org):
        raise Forbidden("only the province training office does this", slug="not-province-office")


async def _is_office(mongo: Any, actor: Principal) -> bool:
    try:
        await _office(mongo, actor)
    except Forbidden:
        return False
    return True


# -- sessions (档期) and quotas (HUN-15) ------------------------------------------------------


async def create_session(*, mongo: Any, actor: Principal, kind: str, title: str, starts_on: date, ends_on: date,
                         capacity: int, location: str | None = None) -> dict[str, Any]:
    """HUN-14/15: the province training office opens a session (档期) of ``kind``
    (``new_staff`` | ``continuing``) from ``starts_on`` to ``ends_on`` (China dates) with
    ``capacity`` seats (≥ 1). 403 ``not-province-office``; 422 ``session-starts-in-past`` naming
    ``starts_on``, ``session-ends-before-start`` naming ``ends_on``. Returns the session
    (``taken`` 0)."""
    await _office(mongo, actor)
    rules.check_session_dates(starts_on, ends_on, _today())
    if kind not in rules.KINDS:
        raise Unprocessable(f"kind must be one of {', '.join(rules.KINDS)}", field="kind")
    if capacity < 1:
        raise Unprocessable("a session has at least one seat", field="capacity")
    doc = {"_id": new_id(), "kind": kind, "title": title, "starts_on": starts_on.isoformat(),
           "ends_on": ends_on.isoformat(), "location": location, "capacity": capacity, "taken": 0, "free": capacity,
           "created_at": utcnow(), "created_by": actor.user_id}

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        return await uow.repo(SESSIONS).insert(doc)

    return await with_transaction(mongo, actor.tenant, fn)


async def change_capacity(*, mongo: Any, actor: Principal, session_id: str, capacity: int) -> dict[str, Any]:
    """HUN-15: the office changes a session's capacity; never below the seats taken (409
    ``capacity-below-taken``) nor below the seats given to agencies (409
    ``capacity-below-quotas``) — the update is conditional on ``taken``, so a registration
    landing meanwhile is counted."""
    await _office(mongo, actor)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        session = await _session(uow.repo(SESSIONS), session_id)
        rules.check_capacity_change(capacity, session["taken"])
        given = sum(q["seats"] for q in await uow.repo(QUOTAS).find({"session_id": session_id}, limit=0))
        if capacity < given:
            raise Conflict(f"{given} seats are given to agencies", field="capacity", slug="capacity-below-quotas")
        new = await uow.repo(SESSIONS).update({"_id": session_id, "taken": session["taken"]},
                                              {"$set": {"capacity": capacity, "free": capacity - session["taken"]}})
        if new is None:
            raise Conflict("seats were taken meanwhile", field="capacity", slug="capacity-below-taken")
        return new

    return await with_transaction(mongo, actor.tenant, fn, aggregate=f"training-session:{session_id}")


async def _session(repo: Any, session_id: str) -> dict[str, Any]:
    doc = await repo.get(session_id)
    if doc is None:
        raise NotFound("no such training session", slug="training-session-not-found")
    return doc


def _may_see_sessions(actor: Principal) -> bool:
    """Sessions concern the supervision side: agencies, authorities, the province administrator
    (companies never register their people for them)."""
    return actor.org_kind in ("agency", "authority") or actor.has(Role.PROVINCE_ADMIN, Role.PLATFORM_ADMIN)


async def list_sessions(*, mongo: Any, actor: Principal, kind: str | None, limit: int, cursor: str | None
                        ) -> DocPage:
    """The tenant's sessions, latest start first (``kind`` filters), for agencies, authorities and
    the province administrator (a company's list is empty)."""
    flt: dict[str, Any] = {"kind": kind} if kind else {}
    if not _may_see_sessions(actor):
        flt["_id"] = {"$in": []}
    return await paginate(mongo.repo(SESSIONS, actor.tenant), flt, sort=[("starts_on", -1)], limit=limit,
                          cursor=cursor)


async def get_session(*, mongo: Any, actor: Principal, session_id: str) -> dict[str, Any]:
    """One session with its quotas: the office sees every agency's, an agency only its own.
    404 ``training-session-not-found`` (also for a company)."""
    if not _may_see_sessions(actor):
        raise NotFound("no such training session", slug="training-session-not-found")
    session = await _session(mongo.repo(SESSIONS, actor.tenant), session_id)
    flt: dict[str, Any] = {"session_id": session_id}
    if not await _is_office(mongo, actor):
        flt["agency_org_id"] = actor.org_id
    quotas = await mongo.repo(QUOTAS, actor.tenant).find(flt, sort=[("agency_org_id", 1)], limit=0)
    return {**session, "quotas": quotas}


async def set_quota(*, mongo: Any, actor: Principal, session_id: str, agency_org_id: str, seats: int
                    ) -> dict[str, Any]:
    """HUN-15 额度分配: the province office gives an agency of its jurisdiction ``seats``
    continuing-education seats in a session (0 withdraws them). The seats of all agencies
    together never exceed the session's capacity (409 ``quota-exceeds-capacity``), and an
    agency's seats never drop below those its registrations hold (409 ``quota-below-used``).
    403 ``not-province-office``; 404 agency / session; 422 ``session-kind-mismatch`` for a
    new-staff session (those are filled by assignment)."""
    await _office(mongo, actor)
    await readable_agency(mongo, actor, agency_org_id)
    if seats < 0:
        raise Unprocessable("seats cannot be negative", field="seats")
    key = f"{session_id}:{agency_org_id}"

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        session = await _session(uow.repo(SESSIONS), session_id)
        if session["kind"] != "continuing":
            raise Unprocessable("quotas are for continuing-education sessions", field="session_id",
                                slug="session-kind-mismatch")
        quotas = uow.repo(QUOTAS)
        others = sum(q["seats"] for q in await quotas.find({"session_id": session_id}, limit=0) if q["_id"] != key)
        if others + seats > session["capacity"]:
            raise Conflict(f"only {session['capacity'] - others} seats are left to give", field="seats",
                           slug="quota-exceeds-capacity")
        held = await quotas.get(key)
        if held is None:
            return await quotas.insert({"_id": key, "session_id": session_id, "agency_org_id": agency_org_id,
                                        "seats": seats, "used": 0, "free": seats, "updated_at": utcnow()})
        rules.check_quota_change(seats, held["used"])
        new = await quotas.update({"_id": key, "used": held["used"]},
                                  {"$set": {"seats": seats, "free": seats - held["used"], "updated_at": utcnow()}})
        if new is None:
            raise Conflict("the agency's registrations took seats meanwhile", field="seats", slug="quota-below-used")
        return new

    return await with_transaction(mongo, actor.tenant, fn, aggregate=f"training-session:{session_id}")


async def _take_seat(uow: UnitOfWork, session_id: str, agency_org_id: str | None) -> None:
    """Take one seat of the session (and of the agency's quota when ``agency_org_id``): each a
    conditional ``$inc`` the database applies only while a seat is free."""
    if agency_org_id is not None:
        quota = await uow.repo(QUOTAS).update(
            {"_id": f"{session_id}:{agency_org_id}", "free": {"$gt": 0}}, {"$inc": {"used": 1, "free": -1}})
        if quota is None:
            raise Conflict("the agency has no continuing-education seat left in this session (额度已满)",
                           field="session_id", slug="training-quota-exhausted")
    session = await uow.repo(SESSIONS).update({"_id": session_id, "free": {"$gt": 0}},
                                              {"$inc": {"taken": 1, "free": -1}})
    if session is None:
        raise Conflict("the session is full", field="session_id", slug="training-session-full")


async def _give_back(uow: UnitOfWork, registration: dict[str, Any]) -> None:
    session_id = registration.get("session_id")
    if session_id is None:
        return
    await uow.repo(SESSIONS).update({"_id": session_id, "taken": {"$gt": 0}}, {"$inc": {"taken": -1, "free": 1}})
    if registration["kind"] == "continuing":
        await uow.repo(QUOTAS).update({"_id": f"{session_id}:{registration['agency_org_id']}", "used": {"$gt": 0}},
                                      {"$inc": {"used": -1, "free": 1}})


# -- HUN-13 / HUN-14 registrations -------------------------------------------------------------


async def register(*, mongo: Any, actor: Principal, kind: str, staff_id: str, personal: dict[str, Any],
                   session_id: str | None = None) -> dict[str, Any]:
    """HUN-13 新进人员培训报名 (``kind`` new_staff: staff holding no or one supervision
    certificate; the province assigns the session later) and HUN-14 继续教育报名 (``kind``
    continuing: certified staff, ``session_id`` required). The agency's leader registers its
    own current staff with ``personal`` data (``id_number``, ``mobile`` required; ``workplace``,
    ``note``). A continuing registration takes a seat of the agency's quota and of the session
    in the same transaction.

    404 ``staff-not-found`` (naming ``staff_id``), ``training-session-not-found``; 403
    ``not-agency-leader``; 422 ``training-not-eligible``, ``required-field-missing``,
    ``session-kind-mismatch``; 409 ``training-quota-exhausted`` (beyond the agency's seats),
    ``training-session-full`` (beyond capacity), ``session-started``, ``already-registered``
    (a live registration of the staff member for the same training). Nothing is written
    when refused."""
    agency_rules.may_manage(actor, actor.org_id, "training.register")
    agency = actor.org_id
    if kind not in rules.KINDS:
        raise Unprocessable(f"kind must be one of {', '.join(rules.KINDS)}", field="kind")
    missing = [f for f in rules.PERSONAL_REQUIRED if not (personal.get(f) or "").strip()]
    if missing:
        raise Unprocessable(f"required: {', '.join(missing)}", field=missing[0], slug="required-field-missing")
    staff = await mongo.repo(STAFF, actor.tenant).get(staff_id)
    if staff is None or staff.get("deleted") or staff["agency_org_id"] != agency:
        raise NotFound("not a staff member of your agency", field="staff_id", slug="staff-not-found")
    rules.check_eligible(kind, staff.get("certificates"))
    if kind == "continuing" and not session_id:
        raise Unprocessable("choose a session (档期)", field="session_id")
    if kind == "new_staff":
        session_id = None  # the province assigns new staff to a session (HUN-15)
    today = _today()
    rid = new_id()
    doc = {"_id": rid, "kind": kind, "agency_org_id": agency, "staff_id": staff_id, "staff_name": staff["name"],
           "certificates": agency_rules.held_kinds(staff.get("certificates") or []),
           "personal": {k: personal.get(k) for k in PERSONAL_FIELDS}, "session_id": session_id,
           "status": "submitted", "review": None, "result": None, "photos": [],
           "active_key": f"{kind}:{staff_id}:{session_id or '-'}", "created_at": utcnow(),
           "created_by": actor.user_id, "version": 1}

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        if session_id is not None:
            rules.check_session_open(await _session(uow.repo(SESSIONS), session_id), kind, today)
            await _take_seat(uow, session_id, agency)
        try:
            stored = await uow.repo(REGISTRATIONS).insert(doc)
        except DuplicateKeyError:
            raise _already() from None
        tasks.task(uow, "training_registration_to_review", rid, open=True, title="审核培训报名",
                   body=f"一份{'继续教育' if kind == 'continuing' else '新进人员培训'}报名待审核。",
                   assignee_org_id=office, assignee_roles=list(tasks.DECIDERS) if office else ["province_admin"],
                   agency_org_id=agency, at=doc["created_at"])
        return stored

    office = await _office_org(mongo, actor.tenant)
    return await with_transaction(mongo, actor.tenant, fn)


async def _office_org(mongo: Any, tenant: str) -> str | None:
    """The province training office's org id (HUN-01 to-dos): the tenant's province-level
    authority when there is exactly one, else None (the to-do goes to province administrators)."""
    offices = [o["org_id"] for o in await mongo.repo(ORGANIZATIONS, tenant).find({"kind": "authority"}, limit=0)
               if (d := divisions.get(o.get("division_code") or "")) is not None and d.level == "province"]
    return offices[0] if len(offices) == 1 else None


def _already() -> Conflict:
    return Conflict("the staff member is registered for this training already", field="staff_id",
                    slug="already-registered")


async def _visible(mongo: Any, actor: Principal, registration_id: str) -> dict[str, Any]:
    doc = await mongo.repo(REGISTRATIONS, actor.tenant).get(registration_id)
    if doc is None:
        raise NotFound("no such training registration", slug="training-registration-not-found")
    try:
        await readable_agency(mongo, actor, doc["agency_org_id"])
    except NotFound:
        raise NotFound("no such training registration", slug="training-registration-not-found") from None
    return doc


async def get_registration(*, mongo: Any, actor: Principal, registration_id: str) -> dict[str, Any]:
    """One registration: its agency, the agencies above it, the province office (404
    ``training-registration-not-found`` for anyone else)."""
    return await _visible(mongo, actor, registration_id)


async def list_registrations(*, mongo: Any, actor: Principal, kind: str | None, status: str | None,
                             session_id: str | None, limit: int, cursor: str | None) -> DocPage:
    """Registrations, newest first: the province office sees all of the tenant, anyone else its
    own agency's (``kind``, ``status``, ``session_id`` filter)."""
    flt: dict[str, Any] = {} if await _is_office(mongo, actor) else {"agency_org_id": actor.org_id}
    for k, v in (("kind", kind), ("status", status), ("session_id", session_id)):
        if v:
            flt[k] = v
    return await paginate(mongo.repo(REGISTRATIONS, actor.tenant), flt, limit=limit, cursor=cursor)


async def summary(*, mongo: Any, actor: Principal, kind: str | None, session_id: str | None) -> dict[str, Any]:
    """HUN-13/14 报名汇总 and 考核汇总: per agency the registrations (``kind``, ``session_id``
    filter) and their review and assessment counts, with the total; the province office sees
    every agency, anyone else its own agency's row only."""
    flt: dict[str, Any] = {} if await _is_office(mongo, actor) else {"agency_org_id": actor.org_id}
    if kind:
        flt["kind"] = kind
    if session_id:
        flt["session_id"] = session_id
    regs = await mongo.repo(REGISTRATIONS, actor.tenant).find(
        flt, limit=0, projection={"agency_org_id": 1, "status": 1, "result": 1})
    return {"kind": kind, "session_id": session_id, **rules.summary(regs)}


async def delete_registration(*, mongo: Any, actor: Principal, registration_id: str) -> None:
    """HUN-13/14 删除: only the registering agency's leader, only while unreviewed (未审核);
    the seat goes back to the session and the agency's quota. 403 ``not-own-registration`` /
    ``not-agency-leader``; 409 ``registration-reviewed``; 404 when not visible."""
    await _visible(mongo, actor, registration_id)

    async def fn(uow: UnitOfWork) -> None:
        regs = uow.repo(REGISTRATIONS)
        doc = await regs.get(registration_id)
        if doc is None:
            raise NotFound("no such training registration", slug="training-registration-not-found")
        rules.may_delete(doc, actor.org_id)
        agency_rules.may_manage(actor, actor.org_id, "training.register")
        if await regs.delete({"_id": registration_id, "status": "submitted"}) != 1:
            raise Conflict("a reviewed registration is kept", field="status", slug="registration-reviewed")
        await _give_back(uow, doc)
        tasks.task(uow, "training_registration_to_review", registration_id, open=False)

    await with_transaction(mongo, actor.tenant, fn, aggregate=f"training-registration:{registration_id}")


async def assign_session(*, mongo: Any, actor: Principal, registration_id: str, session_id: str) -> dict[str, Any]:
    """HUN-15: the province office assigns a new-staff registrant (unreviewed) to a new-staff
    session, taking one of its seats (a previous assignment's seat goes back). 409
    ``training-session-full``, ``session-started``, ``registration-reviewed``; 422
    ``session-kind-mismatch``; 403 ``not-province-office``."""
    await _office(mongo, actor)
    today = _today()

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        regs = uow.repo(REGISTRATIONS)
        doc = await regs.get(registration_id)
        if doc is None:
            raise NotFound("no such training registration", slug="training-registration-not-found")
        if doc["kind"] != "new_staff":
            raise Unprocessable("continuing-education registrants choose their session", field="session_id",
                                slug="session-kind-mismatch")
        if doc["status"] != "submitted":
            raise Conflict("the registration is decided already", field="status", slug="registration-reviewed")
        if doc.get("session_id") == session_id:
            return doc
        rules.check_session_open(await _session(uow.repo(SESSIONS), session_id), "new_staff", today)
        await _give_back(uow, doc)
        await _take_seat(uow, session_id, None)
        new = await regs.update({"_id": registration_id, "version": doc["version"]}, {"$set": {
            "session_id": session_id, "assigned_at": utcnow(), "assigned_by": actor.user_id,
            "version": doc["version"] + 1}})
        assert new is not None
        return new

    return await with_transaction(mongo, actor.tenant, fn, aggregate=f"training-registration:{registration_id}")


async def review(*, mongo: Any, actor: Principal, registration_id: str, decision: str, reason: str | None
                 ) -> dict[str, Any]:
    """HUN-13/14 审核: the province training office approves (``approve``) or rejects
    (``reject``, ``reason`` required) a submitted registration; a rejection gives its seat
    back. 403 ``not-province-office``; 409 ``registration-reviewed``, ``session-not-assigned``;
    422 naming ``reason``."""
    await _office(mongo, actor)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        regs = uow.repo(REGISTRATIONS)
        doc = await regs.get(registration_id)
        if doc is None:
            raise NotFound("no such training registration", slug="training-registration-not-found")
        status = rules.check_review(doc, decision, reason)
        changes: dict[str, Any] = {"status": status, "version": doc["version"] + 1,
                                   "review": {"by": actor.user_id, "at": utcnow(), "decision": decision,
                                              "reason": reason}}
        if status == "rejected":
            changes["active_key"] = f"released:{registration_id}"
            await _give_back(uow, doc)
        new = await regs.update({"_id": registration_id, "version": doc["version"]}, {"$set": changes})
        assert new is not None
        tasks.task(uow, "training_registration_to_review", registration_id, open=False,
                   at=changes["review"]["at"])
        return new

    return await with_transaction(mongo, actor.tenant, fn, aggregate=f"training-registration:{registration_id}")


async def record_result(*, mongo: Any, actor: Principal, registration_id: str, score: int) -> dict[str, Any]:
    """HUN-13/14 考核结果: the office records the assessment ``score`` (0..100) of an approved
    registration, once; ``passed`` when ≥ ``PASS_MARK`` (60). A pass is added to the staff
    record's ``training_history`` and emits ``personnel.training.passed.v1`` (what the
    certificate work issues or extends a certificate from); a failure frees the staff member
    to register again. 409 ``training-registration-not-approved``, ``result-recorded``; 422 ``score``."""
    await _office(mongo, actor)
    today = _today()

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        regs = uow.repo(REGISTRATIONS)
        doc = await regs.get(registration_id)
        if doc is None:
            raise NotFound("no such training registration", slug="training-registration-not-found")
        passed = rules.check_result(doc, score, PASS_MARK)
        now = utcnow()
        result = {"score": score, "passed": passed, "on": today.isoformat(), "by": actor.user_id, "at": now}
        changes: dict[str, Any] = {"result": result, "version": doc["version"] + 1}
        if not passed:
            changes["active_key"] = f"released:{registration_id}"
        new = await regs.update({"_id": registration_id, "version": doc["version"]}, {"$set": changes})
        assert new is not None
        if passed:
            await uow.repo(STAFF).update({"_id": doc["staff_id"]}, {"$push": {"training_history": {
                "registration_id": registration_id, "kind": doc["kind"], "session_id": doc["session_id"],
                "score": score, "passed_on": today.isoformat()}}})
            uow.emit(PASSED, subject=doc["staff_id"], data=TrainingPassed(
                registration_id=registration_id, kind=doc["kind"], agency_org_id=doc["agency_org_id"],
                staff_id=doc["staff_id"], session_id=doc["session_id"], score=score, passed_on=today,
                certificates=doc.get("certificates") or []))
        return new

    return await with_transaction(mongo, actor.tenant, fn, aggregate=f"training-registration:{registration_id}")


async def add_photos(*, mongo: Any, storage: Any, actor: Principal, registration_id: str, photos: list[Upload],
                     max_bytes: int | None = None) -> dict[str, Any]:
    """HUN-13/14 报名照片: the registering agency's leader adds photos (JPEG/PNG, each ≤
    ``max_bytes``, by default the tenant limit ``photo_max_bytes``; at most ``MAX_PHOTOS`` in all)
    to an unreviewed registration through the
    shared media intake (stored objects are removed again when the write fails). 413/415/422
    naming ``photos``; 409 ``registration-reviewed``; 403 ``not-own-registration``."""
    doc = await _visible(mongo, actor, registration_id)
    rules.may_delete(doc, actor.org_id)  # the same rule: own and unreviewed
    agency_rules.may_manage(actor, actor.org_id, "training.register")
    if not photos or len(doc.get("photos") or []) + len(photos) > MAX_PHOTOS:
        raise Unprocessable(f"1..{MAX_PHOTOS} photos in all", field="photos")
    if max_bytes is None:  # the tenant's limit, read only once the caller may add photos
        max_bytes = (await tenant_policy(mongo, actor.tenant)).limit("photo_max_bytes")
    policy = MediaPolicy.photo(max_bytes=max_bytes, field="photos")

    async with MediaIntake(storage, tenant=actor.tenant, folder=f"training/{registration_id}") as intake:
        refs = [await intake.take_one(p, policy) for p in photos]

        async def fn(uow: UnitOfWork) -> dict[str, Any]:
            new = await uow.repo(REGISTRATIONS).update(
                {"_id": registration_id, "status": "submitted"},
                {"$push": {"photos": {"$each": [r.model_dump() for r in refs]}}, "$inc": {"version": 1}})
            if new is None:
                raise Conflict("a reviewed registration is kept", field="status", slug="registration-reviewed")
            return new

        return await with_transaction(mongo, actor.tenant, fn,
                                      aggregate=f"training-registration:{registration_id}")
