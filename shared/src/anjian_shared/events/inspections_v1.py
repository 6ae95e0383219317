"""Events published by inspections, version 1 (HB-02..HB-07; supervision records HN-04..HN-06)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from .common import MediaRef, PersonRef

Disposition = Literal["无隐患", "现场整改", "限期整改", "停工整改", "局部停工整改"]
"""处置情况 (HB-06 7.1): no hazard, fixed on site, rectify by a deadline, stop work and rectify,
stop work in a named part and rectify (a major hazard, 重大事故隐患, allows only the last two)."""

RECTIFICATION_DISPOSITIONS: frozenset[str] = frozenset({"限期整改", "停工整改", "局部停工整改"})
"""Dispositions that require a rectification reply from the project department (HB-08)."""


class PlanConfirmed(BaseModel):
    """``inspections.plan.confirmed.v1``: the plan's team is told (站内通知, HB-03)."""

    plan_id: str
    title: str
    planned_date: date
    project_ids: list[str]
    project_names: list[str]
    responsible_supervisor: PersonRef
    supervisors: list[PersonRef]
    confirmed_by: str
    confirmed_at: datetime | None = None
    """When it was confirmed (absent in events published before this field existed)."""


class PlanChanged(BaseModel):
    """``inspections.plan.changed.v1``: the creator changed a confirmed plan (HB-03 修改): its
    team sees the new state — members who joined (``added_user_ids``) get a 站内通知, members
    who left (``removed_user_ids``) no longer see the plan and their notifications of it are
    withdrawn, the others are told of a new date (``planned_date`` ≠ ``previous_planned_date``)."""

    plan_id: str
    title: str
    planned_date: date
    previous_planned_date: date
    project_ids: list[str]
    project_names: list[str]
    previous_project_ids: list[str] = []
    responsible_supervisor: PersonRef
    supervisors: list[PersonRef]
    """The team after the change (the responsible supervisor included)."""
    added_user_ids: list[str] = []
    removed_user_ids: list[str] = []
    changed_by: str
    changed_at: datetime


class PlanWithdrawn(BaseModel):
    """``inspections.plan.withdrawn.v1``: the creator took a confirmed plan back to draft (HB-03
    撤回): its team no longer sees it; their notifications of it are withdrawn."""

    plan_id: str
    title: str
    supervisor_user_ids: list[str]
    withdrawn_by: str
    withdrawn_at: datetime


class HazardRef(BaseModel):
    """A catalog item cited by a result; ``major`` marks a 重大事故隐患 (2024 standard)."""

    code: str
    name: str
    major: bool = False


class ResultSnapshot(BaseModel):
    result_id: str
    project_id: str
    building_name: str
    hazards: list[HazardRef]
    finding: str
    photos: list[MediaRef]
    major_hazard: bool
    recorded_by: PersonRef
    recorded_at: datetime


class NoticeData(BaseModel):
    """告知书 data entered at submission (HB-06 7.2)."""

    title: str
    construction_stage: str
    rectification_date: date


class PlanProject(BaseModel):
    project_id: str
    name: str
    address: str
    station_org_id: str
    owner_org_id: str
    contractor_org_id: str
    supervision_org_id: str
    project_manager_user_ids: list[str]
    """Contractor's project department (项目部) people who reply to rectification."""


class PlanSubmitted(BaseModel):
    """``inspections.plan.submitted.v1``: the responsible supervisor submitted (HB-06);
    results, signature and seal are frozen from here on."""

    plan_id: str
    title: str
    planned_date: date
    station_org_id: str
    projects: list[PlanProject]
    responsible_supervisor: PersonRef
    supervisors: list[PersonRef]
    disposition: Disposition
    stop_work_part: str | None = None
    """局部停工整改: the part where work stops (absent for the other dispositions)."""
    notice: NoticeData
    signature: MediaRef
    seal: MediaRef | None = None
    results: list[ResultSnapshot]
    submitted_at: datetime


# --- supervision records (监督上报) and their review routing, HN-04..HN-06 ------------------------

CheckType = Literal["quality", "safety", "combined"]
"""抽查类型 (HN-04): 质量 quality, 安全 safety, 综合 combined (quality and safety)."""

RecordStatus = Literal["pending_review", "issued", "internal", "rejected"]
"""A supervision record's routing state (HN-04/05/06): ``pending_review`` 待审核 (report
recipients must review), ``issued`` 已下达 (released to the issue recipients), ``internal``
监督内档 (nobody to issue it to), ``rejected`` 审核未通过 (returned to the sender)."""


class LibraryEntryRef(BaseModel):
    """A phrase cited from a tenant library (标准规范术语 or 违法违规行为): code and the text
    as it read when the record was submitted (the library may change later; the record not)."""

    code: str
    text: str


class PhotoAnnotation(BaseModel):
    """A shape drawn over a photo (HN-04 照片标注), in pixels of the stored image, origin top
    left: ``rect`` [x1, y1, x2, y2]; ``arrow`` [x_from, y_from, x_to, y_to]; ``circle``
    [cx, cy, r]; ``text`` [x, y] with ``text``."""

    type: Literal["rect", "arrow", "circle", "text"]
    coords: list[float]
    text: str | None = None


class RecordPhoto(MediaRef):
    """A photo of a supervision record with the shapes drawn over it (may be empty: the
    photo itself may already be a drawn-over image)."""

    annotations: list[PhotoAnnotation] = []


class RecordSubmitted(BaseModel):
    """``inspections.record.submitted.v1``: a supervisor submitted a supervision record
    (监督上报, HN-04). The record never changes afterwards; reviews follow as
    ``inspections.record.reviewed.v1``, the release to its issue recipients as
    ``inspections.record.released.v1``. ``status`` is the routing right after submission:
    ``pending_review`` (has report recipients), ``issued`` (issue recipients only) or
    ``internal`` (neither, 监督内档). Enforcement documents (HN-07) cite exactly one record
    of their project by ``record_id``."""

    record_id: str
    project_id: str
    project_name: str
    station_org_id: str
    check_type: CheckType
    part_checked: str
    """抽查部位: building no., floor, progress, materials (free text)."""
    terms: list[LibraryEntryRef] = []
    """标准规范术语 cited (from the tenant's library of the record's check type)."""
    violations: list[LibraryEntryRef] = []
    """违法违规行为 cited (from the tenant's violations library)."""
    supplement: str = ""
    """问题补充说明: free text."""
    photos: list[RecordPhoto] = []
    videos: list[MediaRef] = []
    audios: list[MediaRef] = []
    submitted_by: PersonRef
    report_recipient_ids: list[str] = []
    """上报接收人: station leaders/supervisors who must review (all of them must approve)."""
    issue_recipient_ids: list[str] = []
    """下达接收人: people of the project's parties or the station who receive the record."""
    status: RecordStatus
    also_issue_notice: bool = False
    """The sender asked for a 整改通知 to be prepared from this record (HN-04 同时下发整改通知)."""
    major_hazard: bool = False
    """重大事故隐患: a cited violation is an item of the 2024 standard (decided by inspections from
    its catalog, never by the client); a document resting on it must be a (partial) stop-work
    notice (HN-07)."""
    major_hazard_codes: list[str] = []
    """The cited violation codes that are major items (``ZD2024-*``), in citation order."""
    submitted_at: datetime


class RecordReviewed(BaseModel):
    """``inspections.record.reviewed.v1``: a report recipient approved or rejected a
    supervision record (HN-05/06). ``status`` is the record's status after this review:
    ``pending_review`` while other reviewers have still to approve, ``issued``/``internal``
    when this was the last approval, ``rejected`` after a rejection (back to the sender)."""

    record_id: str
    project_id: str
    reviewer: PersonRef
    decision: Literal["approve", "reject"]
    comment: str = ""
    status: RecordStatus
    submitted_by_user_id: str
    reviewed_at: datetime


class RecordReleased(BaseModel):
    """``inspections.record.released.v1``: a supervision record reached its issue recipients
    (下达, HN-06 我接收的/下达接收) — at submission when it needs no review, or on its last
    approval. Not published for records that stay internal (监督内档) or are rejected."""

    record_id: str
    project_id: str
    station_org_id: str
    issue_recipient_ids: list[str]
    submitted_by_user_id: str
    released_at: datetime


EVENTS: dict[str, type[BaseModel]] = {
    "inspections.plan.confirmed.v1": PlanConfirmed,
    "inspections.plan.changed.v1": PlanChanged,
    "inspections.plan.withdrawn.v1": PlanWithdrawn,
    "inspections.plan.submitted.v1": PlanSubmitted,
    "inspections.record.submitted.v1": RecordSubmitted,
    "inspections.record.reviewed.v1": RecordReviewed,
    "inspections.record.released.v1": RecordReleased,
}
