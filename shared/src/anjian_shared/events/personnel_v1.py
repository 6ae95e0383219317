"""Events published by personnel, version 1 (HEB-11: company safety staff and
special-operations personnel with their certificates; HUN-02..HUN-08: Hunan agencies' records)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .common import EventModel

Category = Literal["A", "B", "C1", "C2", "C3", "electrician", "scaffolder", "signaller_rigger",
                   "crane_driver", "crane_installer", "platform_installer"]


class CompanyPersonSaved(EventModel):
    """``personnel.company_person.saved.v1``: a company's safety-staff member (三类人员 A/B/C1-3)
    or special-operations worker (建质〔2008〕75号) was entered or changed — the full snapshot,
    so other services (equipment) keep a read model of people and their certificates' validity."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "person_id": "2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c", "company_org_id": "6f1c2b9e0a4d4c3b8e7f5a1d2c3b4a59",
        "name": "赵刚", "category": "crane_driver", "certificate_number": "冀T0420260001", "issued_on": "2025-03-01",
        "expires_on": "2027-02-28", "removed": False, "version": 1}]})

    person_id: str = Field(description="the person's id (personnel)")
    company_org_id: str = Field(description="the company the person works for")
    name: str = Field(description="the person's name")
    category: Category = Field(description="A/B/C1/C2/C3 (三类人员) or a special-operations category")
    certificate_number: str = Field(description=(
        "the certificate's number (安全生产考核合格证书 or 特种作业操作资格证书)"))
    issued_on: date = Field(description="the day the certificate was issued")
    expires_on: date = Field(description="last day the certificate is valid (三类人员: 3 years, 特种作业: 2 years)")
    removed: bool = Field(default=False, description="the company removed the person")
    version: int = Field(ge=1, description="the person's version (+1 per change); keep the highest")


AgencyStep = Literal["basic_info", "staffing", "supervised_projects", "funding", "qualification"]


class AgencySaved(BaseModel):
    """``personnel.agency.saved.v1``: a Hunan supervision agency (监督机构) changed its records —
    basic information, staff, yearly figures or qualification (HUN-02..HUN-08). Carries where
    the agency stands in its completion flow (监督机构信息完善流程) so reporting can show the
    next step as a to-do (HUN-01) without calling back."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "agency_org_id": "6f1c0a9e3b2d4e5f8a7b6c5d4e3f2a1b", "name": "长沙市建设工程质量安全监督站",
        "division_code": "430100", "kind": "combined", "year": 2026,
        "steps_done": ["basic_info", "staffing"], "next_step": "supervised_projects",
        "qualification_status": "not_filed", "version": 3}]})

    agency_org_id: str = Field(description="the agency's organisation id (identity)")
    name: str = Field(description="the agency's name")
    division_code: str | None = Field(default=None, description="GB/T 2260 code of the agency's jurisdiction")
    kind: Literal["combined", "quality", "safety"] | None = Field(default=None, description=(
        "质量安全监督合署 (combined), 独立质量 (quality) or 独立安全 (safety) agency; None until the "
        "basic information is filed"))
    year: int = Field(description="the statistical year the progress is counted for (China time)")
    steps_done: list[AgencyStep] = Field(description="the completion-flow steps filled for that year")
    next_step: AgencyStep | None = Field(description="the first step still to fill; None when all are filled")
    qualification_status: Literal["not_filed", "pending", "verified", "rejected", "expired"] = Field(
        description="the supervision-qualification verification status (HUN-08)")
    version: int = Field(ge=1, description="the agency record's version (+1 per change); keep the highest")


class StaffingReturnFrozen(BaseModel):
    """``personnel.staffing_return.frozen.v1``: the year-end job froze an agency's staffing
    structure (人员结构情况) of a past year as of 31 December, China time (HUN-04). Once per
    agency and year; the return never changes afterwards."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "agency_org_id": "6f1c0a9e3b2d4e5f8a7b6c5d4e3f2a1b", "year": 2025, "total": 42,
        "frozen_at": "2026-01-01T00:00:05Z"}]})

    agency_org_id: str = Field(description="the agency's organisation id (identity)")
    year: int = Field(description="the year frozen")
    total: int = Field(ge=0, description="staff counted on 31 December of that year")
    frozen_at: datetime = Field(description="when the job froze it (UTC)")


class AssessmentSubmitted(BaseModel):
    """``personnel.assessment.submitted.v1``: a supervision-group assessment (监督组考核, HUN-16)
    or an assessment of an agency by the level above it (层级考核, HUN-17) was submitted; its
    score never changes afterwards."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "assessment_id": "0b6f5c2e9d8a4f1b8c7d6e5f4a3b2c1d", "kind": "group",
        "assessor_org_id": "6f1c0a9e3b2d4e5f8a7b6c5d4e3f2a1b", "agency_org_id": "6f1c0a9e3b2d4e5f8a7b6c5d4e3f2a1b",
        "staff_ids": ["a1b2c3d4e5f60718293a4b5c6d7e8f90"], "projects": 2, "score": 91.5,
        "submitted_at": "2026-12-02T03:00:00Z"}]})

    assessment_id: str = Field(description="the assessment sheet's id")
    kind: Literal["group", "agency"] = Field(
        description="group: staff of the assessor's agency; agency: an agency below the assessor")
    assessor_org_id: str = Field(description="the organisation that assessed")
    agency_org_id: str = Field(description="the assessed staff's agency, or the assessed agency")
    staff_ids: list[str] = Field(description="the assessed staff (kind group); empty for kind agency")
    projects: int = Field(ge=1, description="assessed projects on the sheet")
    score: float = Field(ge=0, le=100,
                         description="the mean of the projects' scores (100 minus deductions), 2 decimals")
    submitted_at: datetime = Field(description="when it was submitted (UTC)")


class TrainingPassed(BaseModel):
    """``personnel.training.passed.v1``: a staff member passed the assessment (考核合格) of a
    new-staff training (新进人员培训, HUN-13) or a continuing-education session (继续教育,
    HUN-14); the pass is on the staff record's training history. What issues or extends a
    supervision certificate (HUN-10..12) consumes this. Once per registration."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "registration_id": "0b6f5c2e9d8a4f1b8c7d6e5f4a3b2c1d", "kind": "continuing",
        "agency_org_id": "6f1c0a9e3b2d4e5f8a7b6c5d4e3f2a1b", "staff_id": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        "session_id": "9e8d7c6b5a4f4e3d2c1b0a9f8e7d6c5b", "score": 86, "passed_on": "2026-12-02",
        "certificates": ["safety"]}]})

    registration_id: str = Field(description="the training registration's id")
    kind: Literal["new_staff", "continuing"] = Field(
        description="new_staff: 新进人员培训 (HUN-13); continuing: 继续教育 (HUN-14)")
    agency_org_id: str = Field(description="the staff member's agency (organisation id, identity)")
    staff_id: str = Field(description="the staff record's id (personnel)")
    session_id: str = Field(description="the training session (档期) attended")
    score: int = Field(ge=0, le=100, description="the assessment score, points of 100 (pass mark 60)")
    passed_on: date = Field(description="the day the result was recorded (China date)")
    certificates: list[str] = Field(description=(
        "the supervision certificates (quality, safety) the staff member held when registering"))


class SupervisorCertificateChanged(BaseModel):
    """``personnel.supervisor_certificate.changed.v1``: a Hunan supervisor's certificate
    (监督人员资格证书) changed because the province office approved an application of the
    agency (HUN-10 证书变更: new number/validity/photo; HUN-11 证书注销: cancelled; HUN-12
    证书补办: reissued) — the certificate's full state after the change."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "application_id": "3c2b1a09f8e7d6c5b4a3f2e1d0c9b8a7", "application_kind": "cert_change",
        "agency_org_id": "6f1c0a9e3b2d4e5f8a7b6c5d4e3f2a1b", "staff_id": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        "certificate_id": "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b", "certificate_kind": "safety",
        "number": "湘安监2026-0188", "previous_number": "湘安监2021-0042", "issued_on": "2026-11-20",
        "valid_until": "2031-11-19", "status": "valid", "reissued": 0, "approved_at": "2026-12-02T03:00:00Z"}]})

    application_id: str = Field(description="the approved application (事项)")
    application_kind: Literal["cert_change", "cert_cancellation", "cert_reissue"] = Field(
        description="cert_change 证书变更 / cert_cancellation 证书注销 / cert_reissue 证书补办")
    agency_org_id: str = Field(description="the supervisor's agency")
    staff_id: str = Field(description="the supervisor's staff record")
    certificate_id: str = Field(description="the certificate on the staff record")
    certificate_kind: Literal["quality", "safety"] = Field(description="quality 质量监督 / safety 安全监督")
    number: str = Field(description="the certificate's number after the change")
    previous_number: str = Field(description="its number before the change (the same unless changed)")
    issued_on: date = Field(description="issue date after the change")
    valid_until: date = Field(description="last day of validity after the change")
    status: Literal["valid", "cancelled"] = Field(description="valid 有效 / cancelled 已注销")
    reissued: int = Field(ge=0, description="how many times the certificate was reissued (补办)")
    approved_at: datetime = Field(description="when the province office approved (UTC)")


class StaffSaved(BaseModel):
    """``personnel.staff.saved.v1``: a Hunan agency's staff record (人员信息) was added, changed
    or deleted (HUN-05, HUN-09). identity keeps these snapshots to check that a user application
    (用户申请, HUN-20) proposes a member of the applicant agency's own staff."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "staff_id": "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f", "agency_org_id": "6f1c0a9e3b2d4e5f8a7b6c5d4e3f2a1b",
        "name": "李娜", "mobile": "13800000001", "post": "supervisor", "deleted": False, "version": 2}]})

    staff_id: str = Field(description="the staff record's id (personnel)")
    agency_org_id: str = Field(description="the agency (organisation id in identity) whose staff it is")
    name: str = Field(description="the person's name")
    mobile: str | None = Field(default=None, description="the person's mobile number, when recorded")
    post: str | None = Field(default=None, description=(
        "leader 机构负责人 / technical_leader 技术负责人 / supervisor 监督人员 / administrative 行政人员 / other"))
    deleted: bool = Field(default=False, description="the agency deleted the record")
    version: int = Field(ge=1, description="the record's version (+1 per change); keep the highest")


HunanTaskKind = Literal["certificate_application_to_decide", "assessment_to_finish", "dynamic_score_to_approve",
                        "training_registration_to_review"]


class HunanTaskChanged(BaseModel):
    """``personnel.hunan_task.changed.v1``: a task of Hunan's home page (HUN-01 待办) opened or
    closed. Personnel says what is to do, for whom and what opens it; reporting keeps the to-dos.
    Opened: a certificate application submitted to the province office (HUN-10..12), a draft
    assessment (HUN-16/17), a dynamic-scoring entry awaiting the agency leader (HUN-18), a
    training registration awaiting review (HUN-13/14). Closed (``open`` false) once decided,
    returned, submitted, approved or deleted. Apply the one with the latest ``at`` per ``task_id``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "task_id": "certificate_application:0b6f5c2e9d8a4f1b8c7d6e5f4a3b2c1d",
        "kind": "certificate_application_to_decide", "object_kind": "certificate_application",
        "object_id": "0b6f5c2e9d8a4f1b8c7d6e5f4a3b2c1d",
        "api_path": "/api/personnel/v1/certificate-applications/0b6f5c2e9d8a4f1b8c7d6e5f4a3b2c1d",
        "open": True, "assignee_org_id": "6f1c0a9e3b2d4e5f8a7b6c5d4e3f2a1b",
        "assignee_roles": ["supervisor", "station_leader", "province_admin"], "assignee_user_id": None,
        "agency_org_id": "a1b2c3d4e5f60718293a4b5c6d7e8f90", "title": "审核证书变更申请",
        "body": "证书变更申请已上报，待省级主管部门审核。", "at": "2026-12-02T03:00:00Z"}]})

    task_id: str = Field(description="stable id of the task: <object_kind>:<object_id>")
    kind: HunanTaskKind = Field(description=(
        "certificate_application_to_decide 证书申请待审核 (province office), assessment_to_finish 考核待完成 "
        "(the assessor), dynamic_score_to_approve 记分待审批 (agency leader), training_registration_to_review "
        "培训报名待审核 (province training office)"))
    object_kind: Literal["certificate_application", "assessment", "dynamic_score", "training_registration"] = Field(
        description="the kind of object the task opens")
    object_id: str = Field(description="the id of the object the task opens")
    api_path: str = Field(description="the personnel API path that opens the object (GET)")
    open: bool = Field(description="true: the task is to do; false: it is done (decided, submitted or deleted)")
    assignee_org_id: str | None = Field(default=None, description=(
        "the organisation whose users (with one of assignee_roles) do it; None with assignee_user_id"))
    assignee_roles: list[str] = Field(default_factory=list, description=(
        "roles of the assignee organisation's users who do it (any of them)"))
    assignee_user_id: str | None = Field(default=None, description="one user who does it (the assessor of a draft)")
    agency_org_id: str | None = Field(default=None, description="the agency the object belongs to or assesses")
    title: str = Field(description="what to do, in Chinese (the to-do's title)")
    body: str = Field(description="one sentence about the object, in Chinese; names no person (the object does)")
    at: datetime = Field(description="when it opened or closed (UTC); a later at wins")


EVENTS: dict[str, type[BaseModel]] = {
    "personnel.staff.saved.v1": StaffSaved,
    "personnel.training.passed.v1": TrainingPassed,
    "personnel.assessment.submitted.v1": AssessmentSubmitted,
    "personnel.company_person.saved.v1": CompanyPersonSaved,
    "personnel.agency.saved.v1": AgencySaved,
    "personnel.staffing_return.frozen.v1": StaffingReturnFrozen,
    "personnel.supervisor_certificate.changed.v1": SupervisorCertificateChanged,
    "personnel.hunan_task.changed.v1": HunanTaskChanged,
}
