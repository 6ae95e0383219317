"""Submitting an enforcement document (HN-07) and refusing every later change.

Submission checks everything first (role, project of the caller's station, record of the
same project, addressed units, people, deadline), then takes the next number of the
tenant, type and year and writes the document and its events in one transaction. A
refused request leaves no row and no event behind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import structlog
from pymongo.errors import DuplicateKeyError

from anjian_shared.auth import Principal
from anjian_shared.events.common import PersonRef
from anjian_shared.events.notices_v1 import (
    DocumentIssued,
    DocumentSubmitted,
)
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.problems import Conflict, Unprocessable
from anjian_shared.types import new_id, utcnow

from ...adapters.document_store import (
    DOCUMENTS,
    PROJECTS,
    RECORDS,
    USERS,
    by_ids,
    next_counter,
)
from ...domain import document_config as cfg
from ...domain import documents as rules
from ...domain import major_hazards as hazard_rules
from ...domain.documents import DocumentStatus
from ...settings import Settings
from .. import major_hazards
from .common import DOCUMENT_ISSUED, DOCUMENT_SUBMITTED, ensure_enabled, visible
from .config import load_config

log = structlog.get_logger("notices.documents")


async def refuse_change(*, mongo: Mongo, settings: Settings, principal: Principal, document_id: str) -> None:
    """HN-07 处理文书记录一旦形成，不可更改: every change or deletion is refused (409
    ``document-immutable``), after the visibility check (404 for an invisible id)."""
    await ensure_enabled(mongo, settings, principal.tenant)
    await visible(mongo, principal, document_id)
    raise Conflict("a submitted enforcement document never changes; submit a new document instead",
                   slug="document-immutable")



def _names(users: Mapping[str, Mapping[str, Any]], project: Mapping[str, Any], ids: Sequence[str],
           known: Mapping[str, str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for part in project.get("participants", []):
        if part.get("name"):
            names[part["user_id"]] = part["name"]
    for uid, doc in users.items():
        if doc.get("display_name"):
            names[uid] = doc["display_name"]
    for uid, name in known.items():
        if name:
            names.setdefault(uid, name)
    return {uid: names.get(uid) or uid for uid in dict.fromkeys(ids)}


def _record_snapshot(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"record_id": record["_id"], "check_type": record.get("check_type"),
            "part_checked": record.get("part_checked", ""), "terms": record.get("terms", []),
            "violations": record.get("violations", []), "supplement": record.get("supplement", ""),
            "photo_count": record.get("photo_count", 0), "submitted_by": record.get("submitted_by"),
            "submitted_at": record.get("submitted_at")}


def submitted_event(doc: Mapping[str, Any]) -> DocumentSubmitted:
    """HN-07: the ``notices.document.submitted.v1`` payload of a stored document."""
    return DocumentSubmitted(
        document_id=doc["_id"], number=doc["number"], document_type=doc["document_type"],
        project_id=doc["project_id"], project_name=doc["project_name"], station_org_id=doc["station_org_id"],
        record_id=doc["record_id"], addressed_org_ids=doc["addressed_org_ids"], details=doc["details"],
        deadline=date.fromisoformat(doc["deadline"]), replier_user_ids=doc["replier_user_ids"],
        report_recipient_ids=doc["report_recipient_ids"], issue_recipient_ids=doc["issue_recipient_ids"],
        status=doc["status"], submitted_by=PersonRef(**doc["submitted_by"]), submitted_at=doc["submitted_at"])


def issued_event(doc: Mapping[str, Any], at: datetime) -> DocumentIssued:
    """HN-07: the ``notices.document.issued.v1`` payload."""
    return DocumentIssued(
        document_id=doc["_id"], number=doc["number"], document_type=doc["document_type"],
        project_id=doc["project_id"], project_name=doc["project_name"], station_org_id=doc["station_org_id"],
        record_id=doc["record_id"], deadline=date.fromisoformat(doc["deadline"]),
        replier_user_ids=doc["replier_user_ids"], issue_recipient_ids=doc["issue_recipient_ids"],
        submitted_by_user_id=doc["submitted_by"]["user_id"], issued_at=at,
        addressed_org_ids=doc.get("addressed_org_ids"), details=doc.get("details"))


async def submit_document(*, mongo: Mongo, settings: Settings, principal: Principal, document_type: str,
                          project_id: str, addressed_org_ids: list[str], record_id: str, details: str,
                          deadline: date, backdated: bool, replier_user_ids: list[str],
                          report_recipient_ids: list[str], issue_recipient_ids: list[str]) -> dict[str, Any]:
    """HN-07 新建通知: a station's supervisor or leader submits an enforcement document.

    ``project_id`` a project of the caller's station (422 ``project_id``); ``record_id`` one
    supervision record of that project that the caller may read (404 as ``GET /records/{id}``
    otherwise) and that the station released (422 ``record-rejected``; 409
    ``record-not-released`` + Retry-After while pending review); a project, record or person
    notices has not received yet answers 409 ``not-yet-available`` + Retry-After, never 422;
    ``addressed_org_ids`` 1..50 of the project's companies; ``replier_user_ids`` 1..50
    people of the project's parties; ``report_recipient_ids`` leaders/supervisors of the
    station; ``issue_recipient_ids`` people of the parties or the station (each 422 naming
    the field); ``deadline`` not before today in Asia/Shanghai unless ``backdated`` (422
    ``deadline``). Numbered from the tenant's counter of the type and year. Emits
    ``notices.document.submitted.v1`` (+ ``…issued.v1`` without report recipients).
    403 not a station's supervisor/leader or ``feature-disabled``. A record flagged
    ``major_hazard`` (重大事故隐患, from its event) allows only ``stop_work`` or
    ``partial_stop_work`` (422 ``document_type`` ``major-hazard-requires-stop-work`` naming the
    items); such a document opens an entry of the major-hazard register (挂牌督办).
    """
    await ensure_enabled(mongo, settings, principal.tenant)
    rules.ensure_issuer_role(principal)
    tenant = principal.tenant
    now = utcnow()
    project = await mongo.repo(PROJECTS, tenant).get(project_id)
    if project is None:
        raise rules.not_arrived("the project", "project_id")
    if project.get("station_org_id") != principal.org_id:
        raise Unprocessable("not a project of your station", field="project_id", slug="project-not-of-station")
    record = await mongo.repo(RECORDS, tenant).get(record_id)
    rules.check_record(record, project_id=project_id, principal=principal)
    assert record is not None
    hazard_rules.check_document_type(document_type, record)
    addressed = rules.validate_addressed_orgs(addressed_org_ids, project)
    users = await by_ids(mongo.repo(USERS, tenant), [*replier_user_ids, *report_recipient_ids,
                                                     *issue_recipient_ids, principal.user_id])
    repliers = rules.validate_repliers(replier_user_ids, users, project, issuer_id=principal.user_id)
    reviewers = rules.validate_report_recipients(report_recipient_ids, users, station_org_id=principal.org_id,
                                                 issuer_id=principal.user_id)
    receivers = rules.validate_issue_recipients(issue_recipient_ids, users, project, issuer_id=principal.user_id)
    rules.check_deadline(deadline, now=now, backdated=backdated)
    details = (details or "").strip()
    if len(details) > rules.MAX_TEXT_CHARS:
        raise Unprocessable(f"details: at most {rules.MAX_TEXT_CHARS} characters", field="details",
                            slug="details-too-long")
    people = _names(users, project, [principal.user_id, *repliers, *reviewers, *receivers],
                    {principal.user_id: principal.name})
    year = rules.numbering_year(now)
    document_id = new_id()

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        config = await load_config(uow, tenant)
        seq = await next_counter(uow, cfg.document_counter_id(tenant, document_type, year), year=year,
                                 kind="document", document_type=document_type)
        status = rules.initial_status(reviewers)
        doc: dict[str, Any] = {
            "_id": document_id, "number": cfg.render_number(config, key=document_type, year=year, seq=seq),
            "year": year, "seq": seq, "document_type": document_type, "project_id": project_id,
            "project_name": project.get("name", ""), "station_org_id": project["station_org_id"],
            "record_id": record_id, "record": _record_snapshot(record), "addressed_org_ids": addressed,
            "details": details, "deadline": deadline.isoformat(), "backdated": backdated,
            "replier_user_ids": repliers, "report_recipient_ids": reviewers, "issue_recipient_ids": receivers,
            "people": people, "status": status.value, "reviews": [], "reviewed_by": [],
            "pending_replier_ids": [], "accepted_replier_ids": [], "reply_count": 0,
            "submitted_by": {"user_id": principal.user_id, "name": people[principal.user_id]},
            "submitted_at": now, "created_at": now,
            "issued_at": now if status is DocumentStatus.ISSUED else None,
            "decided_at": None if status is DocumentStatus.PENDING_REVIEW else now, "closed_at": None,
            "escalated": False, "escalation_id": None, "escalated_at": None, "closed_after_escalation": False,
            "version": 0,
        }
        await uow.repo(DOCUMENTS).insert(doc)
        await major_hazards.open_for_document(uow, doc, record, now)
        uow.emit(DOCUMENT_SUBMITTED, subject=document_id, data=submitted_event(doc))
        if status is DocumentStatus.ISSUED:
            uow.emit(DOCUMENT_ISSUED, subject=document_id, data=issued_event(doc, now))
        return doc

    try:
        doc = await with_transaction(mongo, tenant, apply)
    except DuplicateKeyError as exc:  # only after a format change that renders an old number again
        raise Conflict("the configured number format renders a number already used; change the format",
                       slug="document-number-taken") from exc
    log.info("document submitted", document_id=document_id, number=doc["number"], status=doc["status"])
    return doc
