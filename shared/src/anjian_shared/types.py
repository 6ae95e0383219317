"""Shared constrained types and id generation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

TenantCode = Annotated[
    str, StringConstraints(pattern=r"^[a-z]{2,8}$"), Field(examples=["hubei"])
]
"""A province tenant: ``hubei``, ``hainan``, ``fujian``, ``hunan``, ``hebei``."""

Id = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$"), Field(examples=["6f1c0e0a9b2d4c7e8f10a1b2c3d4e5f6"])]
"""Identifier of every aggregate: 32 lowercase hex digits (a UUID4 without dashes)."""

NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ShortStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

TENANTS: dict[str, str] = {
    "hubei": "湖北省",
    "hainan": "海南省",
    "fujian": "福建省",
    "hunan": "湖南省",
    "hebei": "河北省",
}
"""The five provinces of the first deployment (PLAT-01), code → name."""


def new_id() -> str:
    """A fresh aggregate id (32 hex digits)."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    """Timezone-aware current UTC time, truncated to milliseconds (what BSON stores)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)
