"""HEB-03 reporting tells the addressed authority of a submitted application (待办) and the
applicant organisation of every decision, fed by ``equipment.application.<stage>.v1``; the one
who acted is not told; a redelivered event is the bus inbox's concern (one notification per
event id here)."""

from __future__ import annotations

from datetime import UTC, datetime

from anjian_shared.accounts import ACCOUNTS
from anjian_shared.events.common import PersonRef
from anjian_shared.events.equipment_v1 import ApplicationStageChanged
from anjian_shared.mongo import with_transaction
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from reporting.service_layer import notifications as inbox
from reporting.service_layer import read_models as rm

TENANT = "hebei"
AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def stage(to: str, by: str, **kw) -> ApplicationStageChanged:  # type: ignore[no-untyped-def]
    return ApplicationStageChanged(application_id="app-1", kind="filing", from_stage=None, to_stage=to,
                                   stage_label={"submitted": "已上报", "approved": "准予"}.get(to, to),
                                   applicant_org_id="lease", authority_org_id="station", by=PersonRef(
                                       user_id=by, name={"u-lease": "李四", "u-zhang": "张伟"}[by]), at=AT, **kw)


async def env() -> FakeDatabase:
    mongo = FakeDatabase(service="reporting")
    for uid, org, roles, enabled in (("u-zhang", "station", ["supervisor"], True),
                                     ("u-wang", "station", ["station_leader"], True),
                                     ("u-clerk", "station", ["company_staff"], True),
                                     ("u-gone", "station", ["supervisor"], False),
                                     ("u-lease", "lease", ["company_admin"], True),
                                     ("u-lease2", "lease", ["company_staff"], True)):
        await mongo.db[ACCOUNTS].insert_one({"_id": uid, "tenant_id": TENANT, "org_id": org, "roles": roles,
                                             "enabled": enabled})
    return mongo


async def apply(mongo: FakeDatabase, payload: ApplicationStageChanged, event_id: str) -> None:
    async def run(uow):  # type: ignore[no-untyped-def]
        await rm.record_application_stage(uow, event_id=event_id, payload=payload)

    await with_transaction(mongo, TENANT, run)


async def inbox_of(mongo: FakeDatabase, user_id: str) -> list[dict]:
    principal = Principal(user_id=user_id, tenant=TENANT, org_id="x", roles=["supervisor"])
    items, _ = await inbox.list_notifications(mongo=mongo, principal=principal, unread=None, limit=100, cursor=None)
    return items


async def test_heb03_submitted_tells_the_authoritys_deciders_decision_tells_the_applicant():
    mongo = await env()
    await apply(mongo, stage("submitted", "u-lease"), "e1")
    for uid in ("u-zhang", "u-wang"):
        [n] = await inbox_of(mongo, uid)
        assert n["kind"] == "application_to_handle" and n["application_id"] == "app-1"
        assert n["title"] == "设备备案待受理" and "李四" in n["body"]
    for uid in ("u-clerk", "u-gone", "u-lease", "u-lease2"):  # no decider, disabled, the applicant
        assert await inbox_of(mongo, uid) == []
    await apply(mongo, stage("approved", "u-zhang", number="冀130102-T-2026-0001", comment="准予备案"), "e2")
    for uid in ("u-lease", "u-lease2"):
        [n] = await inbox_of(mongo, uid)
        assert n["kind"] == "application_decided" and "冀130102-T-2026-0001" in n["body"] and "准予备案" in n["body"]
    assert len(await inbox_of(mongo, "u-zhang")) == 1  # the one who decided is not told again
