"""Event type patterns of a subscription, with AMQP topic semantics (PLAT-03).

A pattern is words separated by dots; a word is ``[a-z0-9_]+``, ``*`` (exactly one
word) or ``#`` (zero or more words). Types have four words
(``<service>.<aggregate>.<verb>.v<N>``): ``notices.*.*.v1`` matches
``notices.notice.issued.v1`` and ``notices.reply.reviewed.v1``; ``notices.*.v1``
matches nothing (one word too few); ``inspections.#`` every inspections event, any
version; ``#`` everything.

Matching runs in linear time in (pattern words × type words): one pass over the type
keeping the set of pattern positions reached (a Thompson-style simulation), never
backtracking — a pattern of many ``#`` can't stall the service. Patterns are bounded
too: at most ``MAX_WORDS`` (10) words and ``MAX_LENGTH`` (200) characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

WORD = re.compile(r"^(?:[a-z0-9_]+|\*|#)$")
MAX_LENGTH = 200
MAX_WORDS = 10


def problem(pattern: str) -> str | None:
    """Why ``pattern`` is not acceptable (None: it is): too long, too many words, or a
    word that is not ``[a-z0-9_]+``, ``*`` or ``#``."""
    if len(pattern) > MAX_LENGTH:
        return f"a pattern has at most {MAX_LENGTH} characters"
    words = pattern.split(".")
    if len(words) > MAX_WORDS:
        return f"a pattern has at most {MAX_WORDS} words"
    if not all(WORD.match(w) for w in words):
        return "words of a-z, 0-9, _ separated by dots; * is one word, # zero or more"
    return None


def is_valid(pattern: str) -> bool:
    """True for a well-formed pattern (see module doc)."""
    return problem(pattern) is None


def matches(pattern: str, event_type: str) -> bool:
    """Whether ``event_type`` matches ``pattern`` like an AMQP topic binding key.

    O(len(pattern words) × len(type words)) whatever the pattern (no backtracking)."""
    return _match(tuple(pattern.split(".")), tuple(event_type.split(".")))


def _closure(pat: tuple[str, ...], states: set[int]) -> set[int]:
    """Add the positions reachable by letting each ``#`` match zero words."""
    out = set(states)
    for i in sorted(states):
        j = i
        while j < len(pat) and pat[j] == "#":
            j += 1
            out.add(j)
    return out


@lru_cache(maxsize=4096)
def _match(pat: tuple[str, ...], words: tuple[str, ...]) -> bool:
    states = _closure(pat, {0})
    for word in words:
        nxt: set[int] = set()
        for i in states:
            if i >= len(pat):
                continue
            head = pat[i]
            if head == "#":
                nxt.add(i)  # '#' swallows this word and may swallow more
            elif head == "*" or head == word:
                nxt.add(i + 1)
        states = _closure(pat, nxt)
        if not states:
            return False
    return len(pat) in states


def matches_any(patterns: Iterable[str], event_type: str) -> bool:
    return any(matches(p, event_type) for p in patterns)


def matching_types(patterns: Iterable[str], types: Iterable[str]) -> list[str]:
    """The ``types`` matched by at least one of ``patterns``, sorted."""
    pats = list(patterns)
    return sorted(t for t in types if matches_any(pats, t))
