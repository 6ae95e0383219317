"""MongoDB access: tenant-scoped repositories and the unit of work.

Every stored document carries ``tenant_id``; ``TenantRepository`` adds it to every
filter and every insert, so no handler can forget it (PLAT-01). ``UnitOfWork``
opens a session and a transaction: the use case's writes and the events it emits
(rows of the ``outbox`` collection) commit together or not at all; after a commit
the outbox relay is woken so the events go out at once.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

import structlog
from pydantic import BaseModel
from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure, PyMongoError

from . import audit
from .events import make_event
from .retry import DEPENDENCY_WAIT, TRANSACTION_CONFLICT
from .types import utcnow

log = structlog.get_logger("anjian.mongo")
T = TypeVar("T")

OUTBOX = "outbox"
INBOX = "inbox"
COMMITS = "commits"
"""One marker per committed unit of work (kept a day): tells whether a commit whose answer
was lost did happen."""


HEARTBEAT_TIMEOUT_MS = 20_000
"""``connectTimeoutMS``, which PyMongo's monitor also uses as the heartbeat's socket timeout (SDAM
spec). A heartbeat that times out marks the server Unknown AND cancels every operation in
flight on it (``_OperationCancelled`` → 503). At 5 s, a database pausing under load for a few
seconds (or a busy event loop) cancelled healthy requests for a minute at a time: the full
suite's late world builders got 503 from identity in three runs out of three. 20 s is PyMongo's
own default; a dead server is still found at once (connection refused) and a request still
waits at most ``timeout_ms`` to select a server before its 503."""


MAX_IDLE_MS = 120_000
"""``maxIdleTimeMS``: a pooled connection unused this long is closed and replaced at its next
checkout instead of being used. Servers and the network in between drop idle connections:
the embedded SecantusDB closes any connection idle for 300 s, and so do NAT gateways and
load balancers (often after 350 s or less). PyMongo's async pool does not notice such a
close while the connection sits in the pool (its transport is not reading), so the next
write on it failed: ``AutoReconnect('connection closed')`` → 503. ``make test`` met it after
15 minutes: two of five concurrent one-time-code sign-ins got connections their identity
pool had left idle for over five minutes. 120 s stays under SecantusDB's 300 s and the
common cloud load-balancer limits (240–350 s) and costs one reconnect per two idle minutes;
a network that drops idle connections sooner is met with ``maxIdleTimeMS`` in the URL."""


def connect(url: str, *, timeout_ms: int = 5000, max_idle_ms: int = MAX_IDLE_MS) -> AsyncMongoClient:
    """An AsyncMongoClient (lazy: connects on first use) with short, explicit timeouts:
    ``timeout_ms`` to select a server (then 503 + Retry-After), :data:`HEARTBEAT_TIMEOUT_MS`
    to connect and for heartbeats; pooled connections idle ``max_idle_ms`` are retired
    (:data:`MAX_IDLE_MS`; a ``maxIdleTimeMS`` in the URL overrides it).

    Writes are acknowledged only once they are journaled on a majority (``w="majority"``,
    ``j=True``): inspection findings and notices are legal records, and a write the
    server merely holds in memory is lost when its process dies (found by the fault
    test F4: a SIGKILLed database forgot acknowledged plans and notices). A ``w``/
    ``journal`` in the URL overrides this.
    """
    options = {k.lower() for k in parse_qs(urlsplit(url).query)}
    defaults: dict[str, Any] = {}  # each only where the URL does not say it
    if "w" not in options:
        defaults["w"] = "majority"
    if "journal" not in options:
        defaults["journal"] = True
    if "maxidletimems" not in options:
        defaults["maxIdleTimeMS"] = max_idle_ms
    return AsyncMongoClient(
        url,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=max(timeout_ms, HEARTBEAT_TIMEOUT_MS),
        uuidRepresentation="standard",
        **defaults,
    )


class TenantRepository:
    """One collection seen through one tenant. Filters and inserts get ``tenant_id``.

    Documents use ``_id`` = the aggregate id (see ``types.new_id``). Pass ``session``
    to take part in a unit of work's transaction.
    """

    def __init__(self, collection: AsyncCollection, tenant_id: str,
                 session: AsyncClientSession | None = None, journal: audit.Journal | None = None) -> None:
        if not tenant_id:
            raise ValueError("tenant_id is required")
        self.collection = collection
        self.tenant_id = tenant_id
        self.session = session
        self.journal = journal
        """The unit of work's audit journal: its writes are noted for the audit trail."""

    def _note(self, op: str, object_id: Any, detail: Any) -> None:
        if self.journal is not None:
            self.journal.note(op, self.collection.name, object_id, detail)

    def _scope(self, flt: Mapping[str, Any] | None) -> dict[str, Any]:
        scoped = dict(flt or {})
        scoped["tenant_id"] = self.tenant_id
        return scoped

    async def get(self, id: str) -> dict[str, Any] | None:
        return await self.collection.find_one(self._scope({"_id": id}), session=self.session)

    async def find_one(self, flt: Mapping[str, Any] | None = None, **kw: Any) -> dict[str, Any] | None:
        return await self.collection.find_one(self._scope(flt), session=self.session, **kw)

    async def find(self, flt: Mapping[str, Any] | None = None, *, sort: list[tuple[str, int]] | None = None,
                   limit: int = 100, skip: int = 0, projection: Mapping[str, Any] | None = None,
                   ) -> list[dict[str, Any]]:
        cursor = self.collection.find(self._scope(flt), projection, session=self.session)
        if sort:
            cursor = cursor.sort(sort)
        if skip:
            cursor = cursor.skip(skip)
        if limit:
            cursor = cursor.limit(limit)
        return await cursor.to_list()

    async def count(self, flt: Mapping[str, Any] | None = None) -> int:
        return await self.collection.count_documents(self._scope(flt), session=self.session)

    async def insert(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        stored = dict(doc)
        stored["tenant_id"] = self.tenant_id
        await self.collection.insert_one(stored, session=self.session)
        self._note("insert", stored.get("_id"), {k: v for k, v in stored.items() if k != "tenant_id"})
        return stored

    async def update(self, flt: Mapping[str, Any], update: Mapping[str, Any], *,
                     returning: bool = True) -> dict[str, Any] | None:
        """Atomically update one matching document; returns it after the update, or None.
        ``returning=False`` (a caller that only asks whether it matched): in a transaction,
        by ``_id``, the document is not read back and ``{"_id": …}`` stands for it.

        In a transaction, a filter naming one ``_id`` (nearly every use) is an ``update_one``
        followed by a ``find_one`` of that id: the transaction reads its own write, so the result
        is the same post-image as ``findAndModify``'s, at the cost of one more round trip. The
        reason is the embedded database: SecantusDB (0.7) re-checks a findAndModify's query as
        ``{_id, $and: [query]}``, a filter no index serves, so every call scanned the whole
        collection — 30–110 ms per update at 3,000 plans against 2–3 ms this way (``make bench``
        found it: adding a result spent two thirds of the database's time there; issue 16).
        Outside a transaction the single atomic ``findAndModify`` stays."""
        id_ = flt.get("_id")
        if id_ is not None and not isinstance(id_, Mapping) and self.session is not None \
                and self.session.in_transaction:
            scoped = {"_id": id_, **{k: v for k, v in flt.items() if k != "_id"}, "tenant_id": self.tenant_id}
            res = await self.collection.update_one(scoped, update, session=self.session)
            if not res.matched_count:
                return None
            doc = (await self.collection.find_one({"_id": id_, "tenant_id": self.tenant_id}, session=self.session)
                   if returning else {"_id": id_})
        else:
            doc = await self.collection.find_one_and_update(
                self._scope(flt), update, session=self.session, return_document=ReturnDocument.AFTER
            )
        if doc is not None:
            self._note("update", doc.get("_id"), update)
        return doc

    async def delete(self, flt: Mapping[str, Any]) -> int:
        res = await self.collection.delete_one(self._scope(flt), session=self.session)
        if res.deleted_count:
            self._note("delete", flt.get("_id"), dict(flt))
        return res.deleted_count


COMMIT_PATIENCE_SECONDS = 30.0
"""How long a commit whose outcome is unknown is retried before the request fails (503)."""


class UnitOfWork:
    """State changes and their events in one MongoDB transaction.

    Use::

        async with uow_factory(tenant) as uow:
            plans = uow.repo("plans")
            await plans.insert({...})
            uow.emit("inspections.plan.confirmed.v1", subject=plan_id, data=PlanConfirmed(...))
            await uow.commit()

    Leaving the block without ``commit()`` (or by an exception) aborts: nothing half
    written stays behind.
    """

    def __init__(self, client: AsyncMongoClient, db: AsyncDatabase, tenant_id: str, service: str,
                 on_commit: Callable[[], None] | None = None) -> None:
        self.client = client
        self.db = db
        self.tenant_id = tenant_id
        self.service = service
        self._on_commit = on_commit
        self._events: list[dict[str, Any]] = []
        self.session: AsyncClientSession | None = None
        self.committed = False
        self.commit_id = uuid.uuid4().hex
        self.journal = audit.Journal()
        """What this unit changed through its repositories: one audit entry at ``commit()``."""
        self._audited_events = 0

    @property
    def audit_action(self) -> str | None:
        """The action this unit's audit entry names (e.g. ``"plan.submitted"``); default: the
        first event emitted, else ``<collection>.<operation>``."""
        return self.journal.action

    @audit_action.setter
    def audit_action(self, value: str | None) -> None:
        self.journal.action = value

    async def __aenter__(self) -> UnitOfWork:
        self.session = self.client.start_session()
        await self.session.start_transaction()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        assert self.session is not None
        try:
            if self.session.in_transaction:
                await self.session.abort_transaction()
        except PyMongoError:  # the server may already have aborted it
            pass
        finally:
            await self.session.end_session()

    def repo(self, collection: str) -> TenantRepository:
        """The tenant-scoped repository of ``collection`` inside this transaction."""
        return TenantRepository(self.db[collection], self.tenant_id, self.session, journal=self.journal)

    def emit(self, type: str, *, subject: str, data: BaseModel) -> None:
        """Queue an event; it is written to the outbox in this transaction at ``commit()``."""
        event = make_event(type=type, tenant=self.tenant_id, service=self.service, subject=subject, data=data)
        self._events.append(event.model_dump(mode="json"))

    async def commit(self) -> None:
        assert self.session is not None
        if self._events:
            now = utcnow()
            rows = [
                {"_id": e["id"], "tenant_id": self.tenant_id, "type": e["type"], "event": e,
                 "status": "pending", "created_at": now, "attempts": 0, "claimed_until": None}
                for e in self._events
            ]
            await self.db[OUTBOX].insert_many(rows, session=self.session)
        await self.stage_audit()
        now = utcnow()
        await self.db[COMMITS].insert_one({"_id": self.commit_id, "tenant_id": self.tenant_id, "at": now,
                                           "expires_at": now + timedelta(days=1)}, session=self.session)
        await self._commit_resolving_unknown_result()
        self.committed = True
        if self._events and self._on_commit:
            self._on_commit()


    async def stage_audit(self) -> None:
        """Stage the audit entry of what this unit changed since the last one — under the audit
        context of NOW (actor, origin, trace) — and start a new journal. ``commit()`` calls it
        for the rest; a consumer applying several events in one transaction
        (``bus.handle_batch``) calls it after each, so every event keeps an entry of its own,
        naming its own event and trace, and one handler switching its journal off (a read-model
        copy) does not silence the others'."""
        assert self.session is not None
        if (self.journal.changes or self.journal.forced) and self.journal.enabled:
            # staged in this transaction (anjian_shared.audit: chained by the sealer)
            entry = audit.build_entry(tenant=self.tenant_id, service=self.service, journal=self.journal,
                                      events=self._events[self._audited_events:], at=utcnow(),
                                      retention_days=await audit_retention_days(self.db, self.tenant_id))
            await audit.stage(self.db, self.session, entry)
        self._audited_events = len(self._events)
        self.journal = audit.Journal()

    async def _commit_resolving_unknown_result(self, patience: float = COMMIT_PATIENCE_SECONDS) -> None:
        """``commitTransaction``; when its outcome is unknown, find out instead of guessing.

        If the connection drops during a commit the server may or may not have applied
        it (label ``UnknownTransactionCommitResult``). Failing the request then lets the
        client retry a write that perhaps happened — a second result, a second notice
        (found by the fault test F4: a SIGKILLed database). So the commit is retried
        while the database is unreachable (MongoDB allows repeating a commit; policy
        ``retry.DEPENDENCY_WAIT``, up to ``patience`` seconds); when the database answers
        with an error (a restarted server has forgotten the transaction) the unit's marker
        in ``commits`` — written in the same transaction — decides: there, the unit
        committed and this returns normally; absent, it did not and the first error
        propagates (``with_transaction`` may then safely run the unit again). Still
        unreachable after ``patience``: the first error propagates (503).
        """
        from .problems import dependency_unavailable

        assert self.session is not None
        session = self.session
        try:
            await session.commit_transaction()
            return
        except PyMongoError as exc:
            if not (exc.has_error_label("UnknownTransactionCommitResult") or dependency_unavailable(exc)):
                raise
            unknown = exc
        log.warning("commit outcome unknown, resolving", commit_id=self.commit_id, error=repr(unknown)[:200])

        async def resolve() -> None:
            try:
                await session.commit_transaction()
                return
            except PyMongoError as exc:
                if dependency_unavailable(exc):
                    raise  # still unreachable: the outcome is still unknown
            try:
                marker = await self.db[COMMITS].find_one({"_id": self.commit_id})
            except PyMongoError as exc:
                if dependency_unavailable(exc):
                    raise
                raise unknown from exc
            if marker is None:
                raise unknown
            log.warning("commit had been applied; its answer was lost", commit_id=self.commit_id)

        try:
            await DEPENDENCY_WAIT.call(
                resolve, timeout=patience, what="commit resolution",
                retry_if=lambda exc: exc is not unknown and dependency_unavailable(exc) is not None)
        except PyMongoError as exc:
            if exc is unknown:
                raise
            raise unknown from exc


_RETENTION_CACHE: dict[tuple[str, str], tuple[int, float]] = {}
RETENTION_CACHE_SECONDS = 300.0


async def audit_retention_days(db: Any, tenant: str) -> int:
    """The tenant's audit retention (tenant policy limit ``audit_retention_days``, ≥ 183), read
    at most every ``RETENTION_CACHE_SECONDS`` per process; the minimum when it cannot be read."""
    import time

    key = (getattr(db, "name", "?"), tenant)
    cached = _RETENTION_CACHE.get(key)
    if cached and time.monotonic() - cached[1] < RETENTION_CACHE_SECONDS:
        return cached[0]
    days = audit.MIN_RETENTION_DAYS
    try:
        from .tenant_policy import POLICY_COLLECTION

        for collection in (POLICY_COLLECTION, "tenant_policies"):  # a service's read model, identity's own
            doc = await db[collection].find_one({"_id": tenant}, {"limits": 1})
            given = ((doc or {}).get("limits") or {}).get("audit_retention_days")
            if isinstance(given, int):
                days = max(days, given)
                break
    except PyMongoError:
        pass
    _RETENTION_CACHE[key] = (days, time.monotonic())
    return days


class Database(Protocol):
    """What the platform uses of an ``AsyncDatabase``: its name and its collections."""

    @property
    def name(self) -> str: ...

    def __getitem__(self, name: str) -> Any: ...


class UnitOfWorkFactory(Protocol):
    """What use cases take as ``mongo``: ``Mongo`` in the services, ``FakeDatabase``
    (``anjian_shared.testing.fakes``) in unit tests.

    ``uow(tenant)`` opens a unit of work (``async with``), ``repo(collection, tenant)`` a
    tenant-scoped repository outside any transaction; ``db`` is the database (its ``name``
    keys ``with_transaction``'s aggregate locks); ``on_commit`` is called after a commit
    that emitted events (the outbox relay's wake-up)."""

    service: str
    on_commit: Callable[[], None] | None

    @property
    def db(self) -> Database: ...

    def uow(self, tenant_id: str) -> UnitOfWork: ...

    def repo(self, collection: str, tenant_id: str) -> TenantRepository: ...


class Mongo:
    """A service's database handle: the client, its database and a unit-of-work factory."""

    def __init__(self, url: str, db_name: str, service: str) -> None:
        self.client = connect(url)
        self.db = self.client[db_name]
        self.service = service
        self.on_commit: Callable[[], None] | None = None

    def uow(self, tenant_id: str) -> UnitOfWork:
        return UnitOfWork(self.client, self.db, tenant_id, self.service, on_commit=self.on_commit)

    def repo(self, collection: str, tenant_id: str) -> TenantRepository:
        """A tenant-scoped repository outside any transaction (reads, single-document writes)."""
        return TenantRepository(self.db[collection], tenant_id)

    async def ping(self) -> None:
        await self.client.admin.command("ping")

    async def ensure_platform_indexes(self) -> None:
        """Indexes every service needs: outbox scanning, inbox uniqueness, idempotency keys."""
        await self.db[OUTBOX].create_index([("status", 1), ("created_at", 1)])
        await self.db["idempotency"].create_index("expires_at", expireAfterSeconds=0)
        await self.db[COMMITS].create_index("expires_at", expireAfterSeconds=0)
        await audit.ensure_indexes(self.db)

    async def close(self) -> None:
        await self.client.close()


_AGGREGATE_LOCKS: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def _aggregate_lock(key: str) -> asyncio.Lock:
    """The in-process lock of one aggregate; dropped once nobody holds or waits for it."""
    lock = _AGGREGATE_LOCKS.get(key)
    if lock is None:
        lock = asyncio.Lock()
        _AGGREGATE_LOCKS[key] = lock
    return lock


async def with_transaction(mongo: UnitOfWorkFactory, tenant_id: str, fn: Callable[[UnitOfWork], Awaitable[T]],
                           *, attempts: int = 8, aggregate: str | None = None) -> T:
    """Run ``fn(uow)`` in a transaction and commit; retried on transient conflicts.

    ``fn`` must not commit itself. Errors raised by ``fn`` abort and propagate. Retries follow
    ``retry.TRANSACTION_CONFLICT`` (``attempts`` of them; ≈20 ms … 2.5 s, jittered, ≈5 s in
    all): ``make bench`` updating one project 10 times a second exhausted 5 unjittered
    attempts (≈0.3 s) and answered 503.

    ``aggregate`` (e.g. ``"plan:<id>"``) names the document every such unit updates: units
    of one aggregate then run one after the other within this process, first come first
    served, and only units of other replicas can still conflict. Without it, a unit can lose
    the race to newer ones 8 times in a row under sustained load (``make bench``, 16
    clients adding results to 16 plans: one 503 in ~700 requests).
    """
    if aggregate is not None:
        async with _aggregate_lock(f"{mongo.db.name}:{tenant_id}:{aggregate}"):
            return await with_transaction(mongo, tenant_id, fn, attempts=attempts)

    async def run() -> T:
        async with mongo.uow(tenant_id) as uow:
            result = await fn(uow)
            await uow.commit()
            return result

    return await TRANSACTION_CONFLICT.call(run, attempts=attempts, retry_if=transaction_conflict,
                                           what="transaction")


def transaction_conflict(exc: BaseException) -> bool:
    """A transaction that lost a race and may run again: MongoDB's ``TransientTransactionError``
    label, WriteConflict (112) or NoSuchTransaction (251)."""
    return isinstance(exc, OperationFailure) and (
        exc.has_error_label("TransientTransactionError") or exc.code in (112, 251))
