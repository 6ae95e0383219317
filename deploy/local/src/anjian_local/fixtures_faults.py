"""Helpers for fault tests: restart an embedded infrastructure process and wait for it."""

from __future__ import annotations

import asyncio

from .infra import EmbeddedInfra, wait_rabbit, wait_s3, wait_tcp


async def restart_process(infra: EmbeddedInfra, name: str) -> None:
    """Start ``name`` again (after a kill) and wait until it serves."""
    infra.start_process(infra.spec(name))
    if name == "rabbitmq":
        await asyncio.to_thread(wait_rabbit, infra.cfg)
    elif name == "mongodb":
        await asyncio.to_thread(wait_tcp, infra.cfg.mongo_port, 30)
    elif name == "s3":
        await asyncio.to_thread(wait_s3, infra.cfg)
