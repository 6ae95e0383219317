"""Test doubles of the platform's infrastructure, for unit tests that run without servers.

``anjian_shared.testing.fakes`` holds the in-memory database (``FakeDatabase``: the
unit-of-work factory use cases take), its unit of work, repositories and ``FakeStorage``.
It imports mongomock (a development dependency, ``requirements-dev.txt``): import it from
tests only, never from service code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from .. import retry


@contextlib.contextmanager
def instant_retries() -> Iterator[None]:
    """Within the block every ``anjian_shared.retry`` back-off waits 0 s (the policies' attempt
    counts still apply; their time limits count real time, which then passes quickly)."""
    previous, retry._time_scale = retry._time_scale, 0.0
    try:
        yield
    finally:
        retry._time_scale = previous
