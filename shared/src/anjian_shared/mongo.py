"""MongoDB access: tenant-scoped repositories and the unit of work.

Every stored document carries ``tenant_id``; ``TenantRepository`` adds it to every
filter and every insert, so no handler can forget it (PLAT-01). ``UnitOfWork``
opens a session and a transaction: the use case's writes and the events it emits
(rows of the ``outbox`` collection) commit together or not at all; after a commit
the outbox relay is woken so the events go out at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel
from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure, PyMongoError

from .events import make_event
from .types import utcnow

log = structlog.get_logger("anjian.mongo")
T = TypeVar("T")

OUTBOX = "outbox"
INBOX = "inbox"


def connect(url: str, *, timeout_ms: int = 5000) -> AsyncMongoClient:
    """An AsyncMongoClient (lazy: connects on first use) with short, explicit timeouts."""
    return AsyncMongoClient(
        url,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        uuidRepresentation="standard",
    )


class TenantRepository:
    """One collection seen through one tenant. Filters and inserts get ``tenant_id``.

    Documents use ``_id`` = the aggregate id (see ``types.new_id``). Pass ``session``
    to take part in a unit of work's transaction.
    """

    def __init__(self, collection: AsyncCollection, tenant_id: str,
                 session: AsyncClientSession | None = None) -> None:
        if not tenant_id:
            raise ValueError("tenant_id is required")
        self.collection = collection
        self.tenant_id = tenant_id
        self.session = session

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
        return stored

    async def update(self, flt: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any] | None:
        """Atomically update one matching document; returns it after the update, or None."""
        return await self.collection.find_one_and_update(
            self._scope(flt), update, session=self.session, return_document=ReturnDocument.AFTER
        )

    async def delete(self, flt: Mapping[str, Any]) -> int:
        res = await self.collection.delete_one(self._scope(flt), session=self.session)
        return res.deleted_count


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

    async def __aenter__(self) -> "UnitOfWork":
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
        return TenantRepository(self.db[collection], self.tenant_id, self.session)

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
        await self.session.commit_transaction()
        self.committed = True
        if self._events and self._on_commit:
            self._on_commit()


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

    async def close(self) -> None:
        await self.client.close()


async def with_transaction(mongo: Mongo, tenant_id: str, fn: Callable[[UnitOfWork], Awaitable[T]],
                           *, attempts: int = 5) -> T:
    """Run ``fn(uow)`` in a transaction and commit; retried on transient conflicts.

    ``fn`` must not commit itself. Errors raised by ``fn`` abort and propagate.
    """
    for attempt in range(attempts):
        try:
            async with mongo.uow(tenant_id) as uow:
                result = await fn(uow)
                await uow.commit()
                return result
        except OperationFailure as exc:
            labels = getattr(exc, "_error_labels", set()) or set()
            transient = "TransientTransactionError" in labels or exc.code in (112, 251)
            if not transient or attempt == attempts - 1:
                raise
            log.info("transaction conflict, retrying", attempt=attempt, code=exc.code)
            await asyncio.sleep(0.02 * (2 ** attempt))
    raise RuntimeError("unreachable")
