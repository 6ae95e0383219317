"""Named permissions, user and permission applications, bureau filings and the generated flow
help on the fakes (HUN-19..HUN-22, HN-01): every rule with its allowed and refused paths."""

from __future__ import annotations

from typing import Annotated

import jwt
import pytest
from fastapi import APIRouter, Depends, FastAPI
from httpx import ASGITransport, AsyncClient

from anjian_shared import flows, permissions
from anjian_shared.applications import TRANSITIONS
from anjian_shared.auth import TokenVerifier, require_permission
from anjian_shared.errors import (
    Conflict,
    Forbidden,
    NotFound,
    NotYetAvailable,
    Unauthorized,
    Unprocessable,
)
from anjian_shared.principal import Principal, Role
from anjian_shared.problems import install_problem_handlers
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from anjian_shared.testing.media import FakeUpload
from identity.service_layer import account_applications as apps
from identity.service_layer import use_cases
from identity.settings import Settings

SETTINGS = Settings(environment="test")
GOOD = "Tower-crane-47-ledger"
T = "hunan"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _office() -> Principal:
    return Principal(user_id=use_cases.seed_id(T, "admin"), tenant=T, org_id=use_cases.seed_id(T, "authority"),
                     roles=["province_admin"], org_kind="authority", name="湖南省管理员")


def _as(user: dict, kind: str = "agency") -> Principal:
    return Principal(user_id=user["_id"], tenant=user["tenant_id"], org_id=user["org_id"], roles=user["roles"],
                     org_kind=kind, granted=user.get("granted_permissions", []),
                     revoked=user.get("revoked_permissions", []))


async def _world() -> dict:
    mongo = FakeDatabase(service="identity")
    await use_cases.ensure_indexes(mongo)
    await use_cases.seed_tenants(mongo=mongo, settings=SETTINGS)
    office = _office()
    w: dict = {"mongo": mongo, "office": office, "storage": FakeStorage()}
    for name, kind in (("furong", "agency"), ("yuelu", "agency"), ("haikou", "authority")):
        w[name] = (await use_cases.create_organization(mongo=mongo, actor=office, data={
            "name": name, "kind": kind, "company_roles": [], "parent_org_id": None, "region": None}))["_id"]
    for username, org, roles in (("furong.leader", "furong", ["station_leader"]),
                                 ("furong.sup", "furong", ["supervisor"]),
                                 ("yuelu.leader", "yuelu", ["station_leader"])):
        w[username] = await use_cases.create_user(mongo=mongo, settings=SETTINGS, actor=office, data={
            "org_id": w[org], "username": username, "display_name": username, "password": GOOD,
            "roles": roles, "mobile": None})
    staff = mongo.repo(apps.STAFF, T)
    await staff.insert({"_id": "s-li", "agency_org_id": w["furong"], "name": "李娜", "mobile": "13800000001",
                        "post": "supervisor", "deleted": False})
    await staff.insert({"_id": "s-gone", "agency_org_id": w["furong"], "name": "离职", "deleted": True})
    await staff.insert({"_id": "s-yuelu", "agency_org_id": w["yuelu"], "name": "岳麓某", "deleted": False})
    return w


async def _apply(w: dict, actor: Principal, user_id: str, *, add=(), remove=(), reason="工作调整") -> dict:  # type: ignore[no-untyped-def]
    return await apps.apply_permissions(
        mongo=w["mongo"], storage=w["storage"], settings=SETTINGS, actor=actor, user_id=user_id, add=list(add),
        remove=list(remove), reason=reason,
        document=FakeUpload(PDF, filename="批复.pdf", content_type="application/pdf"))


async def _approve(w: dict, app_id: str) -> dict:
    await apps.decide(mongo=w["mongo"], actor=w["office"], app_id=app_id, action="accept")
    return await apps.decide(mongo=w["mongo"], actor=w["office"], app_id=app_id, action="approve")


# -- the registry -------------------------------------------------------------------------------


def test_hun19_every_role_bundles_known_permissions_and_grants_change_the_effective_set():
    """HUN-19/21: each role is a bundle of registered permissions; effective = bundles +
    granted − revoked; the stored grants are the smallest difference from the bundles."""
    assert set(permissions.ROLE_BUNDLES) == {r.value for r in Role}
    for bundle in permissions.ROLE_BUNDLES.values():
        assert bundle <= set(permissions.PERMISSIONS)
    leader = permissions.effective(["station_leader"])
    assert "agencies.write" in leader and "users.decide" not in leader
    assert "agencies.write" not in permissions.effective(["station_leader"], revoked=["agencies.write"])
    assert "agencies.write" in permissions.effective(["supervisor"], granted=["agencies.write"])
    granted, revoked = permissions.grants_after(roles=["supervisor"], granted=[], revoked=[],
                                                add=["agencies.write"], remove=["users.read"])
    assert granted == ["agencies.write"] and revoked == ["users.read"]
    # adding back a revoked bundle permission lifts the revocation instead of granting it
    assert permissions.grants_after(roles=["supervisor"], granted=granted, revoked=revoked,
                                    add=["users.read"], remove=["agencies.write"]) == ([], [])
    with pytest.raises(Unprocessable) as unknown:
        permissions.require_known(["agencies.fly"], field="add")
    assert unknown.value.code == "permission-unknown" and unknown.value.field == "add"
    with pytest.raises(ValueError):
        require_permission("no.such")


async def test_hun19_a_users_permissions_own_or_with_permissions_read_only():
    """HUN-19 查看权限: own always; a leader (permissions.read) sees a staff member's; a
    supervisor doesn't see another's (403); another tenant 404."""
    w = await _world()
    sup = _as(w["furong.sup"])
    own = await use_cases.user_permissions(mongo=w["mongo"], actor=sup, user_id=sup.user_id)
    assert {p["name"] for p in own["effective"]} == set(permissions.ROLE_BUNDLES["supervisor"])
    assert own["roles"][0]["role"] == "supervisor" and own["granted"] == [] and own["enabled"] is True
    seen = await use_cases.user_permissions(mongo=w["mongo"], actor=_as(w["furong.leader"]), user_id=sup.user_id)
    assert seen["user_id"] == sup.user_id
    with pytest.raises(Forbidden) as no:
        await use_cases.user_permissions(mongo=w["mongo"], actor=sup, user_id=w["furong.leader"]["_id"])
    assert no.value.code == "permission-missing"
    stranger = Principal(user_id="x", tenant="hubei", org_id="o", roles=["province_admin"], org_kind="authority")
    with pytest.raises(NotFound):
        await use_cases.user_permissions(mongo=w["mongo"], actor=stranger, user_id=sup.user_id)


async def test_hun19_disable_sign_in_then_enable():
    """HUN-19 启用/禁用: a disabled user can't sign in; enabled again, they can."""
    w = await _world()
    uid = w["furong.sup"]["_id"]
    await use_cases.update_user(mongo=w["mongo"], settings=SETTINGS, actor=w["office"], user_id=uid,
                                changes={"enabled": False})
    with pytest.raises(Unauthorized):
        await use_cases.sign_in(mongo=w["mongo"], settings=SETTINGS, tenant=T, username="furong.sup", password=GOOD)
    await use_cases.update_user(mongo=w["mongo"], settings=SETTINGS, actor=w["office"], user_id=uid,
                                changes={"enabled": True})
    await use_cases.sign_in(mongo=w["mongo"], settings=SETTINGS, tenant=T, username="furong.sup", password=GOOD)


# -- HUN-21 permission applications -------------------------------------------------------------


async def test_hun21_approved_grants_reach_the_token_and_the_shared_dependency():
    """HUN-21: after approval a leader whose ``agencies.write`` was removed is refused by
    ``require_permission("agencies.write")`` (403 permission-missing) and a supervisor granted it is
    allowed — with tokens issued after the approval; tokens issued before end (401)."""
    w = await _world()
    leader, sup = _as(w["furong.leader"]), _as(w["furong.sup"])
    before = await use_cases.sign_in(mongo=w["mongo"], settings=SETTINGS, tenant=T, username="furong.sup",
                                     password=GOOD)
    granted = await _apply(w, leader, sup.user_id, add=["agencies.write"])
    assert granted["stage"] == "submitted" and granted["form"]["change"] == "add"
    assert any(k == granted["form"]["document"]["key"] for _, k in w["storage"].objects)
    await _approve(w, granted["_id"])
    revoked = await _apply(w, leader, leader.user_id, remove=["agencies.write"], reason="调岗")
    await _approve(w, revoked["_id"])
    stored = await w["mongo"].repo("users", T).get(sup.user_id)
    assert stored["granted_permissions"] == ["agencies.write"] and stored["tokens_valid_after"] is not None
    updated = [e for e in w["mongo"].outbox if e["type"] == "identity.user.updated.v1"]
    assert {e["data"]["user_id"] for e in updated} >= {sup.user_id, leader.user_id}

    app, router = FastAPI(), APIRouter()
    install_problem_handlers(app)

    async def keys() -> dict:
        return await use_cases.jwks(mongo=w["mongo"])

    async def account_check(principal: Principal) -> None:
        from anjian_shared.accounts import check_account

        await check_account(w["mongo"], principal, collection="users")

    app.state.verifier = TokenVerifier(keys, issuer=SETTINGS.jwt_issuer, audience=SETTINGS.jwt_audience,
                                       account_check=account_check)

    @router.post("/agencies/x/staff")
    async def write(principal: Annotated[Principal, Depends(require_permission("agencies.write"))]) -> dict:
        return {}

    app.include_router(router, prefix="/api/personnel/v1")

    async def call(username: str, tokens: dict | None = None) -> tuple[int, str]:
        tokens = tokens or await use_cases.sign_in(mongo=w["mongo"], settings=SETTINGS, tenant=T,
                                                   username=username, password=GOOD)
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
            r = await client.post("/api/personnel/v1/agencies/x/staff",
                                   headers={"Authorization": f"Bearer {tokens['access_token']}"})
        return r.status_code, r.json().get("code", "") if r.status_code != 200 else ""

    after = await use_cases.sign_in(mongo=w["mongo"], settings=SETTINGS, tenant=T, username="furong.sup",
                                    password=GOOD)
    assert jwt.decode(after["access_token"], options={"verify_signature": False})["perm_add"] == ["agencies.write"]
    assert await call("furong.sup", after) == (200, "")                     # granted beyond the role
    assert await call("furong.leader") == (403, "permission-missing")       # the role, but revoked
    assert await call("yuelu.leader") == (200, "")                          # the role, untouched
    assert (await call("furong.sup", before))[0] == 401                     # issued before the change


async def test_hun21_refusals_unknown_empty_contradicting_no_reason_other_org_no_permission():
    """HUN-21: 422 permission-unknown / permission-change-empty / -contradicts / reason; 404
    for a user of another organisation; 403 without permissions.apply; only the office decides."""
    w = await _world()
    leader, sup = _as(w["furong.leader"]), _as(w["furong.sup"])
    cases = [({"add": ["agencies.fly"]}, "permission-unknown", "add"),
             ({"add": ["users.read"]}, "permission-change-empty", "add"),          # already held
             ({"add": ["agencies.write"], "remove": ["agencies.write"]}, "permission-change-contradicts", "remove"),
             ({"add": ["agencies.write"], "reason": " "}, None, "reason")]
    for kw, code, field in cases:
        with pytest.raises(Unprocessable) as bad:
            await _apply(w, leader, sup.user_id, **kw)
        assert bad.value.field == field and (code is None or bad.value.code == code)
    with pytest.raises(NotFound):
        await _apply(w, leader, w["yuelu.leader"]["_id"], add=["agencies.write"])
    with pytest.raises(Forbidden) as no:
        await _apply(w, sup, sup.user_id, add=["agencies.write"])
    assert no.value.code == "permission-missing"
    app = await _apply(w, leader, sup.user_id, add=["agencies.write"])
    with pytest.raises(Forbidden) as not_office:
        await apps.decide(mongo=w["mongo"], actor=leader, app_id=app["_id"], action="accept")
    assert not_office.value.code == "not-province-office"
    assert w["storage"].objects, "the approval document is stored"


# -- HUN-20 user applications ---------------------------------------------------------------------


async def test_hun20_agency_proposes_its_staff_office_approves_account_created():
    """HUN-20: the agency proposes its staff member; the office accepts and approves; the account
    exists (identity.user.created.v1) with the staff's name and mobile."""
    w = await _world()
    leader = _as(w["furong.leader"])
    app = await apps.propose_user(mongo=w["mongo"], actor=leader,
                                  data={"staff_id": "s-li", "username": "li.na", "roles": ["supervisor"]})
    assert app["stage"] == "submitted" and app["authority_org_id"] == w["office"].org_id
    assert app["form"]["display_name"] == "李娜"
    with pytest.raises(Conflict) as twice:
        await apps.propose_user(mongo=w["mongo"], actor=leader,
                                data={"staff_id": "s-li", "username": "li.na2", "roles": ["supervisor"]})
    assert twice.value.code == "user-application-pending"
    done = await _approve(w, app["_id"])
    assert done["stage"] == "approved" and done["account_user_id"]
    user = await w["mongo"].repo("users", T).get(done["account_user_id"])
    assert user["username"] == "li.na" and user["org_id"] == w["furong"] and user["mobile"] == "13800000001"
    [created] = [e for e in w["mongo"].outbox if e["type"] == "identity.user.created.v1"
                 and e["data"]["user_id"] == user["_id"]]
    assert created["data"]["roles"] == ["supervisor"]


async def test_hun20_refusals_other_agencys_or_deleted_staff_unknown_staff_not_an_agency_taken_name():
    """HUN-20: 422 staff-not-found for another agency's or a deleted record; 409 staff-unknown
    (retryable) before personnel's record arrived; 403 for a non-agency or without users.apply;
    422 username-unavailable."""
    w = await _world()
    leader = _as(w["furong.leader"])
    for staff_id in ("s-yuelu", "s-gone"):
        with pytest.raises(Unprocessable) as bad:
            await apps.propose_user(mongo=w["mongo"], actor=leader,
                                    data={"staff_id": staff_id, "username": "x.y", "roles": ["supervisor"]})
        assert bad.value.code == "staff-not-found" and bad.value.field == "staff_id"
    with pytest.raises(NotYetAvailable) as later:
        await apps.propose_user(mongo=w["mongo"], actor=leader,
                                data={"staff_id": "s-new", "username": "x.y", "roles": ["supervisor"]})
    assert later.value.code == "staff-unknown"
    with pytest.raises(Forbidden):
        await apps.propose_user(mongo=w["mongo"], actor=_as(w["furong.sup"]),
                                data={"staff_id": "s-li", "username": "x.y", "roles": ["supervisor"]})
    with pytest.raises(Forbidden) as not_agency:
        await apps.propose_user(mongo=w["mongo"], actor=Principal(
            user_id="c", tenant=T, org_id=w["haikou"], roles=["station_leader"], org_kind="authority"),
            data={"staff_id": "s-li", "username": "x.y", "roles": ["supervisor"]})
    assert not_agency.value.code == "not-agency"
    with pytest.raises(Unprocessable) as taken:
        await apps.propose_user(mongo=w["mongo"], actor=leader,
                                data={"staff_id": "s-li", "username": "furong.sup", "roles": ["supervisor"]})
    assert taken.value.code == "username-unavailable"


async def test_hun20_refused_with_reason_delete_only_own_and_undecided():
    """HUN-20: refusal needs a reason; the agency deletes its own while undecided (submitted,
    not accepted, returned), never once accepted; another agency doesn't even see it (404)."""
    w = await _world()
    leader = _as(w["furong.leader"])
    data = {"staff_id": "s-li", "username": "li.na", "roles": ["supervisor"]}
    app = await apps.propose_user(mongo=w["mongo"], actor=leader, data=data)
    with pytest.raises(NotFound):
        await apps.delete_application(mongo=w["mongo"], actor=_as(w["yuelu.leader"]), app_id=app["_id"])
    await apps.delete_application(mongo=w["mongo"], actor=leader, app_id=app["_id"])
    app = await apps.propose_user(mongo=w["mongo"], actor=leader, data=data)
    with pytest.raises(Unprocessable) as no_reason:
        await apps.decide(mongo=w["mongo"], actor=w["office"], app_id=app["_id"], action="not_accept")
    assert no_reason.value.field == "comment"
    await apps.decide(mongo=w["mongo"], actor=w["office"], app_id=app["_id"], action="accept")
    with pytest.raises(Conflict) as busy:
        await apps.delete_application(mongo=w["mongo"], actor=leader, app_id=app["_id"])
    assert busy.value.code == "application-not-deletable"
    refused = await apps.decide(mongo=w["mongo"], actor=w["office"], app_id=app["_id"], action="refuse",
                                comment="该人员未取得监督员资格")
    assert refused["stage"] == "refused" and refused["decision"] == "该人员未取得监督员资格"
    assert await w["mongo"].repo("users", T).find_one({"username": "li.na"}) is None


async def test_hun20_a_returned_application_is_resubmitted_and_a_second_decision_on_a_stale_version_loses():
    """HUN-20: 退回 → 重新上报; a decision applied on a version another decision already moved
    is 409 (one of two concurrent approvals wins)."""
    w = await _world()
    leader = _as(w["furong.leader"])
    app = await apps.propose_user(mongo=w["mongo"], actor=leader,
                                  data={"staff_id": "s-li", "username": "li.na", "roles": ["supervisor"]})
    await apps.decide(mongo=w["mongo"], actor=w["office"], app_id=app["_id"], action="return", comment="补充说明")
    again = await apps.resubmit(mongo=w["mongo"], actor=leader, app_id=app["_id"], comment="已补充")
    assert again["stage"] == "submitted"
    await apps.decide(mongo=w["mongo"], actor=w["office"], app_id=app["_id"], action="accept")
    await apps.decide(mongo=w["mongo"], actor=w["office"], app_id=app["_id"], action="approve")
    with pytest.raises(Conflict):
        await apps.decide(mongo=w["mongo"], actor=w["office"], app_id=app["_id"], action="approve")
    assert await w["mongo"].repo("users", T).count({"username": "li.na"}) == 1


# -- HN-01 bureau staff filing ----------------------------------------------------------------------


def _filing(w: dict, **kw) -> dict:  # type: ignore[no-untyped-def]
    return {"tenant": T, "display_name": "王芳", "mobile": "13900000002", "org_id": w["haikou"],
            "post": "质安科科员", "username": "wang.fang", "password": GOOD, "roles": ["supervisor"], **kw}


async def test_hn01_bureau_filing_no_account_until_the_office_approves():
    """HN-01: a bureau's staff member files without signing in; until approval nobody signs in
    with the name (401 as for a wrong password); the status reads with the key; approval creates
    the account with the filed password."""
    w = await _world()
    filed = await apps.file_bureau_account(mongo=w["mongo"], settings=SETTINGS, data=_filing(w),
                                           client_address="10.0.0.9")
    assert filed["stage"] == "submitted" and "password_hash" not in filed and filed["status_key"]
    with pytest.raises(Unauthorized):
        await use_cases.sign_in(mongo=w["mongo"], settings=SETTINGS, tenant=T, username="wang.fang", password=GOOD)
    status = await apps.filing_status(mongo=w["mongo"], tenant=T, filing_id=filed["_id"],
                                      status_key=filed["status_key"])
    assert status["stage"] == "submitted" and "status_key_hash" not in status
    with pytest.raises(NotFound):
        await apps.filing_status(mongo=w["mongo"], tenant=T, filing_id=filed["_id"], status_key="wrong-key-123")
    with pytest.raises(Unprocessable) as name_held:  # an undecided filing holds its user name
        await apps.file_bureau_account(mongo=w["mongo"], settings=SETTINGS, data=_filing(w), client_address=None)
    assert name_held.value.code == "username-unavailable"
    with pytest.raises(Unprocessable) as no_return:
        await apps.decide(mongo=w["mongo"], actor=w["office"], app_id=filed["_id"], action="return", comment="x")
    assert no_return.value.code == "action-not-offered"
    await _approve(w, filed["_id"])
    tokens = await use_cases.sign_in(mongo=w["mongo"], settings=SETTINGS, tenant=T, username="wang.fang",
                                     password=GOOD)
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["org"] == w["haikou"] and claims["roles"] == ["supervisor"]


async def test_hn01_bureau_filing_refusals_not_a_bureau_bad_role_weak_password_refused_by_office():
    """HN-01: 422 organization-not-bureau (an agency, the province office itself), a role a
    filing can't ask for, a weak password; a refused filing creates nothing."""
    w = await _world()
    for org in (w["furong"], w["office"].org_id, "nope"):
        with pytest.raises(Unprocessable) as bad:
            await apps.file_bureau_account(mongo=w["mongo"], settings=SETTINGS, data=_filing(w, org_id=org),
                                           client_address=None)
        assert bad.value.code == "organization-not-bureau" and bad.value.field == "org_id"
    with pytest.raises(Unprocessable) as role:
        await apps.file_bureau_account(mongo=w["mongo"], settings=SETTINGS,
                                       data=_filing(w, roles=["province_admin"]), client_address=None)
    assert role.value.field == "roles"
    with pytest.raises(Unprocessable) as weak:
        await apps.file_bureau_account(mongo=w["mongo"], settings=SETTINGS, data=_filing(w, password="short"),
                                       client_address=None)
    assert weak.value.field == "password"
    filed = await apps.file_bureau_account(mongo=w["mongo"], settings=SETTINGS, data=_filing(w),
                                           client_address=None)
    await apps.decide(mongo=w["mongo"], actor=w["office"], app_id=filed["_id"], action="not_accept",
                      comment="非本省住建局人员")
    assert await w["mongo"].repo("users", T).find_one({"username": "wang.fang"}) is None
    status = await apps.filing_status(mongo=w["mongo"], tenant=T, filing_id=filed["_id"],
                                      status_key=filed["status_key"])
    assert status["stage"] == "not_accepted" and status["decision"] == "非本省住建局人员"


# -- HUN-22 business-process help ---------------------------------------------------------------------


def test_hun22_flows_are_generated_from_the_lifecycle_and_mark_the_callers_steps():
    """HUN-22: every flow's steps are the lifecycle's transitions (less what the kind omits);
    an agency leader takes part in the applicant's steps of the certificate and user flows, the
    province office in the authority's, a supervisor in none."""
    leader = Principal(user_id="l", tenant=T, org_id="a", roles=["station_leader"], org_kind="agency")
    office = _office()
    sup = Principal(user_id="s", tenant=T, org_id="a", roles=["supervisor"], org_kind="agency")
    for flow in flows.FLOWS:
        described = flows.describe(flow, leader)
        assert [s["action"] for s in described["steps"]] == [t.action for t in TRANSITIONS
                                                               if t.action not in flow.omits]
        for step in described["steps"]:
            t = next(t for t in TRANSITIONS if t.action == step["action"])
            assert step["from_stages"] == [s.value for s in t.from_stages] and step["by"] == t.by
    user_flow = flows.flow_of("user")
    assert user_flow is not None
    mine = {s["action"] for s in flows.describe(user_flow, leader)["steps"] if s["takes_part"]}
    assert mine == {"create", "submit", "delete"}
    theirs = {s["action"] for s in flows.describe(user_flow, office)["steps"] if s["takes_part"]}
    assert theirs == {"accept", "not_accept", "return", "approve", "refuse"}
    assert not any(flows.describe(f, sup)["takes_part"] for f in flows.FLOWS)
    filing = flows.describe(flows.flow_of("bureau_filing"), office)  # type: ignore[arg-type]
    assert "return" not in {s["action"] for s in filing["steps"]}
