"""Events published by equipment, version 1: the application (事项) lifecycle of crane filings,
supplementary registrations, installation/dismantling notifications and use registrations
(HEB-03, HEB-06, HEB-07, HEB-12, HEB-14, HEB-15), the machine registry and its locks."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from .common import EventModel, PersonRef

_OLDER = " (absent from older events)"
_CLERK = {"user_id": "3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e", "name": "孙丽"}
_OFFICER = {"user_id": "4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f", "name": "周涛"}
_MACHINE = "5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a"
_PROJECT = "6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b"
_INSTALLATION = "7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c"


class ApplicationStageChanged(EventModel):
    """``equipment.application.<submitted|accepted|not_accepted|returned|approved|refused>.v1``:
    an application (事项) moved from one stage to the next (HEB-03). The type's verb is the
    new stage; ``comment`` carries the reason (不予受理, 退回) or the decision (办结)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"application_id": "8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d", "kind": "filing", "from_stage": "draft",
         "to_stage": "submitted", "stage_label": "已上报", "applicant_org_id": "9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e",
         "authority_org_id": "7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d", "machine_id": None, "project_id": None,
         "number": None, "comment": "", "by": _CLERK, "at": "2026-11-21T01:30:00Z"},
        {"application_id": "8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d", "kind": "filing", "from_stage": "accepted",
         "to_stage": "approved", "stage_label": "办结（准予）", "applicant_org_id": "9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e",
         "authority_org_id": "7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d", "machine_id": _MACHINE, "project_id": None,
         "number": "冀130102-T-2026-0042", "comment": "资料齐全，准予备案", "by": _OFFICER,
         "at": "2026-11-22T02:00:00Z"},
    ]})

    application_id: str = Field(description="the application (事项)")
    kind: str = Field(description="filing | supplementary | installation | use_registration | dismantling | "
                                  "installer_entry (进冀备案, HEB-13)")
    from_stage: str | None = Field(description=(
        "the stage before: draft 草稿 | submitted | accepted | returned (null for a new application)"))
    to_stage: str = Field(description=(
        "the new stage: submitted 已上报 | accepted 已受理 | not_accepted 不予受理 | returned 已退回 | "
        "approved 办结（准予） | refused 办结（不予许可）"))
    stage_label: str = Field(description="the new stage in Chinese (已上报, 已受理, 不予受理, 已退回, 办结（准予）…)")
    applicant_org_id: str = Field(description="the applying company (产权单位/安装单位/使用单位)")
    authority_org_id: str | None = Field(description="the authority that handles it (null before submission)")
    machine_id: str | None = Field(default=None, description="the machine concerned, once known")
    project_id: str | None = Field(default=None, description="the project (installation, use registration)")
    number: str | None = Field(default=None, description="filing or registration number given on approval")
    comment: str = Field(default="", description="the reason (不予受理, 退回) or the decision (办结)")
    by: PersonRef = Field(description="who moved it")
    at: datetime = Field(description="when (UTC)")


class MachineFiled(EventModel):
    """``equipment.machine.filed.v1``: a crane's filing (备案) or supplementary registration (补录)
    was approved: it has a filing number and may be notified for installation (HEB-06, HEB-12)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "machine_id": _MACHINE, "filing_number": "冀AQ-T-2026-0042", "kind": "tower_crane", "model": "QTZ80(TC6010)",
        "maker": "中联重科股份有限公司", "factory_number": "TC6010-2024-1187",
        "owner_org_id": "9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e", "authority_org_id": "7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d",
        "supplementary": False, "filed_at": "2026-11-22T02:00:00Z"}]})

    machine_id: str = Field(description="the machine (起重机械)")
    filing_number: str = Field(description="its filing number (备案编号)")
    kind: str = Field(description=("tower_crane 塔式起重机 | hoist_sc 施工升降机（SC型） | "
                                   "hoist_ss 施工升降机（SS型） | material_hoist 物料提升机 | "
                                   "gantry_crane 门式起重机"))
    model: str = Field(description="the maker's model (规格型号)")
    maker: str = Field(description="the manufacturer (制造单位)")
    factory_number: str = Field(description="the manufacturer's serial number (出厂编号)")
    owner_org_id: str = Field(description="the owner (产权单位)")
    authority_org_id: str = Field(description="the authority that filed it")
    supplementary: bool = Field(default=False, description="true: a supplementary registration (补录)")
    filed_at: datetime = Field(description="when (UTC)")


class MachineCancelled(EventModel):
    """``equipment.machine.cancelled.v1``: a filed machine was cancelled (注销) when scrapped (HEB-06)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "machine_id": _MACHINE, "filing_number": "冀AQ-T-2026-0042", "reason": "达到使用年限报废",
        "by": _OFFICER, "at": "2026-11-21T01:30:00Z"}]})

    machine_id: str = Field(description="the machine cancelled")
    filing_number: str | None = Field(description="its filing number, if it had one")
    reason: str = Field(description="why (报废 …)")
    by: PersonRef = Field(description="who cancelled it")
    at: datetime = Field(description="when (UTC)")


class MachineLockChanged(EventModel):
    """``equipment.machine.locked.v1`` / ``equipment.machine.unlocked.v1``: a machine is tied to
    a project by an installation notification (HEB-14), or released by a confirmed dismantling
    (HEB-15) or a notification that was not accepted/refused."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "machine_id": _MACHINE, "project_id": _PROJECT, "application_id": _INSTALLATION,
        "reason": "安装告知已受理", "by": _OFFICER, "at": "2026-11-21T01:30:00Z",
        "filing_number": "冀AQ-T-2026-0042"}]})

    machine_id: str = Field(description="the machine locked or released")
    project_id: str = Field(description="the project it is tied to (or was)")
    application_id: str = Field(description="the installation notification holding the lock")
    reason: str = Field(description="why (安装告知已受理, 拆卸确认, 不予受理 …)")
    by: PersonRef = Field(description="who caused it")
    at: datetime = Field(description="when (UTC)")
    filing_number: str | None = Field(default=None, description="the machine's filing number" + _OLDER)


class OperatorLockChanged(EventModel):
    """``equipment.operator.locked.v1`` / ``equipment.operator.unlocked.v1``: a special-operations
    person (driver, signaller, rigger) was named in a use registration and is tied to that
    machine (HEB-07), or the authority unlocked them (explicit, with a reason)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "person_id": "2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c", "role": "driver", "certificate_number": "冀T0420260001",
        "machine_id": _MACHINE, "project_id": _PROJECT, "application_id": "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e",
        "reason": "使用登记已办结", "by": _OFFICER, "at": "2026-11-21T01:30:00Z", "person_name": "赵刚"}]})

    person_id: str = Field(description="the special-operations person (personnel)")
    role: str = Field(description="driver 司机 | signaller 信号工 | rigger 司索工")
    certificate_number: str = Field(description="their certificate's number (特种作业操作资格证书)")
    machine_id: str = Field(description="the machine they are tied to (or were)")
    project_id: str = Field(description="the machine's project")
    application_id: str = Field(description="the use registration holding the lock")
    reason: str = Field(description="why (使用登记已办结, 主管部门解锁: <reason> …)")
    by: PersonRef = Field(description="who caused it")
    at: datetime = Field(description="when (UTC)")
    person_name: str | None = Field(default=None, description="the person's name" + _OLDER)


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
