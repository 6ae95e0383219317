"""Hebei project filings on the in-memory fakes: HEB-04 安全监督备案 (the owner files; refused until
the contractor's B and C with valid certificates are known; a person not yet known is 409 +
Retry-After; the filing goes to the station of the project's division; accepting registers the
project), HEB-05 综合评定 (the owner of a filed project) and HEB-08 文明工地申报 (its contractor,
within the standard chosen at filing)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest

from anjian_shared.errors import (
    Conflict,
    Forbidden,
    NotFound,
    NotYetAvailable,
    PayloadTooLarge,
    Unprocessable,
)
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from anjian_shared.testing.media import FakeUpload, image_bytes
from projects.service_layer import hebei_filing as cases
from projects.service_layer import use_cases
from projects.settings import Settings

TENANT = "hebei"
SETTINGS = Settings()


def who(uid: str, org: str, *roles: str, kind: str = "company", tenant: str = TENANT) -> Principal:
    return Principal(user_id=uid, tenant=tenant, org_id=org, roles=list(roles), name=uid, org_kind=kind)


OWNER = who("o1", "own", "company_admin")
OTHER_OWNER = who("o2", "own2", "company_admin")
CONTRACTOR = who("pm", "con", "project_manager")
SUP = who("zhang", "st-ca", "supervisor", kind="station")
CITY = who("li", "st-sjz", "supervisor", kind="station")
FUTURE = (date.today() + timedelta(days=365)).isoformat()
PAST = (date.today() - timedelta(days=2)).isoformat()


@pytest.fixture
async def mongo() -> FakeDatabase:
    db = FakeDatabase(service="projects")
    orgs = (("st-ca", "station", [], "130102"), ("st-sjz", "station", [], "130100"),
            ("own", "company", ["owner"], "130102"), ("own2", "company", ["owner"], "130102"),
            ("con", "company", ["contractor"], "130102"), ("con2", "company", ["contractor"], "130102"),
            ("sv", "company", ["supervision"], "130102"))
    for org_id, kind, roles, code in orgs:
        await db.repo("organizations", TENANT).insert({"_id": org_id, "name": org_id, "kind": kind,
                                                       "company_roles": roles, "division_code": code})
    for uid, org, roles in (("zhang", "st-ca", ["supervisor"]), ("li", "st-sjz", ["supervisor"]),
                            ("pm", "con", ["project_manager"]), ("o1", "own", ["company_admin"])):
        await db.repo("users", TENANT).insert({"_id": uid, "display_name": uid.upper(), "org_id": org, "roles": roles})
    for pid, company, category, expires in (("b1", "con", "B", FUTURE), ("c1", "con", "C2", FUTURE),
                                            ("b-old", "con", "B", PAST), ("b-other", "con2", "B", FUTURE),
                                            ("a1", "con", "A", FUTURE)):
        await person(db, pid, company, category, expires)
    return db


async def person(db: FakeDatabase, pid: str, company: str, category: str, expires: str, **kw: Any) -> None:
    await db.repo("company_people", TENANT).insert({
        "_id": pid, "person_id": pid, "company_org_id": company, "name": pid.upper(), "category": category,
        "certificate_number": f"冀建安{pid}", "issued_on": "2025-01-01", "expires_on": expires, "removed": False, **kw})


def form(leader: str = "b1", officers: tuple[str, ...] = ("c1",), **over: Any) -> dict[str, Any]:
    data = {"name": "石家庄长安区保障房三期", "address": "石家庄市长安区建设北大街 66 号", "division_code": "130102",
            "station_org_id": None, "civilized_site_standard": "municipal",
            "parties": {"contractor": {"org_id": "con", "project_leader_person_id": leader,
                                       "safety_officer_person_ids": list(officers)},
                        "supervision": {"org_id": "sv"}},
            "participants": [{"user_id": "pm", "project_role": "project_manager"}]}
    data.update(over)
    return data


async def accepted_project(mongo: FakeDatabase, **over: Any) -> dict[str, Any]:
    filing = await cases.create_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, data=form(**over))
    await cases.submit_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, filing_id=filing["_id"])
    done = await cases.decide_filing(mongo=mongo, settings=SETTINGS, principal=SUP, filing_id=filing["_id"],
                                     action="accept", comment=None, supervisor_user_ids=["zhang"])
    return await mongo.repo("projects", TENANT).get(done["project_id"])


async def test_heb04_filed_to_the_station_of_the_division_accepted_project_exists(mongo):
    """HEB-04: file → 上报 (to the county station of 130102, not the city one) → 受理 with
    supervisors: the project exists with its division, filing and standard; the contractor sees
    it; every stage change is an event."""
    filing = await cases.create_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, data=form())
    assert filing["stage"] == "draft" and filing["form"]["owner_org_id"] == "own"
    submitted = await cases.submit_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, filing_id=filing["_id"])
    assert submitted["authority_org_id"] == "st-ca"
    with pytest.raises(NotFound):  # the city station has no jurisdiction: it does not see it
        await cases.get_application(mongo=mongo, settings=SETTINGS, principal=CITY, app_id=filing["_id"],
                                    kinds=("supervision_filing",))
    with pytest.raises(Forbidden):
        await cases.decide_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, filing_id=filing["_id"],
                                  action="accept", comment=None, supervisor_user_ids=["zhang"])
    accepted = await cases.decide_filing(mongo=mongo, settings=SETTINGS, principal=SUP, filing_id=filing["_id"],
                                         action="accept", comment=None, supervisor_user_ids=["zhang"])
    project = await use_cases.get_project(mongo=mongo, actor=CONTRACTOR, project_id=accepted["project_id"])
    assert project["division_code"] == "130102" and project["civilized_site_standard"] == "municipal"
    assert project["filing_id"] == filing["_id"] and project["station_org_id"] == "st-ca"
    [registered] = mongo.events("projects.project.registered.v1", tenant=TENANT)
    assert registered["data"]["division_code"] == "130102" and registered["data"]["filing_id"] == filing["_id"]
    assert [e["data"]["to_stage"] for e in mongo.events("projects.application.submitted.v1", tenant=TENANT)
            + mongo.events("projects.application.accepted.v1", tenant=TENANT)] == ["submitted", "accepted"]


async def test_heb04_refused_until_the_contractor_entered_valid_b_and_c(mongo):
    """HEB-04: each named person is checked against personnel's read model, the refusal naming
    the field: expired, of another company, wrong category, removed, missing."""
    cases_ = [
        (form(leader="b-old"), "parties.contractor.project_leader_person_id", "certificate-expired"),
        (form(leader="b-other"), "parties.contractor.project_leader_person_id", "person-not-of-contractor"),
        (form(leader="c1"), "parties.contractor.project_leader_person_id", "certificate-category-mismatch"),
        (form(officers=("c1", "a1")), "parties.contractor.safety_officer_person_ids.1",
         "certificate-category-mismatch"),
        (form(leader=""), "parties.contractor.project_leader_person_id", "validation-error"),
        (form(officers=()), "parties.contractor.safety_officer_person_ids", "validation-error"),
    ]
    for data, field, slug in cases_:
        with pytest.raises(Unprocessable) as exc:
            await cases.create_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, data=data)
        assert (exc.value.field, exc.value.slug) == (field, slug)
    await person(mongo, "c-gone", "con", "C1", FUTURE, removed=True)
    with pytest.raises(Unprocessable) as exc:
        await cases.create_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, data=form(officers=("c-gone",)))
    assert exc.value.slug == "person-removed"
    assert await mongo.repo("filings", TENANT).find({}, limit=10) == []   # nothing half written


async def test_heb04_a_person_not_yet_known_is_retryable_not_refused(mongo):
    """HEB-04: a person personnel has not published yet → 409 + Retry-After (NotYetAvailable);
    once the event arrives the same filing passes."""
    with pytest.raises(NotYetAvailable) as exc:
        await cases.create_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, data=form(leader="b-new"))
    assert exc.value.field == "parties.contractor.project_leader_person_id" and exc.value.retry_after
    await person(mongo, "b-new", "con", "B", FUTURE)
    filing = await cases.create_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, data=form(leader="b-new"))
    assert filing["stage"] == "draft"


async def test_heb04_certificate_expired_after_saving_is_refused_at_submission(mongo):
    """HEB-04: the people are checked again at 上报."""
    filing = await cases.create_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, data=form())
    await mongo.repo("company_people", TENANT).update({"_id": "c1"}, {"$set": {"expires_on": PAST}})
    with pytest.raises(Unprocessable) as exc:
        await cases.submit_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, filing_id=filing["_id"])
    assert exc.value.field == "parties.contractor.safety_officer_person_ids.0"


async def test_heb04_who_files_where_and_which_province(mongo):
    """HEB-04: only an owner files (403 not-an-owner); a named station without jurisdiction is 422
    wrong-authority; an unknown division 422; another company of the tenant does not see the
    filing (404); a province without the feature 403."""
    with pytest.raises(Forbidden) as exc:
        await cases.create_filing(mongo=mongo, settings=SETTINGS, principal=CONTRACTOR, data=form())
    assert exc.value.slug == "not-an-owner"
    with pytest.raises(Unprocessable) as exc:
        await cases.create_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, data=form(division_code="999999"))
    assert exc.value.field == "division_code"
    with pytest.raises(Unprocessable) as exc:
        await cases.create_filing(mongo=mongo, settings=SETTINGS, principal=OWNER,
                                  data={**form(), "parties": {**form()["parties"], "supervision": {"org_id": "con"}}})
    assert exc.value.field == "parties.supervision.org_id"
    filing = await cases.create_filing(mongo=mongo, settings=SETTINGS, principal=OWNER,
                                       data=form(station_org_id="st-sjz"))
    with pytest.raises(Unprocessable) as exc:
        await cases.submit_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, filing_id=filing["_id"])
    assert (exc.value.field, exc.value.slug) == ("station_org_id", "wrong-authority")
    with pytest.raises(NotFound):
        await cases.get_application(mongo=mongo, settings=SETTINGS, principal=OTHER_OWNER, app_id=filing["_id"],
                                    kinds=("supervision_filing",))
    with pytest.raises(Forbidden) as exc:
        await cases.create_filing(mongo=mongo, settings=SETTINGS, principal=who("h", "own", "company_admin",
                                                                                  tenant="hainan"), data=form())
    assert exc.value.slug == "feature-disabled"


async def test_heb04_attachments_at_most_600_kb(mongo):
    """HEB-04/17: an attachment within Hebei's 600 KB is kept; a bigger one is 413
    attachment-too-large asking to split it, and nothing stays in storage."""
    storage = FakeStorage()
    filing = await cases.create_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, data=form())
    saved = await cases.add_attachment(mongo=mongo, storage=storage, settings=SETTINGS, principal=OWNER,
                                       filing_id=filing["_id"], upload=FakeUpload(image_bytes(), "scan.png",
                                                                                  "image/png"))
    assert len(saved["attachments"]) == 1 and len(storage.objects) == 1
    big = b"%PDF-1.4\n" + b"0" * (601 * 1024)
    with pytest.raises(PayloadTooLarge) as exc:
        await cases.add_attachment(mongo=mongo, storage=storage, settings=SETTINGS, principal=OWNER,
                                   filing_id=filing["_id"], upload=FakeUpload(big, "big.pdf", "application/pdf"))
    assert exc.value.slug == "attachment-too-large" and "600 KB" in str(exc.value)
    assert len(storage.objects) == 1
    with pytest.raises(NotFound):
        await cases.add_attachment(mongo=mongo, storage=storage, settings=SETTINGS, principal=OTHER_OWNER,
                                   filing_id=filing["_id"], upload=FakeUpload(image_bytes(), "s.png", "image/png"))


async def test_heb04_two_acceptances_at_once_register_one_project(mongo):
    """HEB-04: two supervisors accepting at the same instant register one project."""
    filing = await cases.create_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, data=form())
    await cases.submit_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, filing_id=filing["_id"])
    results = await asyncio.gather(*(cases.decide_filing(
        mongo=mongo, settings=SETTINGS, principal=SUP, filing_id=filing["_id"], action="accept", comment=None,
        supervisor_user_ids=["zhang"]) for _ in range(3)), return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, BaseException))
    assert len(await mongo.repo("projects", TENANT).find({}, limit=10)) == 1


async def test_heb05_evaluation_by_the_owner_of_a_filed_project_marks_it(mongo):
    """HEB-05: the owner applies → 上报 to the project's station → 受理 → 办结: the project carries
    the evaluation and an update event is published; a second application is 409."""
    project = await accepted_project(mongo)
    app = await cases.create_project_application(
        mongo=mongo, settings=SETTINGS, principal=OWNER, kind="comprehensive_evaluation",
        data={"project_id": project["_id"], "planned_completion_on": "2027-06-30", "summary": "主体完工"})
    submitted = await cases.submit_project_application(mongo=mongo, settings=SETTINGS, principal=OWNER,
                                                       app_id=app["_id"])
    assert submitted["authority_org_id"] == "st-ca"
    for action in ("accept", "approve"):
        done = await cases.decide_project_application(mongo=mongo, settings=SETTINGS, principal=SUP,
                                                      app_id=app["_id"], action=action, comment="同意")
    assert done["stage"] == "approved"
    marked = await mongo.repo("projects", TENANT).get(project["_id"])
    assert marked["evaluation_application_id"] == app["_id"]
    [updated] = mongo.events("projects.project.updated.v1", tenant=TENANT)
    assert updated["data"]["evaluation_application_id"] == app["_id"]
    with pytest.raises(Conflict) as exc:
        await cases.create_project_application(
            mongo=mongo, settings=SETTINGS, principal=OWNER, kind="comprehensive_evaluation",
            data={"project_id": project["_id"], "planned_completion_on": "2027-06-30"})
    assert exc.value.slug == "already-evaluated"


async def test_heb05_refused_for_another_company_an_unfiled_or_completed_project(mongo):
    """HEB-05: the contractor is 403 not-project-owner; a project registered directly (not
    filed) is 422 project-not-filed; a completed one is 409 project-completed; a missing
    completion day is 422 naming it."""
    project = await accepted_project(mongo)
    data = {"project_id": project["_id"], "planned_completion_on": "2027-06-30"}
    with pytest.raises(Forbidden) as exc:
        await cases.create_project_application(mongo=mongo, settings=SETTINGS, principal=CONTRACTOR,
                                               kind="comprehensive_evaluation", data=data)
    assert exc.value.slug == "not-project-owner"
    with pytest.raises(Unprocessable) as exc:
        await cases.create_project_application(mongo=mongo, settings=SETTINGS, principal=OWNER,
                                               kind="comprehensive_evaluation", data={"project_id": project["_id"]})
    assert exc.value.field == "planned_completion_on"
    direct = await use_cases.register_project(mongo=mongo, actor=SUP, data={
        "name": "直接登记", "address": "x", "owner_org_id": "own", "contractor_org_id": "con",
        "supervision_org_id": "sv", "supervisor_user_ids": ["zhang"], "participants": []})
    with pytest.raises(Unprocessable) as exc:
        await cases.create_project_application(mongo=mongo, settings=SETTINGS, principal=OWNER,
                                               kind="comprehensive_evaluation",
                                               data={**data, "project_id": direct["_id"]})
    assert exc.value.slug == "project-not-filed"
    await mongo.repo("projects", TENANT).update({"_id": project["_id"]}, {"$set": {"status": "completed"}})
    with pytest.raises(Conflict) as exc:
        await cases.create_project_application(mongo=mongo, settings=SETTINGS, principal=OWNER,
                                               kind="comprehensive_evaluation", data=data)
    assert exc.value.slug == "project-completed"
    with pytest.raises(Unprocessable) as exc:   # another owner does not even see the project
        await cases.create_project_application(mongo=mongo, settings=SETTINGS, principal=OTHER_OWNER,
                                               kind="comprehensive_evaluation", data=data)
    assert exc.value.slug == "project-not-found"


async def test_heb08_civilized_site_within_the_standard_chosen_at_filing(mongo):
    """HEB-08: the contractor applies at or below the chosen level; above it (provincial over
    municipal) is 422 civilized-level-above-standard; approval records the level."""
    project = await accepted_project(mongo)
    with pytest.raises(Unprocessable) as exc:
        await cases.create_project_application(mongo=mongo, settings=SETTINGS, principal=CONTRACTOR,
                                               kind="civilized_site",
                                               data={"project_id": project["_id"], "level": "provincial"})
    assert (exc.value.field, exc.value.slug) == ("level", "civilized-level-above-standard")
    app = await cases.create_project_application(mongo=mongo, settings=SETTINGS, principal=CONTRACTOR,
                                                 kind="civilized_site",
                                                 data={"project_id": project["_id"], "level": "municipal"})
    await cases.submit_project_application(mongo=mongo, settings=SETTINGS, principal=CONTRACTOR, app_id=app["_id"])
    with pytest.raises(NotFound):   # another station neither sees nor decides it
        await cases.decide_project_application(mongo=mongo, settings=SETTINGS, principal=CITY, app_id=app["_id"],
                                               action="accept", comment=None)
    for action in ("accept", "approve"):
        await cases.decide_project_application(mongo=mongo, settings=SETTINGS, principal=SUP, app_id=app["_id"],
                                               action=action, comment=None)
    assert (await mongo.repo("projects", TENANT).get(project["_id"]))["civilized_site_level"] == "municipal"
    [approved] = mongo.events("projects.application.approved.v1", tenant=TENANT)
    assert approved["data"]["kind"] == "civilized_site" and approved["data"]["level"] == "municipal"


async def test_heb08_refused_when_the_filing_chose_none_or_from_the_owner(mongo):
    """HEB-08: a filing that chose 不申报 takes no civilized-site application (422
    civilized-site-not-chosen); the owner is not the contractor (403)."""
    project = await accepted_project(mongo, civilized_site_standard="none")
    with pytest.raises(Unprocessable) as exc:
        await cases.create_project_application(mongo=mongo, settings=SETTINGS, principal=CONTRACTOR,
                                               kind="civilized_site",
                                               data={"project_id": project["_id"], "level": "municipal"})
    assert exc.value.slug == "civilized-site-not-chosen"
    with pytest.raises(Forbidden) as exc:
        await cases.create_project_application(mongo=mongo, settings=SETTINGS, principal=OWNER,
                                               kind="civilized_site",
                                               data={"project_id": project["_id"], "level": "municipal"})
    assert exc.value.slug == "not-project-contractor"


async def test_heb04_returned_with_a_reason_corrected_and_resubmitted(mongo):
    """HEB-04 (HEB-03 lifecycle): 退回 needs a reason, which the returned event carries; the owner
    corrects the draft and resubmits; a submitted filing cannot be edited (409)."""
    filing = await cases.create_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, data=form())
    await cases.submit_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, filing_id=filing["_id"])
    with pytest.raises(Conflict):
        await cases.edit_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, filing_id=filing["_id"], data=form())
    with pytest.raises(Unprocessable) as exc:
        await cases.decide_filing(mongo=mongo, settings=SETTINGS, principal=SUP, filing_id=filing["_id"],
                                  action="return", comment=" ", supervisor_user_ids=[])
    assert exc.value.field == "comment"
    await cases.decide_filing(mongo=mongo, settings=SETTINGS, principal=SUP, filing_id=filing["_id"],
                              action="return", comment="请补充施工许可证", supervisor_user_ids=[])
    [returned] = mongo.events("projects.application.returned.v1", tenant=TENANT)
    assert returned["data"]["comment"] == "请补充施工许可证"
    edited = await cases.edit_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, filing_id=filing["_id"],
                                     data=form(address="石家庄市长安区建设北大街 66 号院"))
    assert edited["form"]["address"].endswith("院")
    again = await cases.submit_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, filing_id=filing["_id"])
    assert again["stage"] == "submitted"
    assert [e["data"]["comment"] for e in mongo.events("projects.application.submitted.v1", tenant=TENANT)] == ["", ""]


async def test_heb04_projects_learns_the_contractors_people_from_personnel_events(mongo):
    """HEB-04/11: personnel's ``personnel.company_person.saved.v1`` feeds projects' read model
    (queue ``projects.people-directory``); an older redelivered snapshot never overwrites a newer
    one: a person whose certificate was renewed (version 2) stays valid after version 1 comes again."""
    from anjian_shared.events import make_event
    from anjian_shared.events.personnel_v1 import CompanyPersonSaved
    from projects.entrypoints.consumers import people

    def saved(version: int, expires: str) -> CompanyPersonSaved:
        return CompanyPersonSaved(person_id="b-evt", company_org_id="con", name="周某", category="B",
                                  certificate_number="冀建安B-0001", issued_on=date(2024, 1, 1),
                                  expires_on=date.fromisoformat(expires), version=version)

    for payload in (saved(2, FUTURE), saved(1, PAST)):
        event = make_event(type="personnel.company_person.saved.v1", tenant=TENANT, service="personnel",
                           subject="b-evt", data=payload)
        async with mongo.uow(TENANT) as uow:
            await people.handlers["personnel.company_person.saved.v1"](uow, event, payload)
            await uow.commit()
    filing = await cases.create_filing(mongo=mongo, settings=SETTINGS, principal=OWNER, data=form(leader="b-evt"))
    assert filing["form"]["parties"]["contractor"]["project_leader_person_id"] == "b-evt"


async def test_heb04_the_owner_lists_the_contractors_valid_b_and_c_to_pick(mongo):
    """HEB-04/11: the owner sees the contractor's B and C with valid certificates (not the
    expired, the removed, another category or another company's); a contractor may not ask (403)."""
    await person(mongo, "c-gone", "con", "C1", FUTURE, removed=True)
    page = await cases.list_contractor_staff(mongo=mongo, settings=SETTINGS, principal=OWNER,
                                             contractor_org_id="con", limit=20, cursor=None)
    assert sorted(d["_id"] for d in page.items) == ["b1", "c1"]
    with pytest.raises(Forbidden):
        await cases.list_contractor_staff(mongo=mongo, settings=SETTINGS, principal=CONTRACTOR,
                                          contractor_org_id="con", limit=20, cursor=None)
