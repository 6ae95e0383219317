"""In-memory fakes of the database and the object storage, for unit tests of use cases.

``FakeDatabase`` satisfies ``anjian_shared.mongo.UnitOfWorkFactory`` (what use cases take
as ``mongo``): ``uow(tenant)``, ``repo(collection, tenant)``, ``db[collection]``,
``service``, ``on_commit``. ``with_transaction(fake, tenant, fn)`` runs unchanged on it,
aggregate locks and conflict retries included.

What is real and what is faked:

- The unit of work IS ``anjian_shared.mongo.UnitOfWork`` (``FakeUnitOfWork`` subclasses it
  and overrides nothing of its behaviour): ``repo()``, ``emit()``, ``commit()`` with the
  outbox rows and the commit marker, the commit-outcome resolution. The repositories ARE
  ``TenantRepository`` (``FakeRepository``): tenant scoping is the real code.
- The collections are mongomock collections behind the async PyMongo signatures
  (``await col.find_one(...)``, ``col.find(...).sort(...).limit(...).to_list()``,
  ``session=``). mongomock brings MongoDB's filter, update-operator, sort and projection
  semantics; nothing here interprets a query.
- Transactions: a session in a transaction reads and writes private copies of the
  collections it touches (snapshot at first touch). ``commit_transaction`` applies the
  copies' differences atomically; when a document it changed was changed meanwhile by
  someone else it raises WriteConflict (code 112, label ``TransientTransactionError``)
  like MongoDB, and ``with_transaction`` retries. Abort (leaving the unit without commit,
  or by an exception) discards the copies: nothing half written stays behind.
- Faults: ``FakeDatabase.fail(method, error)`` makes the next call(s) of a collection method
  raise; ``FakeDatabase.fail_commit(error, applied=...)`` scripts the outcome of the next
  ``commitTransaction`` (applied or not, then the error: an unknown commit result).

Not modelled: TTL expiry, read concern subtleties, unique secondary indexes across two
transactions committing concurrently (checked inside each transaction only).

``FakeStorage`` keeps objects in a dict with the methods of ``anjian_shared.storage.Storage``
that services call, and can fail the Nth put (to test the rollback of stored media).
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import mongomock
from pymongo.errors import OperationFailure

from ..events.common import MediaRef
from ..mongo import OUTBOX, TenantRepository, UnitOfWork
from ..types import new_id

__all__ = [
    "FakeCollection",
    "FakeDatabase",
    "FakeRepository",
    "FakeSession",
    "FakeStorage",
    "FakeUnitOfWork",
    "write_conflict",
]

_EXT = {"image/jpeg": "jpg", "image/png": "png"}


def write_conflict() -> OperationFailure:
    """The error MongoDB raises when a transaction lost a race (code 112, transient)."""
    return OperationFailure(
        "WriteConflict error: this operation conflicted with another operation",
        code=112,
        details={"code": 112, "codeName": "WriteConflict", "errorLabels": ["TransientTransactionError"]},
    )


# --------------------------------------------------------------------------- transactions


class _View:
    """One collection as a transaction sees it: a private copy and the snapshot it started from."""

    def __init__(self, shared: mongomock.Collection, private: mongomock.Collection) -> None:
        self.shared = shared
        self.private = private
        self.base: dict[Any, dict[str, Any]] = {}
        for doc in shared.find():
            self.base[doc["_id"]] = doc
            private.insert_one(copy.deepcopy(doc))
        for name, info in shared.index_information().items():
            if name != "_id_" and info.get("unique"):
                private.create_index(info["key"], unique=True, name=name)


class _Transaction:
    def __init__(self, store: mongomock.Database) -> None:
        self.store = store
        self.scratch = mongomock.MongoClient(tz_aware=True)[store.name]
        self.views: dict[str, _View] = {}
        self.applied = False

    def view(self, name: str) -> mongomock.Collection:
        if name not in self.views:
            self.views[name] = _View(self.store[name], self.scratch[name])
        return self.views[name].private

    def _changes(self) -> list[tuple[mongomock.Collection, Any, dict[str, Any] | None]]:
        """What this transaction changed; WriteConflict if someone else committed a change
        to one of those documents since this transaction read it."""
        changes: list[tuple[mongomock.Collection, Any, dict[str, Any] | None]] = []
        for view in self.views.values():
            now = {doc["_id"]: doc for doc in view.private.find()}
            for _id in itertools.chain(view.base, (k for k in now if k not in view.base)):
                before, after = view.base.get(_id), now.get(_id)
                if before == after:
                    continue
                if view.shared.find_one({"_id": _id}) != before:
                    raise write_conflict()
                changes.append((view.shared, _id, after))
        return changes

    def check_conflicts(self) -> None:
        """After each write: like MongoDB, a write to a document another transaction changed
        since this one started fails at once (the caller's unit is then retried)."""
        self._changes()

    def apply(self) -> None:
        """Write the differences to the shared store, all or nothing."""
        if self.applied:
            return
        for shared, _id, after in self._changes():
            if after is None:
                shared.delete_one({"_id": _id})
            else:
                shared.replace_one({"_id": _id}, after, upsert=True)
        self.applied = True


@dataclass
class _CommitFault:
    error: BaseException
    applied: bool
    times: int = 1


class FakeSession:
    """``AsyncClientSession`` as ``UnitOfWork`` uses it."""

    def __init__(self, database: FakeDatabase) -> None:
        self._database = database
        self._txn: _Transaction | None = None
        self.ended = False

    @property
    def in_transaction(self) -> bool:
        return self._txn is not None

    async def start_transaction(self, **_: Any) -> None:
        self._txn = _Transaction(self._database.store)

    async def commit_transaction(self) -> None:
        # no await before applying: nothing interleaves between the unit's last write and this
        if self._txn is None:
            raise OperationFailure("Transaction has been aborted / no such transaction", code=251,
                                   details={"code": 251, "codeName": "NoSuchTransaction"})
        faults = self._database.commit_faults
        if faults:
            fault = faults[0]
            fault.times -= 1
            if fault.times <= 0:
                faults.pop(0)
            if fault.applied:
                self._txn.apply()
            raise fault.error
        try:
            self._txn.apply()
        except OperationFailure:
            self._txn = None  # MongoDB aborts a transaction that failed to commit
            raise
        self._txn = None
        self._database.commits += 1

    async def abort_transaction(self) -> None:
        self._txn = None

    async def end_session(self) -> None:
        self._txn = None
        self.ended = True

    def collection(self, name: str) -> mongomock.Collection | None:
        return self._txn.view(name) if self._txn is not None else None

    def after_write(self) -> None:
        if self._txn is not None:
            try:
                self._txn.check_conflicts()
            except OperationFailure:
                self._txn = None
                raise


class FakeClient:
    """The part of ``AsyncMongoClient`` the unit of work uses: ``start_session()``."""

    def __init__(self, database: FakeDatabase) -> None:
        self._database = database

    def start_session(self, **_: Any) -> FakeSession:
        return FakeSession(self._database)

    async def close(self) -> None:
        return None


# --------------------------------------------------------------------------- collections


class FakeCursor:
    """``AsyncCursor``: ``sort``/``skip``/``limit`` chain, then ``await to_list()`` or ``async for``."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._steps: list[tuple[str, tuple[Any, ...]]] = []

    def sort(self, *args: Any) -> FakeCursor:
        self._steps.append(("sort", args))
        return self

    def skip(self, n: int) -> FakeCursor:
        self._steps.append(("skip", (n,)))
        return self

    def limit(self, n: int) -> FakeCursor:
        self._steps.append(("limit", (n,)))
        return self

    def batch_size(self, _n: int) -> FakeCursor:
        return self

    async def to_list(self, length: int | None = None) -> list[dict[str, Any]]:
        await asyncio.sleep(0)
        cursor = self._make()
        for name, args in self._steps:
            cursor = getattr(cursor, name)(*args)
        docs = list(cursor)
        return docs[:length] if length else docs

    def __aiter__(self) -> Any:
        async def gen() -> Any:
            for doc in await self.to_list():
                yield doc
        return gen()


_WRITES = frozenset({
    "insert_one", "insert_many", "replace_one", "update_one", "update_many", "delete_one",
    "delete_many", "find_one_and_update", "find_one_and_replace", "find_one_and_delete", "bulk_write",
})
_ASYNC_METHODS = _WRITES | frozenset({
    "find_one", "count_documents", "estimated_document_count", "distinct", "create_index",
    "create_indexes", "drop_index", "drop_indexes", "index_information", "drop",
})


class FakeCollection:
    """An ``AsyncCollection`` over mongomock: every method of the list above is awaitable and
    takes ``session=``; inside a transaction it works on the transaction's copy."""

    def __init__(self, database: FakeDatabase, name: str) -> None:
        self._database = database
        self.name = name
        self.full_name = f"{database.name}.{name}"

    def _target(self, session: Any) -> mongomock.Collection:
        if isinstance(session, FakeSession):
            private = session.collection(self.name)
            if private is not None:
                return private
        return self._database.store[self.name]

    def find(self, filter: Mapping[str, Any] | None = None, projection: Any = None, *,
             session: Any = None, **kw: Any) -> FakeCursor:
        self._database.check_fault("find", self.name)
        return FakeCursor(lambda: self._target(session).find(filter, projection, **kw))

    async def aggregate(self, pipeline: list[dict[str, Any]], *, session: Any = None, **kw: Any) -> FakeCursor:
        self._database.check_fault("aggregate", self.name)
        return FakeCursor(lambda: self._target(session).aggregate(pipeline, **kw))

    def __getattr__(self, name: str) -> Any:
        if name not in _ASYNC_METHODS:
            raise AttributeError(name)

        async def call(*args: Any, session: Any = None, **kw: Any) -> Any:
            await asyncio.sleep(0)  # let other tasks interleave, as with a real server
            self._database.check_fault(name, self.name)
            result = getattr(self._target(session), name)(*args, **kw)
            if name in _WRITES and isinstance(session, FakeSession):
                session.after_write()
            return result

        call.__name__ = name
        return call


class FakeDb:
    """``AsyncDatabase``: ``db["name"]`` or ``db.name_of_collection``; ``db.name`` is its name."""

    def __init__(self, database: FakeDatabase) -> None:
        self._database = database
        self.name = database.name
        self._collections: dict[str, FakeCollection] = {}

    def __getitem__(self, name: str) -> FakeCollection:
        if name not in self._collections:
            self._collections[name] = FakeCollection(self._database, name)
        return self._collections[name]

    def get_collection(self, name: str, **_: Any) -> FakeCollection:
        return self[name]

    def __getattr__(self, name: str) -> FakeCollection:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    async def command(self, *_: Any, **__: Any) -> dict[str, Any]:
        return {"ok": 1.0}


class FakeRepository(TenantRepository):
    """``TenantRepository`` on a fake collection: the real scoping code, unchanged."""


class FakeUnitOfWork(UnitOfWork):
    """``UnitOfWork`` on the fake database: the real ``repo``/``emit``/``commit`` code.

    ``events`` are the events emitted in this unit (the CloudEvents as dicts); once
    committed they are in ``FakeDatabase.outbox``."""

    def repo(self, collection: str) -> FakeRepository:
        return FakeRepository(self.db[collection], self.tenant_id, self.session, journal=self.journal)

    @property
    def events(self) -> list[dict[str, Any]]:
        return list(self._events)


@dataclass
class _Fault:
    method: str
    collection: str | None
    error: BaseException
    times: int


class FakeDatabase:
    """A service's database in memory; satisfies ``anjian_shared.mongo.UnitOfWorkFactory``.

    Use::

        mongo = FakeDatabase(service="inspections")
        await submit_plan(mongo=mongo, principal=p, plan_id=pid)      # any use case
        assert [e["type"] for e in mongo.outbox] == ["inspections.plan.submitted.v1"]
        assert (await mongo.repo("plans", "hubei").get(pid))["status"] == "submitted"
    """

    _names = itertools.count(1)

    def __init__(self, service: str = "test", *, name: str | None = None) -> None:
        self.service = service
        self.name = name or f"{service}-fake-{next(self._names)}"
        self.store: mongomock.Database = mongomock.MongoClient(tz_aware=True)[self.name]
        self.client = FakeClient(self)
        self.db = FakeDb(self)
        self.on_commit: Callable[[], None] | None = None
        self.commit_faults: list[_CommitFault] = []
        self.faults: list[_Fault] = []
        self.commits = 0
        """Transactions committed (applied) so far."""
        self.calls: list[tuple[str, str | None]] = []
        """Every collection method called, as (method, collection), in order."""

    # -- UnitOfWorkFactory
    def uow(self, tenant_id: str) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.client, self.db, tenant_id, self.service,  # type: ignore[arg-type]
                              on_commit=self.on_commit)

    def repo(self, collection: str, tenant_id: str) -> FakeRepository:
        return FakeRepository(self.db[collection], tenant_id)  # type: ignore[arg-type]

    # -- what Mongo offers besides
    async def ping(self) -> None:
        self.check_fault("ping", None)

    async def ensure_platform_indexes(self) -> None:
        return None

    async def close(self) -> None:
        return None

    # -- assertions
    @property
    def outbox(self) -> list[dict[str, Any]]:
        """The committed events (CloudEvents as dicts), in commit order."""
        rows = self.store[OUTBOX].find().sort([("created_at", 1)])
        return [row["event"] for row in rows]

    def events(self, type: str | None = None, *, tenant: str | None = None) -> list[dict[str, Any]]:
        """Committed events, optionally of one type and/or tenant."""
        return [e for e in self.outbox
                if (type is None or e["type"] == type) and (tenant is None or e.get("tenant") == tenant)]

    def documents(self, collection: str, flt: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every committed document of ``collection`` (all tenants) matching ``flt``."""
        return list(self.store[collection].find(dict(flt or {})))

    # -- faults
    def fail(self, method: str, error: BaseException, *, collection: str | None = None, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` (``"find_one"``, ``"update_many"``, ``"find"``,
        ``"ping"``…), on ``collection`` or any, raise ``error``."""
        self.faults.append(_Fault(method, collection, error, times))

    def fail_commit(self, error: BaseException, *, applied: bool, times: int = 1) -> None:
        """The next ``times`` ``commitTransaction`` calls raise ``error``; ``applied``: after
        applying the transaction (its answer was lost) or without (it did not happen). Call
        again to queue a sequence."""
        self.commit_faults.append(_CommitFault(error, applied, times))

    def check_fault(self, method: str, collection: str | None) -> None:
        self.calls.append((method, collection))
        for fault in self.faults:
            if fault.method == method and fault.collection in (None, collection) and fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                raise fault.error


# --------------------------------------------------------------------------- storage


@dataclass
class StoredObject:
    data: bytes
    content_type: str


@dataclass
class FakeStorage:
    """``anjian_shared.storage.Storage`` in memory: ``objects`` maps (bucket, key) to what was put.

    ``fail_put_at(n)`` makes the n-th ``put_bytes`` from now (1 = the next) raise ``error``,
    e.g. to test that the objects stored before it are removed again (rollback)."""

    bucket: str = "anjian-test"
    objects: dict[tuple[str, str], StoredObject] = field(default_factory=dict)
    puts: int = 0
    removed: list[tuple[str, str]] = field(default_factory=list)
    _fail_at: dict[int, BaseException] = field(default_factory=dict)

    def fail_put_at(self, n: int, error: BaseException | None = None) -> None:
        self._fail_at[self.puts + n] = error or ConnectionError("object storage unavailable (fake)")

    async def ensure_bucket(self) -> None:
        return None

    async def ready(self) -> bool:
        return True

    async def put_bytes(self, *, tenant: str, folder: str, data: bytes, content_type: str,
                        filename: str | None = None) -> MediaRef:
        await asyncio.sleep(0)
        self.puts += 1
        if self.puts in self._fail_at:
            raise self._fail_at.pop(self.puts)
        key = f"{tenant}/{folder}/{new_id()}.{_EXT.get(content_type, 'bin')}"
        self.objects[(self.bucket, key)] = StoredObject(bytes(data), content_type)
        return MediaRef(bucket=self.bucket, key=key, content_type=content_type, size=len(data),
                        sha256=hashlib.sha256(data).hexdigest(), filename=filename)

    async def get_bytes(self, ref: MediaRef) -> bytes:
        return self.objects[(ref.bucket, ref.key)].data

    async def delete(self, ref: MediaRef) -> None:
        self.removed.append((ref.bucket, ref.key))
        self.objects.pop((ref.bucket, ref.key), None)

    remove = delete

    async def presigned_get(self, ref: MediaRef, *, expires: timedelta = timedelta(minutes=15)) -> str:
        # the platform's own origin and /media prefix, as Storage.presigned_get gives them
        return f"https://anjian.test/media/{ref.bucket}/{ref.key}?expires={int(expires.total_seconds())}"

    def keys(self) -> Iterator[str]:
        """Keys of the stored objects (any bucket)."""
        return (key for _bucket, key in self.objects)
