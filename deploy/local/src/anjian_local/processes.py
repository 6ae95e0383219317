"""Launchers stop everything they started, on SIGTERM as on Ctrl-C (issue 11, "processes").

``make bench`` (``bench/run.py``) and the test fixtures start RabbitMQ, SecantusDB, rclone and
the services as child processes, each in its own session (so a Ctrl-C in the terminal does
not hit them before the launcher has stopped them in order). Python's default answer to
SIGTERM is to die at once, without running a single ``finally``: a CI timeout or a
supervisor's SIGTERM used to leave every child running. ``stop_on_signals`` makes SIGTERM,
SIGINT and SIGHUP alike raise ``Stopped`` in the main thread, so every ``finally`` that stops
a child runs; ``reap_descendants`` is the last resort for whatever is still running after
that (SIGTERM, then SIGKILL, to every process descending from this one).

On Linux the launcher also asks the kernel to send it SIGTERM when its parent dies
(``PR_SET_PDEATHSIG``): ``make`` killed with SIGKILL still takes the launcher, and with it
its children, along.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import sys
from collections.abc import Iterator

import psutil

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
"""The signals that stop a launcher (each ends with the same cleanup)."""

_PR_SET_PDEATHSIG = 1


class Stopped(BaseException):  # noqa: N818 - like KeyboardInterrupt: not an error, a request to stop
    """Raised in the main thread by the first stop signal; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """The shell's convention for "ended by signal N": 128 + N."""
        return 128 + self.signum


def ask_for_parent_death_signal() -> None:
    """Linux: SIGTERM to this process when its parent dies (best effort; elsewhere nothing)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[list[int]]:
    """Within the block, SIGTERM, SIGINT and SIGHUP raise ``Stopped`` (once: a signal that
    arrives while stopping is only recorded, so the cleanup finishes). Yields the list of
    signals received. Restores the previous handlers on leaving. Main thread only."""
    received: list[int] = []

    def handler(signum: int, frame: object) -> None:
        received.append(signum)
        if len(received) == 1:
            raise Stopped(signum)

    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    ask_for_parent_death_signal()
    try:
        yield received
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def descendants() -> list[psutil.Process]:
    """Every process descending from this one (children of children included)."""
    try:
        return psutil.Process().children(recursive=True)
    except psutil.Error:
        return []


def reap_descendants(timeout: float = 15) -> list[int]:
    """SIGTERM every process still descending from this one, SIGKILL what is left after
    ``timeout`` seconds; returns the pids that had to be signalled (none after a clean stop)."""
    procs = descendants()
    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.terminate()
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=5)
    return [p.pid for p in procs]
