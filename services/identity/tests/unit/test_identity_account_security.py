"""identity's account rules on the in-memory fakes (issue 11, security; HB-01, HUN-19, PLAT-01):
sign-in throttled per client address too, the last administrator of a province stays, the
password policy (length per province, common passwords, not the user name) on create, change
and reset, user names that don't tell who holds them, and ``tokens_valid_after`` bumped by
whatever must end a user's access tokens at once."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from pydantic import ValidationError

from anjian_shared.errors import Conflict, TooManyRequests, Unauthorized, Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.tenant_policy import LIMITS, TenantPolicyPatch
from anjian_shared.testing.fakes import FakeDatabase
from anjian_shared.types import utcnow
from identity.adapters import passwords
from identity.entrypoints.api.schemas import UserUpdate
from identity.service_layer import use_cases
from identity.service_layer.policy import RequestOrigin, update_policy
from identity.settings import Settings

SETTINGS = Settings(environment="test")
GOOD = "Tower-crane-47-ledger"


def _admin() -> Principal:
    return Principal(user_id=use_cases.seed_id("hubei", "admin"), tenant="hubei",
                     org_id=use_cases.seed_id("hubei", "authority"), roles=["province_admin"],
                     org_kind="authority", name="湖北省管理员")


async def _world() -> tuple[FakeDatabase, Principal]:
    mongo = FakeDatabase(service="identity")
    await use_cases.ensure_indexes(mongo)
    await use_cases.seed_tenants(mongo=mongo, settings=SETTINGS)
    return mongo, _admin()


async def _org(mongo: FakeDatabase, admin: Principal, kind: str, name: str) -> str:
    data = {"name": name, "kind": kind, "company_roles": ["contractor"] if kind == "company" else [],
            "parent_org_id": None, "region": None}
    return (await use_cases.create_organization(mongo=mongo, actor=admin, data=data))["_id"]


async def _user(mongo: FakeDatabase, actor: Principal, org_id: str, username: str, roles: list[str],
                password: str = GOOD) -> dict:
    return await use_cases.create_user(mongo=mongo, settings=SETTINGS, actor=actor, data={
        "org_id": org_id, "username": username, "display_name": username, "password": password,
        "roles": roles, "mobile": None})


def _as(user: dict, kind: str) -> Principal:
    return Principal(user_id=user["_id"], tenant=user["tenant_id"], org_id=user["org_id"], roles=user["roles"],
                     org_kind=kind)


# ------------------------------------------------------------------------- sign-in per client address


async def test_hb01_random_user_names_from_one_address_are_throttled_well_before_40():
    mongo, _ = await _world()
    codes = []
    for _ in range(40):
        try:
            await use_cases.sign_in(mongo=mongo, settings=SETTINGS, tenant="hubei",
                                    username=f"nobody.{secrets.token_hex(4)}", password="whatever-it-is",
                                    client_address="203.0.113.7")
            codes.append(200)
        except Unauthorized:
            codes.append(401)
        except TooManyRequests as exc:
            codes.append(429)
            assert exc.retry_after and exc.retry_after > 0
            break
    assert codes[-1] == 429 and len(codes) <= 21, codes
    # another client is not affected, and the admin still signs in from there
    pair = await use_cases.sign_in(mongo=mongo, settings=SETTINGS, tenant="hubei", username="admin",
                                   password=SETTINGS.bootstrap_admin_password, client_address="198.51.100.2")
    assert pair["access_token"]


async def test_hb01_an_unknown_user_costs_one_argon2_verification_like_a_known_one(monkeypatch, cheap_argon2):
    mongo, _ = await _world()
    calls = []

    class Spy:
        def verify(self, hash_: str, password: str) -> bool:
            calls.append(hash_)
            return cheap_argon2.verify(hash_, password)

    monkeypatch.setattr(passwords, "_hasher", Spy())
    for username in ("admin", "no.such.user"):
        with pytest.raises(Unauthorized):
            await use_cases.sign_in(mongo=mongo, settings=SETTINGS, tenant="hubei", username=username,
                                    password="not-the-password", client_address="203.0.113.8")
    assert len(calls) == 2 and all(h.startswith("$argon2id$") for h in calls)


# ------------------------------------------------------------------------- the last administrator


async def test_hun19_the_last_enabled_admin_cannot_disable_or_strip_themselves():
    mongo, admin = await _world()
    for changes in ({"enabled": False}, {"roles": ["station_leader"]}):
        with pytest.raises(Conflict) as e:
            await use_cases.update_user(mongo=mongo, settings=SETTINGS, actor=admin, user_id=admin.user_id,
                                        changes=changes)
        assert e.value.code == "last-admin"
    assert (await mongo.repo("users", "hubei").get(admin.user_id))["enabled"] is True


async def test_hun19_with_a_second_admin_one_may_go_but_never_both():
    mongo, admin = await _world()
    second = await _user(mongo, admin, admin.org_id, "second.admin", ["province_admin"])
    await use_cases.update_user(mongo=mongo, settings=SETTINGS, actor=admin, user_id=second["_id"],
                                changes={"enabled": False})
    with pytest.raises(Conflict) as e:
        await use_cases.update_user(mongo=mongo, settings=SETTINGS, actor=admin, user_id=admin.user_id,
                                    changes={"enabled": False})
    assert e.value.code == "last-admin"
    await use_cases.update_user(mongo=mongo, settings=SETTINGS, actor=admin, user_id=second["_id"],
                                changes={"enabled": True})
    await use_cases.update_user(mongo=mongo, settings=SETTINGS, actor=admin, user_id=admin.user_id,
                                changes={"roles": ["station_leader"]})
    with pytest.raises(Conflict):
        await use_cases.update_user(mongo=mongo, settings=SETTINGS, actor=_as(second, "authority"),
                                    user_id=second["_id"], changes={"enabled": False})


async def test_hun19_patch_with_no_roles_is_422_as_create_is():
    with pytest.raises(ValidationError):
        UserUpdate.model_validate({"roles": []})
    mongo, admin = await _world()
    with pytest.raises(Unprocessable) as e:
        await use_cases.update_user(mongo=mongo, settings=SETTINGS, actor=admin, user_id=admin.user_id,
                                    changes={"roles": []})
    assert e.value.field == "roles"


# ------------------------------------------------------------------------- the password policy


@pytest.mark.parametrize(("username", "password", "code"), [
    ("li.ming", "12345678", "password-too-short"),
    ("li.ming", "password", "password-too-short"),
    ("li.ming", "qwertyuiop", "password-common"),
    ("li.ming", "Password123456", "password-common"),
    ("li.ming", "li.ming2026x!", "password-contains-username"),
    ("li.ming", "LI.MING-1-and-more", "password-contains-username"),
])
async def test_plat01_weak_passwords_are_refused_on_create(username, password, code):
    mongo, admin = await _world()
    station = await _org(mongo, admin, "station", "武汉市监督站")
    with pytest.raises(Unprocessable) as e:
        await _user(mongo, admin, station, username, ["supervisor"], password=password)
    assert e.value.code == code and e.value.field == "password"
    assert not mongo.documents("users", {"username": username})


async def test_plat01_the_minimum_length_is_the_provinces_policy():
    assert LIMITS["password_min_length"].default >= 10 and LIMITS["password_min_length"].unit == "characters"
    mongo, admin = await _world()
    station = await _org(mongo, admin, "station", "武汉市监督站")
    await update_policy(mongo=mongo, actor=admin, tenant="hubei", origin=RequestOrigin(),
                        patch=TenantPolicyPatch.model_validate({"limits": {"password_min_length": 16}}))
    with pytest.raises(Unprocessable) as e:
        await _user(mongo, admin, station, "wang.fang", ["supervisor"], password="Kite-river-4812")  # 15
    assert e.value.code == "password-too-short" and "16" in str(e.value.detail)
    await _user(mongo, admin, station, "wang.fang", ["supervisor"], password="Kite-river-48127")


async def test_plat01_change_and_reset_apply_the_policy_and_end_the_tokens():
    mongo, admin = await _world()
    station = await _org(mongo, admin, "station", "武汉市监督站")
    user = await _user(mongo, admin, station, "zhao.lei", ["supervisor"])
    me = _as(user, "station")
    with pytest.raises(Unprocessable) as e:
        await use_cases.change_password(mongo=mongo, settings=SETTINGS, actor=me, current_password=GOOD,
                                        new_password="zhao.lei12345")
    assert e.value.code == "password-contains-username"
    with pytest.raises(Unprocessable) as e:
        await use_cases.change_password(mongo=mongo, settings=SETTINGS, actor=me, current_password="wrong-one!",
                                        new_password="Quiet-harbour-93")
    assert e.value.field == "current_password"
    before = utcnow() - timedelta(milliseconds=1)
    await use_cases.change_password(mongo=mongo, settings=SETTINGS, actor=me, current_password=GOOD,
                                    new_password="Quiet-harbour-93")
    stored = await mongo.repo("users", "hubei").get(user["_id"])
    assert stored["tokens_valid_after"] >= before
    [event] = mongo.events("identity.user.updated.v1")
    assert event["data"]["tokens_valid_after"] is not None
    with pytest.raises(Unprocessable) as e:
        await use_cases.reset_password(mongo=mongo, settings=SETTINGS, actor=admin, user_id=user["_id"],
                                       new_password="1qaz2wsx3edc")
    assert e.value.code == "password-common"
    await use_cases.reset_password(mongo=mongo, settings=SETTINGS, actor=admin, user_id=user["_id"],
                                   new_password="Lantern-field-58")
    pair = await use_cases.sign_in(mongo=mongo, settings=SETTINGS, tenant="hubei", username="zhao.lei",
                                   password="Lantern-field-58", client_address="203.0.113.9")
    assert pair["access_token"]


# ------------------------------------------------------------------------- user names


async def test_a_company_admin_learns_nothing_about_who_holds_a_name_and_is_rate_limited():
    mongo, admin = await _world()
    station = await _org(mongo, admin, "station", "武汉市建设工程安全监督站")
    company = await _org(mongo, admin, "company", "中建三局")
    await _user(mongo, admin, station, "zhang.wei", ["supervisor"])
    company_admin = _as(await _user(mongo, admin, company, "cscec.admin", ["company_admin"]), "company")
    with pytest.raises(Unprocessable) as e:
        await _user(mongo, company_admin, company, "zhang.wei", ["company_staff"])
    assert e.value.code == "username-unavailable" and e.value.field == "username"
    assert "监督站" not in str(e.value.detail) and "supervisor" not in str(e.value.detail)
    # a reserved name answers exactly the same
    with pytest.raises(Unprocessable) as reserved:
        await _user(mongo, company_admin, company, "admin", ["company_staff"])
    assert (reserved.value.code, reserved.value.detail) == (e.value.code, e.value.detail)
    with pytest.raises(TooManyRequests):
        for i in range(SETTINGS.username_refusals_per_hour + 1):
            with pytest.raises(Unprocessable):
                await _user(mongo, company_admin, company, "zhang.wei", ["company_staff"])
            assert i < SETTINGS.username_refusals_per_hour
    # the province administrator (who sees every user anyway) is not rate-limited
    for _ in range(SETTINGS.username_refusals_per_hour + 1):
        with pytest.raises(Unprocessable):
            await _user(mongo, admin, company, "zhang.wei", ["company_staff"])


# ------------------------------------------------------------------------- tokens_valid_after


async def test_disabling_or_changing_roles_bumps_tokens_valid_after_in_the_event():
    mongo, admin = await _world()
    station = await _org(mongo, admin, "station", "武汉市监督站")
    user = await _user(mongo, admin, station, "sun.lei", ["supervisor"])
    await use_cases.update_user(mongo=mongo, settings=SETTINGS, actor=admin, user_id=user["_id"],
                                changes={"display_name": "孙磊"})
    await use_cases.update_user(mongo=mongo, settings=SETTINGS, actor=admin, user_id=user["_id"],
                                changes={"enabled": False})
    renamed, disabled = mongo.events("identity.user.updated.v1")
    assert renamed["data"]["tokens_valid_after"] is None, "a new display name leaves tokens alone"
    assert disabled["data"]["tokens_valid_after"] is not None and disabled["data"]["enabled"] is False


async def test_wrong_current_passwords_are_throttled_without_locking_the_owner_out_of_signing_in():
    mongo, admin = await _world()
    for _ in range(SETTINGS.signin_max_failures):
        with pytest.raises(Unprocessable):
            await use_cases.change_password(mongo=mongo, settings=SETTINGS, actor=admin,
                                            current_password="a-wrong-guess", new_password="Quiet-harbour-93")
    with pytest.raises(TooManyRequests) as e:
        await use_cases.change_password(mongo=mongo, settings=SETTINGS, actor=admin,
                                        current_password=SETTINGS.bootstrap_admin_password,
                                        new_password="Quiet-harbour-93")
    assert e.value.code == "too-many-password-attempts"
    pair = await use_cases.sign_in(mongo=mongo, settings=SETTINGS, tenant="hubei", username="admin",
                                   password=SETTINGS.bootstrap_admin_password, client_address="198.51.100.3")
    assert pair["access_token"]
