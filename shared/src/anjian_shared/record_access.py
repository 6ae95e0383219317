"""Who may read a supervision record (监督检查记录, HN-04..HN-07): the one rule, kept once.

inspections owns records and answers ``GET /records/{id}`` with it; notices keeps a read
model of records (from ``inspections.record.submitted/reviewed.v1``) and applies the SAME
rule before a document may cite one (HN-07: a supervisor cannot cite a record he may not
read — the answer is the same 404 as ``GET /records/{id}``, so ids don't leak).

A record is readable by

- its sender (``submitted_by``);
- its report recipients (上报接收人), in any state;
- its issue recipients (下达接收人) once it is ``issued``;
- the leaders (站长) of its station.

Everybody else — another supervisor of the same station, another station, another tenant —
may not read it. No I/O; a domain module may import this.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .principal import Principal, Role

ISSUED = "issued"
RELEASED_STATUSES: frozenset[str] = frozenset({"issued", "internal"})
"""A record the station has released (HN-05/06): issued to its recipients or kept as 监督内档.
Only a released record may back an enforcement document (HN-04/HN-07)."""


@dataclass(frozen=True)
class RecordAudience:
    """The facts the rule needs: sender, recipients, status and station of one record."""

    submitted_by: str
    station_org_id: str
    status: str
    report_recipient_ids: frozenset[str] = frozenset()
    issue_recipient_ids: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *, submitted_by: str, station_org_id: str, status: str,
           report_recipient_ids: Iterable[str] = (), issue_recipient_ids: Iterable[str] = ()) -> RecordAudience:
        return cls(submitted_by=submitted_by, station_org_id=station_org_id, status=str(status),
                   report_recipient_ids=frozenset(report_recipient_ids),
                   issue_recipient_ids=frozenset(issue_recipient_ids))

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> RecordAudience:
        """From a stored record (inspections' record or notices' read model of it):
        ``submitted_by.user_id``, ``station_org_id``, ``status``, the two recipient lists."""
        submitted_by = doc.get("submitted_by") or {}
        return cls.of(submitted_by=submitted_by.get("user_id", ""), station_org_id=doc.get("station_org_id", ""),
                      status=doc.get("status", ""), report_recipient_ids=doc.get("report_recipient_ids") or (),
                      issue_recipient_ids=doc.get("issue_recipient_ids") or ())


def may_read_record(record: RecordAudience, principal: Principal) -> bool:
    """HN-04..HN-07: sender; report recipients; issue recipients once issued; the leaders
    of the record's station. False for anybody else."""
    uid = principal.user_id
    if uid and (uid == record.submitted_by or uid in record.report_recipient_ids):
        return True
    if uid in record.issue_recipient_ids and record.status == ISSUED:
        return True
    return principal.has(Role.STATION_LEADER.value) and bool(record.station_org_id) \
        and principal.org_id == record.station_org_id


def is_released(status: str) -> bool:
    """HN-05/06: the station released the record (``issued`` or ``internal``); a record
    ``pending_review`` or ``rejected`` is not."""
    return status in RELEASED_STATUSES
