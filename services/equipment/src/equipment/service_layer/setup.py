"""Startup of equipment's database (the entrypoint reaches adapters only through here)."""

from __future__ import annotations

from anjian_shared.mongo import UnitOfWorkFactory

from ..adapters import store


async def ensure_indexes(mongo: UnitOfWorkFactory) -> None:
    """The unique indexes the locks and the registry rest on, and the HEB-14 migration of
    stored ``worker_user_ids`` (both idempotent)."""
    await store.ensure_indexes(mongo)
    await store.migrate_legacy_workers(mongo)
