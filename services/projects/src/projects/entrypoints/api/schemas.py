"""projects request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from anjian_shared.pagination import Page
from anjian_shared.types import ShortStr


class ParticipantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: str
    project_role: Annotated[str, Field(description="project_manager, technical_lead, safety_officer, "
                                                   "chief_supervising_engineer, supervising_engineer, "
                                                   "owner_representative")]


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "武汉光谷科技园二期", "address": "武汉市东湖新技术开发区高新大道 888 号",
        "owner_org_id": "…", "contractor_org_id": "…", "supervision_org_id": "…",
        "supervisor_user_ids": ["…"], "participants": [{"user_id": "…", "project_role": "project_manager"}]}]})

    name: ShortStr
    address: ShortStr
    owner_org_id: str
    contractor_org_id: str
    supervision_org_id: str
    supervisor_user_ids: Annotated[list[str], Field(min_length=1, max_length=50)]
    participants: Annotated[list[ParticipantIn], Field(max_length=200)] = []


class SupervisorsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    supervisor_user_ids: Annotated[list[str], Field(min_length=1, max_length=50)]


class ParticipantRead(BaseModel):
    user_id: str
    org_id: str
    name: str
    project_role: str
    project_role_label: str
    discipline: str | None = Field(default=None, description="lead discipline (主导专业) of a specialist "
                                                             "supervising engineer (FJ-03)")


class PersonRead(BaseModel):
    user_id: str
    name: str


class PositioningSummary(BaseModel):
    """The project's current position (HN-03), on every project read."""

    positioning_id: str
    longitude: float = Field(description="WGS-84 decimal degrees")
    latitude: float = Field(description="WGS-84 decimal degrees")
    address: str
    captured_at: datetime
    positioned_at: datetime
    positioned_by: PersonRead


class PartyRead(BaseModel):
    """An organisation named on the project: its id and name (the id again while the
    organisation is not yet in this service's directory)."""

    org_id: str
    name: str


class ProjectRead(BaseModel):
    """A project with the names of its station (监督站), owner (建设单位), contractor (施工单位),
    supervision company (监理单位) and supervisors, next to their ids."""

    id: str
    tenant: str
    code: str
    name: str
    address: str
    station_org_id: str
    owner_org_id: str
    contractor_org_id: str
    supervision_org_id: str
    supervisor_user_ids: list[str]
    station: PartyRead | None = None
    owner: PartyRead | None = None
    contractor: PartyRead | None = None
    supervision: PartyRead | None = None
    supervisors: list[PersonRead] = []
    participants: list[ParticipantRead]
    status: str
    created_at: datetime
    positioning: PositioningSummary | None = Field(
        default=None, description="current position (工程定位, HN-03); null until first positioned")
    platform_code: str | None = Field(default=None, description=(
        "code on the province's integration platform (一体化平台, FJ-01); null for projects registered here"))
    assessable: bool | None = Field(default=None, description="在建可评价 on the platform (FJ-01); null if not from it")
    missing_roles: list[str] = Field(default_factory=list, description=(
        "required project roles a platform project still lacks (FJ-03): chief_supervising_engineer, "
        "feedback_person (反馈人: needed before a rectification notice is issued); [] otherwise"))


class ProjectPage(Page[ProjectRead]):
    pass


# --- Hainan: project positioning (HN-03) and key-personnel attendance (HN-11) ---

Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False,
                                   description="WGS-84 longitude, decimal degrees (east positive), -180..180",
                                   examples=[110.3312])]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False,
                                  description="WGS-84 latitude, decimal degrees (north positive), -90..90",
                                  examples=[20.0311])]


class PhotoRead(BaseModel):
    """A stored photo: ``url`` is presigned (readable without credentials for
    ``presign_minutes``, 15 by default)."""

    url: str
    content_type: str
    size: int = Field(description="bytes")
    sha256: str | None = None


class PositioningRead(BaseModel):
    """One positioning of a project (工程定位, HN-03): who, when, where, the cover photo."""

    id: str
    project_id: str
    longitude: float = Field(description="WGS-84 decimal degrees")
    latitude: float = Field(description="WGS-84 decimal degrees")
    address: str
    captured_at: datetime = Field(description="when the device captured the position")
    positioned_at: datetime = Field(description="when it was submitted (server time, UTC)")
    positioned_by: PersonRead
    cover_photo: PhotoRead


class PositioningView(BaseModel):
    """The current positioning (null before the first) and the history, newest first
    (the current one included), paginated by ``limit``/``cursor``."""

    project_id: str
    current: PositioningRead | None
    history: list[PositioningRead]
    next_cursor: str | None = None


class ClockInCreate(BaseModel):
    """HN-11 打卡: where the key person is; the time is the server's."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"longitude": 110.3312, "latitude": 20.0312, "address": "海口市美兰区国兴大道 5 号"}]})

    longitude: Longitude
    latitude: Latitude
    address: Annotated[str | None, Field(min_length=1, max_length=200)] = None


class ClockInRead(BaseModel):
    id: str
    project_id: str
    user_id: str
    name: str
    project_roles: list[str]
    longitude: float = Field(description="WGS-84 decimal degrees")
    latitude: float = Field(description="WGS-84 decimal degrees")
    address: str | None = None
    clocked_at: datetime = Field(description="server time (UTC)")
    distance_m: float | None = Field(description="metres from the project's position; null if not positioned")


class AttendanceCheckCreate(BaseModel):
    """HN-11 查岗 over some of the project's key personnel."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"user_ids": ["…"], "window_minutes": 120, "on_time_before": "08:30"}]})

    user_ids: Annotated[list[str], Field(min_length=1, max_length=200,
                                         description="key personnel of the project (项目经理, 技术负责人, "
                                                     "专职安全员, 总监理工程师)")]
    window_minutes: Annotated[int, Field(ge=1, le=1440, description="clock-ins this many minutes before the "
                                                                    "check count (minutes, 1..1440)")] = 120
    on_time_before: Annotated[str | None, Field(
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="HH:MM, Asia/Shanghai local time: a clock-in after it on the check's day is late")] = None


class AttendanceResultRead(BaseModel):
    user_id: str
    name: str
    project_roles: list[str]
    status: Literal["present", "late", "absent"]
    clocked_in_at: datetime | None = Field(description="the earliest clock-in in the window, if any")
    distance_m: float | None = Field(description="metres between that clock-in and the project's position")


class AttendanceCheckRead(BaseModel):
    id: str
    project_id: str
    checked_by: PersonRead
    checked_at: datetime
    window_minutes: int = Field(description="minutes")
    on_time_before: str | None
    position_known: bool = Field(description="the project had a position (HN-03), so distances are given")
    results: list[AttendanceResultRead]
    present: int
    late: int
    absent: int


class AttendanceCheckPage(Page[AttendanceCheckRead]):
    pass
