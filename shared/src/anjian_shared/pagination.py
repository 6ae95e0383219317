"""Cursor pagination: lists are never unbounded, and there is one way to page them.

``paginate(repo, flt, sort=[("created_at", -1), ("_id", -1)], limit=…, cursor=…)`` returns one
page of ``repo``'s documents matching ``flt`` in ``sort`` order (keyset pagination: the next
page starts strictly after the last document of this one, so inserts and deletes between
requests never repeat or skip a document). ``_id`` is appended to ``sort`` when missing, so the
order is total. ``limit`` is 1..100 at the API (``Limit``; default 20).

The cursor (``next_cursor`` of the previous page) is opaque to clients: url-safe base64 of a
small versioned JSON record holding the sort-key values of the page's last document (datetime,
str, int, float, bool or null), a fingerprint of the sort keys and a checksum. A cursor that was
edited, truncated, belongs to another list's order, or comes from another codec version is
refused with 422 naming ``cursor`` (``anjian_shared.errors.Unprocessable``). The checksum
detects damage, not forgery: a forged cursor only names a position, every filter still applies.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, NamedTuple, TypeVar

from fastapi import Query
from pydantic import BaseModel

from .errors import Unprocessable

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=100, description="page size, 1..100")]
Cursor = Annotated[str | None, Query(max_length=400,
                                      description="next_cursor of the previous page")]

SortSpec = Sequence[tuple[str, int]]
NEWEST_FIRST: tuple[tuple[str, int], ...] = (("created_at", -1), ("_id", -1))
"""The default order: newest first, ties broken by id."""

CURSOR_VERSION = 1


class Page(BaseModel, Generic[T]):
    """A page of a list in an API response (``XPage`` schemas derive from it)."""

    items: list[T]
    next_cursor: str | None = None


class DocPage(NamedTuple):
    """One page of documents as ``paginate`` returns it; unpacks as ``docs, next_cursor``."""

    items: list[dict[str, Any]]
    next_cursor: str | None


def _invalid(reason: str) -> Unprocessable:
    return Unprocessable(f"cursor is not valid ({reason}); start again without a cursor",
                         field="cursor")


def _checksum(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=6, person=b"anjian-cursor").hexdigest()


def _tag(value: Any) -> list[Any]:
    if value is None:
        return ["n"]
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, datetime):
        return ["d", value.isoformat()]
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, float):
        return ["f", value]
    if isinstance(value, str):
        return ["s", value]
    raise TypeError(f"a cursor cannot carry a {type(value).__name__} sort key")


def _untag(tagged: Any) -> Any:
    kind, *rest = tagged
    if kind == "n" and not rest:
        return None
    (raw,) = rest
    if kind == "d" and isinstance(raw, str):
        return datetime.fromisoformat(raw)
    if kind == "s" and isinstance(raw, str):
        return raw
    if kind == "b" and isinstance(raw, bool):
        return raw
    if kind == "i" and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if kind == "f" and isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    raise ValueError(f"bad value {tagged!r}")


def _order_id(sort: SortSpec) -> str:
    """A short fingerprint of the order a cursor belongs to (keys and directions)."""
    return _checksum(",".join(f"{k}:{d}" for k, d in sort).encode())[:8]


def encode_cursor(values: Sequence[Any], sort: SortSpec) -> str:
    """The opaque cursor naming the position ``values`` (one per key of ``sort``)."""
    if len(values) != len(sort):
        raise ValueError("one value per sort key")
    body = json.dumps({"v": CURSOR_VERSION, "k": _order_id(sort), "p": [_tag(v) for v in values]},
                      separators=(",", ":"), ensure_ascii=False).encode()
    raw = _checksum(body).encode() + b"." + body
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: SortSpec) -> tuple[Any, ...]:
    """The sort-key values ``encode_cursor`` put in ``cursor`` for ``sort``; 422 naming
    ``cursor`` when it is damaged, of another version or of another order."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        digest, sep, body = raw.partition(b".")
        if not sep or digest.decode() != _checksum(body):
            raise _invalid("damaged")
        record = json.loads(body)
        if not isinstance(record, dict) or record.get("v") != CURSOR_VERSION:
            raise _invalid("unknown version")
        if record.get("k") != _order_id(sort) or len(record.get("p", ())) != len(sort):
            raise _invalid("it belongs to another order")
        return tuple(_untag(t) for t in record["p"])
    except Unprocessable:
        raise
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, binascii.Error) as exc:
        raise _invalid("damaged") from exc


def total_order(sort: SortSpec | None) -> list[tuple[str, int]]:
    """``sort`` (default newest first) with ``_id`` appended when missing, so no two
    documents tie."""
    keys = [(k, 1 if d >= 0 else -1) for k, d in (sort or NEWEST_FIRST)]
    if all(k != "_id" for k, _ in keys):
        keys.append(("_id", keys[-1][1] if keys else 1))
    return keys


def _strictly_after(key: str, direction: int, value: Any) -> dict[str, Any] | None:
    """Documents whose ``key`` comes after ``value`` in ``direction`` (MongoDB's order: null
    sorts before any number, string or date); None when nothing can."""
    if value is None:
        return {key: {"$ne": None}} if direction > 0 else None
    return {key: {"$gt" if direction > 0 else "$lt": value}}


def after_filter(sort: SortSpec, values: Sequence[Any]) -> dict[str, Any]:
    """The keyset filter of the documents after the position ``values`` in ``sort`` order:
    (k1 after v1) or (k1 = v1 and k2 after v2) or …"""
    branches: list[dict[str, Any]] = []
    equal: dict[str, Any] = {}
    for (key, direction), value in zip(sort, values, strict=True):
        after = _strictly_after(key, direction, value)
        if after is not None:
            branches.append({**equal, **after} if key not in equal else {"$and": [equal, after]})
        equal = {**equal, key: value}
    return {"$or": branches} if branches else {"_id": {"$in": []}}


def _value(doc: Mapping[str, Any], dotted: str) -> Any:
    cur: Any = doc
    for part in dotted.split("."):
        cur = cur.get(part) if isinstance(cur, Mapping) else None
    return cur


async def paginate(repo: Any, flt: Mapping[str, Any] | None = None, *, sort: SortSpec | None = None,
                   limit: int, cursor: str | None = None,
                   projection: Mapping[str, Any] | None = None) -> DocPage:
    """One page of ``repo``'s documents matching ``flt`` in ``sort`` order (default newest
    first by ``created_at``), at most ``limit`` (≥ 1); ``next_cursor`` is None on the last page.

    ``repo`` is a ``TenantRepository`` (or the in-memory fake): the tenant scope is its own.
    Sort keys must be fields every listed document has (a missing one sorts as null).
    Returns ``DocPage(items, next_cursor)``; 422 naming ``cursor`` for a bad cursor.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    order = total_order(sort)
    query: dict[str, Any] = dict(flt or {})
    if cursor:
        after = after_filter(order, decode_cursor(cursor, order))
        query = {"$and": [query, after]} if query else after
    kw: dict[str, Any] = {"projection": projection} if projection is not None else {}
    docs = await repo.find(query, sort=order, limit=limit + 1, **kw)
    if len(docs) <= limit:
        return DocPage(docs, None)
    last = docs[limit - 1]
    return DocPage(docs[:limit], encode_cursor([_value(last, k) for k, _ in order], order))
