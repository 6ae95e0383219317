"""Media named by an event, for partners (issue 11, PLAT-03): pure rules, no I/O.

An event names media as ``MediaRef`` objects (``bucket``, ``key``, ``content_type`` …)
anywhere in its ``data`` (a record's photos, a reply's attachments, a plan's signature).
A partner fetches one by the event's id and the media's **name**: the last segment of its
``key`` (``<id>.<ext>``, unique per object). Whether the partner may is the question whether
the event is one it receives (``model.delivers``: its scopes grant the family; events about
partner clients only when about its own).
"""

from __future__ import annotations

import re
from typing import Any

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
"""A media name: the last segment of an object key."""

_MAX_DEPTH = 12


def media_name(key: str) -> str:
    """The name a partner fetches an object by: the last segment of its key."""
    return key.rsplit("/", 1)[-1]


def media_refs(data: Any) -> dict[str, dict[str, Any]]:
    """Every media reference in an event's ``data`` by name (depth-first, first one wins):
    a dict with string ``bucket``, ``key`` and ``content_type``."""
    found: dict[str, dict[str, Any]] = {}

    def walk(value: Any, depth: int) -> None:
        if depth > _MAX_DEPTH:
            return
        if isinstance(value, dict):
            if all(isinstance(value.get(k), str) for k in ("bucket", "key", "content_type")):
                found.setdefault(media_name(value["key"]), value)
            for item in value.values():
                walk(item, depth + 1)
        elif isinstance(value, list):
            for item in value:
                walk(item, depth + 1)

    walk(data, 0)
    return found
