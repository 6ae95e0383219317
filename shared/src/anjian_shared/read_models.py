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

``read_model(subscription, collection=…, events={type: (id_of, to_doc)})`` is the one consumer
of such snapshots: it registers a handler per event type on an ``anjian_shared.bus.Subscription``
that applies the payload through ``apply_snapshot`` inside the bus's inbox transaction (so a
redelivered event has no second effect and an older one never overwrites a newer one).
``PROJECTS``, ``USERS`` and ``ORGANIZATIONS`` are the event maps of the directories most
services keep::

    directory = Subscription("project-directory")
    read_model(directory, collection="projects", events=PROJECTS)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from . import metrics
from .types import utcnow

if TYPE_CHECKING:  # the bus needs aio-pika; this module only registers handlers on it
    from .bus import Subscription
    from .events import CloudEvent
    from .mongo import UnitOfWork

RESERVED = ("_id", "tenant_id", "created_at")


def newer_than_held(version: int | None, time: datetime, held: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The filter matching a held snapshot that (``version``, ``time``) supersedes.

    With a version: a held one with a lower version or none at all. Without (an event of a
    producer from before versions): a held one without a version and an older time.

    Given the ``held`` document just read, the filter is narrowed to the branch that document
    is on, with no top-level ``$or``: the write stays conditional (a concurrent change makes it
    match nothing), and the embedded database (SecantusDB 0.7) serves it from the ``_id`` —
    a top-level operator made every read-model write scan its whole collection (issue 16:
    draining 10,000 project registrations got slower with every project held).
    """
    if held is not None:
        if version is not None:
            held_version = held.get("source_version")
            return {"source_version": None} if held_version is None else {"source_version": {"$lt": version}}
        held_time = held.get("source_time")
        return {"source_version": None, "source_time": None if held_time is None else {"$lt": time}}
    if version is not None:
        return {"$or": [{"source_version": {"$lt": version}}, {"source_version": None}]}
    # a document kept before read models recorded the event time has none: any event supersedes it
    return {"source_version": None, "$or": [{"source_time": {"$lt": time}}, {"source_time": None}]}


async def apply_snapshot(repo: Any, id_: str, doc: Mapping[str, Any], *, version: int | None,
                         time: datetime) -> bool:
    """Upsert ``doc`` as the snapshot ``id_`` of ``repo``'s tenant unless the held one is as
    new or newer. Returns True when applied, False when dropped as stale (or a duplicate).

    ``repo`` is a ``TenantRepository`` (or the in-memory fake) inside the consumer's unit of
    work, so the inbox record and this write commit together. The held document is read by
    ``_id`` first, then written under the condition of its branch (``newer_than_held``); if it
    changed in between, the decision is taken again on what is held now.
    """
    fields = {k: v for k, v in doc.items() if k not in RESERVED}
    fields.update(source_version=version, source_time=time, updated_at=utcnow())
    held = await repo.get(id_)
    for _ in range(3):
        if held is None:
            # a concurrent consumer inserting the same id makes this unit conflict and run again
            # (with_transaction / the bus's redelivery), and then the comparison decides
            await repo.insert({"_id": id_, "created_at": utcnow(), **fields})
            return True
        if await repo.update({"_id": id_, **newer_than_held(version, time, held)}, {"$set": fields}) is not None:
            return True
        again = await repo.get(id_)
        if again is not None and _mark(again) == _mark(held):
            return False  # the held snapshot is as new or newer: the event is stale
        held = again  # it changed meanwhile: decide again
    return False


def _mark(doc: Mapping[str, Any]) -> tuple[Any, Any]:
    return doc.get("source_version"), doc.get("source_time")


IdOf = Callable[[Any], str]
"""The read-model document id of a payload, e.g. ``lambda p: p.project_id``."""
ToDoc = Callable[[Any], Mapping[str, Any]]
"""The read-model document's fields of a payload (without ``_id``/``tenant_id``)."""


def snapshot_fields(payload: BaseModel) -> dict[str, Any]:
    """The whole payload as JSON-ready fields, without its ``version`` (stored as
    ``source_version``)."""
    return payload.model_dump(mode="json", exclude={"version"})


def version_of(payload: BaseModel) -> int | None:
    """The aggregate version a snapshot carries (None for producers from before versions)."""
    version = getattr(payload, "version", None)
    return version if isinstance(version, int) else None


def read_model(subscription: Subscription, *, collection: str,
               events: Mapping[str, tuple[IdOf, ToDoc]]) -> Subscription:
    """Keep ``collection`` (this service's database, per tenant) as a read model of snapshots.

    Registers on ``subscription`` one handler per event type of ``events``; each applies
    ``to_doc(payload)`` as the document ``id_of(payload)`` through ``apply_snapshot`` with the
    payload's ``version`` and the event's ``time``: a newer snapshot replaces the held one, an
    older or equal one is dropped (logged by the bus as handled: it was, by being ignored).
    Several read models may share one subscription (one queue) with different event types.
    Returns ``subscription``.
    """
    for event_type, (id_of, to_doc) in events.items():
        subscription.on(event_type)(_snapshot_handler(collection, id_of, to_doc))
    return subscription


def _snapshot_handler(collection: str, id_of: IdOf, to_doc: ToDoc
                      ) -> Callable[[UnitOfWork, CloudEvent, BaseModel], Any]:
    async def keep_snapshot(uow: UnitOfWork, event: CloudEvent, payload: BaseModel) -> None:
        uow.journal.enabled = False  # a copy of another service's record: its owner audited the change
        await apply_snapshot(uow.repo(collection), id_of(payload), to_doc(payload),
                             version=version_of(payload), time=event.time)
        metrics.read_model_applied(collection, event.time)

    keep_snapshot.__doc__ = f"Apply the snapshot to the read model ``{collection}`` (newest wins)."
    return keep_snapshot


def user_fields(payload: Any) -> dict[str, Any]:
    """A user as other services read them: organisation, names, roles, enabled (no mobile)."""
    return {"user_id": payload.user_id, "org_id": payload.org_id, "username": payload.username,
            "display_name": payload.display_name, "roles": list(payload.roles),
            "enabled": getattr(payload, "enabled", True)}


PROJECTS: dict[str, tuple[IdOf, ToDoc]] = {
    t: (lambda p: p.project_id, snapshot_fields)
    for t in ("projects.project.registered.v1", "projects.project.updated.v1")}
"""The project directory: the whole ``ProjectSnapshot`` by ``project_id`` (HB-02, HN-01, HN-07)."""

USERS: dict[str, tuple[IdOf, ToDoc]] = {
    t: (lambda p: p.user_id, user_fields)
    for t in ("identity.user.created.v1", "identity.user.updated.v1")}
"""The user directory by ``user_id``: ``user_fields`` (names in events, reviewers, repliers)."""

ORGANIZATIONS: dict[str, tuple[IdOf, ToDoc]] = {
    "identity.organization.created.v1": (lambda p: p.org_id, snapshot_fields)}
"""The organisation directory by ``org_id``: name, kind, company roles, parent, region."""
