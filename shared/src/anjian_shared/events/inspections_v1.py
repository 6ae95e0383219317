"""Events published by inspections, version 1 (HB-02..HB-07; supervision records HN-04..HN-06)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .common import EventModel, MediaRef, PersonRef

Disposition = Literal["无隐患", "现场整改", "限期整改", "停工整改"]
"""处置情况 (HB-06 7.1): no hazard, fixed on site, rectify by a deadline, stop work and rectify."""

RECTIFICATION_DISPOSITIONS: frozenset[str] = frozenset({"限期整改", "停工整改"})
"""Dispositions that require a rectification reply from the project department (HB-08)."""

_ZHANG = {"user_id": "d61b569304104d3f831d4fdcd631573f", "name": "张伟"}
_LI = {"user_id": "4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d", "name": "李娜"}
_WANG = {"user_id": "9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a", "name": "王强"}
_PROJECT_ID = "c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8"
_PROJECT_NAME = "武汉光谷科技园二期"
_STATION = "0b6a3c1e9d2f4e5a8b7c6d5e4f3a2b1c"
_PLAN_ID = "a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4"
_RECORD_ID = "e5f4a3b2c1d0e9f8a7b6c5d4c3b2a1f0"
_LIU = "8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"
_PHOTO = {"bucket": "anjian-inspections", "key": "hubei/results/1f2e3d4c5b6a.jpg", "content_type": "image/jpeg",
          "size": 245760, "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
          "filename": "临边.jpg"}


class PlanConfirmed(EventModel):
    """``inspections.plan.confirmed.v1``: the plan's team is told (站内通知, HB-03)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "plan_id": _PLAN_ID, "title": "11月安全生产专项检查", "planned_date": "2026-11-25",
        "project_ids": [_PROJECT_ID], "project_names": [_PROJECT_NAME], "responsible_supervisor": _ZHANG,
        "supervisors": [_ZHANG, _LI], "confirmed_by": _ZHANG["user_id"], "confirmed_at": "2026-11-21T01:30:00Z"}]})

    plan_id: str = Field(description="the inspection plan (检查计划)")
    title: str = Field(description="the plan's title")
    planned_date: date = Field(description="the day the inspection is planned (Asia/Shanghai)")
    project_ids: list[str] = Field(description="the projects to inspect")
    project_names: list[str] = Field(description="their names, in the order of project_ids")
    responsible_supervisor: PersonRef = Field(description="the responsible supervisor (责任监督员)")
    supervisors: list[PersonRef] = Field(description="the whole team, the responsible supervisor included")
    confirmed_by: str = Field(description="user id of who confirmed it")
    confirmed_at: datetime | None = None
    """When it was confirmed (absent in events published before this field existed)."""


class PlanChanged(EventModel):
    """``inspections.plan.changed.v1``: the creator changed a confirmed plan (HB-03 修改): its
    team sees the new state — members who joined (``added_user_ids``) get a 站内通知, members
    who left (``removed_user_ids``) no longer see the plan and their notifications of it are
    withdrawn, the others are told of a new date (``planned_date`` ≠ ``previous_planned_date``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "plan_id": _PLAN_ID, "title": "11月安全生产专项检查", "planned_date": "2026-11-26",
        "previous_planned_date": "2026-11-25", "project_ids": [_PROJECT_ID], "project_names": [_PROJECT_NAME],
        "previous_project_ids": [_PROJECT_ID], "responsible_supervisor": _ZHANG, "supervisors": [_ZHANG, _WANG],
        "added_user_ids": [_WANG["user_id"]], "removed_user_ids": [_LI["user_id"]],
        "changed_by": _ZHANG["user_id"], "changed_at": "2026-11-21T01:30:00Z"}]})

    plan_id: str = Field(description="the plan changed")
    title: str = Field(description="the plan's title after the change")
    planned_date: date = Field(description="the planned day after the change")
    previous_planned_date: date = Field(description="the planned day before the change")
    project_ids: list[str] = Field(description="the projects after the change")
    project_names: list[str] = Field(description="their names, in the order of project_ids")
    previous_project_ids: list[str] = Field(default=[], description="the projects before the change")
    responsible_supervisor: PersonRef = Field(description="the responsible supervisor after the change")
    supervisors: list[PersonRef]
    """The team after the change (the responsible supervisor included)."""
    added_user_ids: list[str] = Field(default=[], description="members who joined the team")
    removed_user_ids: list[str] = Field(default=[], description="members who left the team")
    changed_by: str = Field(description="user id of who changed it")
    changed_at: datetime = Field(description="when (UTC)")


class PlanWithdrawn(EventModel):
    """``inspections.plan.withdrawn.v1``: the creator took a confirmed plan back to draft (HB-03
    撤回): its team no longer sees it; their notifications of it are withdrawn."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "plan_id": _PLAN_ID, "title": "11月安全生产专项检查",
        "supervisor_user_ids": [_ZHANG["user_id"], _LI["user_id"]], "withdrawn_by": _ZHANG["user_id"],
        "withdrawn_at": "2026-11-21T01:30:00Z", "planned_date": "2026-11-25", "project_ids": [_PROJECT_ID],
        "project_names": [_PROJECT_NAME]}]})

    plan_id: str = Field(description="the plan withdrawn")
    title: str = Field(description="the plan's title")
    supervisor_user_ids: list[str] = Field(description="the team that no longer sees it")
    withdrawn_by: str = Field(description="user id of who withdrew it")
    withdrawn_at: datetime = Field(description="when (UTC)")
    planned_date: date | None = Field(default=None, description="the day it was planned for (absent from older events)")
    project_ids: list[str] | None = Field(default=None, description="its projects (absent from older events)")
    project_names: list[str] | None = Field(default=None, description="their names (absent from older events)")


class HazardRef(EventModel):
    """A catalog item cited by a result; ``major`` marks a 重大事故隐患 (2024 standard)."""

    code: str = Field(description="the hazard catalog item's code")
    name: str = Field(description="its text (e.g. 临边防护缺失)")
    major: bool = Field(default=False, description="a major accident hazard (重大事故隐患)")


class ResultSnapshot(EventModel):
    """One inspection result (检查结果) of a submitted plan."""

    result_id: str = Field(description="the result's id")
    project_id: str = Field(description="the project it is about")
    building_name: str = Field(description="the building or part inspected (单体/部位)")
    hazards: list[HazardRef] = Field(description="the catalog hazards found")
    finding: str = Field(description="the supervisor's finding, free text (检查情况)")
    photos: list[MediaRef] = Field(description="photos taken on site")
    major_hazard: bool = Field(description="at least one hazard is major")
    recorded_by: PersonRef = Field(description="the supervisor who recorded it")
    recorded_at: datetime = Field(description="when it was recorded (UTC)")


class NoticeData(EventModel):
    """告知书 data entered at submission (HB-06 7.2)."""

    title: str = Field(description="the notice's title")
    construction_stage: str = Field(description="the construction stage (施工阶段), e.g. 主体施工")
    rectification_date: date = Field(description="rectify by this day (整改期限, Asia/Shanghai)")


class PlanProject(EventModel):
    """A project of a submitted plan, with its parties."""

    project_id: str = Field(description="the project's id")
    name: str = Field(description="the project's name")
    address: str = Field(description="the site address")
    station_org_id: str = Field(description="the station in charge")
    owner_org_id: str = Field(description="the owner 建设单位")
    contractor_org_id: str = Field(description="the contractor 施工单位 (the notice's addressee)")
    supervision_org_id: str = Field(description="the supervising engineer 监理单位")
    project_manager_user_ids: list[str]
    """Contractor's project department (项目部) people who reply to rectification."""


class PlanSubmitted(EventModel):
    """``inspections.plan.submitted.v1``: the responsible supervisor submitted (HB-06);
    results, signature and seal are frozen from here on."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "plan_id": _PLAN_ID, "title": "11月安全生产专项检查", "planned_date": "2026-11-25",
        "station_org_id": _STATION,
        "projects": [{"project_id": _PROJECT_ID, "name": _PROJECT_NAME,
                      "address": "武汉市东湖新技术开发区高新大道 888 号",
                      "station_org_id": _STATION, "owner_org_id": "1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f",
                      "contractor_org_id": "6f1c2b9e0a4d4c3b8e7f5a1d2c3b4a59",
                      "supervision_org_id": "2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a",
                      "project_manager_user_ids": [_LIU]}],
        "responsible_supervisor": _ZHANG, "supervisors": [_ZHANG, _LI], "disposition": "限期整改",
        "notice": {"title": "安全隐患整改告知书", "construction_stage": "主体施工", "rectification_date": "2026-12-05"},
        "signature": {**_PHOTO, "key": "hubei/signatures/2a3b4c5d6e7f.png", "content_type": "image/png",
                      "size": 8192, "filename": "签名.png"},
        "seal": None,
        "results": [{"result_id": "b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6", "project_id": _PROJECT_ID,
                     "building_name": "3#楼",
                     "hazards": [{"code": "AQ-01-003", "name": "临边防护缺失", "major": False}],
                     "finding": "12层东侧临边未设防护栏杆", "photos": [_PHOTO], "major_hazard": False,
                     "recorded_by": _ZHANG, "recorded_at": "2026-11-25T02:10:00Z"}],
        "submitted_at": "2026-11-25T06:00:00Z"}]})

    plan_id: str = Field(description="the plan submitted")
    title: str = Field(description="the plan's title")
    planned_date: date = Field(description="the day it was planned for")
    station_org_id: str = Field(description="the station that inspected")
    projects: list[PlanProject] = Field(description="the projects inspected, with their parties")
    responsible_supervisor: PersonRef = Field(description="the responsible supervisor who submitted")
    supervisors: list[PersonRef] = Field(description="the team")
    disposition: Disposition = Field(description="处置情况: 无隐患 | 现场整改 | 限期整改 | 停工整改")
    notice: NoticeData = Field(description="the 告知书 data (title, stage, rectification date)")
    signature: MediaRef = Field(description="the responsible supervisor's signature image")
    seal: MediaRef | None = Field(default=None, description="the station's seal image, if used")
    results: list[ResultSnapshot] = Field(description="every result recorded under the plan")
    submitted_at: datetime = Field(description="when it was submitted (UTC)")


# --- supervision records (监督上报) and their review routing, HN-04..HN-06 ------------------------

CheckType = Literal["quality", "safety", "combined"]
"""抽查类型 (HN-04): 质量 quality, 安全 safety, 综合 combined (quality and safety)."""

RecordStatus = Literal["pending_review", "issued", "internal", "rejected"]
"""A supervision record's routing state (HN-04/05/06): ``pending_review`` 待审核 (report
recipients must review), ``issued`` 已下达 (released to the issue recipients), ``internal``
监督内档 (nobody to issue it to), ``rejected`` 审核未通过 (returned to the sender)."""

_STATUS = ("pending_review 待审核 | issued 已下达 | internal 监督内档 | rejected 审核未通过")


class LibraryEntryRef(EventModel):
    """A phrase cited from a tenant library (标准规范术语 or 违法违规行为): code and the text
    as it read when the record was submitted (the library may change later; the record not)."""

    code: str = Field(description="the library entry's code")
    text: str = Field(description="its text when the record was submitted")


class PhotoAnnotation(EventModel):
    """A shape drawn over a photo (HN-04 照片标注), in pixels of the stored image, origin top
    left: ``rect`` [x1, y1, x2, y2]; ``arrow`` [x_from, y_from, x_to, y_to]; ``circle``
    [cx, cy, r]; ``text`` [x, y] with ``text``."""

    type: Literal["rect", "arrow", "circle", "text"] = Field(description="the shape")
    coords: list[float] = Field(description="its coordinates in pixels (see the model's description)")
    text: str | None = Field(default=None, description="the label of a text shape")


class RecordPhoto(MediaRef):
    """A photo of a supervision record with the shapes drawn over it (may be empty: the
    photo itself may already be a drawn-over image)."""

    annotations: list[PhotoAnnotation] = Field(default=[], description="shapes drawn over the photo")


_RECORD = {"record_id": _RECORD_ID, "project_id": "f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5"}
_HN_PROJECT = "海口江东新区总部经济区A08地块"


class RecordSubmitted(EventModel):
    """``inspections.record.submitted.v1``: a supervisor submitted a supervision record
    (监督上报, HN-04). The record never changes afterwards; reviews follow as
    ``inspections.record.reviewed.v1``, the release to its issue recipients as
    ``inspections.record.released.v1``. ``status`` is the routing right after submission:
    ``pending_review`` (has report recipients), ``issued`` (issue recipients only) or
    ``internal`` (neither, 监督内档). Enforcement documents (HN-07) cite exactly one record
    of their project by ``record_id``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_RECORD, "project_name": _HN_PROJECT, "station_org_id": _STATION, "check_type": "safety",
        "part_checked": "3#楼12层 主体施工", "terms": [{"code": "JGJ59-3.13.3", "text": "临边防护栏杆设置不符合要求"}],
        "violations": [{"code": "ZD2024-5.1", "text": "未按规定设置安全防护设施"}], "supplement": "东侧临边缺失",
        "photos": [{**_PHOTO, "key": "hainan/records/3c4d5e6f7a8b.jpg",
                    "annotations": [{"type": "rect", "coords": [120, 80, 460, 300], "text": None}]}],
        "videos": [], "audios": [], "submitted_by": _ZHANG, "report_recipient_ids": [_WANG["user_id"]],
        "issue_recipient_ids": [_LIU], "status": "pending_review", "also_issue_notice": True,
        "submitted_at": "2026-11-21T01:30:00Z"}]})

    record_id: str = Field(description="the supervision record (监督记录)")
    project_id: str = Field(description="the project it is about")
    project_name: str = Field(description="the project's name")
    station_org_id: str = Field(description="the station of the sender")
    check_type: CheckType = Field(description="抽查类型: quality 质量 | safety 安全 | combined 综合")
    part_checked: str
    """抽查部位: building no., floor, progress, materials (free text)."""
    terms: list[LibraryEntryRef] = []
    """标准规范术语 cited (from the tenant's library of the record's check type)."""
    violations: list[LibraryEntryRef] = []
    """违法违规行为 cited (from the tenant's violations library)."""
    supplement: str = ""
    """问题补充说明: free text."""
    photos: list[RecordPhoto] = Field(default=[], description="photos, with the shapes drawn over them")
    videos: list[MediaRef] = Field(default=[], description="videos (video/mp4)")
    audios: list[MediaRef] = Field(default=[], description="audio notes (audio/mpeg …)")
    submitted_by: PersonRef = Field(description="the supervisor who submitted it")
    report_recipient_ids: list[str] = []
    """上报接收人: station leaders/supervisors who must review (all of them must approve)."""
    issue_recipient_ids: list[str] = []
    """下达接收人: people of the project's parties or the station who receive the record."""
    status: RecordStatus = Field(description=f"routing right after submission: {_STATUS}")
    also_issue_notice: bool = False
    """The sender asked for a 整改通知 to be prepared from this record (HN-04 同时下发整改通知)."""
    submitted_at: datetime = Field(description="when it was submitted (UTC)")


class RecordReviewed(EventModel):
    """``inspections.record.reviewed.v1``: a report recipient approved or rejected a
    supervision record (HN-05/06). ``status`` is the record's status after this review:
    ``pending_review`` while other reviewers have still to approve, ``issued``/``internal``
    when this was the last approval, ``rejected`` after a rejection (back to the sender)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_RECORD, "reviewer": _WANG, "decision": "approve", "comment": "同意下达", "status": "issued",
        "submitted_by_user_id": _ZHANG["user_id"], "reviewed_at": "2026-11-21T02:00:00Z",
        "project_name": _HN_PROJECT, "check_type": "safety", "part_checked": "3#楼12层 主体施工"}]})

    record_id: str = Field(description="the record reviewed")
    project_id: str = Field(description="its project")
    reviewer: PersonRef = Field(description="the report recipient who reviewed")
    decision: Literal["approve", "reject"] = Field(description="approve 通过 | reject 退回")
    comment: str = Field(default="", description="the reviewer's comment (required to reject)")
    status: RecordStatus = Field(description=f"the record's status after this review: {_STATUS}")
    submitted_by_user_id: str = Field(description="the record's sender")
    reviewed_at: datetime = Field(description="when (UTC)")
    project_name: str | None = Field(default=None, description="the project's name (absent from older events)")
    check_type: CheckType | None = Field(default=None, description="the record's check type (absent from older events)")
    part_checked: str | None = Field(default=None, description="the record's 抽查部位 (absent from older events)")


class RecordReleased(EventModel):
    """``inspections.record.released.v1``: a supervision record reached its issue recipients
    (下达, HN-06 我接收的/下达接收) — at submission when it needs no review, or on its last
    approval. Not published for records that stay internal (监督内档) or are rejected."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_RECORD, "station_org_id": _STATION, "issue_recipient_ids": [_LIU],
        "submitted_by_user_id": _ZHANG["user_id"], "released_at": "2026-11-21T02:00:00Z",
        "project_name": _HN_PROJECT, "check_type": "safety", "part_checked": "3#楼12层 主体施工"}]})

    record_id: str = Field(description="the record released")
    project_id: str = Field(description="its project")
    station_org_id: str = Field(description="the sender's station")
    issue_recipient_ids: list[str] = Field(description="who receives it (下达接收人)")
    submitted_by_user_id: str = Field(description="the record's sender")
    released_at: datetime = Field(description="when (UTC)")
    project_name: str | None = Field(default=None, description="the project's name (absent from older events)")
    check_type: CheckType | None = Field(default=None, description="the record's check type (absent from older events)")
    part_checked: str | None = Field(default=None, description="the record's 抽查部位 (absent from older events)")


EVENTS: dict[str, type[BaseModel]] = {
    "inspections.plan.confirmed.v1": PlanConfirmed,
    "inspections.plan.changed.v1": PlanChanged,
    "inspections.plan.withdrawn.v1": PlanWithdrawn,
    "inspections.plan.submitted.v1": PlanSubmitted,
    "inspections.record.submitted.v1": RecordSubmitted,
    "inspections.record.reviewed.v1": RecordReviewed,
    "inspections.record.released.v1": RecordReleased,
}
