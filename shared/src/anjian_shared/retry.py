"""One retry vocabulary: named policies, each with jitter and a cap (issue 10).

Every place that waits and tries again uses one of these, so the numbers live here:

==========================  =====================  =========================================
policy                      waits (mean, ±50 %)    gives up
==========================  =====================  =========================================
``DEPENDENCY_WAIT``         0.2 s → 2 s            after 30 s (a database / S3 / broker restarting)
``TRANSACTION_CONFLICT``    20 ms → 2.5 s          after 8 attempts (MongoDB 112 / 251 / transient)
``RECONNECT``               0.5 s → 5 s            never: until cancelled (broker, startup)
``REDELIVERY``              0.2 s → 5 s            the queue's ``x-delivery-limit`` (counted by
                                                   RabbitMQ, then dead-lettered)
==========================  =====================  =========================================

The waits grow exponentially and are spread by proportional jitter: the n-th wait is
``initial · 2ⁿ⁻¹ · U(0.5, 1.5)`` (the mean capped at ``maximum``), so replicas that failed
together do not retry together (``make bench``: 16 clients on one plan exhausted five
unjittered attempts and answered 503).

Why tenacity and not stamina: stamina is an opinionated layer over tenacity whose knobs
are attempts, timeout and the wait curve; several of our loops need more than that — a
stop condition besides time (a consumer retries in place only while its channel is open),
a retry predicate on the exception's content (``dependency_unavailable``: labels and
codes, not types), and the wait curve alone for loops that are not retries (the
delivery-count back-off before a nack, a worker's error back-off). tenacity has all of
them as composable parts (``stop_any``, ``retry_if_exception``, ``wait_* + wait_*``).

Unit tests make the waits instant with ``anjian_shared.testing.instant_retries()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import EllipsisType
from typing import Any, TypeVar

import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    stop_any,
    stop_never,
    wait_exponential,
    wait_random_exponential,
)
from tenacity.stop import stop_base
from tenacity.wait import wait_base

log = structlog.get_logger("anjian.retry")
T = TypeVar("T")

_time_scale = 1.0
"""1 in production; ``anjian_shared.testing.instant_retries()`` sets 0 (no waiting in unit tests)."""


async def sleep(seconds: float) -> None:
    """``asyncio.sleep`` of a back-off (instant under ``instant_retries()``)."""
    await asyncio.sleep(seconds * _time_scale)


def _any_exception(exc: BaseException) -> bool:
    return isinstance(exc, Exception)  # never asyncio.CancelledError: stopping is not a failure


def _dependency_unavailable(exc: BaseException) -> bool:
    from .problems import dependency_unavailable

    return dependency_unavailable(exc) is not None


@dataclass(frozen=True)
class Policy:
    """A named way of waiting and trying again.

    ``initial``/``maximum``: mean wait (seconds) after the first failure and its cap;
    ``attempts``/``timeout`` (seconds since the first attempt): when to give up (None:
    never); ``jitter``: each wait is spread over ±``jitter`` of its mean."""

    name: str
    initial: float
    maximum: float
    attempts: int | None = None
    timeout: float | None = None
    jitter: float = 0.5
    log_level: str = "warning"
    """Level of the line logged before each wait (conflicts are routine under load: info)."""

    def wait(self) -> wait_base:
        """The tenacity wait: exponential, proportional jitter (a fixed part plus a random part)."""
        fixed, spread = 1 - self.jitter, 2 * self.jitter
        return (wait_exponential(multiplier=self.initial * fixed, max=self.maximum * fixed)
                + wait_random_exponential(multiplier=self.initial * spread, max=self.maximum * spread))

    def backoff(self, failures: int) -> float:
        """Seconds to wait after ``failures`` failures in a row (1 = the first), for loops that
        count failures themselves (redeliveries, a worker's passes)."""
        state = RetryCallState(None, None, (), {})  # type: ignore[arg-type]
        state.attempt_number = max(failures, 1)
        return self.wait()(state)

    def retrying(self, *, retry_if: Callable[[BaseException], bool] | None = None,
                 attempts: int | None | EllipsisType = ..., timeout: float | None | EllipsisType = ...,
                 give_up_when: Callable[[], bool] | None = None, what: str = "operation",
                 ) -> AsyncRetrying:
        """A tenacity ``AsyncRetrying`` of this policy (``async for attempt in …: with attempt:``).

        ``retry_if(exc)``: which failures are retried (default: ``DEPENDENCY_WAIT`` retries
        what ``problems.dependency_unavailable`` recognises, the others any ``Exception``);
        the last failure is re-raised unchanged once the policy gives up. ``attempts`` /
        ``timeout`` override the policy's (None: no such limit); ``give_up_when()`` is
        checked after each failure (e.g. "the channel closed"). ``what`` names the operation
        in the log line written before each wait."""
        attempts = self.attempts if isinstance(attempts, EllipsisType) else attempts
        timeout = self.timeout if isinstance(timeout, EllipsisType) else timeout
        stops: list[stop_base | Callable[[RetryCallState], bool]] = []
        if attempts is not None:
            stops.append(stop_after_attempt(attempts))
        if timeout is not None:
            stops.append(stop_after_delay(timeout))
        if give_up_when is not None:
            stops.append(lambda _state: give_up_when())
        if retry_if is None:
            retry_if = _dependency_unavailable if self is DEPENDENCY_WAIT else _any_exception
        policy, emit = self.name, getattr(log, self.log_level)

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            emit(f"{what} failed, retrying", policy=policy, attempt=state.attempt_number,
                 wait=round(state.upcoming_sleep, 3), error=repr(exc)[:200])

        return AsyncRetrying(
            sleep=sleep,
            stop=stop_any(*stops) if stops else stop_never,
            wait=self.wait(),
            retry=retry_if_exception(retry_if),
            before_sleep=before_sleep,
            reraise=True,
        )

    async def call(self, fn: Callable[[], Awaitable[T]], **options: Any) -> T:
        """``await fn()`` under this policy; ``options`` as for ``retrying``. ``fn`` may be any
        callable returning an awaitable (a lambda too: tenacity's own ``__call__`` would take
        a lambda for a plain function and never await its coroutine)."""
        async for attempt in self.retrying(**options):
            with attempt:
                return await fn()
        raise AssertionError("unreachable: the last failure is re-raised")


DEPENDENCY_WAIT = Policy("dependency-wait", initial=0.2, maximum=2.0, timeout=30.0)
"""A database, S3 or broker that is restarting or failing over: wait for it, up to 30 s."""

TRANSACTION_CONFLICT = Policy("transaction-conflict", initial=0.02, maximum=2.5, attempts=8, log_level="info")
"""A MongoDB transaction that lost a race (TransientTransactionError, WriteConflict 112,
NoSuchTransaction 251): run the unit again, 8 attempts (≈5 s in all)."""

RECONNECT = Policy("reconnect", initial=0.5, maximum=5.0)
"""Reconnecting to the broker, waiting for dependencies at start: forever, until cancelled."""

REDELIVERY = Policy("redelivery", initial=0.2, maximum=5.0)
"""A message whose handler failed waits this long before it is nacked for redelivery; the
n-th delivery waits ``backoff(n)``. RabbitMQ counts the deliveries (``x-delivery-count``)
and dead-letters the message after the queue's ``x-delivery-limit``."""
