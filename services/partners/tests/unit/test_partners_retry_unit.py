"""The webhook retry schedule (PLAT-03 recovery): starts with seconds, like Svix/Stripe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from partners.domain.retry import DEFAULT_SCHEDULE, next_attempt_at
from partners.settings import DEFAULT_RETRY_SCHEDULE, Settings


def test_plat03_retry_schedule_starts_with_seconds_and_still_covers_a_day():
    """5 s, 10 s, 30 s, 1 min, 2 min … (it jumped from 5 s to 300 s): a receiver back
    within a minute has its events within seconds; retries still go on past 24 hours."""
    assert list(DEFAULT_SCHEDULE[:5]) == [5, 10, 30, 60, 120]
    assert DEFAULT_RETRY_SCHEDULE == [float(s) for s in DEFAULT_SCHEDULE]
    assert Settings(environment="test").webhook_retry_schedule == DEFAULT_RETRY_SCHEDULE
    first = datetime(2026, 12, 1, tzinfo=UTC)
    now, times = first, [first]
    failures = 0
    while True:
        failures += 1
        nxt = next_attempt_at(failures=failures, first_attempt_at=first, now=now, schedule=DEFAULT_SCHEDULE,
                              window_seconds=24 * 3600)
        if nxt is None:
            break
        now = nxt
        times.append(now)
    offsets = [(t - first).total_seconds() for t in times]
    assert offsets[:5] == [0, 5, 15, 45, 105], offsets
    assert sum(1 for o in offsets if o <= 600) >= 7, "seven attempts within the first ten minutes"
    assert times[-1] - first >= timedelta(hours=24), "still retried for more than a day"
