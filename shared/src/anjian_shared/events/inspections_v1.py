"""Events published by inspections, version 1 (HB-02..HB-07; supervision records HN-04..HN-06)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .common import EventModel, MediaRef, PersonRef

Disposition = Literal["无隐患", "现场整改", "限期整改", "停工整改", "局部停工整改"]
"""处置情况 (HB-06 7.1): no hazard, fixed on site, rectify by a deadline, stop work and rectify,
stop work in a named part and rectify (a major hazard, 重大事故隐患, allows only the last two)."""

RECTIFICATION_DISPOSITIONS: frozenset[str] = frozenset({"限期整改", "停工整改", "局部停工整改"})
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
    disposition: Disposition = Field(description="处置情况: 无隐患 | 现场整改 | 限期整改 | 停工整改 | 局部停工整改")
    stop_work_part: str | None = Field(default=None, description=(
        "局部停工整改: the part where work stops (absent for the other dispositions)"))
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
    major_hazard: bool = Field(default=False, description=(
        "重大事故隐患: a cited violation is an item of the 2024 standard (decided by inspections from "
        "its catalog, never by the client); a document resting on it must be a (partial) stop-work "
        "notice (HN-07)"))
    major_hazard_codes: list[str] = Field(default=[], description=(
        "the cited violation codes that are major items (ZD2024-*), in citation order"))
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


class EvaluationTableScore(BaseModel):
    """One check table of a JGJ 59-2011 evaluation as scored."""

    code: str = Field(description="table of JGJ 59-2011 appendix A, e.g. A.0.1", examples=["A.0.1"])
    name: str = Field(description="table name, e.g. 安全管理")
    summary_group: str = Field(description="row of the summary table (汇总表) the table enters, e.g. 脚手架")
    applicable: bool = Field(description="false: chosen but marked not applicable (缺项)")
    score: float | None = Field(default=None, description="table score 0..100, 2 decimals; null when not applicable")
    zero_reason: str | None = Field(
        default=None, description="guarantee_item_zero | guarantee_under_minimum: why the guarantee-item rule gave 0")
    verified: bool = Field(default=True, description="false: the table's points are not yet checked against the "
                                                     "published standard (A.0.14, A.0.19 in the seed data)")


class EvaluationSubmitted(BaseModel):
    """``inspections.evaluation.submitted.v1``: a supervisor submitted a JGJ 59-2011 safety check
    evaluation (安全检查评分) of a project; it never changes afterwards. ``grade`` 不合格
    (``fail``) comes with the ``rectification_deadline`` by which the site must rectify."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "evaluation_id": "6f1c0e9a2b7d4c3e8f5a1b2c3d4e5f60", "project_id": "p-7f3a", "project_name": "光谷科技大厦",
        "station_org_id": "org-station-wuhan", "check_date": "2026-12-01", "total": 68.4, "grade": "fail",
        "grade_label": "不合格", "zero_tables": ["A.0.1"],
        "tables": [{"code": "A.0.1", "name": "安全管理", "summary_group": "安全管理", "applicable": True, "score": 0.0,
                    "zero_reason": "guarantee_item_zero", "verified": True}],
        "rectification_deadline": "2026-12-15",
        "submitted_by": {"user_id": "u-zhang", "name": "张伟"}, "submitted_at": "2026-12-01T08:30:00Z"}]})

    evaluation_id: str = Field(description="the evaluation (GET /api/inspections/v1/evaluations/{evaluation_id})")
    project_id: str = Field(description="the project evaluated")
    project_name: str = Field(description="工程名称")
    station_org_id: str = Field(description="the supervision station (监督站) of the project")
    check_date: date = Field(description="检查日期, China calendar day")
    total: float = Field(
        description="summary score (汇总表 总得分) 0..100, 2 decimals, rescaled for tables not checked")
    grade: Literal["good", "pass", "fail"] = Field(description="good 优良 (≥80, no table 0) | pass 合格 (70..<80, "
                                                               "no table 0) | fail 不合格 (<70 or a table at 0)")
    grade_label: str = Field(description="优良 | 合格 | 不合格")
    zero_tables: list[str] = Field(default=[], description="codes of tables that scored 0")
    tables: list[EvaluationTableScore] = Field(default=[], description="the tables chosen, in table order")
    rectification_deadline: date | None = Field(
        default=None, description="整改期限 (China calendar day): required when the grade is fail")
    submitted_by: PersonRef = Field(description="the supervisor who submitted")
    submitted_at: datetime = Field(description="when it was submitted (UTC)")
# --- Fujian self-inspections (监理单位自查, FJ-04..FJ-11) ------------------------------------------

SelfInspectionStatus = Literal["created", "in_progress", "completed", "rectifying", "closed"]

_SI_EXAMPLE = {
    "inspection_id": "6f1c2b0e9a7d4c55b1e2f3a4b5c6d7e8", "project_id": "p-fj-001",
    "project_name": "福州滨海新城3号地块",
    "supervision_org_id": "org-fj-jianli", "station_org_id": "org-fj-station",
    "inspector": {"user_id": "u-chief", "name": "林总监"}, "status": "in_progress",
    "at": "2026-03-02T01:30:00Z"}


def _example(**extra: object) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [{**_SI_EXAMPLE, **extra}]})


class SelfInspectionEvent(BaseModel):
    """What every self-inspection event carries: which inspection, of which project and
    company, by whom, its status after the change and when it changed."""

    inspection_id: str = Field(description="id of the self-inspection (自查)")
    project_id: str = Field(description="the inspected project")
    project_name: str = Field(description="the project's name when the event was published")
    supervision_org_id: str = Field(description="the supervision company (监理单位) that inspects")
    station_org_id: str | None = Field(default=None, description="the supervision station of the project")
    inspector: PersonRef = Field(description="the inspector (检查人): supervision staff of the project")
    status: SelfInspectionStatus = Field(description=(
        "status after the change: created | in_progress (checked in) | completed | rectifying "
        "(notice issued) | closed"))
    at: datetime = Field(description="when the change happened (UTC)")


class SelfInspectionCreated(SelfInspectionEvent):
    """``inspections.self_inspection.created.v1``: an inspector started a self-inspection
    (新增检查, FJ-04) with its basic data and the project's check points."""

    model_config = _example(status="created", title="福州滨海新城3号地块2026-03-02安全检查", point_count=198)
    title: str = Field(description="the inspection's title (basic data)")
    point_count: int = Field(description="check points (检查要点) copied from the province's catalog")


class SelfInspectionCheckedIn(SelfInspectionEvent):
    """``inspections.self_inspection.checked_in.v1``: the inspector checked in on site
    (检查打卡, FJ-04) with time and GPS position."""

    model_config = _example(longitude=119.3, latitude=26.08, captured_at="2026-03-02T01:29:40+08:00",
                            distance_m=42.5)
    longitude: float = Field(description="WGS-84 longitude, decimal degrees")
    latitude: float = Field(description="WGS-84 latitude, decimal degrees")
    captured_at: datetime = Field(description="when the device captured the position")
    distance_m: float | None = Field(default=None, description=(
        "metres between the check-in and the project's position (HN-03); null while the project has none"))


class SelfInspectionCompanionJoined(SelfInspectionEvent):
    """``inspections.self_inspection.companion_joined.v1``: a colleague of the same company
    scanned the inspector's QR code and joined (同行检查, FJ-05)."""

    model_config = _example(companion={"user_id": "u-site", "name": "陈监理员"})
    companion: PersonRef = Field(description="who joined")


class SelfInspectionCompleted(SelfInspectionEvent):
    """``inspections.self_inspection.completed.v1``: every check point answered and the
    inspection completed with confirmation (完成检查, FJ-08)."""

    model_config = _example(status="completed", yes=190, no=2, not_checked=6, major_hazards=1,
                            problem_codes=["JGJ59-A.0.3-03", "JGJ59-A.0.2-06"])
    yes: int = Field(description="points answered yes (是)")
    no: int = Field(description="points answered no (否): the problems found")
    not_checked: int = Field(description="points not checked this time (本次不检查)")
    major_hazards: int = Field(description="points answered no that cite a 2024 major-hazard item (重大事故隐患)")
    problem_codes: list[str] = Field(description="codes of the points answered no, in checklist order")


class SelfInspectionNoticeIssued(SelfInspectionEvent):
    """``inspections.self_inspection.notice_issued.v1``: the inspector issued the
    rectification notice (下发整改通知, FJ-09) to the project's feedback person. Without
    problems it closes the inspection at once (``status`` closed, no opinion, no deadline)."""

    model_config = _example(status="rectifying", feedback_person={"user_id": "u-fb", "name": "黄反馈"},
                            opinion="立即停工整改：补设连墙件，更换过期灭火器。", deadline="2026-03-09",
                            problem_count=2, major_codes=["JGJ59-A.0.3-03"])
    feedback_person: PersonRef = Field(description="the feedback person (反馈人) who answers the notice")
    opinion: str = Field(description="整改意见; empty when no problem was found")
    deadline: date | None = Field(default=None, description="rectification deadline (China day); null without problems")
    problem_count: int = Field(description="points answered no")
    major_codes: list[str] = Field(default=[], description="points answered no that are major hazards")


class SelfInspectionFeedbackSent(SelfInspectionEvent):
    """``inspections.self_inspection.feedback_sent.v1``: the feedback person replied to the
    notice (整改反馈, FJ-11) with text, photos or attachments; the inspector reviews it."""

    model_config = _example(status="rectifying", feedback_id="fb-1", text="已补设连墙件并更换灭火器。",
                            photo_count=2, attachment_count=0, feedback_person={"user_id": "u-fb", "name": "黄反馈"})
    feedback_id: str = Field(description="id of this feedback")
    feedback_person: PersonRef = Field(description="who replied")
    text: str = Field(description="what was rectified")
    photo_count: int = Field(description="photos after rectification")
    attachment_count: int = Field(description="attachments (PDF, DOCX …)")


class SelfInspectionFeedbackReviewed(SelfInspectionEvent):
    """``inspections.self_inspection.feedback_reviewed.v1``: the inspector accepted a feedback
    (closing the inspection) or sent it back with a comment (FJ-11)."""

    model_config = _example(status="closed", feedback_id="fb-1", decision="approve", comment="")
    feedback_id: str = Field(description="the reviewed feedback")
    decision: Literal["approve", "reject"] = Field(description="approve = accepted; reject = sent back")
    comment: str = Field(description="the inspector's comment (required when sent back)")


class SelfInspectionClosed(SelfInspectionEvent):
    """``inspections.self_inspection.closed.v1``: the inspection is done (办结): its notice
    found no problem, or its feedback was accepted (FJ-09/FJ-11)."""

    model_config = _example(status="closed", reason="feedback_accepted")
    reason: Literal["no_problem", "feedback_accepted"] = Field(description="why it closed")


class SelfInspectionEscalated(SelfInspectionEvent):
    """``inspections.self_inspection.escalated.v1``: the notice's deadline passed without
    accepted feedback; the project's supervision station is told (逾期上报, FJ-11), once."""

    model_config = _example(status="rectifying", deadline="2026-03-09",
                            feedback_person={"user_id": "u-fb", "name": "黄反馈"})
    deadline: date = Field(description="the missed deadline (China day)")
    feedback_person: PersonRef = Field(description="who did not get an accepted feedback in time")


EVENTS: dict[str, type[BaseModel]] = {
    "inspections.plan.confirmed.v1": PlanConfirmed,
    "inspections.plan.changed.v1": PlanChanged,
    "inspections.plan.withdrawn.v1": PlanWithdrawn,
    "inspections.plan.submitted.v1": PlanSubmitted,
    "inspections.record.submitted.v1": RecordSubmitted,
    "inspections.record.reviewed.v1": RecordReviewed,
    "inspections.record.released.v1": RecordReleased,
    "inspections.evaluation.submitted.v1": EvaluationSubmitted,
    "inspections.self_inspection.created.v1": SelfInspectionCreated,
    "inspections.self_inspection.checked_in.v1": SelfInspectionCheckedIn,
    "inspections.self_inspection.companion_joined.v1": SelfInspectionCompanionJoined,
    "inspections.self_inspection.completed.v1": SelfInspectionCompleted,
    "inspections.self_inspection.notice_issued.v1": SelfInspectionNoticeIssued,
    "inspections.self_inspection.feedback_sent.v1": SelfInspectionFeedbackSent,
    "inspections.self_inspection.feedback_reviewed.v1": SelfInspectionFeedbackReviewed,
    "inspections.self_inspection.closed.v1": SelfInspectionClosed,
    "inspections.self_inspection.escalated.v1": SelfInspectionEscalated,
}
