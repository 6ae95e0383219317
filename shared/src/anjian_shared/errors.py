"""Domain errors: what a rule refuses, in the domain's words, with no HTTP in them.

Domain and service-layer code raise these; ``anjian_shared.problems`` maps each class to an
RFC 9457 problem response in one place (status code, ``type`` URI, ``Retry-After``). A
domain module imports this module, never FastAPI or ``problems`` (checked by import-linter).

``code`` is the stable machine name of what happened (``notice-awaiting-review``,
``record-already-reviewed`` …): it becomes the problem ``type``'s last segment and is what a
front end keys its messages on. ``field`` names the request field that was wrong, where
one was. ``retry_after`` (seconds) marks a state that is only not-yet-arrived: the same
request may succeed later, so it must never read as a permanent refusal.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One wrong field: dotted path (``results.0.hazard_code``) and what is wrong with it."""

    field: str
    message: str


class DomainError(Exception):
    """Base of every refusal. Subclasses set ``slug`` (the default code) and ``title``."""

    slug = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        field: str | None = None,
        slug: str | None = None,
        errors: list[FieldProblem] | list | None = None,
        retry_after: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.field = field
        self.errors = errors
        self.retry_after = retry_after
        # kept for callers written before retry_after existed; only Retry-After is honoured
        if headers and "Retry-After" in headers and retry_after is None:
            self.retry_after = int(headers["Retry-After"])
        self.extra_headers = {k: v for k, v in (headers or {}).items() if k != "Retry-After"}
        if slug:
            self.slug = slug

    @property
    def code(self) -> str:
        """The stable name of what happened (the problem type's last segment)."""
        return self.slug


class Unauthorized(DomainError):
    """Who is asking is not known (no, expired or forged credentials)."""

    slug, title = "unauthorized", "Authentication required"


class Forbidden(DomainError):
    """Known, but this role, organisation or feature switch does not allow it."""

    slug, title = "forbidden", "Not allowed"


class NotFound(DomainError):
    """No such thing the caller may see (also for things of another tenant or company)."""

    slug, title = "not-found", "Not found"


class Conflict(DomainError):
    """Well formed, but the aggregate's state refuses it (e.g. the plan is submitted)."""

    slug, title = "conflict", "Conflicts with the current state"


class PayloadTooLarge(DomainError):
    """An upload or body over the tenant's or platform's limit."""

    slug, title = "payload-too-large", "Payload too large"


class UnsupportedMedia(DomainError):
    """A file whose sniffed type is not one the field accepts."""

    slug, title = "unsupported-media-type", "Unsupported media type"


class Unprocessable(DomainError):
    """A value breaks a rule (the field is named)."""

    slug, title = "validation-error", "Invalid request"


class TooManyRequests(DomainError):
    """Throttled; ``retry_after`` says when to try again."""

    slug, title = "too-many-requests", "Too many requests"


class ServiceUnavailable(DomainError):
    """A dependency is away; retry after ``retry_after`` seconds."""

    slug, title = "service-unavailable", "Temporarily unavailable"


class NotYetAvailable(Conflict):
    """What the request rests on has not arrived yet (an event still on its way): the same
    request succeeds once it has. Always carries ``retry_after``; never a permanent 4xx."""

    slug, title = "not-yet-available", "Not available yet"

    def __init__(self, detail: str | None = None, *, field: str | None = None, slug: str | None = None,
                 retry_after: int = 1) -> None:
        super().__init__(detail, field=field, slug=slug, retry_after=retry_after)
