"""When to try a failed webhook delivery again (PLAT-03).

After the n-th failed attempt the delivery waits ``schedule[n-1]`` seconds (the last
value repeats). Once an attempt fails ``window`` seconds or more after the first one,
the delivery gives up and its subscription is paused.

The default schedule starts with seconds, as the established webhook services do
(Svix, Stripe): 5 s, 10 s, 30 s, 1 min, 2 min, 5 min, 10 min, 30 min, 1 h, 2 h, 5 h,
10 h, 10 h … With the default window (24 h) the attempts run at 0, 5 s, 15 s, 45 s,
≈1.8 min, ≈3.8 min, ≈8.8 min, ≈19 min, ≈49 min, ≈1.8 h, ≈3.8 h, ≈8.8 h, ≈18.8 h and
≈28.8 h: a receiver back within a minute gets its events within seconds, and one down
for a day is still retried. ``POST /subscriptions/{id}/retry`` (and resuming a paused
subscription) tries everything at once instead of waiting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

DEFAULT_SCHEDULE: tuple[float, ...] = (5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 18000, 36000)
"""Seconds to wait after the 1st, 2nd, … failed attempt (the last value repeats)."""


def next_attempt_at(*, failures: int, first_attempt_at: datetime, now: datetime, schedule: Sequence[float],
                    window_seconds: float) -> datetime | None:
    """After ``failures`` (≥ 1) failed attempts, the time of the next one, or None to give up."""
    if failures < 1:
        raise ValueError("failures counts failed attempts, from 1")
    if (now - first_attempt_at).total_seconds() >= window_seconds:
        return None
    delay = schedule[min(failures - 1, len(schedule) - 1)]
    return now + timedelta(seconds=delay)
