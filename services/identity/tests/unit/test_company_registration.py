"""HEB-01 company self-registration on the in-memory fakes: the credit code (GB 32100), the
division (GB/T 2260), the reviewing authority (nearest ancestor-or-self), enable/refuse,
overdue after 24 h, duplicates, the throttle per client address."""

from __future__ import annotations

from datetime import timedelta

import pytest

from anjian_shared.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from identity.service_layer import registrations as reg

HEBEI_OFFICE = "auth-heb"
SJZ = "auth-sjz"  # 石家庄市 authority
TS = "auth-ts"  # 唐山市 authority


def _reviewer(org: str, *, roles=("station_leader",), tenant="hebei") -> Principal:  # type: ignore[no-untyped-def]
    return Principal(user_id=f"u-{org}", tenant=tenant, org_id=org, org_kind="authority",
                     roles=list(roles), name="审核人")


async def _db() -> FakeDatabase:
    mongo = FakeDatabase(service="identity")
    orgs = mongo.repo("organizations", "hebei")
    for _id, code in ((HEBEI_OFFICE, "130000"), (SJZ, "130100"), (TS, "130200")):
        await orgs.insert({"_id": _id, "name": _id, "kind": "authority", "division_code": code,
                           "company_roles": [], "created_at": None})
    return mongo


def _form(**kw):  # type: ignore[no-untyped-def]
    data = {"company_name": "河北某起重设备租赁有限公司", "credit_code": "914403001922038216",
            "company_roles": ["leasing"], "in_province": True, "division_code": "130102",
            "contact_name": "李四", "contact_mobile": "13800000000",
            "admin_username": "lease.admin", "admin_password": "Tower-crane-2026"}
    data.update(kw)
    return data


async def test_heb01_authority_for_division_is_the_nearest_ancestor_or_self():
    mongo = await _db()
    assert (await reg.authority_for_division(mongo=mongo, tenant="hebei", code="130102"))["_id"] == SJZ
    assert (await reg.authority_for_division(mongo=mongo, tenant="hebei", code="130200"))["_id"] == TS
    assert (await reg.authority_for_division(mongo=mongo, tenant="hebei", code="130302"))["_id"] == HEBEI_OFFICE
    assert await reg.authority_for_division(mongo=mongo, tenant="hebei", code="420102") is None
    with pytest.raises(Unprocessable) as bad:
        await reg.authority_for_division(mongo=mongo, tenant="hebei", code="130199")
    assert bad.value.code == "unknown-division"


async def test_heb01_submit_then_enable_creates_company_and_admin_in_one_unit():
    mongo = await _db()
    doc, token = await reg.submit_registration(mongo=mongo, tenant="hebei", data=_form(), address="10.0.0.1")
    assert doc["status"] == "pending" and doc["authority_org_id"] == SJZ
    assert "admin_password" not in doc and doc["admin_password_hash"] != "Tower-crane-2026"
    [submitted] = mongo.events(reg.SUBMITTED)
    assert submitted["data"]["authority_org_id"] == SJZ and "contact_mobile" not in submitted["data"]
    polled = await reg.registration_status(mongo=mongo, tenant="hebei", registration_id=doc["_id"], token=token)
    assert polled["status"] == "pending"
    with pytest.raises(NotFound):
        await reg.registration_status(mongo=mongo, tenant="hebei", registration_id=doc["_id"], token="guess")

    # Tangshan's authority neither sees nor decides it; Shijiazhuang's and the province office do
    assert (await reg.list_registrations(mongo=mongo, actor=_reviewer(TS), status="pending", overdue=None,
                                         limit=10, cursor=None))[0] == []
    with pytest.raises(NotFound):
        await reg.decide_registration(mongo=mongo, actor=_reviewer(TS), registration_id=doc["_id"],
                                      enable=True, reason=None)
    for org in (SJZ, HEBEI_OFFICE):
        [listed], _ = await reg.list_registrations(mongo=mongo, actor=_reviewer(org), status="pending",
                                                   overdue=None, limit=10, cursor=None)
        assert listed["_id"] == doc["_id"]

    done = await reg.decide_registration(mongo=mongo, actor=_reviewer(SJZ), registration_id=doc["_id"],
                                         enable=True, reason=None, address="10.1.1.1")
    assert done["status"] == "enabled"
    [org] = mongo.documents("organizations", {"kind": "company"})
    assert (org["credit_code"], org["division_code"], org["company_roles"]) == \
        ("914403001922038216", "130102", ["leasing"])
    [user] = mongo.documents("users")
    assert user["org_id"] == org["_id"] and user["roles"] == ["company_admin"] and user["username"] == "lease.admin"
    assert [e["type"] for e in mongo.outbox][-3:] == [
        "identity.organization.created.v1", "identity.user.created.v1", reg.ENABLED]
    [audit] = mongo.documents(reg.AUDIT)
    assert audit["action"] == "enabled" and audit["actor_id"] == f"u-{SJZ}" and audit["address"] == "10.1.1.1"
    with pytest.raises(Conflict) as again:
        await reg.decide_registration(mongo=mongo, actor=_reviewer(SJZ), registration_id=doc["_id"],
                                      enable=False, reason="x")
    assert again.value.code == "registration-already-decided"
    # the credit code is now an organisation's: a second registration is refused
    with pytest.raises(Conflict) as dup:
        await reg.submit_registration(mongo=mongo, tenant="hebei", data=_form(admin_username="other.admin"),
                                      address="10.0.0.2")
    assert dup.value.code == "credit-code-taken" and dup.value.field == "credit_code"


async def test_heb01_refusal_needs_a_reason_and_frees_the_credit_code():
    mongo = await _db()
    doc, _ = await reg.submit_registration(mongo=mongo, tenant="hebei", data=_form(), address="a")
    with pytest.raises(Conflict):  # an open registration holds the code
        await reg.submit_registration(mongo=mongo, tenant="hebei", data=_form(admin_username="x.admin"), address="b")
    with pytest.raises(Unprocessable) as no_reason:
        await reg.decide_registration(mongo=mongo, actor=_reviewer(SJZ), registration_id=doc["_id"],
                                      enable=False, reason="  ")
    assert no_reason.value.field == "reason"
    refused = await reg.decide_registration(mongo=mongo, actor=_reviewer(HEBEI_OFFICE), registration_id=doc["_id"],
                                            enable=False, reason="营业执照与名称不符")
    assert refused["status"] == "refused" and refused["reason"] == "营业执照与名称不符"
    [event] = mongo.events(reg.REFUSED)
    assert event["data"]["reason"] == "营业执照与名称不符"
    assert mongo.documents("organizations", {"kind": "company"}) == []
    again, _ = await reg.submit_registration(mongo=mongo, tenant="hebei", data=_form(), address="c")
    assert again["status"] == "pending"


@pytest.mark.parametrize("change, field, code", [
    ({"credit_code": "914403001922038210"}, "credit_code", "credit-code-check-character"),
    ({"credit_code": "91440300"}, "credit_code", "credit-code-format"),
    ({"division_code": "130199"}, "division_code", "unknown-division"),
    ({"division_code": "420102"}, "division_code", "division-outside-province"),
    ({"in_province": False}, "division_code", "division-inside-province"),
    ({"admin_password": "12345678"}, "admin_password", "password-too-short"),
    ({"admin_password": "password123456"}, "admin_password", "password-common"),
    ({"admin_password": "lease.admin-2026"}, "admin_password", "password-contains-username"),
])
async def test_heb01_bad_registrations_are_refused_naming_the_field(change, field, code):
    mongo = await _db()
    with pytest.raises(Unprocessable) as refused:
        await reg.submit_registration(mongo=mongo, tenant="hebei", data=_form(**change), address="a")
    assert (refused.value.field, refused.value.code) == (field, code)
    assert mongo.documents(reg.REGISTRATIONS) == [] and mongo.outbox == []


async def test_heb01_out_of_province_company_goes_to_the_province_office():
    mongo = await _db()
    doc, _ = await reg.submit_registration(
        mongo=mongo, tenant="hebei", data=_form(in_province=False, division_code="420102"), address="a")
    assert doc["authority_org_id"] == HEBEI_OFFICE
    assert (await reg.list_registrations(mongo=mongo, actor=_reviewer(SJZ), status=None, overdue=None,
                                         limit=10, cursor=None))[0] == []
    [listed], _ = await reg.list_registrations(mongo=mongo, actor=_reviewer(HEBEI_OFFICE), status=None,
                                               overdue=None, limit=10, cursor=None)
    assert listed["_id"] == doc["_id"]


async def test_heb01_a_review_open_after_24_hours_is_overdue():
    mongo = await _db()
    old, _ = await reg.submit_registration(mongo=mongo, tenant="hebei", data=_form(), address="a")
    await reg.submit_registration(mongo=mongo, tenant="hebei", address="a", data=_form(
        credit_code="91330100799655058B", admin_username="b.admin"))
    mongo.store[reg.REGISTRATIONS].update_one(
        {"_id": old["_id"]}, {"$set": {"submitted_at": old["submitted_at"] - timedelta(hours=25)}})
    overdue, _ = await reg.list_registrations(mongo=mongo, actor=_reviewer(SJZ), status="pending", overdue=True,
                                              limit=10, cursor=None)
    assert [d["_id"] for d in overdue] == [old["_id"]]
    docs, _ = await reg.list_registrations(mongo=mongo, actor=_reviewer(SJZ), status="pending", overdue=None,
                                           limit=10, cursor=None)
    from anjian_shared.types import utcnow
    from identity.domain.registration import is_overdue
    assert [is_overdue(d, utcnow()) for d in docs] == [True, False]


async def test_heb01_only_authority_reviewers_have_the_list():
    mongo = await _db()
    company = Principal(user_id="c", tenant="hebei", org_id="co", org_kind="company", roles=["company_admin"])
    with pytest.raises(Forbidden):
        await reg.list_registrations(mongo=mongo, actor=company, status=None, overdue=None, limit=10, cursor=None)
    with pytest.raises(Forbidden):
        await reg.list_registrations(mongo=mongo, actor=_reviewer(SJZ, roles=("supervisor",)), status=None,
                                     overdue=None, limit=10, cursor=None)


async def test_heb01_submissions_are_throttled_per_client_address():
    mongo = await _db()
    throttle = reg.Throttle(max_per_window=2)
    for i in range(2):
        with pytest.raises(Unprocessable):  # even refused submissions count
            await reg.submit_registration(mongo=mongo, tenant="hebei", address="203.0.113.5", throttle=throttle,
                                          data=_form(credit_code=f"bad{i}"))
    with pytest.raises(TooManyRequests) as slow:
        await reg.submit_registration(mongo=mongo, tenant="hebei", data=_form(), address="203.0.113.5",
                                      throttle=throttle)
    assert slow.value.retry_after == 3600
    doc, _ = await reg.submit_registration(mongo=mongo, tenant="hebei", data=_form(), address="198.51.100.7",
                                           throttle=throttle)
    assert doc["status"] == "pending"
