"""Events published by equipment, version 1: the application (事项) lifecycle of crane filings,
supplementary registrations, installation/dismantling notifications and use registrations
(HEB-03, HEB-06, HEB-07, HEB-12, HEB-14, HEB-15), the machine registry and its locks."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from .common import PersonRef


class ApplicationStageChanged(BaseModel):
    """``equipment.application.<submitted|accepted|not_accepted|returned|approved|refused>.v1``:
    an application (事项) moved from one stage to the next (HEB-03). The type's verb is the
    new stage; ``comment`` carries the reason (不予受理, 退回) or the decision (办结)."""

    application_id: str
    kind: str = Field(description="filing | supplementary | installation | use_registration | dismantling | "
                                  "installer_entry (进冀备案, HEB-13)")
    from_stage: str | None
    to_stage: str
    stage_label: str = Field(description="the new stage in Chinese (已上报, 已受理, 不予受理, 已退回, 办结…)")
    applicant_org_id: str
    authority_org_id: str | None
    machine_id: str | None = None
    project_id: str | None = None
    number: str | None = Field(default=None, description="filing or registration number given on approval")
    comment: str = ""
    by: PersonRef
    at: datetime


class MachineFiled(BaseModel):
    """``equipment.machine.filed.v1``: a crane's filing (备案) or supplementary registration (补录)
    was approved: it has a filing number and may be notified for installation (HEB-06, HEB-12)."""

    machine_id: str
    filing_number: str
    kind: str
    model: str
    maker: str
    factory_number: str
    owner_org_id: str
    authority_org_id: str
    supplementary: bool = False
    filed_at: datetime


class MachineCancelled(BaseModel):
    """``equipment.machine.cancelled.v1``: a filed machine was cancelled (注销) when scrapped (HEB-06)."""

    machine_id: str
    filing_number: str | None
    reason: str
    by: PersonRef
    at: datetime


class MachineLockChanged(BaseModel):
    """``equipment.machine.locked.v1`` / ``equipment.machine.unlocked.v1``: a machine is tied to
    a project by an installation notification (HEB-14), or released by a confirmed dismantling
    (HEB-15) or a notification that was not accepted/refused."""

    machine_id: str
    project_id: str
    application_id: str = Field(description="the installation notification holding the lock")
    reason: str
    by: PersonRef
    at: datetime


class OperatorLockChanged(BaseModel):
    """``equipment.operator.locked.v1`` / ``equipment.operator.unlocked.v1``: a special-operations
    person (driver, signaller, rigger) was named in a use registration and is tied to that
    machine (HEB-07), or the authority unlocked them (explicit, with a reason)."""

    person_id: str
    role: str = Field(description="driver 司机 | signaller 信号工 | rigger 司索工")
    certificate_number: str
    machine_id: str
    project_id: str
    application_id: str = Field(description="the use registration holding the lock")
    reason: str
    by: PersonRef
    at: datetime


_STAGES = ("submitted", "accepted", "not_accepted", "returned", "approved", "refused")

EVENTS: dict[str, type[BaseModel]] = {
    **{f"equipment.application.{stage}.v1": ApplicationStageChanged for stage in _STAGES},
    "equipment.machine.filed.v1": MachineFiled,
    "equipment.machine.cancelled.v1": MachineCancelled,
    "equipment.machine.locked.v1": MachineLockChanged,
    "equipment.machine.unlocked.v1": MachineLockChanged,
    "equipment.operator.locked.v1": OperatorLockChanged,
    "equipment.operator.unlocked.v1": OperatorLockChanged,
}
