"""Company personnel use cases (HEB-11): add, change, remove, list valid on a day, pick-check.

Collection ``company_people`` (per tenant): ``company_org_id``, ``name``, ``category``,
``certificate_number``, ``issued_on``/``expires_on`` (ISO dates), ``removed``, ``version``.
Every change emits ``personnel.company_person.saved.v1`` (full snapshot + version) in the
same transaction, for other services' read models (equipment).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from anjian_shared.china_time import china_day
from anjian_shared.errors import Conflict, NotFound
from anjian_shared.events.personnel_v1 import CompanyPersonSaved
from anjian_shared.mongo import UnitOfWork, with_transaction
from anjian_shared.pagination import DocPage, paginate
from anjian_shared.principal import Principal
from anjian_shared.types import new_id, utcnow

from ..domain import company_people as rules

PEOPLE = "company_people"
SAVED = "personnel.company_person.saved.v1"


def _emit(uow: UnitOfWork, doc: dict[str, Any]) -> None:
    uow.emit(SAVED, subject=doc["_id"], data=CompanyPersonSaved(
        person_id=doc["_id"], company_org_id=doc["company_org_id"], name=doc["name"],
        category=doc["category"], certificate_number=doc["certificate_number"],
        issued_on=date.fromisoformat(doc["issued_on"]), expires_on=date.fromisoformat(doc["expires_on"]),
        removed=doc.get("removed", False), version=doc["version"]))


async def add_person(*, mongo: Any, actor: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """HEB-11: the company admin enters one of its people (``name``, ``category``,
    ``certificate_number``, ``issued_on``, optional ``expires_on``). 404/403 per
    ``rules.check_may_manage``; 422 per ``rules.check_certificate``; 409
    ``certificate-number-taken`` for the same category + number in the company."""
    company = actor.org_id
    rules.check_may_manage(actor, company)
    expires = rules.check_certificate(data["category"], data["issued_on"], data.get("expires_on"),
                                      china_day(utcnow()))

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        people = uow.repo(PEOPLE)
        if await people.find_one({"company_org_id": company, "category": data["category"],
                                  "certificate_number": data["certificate_number"], "removed": False}):
            raise Conflict("this certificate is already entered", field="certificate_number",
                           slug="certificate-number-taken")
        doc = await people.insert({
            "_id": new_id(), "company_org_id": company, "name": data["name"], "category": data["category"],
            "certificate_number": data["certificate_number"], "issued_on": data["issued_on"].isoformat(),
            "expires_on": expires.isoformat(), "removed": False, "version": 1, "created_at": utcnow(),
            "created_by": actor.user_id})
        _emit(uow, doc)
        return doc

    return await with_transaction(mongo, actor.tenant, fn)


async def remove_person(*, mongo: Any, actor: Principal, person_id: str) -> dict[str, Any]:
    """The company admin removes one of its people (kept, marked ``removed``; event)."""
    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        people = uow.repo(PEOPLE)
        doc = await people.get(person_id)
        if doc is None or doc.get("removed"):
            raise NotFound("no such person for you", slug="person-not-found")
        rules.check_may_manage(actor, doc["company_org_id"])
        new = await people.update({"_id": person_id, "version": doc["version"]},
                                  {"$set": {"removed": True, "version": doc["version"] + 1}})
        assert new is not None
        _emit(uow, new)
        return new

    return await with_transaction(mongo, actor.tenant, fn, aggregate=f"person:{person_id}")


async def list_people(*, mongo: Any, actor: Principal, company_org_id: str | None, category: str | None,
                      valid_on: date | None, limit: int = 20, cursor: str | None = None) -> DocPage:
    """One page of a company's people by name (a company user: its own; government staff:
    ``company_org_id``), by ``category``; ``valid_on`` keeps only certificates valid that day
    (HEB-11: what an application may pick). ``anjian_shared.pagination``: 422 naming ``cursor``."""
    company = company_org_id or actor.org_id
    rules.check_may_read(actor, company)
    flt: dict[str, Any] = {"company_org_id": company, "removed": False}
    if category:
        flt["category"] = category
    if valid_on:
        day = valid_on.isoformat()
        flt.update(issued_on={"$lte": day}, expires_on={"$gte": day})
    return await paginate(mongo.repo(PEOPLE, actor.tenant), flt, sort=[("name", 1), ("_id", 1)], limit=limit,
                          cursor=cursor)


async def pick_check(*, mongo: Any, actor: Principal, person_id: str, on: date | None = None,
                     category: str | None = None) -> dict[str, Any]:
    """May this person be picked for an application on ``on`` (default: today in China)?
    The person (404 for another company's), 422 ``certificate-expired`` when the
    certificate does not cover that day, 422 ``wrong-category`` when ``category`` differs."""
    doc = await mongo.repo(PEOPLE, actor.tenant).get(person_id)
    if doc is None or doc.get("removed"):
        raise NotFound("no such person for you", slug="person-not-found")
    rules.check_may_read(actor, doc["company_org_id"])
    if category and doc["category"] != category:
        from anjian_shared.errors import Unprocessable
        raise Unprocessable(f"the person is {doc['category']}, not {category}", field="category",
                            slug="wrong-category")
    rules.check_pickable(doc, on or china_day(utcnow()))
    return doc
