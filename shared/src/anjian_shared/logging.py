"""structlog JSON logs carrying request id, tenant and trace id.

``configure_logging`` sets structlog up once per process. ``bind_context`` puts
``request_id``, ``tenant``, ``trace_id`` (and anything else) into contextvars, so
every log line of a request, and of the event handler that runs for an event,
carries them. The HTTP middleware (``RequestContextMiddleware``) reads
``X-Request-ID`` and W3C ``traceparent`` (or makes them) and echoes both back.
"""

from __future__ import annotations

import logging
import secrets
import sys
import uuid
from contextvars import ContextVar

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import tracing
from .metrics import route_template

_configured = False
traceparent_var: ContextVar[str | None] = ContextVar("traceparent", default=None)


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    """Configure structlog and stdlib logging to write one JSON object per line to stderr."""
    global _configured
    if _configured:
        return
    _configured = True
    processors = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]
    renderer = structlog.processors.JSONRenderer(ensure_ascii=False) if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(message)s")
    for noisy in ("aiormq", "aio_pika", "pymongo", "urllib3", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def new_traceparent(trace_id: str | None = None) -> str:
    """A W3C traceparent with a fresh span id (and trace id unless given)."""
    return f"00-{trace_id or secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def trace_id_of(traceparent: str | None) -> str | None:
    if not traceparent:
        return None
    parts = traceparent.split("-")
    return parts[1] if len(parts) == 4 and len(parts[1]) == 32 else None


def bind_context(**values: object) -> None:
    """Bind values (request_id, tenant, trace_id, user_id, event_id …) to this task's log lines."""
    structlog.contextvars.bind_contextvars(**{k: v for k, v in values.items() if v is not None})
    tp = values.get("traceparent")
    if isinstance(tp, str):
        traceparent_var.set(tp)


def current_traceparent() -> str:
    """The traceparent of the request or event being handled, or a fresh one."""
    return traceparent_var.get() or new_traceparent()


class RequestContextMiddleware:
    """Pure ASGI middleware: request id + trace context in and out, one access log line."""

    def __init__(self, app: ASGIApp, service: str = "") -> None:
        self.app = app
        self.service = service
        self.log = structlog.get_logger("anjian.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        incoming = headers.get("traceparent")
        status_holder: dict[str, int] = {}
        with tracing.http_span(scope.get("method", ""), scope.get("path", ""), incoming,
                               service=self.service) as span:
            # with tracing on, the server span IS the request's traceparent (events carry it)
            traceparent = tracing.traceparent_of(span) if span is not None else None
            trace_id = trace_id_of(traceparent) or trace_id_of(incoming) or secrets.token_hex(16)
            traceparent = traceparent or new_traceparent(trace_id)
            structlog.contextvars.clear_contextvars()
            bind_context(request_id=request_id, trace_id=trace_id, traceparent=traceparent)

            async def send_wrapper(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status_holder["status"] = message["status"]
                    extra = [(b"x-request-id", request_id.encode()), (b"traceparent", traceparent.encode())]
                    message["headers"] = list(message.get("headers", [])) + extra
                await send(message)

            try:
                await self.app(scope, receive, send_wrapper)
            finally:
                tracing.finish_http_span(span, route=route_template(scope), method=scope.get("method", ""),
                                         status=status_holder.get("status"))
                path = scope.get("path", "")
                if "/shared/" in path:  # share-link tokens are credentials: never log them
                    path = path.split("/shared/")[0] + "/shared/<token>"
                if not path.endswith(("/healthz", "/readyz")):
                    self.log.info("request", method=scope.get("method"), path=path,
                                  status=status_holder.get("status"))
