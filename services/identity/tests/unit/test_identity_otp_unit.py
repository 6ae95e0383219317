"""FJ-01 / HN-01 on the fakes: accounts opened from Fujian's platform, one-time-code sign-in
(expiry, single use, hashed storage, throttles, the distinct problems) and a verified mobile
number bound by its owner; the development SMS gateway refused in production."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from anjian_shared.errors import Conflict, Forbidden, TooManyRequests, Unauthorized, Unprocessable
from anjian_shared.events.projects_v1 import PlatformProjectSynced
from anjian_shared.mongo import with_transaction
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from anjian_shared.types import utcnow
from identity.adapters.sms import DevelopmentGateway, NoGateway, gateway_for
from identity.service_layer import otp, use_cases
from identity.service_layer.platform_accounts import open_accounts
from identity.settings import Settings

SETTINGS = Settings(environment="test")
T = "fujian"
CHIEF_MOBILE, ADMIN_MOBILE = "13900000002", "13900000001"


class Recorder:
    """An SMS gateway that keeps what it sent."""

    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send(self, *, tenant: str, mobile: str, code: str, ttl_seconds: int) -> None:
        self.sent.append({"tenant": tenant, "mobile": mobile, "code": code, "ttl": ttl_seconds})

    def last(self, mobile: str) -> str:
        return [s for s in self.sent if s["mobile"] == mobile][-1]["code"]


def synced(*, assessable: bool = True, chief: tuple[str, str] = ("chief1", CHIEF_MOBILE)) -> PlatformProjectSynced:
    return PlatformProjectSynced(
        project_id="p1", platform_code="FJ-001", assessable=assessable, version=1,
        supervision_company={"org_id": "org1", "credit_code": "91350100M000100Y7T", "name": "闽江监理",
                             "administrator": {"user_id": "admin1", "name": "陈明", "mobile": ADMIN_MOBILE}},
        chief_engineer={"user_id": chief[0], "name": "林总", "mobile": chief[1]})


async def _world(assessable: bool = True) -> tuple[FakeDatabase, Recorder]:
    mongo = FakeDatabase(service="identity")
    await use_cases.ensure_indexes(mongo)
    await use_cases.seed_tenants(mongo=mongo, settings=SETTINGS)
    await with_transaction(mongo, T, lambda uow: open_accounts(uow, None, synced()))
    await mongo.repo("projects", T).insert({
        "_id": "p1", "platform_code": "FJ-001", "assessable": assessable, "supervision_org_id": "org1",
        "participants": [{"user_id": "chief1", "org_id": "org1", "name": "林总",
                          "project_role": "chief_supervising_engineer"}]})
    return mongo, Recorder()


async def _code(mongo: FakeDatabase, gw: Recorder, mobile: str = CHIEF_MOBILE, **kw) -> str:
    await otp.request_code(mongo=mongo, settings=SETTINGS, gateway=gw, tenant=T, mobile=mobile, **kw)
    return gw.last(mobile)


async def test_fj01_accounts_open_from_the_platform_once():
    """FJ-01: the synced event registers the supervision company and opens the administrator's
    and the chief's accounts, tied to the platform's mobile numbers; a redelivery adds nothing."""
    mongo, _ = await _world()
    org = await mongo.repo("organizations", T).get("org1")
    assert org["company_roles"] == ["supervision"] and org["credit_code"] == "91350100M000100Y7T"
    admin, chief = [await mongo.repo("users", T).get(u) for u in ("admin1", "chief1")]
    assert (admin["roles"], admin["mobile"], admin["platform_account"]) == (["company_admin"], ADMIN_MOBILE,
                                                                            "company_admin")
    assert (chief["roles"], chief["mobile"], chief["org_id"]) == (["company_staff"], CHIEF_MOBILE, "org1")
    assert chief["password_hash"] is None and chief["mobile_verified_at"] is not None
    events = len(mongo.outbox)
    await with_transaction(mongo, T, lambda uow: open_accounts(uow, None, synced()))
    assert len(mongo.outbox) == events


async def test_fj01_sign_in_with_a_code_gives_the_usual_tokens_and_the_code_is_stored_hashed():
    """FJ-01/HN-01: a code to the registered number signs in; the database holds its hash only."""
    mongo, gw = await _world()
    code = await _code(mongo, gw)
    assert len(code) == 6 and code.isdigit()
    assert gw.sent[-1]["ttl"] == 300
    row = await mongo.repo("otp_codes", T).find_one({"mobile": CHIEF_MOBILE})
    assert code not in str(row) and len(row["code_hash"]) == 64
    tokens = await otp.sign_in_with_code(mongo=mongo, settings=SETTINGS, tenant=T, mobile=CHIEF_MOBILE, code=code)
    assert tokens["access_token"] and tokens["refresh_token"]


async def test_fj01_codes_are_single_use_and_expire():
    """FJ-01/HN-01: a spent code is ``otp-invalid``, a wrong one too, an old one ``otp-expired``."""
    mongo, gw = await _world()
    code = await _code(mongo, gw)
    await otp.sign_in_with_code(mongo=mongo, settings=SETTINGS, tenant=T, mobile=CHIEF_MOBILE, code=code)
    for again in (code, "000000" if code != "000000" else "111111"):
        with pytest.raises(Unauthorized) as e:
            await otp.sign_in_with_code(mongo=mongo, settings=SETTINGS, tenant=T, mobile=CHIEF_MOBILE, code=again)
        assert e.value.slug == "otp-invalid"
    code = await _code(mongo, gw)
    await mongo.repo("otp_codes", T).update({"used_at": None}, {"$set": {"expires_at": utcnow() - timedelta(
        seconds=1)}})
    with pytest.raises(Unauthorized) as e:
        await otp.sign_in_with_code(mongo=mongo, settings=SETTINGS, tenant=T, mobile=CHIEF_MOBILE, code=code)
    assert e.value.slug == "otp-expired"


async def test_fj01_a_number_the_platform_did_not_register_is_refused_clearly():
    """FJ-01: ``mobile-not-registered`` naming ``mobile``; no code is sent."""
    mongo, gw = await _world()
    with pytest.raises(Unprocessable) as e:
        await _code(mongo, gw, mobile="13700000000")
    assert (e.value.slug, e.value.field) == ("mobile-not-registered", "mobile")
    assert gw.sent == []


async def test_fj01_no_assessable_project_refuses_sign_in_distinctly():
    """FJ-01: the chief's and the administrator's projects are none 在建可评价: 403
    ``project-not-assessable`` (also at the code's use, when the state changed meanwhile)."""
    mongo, gw = await _world(assessable=False)
    for mobile in (CHIEF_MOBILE, ADMIN_MOBILE):
        with pytest.raises(Forbidden) as e:
            await _code(mongo, gw, mobile=mobile)
        assert e.value.slug == "project-not-assessable"
    await mongo.repo("projects", T).update({"_id": "p1"}, {"$set": {"assessable": True}})
    code = await _code(mongo, gw, mobile=ADMIN_MOBILE)
    await mongo.repo("projects", T).update({"_id": "p1"}, {"$set": {"assessable": False}})
    with pytest.raises(Forbidden) as e:
        await otp.sign_in_with_code(mongo=mongo, settings=SETTINGS, tenant=T, mobile=ADMIN_MOBILE, code=code)
    assert e.value.slug == "project-not-assessable"


async def test_fj01_codes_and_wrong_codes_are_throttled_per_mobile_and_address():
    """FJ-01/HN-01: 5 codes per number per 15 minutes (429 ``too-many-codes``); 5 wrong codes
    (429 ``too-many-sign-ins``, even for the right code then); refused requests count against
    the client address like failed password sign-ins."""
    mongo, gw = await _world()
    for _ in range(5):
        await _code(mongo, gw)
    with pytest.raises(TooManyRequests) as e:
        await _code(mongo, gw)
    assert e.value.slug == "too-many-codes"
    good = gw.last(CHIEF_MOBILE)
    wrong = "999999" if good != "999999" else "888888"
    for _ in range(5):
        with pytest.raises(Unauthorized):
            await otp.sign_in_with_code(mongo=mongo, settings=SETTINGS, tenant=T, mobile=CHIEF_MOBILE, code=wrong)
    with pytest.raises(TooManyRequests) as e:
        await otp.sign_in_with_code(mongo=mongo, settings=SETTINGS, tenant=T, mobile=CHIEF_MOBILE, code=good)
    assert e.value.slug == "too-many-sign-ins"
    tight = SETTINGS.model_copy(update={"signin_max_failures_per_address": 2})
    for _ in range(2):
        with pytest.raises(Unprocessable):
            await otp.request_code(mongo=mongo, settings=tight, gateway=gw, tenant=T, mobile="13700000000",
                                   client_address="10.1.2.3")
    with pytest.raises(TooManyRequests):
        await otp.request_code(mongo=mongo, settings=tight, gateway=gw, tenant=T, mobile=ADMIN_MOBILE,
                               client_address="10.1.2.3")


async def test_hn01_a_user_binds_a_verified_mobile_and_then_signs_in_with_a_code():
    """HN-01: a Hainan user ties a number by a code sent to it; the number then signs in by
    code; an administrator's change of the number un-verifies it; a number held verified by
    another account is ``mobile-taken``."""
    mongo = FakeDatabase(service="identity")
    await use_cases.ensure_indexes(mongo)
    await use_cases.seed_tenants(mongo=mongo, settings=SETTINGS)
    gw = Recorder()
    admin = Principal(user_id=use_cases.seed_id("hainan", "admin"), tenant="hainan",
                      org_id=use_cases.seed_id("hainan", "authority"), roles=["province_admin"], org_kind="authority")
    user = await use_cases.create_user(mongo=mongo, settings=SETTINGS, actor=admin, data={
        "org_id": admin.org_id, "username": "wang.hn", "display_name": "王", "password": "Tower-crane-47-ledger",
        "roles": ["supervisor"], "mobile": "13600000001"})
    me = Principal(user_id=user["_id"], tenant="hainan", org_id=admin.org_id, roles=["supervisor"],
                   org_kind="authority")
    with pytest.raises(Unprocessable):   # set by an administrator, not verified: no code
        await otp.request_code(mongo=mongo, settings=SETTINGS, gateway=gw, tenant="hainan", mobile="13600000001")
    await otp.request_bind_code(mongo=mongo, settings=SETTINGS, gateway=gw, actor=me, mobile="13600000001")
    with pytest.raises(Unauthorized):
        await otp.bind_mobile(mongo=mongo, settings=SETTINGS, actor=admin, mobile="13600000001",
                              code=gw.last("13600000001"))     # a code sent for another account
    await otp.request_bind_code(mongo=mongo, settings=SETTINGS, gateway=gw, actor=me, mobile="13600000001")
    doc = await otp.bind_mobile(mongo=mongo, settings=SETTINGS, actor=me, mobile="13600000001",
                                code=gw.last("13600000001"))
    assert doc["mobile_verified_at"] is not None
    assert mongo.outbox[-1]["type"] == "identity.user.updated.v1"
    await otp.request_code(mongo=mongo, settings=SETTINGS, gateway=gw, tenant="hainan", mobile="13600000001")
    await otp.sign_in_with_code(mongo=mongo, settings=SETTINGS, tenant="hainan", mobile="13600000001",
                                code=gw.last("13600000001"))
    with pytest.raises(Conflict) as e:
        await otp.request_bind_code(mongo=mongo, settings=SETTINGS, gateway=gw, actor=admin, mobile="13600000001")
    assert e.value.slug == "mobile-taken"
    changed = await use_cases.update_user(mongo=mongo, settings=SETTINGS, actor=admin, user_id=user["_id"],
                                          changes={"mobile": "13600000002"})
    assert changed["mobile_verified_at"] is None


def test_fj01_the_development_sms_gateway_never_runs_in_production():
    """Safe by default: the development gateway is refused in production; production without
    a configured gateway has none (503 ``sms-unavailable``), development writes codes."""
    with pytest.raises(ValidationError, match="SMS_GATEWAY=development"):
        Settings(environment="production", sms_gateway="development")
    assert Settings(environment="test").sms_gateway_kind() == "development"
    prod = Settings.model_construct(environment="production", sms_gateway=None)
    assert prod.sms_gateway_kind() == "none"
    assert isinstance(gateway_for(prod, None), NoGateway)
    assert isinstance(gateway_for(SETTINGS, None), DevelopmentGateway)


async def test_fj03_the_chief_adds_company_staff_but_nothing_more():
    """FJ-03: the platform's chief engineer adds staff (``company_staff``) to their company;
    not administrators; an ordinary staff member adds nobody."""
    mongo, _ = await _world()
    chief = Principal(user_id="chief1", tenant=T, org_id="org1", roles=["company_staff"], org_kind="company")

    def body(roles: list[str], name: str) -> dict:
        return {"org_id": "org1", "username": name, "display_name": "员工", "password": "Tower-crane-47-ledger",
                "roles": roles, "mobile": None}

    made = await use_cases.create_user(mongo=mongo, settings=SETTINGS, actor=chief,
                                       data=body(["company_staff"], "staff.one"))
    assert made["org_id"] == "org1"
    with pytest.raises(Forbidden):
        await use_cases.create_user(mongo=mongo, settings=SETTINGS, actor=chief,
                                    data=body(["company_admin"], "staff.two"))
    plain = Principal(user_id=made["_id"], tenant=T, org_id="org1", roles=["company_staff"], org_kind="company")
    with pytest.raises(Forbidden):
        await use_cases.create_user(mongo=mongo, settings=SETTINGS, actor=plain,
                                    data=body(["company_staff"], "staff.three"))


async def test_fj01_a_mobile_verified_on_another_account_is_not_given_twice():
    """FJ-01/HN-01: a chief synced with a number another enabled account already holds verified
    gets the account without the number (one verified number, one person); once that holder is
    disabled, the next chief with the number gets it."""
    mongo, _ = await _world()
    await with_transaction(mongo, T, lambda uow: open_accounts(uow, None, synced(chief=("chief2", CHIEF_MOBILE))))
    second = await mongo.repo("users", T).get("chief2")
    assert second["mobile"] is None and second["mobile_verified_at"] is None
    await mongo.repo("users", T).update({"_id": "chief1"}, {"$set": {"enabled": False}})
    await with_transaction(mongo, T, lambda uow: open_accounts(uow, None, synced(chief=("chief3", CHIEF_MOBILE))))
    third = await mongo.repo("users", T).get("chief3")
    assert third["mobile"] == CHIEF_MOBILE and third["mobile_verified_at"] is not None
