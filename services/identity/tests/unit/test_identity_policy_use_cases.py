"""identity's tenant-policy use cases on the in-memory fakes (issue 10, PLAT-01): who may read
and change a province's policy, the audit entry and the event committed with the change."""

from __future__ import annotations

import pytest

from anjian_shared.errors import Forbidden, NotFound
from anjian_shared.principal import Principal
from anjian_shared.tenant_policy import TenantPolicyPatch
from anjian_shared.testing.fakes import FakeDatabase
from identity.domain.policy import verify_chain
from identity.service_layer.policy import AUDIT, RequestOrigin, get_policy, update_policy

ADMIN = Principal(
    user_id="admin-hn",
    tenant="hainan",
    org_id="auth-hn",
    roles=["province_admin"],
    name="海南管理员",
)
ORIGIN = RequestOrigin(
    address="10.0.0.7", forwarded_for="203.0.113.9", request_id="req-1", user_agent="t"
)


def _patch(**body):  # type: ignore[no-untyped-def]
    return TenantPolicyPatch.model_validate(body)


async def test_plat01_admin_change_is_versioned_audited_and_published_in_one_unit():
    mongo = FakeDatabase(service="identity")
    policy = await update_policy(
        mongo=mongo,
        actor=ADMIN,
        tenant="hainan",
        origin=ORIGIN,
        patch=_patch(limits={"photo_max_bytes": 614400}),
    )
    assert policy.version == 1 and policy.limit("photo_max_bytes") == 614400
    assert not policy.is_default("limits", "photo_max_bytes") and policy.is_default(
        "features", "positioning"
    )
    [entry] = mongo.documents(AUDIT)
    assert entry["tenant_id"] == "hainan" and entry["seq"] == 1 and entry["actor_id"] == "admin-hn"
    assert entry["changes"] == [{"field": "limits.photo_max_bytes", "old": None, "new": 614400}]
    assert (entry["address"], entry["forwarded_for"], entry["request_id"]) == (
        "10.0.0.7",
        "203.0.113.9",
        "req-1",
    )
    [event] = mongo.events("identity.tenant_policy.updated.v1", tenant="hainan")
    assert event["data"]["version"] == 1 and event["data"]["limits"] == {"photo_max_bytes": 614400}

    policy = await update_policy(
        mongo=mongo,
        actor=ADMIN,
        tenant="hainan",
        origin=ORIGIN,
        patch=_patch(limits={"photo_max_bytes": None}, features={"supervision_records": False}),
    )
    assert policy.version == 2 and policy.limit("photo_max_bytes") == 10 * 1024 * 1024
    assert not policy.enabled("supervision_records")
    entries = sorted(mongo.documents(AUDIT), key=lambda e: e["seq"])
    assert verify_chain(entries), "audit entries form an unbroken hash chain"
    entries[0]["changes"][0]["new"] = 1
    assert not verify_chain(entries), "an edited entry breaks the chain"
    assert [e["data"]["version"] for e in mongo.events("identity.tenant_policy.updated.v1")] == [
        1,
        2,
    ]
    assert (await get_policy(mongo=mongo, actor=ADMIN, tenant="hainan")).version == 2


async def test_a_patch_that_changes_nothing_writes_nothing():
    mongo = FakeDatabase(service="identity")
    await update_policy(
        mongo=mongo,
        actor=ADMIN,
        tenant="hainan",
        origin=ORIGIN,
        patch=_patch(features={"attendance": False}),
    )
    again = await update_policy(
        mongo=mongo,
        actor=ADMIN,
        tenant="hainan",
        origin=ORIGIN,
        patch=_patch(features={"attendance": False}),
    )
    assert again.version == 1 and len(mongo.documents(AUDIT)) == 1 and len(mongo.outbox) == 1


@pytest.mark.parametrize(
    "actor, tenant, error",
    [
        (ADMIN.model_copy(update={"roles": ["station_leader"]}), "hainan", Forbidden),
        (ADMIN.model_copy(update={"roles": ["supervisor"]}), "hainan", Forbidden),
        (ADMIN, "hubei", NotFound),  # another province's administrator
        (ADMIN, "atlantis", NotFound),
    ],
)
async def test_plat01_only_the_provinces_administrator_reads_or_changes_it(actor, tenant, error):
    mongo = FakeDatabase(service="identity")
    with pytest.raises(error) as refused:
        await get_policy(mongo=mongo, actor=actor, tenant=tenant)
    with pytest.raises(error):
        await update_policy(
            mongo=mongo,
            actor=actor,
            tenant=tenant,
            origin=ORIGIN,
            patch=_patch(features={"positioning": False}),
        )
    if error is Forbidden:
        assert refused.value.code == "not-policy-admin"
    assert mongo.documents(AUDIT) == [] and mongo.outbox == []
