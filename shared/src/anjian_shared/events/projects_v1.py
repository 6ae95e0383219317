"""Events published by projects, version 1 (HB-02, HN-01, HN-03, HN-11, FJ-01..FJ-03)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .common import MediaRef, PersonRef

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


class Participant(BaseModel):
    """A person on the project: ``project_role`` e.g. ``project_manager`` (项目经理),
    ``chief_supervising_engineer`` (总监理工程师), ``safety_officer`` (安全员); Fujian's
    supervision staff roles are ``FUJIAN_PROJECT_ROLES``. One person may appear several
    times, once per role."""

    user_id: str
    org_id: str
    name: str
    project_role: str
    discipline: str | None = Field(default=None, description=(
        "the lead discipline (主导专业) of a specialist supervising engineer (专业监理工程师, FJ-03), "
        "e.g. 房建 or 市政; absent for other roles"), examples=["房建"])


class ProjectSnapshot(BaseModel):
    """The whole project as other services need it; every project event carries it.

    Fujian's projects come from the province's integration platform (FJ-01): they carry
    ``platform_code`` and ``assessable``; ``supervision_org_id`` is the supervision company
    (监理单位) and the chief supervising engineer is the participant with project role
    ``chief_supervising_engineer``. The platform does not name the owner, contractor or
    station: ``owner_org_id`` / ``contractor_org_id`` are the ids of the companies it named,
    ``""`` when it named none; ``station_org_id`` is the tenant's station of the project's
    division (GB/T 2260) when one is known, ``""`` otherwise."""

    project_id: str
    code: str
    name: str
    address: str
    station_org_id: str
    owner_org_id: str
    contractor_org_id: str
    supervision_org_id: str
    supervisor_user_ids: list[str]
    participants: list[Participant] = []
    status: str = "active"
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


class ProjectRegistered(ProjectSnapshot):
    """``projects.project.registered.v1``: a station registered a project."""


class ProjectUpdated(ProjectSnapshot):
    """``projects.project.updated.v1``: supervisors, participants or details changed."""


class ProjectPositioned(BaseModel):
    """``projects.project.positioned.v1``: a supervisor of the project's station positioned
    the project on site (工程定位, HN-03): one cover photo of the site, where and when.
    Submitting again emits a new event; the latest one is the project's position."""

    project_id: str
    positioning_id: str = Field(description="id of this positioning in the project's history")
    longitude: float = Field(ge=-180, le=180, description="WGS-84 longitude, decimal degrees (east positive)")
    latitude: float = Field(ge=-90, le=90, description="WGS-84 latitude, decimal degrees (north positive)")
    address: str
    captured_at: datetime = Field(description="when the device captured the position (with offset)")
    positioned_at: datetime = Field(description="when the server recorded it (UTC)")
    cover_photo: MediaRef
    positioned_by: PersonRef


class PlatformPerson(BaseModel):
    """A person the province's integration platform registered (FJ-01): the account identity
    opens for them is tied to this mobile number."""

    user_id: str = Field(description="the account's user id (chosen by projects, stable per mobile number)")
    name: str
    mobile: str = Field(description="the mobile number the platform registered (11 digits, mainland China)",
                        examples=["13800000001"])


class PlatformCompany(BaseModel):
    """The supervision company (监理单位) of a platform project."""

    org_id: str = Field(description="the organisation's id (an existing organisation with this credit code, "
                                    "else chosen by projects, stable per credit code)")
    credit_code: str = Field(description="unified social credit code (GB 32100)", examples=["91350100MA2XXXXX0X"])
    name: str
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

    project_id: str
    platform_code: str = Field(description="the project's code on the platform (一体化平台项目编号)")
    assessable: bool = Field(description="在建可评价: the project is under construction and assessable")
    supervision_company: PlatformCompany
    chief_engineer: PlatformPerson = Field(description="the chief supervising engineer (总监理工程师)")
    version: int = Field(ge=1, description="the project's version after the sync")


AttendanceStatus = Literal["present", "late", "absent"]


class AttendanceEntry(BaseModel):
    """One key person's outcome in an attendance check (HN-11)."""

    user_id: str
    name: str
    project_roles: list[str] = Field(description="their key roles on the project, e.g. project_manager")
    status: AttendanceStatus
    clocked_in_at: datetime | None = Field(default=None, description="the clock-in (打卡) that counted, if any")
    distance_m: float | None = Field(
        default=None, description="metres between that clock-in and the project's position, if both are known")


class AttendanceChecked(BaseModel):
    """``projects.attendance.checked.v1``: a supervisor ran an attendance check (查岗) over
    a set of the project's key personnel (关键岗位人员到岗监督, HN-11)."""

    check_id: str
    project_id: str
    checked_by: PersonRef
    checked_at: datetime
    window_minutes: int = Field(description="clock-ins this many minutes before checked_at count")
    on_time_before: str | None = Field(
        default=None, description="HH:MM, Asia/Shanghai: a later clock-in on the check's day is late")
    results: list[AttendanceEntry]
    present: int
    late: int
    absent: int


EVENTS: dict[str, type[BaseModel]] = {
    "projects.project.registered.v1": ProjectRegistered,
    "projects.project.updated.v1": ProjectUpdated,
    "projects.project.positioned.v1": ProjectPositioned,
    "projects.attendance.checked.v1": AttendanceChecked,
    "projects.platform_project.synced.v1": PlatformProjectSynced,
}
