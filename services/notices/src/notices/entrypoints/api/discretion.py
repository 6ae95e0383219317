"""The discretion table (自由裁量基准, HEB-18) and the penalty of a 处罚建议书.

The province administrator keeps, per violation, the legal basis and the penalty range in
whole yuan for each severity (轻微 minor / 一般 general / 严重 serious). The table starts empty
(no official figures are shipped). The station sets the penalty of an escalated 处罚建议书 by
citing an entry and an amount inside its range.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, Field

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.deps import MongoDep
from anjian_shared.pagination import Cursor, Limit

from ...service_layer import discretion as cases
from .documents_schemas import EscalationRead, escalation_read

router = APIRouter(tags=["discretion"])

ViolationCode = Annotated[str, Path(min_length=1, max_length=64, description="violation code (违法行为编码)")]
DocumentId = Annotated[str, Path(max_length=64, description="document id")]
Severity = Literal["minor", "general", "serious"]


class Range(BaseModel):
    """A penalty range in whole yuan (min ≤ max)."""

    min_yuan: int = Field(ge=0, le=100_000_000, description="lowest penalty, yuan")
    max_yuan: int = Field(ge=0, le=100_000_000, description="highest penalty, yuan")


class EntryWrite(BaseModel):
    """HEB-18: an entry of the table (the violation code is the path)."""

    violation_name: str = Field(max_length=200, description="the violation's name (违法行为)",
                                examples=["样例：临边防护缺失"])
    legal_basis: str = Field(max_length=1000, description="法律依据 (the law and article)")
    ranges: dict[Severity, Range] = Field(description="minor 轻微 / general 一般 / serious 严重, all three")


class EntryRead(EntryWrite):
    violation_code: str
    version: int
    updated_at: datetime
    updated_by: dict[str, str]


class EntryPage(BaseModel):
    items: list[EntryRead]
    next_cursor: str | None = None


class PenaltyWrite(BaseModel):
    """HEB-18: the cited entry and the amount (whole yuan)."""

    violation_code: str | None = Field(default=None, max_length=64, description="the cited entry")
    severity: Severity | None = Field(default=None, description="轻微 minor / 一般 general / 严重 serious")
    penalty_amount: int | None = Field(default=None, ge=0, le=100_000_000, description="yuan")


def _read(entry: dict[str, Any]) -> EntryRead:
    return EntryRead.model_validate({k: v for k, v in entry.items() if k in EntryRead.model_fields})


@router.get("/discretion-table", response_model=EntryPage, summary="自由裁量基准 (the discretion table)")
async def list_entries(principal: CurrentPrincipal, mongo: MongoDep, limit: Limit = 50, cursor: Cursor = None,
                       violation_code: Annotated[str | None, Query(max_length=64)] = None) -> EntryPage:
    """HEB-18: the caller's tenant's entries by violation code, paginated; any signed-in user
    of the tenant reads it (inspectors cite it). 422 ``cursor`` for a bad cursor."""
    items, next_cursor = await cases.list_entries(mongo=mongo, principal=principal, violation_code=violation_code,
                                                  limit=limit, cursor=cursor)
    return EntryPage(items=[_read(e) for e in items], next_cursor=next_cursor)


@router.put("/discretion-table/{violation_code}", response_model=EntryRead, summary="Create or replace an entry",
            responses={201: {"model": EntryRead}})
async def put_entry(violation_code: ViolationCode, body: EntryWrite, principal: CurrentPrincipal, mongo: MongoDep,
                    response: Response) -> EntryRead:
    """HEB-18: the province administrator creates (201) or replaces (200) the entry of a
    violation. 403 ``role-required``; 422 naming the field (``ranges.<severity>`` when
    min_yuan > max_yuan, ``discretion-range-inverted``); 409 ``discretion-entry-busy`` on a
    concurrent write. Emits ``notices.discretion_entry.changed.v1``."""
    entry, created = await cases.put_entry(mongo=mongo, principal=principal, body={
        **body.model_dump(), "violation_code": violation_code})
    if created:
        response.status_code = status.HTTP_201_CREATED
    return _read(entry)


@router.delete("/discretion-table/{violation_code}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete an entry")
async def delete_entry(violation_code: ViolationCode, principal: CurrentPrincipal, mongo: MongoDep) -> None:
    """HEB-18: the province administrator removes an entry (citations made keep their copy).
    403 ``role-required``; 404 no such entry."""
    await cases.delete_entry(mongo=mongo, principal=principal, violation_code=violation_code)


@router.put("/documents/{document_id}/escalation/penalty", response_model=EscalationRead,
            summary="Set the penalty of a 处罚建议书")
async def set_penalty(document_id: DocumentId, body: PenaltyWrite, principal: CurrentPrincipal,
                      mongo: MongoDep) -> EscalationRead:
    """HEB-18: the issuing station (issuer, report recipients, station leaders) sets the
    penalty of the document's 处罚建议书, once: it cites an entry (``violation_code`` +
    ``severity``) and ``penalty_amount`` (yuan) inside that range. 404 not visible / not
    escalated; 403 ``not-station-side``; 409 ``not-a-penalty`` (a 不良行为记录),
    ``penalty-already-set``; 422 ``penalty_citation``, ``violation_code`` (no entry),
    ``penalty_amount`` (missing or outside the range, which the message names). Emits
    ``notices.escalation.penalty_set.v1``."""
    return escalation_read(await cases.set_escalation_penalty(
        mongo=mongo, principal=principal, document_id=document_id, violation_code=body.violation_code,
        severity=body.severity, penalty_amount=body.penalty_amount))
