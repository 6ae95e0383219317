"""Fixtures of the fault tests (the kit itself is ``faultkit.py``)."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import pytest
import pytest_asyncio
from faultkit import FaultWorld
from pymongo import AsyncMongoClient

from anjian_local.infra import rabbitmqctl


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def fault_world(infra, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A vhost, database prefix and bucket prefix of this module's own (embedded infra only)."""
    if infra.embedded is None:
        pytest.skip("needs the embedded infrastructure (its own RabbitMQ vhost)")
    cfg = infra.embedded.cfg
    vhost = f"anjian-faults-{secrets.token_hex(3)}"
    for args in (("add_vhost", vhost), ("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")):
        res = await asyncio.to_thread(rabbitmqctl, cfg, *args)
        assert res.returncode == 0, res.stderr
    amqp_url = f"amqp://guest:guest@127.0.0.1:{cfg.amqp_port}/{vhost}"
    prefix = f"f{secrets.token_hex(3)}_"
    settings = {**infra.settings_overrides(), "amqp_url": amqp_url, "mongo_db_prefix": prefix,
                "s3_bucket_prefix": prefix.rstrip("_").replace("_", "-"), "log_json": True,
                "outbox_lease_seconds": 3, "outbox_poll_seconds": 0.5, "amqp_exchange": "anjian.events",
                "identity_url": "http://127.0.0.1:9"}  # no identity here: these worlds take no HTTP writes
    world = FaultWorld(settings=settings, amqp_url=amqp_url, db_prefix=prefix,
                       log_dir=Path(tmp_path_factory.mktemp("fault-world")), mongo=AsyncMongoClient(infra.mongo_url))
    try:
        yield world
    finally:
        for proc in world.processes:
            proc.kill()
        if world.connection is not None:
            await world.connection.close()
        await world.mongo.close()
        await asyncio.to_thread(rabbitmqctl, cfg, "delete_vhost", vhost)
