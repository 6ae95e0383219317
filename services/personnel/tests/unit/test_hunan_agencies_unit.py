"""Hunan agencies' own records on the in-memory database (HUN-02..HUN-08): every rule with its
allowed and refused paths, in milliseconds."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from anjian_shared.errors import Conflict, Forbidden, NotFound, NotYetAvailable, Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from personnel.domain import agencies as rules
from personnel.service_layer import agencies as service
from personnel.service_layer.year_end import freeze_all

T = "hunan"
CREDIT = "12430100MB1A23456X"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock(datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    monkeypatch.setattr(service, "utcnow", c)
    return c


async def _org(mongo: FakeDatabase, org_id: str, kind: str, division: str, name: str = "") -> None:
    await mongo.repo("organizations", T).insert({"_id": org_id, "org_id": org_id, "kind": kind,
                                                 "division_code": division, "name": name or org_id})


@pytest.fixture
async def world() -> FakeDatabase:
    mongo = FakeDatabase(service="personnel")
    await _org(mongo, "furong", "agency", "430102", "芙蓉区监督站")      # a county of 长沙 (430100)
    await _org(mongo, "yuelu", "agency", "430104", "岳麓区监督站")       # another county of 长沙
    await _org(mongo, "hetang", "agency", "430202", "荷塘区监督站")      # a county of 株洲 (430200)
    await _org(mongo, "changsha", "authority", "430100", "长沙市住建局")
    await _org(mongo, "changsha-agency", "agency", "430100", "长沙市监督站")
    await _org(mongo, "province", "authority", "430000", "湖南省住建厅")
    await _org(mongo, "builder", "company", "430102", "某建筑公司")
    return mongo


def who(org: str, *roles: str, kind: str = "agency") -> Principal:
    return Principal(user_id=f"{org}-user", tenant=T, org_id=org, roles=list(roles) or ["station_leader"],
                     org_kind=kind)


LEADER = who("furong")
BASIC = {"name": "芙蓉区监督站", "credit_code": CREDIT, "kind": "combined", "approved_headcount": 30,
         "address": "长沙市芙蓉区 1 号", "leader_name": "周建国", "leader_mobile": "13800000001"}
STAFF = {"name": "李明", "gender": "male", "birth_date": date(1988, 4, 12), "post": "administrative",
         "education": "bachelor", "title": "intermediate"}


async def test_hun02_the_leader_files_the_basic_information_and_sees_the_next_step(world, clock):
    await service.save_basic_info(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(BASIC))
    detail = await service.agency_detail(mongo=world, actor=LEADER, agency_org_id="furong")
    assert detail["basic_info"]["credit_code"] == CREDIT and detail["basic_info"]["kind"] == "combined"
    assert detail["progress"]["completed"] == 1 and detail["progress"]["next_step"] == "staffing"
    (event,) = [e for e in world.outbox if e["type"] == "personnel.agency.saved.v1"]
    assert event["data"]["steps_done"] == ["basic_info"] and event["data"]["next_step"] == "staffing"


async def test_hun02_refusals_missing_field_bad_credit_code_wrong_role_other_agency(world, clock):
    with pytest.raises(Unprocessable) as missing:
        await service.save_basic_info(mongo=world, actor=LEADER, agency_org_id="furong",
                                      data={**BASIC, "leader_mobile": ""})
    assert missing.value.field == "leader_mobile"
    with pytest.raises(Unprocessable) as bad:
        await service.save_basic_info(mongo=world, actor=LEADER, agency_org_id="furong",
                                      data={**BASIC, "credit_code": CREDIT[:-1] + "Y"})
    assert bad.value.field == "credit_code"
    with pytest.raises(Forbidden) as role:  # a supervisor of the agency reads, never writes
        await service.save_basic_info(mongo=world, actor=who("furong", "supervisor"), agency_org_id="furong",
                                      data=dict(BASIC))
    assert role.value.code == "permission-missing"  # HUN-21: the supervisor lacks agencies.write
    with pytest.raises(NotFound):  # another county's leader does not even see it
        await service.save_basic_info(mongo=world, actor=who("yuelu"), agency_org_id="furong", data=dict(BASIC))
    with pytest.raises(Forbidden):  # the city sees it but does not write it
        await service.save_basic_info(mongo=world, actor=who("changsha", "station_leader", kind="authority"),
                                      agency_org_id="furong", data=dict(BASIC))
    with pytest.raises(NotFound):  # a company is not an agency
        await service.agency_detail(mongo=world, actor=LEADER, agency_org_id="builder")
    assert world.outbox == [], "nothing half written"


@pytest.mark.parametrize(("actor", "sees"), [
    (who("furong"), {"furong"}),
    (who("yuelu", "supervisor"), {"yuelu"}),
    (who("changsha", "supervisor", kind="authority"), {"furong", "yuelu", "changsha-agency"}),
    (who("changsha-agency"), {"changsha-agency", "furong", "yuelu"}),
    (who("province", "supervisor", kind="authority"), {"furong", "yuelu", "hetang", "changsha-agency"}),
    (who("anyone", "province_admin", kind="authority"), {"furong", "yuelu", "hetang", "changsha-agency"}),
    (who("builder", "company_admin", kind="company"), set()),
])
async def test_hun02_who_sees_which_agencies_in_the_summary_list(world, clock, actor, sees):
    items, nxt = await service.list_agencies(mongo=world, actor=actor, kind=None, limit=2, cursor=None)
    seen = {i["agency"]["org_id"] for i in items}
    while nxt:
        more, nxt = await service.list_agencies(mongo=world, actor=actor, kind=None, limit=2, cursor=nxt)
        seen |= {i["agency"]["org_id"] for i in more}
    assert seen == sees
    for visible in sees:
        assert (await service.agency_detail(mongo=world, actor=actor, agency_org_id=visible))["agency"]
    for other in {"furong", "yuelu", "hetang", "changsha-agency"} - sees:
        with pytest.raises(NotFound):
            await service.agency_detail(mongo=world, actor=actor, agency_org_id=other)


async def test_hun05_staff_add_change_delete_own_agency_only(world, clock):
    doc = await service.add_staff(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(STAFF))
    assert doc["certificates"] == [] and doc["version"] == 1, "added staff hold no certificate"
    changed = await service.change_staff(mongo=world, actor=LEADER, agency_org_id="furong", staff_id=doc["_id"],
                                         changes={"title": "senior"}, if_version=1)
    assert changed["title"] == "senior" and changed["version"] == 2
    with pytest.raises(Conflict) as stale:
        await service.change_staff(mongo=world, actor=LEADER, agency_org_id="furong", staff_id=doc["_id"],
                                   changes={"title": "junior"}, if_version=1)
    assert stale.value.code == "version-mismatch"
    with pytest.raises(NotFound):  # through another agency's path, even with its own leader
        await service.change_staff(mongo=world, actor=who("yuelu"), agency_org_id="yuelu", staff_id=doc["_id"],
                                   changes={"title": "junior"})
    with pytest.raises(Unprocessable) as implausible:
        await service.add_staff(mongo=world, actor=LEADER, agency_org_id="furong",
                                data={**STAFF, "birth_date": date(2020, 1, 1)})
    assert implausible.value.field == "birth_date"
    await service.delete_staff(mongo=world, actor=LEADER, agency_org_id="furong", staff_id=doc["_id"])
    page = await service.list_staff(mongo=world, actor=LEADER, agency_org_id="furong", post=None, limit=10,
                                    cursor=None)
    assert page.items == []
    with pytest.raises(NotFound):
        await service.delete_staff(mongo=world, actor=LEADER, agency_org_id="furong", staff_id=doc["_id"])


def test_hun04_structure_counts_every_dimension_with_age_on_31_december():
    staff = [
        {"post": "supervisor", "education": "master", "title": "senior", "birth_date": "1991-12-31",
         "certificates": ["quality", "safety"]},
        {"post": "supervisor", "education": "bachelor", "title": "intermediate", "birth_date": "1990-01-01",
         "certificates": ["safety"]},
        {"post": "leader", "education": "bachelor", "title": "senior", "birth_date": "1970-06-30",
         "certificates": []},
    ]
    s = rules.staffing_structure(staff, 2026)
    assert s["total"] == 3
    assert s["by_post"] == {"leader": 1, "technical_leader": 0, "supervisor": 2, "administrative": 0, "other": 0}
    assert s["by_education"]["bachelor"] == 2 and s["by_education"]["master"] == 1
    # on 31 December 2026: born 1991-12-31 is 35, born 1990-01-01 is 36, born 1970 is 56
    assert s["by_age_band"] == {"35_or_under": 1, "36_45": 1, "46_55": 0, "56_or_over": 1}
    assert s["by_certificate_holding"] == {"none": 1, "one": 1, "two": 1}


async def test_hun04_a_past_year_is_frozen_as_of_31_december_once_even_when_the_job_runs_late(world, clock):
    clock.at = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
    a = await service.add_staff(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(STAFF))
    b = await service.add_staff(mongo=world, actor=LEADER, agency_org_id="furong",
                                data={**STAFF, "name": "王芳", "gender": "female", "post": "supervisor"})
    clock.at = datetime(2025, 12, 31, 15, 59, tzinfo=UTC)  # 23:59 on 31 December in China: still 2025
    await service.change_staff(mongo=world, actor=LEADER, agency_org_id="furong", staff_id=a["_id"],
                               changes={"title": "senior"})
    clock.at = datetime(2025, 12, 31, 16, 0, 30, tzinfo=UTC)  # 00:00:30 on 1 January in China: 2026
    await service.delete_staff(mongo=world, actor=LEADER, agency_org_id="furong", staff_id=b["_id"])
    await service.add_staff(mongo=world, actor=LEADER, agency_org_id="furong", data={**STAFF, "name": "新人"})
    clock.at = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # the service was down over New Year
    with pytest.raises(NotYetAvailable) as not_yet:
        await service.staffing_structure(mongo=world, actor=LEADER, agency_org_id="furong", year=2025)
    assert not_yet.value.retry_after and not_yet.value.field == "year"
    with pytest.raises(NotFound) as never:  # before its first staff record nothing will ever be frozen
        await service.staffing_structure(mongo=world, actor=LEADER, agency_org_id="furong", year=2024)
    assert never.value.code == "no-staffing-return-for-year"
    assert await freeze_all(world, now=clock.at) == 1
    frozen = await service.staffing_structure(mongo=world, actor=LEADER, agency_org_id="furong", year=2025)
    assert frozen["frozen"] and frozen["total"] == 2, "both as they stood on 31 December"
    assert frozen["by_title"]["senior"] == 1 and frozen["by_post"]["supervisor"] == 1
    live = await service.staffing_structure(mongo=world, actor=LEADER, agency_org_id="furong")
    assert live["year"] == 2026 and live["total"] == 2 and not live["frozen"]
    await service.change_staff(mongo=world, actor=LEADER, agency_org_id="furong", staff_id=a["_id"],
                               changes={"post": "leader"})
    assert await freeze_all(world, now=clock.at) == 0, "exactly once"
    again = await service.staffing_structure(mongo=world, actor=LEADER, agency_org_id="furong", year=2025)
    assert again == frozen, "a frozen year never changes"
    events = [e for e in world.outbox if e["type"] == "personnel.staffing_return.frozen.v1"]
    assert [(e["data"]["year"], e["data"]["total"]) for e in events] == [(2025, 2)]


async def test_hun04_two_replicas_freezing_at_once_freeze_once(world, clock):
    clock.at = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
    await service.add_staff(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(STAFF))
    later = datetime(2026, 1, 2, tzinfo=UTC)
    results = await asyncio.gather(*(freeze_all(world, now=later) for _ in range(4)))
    assert sum(results) == 1
    assert len([e for e in world.outbox if e["type"] == "personnel.staffing_return.frozen.v1"]) == 1


@pytest.mark.parametrize("kind", ["projects", "funding"])
async def test_hun06_hun07_one_set_of_figures_per_agency_and_year(world, clock, kind):
    """HUN-06 (supervised projects) and HUN-07 (funding): one set per agency and year, racing adds end with one."""
    await service.add_figures(mongo=world, actor=LEADER, agency_org_id="furong", kind=kind, year=2025,
                              figures={"projects": 1})
    with pytest.raises(Conflict) as second:
        await service.add_figures(mongo=world, actor=LEADER, agency_org_id="furong", kind=kind, year=2025,
                                  figures={"projects": 2})
    assert second.value.code == "figures-exist-for-year" and second.value.field == "year"
    racing = await asyncio.gather(*(service.add_figures(mongo=world, actor=LEADER, agency_org_id="furong",
                                                        kind=kind, year=2024, figures={"n": i}) for i in range(3)),
                                  return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in racing) == 1
    assert all(isinstance(r, Conflict) for r in racing if isinstance(r, BaseException))
    changed = await service.change_figures(mongo=world, actor=LEADER, agency_org_id="furong", kind=kind, year=2025,
                                           figures={"projects": 3})
    assert changed["figures"] == {"projects": 3} and changed["version"] == 2
    with pytest.raises(NotFound):
        await service.change_figures(mongo=world, actor=LEADER, agency_org_id="furong", kind=kind, year=2023,
                                     figures={})
    with pytest.raises(Unprocessable) as future:
        await service.add_figures(mongo=world, actor=LEADER, agency_org_id="furong", kind=kind, year=2027,
                                  figures={})
    assert future.value.field == "year"
    years = [d["year"] for d in await service.list_figures(mongo=world, actor=LEADER, agency_org_id="furong",
                                                           kind=kind)]
    assert years == [2025, 2024]


async def test_hun08_qualification_filed_then_decided_by_the_province_office_only(world, clock):
    filing = {"certificate_number": "湘监资 2026-001", "issued_on": date(2026, 1, 1), "valid_until": date(2026, 12, 31)}
    doc = await service.file_qualification(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(filing))
    assert doc["status"] == "pending"
    with pytest.raises(Forbidden) as city:
        await service.decide_qualification(mongo=world, actor=who("changsha", "station_leader", kind="authority"),
                                           agency_org_id="furong", decision="verify", reason=None)
    assert city.value.code == "not-province-office"
    office = who("province", "station_leader", kind="authority")
    with pytest.raises(Unprocessable) as no_reason:
        await service.decide_qualification(mongo=world, actor=office, agency_org_id="furong", decision="reject",
                                           reason=" ")
    assert no_reason.value.field == "reason"
    verified = await service.decide_qualification(mongo=world, actor=office, agency_org_id="furong",
                                                  decision="verify", reason=None)
    assert verified["status"] == "verified"
    with pytest.raises(Conflict):
        await service.decide_qualification(mongo=world, actor=office, agency_org_id="furong", decision="verify",
                                           reason=None)
    with pytest.raises(Conflict) as refile:
        await service.file_qualification(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(filing))
    assert refile.value.code == "qualification-already-verified"
    assert rules.qualification_status(verified, date(2027, 1, 1)) == "expired"
    with pytest.raises(Unprocessable):
        await service.file_qualification(mongo=world, actor=LEADER, agency_org_id="furong",
                                         data={**filing, "valid_until": date(2025, 1, 1)})


async def test_hun03_the_annual_record_names_what_is_missing_until_every_part_is_filled(world, clock):
    """HUN-03: an agency's annual record is refused, naming what is missing, until every part is filled."""
    with pytest.raises(Unprocessable) as empty:
        await service.annual_record(mongo=world, actor=LEADER, agency_org_id="furong", year=2026)
    assert empty.value.code == "annual-record-incomplete" and empty.value.field == "basic_info"
    assert [e.field for e in empty.value.errors] == list(rules.STEPS)
    await service.save_basic_info(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(BASIC))
    await service.add_staff(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(STAFF))
    await service.add_figures(mongo=world, actor=LEADER, agency_org_id="furong", kind="projects", year=2026,
                              figures={"projects": 5})
    with pytest.raises(Unprocessable) as partly:
        await service.annual_record(mongo=world, actor=LEADER, agency_org_id="furong", year=2026)
    assert [e.field for e in partly.value.errors] == ["funding", "qualification"]
    await service.add_figures(mongo=world, actor=LEADER, agency_org_id="furong", kind="funding", year=2026,
                              figures={"fiscal_10k_yuan": 1})
    await service.file_qualification(mongo=world, actor=LEADER, agency_org_id="furong", data={
        "certificate_number": "X-1", "issued_on": date(2026, 1, 1), "valid_until": date(2028, 1, 1)})
    record = await service.annual_record(mongo=world, actor=LEADER, agency_org_id="furong", year=2026)
    assert record["staffing"]["total"] == 1 and record["progress"]["next_step"] is None


def test_hun09_hun13_certificates_held_read_from_certificate_records_and_cancelled_ones_do_not_count():
    """HUN-04/HUN-13: a staff record's certificates are records (kind, status) since HUN-09; the
    kinds held drive the structure's holding band and training eligibility (and travel in events
    as plain kinds)."""
    certs = [{"kind": "safety", "status": "valid"}, {"kind": "quality", "status": "cancelled"}]
    assert rules.held_kinds(certs) == ["safety"] and rules.holding(certs) == "one"
    assert rules.held_kinds(["quality", "safety", "safety"]) == ["quality", "safety"]
    assert rules.holding([{"kind": "quality", "status": "cancelled"}]) == "none"
