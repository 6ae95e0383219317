"""PLAT-04 (nothing lost when a service, the broker or the database goes away).
A change made while RabbitMQ is down is delivered once the broker is back (outbox)."""

from __future__ import annotations

import signal

import pytest

from anjian_local.fixtures_faults import restart_process
from anjian_local.scenario import expect
from anjian_local.testing.fixtures import eventually


@pytest.mark.slow
async def test_event_written_while_broker_down_is_delivered_after_restart(platform, world):
    infra = platform.infra.embedded
    if infra is None:
        pytest.skip("needs the embedded infrastructure to stop the broker")
    infra.kill("rabbitmq", signal.SIGKILL)
    try:
        # the write succeeds: state + outbox row commit in MongoDB, the relay retries publishing
        async with platform.api(world.token("zhang")) as c:
            project = expect(await c.put(f"/api/projects/v1/projects/{world.project_id}/supervisors",
                                         json={"supervisor_user_ids": [world.people["li"].user_id]}), 200)
        assert project["supervisor_user_ids"] == [world.people["li"].user_id]
        outbox = platform.app("projects").state.mongo.db["outbox"]
        pending = await outbox.count_documents({"status": "pending", "event.subject": world.project_id})
        assert pending >= 1
    finally:
        await restart_process(infra, "rabbitmq")
        await platform.wait_ready()

    async def delivered() -> bool:
        doc = await platform.app("equipment").state.mongo.db["projects"].find_one(
            {"tenant_id": "hubei", "_id": world.project_id})
        return bool(doc) and doc.get("supervisor_user_ids") == [world.people["li"].user_id]

    await eventually(delivered, timeout=90)
    outbox = platform.app("projects").state.mongo.db["outbox"]
    assert await outbox.count_documents({"status": "pending", "event.subject": world.project_id}) == 0
