"""The user picker (``GET /api/identity/v1/users``) on the in-memory fakes (issue 11, "for the
people building front ends"): disabled users are not offered unless an administrator asks for
them with ``include_disabled=true``; anyone else asking is refused (403 ``not-user-admin``)."""

from __future__ import annotations

import pytest

from anjian_shared.errors import Forbidden
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from identity.service_layer import use_cases

TENANT = "hubei"


def who(*roles: str, org_id: str = "station-1", kind: str = "station") -> Principal:
    return Principal(user_id=f"u-{roles[0]}", tenant=TENANT, org_id=org_id, roles=list(roles), name="x",
                     org_kind=kind)


@pytest.fixture
async def mongo() -> FakeDatabase:
    db = FakeDatabase(service="identity")
    users = db.repo("users", TENANT)
    for uid, org, enabled in (("active-sup", "station-1", True), ("gone-sup", "station-1", False),
                              ("active-pm", "company-1", True), ("gone-pm", "company-1", False),
                              ("legacy", "station-1", None)):       # stored before `enabled` existed: enabled
        doc = {"_id": uid, "username": uid, "display_name": uid, "org_id": org, "roles": ["supervisor"]}
        if enabled is not None:
            doc["enabled"] = enabled
        await users.insert(doc)
    return db


async def ids(mongo: FakeDatabase, actor: Principal, **kw) -> set[str]:  # type: ignore[no-untyped-def]
    docs, _ = await use_cases.list_users(mongo=mongo, actor=actor, org_id=kw.pop("org_id", None), role=None,
                                         limit=50, cursor=None, **kw)
    return {d["_id"] for d in docs}


async def test_the_picker_lists_only_enabled_users_by_default(mongo):
    assert await ids(mongo, who("supervisor")) == {"active-sup", "active-pm", "legacy"}
    assert await ids(mongo, who("project_manager", org_id="company-1", kind="company")) == {"active-pm"}


async def test_administrators_may_ask_for_disabled_users_too(mongo):
    everyone = {"active-sup", "gone-sup", "active-pm", "gone-pm", "legacy"}
    assert await ids(mongo, who("province_admin", org_id="auth", kind="authority"), include_disabled=True) == everyone
    assert await ids(mongo, who("station_leader"), include_disabled=True) == everyone
    admin = who("company_admin", org_id="company-1", kind="company")
    assert await ids(mongo, admin, include_disabled=True) == {"active-pm", "gone-pm"}


async def test_others_asking_for_disabled_users_are_refused(mongo):
    for actor in (who("supervisor"), who("project_manager", org_id="company-1", kind="company")):
        with pytest.raises(Forbidden) as exc:
            await ids(mongo, actor, include_disabled=True)
        assert exc.value.slug == "not-user-admin"
