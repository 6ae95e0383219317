"""HB-03 on the in-memory fakes: the 站内通知 of a plan follow its changes — a member who joins
is told, a member who leaves has the plan's notifications withdrawn (and is told he left), the
others learn the new date; a withdrawn plan's notifications are withdrawn. Events of one plan
may arrive out of order: a confirmation handled after a later change tells only the team of
that change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from anjian_shared.events.common import PersonRef
from anjian_shared.events.inspections_v1 import PlanChanged, PlanConfirmed, PlanWithdrawn
from anjian_shared.mongo import with_transaction
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from reporting.service_layer import notifications as inbox
from reporting.service_layer import read_models as rm

TENANT = "hubei"
ZHANG, LI, ZHAO = (PersonRef(user_id="u-zhang", name="张伟"), PersonRef(user_id="u-li", name="李娜"),
                   PersonRef(user_id="u-zhao", name="赵敏"))
DAY = date(2026, 12, 4)
T = datetime(2026, 12, 1, 2, tzinfo=UTC)


def confirmed() -> PlanConfirmed:
    return PlanConfirmed(plan_id="pl", title="十二月抽查", planned_date=DAY, project_ids=["p1"],
                         project_names=["江岸一号楼"], responsible_supervisor=ZHANG, supervisors=[ZHANG, LI],
                         confirmed_by=ZHANG.user_id, confirmed_at=T)


def changed() -> PlanChanged:
    return PlanChanged(plan_id="pl", title="十二月抽查", planned_date=DAY + timedelta(days=2),
                       previous_planned_date=DAY, project_ids=["p1"], project_names=["江岸一号楼"],
                       previous_project_ids=["p1"], responsible_supervisor=ZHANG,
                       supervisors=[ZHANG, ZHAO, PersonRef(user_id="u-wu", name="吴刚")],
                       added_user_ids=["u-zhao", "u-wu"], removed_user_ids=["u-li"], changed_by=ZHANG.user_id,
                       changed_at=T + timedelta(hours=1))


async def apply(mongo: FakeDatabase, handler, payload, event_id: str) -> None:  # type: ignore[no-untyped-def]
    async def run(uow):  # type: ignore[no-untyped-def]
        await handler(uow, event_id=event_id, payload=payload)

    await with_transaction(mongo, TENANT, run)


async def inbox_of(mongo: FakeDatabase, who: PersonRef) -> list[dict]:
    principal = Principal(user_id=who.user_id, tenant=TENANT, org_id="st", roles=["supervisor"])
    items, _ = await inbox.list_notifications(mongo=mongo, principal=principal, unread=None, limit=100, cursor=None)
    assert await inbox.count_unread(mongo=mongo, principal=principal) == len(items)
    return items


async def test_hb03_a_changed_confirmed_plan_tells_who_joined_who_left_and_the_new_date():
    mongo = FakeDatabase(service="reporting")
    await apply(mongo, rm.record_plan_confirmed, confirmed(), "e1")
    assert [n["kind"] for n in await inbox_of(mongo, LI)] == ["plan_confirmed"]
    await apply(mongo, rm.record_plan_changed, changed(), "e2")
    li = await inbox_of(mongo, LI)
    assert [n["kind"] for n in li] == ["plan_left"]                   # the old one (old date) is withdrawn
    assert li[0]["plan_id"] is None and "十二月抽查" in li[0]["body"]   # no link to a plan he can't open
    [joined] = await inbox_of(mongo, ZHAO)
    assert joined["kind"] == "plan_joined" and joined["plan_id"] == "pl" and "2026年12月6日" in joined["body"]
    assert await inbox_of(mongo, ZHANG) == []                         # the one who changed it
    assert [n["kind"] for n in await inbox_of(mongo, PersonRef(user_id="u-wu", name=""))] == ["plan_joined"]


async def test_hb03_the_remaining_members_learn_the_new_date():
    mongo = FakeDatabase(service="reporting")
    await apply(mongo, rm.record_plan_confirmed, confirmed(), "e1")
    moved = changed().model_copy(update={"changed_by": "u-boss", "added_user_ids": ["u-zhao", "u-wu"]})
    await apply(mongo, rm.record_plan_changed, moved, "e2")
    zhang = await inbox_of(mongo, ZHANG)
    assert [n["kind"] for n in zhang] == ["plan_rescheduled"]
    assert "2026年12月4日" in zhang[0]["body"] and "2026年12月6日" in zhang[0]["body"]


async def test_hb03_a_confirmation_handled_after_a_later_change_tells_only_the_current_team():
    mongo = FakeDatabase(service="reporting")
    await apply(mongo, rm.record_plan_changed, changed(), "e2")
    await apply(mongo, rm.record_plan_confirmed, confirmed(), "e1")
    assert [n["kind"] for n in await inbox_of(mongo, LI)] == ["plan_left"]


async def test_hb03_a_withdrawn_plan_withdraws_its_notifications():
    mongo = FakeDatabase(service="reporting")
    await apply(mongo, rm.record_plan_confirmed, confirmed(), "e1")
    await apply(mongo, rm.record_plan_withdrawn, PlanWithdrawn(
        plan_id="pl", title="十二月抽查", supervisor_user_ids=[ZHANG.user_id, LI.user_id], withdrawn_by=ZHANG.user_id,
        withdrawn_at=T + timedelta(hours=1)), "e3")
    assert [n["kind"] for n in await inbox_of(mongo, LI)] == ["plan_withdrawn"]
