"""HUN-01 Hunan's home-page to-dos in reporting, fed by ``personnel.hunan_task.changed.v1``:
addressed to an organisation's roles or to one user, each opening its task, gone when done;
the latest event wins whatever order they arrive in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from anjian_shared.events.personnel_v1 import HunanTaskChanged
from anjian_shared.mongo import with_transaction
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from reporting.service_layer import notifications as inbox
from reporting.service_layer import read_models as rm

TENANT = "hunan"
AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
DECIDERS = ["supervisor", "station_leader", "province_admin"]


def task(kind: str, object_kind: str, object_id: str, *, open: bool, at: datetime = AT, **kw) -> HunanTaskChanged:  # type: ignore[no-untyped-def]
    return HunanTaskChanged(task_id=f"{object_kind}:{object_id}", kind=kind, object_kind=object_kind,
                            object_id=object_id, api_path=f"/api/personnel/v1/x/{object_id}", open=open,
                            title="审核" if open else "", body="待办" if open else "", at=at, **kw)


def cert(app_id: str, *, open: bool, at: datetime = AT) -> HunanTaskChanged:
    return task("certificate_application_to_decide", "certificate_application", app_id, open=open, at=at,
                assignee_org_id="province", assignee_roles=DECIDERS if open else [], agency_org_id="furong")


async def apply(mongo: FakeDatabase, payload: HunanTaskChanged) -> None:
    async def run(uow):  # type: ignore[no-untyped-def]
        await rm.record_hunan_task(uow, payload=payload)

    await with_transaction(mongo, TENANT, run)


async def todos(mongo: FakeDatabase, user: str, org: str, *roles: str, done: bool = False) -> list[dict]:
    principal = Principal(user_id=user, tenant=TENANT, org_id=org, roles=list(roles))
    items, _ = await inbox.list_todos(mongo=mongo, principal=principal, include_done=done, limit=100, cursor=None)
    return items


async def test_hun01_certificate_application_todo_for_the_province_office_opens_its_task_and_goes_when_decided():
    """HUN-01: the office's deciders see the to-do with what opens it; others do not; decided → gone."""
    mongo = FakeDatabase(service="reporting")
    await apply(mongo, cert("app-1", open=True))
    [todo] = await todos(mongo, "u-office", "province", "supervisor")
    assert todo["kind"] == "certificate_application_to_decide" and todo["object_id"] == "app-1"
    assert todo["object_kind"] == "certificate_application" and todo["api_path"] == "/api/personnel/v1/x/app-1"
    assert todo["done_at"] is None and todo["title"] == "审核"
    assert await todos(mongo, "u-newcomer", "province", "station_leader"), "a user who joins later sees it too"
    assert await todos(mongo, "u-clerk", "province", "company_staff") == [], "not a decider's role"
    assert await todos(mongo, "u-agency", "furong", "station_leader") == [], "not the office"
    await apply(mongo, cert("app-1", open=False, at=AT + timedelta(minutes=5)))
    assert await todos(mongo, "u-office", "province", "supervisor") == []
    [done] = await todos(mongo, "u-office", "province", "supervisor", done=True)
    assert done["done_at"] is not None and done["roles"] == DECIDERS, "a close keeps whom it was for"


async def test_hun01_a_close_that_overtakes_its_open_stays_done_and_redelivery_changes_nothing():
    """HUN-01: events out of order: the later close wins over an earlier open arriving late."""
    mongo = FakeDatabase(service="reporting")
    await apply(mongo, cert("app-2", open=False, at=AT + timedelta(minutes=1)))
    await apply(mongo, cert("app-2", open=True, at=AT))
    assert await todos(mongo, "u-office", "province", "supervisor") == []
    await apply(mongo, cert("app-2", open=True, at=AT + timedelta(minutes=2)))  # resubmitted after a return
    await apply(mongo, cert("app-2", open=True, at=AT + timedelta(minutes=2)))  # redelivered
    assert len(await todos(mongo, "u-office", "province", "supervisor")) == 1
    assert len(await todos(mongo, "u-office", "province", "supervisor", done=True)) == 1, "one to-do per task"


async def test_hun01_assessment_score_and_training_todos_reach_their_own_people_only():
    """HUN-01: an assessment draft is its assessor's; a dynamic score the agency leader's; a
    training registration the province office's (or, without one, the province administrators')."""
    mongo = FakeDatabase(service="reporting")
    await apply(mongo, task("assessment_to_finish", "assessment", "as-1", open=True, assignee_user_id="u-city"))
    await apply(mongo, task("dynamic_score_to_approve", "dynamic_score", "sc-1", open=True,
                            assignee_org_id="furong", assignee_roles=["station_leader"]))
    await apply(mongo, task("training_registration_to_review", "training_registration", "tr-1", open=True,
                            assignee_org_id=None, assignee_roles=["province_admin"]))
    assert [t["object_id"] for t in await todos(mongo, "u-city", "changsha", "supervisor")] == ["as-1"]
    assert await todos(mongo, "u-city2", "changsha", "supervisor") == []
    assert [t["object_id"] for t in await todos(mongo, "u-leader", "furong", "station_leader")] == ["sc-1"]
    assert await todos(mongo, "u-clerk", "furong", "supervisor") == [], "only the leader approves"
    assert [t["object_id"] for t in await todos(mongo, "u-admin", "province", "province_admin")] == ["tr-1"]
    await apply(mongo, task("dynamic_score_to_approve", "dynamic_score", "sc-1", open=False,
                            at=AT + timedelta(seconds=1), assignee_org_id="furong"))
    assert await todos(mongo, "u-leader", "furong", "station_leader") == []
