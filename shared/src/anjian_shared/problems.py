"""RFC 9457 problem details (``application/problem+json``).

Raise an ``anjian_shared.errors`` class (a domain error) anywhere in a request; the handlers
installed by ``install_problem_handlers`` map it here, in one place, FastAPI's validation errors and any unexpected
exception into a problem response with a stable ``type`` and, where one field was
wrong, ``field`` plus an ``errors`` list. Never a stack trace.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from .errors import (  # noqa: F401 - re-exported: the names every service already imports from here
    Conflict,
    DomainError,
    FieldProblem,
    Forbidden,
    NotFound,
    NotYetAvailable,
    PayloadTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    UnsupportedMedia,
)

PROBLEM_BASE = "https://anjian.dev/problems/"
log = structlog.get_logger("anjian.problems")


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """The body of every error response."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    field: str | None = None
    errors: list[FieldError] | None = None


STATUS_OF: dict[type[DomainError], int] = {
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    NotYetAvailable: 409,
    Conflict: 409,
    PayloadTooLarge: 413,
    UnsupportedMedia: 415,
    Unprocessable: 422,
    TooManyRequests: 429,
    ServiceUnavailable: 503,
    DomainError: 400,
}
"""The one mapping of domain errors to HTTP status codes (the nearest class in the MRO wins)."""


def status_of(exc: DomainError) -> int:
    """The HTTP status of ``exc``: an explicit ``status`` set by an HTTP-layer subclass
    (``ProblemError``), else the nearest class of ``STATUS_OF`` in its MRO."""
    explicit = getattr(exc, "status", None)
    if isinstance(explicit, int):
        return explicit
    for cls in type(exc).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 400


def headers_of(exc: DomainError) -> dict[str, str]:
    """Response headers of ``exc``: ``Retry-After`` when the state is only not-yet-arrived or a
    dependency is away, plus any an HTTP-layer subclass set."""
    headers = dict(getattr(exc, "extra_headers", {}) or {})
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return headers


def to_problem(exc: DomainError, instance: str | None = None) -> Problem:
    """The RFC 9457 body of ``exc`` (``type`` = base + its code; ``field`` and ``errors``)."""
    errors = None
    if exc.errors is not None:
        errors = [e if isinstance(e, FieldError) else FieldError(field=e.field, message=e.message)
                  for e in exc.errors]
    elif exc.field:
        errors = [FieldError(field=exc.field, message=exc.detail or exc.title)]
    return Problem(
        type=PROBLEM_BASE + exc.slug,
        title=exc.title,
        status=status_of(exc),
        detail=exc.detail,
        instance=instance,
        field=exc.field,
        errors=errors,
    )


class ProblemError(DomainError):
    """An error that exists only at the HTTP edge (an OAuth token error, 410 Gone): it names
    its own ``status``. Domain code raises ``anjian_shared.errors`` classes instead."""

    status = 400

    def to_problem(self, instance: str | None = None) -> Problem:
        return to_problem(self, instance)


def problem_of(exc: DomainError, instance: str | None = None) -> Problem:
    """``exc.to_problem`` where an HTTP-layer subclass shapes its own body, else ``to_problem``."""
    if isinstance(exc, ProblemError):
        return exc.to_problem(instance)
    return to_problem(exc, instance)


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem.status,
        media_type="application/problem+json",
        headers=headers,
    )


def _loc_to_field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "body"


MONGO_UNAVAILABLE_CODES = frozenset({
    6,      # HostUnreachable
    7,      # HostNotFound
    89,     # NetworkTimeout
    91,     # ShutdownInProgress
    189,    # PrimarySteppedDown
    262,    # ExceededTimeLimit
    9001,   # SocketException
    10107,  # NotWritablePrimary
    11600,  # InterruptedAtShutdown
    11602,  # InterruptedDueToReplStateChange
    13435,  # NotPrimaryNoSecondaryOk
    13436,  # NotPrimaryOrSecondary
})
"""Server error codes meaning "the database is going away or not primary": retry later."""


def dependency_unavailable(exc: BaseException) -> str | None:
    """``"Database"`` / ``"Object storage"`` when ``exc`` says a dependency is unreachable or
    restarting (the request may be retried: 503 + Retry-After), else None.

    MongoDB: every ``ConnectionFailure`` (``AutoReconnect``, ``NotPrimaryError``,
    ``NetworkTimeout``, ``ServerSelectionTimeoutError``), an ``OperationFailure`` with a
    shutdown/step-down/network code or the ``TransientTransactionError`` /
    ``RetryableWriteError`` label. S3: the minio SDK's connection errors (urllib3
    ``MaxRetryError``/``ProtocolError``, ``ConnectionError``) and 5xx answers (``ServerError``).
    """
    from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:  # look through wrapped causes too
        seen.add(id(current))
        if isinstance(current, ConnectionFailure):
            return "Database"
        if isinstance(current, OperationFailure) and current.code in MONGO_UNAVAILABLE_CODES:
            return "Database"
        if isinstance(current, PyMongoError) and (
                current.has_error_label("TransientTransactionError")
                or current.has_error_label("RetryableWriteError")):
            return "Database"
        module = type(current).__module__
        if module.startswith("urllib3") and type(current).__name__ in (
                "MaxRetryError", "ProtocolError", "NewConnectionError", "ReadTimeoutError",
                "ConnectTimeoutError"):
            return "Object storage"
        if module.startswith("minio") and type(current).__name__ == "ServerError":
            return "Object storage"
        current = current.__cause__ or current.__context__
    return None


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem response."""

    @app.exception_handler(DomainError)
    async def _problem(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(problem_of(exc, str(request.url.path)), headers_of(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [FieldError(field=_loc_to_field(e.get("loc", ())), message=e.get("msg", "invalid"))
                  for e in exc.errors()]
        first = errors[0].field if errors else None
        problem = Problem(
            type=PROBLEM_BASE + "validation-error",
            title="Invalid request",
            status=422,
            detail="; ".join(f"{e.field}: {e.message}" for e in errors),
            instance=str(request.url.path),
            field=first,
            errors=errors,
        )
        return problem_response(problem)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized", 403: "forbidden"}.get(
            exc.status_code, "http-error"
        )
        problem = Problem(type=PROBLEM_BASE + slug, title=str(exc.detail), status=exc.status_code,
                          instance=str(request.url.path))
        return problem_response(problem, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Reached only for errors raised outside UnexpectedErrorMiddleware (in an outer
        # middleware); Starlette re-raises afterwards and uvicorn then closes the connection.
        return unexpected_error_response(exc, str(request.url.path))


def unexpected_error_response(exc: BaseException, path: str) -> JSONResponse:
    """503 + ``Retry-After`` problem when ``exc`` says a dependency is away
    (``dependency_unavailable``), else a logged 500 ``internal-error`` (never a trace)."""
    unavailable = dependency_unavailable(exc)
    if unavailable:
        log.warning("dependency unavailable", dependency=unavailable, error=repr(exc)[:300])
        problem = Problem(type=PROBLEM_BASE + "service-unavailable", title=f"{unavailable} unavailable",
                          status=503, detail="a dependency is restarting or unreachable; retry shortly",
                          instance=path)
        return problem_response(problem, {"Retry-After": "2"})
    log.error("unhandled error", path=path, exc_info=exc)
    problem = Problem(type=PROBLEM_BASE + "internal-error", title="Internal error", status=500, instance=path)
    return problem_response(problem)


class UnexpectedErrorMiddleware:
    """Turns an exception no handler took into its problem response INSIDE the app.

    Starlette's own catch-all (``exception_handler(Exception)``) sends the response and then
    re-raises, and uvicorn answers a re-raised exception by closing the connection: the
    client's next request on that keep-alive connection failed with a read error
    (``make bench``: projects under concurrent updates of one project, whose fifth transaction
    conflict became a 503 and then cost the next request its connection). Installed as the
    innermost middleware, so the idempotency middleware sees the 503/500 and forgets the key.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - the point of this middleware
            if started:
                raise
            response = unexpected_error_response(exc, scope.get("path", ""))
            await response(scope, receive, send)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}}
    for code in (400, 401, 403, 404, 409, 413, 415, 422, 503)
}
"""Use as ``responses=PROBLEM_RESPONSES`` on routers so the OpenAPI document names them."""
