"""The escalation sweep (HN-07): overdue enforcement documents become a 处罚建议书 or a
不良行为记录, exactly once per document.

``sweep(mongo, settings)`` finds, across tenants, the documents that are ``issued``, not
escalated and whose deadline day has passed (Asia/Shanghai), and escalates each in its own
transaction which

1. marks the document escalated with a conditional update (``status: issued``,
   ``escalated != true``) — a concurrent sweep or a concurrent closing reply review writes
   the same document, so one of the transactions gets a write conflict, is retried on the
   new state and then finds nothing to do;
2. takes the next number of the tenant's counter for the kind and year;
3. inserts the escalation (unique index on tenant + document: a second one can never be
   stored, whatever happens);
4. emits ``notices.document.escalated.v1`` naming the issuer and the station's leaders.

So any number of replicas (each runs ``escalation_loop``) and the operator command
``python -m notices.escalation`` may sweep at the same time and after restarts: every
overdue document gets one escalation and one event. A failing document is logged and left
for the next sweep.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import structlog
from fastapi import FastAPI
from pymongo.errors import DuplicateKeyError, PyMongoError

from anjian_shared import audit, metrics
from anjian_shared.events.notices_v1 import DocumentEscalated
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.retry import DEPENDENCY_WAIT
from anjian_shared.tenant_policy import tenant_policy
from anjian_shared.types import new_id, utcnow

from ..adapters.document_store import DOCUMENTS, ESCALATIONS, USERS, next_counter
from ..domain import document_config as cfg
from ..domain import documents as rules
from ..domain import escalation as esc_rules
from ..settings import Settings
from . import discretion
from .documents import load_config

log = structlog.get_logger("notices.escalation")

DOCUMENT_ESCALATED = "notices.document.escalated.v1"
SWEEP_BATCH = 200


@dataclass(frozen=True)
class Escalated:
    """One escalation produced by a sweep."""

    tenant: str
    document_id: str
    document_number: str
    escalation_id: str
    kind: str
    number: str


async def _station_leaders(uow: UnitOfWork, station_org_id: str) -> list[str]:
    docs = await uow.repo(USERS).find({"org_id": station_org_id, "roles": "station_leader",
                                       "enabled": {"$ne": False}}, sort=[("_id", 1)], limit=100)
    return [d["_id"] for d in docs]


async def escalate_document(mongo: Mongo, tenant: str, document_id: str, *, now: datetime) -> Escalated | None:
    """HN-07: escalate one document if it is still overdue and not escalated; None when there
    is nothing (more) to do — closed meanwhile, escalated by another sweep, not overdue."""

    async def apply(uow: UnitOfWork) -> Escalated | None:
        docs = uow.repo(DOCUMENTS)
        escalation_id = new_id()
        marked = await docs.update(
            {"_id": document_id, "status": rules.DocumentStatus.ISSUED.value, "escalated": {"$ne": True},
             "deadline": {"$lt": rules.today(now).isoformat()}},
            {"$set": {"escalated": True, "escalation_id": escalation_id, "escalated_at": now},
             "$inc": {"version": 1}})
        if marked is None:
            return None
        config = await load_config(uow, tenant)
        kind = esc_rules.escalation_kind(config, marked["document_type"])
        year = rules.numbering_year(now)
        seq = await next_counter(uow, cfg.escalation_counter_id(tenant, kind, year), year=year, kind="escalation",
                                 escalation_kind=kind)
        number = cfg.render_number(config, key=kind, year=year, seq=seq)
        missing = rules.missing_repliers(marked["replier_user_ids"], marked.get("accepted_replier_ids", []))
        leaders = await _station_leaders(uow, marked["station_org_id"])
        stored = esc_rules.escalation_document(
            escalation_id=escalation_id, document=marked, kind=kind, number=number, year=year, seq=seq,
            missing_replier_ids=missing, station_leader_ids=leaders, now=now)
        if kind == "penalty_recommendation":  # HEB-18: cite the table; the reviewer sets the amount
            stored["discretion_citation"] = await discretion.citation_for_document(uow, marked)
            stored["penalty"] = None
        await uow.repo(ESCALATIONS).insert(stored)
        await docs.update({"_id": document_id}, {"$set": {"escalation_kind": kind, "escalation_number": number}})
        uow.emit(DOCUMENT_ESCALATED, subject=document_id, data=DocumentEscalated(
            document_id=document_id, number=marked["number"], document_type=marked["document_type"],
            project_id=marked["project_id"], project_name=marked.get("project_name", ""),
            station_org_id=marked["station_org_id"], escalation_id=escalation_id, kind=kind,
            escalation_number=number, deadline=date.fromisoformat(marked["deadline"]),
            missing_replier_ids=missing, issuer_user_id=marked["submitted_by"]["user_id"],
            station_leader_ids=leaders, escalated_at=now,
            discretion_violation_code=(stored.get("discretion_citation") or {}).get("violation_code")))
        return Escalated(tenant, document_id, marked["number"], escalation_id, kind, number)

    try:
        return await with_transaction(mongo, tenant, apply)
    except DuplicateKeyError:
        return None  # another process stored this document's escalation: nothing to do


async def sweep(mongo: Mongo, settings: Settings, *, now: datetime | None = None) -> list[Escalated]:
    """HN-07: one sweep over every tenant with the feature on; returns what THIS sweep
    escalated (documents another process escalated concurrently are not in it). ``now``
    (aware) is for tests and catching up; default: the current time."""
    now = now or utcnow()
    done: list[Escalated] = []
    seen: set[tuple[str, str]] = set()
    while True:
        candidates = await mongo.db[DOCUMENTS].find(
            esc_rules.overdue_filter(now), {"_id": 1, "tenant_id": 1}).sort(
            [("deadline", 1), ("_id", 1)]).limit(SWEEP_BATCH).to_list()
        fresh = [c for c in candidates if (c["tenant_id"], c["_id"]) not in seen]
        if not fresh:
            return done
        for cand in fresh:
            tenant, document_id = cand["tenant_id"], cand["_id"]
            seen.add((tenant, document_id))
            if not (await tenant_policy(mongo, tenant, settings)).enabled("enforcement_documents"):
                continue
            try:
                result = await escalate_document(mongo, tenant, document_id, now=now)
            except (PyMongoError, TimeoutError) as exc:
                log.warning("escalation failed, left for the next sweep", tenant=tenant, document_id=document_id,
                            error=repr(exc)[:300])
                continue
            if result is not None:
                log.info("document escalated", tenant=tenant, document_id=document_id, number=result.number,
                         kind=result.kind)
                done.append(result)


async def escalation_loop(app: FastAPI) -> None:
    """HN-07: background task of every replica (``ServiceSpec.background``): a sweep at start,
    then every ``escalation_interval_seconds``. Errors are logged; the loop goes on."""
    settings: Settings = app.state.settings
    mongo: Mongo = app.state.mongo
    audit.set_system_actor("notices.escalation")  # who the audit trail names for the escalations
    while True:
        try:  # a database restarting: the sweep is retried per retry.DEPENDENCY_WAIT
            done = await DEPENDENCY_WAIT.call(lambda: sweep(mongo, settings), what="escalation sweep")
            metrics.sweep_done(len(done))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. the database is away: try again later
            log.warning("escalation sweep failed", error=repr(exc)[:300])
            metrics.sweep_done(None)
        await asyncio.sleep(settings.escalation_interval_seconds)


def describe(item: Escalated | Any) -> str:
    """One line of the operator command's output."""
    return (f"{item.tenant} {item.document_number} → {cfg.ESCALATION_KIND_LABELS.get(item.kind, item.kind)} "
            f"{item.number} (document {item.document_id}, escalation {item.escalation_id})")
