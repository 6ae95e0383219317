"""The year-end job (HUN-04): every replica runs it at start and every
``staffing_freeze_interval_seconds``; freezing is exactly once per agency and year however many
replicas run it (the return's ``_id`` decides)."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from fastapi import FastAPI

from anjian_shared.retry import DEPENDENCY_WAIT
from anjian_shared.types import TENANTS

from .agencies import freeze_due_years

log = structlog.get_logger("personnel.year_end")


async def freeze_all(mongo: Any, now: Any = None) -> int:
    """One pass over every tenant; returns how many returns it froze."""
    frozen = 0
    for tenant in TENANTS:
        frozen += await freeze_due_years(mongo=mongo, tenant=tenant, now=now)
    return frozen


async def year_end_loop(app: FastAPI) -> None:
    """Background task (``ServiceSpec.background``): a pass at start, then one per interval.
    Errors are logged; the loop goes on."""
    while True:
        try:
            frozen = await DEPENDENCY_WAIT.call(lambda: freeze_all(app.state.mongo), what="year-end freeze")
            if frozen:
                log.info("staffing returns frozen", count=frozen)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - database away: next pass
            log.warning("year-end freeze failed", error=repr(exc)[:300])
        await asyncio.sleep(app.state.settings.staffing_freeze_interval_seconds)
