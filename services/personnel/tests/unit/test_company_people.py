"""HEB-11 company personnel on the in-memory fakes: 三类人员 (住建部令第17号: 3 years) and
special-operations personnel (建质〔2008〕75号: 2 years); an expired certificate cannot be
picked; a company manages only its own people; every change is a versioned snapshot event."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from anjian_shared.china_time import china_today
from anjian_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from personnel.domain.company_people import expiry
from personnel.service_layer import company_people as cp

ADMIN = Principal(user_id="a1", tenant="hebei", org_id="co-1", org_kind="company", roles=["company_admin"])
OTHER = Principal(user_id="a2", tenant="hebei", org_id="co-2", org_kind="company", roles=["company_admin"])
STAFF = Principal(user_id="s1", tenant="hebei", org_id="co-1", org_kind="company", roles=["company_staff"])


def test_heb11_validity_three_years_for_safety_staff_two_for_special_operations():
    assert expiry("B", date(2024, 3, 1)) == date(2027, 2, 28)
    assert expiry("crane_driver", date(2024, 3, 1)) == date(2026, 2, 28)
    assert expiry("C1", date(2024, 2, 29)) == date(2027, 2, 27)


async def test_heb11_admin_adds_people_and_only_valid_certificates_are_listed_and_picked():
    mongo = FakeDatabase(service="personnel")
    valid = await cp.add_person(mongo=mongo, actor=ADMIN, data={
        "name": "王某", "category": "crane_driver", "certificate_number": "冀A042024000123",
        "issued_on": china_today() - timedelta(days=100)})
    expired = await cp.add_person(mongo=mongo, actor=ADMIN, data={
        "name": "张某", "category": "crane_driver", "certificate_number": "冀A042021000007",
        "issued_on": china_today() - timedelta(days=3 * 365)})
    assert valid["expires_on"] == expiry("crane_driver", china_today() - timedelta(days=100)).isoformat()
    listed, _ = await cp.list_people(mongo=mongo, actor=ADMIN, company_org_id=None, category="crane_driver",
                                     valid_on=china_today())
    assert [p["_id"] for p in listed] == [valid["_id"]]
    assert (await cp.pick_check(mongo=mongo, actor=ADMIN, person_id=valid["_id"]))["name"] == "王某"
    with pytest.raises(Unprocessable) as refused:
        await cp.pick_check(mongo=mongo, actor=ADMIN, person_id=expired["_id"])
    assert refused.value.code == "certificate-expired"
    with pytest.raises(Unprocessable):
        await cp.pick_check(mongo=mongo, actor=ADMIN, person_id=valid["_id"], category="signaller_rigger")
    events = mongo.events(cp.SAVED)
    assert [e["data"]["version"] for e in events] == [1, 1]
    assert events[0]["data"]["expires_on"] == valid["expires_on"]
    removed = await cp.remove_person(mongo=mongo, actor=ADMIN, person_id=valid["_id"])
    assert removed["version"] == 2 and mongo.events(cp.SAVED)[-1]["data"]["removed"] is True


async def test_heb11_other_company_is_404_and_non_admin_403():
    mongo = FakeDatabase(service="personnel")
    person = await cp.add_person(mongo=mongo, actor=ADMIN, data={
        "name": "李某", "category": "B", "certificate_number": "冀建安B(2024)0001",
        "issued_on": china_today() - timedelta(days=10)})
    with pytest.raises(NotFound):
        await cp.pick_check(mongo=mongo, actor=OTHER, person_id=person["_id"])
    with pytest.raises(NotFound):
        await cp.remove_person(mongo=mongo, actor=OTHER, person_id=person["_id"])
    with pytest.raises(NotFound):
        await cp.list_people(mongo=mongo, actor=OTHER, company_org_id="co-1", category=None, valid_on=None)
    with pytest.raises(Forbidden):
        await cp.add_person(mongo=mongo, actor=STAFF, data={
            "name": "x", "category": "A", "certificate_number": "1", "issued_on": china_today()})
    station = Principal(user_id="st", tenant="hebei", org_id="sta", org_kind="station", roles=["supervisor"])
    assert len((await cp.list_people(mongo=mongo, actor=station, company_org_id="co-1", category="B",
                                     valid_on=china_today())).items) == 1


async def test_heb11_people_list_is_paginated():
    """HEB-11 the people list pages with one cursor codec (anjian_shared.pagination)."""
    mongo = FakeDatabase(service="personnel")
    for i in range(5):
        await cp.add_person(mongo=mongo, actor=ADMIN, data={
            "name": f"工人{i}", "category": "crane_driver", "certificate_number": f"N-{i}",
            "issued_on": china_today() - timedelta(days=10)})
    first = await cp.list_people(mongo=mongo, actor=ADMIN, company_org_id=None, category=None, valid_on=None,
                                 limit=3)
    assert len(first.items) == 3 and first.next_cursor
    rest = await cp.list_people(mongo=mongo, actor=ADMIN, company_org_id=None, category=None, valid_on=None,
                                limit=3, cursor=first.next_cursor)
    assert [p["name"] for p in first.items + rest.items] == [f"工人{i}" for i in range(5)]
    assert rest.next_cursor is None


@pytest.mark.parametrize("data, field", [  # days counted from today when the test runs, not at import
    (lambda today: {"category": "plumber"}, "category"),
    (lambda today: {"issued_on": today + timedelta(days=1)}, "issued_on"),
    (lambda today: {"expires_on": today + timedelta(days=3 * 366)}, "expires_on"),
])
async def test_heb11_bad_certificates_are_refused_naming_the_field(data, field):
    mongo = FakeDatabase(service="personnel")
    today = china_today()
    body = {"name": "赵某", "category": "C3", "certificate_number": "C-1", "issued_on": today, **data(today)}
    with pytest.raises(Unprocessable) as refused:
        await cp.add_person(mongo=mongo, actor=ADMIN, data=body)
    assert refused.value.field == field and mongo.outbox == []


async def test_heb11_same_certificate_twice_is_refused():
    mongo = FakeDatabase(service="personnel")
    body = {"name": "赵某", "category": "C3", "certificate_number": "C-1", "issued_on": china_today()}
    await cp.add_person(mongo=mongo, actor=ADMIN, data=body)
    with pytest.raises(Conflict):
        await cp.add_person(mongo=mongo, actor=ADMIN, data=body)
