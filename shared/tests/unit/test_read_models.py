"""The read-model consumer factory on the in-memory fakes (no servers).

Architecture "Events": a read model of another service's aggregate applies an event only if it
is newer than what it holds (the snapshot carries the aggregate's ``version``); a redelivered
event has no second effect (the bus's inbox). Issue 10: one consumer factory for the six
directory consumers.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from anjian_shared.bus import Subscription, handle_message
from anjian_shared.events import CloudEvent, make_event
from anjian_shared.events.identity_v1 import OrganizationCreated, UserCreated, UserUpdated
from anjian_shared.events.projects_v1 import ProjectRegistered, ProjectUpdated
from anjian_shared.mongo import with_transaction
from anjian_shared.read_models import ORGANIZATIONS, PROJECTS, USERS, apply_snapshot, read_model
from anjian_shared.testing.fakes import FakeDatabase

TENANT = "hainan"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _project(name: str, version: int | None, cls: type = ProjectUpdated) -> Any:
    return cls(project_id="p1", code="202600001", name=name, address="海口", station_org_id="st",
               owner_org_id="o", contractor_org_id="c", supervision_org_id="s",
               supervisor_user_ids=["u1"], version=version)


def _event(type_: str, payload: Any, *, at: datetime = T0, subject: str = "p1") -> CloudEvent:
    event = make_event(type=type_, tenant=TENANT, service="projects", subject=subject, data=payload)
    return event.model_copy(update={"time": at})


async def _deliver(mongo: FakeDatabase, sub: Subscription, event: CloudEvent, payload: Any) -> None:
    """What the bus does around a handler, minus the broker and the inbox: one transaction."""
    handler = sub.handlers[event.type]
    await with_transaction(mongo, event.tenant, lambda uow: handler(uow, event, payload))


async def _apply(mongo: FakeDatabase, sub: Subscription, type_: str, payload: Any, *,
                 at: datetime = T0, subject: str = "p1") -> None:
    """Deliver ``payload`` as a new event of ``type_`` (``P.`` = ``projects.project.``)."""
    type_ = type_.replace("P.", "projects.project.", 1) if type_.startswith("P.") else type_
    await _deliver(mongo, sub, _event(type_, payload, at=at, subject=subject), payload)


async def _project_doc(mongo: FakeDatabase) -> dict[str, Any] | None:
    return await mongo.repo("projects", TENANT).get("p1")


@pytest.fixture
def mongo() -> FakeDatabase:
    return FakeDatabase(service="inspections")


@pytest.fixture
def projects() -> Subscription:
    return read_model(Subscription("project-directory"), collection="projects", events=PROJECTS)


async def test_a_newer_version_replaces_the_held_snapshot(mongo, projects):
    """Issue 10 read models: version 2 after version 1 is applied, fields and version kept."""
    v1, v2 = _project("旧名", 1, ProjectRegistered), _project("新名", 2)
    await _apply(mongo, projects, "P.registered.v1", v1)
    await _apply(mongo, projects, "P.updated.v1", v2, at=T0 + timedelta(1))
    doc = await _project_doc(mongo)
    assert doc is not None and doc["name"] == "新名" and doc["source_version"] == 2
    assert doc["project_id"] == "p1" and doc["supervisor_user_ids"] == ["u1"]
    assert "version" not in doc
    assert doc["tenant_id"] == TENANT and doc["created_at"] and doc["updated_at"]


async def test_an_older_version_is_dropped_even_when_it_arrives_later(mongo, projects):
    """Issue 10: replaying an old ``projects.project.updated`` after a newer one keeps the newer."""
    v3, v2 = _project("第三版", 3), _project("第二版", 2)
    await _apply(mongo, projects, "P.updated.v1", v3)
    # the old one even carries a later event time (a replay publishes it again): version decides
    await _apply(mongo, projects, "P.updated.v1", v2, at=T0 + timedelta(1))
    doc = await _project_doc(mongo)
    assert doc is not None and doc["name"] == "第三版" and doc["source_version"] == 3


async def test_an_equal_version_is_dropped(mongo, projects):
    """The same version twice (a second publication of one change) is applied once."""
    first, again = _project("甲", 2), _project("乙", 2)
    await _apply(mongo, projects, "P.updated.v1", first)
    held = await _project_doc(mongo)
    await _apply(mongo, projects, "P.updated.v1", again, at=T0 + timedelta(1))
    doc = await _project_doc(mongo)
    assert doc is not None and doc["name"] == "甲" and doc["updated_at"] == held["updated_at"]


async def test_without_versions_the_event_time_decides(mongo, projects):
    """Producers from before versions: the later event time wins, an earlier one is dropped."""
    new, old = _project("后", None), _project("先", None)
    await _apply(mongo, projects, "P.updated.v1", new, at=T0 + timedelta(1))
    await _apply(mongo, projects, "P.updated.v1", old, at=T0)
    doc = await _project_doc(mongo)
    assert doc is not None and doc["name"] == "后" and doc["source_version"] is None
    newest = _project("最后", None)
    await _apply(mongo, projects, "P.updated.v1", newest, at=T0 + timedelta(2))
    assert (await _project_doc(mongo))["name"] == "最后"


async def test_a_versioned_snapshot_supersedes_unversioned_ones_never_the_reverse(mongo, projects):
    """Versions began later than the read models: any versioned snapshot beats an unversioned
    one, and an unversioned one (an old event replayed) never replaces a versioned one."""
    legacy, v1 = _project("无版本", None), _project("版本1", 1)
    await _apply(mongo, projects, "P.updated.v1", legacy, at=T0 + timedelta(5))
    await _apply(mongo, projects, "P.updated.v1", v1, at=T0)
    assert (await _project_doc(mongo))["name"] == "版本1"
    await _apply(mongo, projects, "P.updated.v1", legacy, at=T0 + timedelta(9))
    assert (await _project_doc(mongo))["name"] == "版本1"


async def test_a_document_from_before_source_time_is_replaced_by_any_event(mongo):
    """A read-model document written by the old consumers has neither ``source_version`` nor
    ``source_time``: an unversioned event still updates it (it is not silently frozen)."""
    await mongo.repo("projects", TENANT).insert({"_id": "p1", "name": "旧消费者写的"})
    async def apply(uow):
        return await apply_snapshot(uow.repo("projects"), "p1", {"name": "新"}, version=None,
                                    time=T0)
    assert await with_transaction(mongo, TENANT, apply) is True
    assert (await _project_doc(mongo))["name"] == "新"


async def test_a_snapshot_is_seen_only_in_its_tenant(mongo, projects):
    """The read model is scoped like every repository: another tenant does not see it."""
    v5 = _project("海南", 5)
    await _apply(mongo, projects, "P.updated.v1", v5)
    assert await mongo.repo("projects", "hubei").get("p1") is None
    assert (await _project_doc(mongo))["tenant_id"] == TENANT


async def test_users_and_organisations_keep_the_fields_readers_use(mongo):
    """The user directory keeps name, organisation, roles, enabled (no mobile); organisations
    keep name, kind, company roles. Several read models share one subscription (one queue)."""
    sub = Subscription("directory")
    read_model(sub, collection="organizations", events=ORGANIZATIONS)
    read_model(sub, collection="users", events=USERS)
    assert set(sub.handlers) == {"identity.organization.created.v1", "identity.user.created.v1",
                                 "identity.user.updated.v1"}
    org = OrganizationCreated(org_id="c1", name="某建设集团", kind="company",
                              company_roles=["contractor"], version=1)
    person = {"user_id": "u1", "org_id": "c1", "username": "pm", "display_name": "张三",
              "roles": ["company_staff"]}
    created = UserCreated(**person, mobile="13800000000", version=1)
    disabled = UserUpdated(**person, enabled=False, version=2)
    await _apply(mongo, sub, "identity.organization.created.v1", org, subject="c1")
    await _apply(mongo, sub, "identity.user.updated.v1", disabled, subject="u1")
    await _apply(mongo, sub, "identity.user.created.v1", created, subject="u1")  # late
    user = await mongo.repo("users", TENANT).get("u1")
    assert user["enabled"] is False and user["display_name"] == "张三" and user["org_id"] == "c1"
    assert user["roles"] == ["company_staff"] and "mobile" not in user
    assert user["source_version"] == 2
    org_doc = await mongo.repo("organizations", TENANT).get("c1")
    assert org_doc["name"] == "某建设集团" and org_doc["kind"] == "company"
    assert org_doc["company_roles"] == ["contractor"]


class _Message:
    """What ``handle_message`` uses of an aio-pika incoming message."""

    def __init__(self, event: CloudEvent) -> None:
        self.body = json.dumps(event.model_dump(mode="json")).encode()
        self.headers: dict[str, Any] = {}
        self.channel = None
        self.outcome: str | None = None

    async def ack(self) -> None:
        self.outcome = "ack"

    async def nack(self, requeue: bool = True) -> None:
        self.outcome = "nack"

    async def reject(self, requeue: bool = False) -> None:
        self.outcome = "reject"


async def test_a_redelivered_event_has_one_effect(mongo, projects):
    """The same event id delivered twice (broker redelivery) is applied once: the inbox."""
    v1 = _project("一", 1)
    event = _event("projects.project.updated.v1", v1)
    first, second = _Message(event), _Message(event)
    await handle_message(first, projects, mongo, "inspections.project-directory")  # type: ignore[arg-type]
    held = await _project_doc(mongo)
    await handle_message(second, projects, mongo, "inspections.project-directory")  # type: ignore[arg-type]
    assert first.outcome == second.outcome == "ack"
    assert (await _project_doc(mongo))["updated_at"] == held["updated_at"]
    assert len(mongo.documents("inbox")) == 1
