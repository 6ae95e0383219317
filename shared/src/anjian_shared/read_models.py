"""Read models of another service's aggregates (projects, users, organisations …).

A service never reads another's database; it keeps the snapshots the owner publishes
(``projects.project.updated.v1`` carries the whole project). Events of one aggregate can
arrive out of order (a redelivery after a newer event, two replicas of a consumer, an
operator replaying dead letters), so a snapshot is applied only when it is newer than the
one held: ``apply_snapshot`` compares the aggregate's ``version`` carried by the event
(a number the owner increments with every change) and, for events published before the
owner carried versions, the event ``time``. An older snapshot is dropped, never written.

Every read-model document gets ``source_version`` (int or None), ``source_time`` (the event's
time) and ``updated_at`` (when it was applied: the read model's lag is now − ``source_time``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .types import utcnow

RESERVED = ("_id", "tenant_id", "created_at")


def newer_than_held(version: int | None, time: datetime) -> dict[str, Any]:
    """The filter matching a held snapshot that (``version``, ``time``) supersedes.

    With a version: a held one with a lower version or none at all. Without (an event of a
    producer from before versions): a held one without a version and an older time.
    """
    if version is not None:
        return {"$or": [{"source_version": {"$lt": version}}, {"source_version": None}]}
    return {"source_version": None, "source_time": {"$lt": time}}


async def apply_snapshot(repo: Any, id_: str, doc: Mapping[str, Any], *, version: int | None,
                         time: datetime) -> bool:
    """Upsert ``doc`` as the snapshot ``id_`` of ``repo``'s tenant unless the held one is as
    new or newer. Returns True when applied, False when dropped as stale (or a duplicate).

    ``repo`` is a ``TenantRepository`` (or the in-memory fake) inside the consumer's unit of
    work, so the inbox record and this write commit together.
    """
    fields = {k: v for k, v in doc.items() if k not in RESERVED}
    fields.update(source_version=version, source_time=time, updated_at=utcnow())
    updated = await repo.update({"_id": id_, **newer_than_held(version, time)}, {"$set": fields})
    if updated is not None:
        return True
    if await repo.get(id_) is not None:
        return False  # held snapshot is as new or newer: the event is stale
    # a concurrent consumer inserting the same id makes this unit conflict and run again
    # (with_transaction / the bus's redelivery), and then the comparison above decides
    await repo.insert({"_id": id_, "created_at": utcnow(), **fields})
    return True
