"""Read models of another service's aggregate never go back in time (issue 10, architecture
"Events": a read model applies an event only if it is newer than what it holds).

On the real servers: projects registers a project (version 1) and changes it (version n ≥ 2);
then an OLD ``projects.project.updated.v1`` (version n − 1, another name, a new event id and
a later event time — an operator replaying dead letters, a partner re-publishing) is published
on the real broker. inspections' and notices' project directories consume it (their inboxes
record it) and keep the newer snapshot.

Run: ``ANJIAN_TEST_SERVICES=identity,projects,inspections,notices .venv/bin/python -m pytest -q
tests/e2e/test_read_models_order.py``.
"""

from __future__ import annotations

from typing import Any

from anjian_local.scenario import expect
from anjian_local.testing.fixtures import eventually
from anjian_shared.events import CloudEvent

CONSUMERS = {"inspections": "inspections.project-directory", "notices": "notices.document-projects"}
"""The services whose project directory this test watches, and their consumer (queue) names."""


async def _held(platform: Any, service: str, tenant: str, project_id: str) -> dict[str, Any] | None:
    return await platform.app(service).state.mongo.repo("projects", tenant).get(project_id)


async def _consumed(platform: Any, service: str, event_id: str) -> bool:
    inbox = platform.app(service).state.mongo.db["inbox"]
    return await inbox.count_documents({"_id": f"{CONSUMERS[service]}:{event_id}"}) == 1


async def test_an_old_project_snapshot_replayed_after_a_newer_one_never_wins(platform, world):
    tenant, pid = world.tenant, world.project_id
    zhang, li = world.people["zhang"].user_id, world.people["li"].user_id

    # version 2: a real change through the projects API (only zhang supervises from now on)
    async with platform.api(world.token("zhang")) as c:
        changed = expect(await c.put(f"/api/projects/v1/projects/{pid}/supervisors",
                                     json={"supervisor_user_ids": [zhang]}), 200)
    assert changed["supervisor_user_ids"] == [zhang]
    current_name = changed["name"]
    owner_doc = await platform.app("projects").state.mongo.repo("projects", tenant).get(pid)
    version = owner_doc["version"]  # the owner's count of changes: ≥ 2 (registered, then changed)
    assert version >= 2

    for service in CONSUMERS:
        async def newest(service: str = service) -> bool:
            doc = await _held(platform, service, tenant, pid)
            return bool(doc and doc.get("source_version") == version)

        await eventually(newest, timeout=30)

    # the old snapshot: the version before, with a name the project never had, published now
    held = await _held(platform, "inspections", tenant, pid)
    assert held is not None
    kept = ("project_id", "code", "address", "station_org_id", "owner_org_id", "contractor_org_id",
            "supervision_org_id", "participants", "status")
    snapshot = {k: held[k] for k in kept}
    snapshot.update(name="旧名称（已过时）", supervisor_user_ids=[zhang, li], version=version - 1)
    old = CloudEvent(type="projects.project.updated.v1", source=f"/{tenant}/projects", subject=pid,
                     tenant=tenant, data=snapshot)  # a new event id and the current time
    await platform.publish(old.model_dump(mode="json"))

    for service in CONSUMERS:
        # consumed: the inbox records the event in the same transaction as any effect it had
        await eventually(lambda service=service: _consumed(platform, service, old.id), timeout=30)
        doc = await _held(platform, service, tenant, pid)
        assert doc is not None, service
        assert doc["name"] == current_name and doc["name"] != "旧名称（已过时）", service
        assert doc["supervisor_user_ids"] == [zhang] and doc["source_version"] == version, service

    # inspections' API (the projects a plan can name) shows the newer snapshot too
    async with platform.api(world.token("zhang")) as c:
        r = await c.get("/api/inspections/v1/projects", params={"limit": 100})
    items = expect(r, 200)["items"]
    mine = [p for p in items if p["project_id"] == pid]
    assert len(mine) == 1 and mine[0]["name"] == current_name
    assert mine[0]["supervisor_user_ids"] == [zhang]
