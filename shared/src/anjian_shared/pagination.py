"""Cursor pagination: lists are never unbounded.

Items are ordered newest first by (``created_at``, ``_id``); the cursor is an opaque
token naming the last item of the page. ``limit`` is 1..100 (default 20).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from .mongo import TenantRepository
from .problems import Unprocessable

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=100, description="page size, 1..100")]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def _encode(doc: dict[str, Any]) -> str:
    raw = json.dumps([doc["created_at"].isoformat(), doc["_id"]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, id_ = json.loads(raw)
        return datetime.fromisoformat(created), str(id_)
    except (ValueError, TypeError) as exc:
        raise Unprocessable("cursor is not valid", field="cursor") from exc


async def paginate(repo: TenantRepository, flt: dict[str, Any], *, limit: int,
                   cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``repo`` documents matching ``flt``; returns (docs, next_cursor)."""
    query: dict[str, Any] = dict(flt)
    if cursor:
        created, id_ = _decode(cursor)
        after = {"$or": [{"created_at": {"$lt": created}}, {"created_at": created, "_id": {"$lt": id_}}]}
        query = {"$and": [query, after]} if query else after
    docs = await repo.find(query, sort=[("created_at", -1), ("_id", -1)], limit=limit + 1)
    next_cursor = _encode(docs[limit - 1]) if len(docs) > limit else None
    return docs[:limit], next_cursor
