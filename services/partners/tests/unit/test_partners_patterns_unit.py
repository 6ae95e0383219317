"""Event type patterns (PLAT-03, security: a pattern can't stall the service). No servers."""

from __future__ import annotations

import pytest

from anjian_shared.errors import Unprocessable
from anjian_shared.events import EVENT_TYPES
from partners.domain import patterns
from partners.service_layer.subscriptions import check_patterns

TYPES = [f"svc{i % 7}.agg{i % 13}.verb{i % 5}.v{i % 3}" for i in range(1000)]


@pytest.mark.timeout(20)
def test_plat03_many_hash_words_match_in_linear_time():
    """A 40-word ``#.#.#…`` pattern (exponential for a backtracking matcher: 16 s for one
    type) against 1000 types returns; with a non-matching tail it matches nothing."""
    every = ".".join(["#"] * 40)
    assert patterns.matching_types([every], TYPES) == sorted(TYPES)
    never = ".".join(["#"] * 40) + ".nomatch"
    assert patterns.matching_types([never], TYPES) == []
    crafted = ".".join(["#", "*"] * 20) + ".x"
    assert not any(patterns.matches(crafted, t + ".y" * 20) for t in TYPES[:50])


@pytest.mark.parametrize(("pattern", "event_type", "expected"), [
    ("notices.*.*.v1", "notices.notice.issued.v1", True),
    ("notices.*.v1", "notices.notice.issued.v1", False),
    ("inspections.#", "inspections.plan.submitted.v1", True),
    ("#", "identity.user.created.v1", True),
    ("#.v1", "identity.user.created.v1", True),
    ("#.v2", "identity.user.created.v1", False),
    ("identity.#.created.v1", "identity.user.created.v1", True),
    ("identity.#.#.created.v1", "identity.created.v1", True),
    ("identity.*.#.v1", "identity.v1", False),
    ("a.#.b", "a.b", True),
    ("a.#.b", "a.x.y.b", True),
    ("a.#.b", "a.x.y.c", False),
    ("*", "a.b", False),
    ("*.#", "a", True),
])
def test_plat03_topic_semantics(pattern, event_type, expected):
    assert patterns.matches(pattern, event_type) is expected


def test_plat03_long_patterns_are_refused_naming_the_field():
    """At most 10 words and 200 characters: 422 naming ``event_types.<i>``."""
    with pytest.raises(Unprocessable) as too_many:
        check_patterns(["notices.#", ".".join(["#"] * 11)])
    assert too_many.value.field == "event_types.1" and "10 words" in str(too_many.value)
    with pytest.raises(Unprocessable) as too_long:
        check_patterns(["a" * 201])
    assert too_long.value.field == "event_types.0"
    assert check_patterns([".".join(["#"] * 10)]) == [".".join(["#"] * 10)]
    assert patterns.matching_types(["notices.#"], EVENT_TYPES)
