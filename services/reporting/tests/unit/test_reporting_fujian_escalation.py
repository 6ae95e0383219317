"""FJ-11 逾期上报: an overdue self-inspection notice (``inspections.self_inspection.escalated.v1``)
reaches the supervisors and leaders of the project's station as a notification, nobody else."""

from __future__ import annotations

from datetime import UTC, date, datetime

from anjian_shared.accounts import ACCOUNTS
from anjian_shared.events.common import PersonRef
from anjian_shared.events.inspections_v1 import SelfInspectionEscalated
from anjian_shared.mongo import with_transaction
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from reporting.service_layer import notifications as inbox
from reporting.service_layer import read_models as rm

TENANT = "fujian"


def escalated(station: str | None = "station") -> SelfInspectionEscalated:
    return SelfInspectionEscalated(
        inspection_id="si-1", project_id="p-1", project_name="福州滨海新城3号地块", supervision_org_id="jianli",
        station_org_id=station, inspector=PersonRef(user_id="u-chief", name="林总监"), status="rectifying",
        at=datetime(2026, 3, 10, 1, 0, tzinfo=UTC), deadline=date(2026, 3, 9),
        feedback_person=PersonRef(user_id="u-fb", name="黄反馈"))


async def test_fj11_an_overdue_self_inspection_notice_tells_the_projects_station():
    mongo = FakeDatabase(service="reporting")
    for uid, org, roles, enabled in (("u-sup", "station", ["supervisor"], True),
                                     ("u-lead", "station", ["station_leader"], True),
                                     ("u-off", "station", ["supervisor"], False),
                                     ("u-other", "other-station", ["station_leader"], True),
                                     ("u-chief", "jianli", ["company_staff"], True)):
        await mongo.db[ACCOUNTS].insert_one({"_id": uid, "tenant_id": TENANT, "org_id": org, "roles": roles,
                                             "enabled": enabled})

    async def run(uow):  # type: ignore[no-untyped-def]
        return await rm.record_self_inspection_escalated(uow, event_id="e1", payload=escalated())

    assert await with_transaction(mongo, TENANT, run) == 2

    async def items(user_id: str) -> list[dict]:
        principal = Principal(user_id=user_id, tenant=TENANT, org_id="x", roles=["supervisor"])
        got, _ = await inbox.list_notifications(mongo=mongo, principal=principal, unread=None, limit=10, cursor=None)
        return got

    for uid in ("u-sup", "u-lead"):
        [n] = await items(uid)
        assert n["kind"] == "self_inspection_escalated" and n["inspection_id"] == "si-1"
        assert "2026-03-09" in n["body"] and "黄反馈" in n["body"]
    for uid in ("u-off", "u-other", "u-chief"):
        assert await items(uid) == []

    async def no_station(uow):  # type: ignore[no-untyped-def]
        return await rm.record_self_inspection_escalated(uow, event_id="e2", payload=escalated(None))

    assert await with_transaction(mongo, TENANT, no_station) == 0
