"""JSON text with a bound on its nesting (issue 11, security): a text nested ~1000 levels makes
``json.loads`` and pydantic's serializer recurse until they fail, which answered 500.

``json_depth_exceeds`` scans a text in linear time; ``loads_limited`` is ``json.loads`` that
refuses a text nested deeper than ``max_depth`` with a ``ValueError`` (what callers already
turn into a 422 for malformed JSON). Request bodies are checked once for every service by
``limits.JsonDepthLimitMiddleware``; JSON inside form fields goes through ``loads_limited``.
No HTTP here: domain modules may use it.
"""

from __future__ import annotations

import json
import re
from typing import Any

DEFAULT_MAX_DEPTH = 32
"""Deepest nesting of arrays/objects accepted (``ANJIAN_MAX_JSON_DEPTH`` for bodies)."""

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth_exceeds(text: bytes | str, max_depth: int = DEFAULT_MAX_DEPTH) -> bool:
    """True when the JSON ``text`` nests arrays/objects deeper than ``max_depth``.

    Counts structure only (brackets inside strings don't count); malformed text is left to the
    parser. Linear time: a quick count first, then strings removed by one regular expression.
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return False
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub(b"", data)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


class JsonTooDeep(ValueError):
    """A JSON text nested deeper than allowed (a ``ValueError``, like malformed JSON)."""


def loads_limited(text: str | bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """``json.loads(text)``, refusing (``JsonTooDeep``) a text nested deeper than ``max_depth``."""
    if json_depth_exceeds(text, max_depth):
        raise JsonTooDeep(f"JSON nested deeper than {max_depth} levels")
    return json.loads(text)
