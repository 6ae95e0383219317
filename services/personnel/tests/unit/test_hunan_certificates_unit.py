"""Hunan supervisors' records and certificate applications on the fakes (HUN-09..HUN-12)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from anjian_shared.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from anjian_shared.testing.media import FakeUpload, image_bytes
from personnel.domain import agencies as agency_rules
from personnel.service_layer import agencies as agencies_service
from personnel.service_layer import certificates as service
from personnel.service_layer.year_end import freeze_all

T = "hunan"
STAFF = {"name": "李明", "gender": "male", "birth_date": date(1988, 4, 12), "post": "supervisor",
         "education": "bachelor", "title": "intermediate"}


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock(datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    monkeypatch.setattr(agencies_service, "utcnow", c)
    monkeypatch.setattr(service, "utcnow", c)
    return c


def who(org: str, *roles: str, kind: str = "agency") -> Principal:
    return Principal(user_id=f"{org}-user", tenant=T, org_id=org, roles=list(roles) or ["station_leader"],
                     org_kind=kind)


LEADER = who("furong")
OTHER = who("yuelu")
CLERK = who("furong", "inspector")
OFFICE = who("province", "inspector", kind="authority")
CITY = who("changsha", "inspector", kind="authority")


def photo(name: str = "cert.png") -> FakeUpload:
    return FakeUpload(image_bytes("PNG"), filename=name, content_type="image/png")


@pytest.fixture
async def world(clock: Clock) -> FakeDatabase:
    mongo = FakeDatabase(service="personnel")
    for org_id, kind, division in (("furong", "agency", "430102"), ("yuelu", "agency", "430104"),
                                   ("changsha", "authority", "430100"), ("province", "authority", "430000")):
        await mongo.repo("organizations", T).insert({"_id": org_id, "org_id": org_id, "kind": kind,
                                                     "division_code": division, "name": org_id})
    return mongo


@pytest.fixture
def storage() -> FakeStorage:
    return FakeStorage()


async def _supervisor(world: FakeDatabase, storage: FakeStorage) -> tuple[dict, dict]:
    staff = await agencies_service.add_staff(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(STAFF))
    doc = await service.add_certificate(
        mongo=world, storage=storage, actor=LEADER, agency_org_id="furong", staff_id=staff["_id"],
        data={"kind": "safety", "number": "湘安监2021-0042", "issued_on": date(2021, 5, 1),
              "valid_until": date(2026, 4, 30)}, photo=photo())
    return doc, doc["certificates"][0]


# -- HUN-09 ------------------------------------------------------------------------------


async def test_hun09_personal_record_shows_missing_fields_and_completes(world):
    """HUN-09: the record lists the required fields still empty; completing needs them all."""
    staff = await agencies_service.add_staff(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(STAFF))
    record = await service.personal_record(mongo=world, actor=LEADER, agency_org_id="furong", staff_id=staff["_id"])
    assert record["missing"] == ["mobile"]
    with pytest.raises(Unprocessable) as no_mobile:
        await service.complete_record(mongo=world, actor=LEADER, agency_org_id="furong", staff_id=staff["_id"],
                                      data={**STAFF})
    assert no_mobile.value.field == "mobile"
    done = await service.complete_record(mongo=world, actor=LEADER, agency_org_id="furong", staff_id=staff["_id"],
                                         data={**STAFF, "mobile": "13800000002"})
    assert done["missing"] == [] and done["version"] == 2
    with pytest.raises(NotFound):  # another agency's staff: not visible
        await service.personal_record(mongo=world, actor=OTHER, agency_org_id="furong", staff_id=staff["_id"])
    with pytest.raises(Forbidden):  # not the leader
        await service.complete_record(mongo=world, actor=CLERK, agency_org_id="furong", staff_id=staff["_id"],
                                      data={**STAFF, "mobile": "13800000002"})


async def test_hun09_certificate_with_photo_in_storage_counts_in_the_structure(world, storage):
    """HUN-09: a certificate with its photo (S3); one valid per kind; holding counts it."""
    doc, cert = await _supervisor(world, storage)
    assert cert["status"] == "valid" and cert["photo"]["content_type"] == "image/png"
    assert len(storage.objects) == 1
    live = await agencies_service.staffing_structure(mongo=world, actor=LEADER, agency_org_id="furong")
    assert live["by_certificate_holding"]["one"] == 1
    with pytest.raises(Conflict) as held:
        await service.add_certificate(
            mongo=world, storage=storage, actor=LEADER, agency_org_id="furong", staff_id=doc["_id"],
            data={"kind": "safety", "number": "X-1", "issued_on": date(2022, 1, 1), "valid_until": date(2027, 1, 1)},
            photo=photo())
    assert held.value.code == "certificate-kind-held"
    assert len(storage.objects) == 1, "refused before anything was stored"
    with pytest.raises(Unprocessable) as dates:
        await service.add_certificate(
            mongo=world, storage=storage, actor=LEADER, agency_org_id="furong", staff_id=doc["_id"],
            data={"kind": "quality", "number": "Q-1", "issued_on": date(2022, 1, 1), "valid_until": date(2021, 1, 1)},
            photo=photo())
    assert dates.value.code == "valid-until-before-issue"


async def test_hun09_oversize_photo_is_refused_and_nothing_stays(world, storage, monkeypatch):
    """HUN-09: a photo above the tenant's limit is 413 naming ``photo``; no object, no certificate."""
    staff = await agencies_service.add_staff(mongo=world, actor=LEADER, agency_org_id="furong", data=dict(STAFF))

    async def tiny(*_: object, **__: object) -> int:
        return 10

    monkeypatch.setattr(service, "_photo_limit", tiny)
    with pytest.raises(PayloadTooLarge) as big:
        await service.add_certificate(
            mongo=world, storage=storage, actor=LEADER, agency_org_id="furong", staff_id=staff["_id"],
            data={"kind": "quality", "number": "Q-1", "issued_on": date(2022, 1, 1), "valid_until": date(2027, 1, 1)},
            photo=photo())
    assert big.value.field == "photo" and storage.objects == {}
    again = await service.personal_record(mongo=world, actor=LEADER, agency_org_id="furong", staff_id=staff["_id"])
    assert again["certificates"] == []


def test_hun09_holding_ignores_cancelled_certificates():
    """HUN-09/HUN-11: a cancelled certificate is no longer held."""
    assert agency_rules.holding([{"kind": "quality", "status": "valid"}, {"kind": "safety", "status": "cancelled"}]) \
        == "one"
    assert agency_rules.holding(["quality", "safety"]) == "two"


# -- HUN-10..12 --------------------------------------------------------------------------


async def test_hun10_change_returned_resubmitted_approved_changes_the_certificate(world, storage):
    """HUN-10: change of number (with the new photo) → returned → resubmitted → accepted →
    approved: the certificate takes the new number and photo, a revision and an event."""
    staff, cert = await _supervisor(world, storage)
    app = await service.create_application(
        mongo=world, storage=storage, actor=LEADER, agency_org_id="furong", kind="cert_change",
        form={"staff_id": staff["_id"], "certificate_id": cert["id"], "change_types": ["number"],
              "new_number": "湘安监2026-0188"}, photo=photo("new.png"))
    assert app["stage"] == "draft" and app["form"]["change_types"] == ["number", "photo"]
    app = await service.submit_application(mongo=world, actor=LEADER, app_id=app["_id"])
    assert app["authority_org_id"] == "province"
    with pytest.raises(NotFound):  # the city is not the addressed authority: it does not see it
        await service.decide_application(mongo=world, actor=CITY, app_id=app["_id"], action="accept")
    await service.decide_application(mongo=world, actor=OFFICE, app_id=app["_id"], action="return",
                                     comment="照片不清晰")
    await service.submit_application(mongo=world, actor=LEADER, app_id=app["_id"], comment="已重新上传")
    await service.decide_application(mongo=world, actor=OFFICE, app_id=app["_id"], action="accept")
    done = await service.decide_application(mongo=world, actor=OFFICE, app_id=app["_id"], action="approve")
    assert done["stage"] == "approved"
    record = await service.personal_record(mongo=world, actor=LEADER, agency_org_id="furong", staff_id=staff["_id"])
    [now] = record["certificates"]
    assert now["number"] == "湘安监2026-0188" and now["photo"] == app["form"]["photo"]
    revisions = await world.repo("agency_staff_revisions", T).find({"staff_id": staff["_id"]}, sort=[("seq", 1)])
    assert revisions[-1]["state"]["certificates"][0]["number"] == "湘安监2026-0188"
    [event] = [e for e in world.outbox if e["type"] == "personnel.supervisor_certificate.changed.v1"]
    assert event["data"]["previous_number"] == "湘安监2021-0042" and event["data"]["number"] == "湘安监2026-0188"


async def test_hun10_change_needs_its_content(world, storage):
    """HUN-10: change types, the new number (different), the photo; one open application per certificate."""
    staff, cert = await _supervisor(world, storage)
    base = {"staff_id": staff["_id"], "certificate_id": cert["id"]}
    for form, field in (({**base, "change_types": []}, "change_types"),
                        ({**base, "change_types": ["number"]}, "new_number"),
                        ({**base, "change_types": ["number"], "new_number": cert["number"]}, "new_number"),
                        ({**base, "change_types": ["validity"], "new_issued_on": date(2026, 5, 1)}, "new_valid_until")):
        with pytest.raises(Unprocessable) as bad:
            await service.create_application(mongo=world, storage=storage, actor=LEADER, agency_org_id="furong",
                                             kind="cert_change", form=form, photo=photo())
        assert bad.value.field == field
    with pytest.raises(Unprocessable) as no_photo:
        await service.create_application(mongo=world, storage=storage, actor=LEADER, agency_org_id="furong",
                                         kind="cert_change", form={**base, "change_types": ["number"],
                                                                   "new_number": "N-2"}, photo=None)
    assert no_photo.value.field == "photo"
    assert len(storage.objects) == 1, "only the certificate's own photo"
    await service.create_application(mongo=world, storage=storage, actor=LEADER, agency_org_id="furong",
                                     kind="cert_change", form={**base, "change_types": ["validity"],
                                                               "new_issued_on": date(2026, 5, 1),
                                                               "new_valid_until": date(2031, 4, 30)}, photo=None)
    with pytest.raises(Conflict) as pending:
        await service.create_application(mongo=world, storage=storage, actor=LEADER, agency_org_id="furong",
                                         kind="cert_reissue", form={**base, "reason": "lost"}, photo=photo())
    assert pending.value.code == "certificate-application-pending"
    with pytest.raises(NotFound):  # another agency cannot apply for this staff member
        await service.create_application(mongo=world, storage=storage, actor=OTHER, agency_org_id="furong",
                                         kind="cert_reissue", form={**base, "reason": "lost"}, photo=photo())


async def test_hun10_delete_only_own_and_only_before_acceptance(world, storage):
    """HUN-10..12: delete while 未受理 / 不予受理 / 已退回 by the own agency; 409 saying why once accepted."""
    staff, cert = await _supervisor(world, storage)
    form = {"staff_id": staff["_id"], "certificate_id": cert["id"], "reason": "damaged"}

    async def new() -> dict:
        return await service.create_application(mongo=world, storage=storage, actor=LEADER, agency_org_id="furong",
                                                kind="cert_reissue", form=form, photo=photo())

    draft = await new()
    await service.delete_application(mongo=world, storage=storage, actor=LEADER, app_id=draft["_id"])
    assert len(storage.objects) == 1, "the application's photo is removed with it"
    submitted = await new()
    await service.submit_application(mongo=world, actor=LEADER, app_id=submitted["_id"])
    with pytest.raises(NotFound):  # another agency does not even see it
        await service.delete_application(mongo=world, storage=storage, actor=OTHER, app_id=submitted["_id"])
    with pytest.raises(Forbidden) as not_own:
        await service.delete_application(mongo=world, storage=storage, actor=OFFICE, app_id=submitted["_id"])
    assert not_own.value.code == "not-applicant"
    await service.delete_application(mongo=world, storage=storage, actor=LEADER, app_id=submitted["_id"])
    rejected = await new()
    await service.submit_application(mongo=world, actor=LEADER, app_id=rejected["_id"])
    await service.decide_application(mongo=world, actor=OFFICE, app_id=rejected["_id"], action="not_accept",
                                     comment="材料不全")
    await service.delete_application(mongo=world, storage=storage, actor=LEADER, app_id=rejected["_id"])
    accepted = await new()
    await service.submit_application(mongo=world, actor=LEADER, app_id=accepted["_id"])
    await service.decide_application(mongo=world, actor=OFFICE, app_id=accepted["_id"], action="accept")
    with pytest.raises(Conflict) as busy:
        await service.delete_application(mongo=world, storage=storage, actor=LEADER, app_id=accepted["_id"])
    assert busy.value.code == "application-not-deletable" and "accepted" in busy.value.detail
    await service.decide_application(mongo=world, actor=OFFICE, app_id=accepted["_id"], action="approve")
    with pytest.raises(Conflict) as decided:
        await service.delete_application(mongo=world, storage=storage, actor=LEADER, app_id=accepted["_id"])
    assert decided.value.code == "application-not-deletable"


async def test_hun11_cancellation_needs_category_and_reason_and_ends_the_certificate(world, storage, clock):
    """HUN-11: category + reason; on approval the certificate is cancelled, no longer held,
    nothing more can be applied for, and the frozen past year is unchanged."""
    staff, cert = await _supervisor(world, storage)
    base = {"staff_id": staff["_id"], "certificate_id": cert["id"]}
    with pytest.raises(Unprocessable) as category:
        await service.create_application(mongo=world, storage=storage, actor=LEADER, agency_org_id="furong",
                                         kind="cert_cancellation", form={**base, "reason": "退休"}, photo=None)
    assert category.value.field == "category"
    with pytest.raises(Unprocessable) as reason:
        await service.create_application(mongo=world, storage=storage, actor=LEADER, agency_org_id="furong",
                                         kind="cert_cancellation", form={**base, "category": "retired"}, photo=None)
    assert reason.value.field == "reason"
    clock.at = datetime(2027, 1, 10, 2, 0, tzinfo=UTC)
    assert await freeze_all(world, now=clock.at) == 1
    app = await service.create_application(mongo=world, storage=storage, actor=LEADER, agency_org_id="furong",
                                           kind="cert_cancellation",
                                           form={**base, "category": "retired", "reason": "2027年1月退休"}, photo=None)
    await service.submit_application(mongo=world, actor=LEADER, app_id=app["_id"])
    await service.decide_application(mongo=world, actor=OFFICE, app_id=app["_id"], action="accept")
    await service.decide_application(mongo=world, actor=OFFICE, app_id=app["_id"], action="approve")
    record = await service.personal_record(mongo=world, actor=LEADER, agency_org_id="furong", staff_id=staff["_id"])
    assert record["certificates"][0]["status"] == "cancelled"
    assert record["certificates"][0]["cancellation"] == {"category": "retired", "reason": "2027年1月退休"}
    live = await agencies_service.staffing_structure(mongo=world, actor=LEADER, agency_org_id="furong")
    assert live["by_certificate_holding"]["none"] == 1
    frozen = await agencies_service.staffing_structure(mongo=world, actor=LEADER, agency_org_id="furong", year=2026)
    assert frozen["by_certificate_holding"]["one"] == 1, "the frozen 2026 return keeps the certificate"
    with pytest.raises(Conflict) as over:
        await service.create_application(mongo=world, storage=storage, actor=LEADER, agency_org_id="furong",
                                         kind="cert_reissue", form={**base, "reason": "lost"}, photo=photo())
    assert over.value.code == "certificate-cancelled"


async def test_hun12_reissue_takes_the_new_photo_and_counts(world, storage):
    """HUN-12: reason lost|damaged and the replacement's photo; approval counts the reissue."""
    staff, cert = await _supervisor(world, storage)
    base = {"staff_id": staff["_id"], "certificate_id": cert["id"]}
    with pytest.raises(Unprocessable) as no_photo:
        await service.create_application(mongo=world, storage=storage, actor=LEADER, agency_org_id="furong",
                                         kind="cert_reissue", form={**base, "reason": "lost"}, photo=None)
    assert no_photo.value.field == "photo"
    with pytest.raises(Forbidden):  # only the leader applies
        await service.create_application(mongo=world, storage=storage, actor=CLERK, agency_org_id="furong",
                                         kind="cert_reissue", form={**base, "reason": "lost"}, photo=photo())
    app = await service.create_application(mongo=world, storage=storage, actor=LEADER, agency_org_id="furong",
                                           kind="cert_reissue", form={**base, "reason": "lost"}, photo=photo())
    await service.submit_application(mongo=world, actor=LEADER, app_id=app["_id"])
    with pytest.raises(Conflict):  # approve before acceptance
        await service.decide_application(mongo=world, actor=OFFICE, app_id=app["_id"], action="approve")
    await service.decide_application(mongo=world, actor=OFFICE, app_id=app["_id"], action="accept")
    await service.decide_application(mongo=world, actor=OFFICE, app_id=app["_id"], action="approve")
    record = await service.personal_record(mongo=world, actor=LEADER, agency_org_id="furong", staff_id=staff["_id"])
    now = record["certificates"][0]
    assert now["reissued"] == 1 and now["number"] == cert["number"] and now["photo"] == app["form"]["photo"]
    mine = await service.list_applications(mongo=world, actor=LEADER, box="completed")
    assert [a["_id"] for a in mine] == [app["_id"]]
    assert await service.list_applications(mongo=world, actor=OFFICE, box="inbox") == []
    with pytest.raises(NotFound):
        await service.get_application(mongo=world, actor=OTHER, app_id=app["_id"])


async def test_hun10_submission_goes_to_the_province_office(world, storage):
    """HUN-10..12: the only province office by default; several → name one (422 ``authority_org_id``);
    none yet → 409 ``province-office-unknown`` (retryable)."""
    from anjian_shared.errors import NotYetAvailable

    staff, cert = await _supervisor(world, storage)
    app = await service.create_application(
        mongo=world, storage=storage, actor=LEADER, agency_org_id="furong", kind="cert_reissue",
        form={"staff_id": staff["_id"], "certificate_id": cert["id"], "reason": "lost"}, photo=photo())
    with pytest.raises(Unprocessable) as not_office:
        await service.submit_application(mongo=world, actor=LEADER, app_id=app["_id"], authority_org_id="changsha")
    assert not_office.value.field == "authority_org_id"
    await world.repo("organizations", T).insert({"_id": "province2", "org_id": "province2", "kind": "authority",
                                                 "division_code": "430000", "name": "另一个省厅"})
    with pytest.raises(Unprocessable) as several:
        await service.submit_application(mongo=world, actor=LEADER, app_id=app["_id"])
    assert several.value.field == "authority_org_id"
    sent = await service.submit_application(mongo=world, actor=LEADER, app_id=app["_id"], authority_org_id="province2")
    assert sent["authority_org_id"] == "province2" and sent["stage"] == "submitted"
    with pytest.raises(NotFound):  # the other office is not addressed and is not the province office of record
        await service.decide_application(mongo=world, actor=CITY, app_id=app["_id"], action="accept")
    for org_id in ("province", "province2", "changsha"):
        await world.repo("organizations", T).delete({"_id": org_id})
    with pytest.raises(NotYetAvailable) as none:
        await service._province_office(world, T)
    assert none.value.code == "province-office-unknown"


def test_hun09_staff_read_model_carries_certificate_records():
    """HUN-09: HUN-05's staff answers (list, change) carry the certificate records."""
    from personnel.entrypoints.api.agencies import _staff

    doc = {"_id": "s1", "agency_org_id": "furong", **STAFF, "version": 2, "deleted": False,
           "certificates": [{"id": "c1", "kind": "safety", "number": "N-1", "status": "valid"}]}
    assert _staff(doc).certificates[0]["number"] == "N-1"
