"""Share links can be revoked, and a link works only while its creator could still open the
document (issue 11, security; HB-09). On the in-memory fakes: the link store, the notice and plan
read models and the ``accounts`` read model of identity's user events.

Before: no revocation existed, and a link kept working after its creator was disabled."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from anjian_shared.accounts import ACCOUNTS
from anjian_shared.errors import Forbidden, NotFound
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from reporting.domain.share_links import SharedDocument
from reporting.service_layer import read_models as rm
from reporting.service_layer import share_links as svc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import reporting_testkit as kit  # noqa: E402

STATION, CONTRACTOR, OWNER, SUPERVISION, OTHER = "st-1", "co-1", "ow-1", "su-1", "co-2"
BASE = "https://anjian.example.cn"


def who(user_id: str, org_id: str, *roles: str) -> Principal:
    return Principal(user_id=user_id, tenant="hubei", org_id=org_id, roles=list(roles) or ["company_staff"])


ISSUER = who("zhang", STATION, "supervisor")
LEADER = who("lead", STATION, "station_leader")
COLLEAGUE = who("li", STATION, "supervisor")
CREATOR = who("liu", CONTRACTOR, "project_manager")
OWNER_STAFF = who("wang", OWNER)
STRANGER = who("x", OTHER)


async def _world() -> tuple[FakeDatabase, str, str]:
    mongo = FakeDatabase(service="reporting")
    project = kit.project(project_id="p-1", station=STATION, owner=OWNER, contractor=CONTRACTOR,
                          supervision=SUPERVISION, managers=["liu"])
    zhang = kit.person("zhang", "张伟")
    plan = kit.plan_submitted(plan_id="plan-1", station=STATION, projects=[project], responsible=zhang,
                              supervisors=[zhang, kit.person("li", "李娜")], results=[], signature=kit.ref("s"),
                              seal=None)
    notice = kit.notice_issued(notice_id="n-1", plan_id="plan-1", project=project, station=STATION, issuer=zhang,
                               repliers=["liu"], number="鄂安监告〔2026〕1号")
    async with mongo.uow("hubei") as uow:
        await rm.record_plan_submitted(uow, payload=plan)
        await rm.record_notice_issued(uow, event_id="e-1", payload=notice)
        await uow.commit()
    return mongo, "n-1", "plan-1"


async def _link(mongo: FakeDatabase, principal: Principal, target: str = "n-1",
                document: SharedDocument = SharedDocument.NOTICE) -> svc.CreatedLink:
    return await svc.create_link(mongo=mongo, principal=principal, document=document, target_id=target,
                                 minutes=60, base_url=BASE)


async def _account(mongo: FakeDatabase, user_id: str, org_id: str, *, enabled: bool = True) -> None:
    async with mongo.uow("hubei") as uow:
        await uow.repo(ACCOUNTS).insert({"_id": user_id, "user_id": user_id, "org_id": org_id,
                                         "roles": ["project_manager"], "enabled": enabled,
                                         "source_version": 2, "source_time": datetime.now(UTC)})
        await uow.commit()


async def test_hb09_the_creator_revokes_and_the_link_is_410_at_once():
    mongo, notice, _ = await _world()
    link = await _link(mongo, CREATOR)
    assert (await svc.open_link(mongo=mongo, token=link.token))[1]["_id"] == link.id
    await svc.revoke_link(mongo=mongo, principal=CREATOR, link_id=link.id)
    with pytest.raises(svc.Gone) as e:
        await svc.open_link(mongo=mongo, token=link.token)
    assert e.value.code == "share-link-revoked"
    await svc.revoke_link(mongo=mongo, principal=CREATOR, link_id=link.id)  # again: nothing changes


async def test_hb09_the_issuer_and_a_station_leader_revoke_anyones_link_others_may_not():
    mongo, _, plan = await _world()
    by_issuer, by_leader = await _link(mongo, CREATOR), await _link(mongo, OWNER_STAFF)
    for principal in (COLLEAGUE, OWNER_STAFF):
        with pytest.raises(Forbidden) as e:
            await svc.revoke_link(mongo=mongo, principal=principal, link_id=by_issuer.id)
        assert e.value.code == "not-link-manager"
    with pytest.raises(NotFound):
        await svc.revoke_link(mongo=mongo, principal=who("zhang", STATION).model_copy(update={"tenant": "hainan"}),
                              link_id=by_issuer.id)
    await svc.revoke_link(mongo=mongo, principal=ISSUER, link_id=by_issuer.id)
    await svc.revoke_link(mongo=mongo, principal=LEADER, link_id=by_leader.id)
    plan_link = await _link(mongo, COLLEAGUE, plan, SharedDocument.PLAN)
    await svc.revoke_link(mongo=mongo, principal=LEADER, link_id=plan_link.id)
    for link in (by_issuer, by_leader, plan_link):
        with pytest.raises(svc.Gone):
            await svc.open_link(mongo=mongo, token=link.token)


async def test_hb09_links_are_listed_to_who_may_revoke_them_without_tokens():
    mongo, notice, _ = await _world()
    mine, theirs = await _link(mongo, CREATOR), await _link(mongo, OWNER_STAFF)
    listed, _ = await svc.list_links(mongo=mongo, principal=LEADER, document=SharedDocument.NOTICE,
                                     target_id=notice)
    assert {item["_id"] for item in listed} == {mine.id, theirs.id}
    assert all("token_sha256" not in item for item in listed)
    own, _ = await svc.list_links(mongo=mongo, principal=CREATOR, document=SharedDocument.NOTICE, target_id=notice)
    assert [item["_id"] for item in own] == [mine.id]
    with pytest.raises(Forbidden):
        await svc.list_links(mongo=mongo, principal=STRANGER, document=SharedDocument.NOTICE, target_id=notice)


async def test_hb09_a_link_stops_when_its_creator_is_disabled_or_no_longer_entitled():
    mongo, notice, plan = await _world()
    link = await _link(mongo, CREATOR)
    plan_link = await _link(mongo, OWNER_STAFF, plan, SharedDocument.PLAN)
    await _account(mongo, "liu", CONTRACTOR, enabled=False)
    with pytest.raises(svc.Gone) as e:
        await svc.open_link(mongo=mongo, token=link.token)
    assert e.value.code == "share-link-creator-no-access"
    await _account(mongo, "wang", OTHER)  # moved to a company that is no party of the project
    with pytest.raises(svc.Gone) as e:
        await svc.open_link(mongo=mongo, token=plan_link.token)
    assert e.value.code == "share-link-creator-no-access"
