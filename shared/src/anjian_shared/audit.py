"""The audit trail of legal records: append-only, hash-chained per tenant, in the transaction.

architecture.md "Identity, tenancy, access": every state change audited (who, when, what,
from where) in the same transaction as the change, append-only and hash-chained per tenant,
kept at least six months (《网络安全法》第二十一条: network logs kept ≥ 6 months).

How it is written — ONE place, the unit of work (``mongo.UnitOfWork``):

- every write through a unit's repositories (``uow.repo(c).insert/update/delete``) is noted
  (collection, object id, operation, the inserted document / the update / the filter);
- at ``commit()`` a unit that changed something writes ONE entry, in its own transaction, to
  ``audit_pending``: who (``actor``: user, organisation, roles — or the consumer and event for a
  unit run by an event), when (``at``), what (``action``, ``objects``, ``changes``, the
  ``events`` emitted), from where (``origin``: client address, user agent, request id, trace
  id). Nothing shared is written, so concurrent units never conflict over the trail;
- the sealer (``sealer_loop``: one per service at a time, by lease; every 0.5 s) chains the
  staged entries, oldest first, per tenant: ``seq`` (1, 2, 3 … per tenant and service
  database), ``prev_hash``, ``hash`` = SHA-256 over the canonical JSON of the entry with
  ``prev_hash``, moved to ``audit_log`` together with the tenant's chain head
  (``audit_heads``) in one transaction; the head moves only from where the sealer read it,
  so the chain never forks.

Why not move the head in every unit's own transaction: with snapshot isolation every commit
of the tenant then conflicts with every other unit in flight — ``make bench`` measured 2.4
instead of 47 transactions/s (16 writers, the add-result transaction). An entry is in the
chain about half a second after its commit; ``verify`` reports one left unsealed longer than
``UNSEALED_GRACE``.

Actions without a state change of their own (sign-in, failed sign-in, token refresh, an
export) are written with ``record(...)`` (a transaction holding just the entry). Read models
(copies of another service's snapshots) are not audited: their owner audited the change.

Request context comes from contextvars set by the app factory's ``AuditContextMiddleware``
(address, user agent, request and trace id) and ``auth.get_principal`` (the actor); the bus
sets the consumer and event id for handlers.

Retention: ``expires_at`` = ``at`` + the tenant's ``audit_retention_days`` (tenant policy
limit, at least 183 days) with a TTL index; the oldest entries expire, so a chain is verified
from its oldest remaining entry (``verify``: an entry missing that should not have expired
yet is reported).

Verify: ``python -m anjian_shared.audit verify --tenant hubei [--service inspections]``
(``ANJIAN_MONGO_URL``; every service database ``anjian_<service>`` by default) recomputes
every hash: an edited entry, a deleted one (gap in ``seq`` or a head ahead of the last entry)
or a reordered one is reported and the exit status is 1.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from . import metrics

AUDIT = "audit_log"
PENDING = "audit_pending"
HEADS = "audit_heads"
GENESIS = "0" * 64
MIN_RETENTION_DAYS = 183
"""《网络安全法》第二十一条: logs of network operation kept not less than six months."""
MAX_CHANGES_CHARS = 64_000
"""Longer ``changes`` are cut; the entry keeps the SHA-256 of the full text (``changes_sha256``)."""
NOT_AUDITED = frozenset({"outbox", "inbox", "commits", "idempotency", AUDIT, PENDING, HEADS, "outbox_lease"})

_context: ContextVar[dict[str, Any] | None] = ContextVar("audit_context", default=None)


# --------------------------------------------------------------------------- context


def context() -> dict[str, Any]:
    """This request's or event's audit context (``actor`` and ``origin``)."""
    return dict(_context.get() or {})


def set_origin(*, address: str | None = None, user_agent: str | None = None, request_id: str | None = None,
               trace_id: str | None = None, client_id: str | None = None) -> None:
    """Where the request came from (set by ``AuditContextMiddleware`` per request)."""
    ctx = context()
    ctx["origin"] = {k: v for k, v in {"address": address, "user_agent": (user_agent or "")[:300] or None,
                                       "request_id": request_id, "trace_id": trace_id,
                                       "client_id": client_id}.items() if v}
    _context.set(ctx)


def set_actor(principal: Any) -> None:
    """The verified caller (``auth.get_principal``)."""
    ctx = context()
    ctx["actor"] = {"user_id": principal.user_id, "name": getattr(principal, "name", "") or "",
                    "org_id": principal.org_id, "roles": list(principal.roles), "tenant": principal.tenant}
    _context.set(ctx)


def set_system_actor(consumer: str, *, event_id: str | None = None, event_type: str | None = None,
                     trace_id: str | None = None) -> None:
    """A unit run by an event (``bus.handle_message``) or a background job."""
    _context.set({"actor": {"system": consumer, "event_id": event_id, "event_type": event_type},
                  "origin": {"trace_id": trace_id} if trace_id else {}})


def clear() -> None:
    _context.set(None)


class AuditContextMiddleware:
    """Pure ASGI middleware (the app factory adds it inside ``RequestContextMiddleware``): the
    request's origin for the audit trail — the client's address (the forwarded one behind a
    trusted proxy, ``ANJIAN_TRUSTED_PROXIES``), user agent, ``X-Client-Id`` (a front end's
    name), request id and trace id."""

    def __init__(self, app: Any, trusted_proxies: str | None = None) -> None:
        self.app = app
        self.trusted = trusted_proxies

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        import structlog

        from .proxies import client_address

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        peer = (scope.get("client") or (None,))[0]
        forwarded = headers.get("x-forwarded-for")
        address = (client_address(peer, forwarded, self.trusted) if self.trusted is not None
                   else client_address(peer, forwarded))
        bound = structlog.contextvars.get_contextvars()
        token = _context.set(None)
        try:
            set_origin(address=address, user_agent=headers.get("user-agent"), client_id=headers.get("x-client-id"),
                       request_id=bound.get("request_id"), trace_id=bound.get("trace_id"))
            await self.app(scope, receive, send)
        finally:
            _context.reset(token)


# --------------------------------------------------------------------------- the entry


SENSITIVE = re.compile(r"password|secret|private|_pem|refresh_token|api_key|access_token", re.IGNORECASE)
"""Fields whose values never go into the trail (password hashes, webhook secrets, keys, tokens)."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, Mapping):
        return {str(k): "<redacted>" if SENSITIVE.search(str(k)) else _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def canonical(value: Any) -> str:
    return json.dumps(_jsonable(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _iso(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="milliseconds")


def _ms(at: datetime) -> datetime:
    """MongoDB keeps milliseconds: hash what is stored."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


HASHED = ("tenant_id", "service", "seq", "prev_hash", "at", "action", "actor", "origin", "objects", "changes",
          "changes_sha256", "events")


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of the entry's hashed fields (``prev_hash`` included)."""
    return hashlib.sha256(canonical({k: entry.get(k) for k in HASHED}).encode()).hexdigest()


@dataclass
class Journal:
    """What one unit of work changed (filled by its repositories)."""

    changes: list[dict[str, Any]] = field(default_factory=list)
    forced: bool = False
    """An entry even without a change (``record``: sign-ins, exports)."""
    action: str | None = None
    """Set by the use case (``uow.audit_action = "…"``) to name the action; default: from the
    first event emitted, else ``<collection>.<operation>``."""
    enabled: bool = True

    def note(self, op: str, collection: str, object_id: Any, detail: Any) -> None:
        if self.enabled and collection not in NOT_AUDITED:
            self.changes.append({"op": op, "collection": collection, "id": _jsonable(object_id),
                                 "detail": _jsonable(detail)})


def build_entry(*, tenant: str, service: str, journal: Journal, events: list[dict[str, Any]], at: datetime,
                retention_days: int = MIN_RETENTION_DAYS) -> dict[str, Any]:
    """The entry (without ``seq``/``prev_hash``/``hash``) of a unit that changed something."""
    ctx = context()
    action = journal.action
    if not action and events:
        action = events[0]["type"].removesuffix(".v1")
    if not action and journal.changes:
        first = journal.changes[0]
        action = f"{first['collection']}.{first['op']}"
    text = canonical(journal.changes)
    full_sha = hashlib.sha256(text.encode()).hexdigest()
    if len(text) > MAX_CHANGES_CHARS:
        text = text[:MAX_CHANGES_CHARS] + "…"
    objects: list[dict[str, Any]] = []
    for c in journal.changes:
        obj = {"collection": c["collection"], "id": c["id"]}
        if obj not in objects and c["id"] is not None:
            objects.append(obj)
    at = _ms(at)
    return {"tenant_id": tenant, "service": service, "at": at, "action": action or "unknown",
            "actor": ctx.get("actor") or {"system": "unknown"}, "origin": ctx.get("origin") or {},
            "objects": objects[:50], "changes": text, "changes_sha256": full_sha,
            "events": [{"type": e["type"], "id": e["id"]} for e in events],
            "expires_at": at + timedelta(days=max(MIN_RETENTION_DAYS, retention_days))}


class ChainHeadMoved(Exception):
    """Raised as a WriteConflict (see ``seal_pending``)."""


async def stage(db: Any, session: Any, entry: dict[str, Any]) -> dict[str, Any]:
    """Store ``entry`` in ``audit_pending`` inside ``session``'s transaction (the unit's commit).

    No shared document is written: concurrent units of a tenant never conflict over the audit
    trail (``make bench`` measured the alternative — moving the tenant's chain head in every
    transaction — at 2.4 instead of 47 transactions/s with 16 writers: every commit of the
    tenant conflicted with the others' snapshots). ``seal_pending`` chains it moments later."""
    from .types import new_id

    staged = {**entry, "_id": new_id()}
    await db[PENDING].insert_one(staged, session=session)
    metrics.AUDIT_ENTRIES.labels(metrics.service(), entry["action"]).inc()
    return staged


def chain(entries: list[dict[str, Any]], prev_seq: int, prev_hash: str) -> list[dict[str, Any]]:
    """``entries`` (in order) chained after ``(prev_seq, prev_hash)``: ``seq``, ``prev_hash``,
    ``hash`` and ``_id`` = ``<tenant>:<seq>``."""
    out = []
    for entry in entries:
        sealed = {k: v for k, v in entry.items() if k != "_id"}
        sealed.update(seq=prev_seq + 1, prev_hash=prev_hash)
        sealed["hash"] = entry_hash(sealed)
        sealed["_id"] = f"{sealed['tenant_id']}:{sealed['seq']}"
        prev_seq, prev_hash = sealed["seq"], sealed["hash"]
        out.append(sealed)
    return out


SEAL_BATCH = 500


async def seal_pending(mongo: Any, *, batch: int = SEAL_BATCH) -> int:
    """Chain the staged entries, oldest first, per tenant: in ONE transaction per tenant the
    entries move from ``audit_pending`` to ``audit_log`` with their ``seq``/``hash`` and the
    tenant's head (``audit_heads``) moves to the last one. The head is updated only where it
    still is where this pass read it, and every staged entry must still be there to be deleted,
    so two sealers at once (a lease handover) cannot fork the chain: one of them conflicts and
    leaves the rest to the next pass. Returns how many were sealed. ``mongo``: the service's
    unit-of-work factory."""
    from .mongo import with_transaction

    pending = await mongo.db[PENDING].find({}, {"tenant_id": 1}).sort([("at", 1), ("_id", 1)]).limit(
        batch).to_list()
    tenants = list(dict.fromkeys(e["tenant_id"] for e in pending))
    sealed_count = 0
    for tenant in tenants:
        async def seal(uow: Any, tenant: str = tenant) -> int:
            from pymongo.errors import DuplicateKeyError, OperationFailure

            uow.journal.enabled = False  # sealing is not a change to audit
            db, session = uow.db, uow.session
            # read in the transaction: a retry after a conflict sees what another sealer left
            entries = await db[PENDING].find({"tenant_id": tenant}, session=session).sort(
                [("at", 1), ("_id", 1)]).limit(batch).to_list()
            if not entries:
                return 0
            head = await db[HEADS].find_one({"_id": tenant}, session=session)
            prev_seq, prev_hash = (head["seq"], head["hash"]) if head else (0, GENESIS)
            sealed = chain(entries, prev_seq, prev_hash)
            try:
                if head is None:
                    await db[HEADS].insert_one({"_id": tenant, "tenant_id": tenant, "seq": sealed[-1]["seq"],
                                                "hash": sealed[-1]["hash"]}, session=session)
                else:
                    res = await db[HEADS].update_one(
                        {"_id": tenant, "seq": prev_seq},
                        {"$set": {"seq": sealed[-1]["seq"], "hash": sealed[-1]["hash"]}}, session=session)
                    if res.modified_count != 1:
                        raise ChainHeadMoved
                await db[AUDIT].insert_many(sealed, session=session)
                res = await db[PENDING].delete_many({"_id": {"$in": [e["_id"] for e in entries]}}, session=session)
                if res.deleted_count != len(entries):
                    raise ChainHeadMoved  # another sealer took some of them
            except (DuplicateKeyError, ChainHeadMoved) as exc:
                raise OperationFailure("audit chain head moved", code=112,
                                       details={"errorLabels": ["TransientTransactionError"]}) from exc
            return len(sealed)

        sealed_count += await with_transaction(mongo, tenant, seal)
    return sealed_count


SEALER_LEASE = "audit-sealer"


async def sealer_loop(mongo: Any, *, every: float = 0.5, lease_seconds: float = 30.0) -> None:
    """Background task of every replica (the app factory starts it): the one holding the lease
    (``outbox_lease`` document ``audit-sealer``) seals every ``every`` seconds; the others stand
    by and take over once it expired. Errors are logged and retried on the next pass."""
    import uuid

    import structlog
    from pymongo import ReturnDocument
    from pymongo.errors import DuplicateKeyError

    from .types import utcnow

    log = structlog.get_logger("anjian.audit")
    me = uuid.uuid4().hex
    while True:
        try:
            now = utcnow()
            try:
                doc = await mongo.db["outbox_lease"].find_one_and_update(
                    {"_id": SEALER_LEASE, "$or": [{"holder": me}, {"until": {"$lt": now}}]},
                    {"$set": {"holder": me, "until": now + timedelta(seconds=lease_seconds),
                              "tenant_id": "_platform"}},
                    upsert=True, return_document=ReturnDocument.AFTER)
            except DuplicateKeyError:
                doc = None
            if doc is not None and doc.get("holder") == me:
                while await seal_pending(mongo) >= SEAL_BATCH:
                    pass
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the database away: the next pass seals
            log.warning("audit sealing pass failed", error=repr(exc)[:300])
        await asyncio.sleep(every)


async def record(mongo: Any, tenant: str, *, action: str, objects: Sequence[tuple[str, str]] = (),
                 details: Mapping[str, Any] | None = None, actor: Mapping[str, Any] | None = None) -> None:
    """An entry for an action that changes no record of its own (a sign-in, a failed sign-in,
    a token refresh, an export): its own transaction holding just the entry (chained like
    every other). ``objects``: ``(collection, id)`` pairs it concerns; ``details``: what the
    reader must know (never a password or a token); ``actor``: who, when the request carries no
    verified caller (a sign-in: the user signing in, or ``{"username": …}`` when unknown)."""
    from .mongo import with_transaction

    if actor is not None:
        ctx = context()
        ctx["actor"] = dict(actor)
        _context.set(ctx)

    async def write(uow: Any) -> None:
        uow.audit_action = action
        uow.journal.forced = True
        for collection, object_id in objects:
            uow.journal.changes.append({"op": "access", "collection": collection, "id": object_id,
                                        "detail": _jsonable(details or {})})
        if not objects:
            uow.journal.changes.append({"op": "access", "collection": None, "id": None,
                                        "detail": _jsonable(details or {})})

    await with_transaction(mongo, tenant, write)


async def ensure_indexes(db: Any) -> None:
    """Unique ``seq`` per tenant; queries by period, user, object and action; TTL retention."""
    col = db[AUDIT]
    await col.create_index([("tenant_id", 1), ("seq", 1)], unique=True)
    await col.create_index([("tenant_id", 1), ("at", -1), ("_id", -1)])
    await col.create_index([("tenant_id", 1), ("actor.user_id", 1), ("at", -1)])
    await col.create_index([("tenant_id", 1), ("objects.id", 1), ("at", -1)])
    await col.create_index([("tenant_id", 1), ("action", 1), ("at", -1)])
    await col.create_index("expires_at", expireAfterSeconds=0)
    await db[PENDING].create_index([("at", 1), ("_id", 1)])


# --------------------------------------------------------------------------- verification


@dataclass
class Verification:
    tenant: str
    database: str
    entries: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        state = "OK" if self.ok else "BROKEN"
        span = f"seq {self.first_seq}..{self.last_seq}" if self.entries else "no entries"
        return f"{state} {self.database} tenant={self.tenant}: {self.entries} entries, {span}"


async def verify(db: Any, tenant: str, *, now: datetime | None = None) -> Verification:
    """Walk ``tenant``'s chain in ``db`` by ``seq``; recompute every hash.

    Reports: an entry whose hash does not match its content (edited), a ``prev_hash`` that is
    not the previous entry's hash or a gap in ``seq`` (deleted or inserted), a head ahead of
    or different from the last entry (tail deleted), and a chain that starts after 1 while its
    first entry is younger than the minimum retention (entries deleted, not expired)."""
    from .types import utcnow

    now = now or utcnow()
    result = Verification(tenant=tenant, database=getattr(db, "name", "?"))
    prev: dict[str, Any] | None = None
    async for entry in db[AUDIT].find({"tenant_id": tenant}).sort([("seq", 1)]):
        result.entries += 1
        seq = entry.get("seq")
        if prev is None:
            result.first_seq = seq
            if seq != 1:
                at = entry.get("at")
                if at is not None and at.tzinfo is None:
                    at = at.replace(tzinfo=UTC)
                if at is None or now - at < timedelta(days=MIN_RETENTION_DAYS):
                    result.problems.append(f"seq {seq}: the chain starts here but entries 1..{seq - 1} "
                                           "cannot have expired yet (deleted)")
        else:
            if seq != prev["seq"] + 1:
                result.problems.append(f"seq {prev['seq']} → {seq}: entries missing (deleted)")
            if entry.get("prev_hash") != prev.get("hash"):
                result.problems.append(f"seq {seq}: prev_hash is not the hash of seq {prev['seq']}")
        if entry_hash(entry) != entry.get("hash"):
            result.problems.append(f"seq {seq}: content does not match its hash (edited)")
        prev = entry
    result.last_seq = prev["seq"] if prev else None
    head = await db[HEADS].find_one({"_id": tenant})
    if head is not None:
        if prev is None or head["seq"] != prev["seq"] or head["hash"] != prev.get("hash"):
            result.problems.append(f"head is at seq {head['seq']} but the last entry is "
                                   f"{prev['seq'] if prev else 'none'} (entries deleted or edited)")
    elif prev is not None:
        result.problems.append("entries exist but the chain head is missing")
    stale = await db[PENDING].count_documents({"tenant_id": tenant, "at": {"$lt": now - UNSEALED_GRACE}})
    if stale:
        result.problems.append(f"{stale} staged entries older than {UNSEALED_GRACE} not sealed (is a sealer running?)")
    return result


UNSEALED_GRACE = timedelta(minutes=5)

SERVICES = ("identity", "projects", "inspections", "notices", "equipment", "personnel", "reporting", "partners")


async def _verify_cli(url: str, prefix: str, tenant: str, services: list[str]) -> int:
    from .mongo import connect

    client = connect(url)
    try:
        broken = 0
        for service in services:
            result = await verify(client[f"{prefix}{service}"], tenant)
            print(result.line())
            for problem in result.problems:
                print(f"  - {problem}")
            broken += 0 if result.ok else 1
        return 1 if broken else 0
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m anjian_shared.audit verify --tenant hubei [--service x …]``: 0 intact, 1 broken."""
    parser = argparse.ArgumentParser(prog="python -m anjian_shared.audit",
                                     description="Verify the hash-chained audit trail of a tenant.")
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="recompute every hash of the tenant's chains")
    v.add_argument("--tenant", required=True)
    v.add_argument("--service", action="append", choices=SERVICES,
                   help="a service database (repeatable; default: all eight)")
    v.add_argument("--mongo-url", default=os.environ.get("ANJIAN_MONGO_URL", "mongodb://127.0.0.1:27017/"))
    v.add_argument("--db-prefix", default=os.environ.get("ANJIAN_MONGO_DB_PREFIX", "anjian_"))
    args = parser.parse_args(argv)
    return asyncio.run(_verify_cli(args.mongo_url, args.db_prefix, args.tenant, args.service or list(SERVICES)))


if __name__ == "__main__":
    sys.exit(main())
