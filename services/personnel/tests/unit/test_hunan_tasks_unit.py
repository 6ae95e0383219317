"""HUN-01: personnel says when each Hunan task opens and closes (``personnel.hunan_task.changed.v1``,
in the transaction of the change): certificate applications to decide, assessments to finish,
dynamic scores to approve, training registrations to review — each naming what opens it."""

from __future__ import annotations

from datetime import date

import pytest

from anjian_shared.errors import Conflict
from anjian_shared.events.personnel_v1 import HunanTaskChanged
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from anjian_shared.testing.media import FakeUpload, image_bytes
from personnel.service_layer import agencies, assessments, certificates, training

T = "hunan"
TASK = "personnel.hunan_task.changed.v1"
STAFF = {"name": "李明", "gender": "male", "birth_date": date(1988, 4, 12), "post": "supervisor",
         "education": "bachelor", "title": "intermediate"}


def who(org: str, *roles: str, kind: str = "agency") -> Principal:
    return Principal(user_id=f"{org}-user", tenant=T, org_id=org, roles=list(roles) or ["station_leader"],
                     org_kind=kind)


LEADER = who("furong")
CLERK = who("furong", "supervisor")
OFFICE = who("province", "supervisor", kind="authority")


@pytest.fixture
async def world() -> FakeDatabase:
    mongo = FakeDatabase(service="personnel")
    for org_id, kind, division in (("furong", "agency", "430102"), ("changsha", "authority", "430100"),
                                   ("province", "authority", "430000")):
        await mongo.repo("organizations", T).insert({"_id": org_id, "org_id": org_id, "kind": kind,
                                                     "division_code": division, "name": org_id})
    await assessments.seed_catalog(mongo)
    return mongo


def tasks(mongo: FakeDatabase) -> list[HunanTaskChanged]:
    return [HunanTaskChanged.model_validate(e["data"]) for e in mongo.outbox if e["type"] == TASK]


async def test_hun01_certificate_application_task_opens_on_submission_and_closes_on_return_and_approval(world):
    """HUN-01: submitted → to-do of the province office (opens the application); 退回 closes it,
    resubmission reopens it, 受理 keeps it open, approval closes it."""
    storage = FakeStorage()
    staff = await agencies.add_staff(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(STAFF))
    doc = await certificates.add_certificate(
        mongo=world, storage=storage, actor=LEADER, agency_org_id="furong", staff_id=staff["_id"],
        data={"kind": "safety", "number": "湘安监2021-0042", "issued_on": date(2021, 5, 1),
              "valid_until": date(2029, 4, 30)},
        photo=FakeUpload(image_bytes("PNG"), filename="c.png", content_type="image/png"))
    cert = doc["certificates"][0]
    app = await certificates.create_application(
        mongo=world, storage=storage, actor=LEADER, agency_org_id="furong", kind="cert_cancellation",
        form={"staff_id": staff["_id"], "certificate_id": cert["id"], "category": "retired", "reason": "退休"},
        photo=None)
    assert tasks(world) == [], "a draft is nobody's task yet"
    await certificates.submit_application(mongo=world, actor=LEADER, app_id=app["_id"])
    await certificates.decide_application(mongo=world, actor=OFFICE, app_id=app["_id"], action="return",
                                          comment="请补充说明")
    await certificates.submit_application(mongo=world, actor=LEADER, app_id=app["_id"])
    await certificates.decide_application(mongo=world, actor=OFFICE, app_id=app["_id"], action="accept")
    await certificates.decide_application(mongo=world, actor=OFFICE, app_id=app["_id"], action="approve")
    seen = tasks(world)
    assert [t.open for t in seen] == [True, False, True, True, False]
    first = seen[0]
    assert first.kind == "certificate_application_to_decide" and first.object_id == app["_id"]
    assert first.api_path == f"/api/personnel/v1/certificate-applications/{app['_id']}"
    assert first.assignee_org_id == "province" and "supervisor" in first.assignee_roles
    assert first.task_id == f"certificate_application:{app['_id']}" and first.title.startswith("审核")
    assert len({t.task_id for t in seen}) == 1


async def test_hun01_assessment_task_for_its_assessor_until_submitted(world):
    """HUN-01: a draft assessment is its assessor's to-do until submitted."""
    staff = await agencies.add_staff(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(STAFF))
    sheet = await assessments.start_assessment(mongo=world, actor=LEADER, kind="group",
                                               assessed_staff_ids=[staff["_id"]], assessed_agency_id=None)
    [opened] = tasks(world)
    assert opened.open and opened.kind == "assessment_to_finish" and opened.assignee_user_id == LEADER.user_id
    assert opened.api_path == f"/api/personnel/v1/assessments/{sheet['_id']}"
    await assessments.save_project(mongo=world, actor=LEADER, assessment_id=sheet["_id"], project_name="某住宅",
                                   construction_unit="某置业", deductions=[{"code": "D01"}])
    await assessments.submit_assessment(mongo=world, actor=LEADER, assessment_id=sheet["_id"])
    assert [t.open for t in tasks(world)] == [True, False]


async def test_hun01_dynamic_score_task_for_the_agency_leader_closed_by_approval_or_deletion(world):
    """HUN-01: a recorded dynamic score waits for the agency leader; approval or deletion closes it;
    a refused deletion (approved entry) says nothing."""
    staff = await agencies.add_staff(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(STAFF))
    on = date(date.today().year, 1, 2)
    a = await assessments.record_score(mongo=world, actor=CLERK, staff_id=staff["_id"], on=on,
                                       reason_codes=["R04"], note=None)
    b = await assessments.record_score(mongo=world, actor=CLERK, staff_id=staff["_id"], on=on,
                                       reason_codes=["R02"], note=None)
    await assessments.approve_score(mongo=world, actor=LEADER, score_id=a["_id"])
    await assessments.delete_score(mongo=world, actor=CLERK, score_id=b["_id"])
    with pytest.raises(Conflict):
        await assessments.delete_score(mongo=world, actor=CLERK, score_id=a["_id"])
    seen = tasks(world)
    assert [(t.object_id, t.open) for t in seen] == [(a["_id"], True), (b["_id"], True), (a["_id"], False),
                                                     (b["_id"], False)]
    assert seen[0].assignee_org_id == "furong" and seen[0].assignee_roles == ["station_leader"]
    assert seen[0].kind == "dynamic_score_to_approve" and "12分" in seen[0].body
    assert all("李明" not in t.body and "李明" not in t.title for t in seen), "no names: partners may read it"


async def test_hun01_training_registration_task_for_the_province_office_until_deleted(world):
    """HUN-01: a training registration is the province training office's to-do; deleting it closes it."""
    staff = await agencies.add_staff(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(STAFF))
    reg = await training.register(mongo=world, actor=LEADER, kind="new_staff", staff_id=staff["_id"],
                                  personal={"id_number": "430102198804120012", "mobile": "13800000000"})
    await training.delete_registration(mongo=world, actor=LEADER, registration_id=reg["_id"])
    opened, closed = tasks(world)
    assert opened.open and opened.kind == "training_registration_to_review"
    assert opened.assignee_org_id == "province" and opened.agency_org_id == "furong"
    assert opened.api_path == f"/api/personnel/v1/training-registrations/{reg['_id']}"
    assert not closed.open and closed.task_id == opened.task_id
