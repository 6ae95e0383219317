"""Events published by inspections, version 1 (HB-02..HB-07)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from .common import MediaRef, PersonRef

Disposition = Literal["无隐患", "现场整改", "限期整改", "停工整改"]
"""处置情况 (HB-06 7.1): no hazard, fixed on site, rectify by a deadline, stop work and rectify."""

RECTIFICATION_DISPOSITIONS: frozenset[str] = frozenset({"限期整改", "停工整改"})
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
    notice: NoticeData
    signature: MediaRef
    seal: MediaRef | None = None
    results: list[ResultSnapshot]
    submitted_at: datetime


EVENTS: dict[str, type[BaseModel]] = {
    "inspections.plan.confirmed.v1": PlanConfirmed,
    "inspections.plan.submitted.v1": PlanSubmitted,
}
