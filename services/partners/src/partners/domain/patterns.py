"""Event type patterns of a subscription, with AMQP topic semantics (PLAT-03).

A pattern is words separated by dots; a word is ``[a-z0-9_]+``, ``*`` (exactly one
word) or ``#`` (zero or more words). Types have four words
(``<service>.<aggregate>.<verb>.v<N>``): ``notices.*.*.v1`` matches
``notices.notice.issued.v1`` and ``notices.reply.reviewed.v1``; ``notices.*.v1``
matches nothing (one word too few); ``inspections.#`` every inspections event, any
version; ``#`` everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PATTERN = re.compile(r"^(?:[a-z0-9_]+|\*|#)(?:\.(?:[a-z0-9_]+|\*|#))*$")
MAX_LENGTH = 200


def is_valid(pattern: str) -> bool:
    """True for a well-formed pattern (see module doc), at most 200 characters."""
    return len(pattern) <= MAX_LENGTH and bool(PATTERN.match(pattern))


def matches(pattern: str, event_type: str) -> bool:
    """Whether ``event_type`` matches ``pattern`` like an AMQP topic binding key."""
    return _match(pattern.split("."), event_type.split("."))


def _match(pat: list[str], words: list[str]) -> bool:
    if not pat:
        return not words
    head, rest = pat[0], pat[1:]
    if head == "#":
        # zero or more words
        return any(_match(rest, words[i:]) for i in range(len(words) + 1))
    if not words:
        return False
    if head == "*" or head == words[0]:
        return _match(rest, words[1:])
    return False


def matches_any(patterns: Iterable[str], event_type: str) -> bool:
    return any(matches(p, event_type) for p in patterns)


def matching_types(patterns: Iterable[str], types: Iterable[str]) -> list[str]:
    """The ``types`` matched by at least one of ``patterns``, sorted."""
    pats = list(patterns)
    return sorted(t for t in types if matches_any(pats, t))
