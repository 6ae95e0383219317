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
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog
from pymongo.errors import DuplicateKeyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import MOBILE_BINDING_ROUTES
from .problems import Conflict, DomainError, Unprocessable, headers_of, problem_of, problem_response
from .retry import DEPENDENCY_WAIT
from .types import utcnow

log = structlog.get_logger("anjian.idempotency")
COLLECTION = "idempotency"
TTL = timedelta(hours=24)
IN_PROGRESS_TTL = timedelta(seconds=60)


@dataclass(frozen=True)
class KeyedRequest:
    """A write carrying an ``Idempotency-Key`` from a verified caller: its record id (hash of
    tenant, user, method, path and key), the tenant, and the body with its fingerprint."""

    ident: str
    tenant: str
    body: bytes
    fingerprint: str


@dataclass
class CapturedAnswer:
    """The application's answer, held back until it is stored (or forgotten)."""

    status: int = 500
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    messages: list[Message] = field(default_factory=list)

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])
                            if k.lower() in (b"content-type", b"location")]
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")
        self.messages.append(message)


def _still_running() -> Conflict:
    return Conflict("a request with this Idempotency-Key is still being processed",
                    field="Idempotency-Key", headers={"Retry-After": "1"})


class IdempotencyMiddleware:
    """Pure ASGI middleware; needs ``app.state.mongo`` and ``app.state.verifier``.

    Steps (each a method): ``identify`` the keyed request (or pass it through), ``claim``
    its key (or find the stored answer / refuse), ``replay`` a stored answer, or
    ``run_and_store`` the request: a 2xx answer is ``store``d, anything else ``forget``s
    the claim so the client may try again."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH", "DELETE"):
            await self.app(scope, receive, send)
            return
        try:
            keyed = await self.identify(scope, receive)
            if keyed is not None:
                col = scope["app"].state.mongo.db[COLLECTION]
                stored = await self.claim(col, keyed)
        except DomainError as exc:
            await problem_response(problem_of(exc, scope.get("path")), headers_of(exc))(scope, receive, send)
            return
        if keyed is None:
            await self.app(scope, receive, send)
            return
        if stored is not None:
            await self.replay(stored, send)
            return
        await self.run_and_store(scope, receive, send, col, keyed)

    async def identify(self, scope: Scope, receive: Receive) -> KeyedRequest | None:
        """The keyed request, its body read once; None (nothing read) without a key or a bearer
        token. 422 for a key over 200 characters; 401 for a token that does not verify."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        key = headers.get("idempotency-key")
        auth = headers.get("authorization", "")
        if not key or not auth.lower().startswith("bearer "):
            return None
        if len(key) > 200:
            raise Unprocessable("Idempotency-Key is longer than 200 characters", field="Idempotency-Key")
        verifier = scope["app"].state.verifier
        if scope["path"].rstrip("/") in MOBILE_BINDING_ROUTES:
            # HN-01: a binding-only token may key its binding (anywhere else: mobile-not-verified)
            principal = await verifier.verify(auth[7:].strip(), binding_mobile=True)
        else:
            principal = await verifier.verify(auth[7:].strip())
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        ident = hashlib.sha256(
            json.dumps([principal.tenant, principal.user_id, scope["method"], scope["path"], key]).encode()
        ).hexdigest()
        return KeyedRequest(ident=ident, tenant=principal.tenant, body=body,
                            fingerprint=hashlib.sha256(body).hexdigest())

    async def claim(self, col: Any, keyed: KeyedRequest) -> dict[str, Any] | None:
        """Record the key as in progress (None: this request runs), or return the stored answer
        to replay. 422 ``idempotency-key-reused`` for the same key with another body; 409 (with
        ``Retry-After: 1``) while the first attempt still runs. An in-progress claim older than
        ``IN_PROGRESS_TTL`` (its process died) is taken over."""
        now = utcnow()
        existing = await col.find_one({"_id": keyed.ident})
        if existing and existing["status"] == "in_progress" and existing["expires_at"] < now:
            await col.delete_one({"_id": keyed.ident, "status": "in_progress"})
            existing = None
        if existing:
            if existing["fingerprint"] != keyed.fingerprint:
                raise Unprocessable("Idempotency-Key was used with a different request body",
                                    field="Idempotency-Key", slug="idempotency-key-reused")
            if existing["status"] == "in_progress":
                raise _still_running()
            return existing
        try:
            await col.insert_one({"_id": keyed.ident, "tenant_id": keyed.tenant, "status": "in_progress",
                                  "fingerprint": keyed.fingerprint, "expires_at": now + IN_PROGRESS_TTL})
        except DuplicateKeyError as exc:
            raise _still_running() from exc
        return None

    async def replay(self, stored: dict[str, Any], send: Send) -> None:
        """Send the stored answer again, marked ``Idempotent-Replayed: true``."""
        await send({"type": "http.response.start", "status": stored["status_code"],
                    "headers": [(k.encode(), v.encode()) for k, v in stored["headers"]]
                    + [(b"idempotent-replayed", b"true")]})
        await send({"type": "http.response.body", "body": stored["body"]})

    async def run_and_store(self, scope: Scope, receive: Receive, send: Send, col: Any,
                            keyed: KeyedRequest) -> None:
        """Run the request on the body already read; store a 2xx answer, forget the claim
        otherwise; only then send the answer: a client that retries the moment it has the
        answer must find it (never "still being processed", nor a second execution)."""
        delivered = False

        async def replay_receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": keyed.body, "more_body": False}
            return await receive()

        answer = CapturedAnswer()
        try:
            await self.app(scope, replay_receive, answer.send)
        finally:
            if 200 <= answer.status < 300:
                await self.store(col, keyed.ident, answer)
            else:
                await self.forget(col, keyed.ident)
        for message in answer.messages:
            await send(message)

    async def store(self, col: Any, ident: str, answer: CapturedAnswer) -> None:
        """Keep the answer ``TTL``. The write happened: its answer MUST be kept, else a retry
        after the in-progress lease would run it a second time — so a restarting database is
        waited for (``retry.DEPENDENCY_WAIT``)."""
        update = {"$set": {"status": "done", "status_code": answer.status, "headers": answer.headers,
                           "body": answer.body, "expires_at": utcnow() + TTL}}
        await DEPENDENCY_WAIT.call(lambda: col.update_one({"_id": ident}, update), what="storing the answer")

    async def forget(self, col: Any, ident: str) -> None:
        """Drop the claim of a request that did not succeed (4xx/5xx are not replayed)."""
        await DEPENDENCY_WAIT.call(lambda: col.delete_one({"_id": ident}), what="forgetting the claim")
