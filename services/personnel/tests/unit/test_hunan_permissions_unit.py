"""HUN-21 on the Hunan personnel use cases: they check named permissions, not roles — the
agency's leader whose ``agencies.write`` was revoked is refused, a supervisor of the agency
granted it is allowed; outside the agency a grant changes nothing (404)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from anjian_shared.errors import Forbidden, NotFound
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from personnel.service_layer import agencies as service

T = "hunan"
STAFF = {"name": "李明", "gender": "male", "birth_date": date(1988, 4, 12), "post": "administrative",
         "education": "bachelor", "title": "intermediate"}


@pytest.fixture
async def world(monkeypatch: pytest.MonkeyPatch) -> FakeDatabase:
    monkeypatch.setattr(service, "utcnow", lambda: datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    mongo = FakeDatabase(service="personnel")
    for org_id, kind, division in (("furong", "agency", "430102"), ("yuelu", "agency", "430104")):
        await mongo.repo("organizations", T).insert({"_id": org_id, "org_id": org_id, "kind": kind,
                                                     "division_code": division, "name": org_id})
    return mongo


def who(org: str, role: str, *, granted=(), revoked=()) -> Principal:  # type: ignore[no-untyped-def]
    return Principal(user_id=f"{org}-{role}", tenant=T, org_id=org, roles=[role], org_kind="agency",
                     granted=list(granted), revoked=list(revoked))


async def test_hun21_a_leader_with_agencies_write_revoked_is_refused(world):
    """HUN-21: the role bundles agencies.write, the revocation takes it away."""
    with pytest.raises(Forbidden) as refused:
        await service.add_staff(mongo=world, actor=who("furong", "station_leader", revoked=["agencies.write"]),
                                agency_org_id="furong", data=dict(STAFF))
    assert refused.value.code == "permission-missing"
    assert world.outbox == [], "nothing half written"
    added = await service.add_staff(mongo=world, actor=who("furong", "station_leader"), agency_org_id="furong",
                                    data=dict(STAFF))
    assert added["name"] == "李明"


async def test_hun21_a_supervisor_granted_agencies_write_beyond_the_role_is_allowed(world):
    """HUN-21: a supervisor (who only reads) granted agencies.write writes the agency's staff;
    without the grant 403 permission-missing."""
    with pytest.raises(Forbidden) as plain:
        await service.add_staff(mongo=world, actor=who("furong", "supervisor"), agency_org_id="furong",
                                data=dict(STAFF))
    assert plain.value.code == "permission-missing"
    added = await service.add_staff(mongo=world, actor=who("furong", "supervisor", granted=["agencies.write"]),
                                    agency_org_id="furong", data=dict(STAFF))
    assert added["agency_org_id"] == "furong"
    [event] = [e for e in world.outbox if e["type"] == "personnel.staff.saved.v1"]
    assert event["data"]["staff_id"] == added["_id"] and event["data"]["agency_org_id"] == "furong"


async def test_hun21_a_grant_never_opens_another_agency(world):
    """HUN-21: permissions add to the object rules, never replace them: another agency's
    leader holding agencies.write still doesn't even see furong's records (404)."""
    with pytest.raises(NotFound):
        await service.add_staff(mongo=world, actor=who("yuelu", "station_leader", granted=["agencies.write"]),
                                agency_org_id="furong", data=dict(STAFF))
