"""Replay of retried writes carrying ``Idempotency-Key`` (architecture.md "HTTP").

A mobile client that lost the answer to a POST/PUT/PATCH/DELETE sends it again with
the same ``Idempotency-Key``: the first successful (2xx) answer is stored for 24 h
per (tenant, user, method, path, key) and replayed with ``Idempotent-Replayed: true``.
The same key with a different body is refused (422); a retry while the first
attempt is still running gets 409. The caller is identified from the verified token,
so nobody can replay somebody else's answer.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import structlog
from pymongo.errors import DuplicateKeyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import Conflict, DomainError, Unprocessable, headers_of, problem_of, problem_response
from .types import utcnow

log = structlog.get_logger("anjian.idempotency")
COLLECTION = "idempotency"
TTL = timedelta(hours=24)
IN_PROGRESS_TTL = timedelta(seconds=60)


async def _while_database_unavailable(op, patience: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Run ``op()``; while the database is unreachable retry it (up to ``patience`` seconds)."""
    import asyncio

    from .problems import dependency_unavailable

    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    wait = 0.2
    while True:
        try:
            await op()
            return
        except Exception as exc:
            if not dependency_unavailable(exc) or loop.time() > deadline:
                raise
            log.warning("idempotency record not saved yet, database unavailable", error=repr(exc)[:200])
            await asyncio.sleep(wait)
            wait = min(wait * 2, 2.0)


class IdempotencyMiddleware:
    """Pure ASGI middleware; needs ``app.state.mongo`` and ``app.state.verifier``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH", "DELETE"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        key = headers.get("idempotency-key")
        auth = headers.get("authorization", "")
        if not key or not auth.lower().startswith("bearer "):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        try:
            if len(key) > 200:
                raise Unprocessable("Idempotency-Key is longer than 200 characters", field="Idempotency-Key")
            principal = await state.verifier.verify(auth[7:].strip())
        except DomainError as exc:
            await problem_response(problem_of(exc, scope.get("path")), headers_of(exc))(scope, receive, send)
            return

        # Read the body once to fingerprint it, then hand it on unchanged.
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        fingerprint = hashlib.sha256(body).hexdigest()
        ident = hashlib.sha256(
            json.dumps([principal.tenant, principal.user_id, scope["method"], scope["path"], key]).encode()
        ).hexdigest()
        col = state.mongo.db[COLLECTION]
        now = utcnow()
        existing = await col.find_one({"_id": ident})
        if existing and existing["status"] == "in_progress" and existing["expires_at"] < now:
            await col.delete_one({"_id": ident, "status": "in_progress"})
            existing = None
        if existing:
            if existing["fingerprint"] != fingerprint:
                exc = Unprocessable("Idempotency-Key was used with a different request body",
                                    field="Idempotency-Key", slug="idempotency-key-reused")
                await problem_response(problem_of(exc, scope.get("path")))(scope, receive, send)
                return
            if existing["status"] == "in_progress":
                exc = Conflict("a request with this Idempotency-Key is still being processed",
                               field="Idempotency-Key", headers={"Retry-After": "1"})
                await problem_response(problem_of(exc, scope.get("path")), headers_of(exc))(scope, receive, send)
                return
            await send({"type": "http.response.start", "status": existing["status_code"],
                        "headers": [(k.encode(), v.encode()) for k, v in existing["headers"]]
                        + [(b"idempotent-replayed", b"true")]})
            await send({"type": "http.response.body", "body": existing["body"]})
            return
        try:
            await col.insert_one({"_id": ident, "tenant_id": principal.tenant, "status": "in_progress",
                                  "fingerprint": fingerprint, "expires_at": now + IN_PROGRESS_TTL})
        except DuplicateKeyError:
            exc = Conflict("a request with this Idempotency-Key is still being processed",
                           field="Idempotency-Key", headers={"Retry-After": "1"})
            await problem_response(problem_of(exc, scope.get("path")), headers_of(exc))(scope, receive, send)
            return

        delivered = False

        async def replay_receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        captured: dict = {"body": b"", "messages": []}

        async def capture_send(message: Message) -> None:
            # Held back until the answer is stored: a client that retries the moment it has the
            # answer must find it (and never "still being processed", nor a second execution).
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = [(k.decode("latin-1"), v.decode("latin-1"))
                                       for k, v in message.get("headers", [])
                                       if k.lower() in (b"content-type", b"location")]
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            captured["messages"].append(message)

        try:
            await self.app(scope, replay_receive, capture_send)
        finally:
            status = captured.get("status", 500)
            if 200 <= status < 300:
                update = {"$set": {"status": "done", "status_code": status, "headers": captured.get("headers", []),
                                   "body": captured["body"], "expires_at": utcnow() + TTL}}
                # The write happened: its answer MUST be kept, else a retry after the in-progress
                # lease would run it a second time. Wait for a restarting database.
                await _while_database_unavailable(lambda: col.update_one({"_id": ident}, update))
            else:
                await _while_database_unavailable(lambda: col.delete_one({"_id": ident}))
        for message in captured["messages"]:
            await send(message)
