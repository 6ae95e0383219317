"""The audit trail over HTTP: province administrators query and export it, in every service.

Mounted by the app factory on every service under ``/api/<service>/v1/audit``: the trail of a
change lives in the database of the service that made it (same transaction), and services
never read each other's databases — so each service answers for its own trail, with the same
code. An operator wanting everything asks the eight services (or runs ``python -m
anjian_shared.audit verify`` for the integrity).

- ``GET /audit?user_id=&object_id=&action=&since=&until=&limit=&cursor=``: entries newest
  first (``seq`` descending), cursor-paginated (``anjian_shared.pagination``).
- ``GET /audit/export?…`` (same filters): an XLSX workbook (openpyxl) of at most
  ``EXPORT_MAX_ROWS`` entries (413 ``export-too-large`` beyond: narrow the period); the export
  itself is audited (``audit.exported``).

Only the province administrator (``province_admin``) or a platform administrator of the
caller's own tenant: 403 ``not-audit-reader`` for everyone else. ``since`` after ``until``:
422 ``audit-period-invalid`` naming ``since``.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from . import audit
from .auth import CurrentPrincipal
from .deps import MongoDep
from .errors import Forbidden, PayloadTooLarge, Unprocessable
from .pagination import Cursor, Limit, paginate
from .principal import Principal, Role

EXPORT_MAX_ROWS = 10_000
SORT = [("seq", -1)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class AuditEntry(BaseModel):
    """One entry of the audit trail (审计日志)."""

    seq: int = Field(description="position in the tenant's chain of this service (1, 2, 3 …)")
    at: datetime = Field(description="when the change committed (UTC)")
    service: str
    action: str = Field(description="what was done, e.g. inspections.plan.submitted or session.signed_in")
    actor: dict[str, Any] = Field(description="who: user_id, name, org_id, roles — or system (consumer) and event_id")
    origin: dict[str, Any] = Field(description="from where: address, user_agent, client_id, request_id, trace_id")
    objects: list[dict[str, Any]] = Field(description="the records concerned: collection and id")
    changes: str = Field(description="what changed: JSON list of {op, collection, id, detail}")
    events: list[dict[str, Any]] = Field(description="events emitted by the change: type and id")
    prev_hash: str = Field(description="hash of the previous entry (SHA-256 hex; 64 zeros for the first)")
    hash: str = Field(description="SHA-256 of this entry's content with prev_hash")


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None = None


def check_may_read(principal: Principal) -> None:
    """Province or platform administrator of their own tenant (the repository scopes by it)."""
    if not principal.has(Role.PROVINCE_ADMIN, Role.PLATFORM_ADMIN):
        raise Forbidden("only the province administrator reads the audit trail", slug="not-audit-reader")


def audit_filter(*, user_id: str | None, object_id: str | None, action: str | None, since: datetime | None,
                 until: datetime | None) -> dict[str, Any]:
    """The MongoDB filter of the query (the tenant is added by the repository)."""
    if since and until and since > until:
        raise Unprocessable("since is after until", field="since", slug="audit-period-invalid")
    flt: dict[str, Any] = {}
    if user_id:
        flt["actor.user_id"] = user_id
    if object_id:
        flt["objects.id"] = object_id
    if action:
        flt["action"] = action
    if since or until:
        flt["at"] = {**({"$gte": since} if since else {}), **({"$lt": until} if until else {})}
    return flt


UserQ = Annotated[str | None, Query(max_length=64, description="who: the user's id")]
ObjectQ = Annotated[str | None, Query(max_length=128, description="a record's id (plan, notice, machine …)")]
ActionQ = Annotated[str | None, Query(max_length=120, description="the action, e.g. inspections.plan.submitted")]
SinceQ = Annotated[datetime | None, Query(description="from (inclusive, ISO 8601 with offset)")]
UntilQ = Annotated[datetime | None, Query(description="to (exclusive, ISO 8601 with offset)")]


def audit_router() -> APIRouter:
    router = APIRouter(tags=["audit"])

    @router.get("/audit", response_model=AuditPage)
    async def list_audit(principal: CurrentPrincipal, mongo: MongoDep, user_id: UserQ = None,
                         object_id: ObjectQ = None, action: ActionQ = None, since: SinceQ = None,
                         until: UntilQ = None, limit: Limit = 20, cursor: Cursor = None) -> AuditPage:
        """This service's audit trail of the caller's tenant (审计日志), newest first.

        Filters: ``user_id`` (who), ``object_id`` (which record), ``action``, ``since``/``until``
        (period). 403 ``not-audit-reader`` unless province/platform administrator; 422
        ``audit-period-invalid`` (field ``since``); 422 ``cursor`` for a damaged cursor."""
        check_may_read(principal)
        flt = audit_filter(user_id=user_id, object_id=object_id, action=action, since=since, until=until)
        docs, nxt = await paginate(mongo.repo(audit.AUDIT, principal.tenant), flt, sort=SORT, limit=limit,
                                   cursor=cursor)
        return AuditPage(items=[AuditEntry.model_validate(d) for d in docs], next_cursor=nxt)

    @router.get("/audit/export", response_class=Response,
                responses={200: {"content": {XLSX: {}}, "description": "the entries as an XLSX workbook"}})
    async def export_audit(principal: CurrentPrincipal, mongo: MongoDep, user_id: UserQ = None,
                           object_id: ObjectQ = None, action: ActionQ = None, since: SinceQ = None,
                           until: UntilQ = None) -> Response:
        """The same query as an XLSX workbook (one row per entry, newest first), at most
        10,000 rows (413 ``export-too-large``: narrow the period). The export is audited."""
        check_may_read(principal)
        flt = audit_filter(user_id=user_id, object_id=object_id, action=action, since=since, until=until)
        repo = mongo.repo(audit.AUDIT, principal.tenant)
        docs = await repo.find(flt, sort=SORT, limit=EXPORT_MAX_ROWS + 1)
        if len(docs) > EXPORT_MAX_ROWS:
            raise PayloadTooLarge(f"more than {EXPORT_MAX_ROWS} entries; narrow the period",
                                  slug="export-too-large", field="since")
        body = workbook(docs)
        await audit.record(mongo, principal.tenant, action="audit.exported",
                           details={"filter": {k: v for k, v in {"user_id": user_id, "object_id": object_id,
                                                                 "action": action, "since": since,
                                                                 "until": until}.items() if v},
                                    "rows": len(docs)})
        return Response(body, media_type=XLSX,
                        headers={"Content-Disposition": 'attachment; filename="audit.xlsx"'})

    return router


COLUMNS = ("序号 seq", "时间 at (UTC)", "服务 service", "操作 action", "用户 user_id", "姓名 name", "单位 org_id",
           "系统 system", "地址 address", "客户端 user_agent", "请求 request_id", "追踪 trace_id", "对象 objects",
           "变更 changes", "哈希 hash", "前一哈希 prev_hash")


def workbook(docs: list[dict[str, Any]]) -> bytes:
    """The entries as an XLSX workbook (sheet 审计日志; the chain hashes included)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("审计日志")
    ws.append(COLUMNS)
    for d in docs:
        actor, origin = d.get("actor") or {}, d.get("origin") or {}
        at = d.get("at")
        ws.append([d.get("seq"), at.replace(tzinfo=None) if isinstance(at, datetime) else at, d.get("service"),
                   d.get("action"), actor.get("user_id"), actor.get("name"), actor.get("org_id"),
                   actor.get("system"), origin.get("address"), origin.get("user_agent"), origin.get("request_id"),
                   origin.get("trace_id"), audit.canonical(d.get("objects") or []), (d.get("changes") or "")[:32000],
                   d.get("hash"), d.get("prev_hash")])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
