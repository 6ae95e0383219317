"""Escalation of overdue enforcement documents (HN-07): 处罚建议书 / 不良行为记录. No I/O.

The manual: "如超过截止日期参建单位还未整改到位，系统会形成处罚建议书或者不良行为记录". A document
is overdue once its deadline day has passed in Asia/Shanghai (a deadline of 3 March is
overdue from 4 March 00:00 Beijing time) while it is still ``issued`` — i.e. not every
replier has an accepted reply. Then the platform produces exactly one escalation for it:
the kind the tenant configured for the document's type, numbered from the same
configurable format (e.g. ``琼安监罚建〔2026〕0001号``). A ``closed`` document never escalates;
a document closed after its escalation stays escalated (``escalated: true`` and the
escalation remain, ``closed_after_escalation`` records the fact).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from .documents import DocumentStatus, today


def overdue_filter(now: datetime) -> dict[str, Any]:
    """HN-07: the documents (of any tenant) the sweep must escalate at ``now``: issued, not
    escalated, deadline day before today (Asia/Shanghai). Deadlines are stored as
    ``YYYY-MM-DD`` strings, which compare like the dates."""
    return {"status": DocumentStatus.ISSUED.value, "escalated": {"$ne": True},
            "deadline": {"$lt": today(now).isoformat()}}


def escalation_kind(config: Mapping[str, Any], document_type: str) -> str:
    """HN-07: penalty_recommendation or bad_conduct_record for ``document_type`` (tenant
    configuration ``escalation_kinds``)."""
    return str(config["escalation_kinds"][document_type])


def escalation_document(*, escalation_id: str, document: Mapping[str, Any], kind: str, number: str, year: int,
                        seq: int, missing_replier_ids: list[str], station_leader_ids: list[str],
                        now: datetime) -> dict[str, Any]:
    """HN-07: the stored escalation (collection ``escalations``, one per document)."""
    return {
        "_id": escalation_id, "document_id": document["_id"], "document_number": document["number"],
        "document_type": document["document_type"], "project_id": document["project_id"],
        "project_name": document.get("project_name", ""), "station_org_id": document["station_org_id"],
        "record_id": document["record_id"], "addressed_org_ids": list(document.get("addressed_org_ids", [])),
        "kind": kind, "number": number, "year": year, "seq": seq, "deadline": document["deadline"],
        "missing_replier_ids": missing_replier_ids, "issuer_user_id": document["submitted_by"]["user_id"],
        "station_leader_ids": station_leader_ids, "escalated_at": now, "created_at": now,
    }


def deadline_of(document: Mapping[str, Any]) -> date:
    """The stored deadline as a date."""
    return date.fromisoformat(document["deadline"])
