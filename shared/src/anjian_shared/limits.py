"""Request body size limits, enforced before anything reads the body.

``BodySizeLimitMiddleware`` answers 413 (problem ``payload-too-large``, ``field`` =
``body``) as soon as it knows a request body is too large:

- at once when ``Content-Length`` announces more than the limit — nothing of the body
  is read, the connection is closed after the answer;
- while streaming a body without ``Content-Length`` (chunked) once the bytes received
  pass the limit — the rest is never read.

Two limits (settings ``ANJIAN_MAX_BODY_BYTES``, ``ANJIAN_MAX_MULTIPART_BYTES``):
JSON and every other body (1 MiB by default), and ``multipart/form-data`` uploads
(50 MiB by default: a request carries a few photos; each photo also has its own,
per-tenant limit checked by ``media.read_limited``).

``JsonDepthLimitMiddleware`` refuses a JSON body nested deeper than ``ANJIAN_MAX_JSON_DEPTH``
(32 by default) with 422 (problem ``json-too-deep``, ``field`` = ``body``) before it is parsed.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import Unprocessable
from .jsontext import json_depth_exceeds
from .problems import PayloadTooLarge, problem_of, problem_response


class BodySizeLimitMiddleware:
    """Pure ASGI middleware; place it outside anything that reads the body (idempotency)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_multipart_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_multipart_bytes = max_multipart_bytes

    def limit_for(self, content_type: str) -> int:
        """The byte limit of a body of ``content_type``."""
        if content_type.lower().startswith("multipart/"):
            return self.max_multipart_bytes
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type, length = "", None
        for key, value in scope.get("headers", []):
            if key == b"content-type":
                content_type = value.decode("latin-1")
            elif key == b"content-length":
                length = value.decode("latin-1")
        limit = self.limit_for(content_type)
        if length is not None:
            try:
                announced = int(length)
            except ValueError:
                announced = limit + 1
            if announced > limit:
                await self._send_refusal(scope, send, limit)
                return

        received = 0
        refused = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not response_started:
                        await self._send_refusal(scope, send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return  # the 413 went out already; the app's own answer is dropped
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise
            # the app saw the client "disconnect" after the refusal: nothing left to do

    @staticmethod
    async def _send_refusal(scope: Scope, send: Send, limit: int) -> None:
        exc = PayloadTooLarge(f"the request body exceeds {limit} bytes", field="body")
        response = problem_response(problem_of(exc, scope.get("path")), {"Connection": "close"})

        async def no_body() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, no_body, send)


# ------------------------------------------------------------------ nesting depth of JSON bodies

def _is_json(content_type: str) -> bool:
    """What FastAPI parses as JSON: no content type, ``application/json`` or ``application/*+json``."""
    media = content_type.split(";", 1)[0].strip().lower()
    return not media or media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class JsonDepthLimitMiddleware:
    """Refuses JSON bodies nested deeper than ``max_depth`` with 422 ``json-too-deep`` (``field``
    ``body``) before the app parses them: a body nested ~1000 levels made parsers and serializers
    recurse until they failed (a 500). Place it inside ``BodySizeLimitMiddleware``: the body it
    buffers is already bounded by ``max_body_bytes``. Other bodies (multipart) pass untouched.
    """

    def __init__(self, app: ASGIApp, *, max_depth: int) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        content_type = ""
        for key, value in scope.get("headers", []):
            if key == b"content-type":
                content_type = value.decode("latin-1")
        if not _is_json(content_type):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away (or the size limit answered 413)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if json_depth_exceeds(body, self.max_depth):
            exc = Unprocessable(f"the JSON body nests deeper than {self.max_depth} levels",
                                field="body", slug="json-too-deep")
            await problem_response(problem_of(exc, scope.get("path")))(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the buffered body to the app once, then the server's own (which
    tells of a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
