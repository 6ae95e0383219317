"""Failpoints: named places where a fault test makes a process crash or an operation fail.

A failpoint is a no-op unless switched on, either for the whole process through the
environment (a service started as a subprocess by a fault test)::

    ANJIAN_FAILPOINTS="outbox.after_publish=exit,bus.before_ack=exit"

or in-process with ``enable``/``disable``. Actions:

- ``exit``  — ``os._exit(137)`` at once: like SIGKILL at exactly that point (no cleanup,
  no ack, no "mark sent");
- ``raise`` — raise ``FailpointError`` (a failing handler, a failing publish).

The environment is honoured only when ``ANJIAN_ENVIRONMENT`` says ``test`` or
``development`` (unset means production, as in ``anjian_shared.settings``): a production
process never crashes on purpose, and its settings refuse to start while
``ANJIAN_FAILPOINTS`` is set at all (``ServiceSettings.production_problems``).

Failpoints in the code (see the fault tests under ``tests/faults``):

- ``outbox.before_publish`` — the relay claimed a committed row, nothing published yet;
- ``outbox.after_publish``  — the broker confirmed the event, the row is not marked sent;
- ``bus.before_ack``        — the handler's transaction committed, the message is not acked;
- ``bus.handler.<queue>``   — the handler of consumer ``<queue>`` fails (``raise``);
- ``bus.handler.<queue>.<subject>`` — the same, only for events about ``<subject>``.
"""

from __future__ import annotations

import os

_ENV = "ANJIAN_FAILPOINTS"
_active: dict[str, str] = {}


class FailpointError(RuntimeError):
    """Raised by a failpoint whose action is ``raise``."""


def _from_environment() -> dict[str, str]:
    if os.environ.get("ANJIAN_ENVIRONMENT", "production") not in ("test", "development"):
        return {}
    points = {}
    for item in os.environ.get(_ENV, "").split(","):
        name, _, action = item.strip().partition("=")
        if name:
            points[name] = action or "exit"
    return points


_active.update(_from_environment())


def enable(name: str, action: str = "raise") -> None:
    """Switch failpoint ``name`` on in this process (tests)."""
    if action not in ("exit", "raise"):
        raise ValueError(f"unknown failpoint action {action!r}")
    _active[name] = action


def disable(name: str) -> None:
    _active.pop(name, None)


def hit(name: str) -> None:
    """Mark a failpoint: does nothing unless ``name`` is switched on."""
    if not _active:
        return
    action = _active.get(name)
    if action == "exit":
        os._exit(137)
    if action == "raise":
        raise FailpointError(f"failpoint {name}")
