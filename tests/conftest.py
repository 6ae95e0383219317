"""Cross-service tests. ``report`` collects the tables the security, fault and load tests
measure (routes covered, outcome counts, cases run) and prints them at the end of the run,
so ``make test`` shows the figures without ``-s``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

_REPORTS: list[tuple[str, str]] = []


@pytest.fixture
def report() -> Callable[[str, str], None]:
    """``report(title, text)``: print ``text`` under ``title`` in the run's summary."""

    def add(title: str, text: str) -> None:
        _REPORTS.append((title, text))
        print(f"\n== {title}\n{text}")

    return add


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    if not _REPORTS:
        return
    terminalreporter.section("measured by the security and fault tests")
    for title, text in _REPORTS:
        terminalreporter.write_line(f"-- {title}")
        for line in text.splitlines():
            terminalreporter.write_line(f"   {line}")
