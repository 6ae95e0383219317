"""RFC 9457 problem details (``application/problem+json``).

Raise an ``anjian_shared.errors`` class (a domain error) anywhere in a request; the handlers
installed by ``install_problem_handlers`` map it here, in one place, FastAPI's validation errors and any unexpected
exception into a problem response with a stable ``type`` and, where one field was
wrong, ``field`` plus an ``errors`` list. Never a stack trace.

Every body carries ``code`` (the stable last segment of ``type``, what a front end keys its
texts on), ``title`` in Chinese (``anjian_shared.problem_titles``, one table for every code,
documented in the README) and ``title_en``; ``detail`` is the English specifics for the
developer. Validation errors are worded here (``validation_message``): each ``errors[]``
entry names the field, the rule (``code``: ``missing``, ``string_too_long`` …) and a Chinese +
English ``message``; pydantic's own wording ("Input should be…") never reaches a client.
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
from .problem_titles import TITLES_ZH, title_zh

PROBLEM_BASE = "https://anjian.dev/problems/"
log = structlog.get_logger("anjian.problems")


class FieldError(BaseModel):
    """One wrong field: its dotted path, the rule it broke (``code``) and a Chinese + English message."""

    field: str
    message: str
    code: str | None = None


class Problem(BaseModel):
    """The body of every error response: ``code`` = the last segment of ``type``; ``title`` in
    Chinese (``anjian_shared.problem_titles``), ``title_en`` in English; ``detail`` the specifics."""

    type: str
    code: str | None = None
    title: str
    title_en: str | None = None
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
    status = status_of(exc)
    return Problem(
        type=PROBLEM_BASE + exc.slug,
        code=exc.slug,
        title=title_zh(exc.slug, status),
        title_en=exc.title,
        status=status,
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
    """The JSON response of ``problem`` (``Content-Language: zh-CN``: the title is Chinese);
    ``code`` is filled from ``type`` when a caller left it out."""
    if problem.code is None and problem.type.startswith(PROBLEM_BASE):
        problem = problem.model_copy(update={"code": problem.type[len(PROBLEM_BASE):]})
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem.status,
        media_type="application/problem+json",
        headers={"Content-Language": "zh-CN", **(headers or {})},
    )


def _loc_to_field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form", "cookie")]
    return ".".join(parts) or "body"


# pydantic's error type → (Chinese, English) rule text; ``{…}`` from the error's ``ctx``.
_RULES: dict[str, tuple[str, str]] = {
    "missing": ("必填", "required"),
    "missing_argument": ("必填", "required"),
    "extra_forbidden": ("不接受此字段", "not an accepted field"),
    "string_type": ("应为字符串", "must be a string"),
    "string_too_short": ("至少 {min_length} 个字符", "at least {min_length} characters"),
    "string_too_long": ("最多 {max_length} 个字符", "at most {max_length} characters"),
    "string_pattern_mismatch": ("格式不符合要求（{pattern}）", "must match {pattern}"),
    "string_unicode": ("应为有效的文本", "must be valid text"),
    "too_short": ("至少 {min_length} 项", "at least {min_length} items"),
    "too_long": ("最多 {max_length} 项", "at most {max_length} items"),
    "int_type": ("应为整数", "must be an integer"),
    "int_parsing": ("应为整数", "must be an integer"),
    "int_from_float": ("应为整数", "must be an integer"),
    "int_parsing_size": ("整数超出范围", "integer out of range"),
    "float_type": ("应为数字", "must be a number"),
    "float_parsing": ("应为数字", "must be a number"),
    "decimal_type": ("应为数字", "must be a number"),
    "decimal_parsing": ("应为数字", "must be a number"),
    "finite_number": ("应为有限的数字", "must be a finite number"),
    "multiple_of": ("应为 {multiple_of} 的倍数", "must be a multiple of {multiple_of}"),
    "bool_type": ("应为 true 或 false", "must be true or false"),
    "bool_parsing": ("应为 true 或 false", "must be true or false"),
    "greater_than": ("应大于 {gt}", "greater than {gt}"),
    "greater_than_equal": ("不能小于 {ge}", "at least {ge}"),
    "less_than": ("应小于 {lt}", "less than {lt}"),
    "less_than_equal": ("不能大于 {le}", "at most {le}"),
    "enum": ("应为以下之一：{expected}", "one of {expected}"),
    "literal_error": ("应为以下之一：{expected}", "one of {expected}"),
    "date_type": ("应为日期（YYYY-MM-DD）", "must be a date (YYYY-MM-DD)"),
    "date_parsing": ("应为日期（YYYY-MM-DD）", "must be a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": ("应为日期（YYYY-MM-DD）", "must be a date (YYYY-MM-DD)"),
    "date_from_datetime_inexact": ("应为日期，不含时间", "must be a date without a time"),
    "datetime_type": ("应为日期时间（ISO 8601）", "must be a date-time (ISO 8601)"),
    "datetime_parsing": ("应为日期时间（ISO 8601）", "must be a date-time (ISO 8601)"),
    "datetime_from_date_parsing": ("应为日期时间（ISO 8601）", "must be a date-time (ISO 8601)"),
    "timezone_aware": ("应带时区", "must carry a time zone"),
    "time_type": ("应为时间（HH:MM[:SS]）", "must be a time (HH:MM[:SS])"),
    "time_parsing": ("应为时间（HH:MM[:SS]）", "must be a time (HH:MM[:SS])"),
    "uuid_type": ("应为 UUID", "must be a UUID"),
    "uuid_parsing": ("应为 UUID", "must be a UUID"),
    "url_type": ("应为网址", "must be a URL"),
    "url_parsing": ("应为有效的网址", "must be a valid URL"),
    "url_scheme": ("网址协议应为 {expected_schemes}", "URL scheme must be {expected_schemes}"),
    "url_too_long": ("网址过长", "URL too long"),
    "json_invalid": ("不是有效的 JSON", "not valid JSON"),
    "json_type": ("应为 JSON", "must be JSON"),
    "dict_type": ("应为对象", "must be an object"),
    "model_type": ("应为对象", "must be an object"),
    "model_attributes_type": ("应为对象", "must be an object"),
    "list_type": ("应为数组", "must be an array"),
    "tuple_type": ("应为数组", "must be an array"),
    "set_type": ("应为数组", "must be an array"),
    "frozen_set_type": ("应为数组", "must be an array"),
    "bytes_type": ("应为文件或字节串", "must be a file or bytes"),
    "bytes_too_short": ("至少 {min_length} 字节", "at least {min_length} bytes"),
    "bytes_too_long": ("最多 {max_length} 字节", "at most {max_length} bytes"),
    "none_required": ("应为空", "must be null"),
    "union_tag_invalid": ("类型标记无效", "unknown kind"),
    "union_tag_not_found": ("缺少类型标记", "kind missing"),
    "is_instance_of": ("类型不正确", "wrong type"),
    "recursion_loop": ("嵌套层级过深", "nested too deeply"),
}


def validation_message(error: dict[str, Any]) -> FieldError:
    """One pydantic/FastAPI validation error as the platform words it: ``field``, the rule's
    ``code`` (pydantic's error type) and ``message`` = "<field>：<中文> (<field>: <English>)".

    A rule this table does not know reads "值不符合规则 <type>"; a ``value_error`` raised by
    the platform's own validators keeps that validator's (our) message, without pydantic's
    "Value error, " prefix. Never pydantic's generic wording.
    """
    field = _loc_to_field(error.get("loc", ()))
    kind = str(error.get("type") or "invalid")
    ctx = {k: v for k, v in (error.get("ctx") or {}).items()}
    if kind in ("value_error", "assertion_error"):
        own = str(ctx.get("error") or error.get("msg") or "")
        for prefix in ("Value error, ", "Assertion failed, "):
            own = own.removeprefix(prefix)
        zh, en = f"值无效：{own}", f"invalid: {own}"
    elif kind in _RULES:
        zh_t, en_t = _RULES[kind]
        try:
            zh, en = zh_t.format(**ctx), en_t.format(**ctx)
        except (KeyError, IndexError, ValueError):
            zh, en = zh_t.split("{")[0].rstrip("：（ ") or zh_t, en_t.split("{")[0].strip() or en_t
    else:
        zh, en = f"值不符合规则 {kind}", f"breaks the rule {kind}"
    return FieldError(field=field, code=kind, message=f"{field}：{zh} ({field}: {en})")


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


HTTP_STATUS_CODES: dict[int, str] = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized",
                                     403: "forbidden"}
"""The codes of the errors Starlette itself raises (an unknown path or method); others ``http-error``."""


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem response."""

    @app.exception_handler(DomainError)
    async def _problem(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(problem_of(exc, str(request.url.path)), headers_of(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [validation_message(e) for e in exc.errors()]
        first = errors[0].field if errors else None
        problem = Problem(
            type=PROBLEM_BASE + "validation-error",
            code="validation-error",
            title=TITLES_ZH["validation-error"],
            title_en="Invalid request",
            status=422,
            detail="; ".join(e.message for e in errors),
            instance=str(request.url.path),
            field=first,
            errors=errors,
        )
        return problem_response(problem)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_STATUS_CODES.get(exc.status_code, "http-error")
        problem = Problem(type=PROBLEM_BASE + code, code=code, title=title_zh(code, exc.status_code),
                          title_en=str(exc.detail), status=exc.status_code, instance=str(request.url.path))
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
        problem = Problem(type=PROBLEM_BASE + "service-unavailable", code="service-unavailable",
                          title=TITLES_ZH["service-unavailable"], title_en=f"{unavailable} unavailable", status=503,
                          detail="a dependency is restarting or unreachable; retry shortly", instance=path)
        return problem_response(problem, {"Retry-After": "2"})
    log.error("unhandled error", path=path, exc_info=exc)
    problem = Problem(type=PROBLEM_BASE + "internal-error", code="internal-error", title=TITLES_ZH["internal-error"],
                      title_en="Internal error", status=500, instance=path)
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


def problem_doc(description: str) -> dict[str, Any]:
    """One more problem status of a route for its ``responses={status: problem_doc("…")}``:
    the Problem model as ``application/problem+json`` (a bare ``{"description": …}`` or
    ``{"model": Problem}`` documents ``application/json`` and replaces the router's entry of that
    status, so the problem answer broke its own document: schemathesis ST105)."""
    return {"model": Problem, "content": {"application/problem+json": {}}, "description": description}
