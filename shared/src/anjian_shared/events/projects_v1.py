"""Events published by projects, version 1 (HB-02, HN-01, HN-03, HN-11, FJ-01..FJ-03)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .common import EventModel, MediaRef, PersonRef

_ORG_NAME = "{role}'s name as identity knows it when the event is published (absent from older events)"

FUJIAN_PROJECT_ROLES: dict[str, str] = {
    "chief_supervising_engineer": "总监理工程师",
    "specialist_supervising_engineer": "专业监理工程师",
    "site_supervisor": "监理员",
    "feedback_person": "反馈人",
}
"""Project roles of a Fujian supervision company's staff on a project (FJ-03), all people of
the project's ``supervision_org_id``: the chief (总监, from the province's integration platform,
read-only here; exactly one), specialist supervising engineers (专业监理工程师, with their lead
``discipline``), site supervisors (监理员) and the feedback person (反馈人, required before an
inspection's notice is issued; one of the project's supervision staff). One person is never
``specialist_supervising_engineer`` and ``site_supervisor`` at once, in one project or across
projects."""


class Participant(EventModel):
    """A person on the project: ``project_role`` e.g. ``project_manager`` (项目经理),
    ``chief_supervising_engineer`` (总监理工程师), ``safety_officer`` (安全员); Fujian's
    supervision staff roles are ``FUJIAN_PROJECT_ROLES``. One person may appear several
    times, once per role."""

    user_id: str = Field(description="the person's user id")
    org_id: str = Field(description="the party (company) the person works for")
    name: str = Field(description="the person's name")
    project_role: str = Field(description=(
        "the key role on this project: project_manager 项目经理, chief_supervising_engineer "
        "总监理工程师, safety_officer 安全员, technical_lead 技术负责人 …; Fujian (FJ-03): "
        "specialist_supervising_engineer, site_supervisor, feedback_person"))
    discipline: str | None = Field(default=None, description=(
        "the lead discipline (主导专业) of a specialist supervising engineer (专业监理工程师, FJ-03), "
        "e.g. 房建 or 市政; absent for other roles"), examples=["房建"])


class ProjectSnapshot(EventModel):
    """The whole project as other services need it; every project event carries it.

    Fujian's projects come from the province's integration platform (FJ-01): they carry
    ``platform_code`` and ``assessable``; ``supervision_org_id`` is the supervision company
    (监理单位) and the chief supervising engineer is the participant with project role
    ``chief_supervising_engineer``. The platform does not name the owner, contractor or
    station: ``owner_org_id`` / ``contractor_org_id`` are the ids of the companies it named,
    ``""`` when it named none; ``station_org_id`` is the tenant's station of the project's
    division (GB/T 2260) when one is known, ``""`` otherwise."""

    project_id: str = Field(description="the project's id")
    code: str = Field(description="the project's registration code (工程编号), unique in the province")
    name: str = Field(description="the project's name (工程名称)")
    address: str = Field(description="the site address (工程地址)")
    station_org_id: str = Field(description="the supervision station (监督站) in charge")
    owner_org_id: str = Field(description="the owner 建设单位")
    contractor_org_id: str = Field(description="the general contractor 施工单位")
    supervision_org_id: str = Field(description="the supervising engineer 监理单位")
    supervisor_user_ids: list[str] = Field(description="the station's supervisors (监督员) assigned to it")
    participants: list[Participant] = Field(default=[], description="key people of the parties on the project")
    status: str = Field(default="active", description="active | completed | suspended")
    platform_code: str | None = Field(default=None, description=(
        "the project's code on the province's integration platform (一体化平台项目编号, FJ-01): "
        "set for projects synced from it (Fujian), unique per tenant; absent otherwise"),
        examples=["FJ-2024-0001"])
    assessable: bool | None = Field(default=None, description=(
        "the platform's state 'under construction, assessable' (在建可评价, FJ-01): true while the "
        "project is in it, false once it left it (at the next sync); absent for projects not from "
        "the platform. Only assessable projects are inspected and shown to the company (FJ-02)"))
    version: int | None = Field(default=None, ge=1, description=(
        "the aggregate's version: increases by one with every change of the aggregate; "
        "a read model keeps the highest (absent from events published before versions)"))
    division_code: str | None = Field(default=None, description=(
        "GB/T 2260 code of the division the project lies in (Hebei 安全监督备案, HEB-04); absent otherwise"),
        examples=["130102"])
    filing_id: str | None = Field(default=None, description=(
        "the filing (网上报监 HN-01 / 安全监督备案 HEB-04) the project came from; absent when a station "
        "registered it directly"))
    civilized_site_standard: str | None = Field(default=None, description=(
        "HEB-04/08: the civilized-site standard (文明工地标准) chosen at filing: none 不申报 | municipal 市级 | "
        "provincial 省级; absent outside Hebei's filing"))
    evaluation_application_id: str | None = Field(default=None, description=(
        "HEB-05: the approved comprehensive evaluation (综合评定) application; absent until approved"))
    civilized_site_level: str | None = Field(default=None, description=(
        "HEB-08: the civilized-site level (municipal | provincial) the station approved; absent until approved"))
    station_name: str | None = Field(default=None, description=_ORG_NAME.format(role="the station"))
    owner_name: str | None = Field(default=None, description=_ORG_NAME.format(role="the owner"))
    contractor_name: str | None = Field(default=None, description=_ORG_NAME.format(role="the contractor"))
    supervision_name: str | None = Field(default=None, description=_ORG_NAME.format(role="the supervising engineer"))


_PROJECT = {
    "project_id": "c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8", "code": "420100202611210001", "name": "武汉光谷科技园二期",
    "address": "武汉市东湖新技术开发区高新大道 888 号", "station_org_id": "0b6a3c1e9d2f4e5a8b7c6d5e4f3a2b1c",
    "owner_org_id": "1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f", "contractor_org_id": "6f1c2b9e0a4d4c3b8e7f5a1d2c3b4a59",
    "supervision_org_id": "2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a",
    "supervisor_user_ids": ["d61b569304104d3f831d4fdcd631573f"],
    "participants": [{"user_id": "8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b", "org_id": "6f1c2b9e0a4d4c3b8e7f5a1d2c3b4a59",
                      "name": "刘洋", "project_role": "project_manager"}],
    "status": "active", "station_name": "武汉市建设工程安全监督站", "owner_name": "武汉光谷建设投资有限公司",
    "contractor_name": "中建三局第一建设工程有限责任公司", "supervision_name": "武汉华中建设监理有限公司",
}


class ProjectRegistered(ProjectSnapshot):
    """``projects.project.registered.v1``: a station registered a project."""

    model_config = ConfigDict(json_schema_extra={"examples": [{**_PROJECT, "version": 1}]})


class ProjectUpdated(ProjectSnapshot):
    """``projects.project.updated.v1``: supervisors, participants or details changed."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_PROJECT, "version": 2,
        "supervisor_user_ids": ["d61b569304104d3f831d4fdcd631573f", "4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d"]}]})


class ProjectPositioned(EventModel):
    """``projects.project.positioned.v1``: a supervisor of the project's station positioned
    the project on site (工程定位, HN-03): one cover photo of the site, where and when.
    Submitting again emits a new event; the latest one is the project's position."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "project_id": "c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8", "positioning_id": "5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c",
        "longitude": 110.34, "latitude": 20.02, "address": "海口市美兰区江东大道 168 号",
        "captured_at": "2026-11-21T09:28:00+08:00", "positioned_at": "2026-11-21T01:30:00Z",
        "cover_photo": {"bucket": "anjian-projects", "key": "hainan/positioning/5f4e3d2c1b0a.jpg",
                        "content_type": "image/jpeg", "size": 183204, "sha256": None, "filename": "site.jpg"},
        "positioned_by": {"user_id": "d61b569304104d3f831d4fdcd631573f", "name": "张伟"},
        "project_name": "海口江东新区总部经济区A08地块", "project_code": "460100202611210003"}]})

    project_id: str = Field(description="the project positioned")
    positioning_id: str = Field(description="id of this positioning in the project's history")
    longitude: float = Field(ge=-180, le=180, description="WGS-84 longitude, decimal degrees (east positive)")
    latitude: float = Field(ge=-90, le=90, description="WGS-84 latitude, decimal degrees (north positive)")
    address: str = Field(description="the address the supervisor confirmed on site")
    captured_at: datetime = Field(description="when the device captured the position (with offset)")
    positioned_at: datetime = Field(description="when the server recorded it (UTC)")
    cover_photo: MediaRef = Field(description="the site's cover photo")
    positioned_by: PersonRef = Field(description="the supervisor who positioned it")
    project_name: str | None = Field(default=None, description="the project's name (absent from older events)")
    project_code: str | None = Field(default=None, description="the project's code (absent from older events)")


class PlatformPerson(BaseModel):
    """A person the province's integration platform registered (FJ-01): the account identity
    opens for them is tied to this mobile number."""

    user_id: str = Field(description="the account's user id (chosen by projects, stable per mobile number)")
    name: str = Field(description="the person's name as the platform registered it")
    mobile: str = Field(description="the mobile number the platform registered (11 digits, mainland China)",
                        examples=["13800000001"])


class PlatformCompany(BaseModel):
    """The supervision company (监理单位) of a platform project."""

    org_id: str = Field(description="the organisation's id (an existing organisation with this credit code, "
                                    "else chosen by projects, stable per credit code)")
    credit_code: str = Field(description="unified social credit code (GB 32100)", examples=["91350100MA2XXXXX0X"])
    name: str = Field(description="the company's name (监理单位名称)")
    administrator: PlatformPerson | None = Field(default=None, description=(
        "the company's administrator (监理单位管理员) when the platform named one"))


class PlatformProjectSynced(BaseModel):
    """``projects.platform_project.synced.v1``: a project from the province's integration
    platform (一体化平台) was created or changed by a sync (FJ-01); identity opens the
    accounts of its supervision company's administrator and its chief supervising engineer,
    tied to the platform-registered mobile numbers. Personal data (mobile numbers): partners
    receive it only with ``events:personal``. A replayed sync that changes nothing emits none."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "project_id": "5f0c1e2d3b4a49c8a7e6d5c4b3a29180", "platform_code": "FJ-2024-0001", "assessable": True,
        "supervision_company": {"org_id": "0b9c2f6a7e113f0c1f524a0e4c558d7e", "credit_code": "91350100MA2XXXXX0X",
                                "name": "福建闽江工程监理有限公司", "administrator": {
                                    "user_id": "7e113f0c1f524a0e4c558d7e0b9c2f6a", "name": "陈明",
                                    "mobile": "13900000001"}},
        "chief_engineer": {"user_id": "1f524a0e4c558d7e0b9c2f6a7e113f0c", "name": "林志强", "mobile": "13900000002"},
        "version": 1}]})

    project_id: str = Field(description="the project's id in Anjian (projects service)")
    platform_code: str = Field(description="the project's code on the platform (一体化平台项目编号)")
    assessable: bool = Field(description="在建可评价: the project is under construction and assessable")
    supervision_company: PlatformCompany = Field(description="the supervision company (监理单位) of the project")
    chief_engineer: PlatformPerson = Field(description="the chief supervising engineer (总监理工程师)")
    version: int = Field(ge=1, description="the project's version after the sync")


AttendanceStatus = Literal["present", "late", "absent"]


class AttendanceEntry(EventModel):
    """One key person's outcome in an attendance check (HN-11)."""

    user_id: str = Field(description="the key person's user id")
    name: str = Field(description="the key person's name")
    project_roles: list[str] = Field(description="their key roles on the project, e.g. project_manager")
    status: AttendanceStatus = Field(description="present 在岗 | late 迟到 | absent 缺岗")
    clocked_in_at: datetime | None = Field(default=None, description="the clock-in (打卡) that counted, if any")
    distance_m: float | None = Field(
        default=None, description="metres between that clock-in and the project's position, if both are known")


class AttendanceChecked(EventModel):
    """``projects.attendance.checked.v1``: a supervisor ran an attendance check (查岗) over
    a set of the project's key personnel (关键岗位人员到岗监督, HN-11)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "check_id": "7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a", "project_id": "c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8",
        "checked_by": {"user_id": "d61b569304104d3f831d4fdcd631573f", "name": "张伟"},
        "checked_at": "2026-11-21T01:30:00Z", "window_minutes": 120, "on_time_before": "09:00",
        "results": [{"user_id": "8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b", "name": "刘洋",
                     "project_roles": ["project_manager"], "status": "present",
                     "clocked_in_at": "2026-11-21T00:41:00Z", "distance_m": 35.2}],
        "present": 1, "late": 0, "absent": 0,
        "project_name": "海口江东新区总部经济区A08地块", "project_code": "460100202611210003"}]})

    check_id: str = Field(description="the check's id")
    project_id: str = Field(description="the project checked")
    checked_by: PersonRef = Field(description="the supervisor who checked")
    checked_at: datetime = Field(description="when the check ran (UTC)")
    window_minutes: int = Field(description="clock-ins this many minutes before checked_at count")
    on_time_before: str | None = Field(
        default=None, description="HH:MM, Asia/Shanghai: a later clock-in on the check's day is late")
    results: list[AttendanceEntry] = Field(description="one entry per key person checked")
    present: int = Field(description="how many were present (在岗)")
    late: int = Field(description="how many were late (迟到)")
    absent: int = Field(description="how many were absent (缺岗)")
    project_name: str | None = Field(default=None, description="the project's name (absent from older events)")
    project_code: str | None = Field(default=None, description="the project's code (absent from older events)")



_PROJECT_APPLICATION_STAGES = ("submitted", "accepted", "not_accepted", "returned", "approved", "refused")


class ProjectApplicationStageChanged(EventModel):
    """``projects.application.<submitted|accepted|not_accepted|returned|approved|refused>.v1``: a
    Hebei project application (事项) moved on (HEB-03 lifecycle): the safety-supervision filing
    (安全监督备案, HEB-04; accepted = the project exists), the comprehensive evaluation (综合评定,
    HEB-05) or the civilized-site application (文明工地申报, HEB-08). The type's verb is the new stage."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"application_id": "5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b", "kind": "supervision_filing", "from_stage": "submitted",
         "to_stage": "accepted", "stage_label": "已受理", "applicant_org_id": "1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f",
         "authority_org_id": "0b6a3c1e9d2f4e5a8b7c6d5e4f3a2b1c", "project_id": "c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8",
         "level": None, "comment": "", "by": {"user_id": "d61b569304104d3f831d4fdcd631573f", "name": "王监督"},
         "at": "2026-12-01T02:00:00Z"},
        {"application_id": "6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c", "kind": "civilized_site", "from_stage": "accepted",
         "to_stage": "approved", "stage_label": "办结（准予）", "applicant_org_id": "6f1c2b9e0a4d4c3b8e7f5a1d2c3b4a59",
         "authority_org_id": "0b6a3c1e9d2f4e5a8b7c6d5e4f3a2b1c", "project_id": "c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8",
         "level": "municipal", "comment": "符合市级文明工地标准",
         "by": {"user_id": "d61b569304104d3f831d4fdcd631573f", "name": "王监督"}, "at": "2026-12-20T02:00:00Z"},
    ]})

    application_id: str = Field(description="the application (事项)")
    kind: str = Field(description=(
        "supervision_filing 安全监督备案 (HEB-04) | comprehensive_evaluation 综合评定 (HEB-05) | "
        "civilized_site 文明工地申报 (HEB-08)"))
    from_stage: str | None = Field(description="the stage before: draft | submitted | accepted | returned")
    to_stage: str = Field(description=(
        "the new stage: submitted 已上报 | accepted 已受理 | not_accepted 不予受理 | returned 已退回 | "
        "approved 办结（准予） | refused 办结（不予许可）"))
    stage_label: str = Field(description="the new stage in Chinese")
    applicant_org_id: str = Field(description="the applying company (建设单位 for HEB-04/05, 施工单位 for HEB-08)")
    authority_org_id: str | None = Field(description="the station that handles it (null before submission)")
    project_id: str | None = Field(default=None, description=(
        "the project: for a filing, the project it created once accepted; else the project applied for"))
    level: str | None = Field(default=None, description="HEB-08: the level applied for (municipal | provincial)")
    comment: str = Field(default="", description="the reason (不予受理, 退回) or the decision (办结)")
    by: PersonRef = Field(description="who moved it")
    at: datetime = Field(description="when (UTC)")

EVENTS: dict[str, type[BaseModel]] = {
    "projects.project.registered.v1": ProjectRegistered,
    "projects.project.updated.v1": ProjectUpdated,
    "projects.project.positioned.v1": ProjectPositioned,
    "projects.attendance.checked.v1": AttendanceChecked,
    "projects.platform_project.synced.v1": PlatformProjectSynced,
    **{f"projects.application.{stage}.v1": ProjectApplicationStageChanged for stage in _PROJECT_APPLICATION_STAGES},
}
