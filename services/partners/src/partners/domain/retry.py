"""When to try a failed webhook delivery again (PLAT-03).

After the n-th failed attempt the delivery waits ``schedule[n-1]`` seconds (the last
value repeats). Once an attempt fails ``window`` seconds or more after the first one,
the delivery gives up and its subscription is paused. With the default schedule
(5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h …) and window (24 h) the attempts run at
0, 5 s, ≈5 min, ≈35 min, ≈2.6 h, ≈7.6 h, ≈17.6 h and ≈27.6 h: retried for more than 24 hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta


def next_attempt_at(*, failures: int, first_attempt_at: datetime, now: datetime, schedule: Sequence[float],
                    window_seconds: float) -> datetime | None:
    """After ``failures`` (≥ 1) failed attempts, the time of the next one, or None to give up."""
    if failures < 1:
        raise ValueError("failures counts failed attempts, from 1")
    if (now - first_attempt_at).total_seconds() >= window_seconds:
        return None
    delay = schedule[min(failures - 1, len(schedule) - 1)]
    return now + timedelta(seconds=delay)
