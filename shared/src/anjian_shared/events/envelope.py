"""CloudEvents 1.0 structured-mode envelope.

``type`` is ``<service>.<aggregate>.<past-tense-verb>.v<N>``; ``source`` is
``/<tenant>/<service>``; ``subject`` the aggregate id; extension attributes
``tenant`` and ``traceparent``; ``data`` the payload model dumped to JSON.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..logging import current_traceparent, new_traceparent, trace_id_of
from ..types import utcnow


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event in structured JSON mode (``application/cloudevents+json``)."""

    model_config = ConfigDict(extra="allow")

    specversion: str = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    type: str
    source: str
    subject: str | None = None
    time: datetime = Field(default_factory=utcnow)
    datacontenttype: str = "application/json"
    tenant: str
    traceparent: str | None = None
    data: dict[str, Any]


def make_event(*, type: str, tenant: str, service: str, subject: str, data: BaseModel) -> CloudEvent:
    """Build the envelope for ``data`` (a payload model registered in ``EVENT_TYPES``)."""
    from . import EVENT_TYPES

    model = EVENT_TYPES.get(type)
    if model is None:
        raise KeyError(f"unknown event type {type}")
    if not isinstance(data, model):
        raise TypeError(f"{type} carries {model.__name__}, not {type(data).__name__}")
    return CloudEvent(
        type=type,
        source=f"/{tenant}/{service}",
        subject=subject,
        tenant=tenant,
        traceparent=new_traceparent(trace_id_of(current_traceparent())),  # same trace, new span
        data=data.model_dump(mode="json"),
    )
