"""The crane registry's rules (HEB-06, HEB-07, HEB-12, HEB-14, HEB-15): pure, no I/O.

Kinds of application (事项, lifecycle ``anjian_shared.applications``) handled here:

- ``filing`` 设备备案 (HEB-06) by a contractor or leasing company (the property owner);
- ``supplementary`` 补录 (HEB-12) of a machine filed before the platform (its old number);
- ``installation`` 安装告知 (HEB-14) by an installer: locks the machine to the project;
- ``use_registration`` 使用登记 (HEB-07) by the contractor: locks its operators;
- ``dismantling`` 拆卸告知 (HEB-15) by an installer: once confirmed the machine is released;
- ``installer_entry`` 进冀备案 (HEB-13) by an out-of-province installer, straight to the province
  office: its qualification certificate and work-safety licence, both valid; until it is
  approved (and while both are valid) the installer's installation and dismantling
  notifications are refused.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from anjian_shared.company_people import check_company_person
from anjian_shared.errors import Conflict, Unprocessable


class Kind(StrEnum):
    FILING = "filing"
    SUPPLEMENTARY = "supplementary"
    INSTALLATION = "installation"
    USE_REGISTRATION = "use_registration"
    DISMANTLING = "dismantling"
    INSTALLER_ENTRY = "installer_entry"


KIND_LABELS = {Kind.FILING: "设备备案", Kind.SUPPLEMENTARY: "设备补录", Kind.INSTALLATION: "安装告知",
               Kind.USE_REGISTRATION: "使用登记", Kind.DISMANTLING: "拆卸告知", Kind.INSTALLER_ENTRY: "进冀备案"}

APPLICANT_ROLES: dict[Kind, frozenset[str]] = {
    Kind.FILING: frozenset({"contractor", "leasing"}),
    Kind.SUPPLEMENTARY: frozenset({"contractor", "leasing"}),
    Kind.INSTALLATION: frozenset({"installer"}),
    Kind.USE_REGISTRATION: frozenset({"contractor"}),
    Kind.DISMANTLING: frozenset({"installer"}),
    Kind.INSTALLER_ENTRY: frozenset({"installer"}),
}
"""Which company role (identity's ``company_roles``) may apply for each kind."""


class MachineKind(StrEnum):
    TOWER_CRANE = "tower_crane"
    HOIST_SC = "hoist_sc"
    HOIST_SS = "hoist_ss"
    MATERIAL_HOIST = "material_hoist"
    GANTRY_CRANE = "gantry_crane"


MACHINE_LABELS = {MachineKind.TOWER_CRANE: "塔式起重机", MachineKind.HOIST_SC: "施工升降机（SC型）",
                  MachineKind.HOIST_SS: "施工升降机（SS型）", MachineKind.MATERIAL_HOIST: "物料提升机",
                  MachineKind.GANTRY_CRANE: "门式起重机"}
MACHINE_LETTERS = {MachineKind.TOWER_CRANE: "T", MachineKind.HOIST_SC: "S", MachineKind.HOIST_SS: "S",
                   MachineKind.MATERIAL_HOIST: "W", MachineKind.GANTRY_CRANE: "M"}
"""The kind's letter in the filing number (冀A-T-2026-0001)."""

CERTIFICATES = {"manufacturing_licence": "特种设备制造许可证", "product_certificate": "产品合格证",
                "supervision_certificate": "制造监督检验证明"}
"""The three certificates a filing carries (HEB-06), slot → label."""
SAFETY_ASSESSMENT = "safety_assessment"
SLOTS: dict[Kind, dict[str, str]] = {
    Kind.FILING: {**CERTIFICATES, SAFETY_ASSESSMENT: "安全评估报告"},
    Kind.SUPPLEMENTARY: {**CERTIFICATES, SAFETY_ASSESSMENT: "安全评估报告", "old_filing": "原备案证明"},
    Kind.INSTALLATION: {"special_plan": "专项施工方案", "other": "其他"},
    Kind.USE_REGISTRATION: {"acceptance_record": "验收记录", "other": "其他"},
    Kind.DISMANTLING: {"special_plan": "专项施工方案", "other": "其他"},
    Kind.INSTALLER_ENTRY: {"qualification_certificate": "起重设备安装工程专业承包资质证书",
                           "safety_licence": "安全生产许可证", "other": "其他"},
}
"""The attachment slots of each kind (slot → label)."""
REQUIRED_SLOTS: dict[Kind, tuple[str, ...]] = {
    Kind.FILING: tuple(CERTIFICATES),
    Kind.SUPPLEMENTARY: (),
    Kind.INSTALLATION: ("special_plan",),
    Kind.USE_REGISTRATION: ("acceptance_record",),
    Kind.DISMANTLING: (),
    Kind.INSTALLER_ENTRY: ("qualification_certificate", "safety_licence"),
}

USE_REGISTRATION_DAYS = 30
"""HEB-07: use is registered within 30 days of the acceptance (验收)."""


class OperatorRole(StrEnum):
    DRIVER = "driver"
    SIGNALLER = "signaller"
    RIGGER = "rigger"


OPERATOR_LABELS = {OperatorRole.DRIVER: "司机", OperatorRole.SIGNALLER: "信号工", OperatorRole.RIGGER: "司索工"}

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MachineForm(BaseModel):
    """HEB-06 the machine of a filing or supplementary registration."""

    model_config = _STRICT
    machine_kind: MachineKind
    model: str = Field(min_length=1, max_length=64, description="型号, e.g. QTZ80")
    maker: str = Field(min_length=1, max_length=128, description="制造单位")
    factory_number: str = Field(min_length=1, max_length=64, description="出厂编号")
    manufacture_date: date
    rated_moment_knm: float | None = Field(default=None, gt=0, le=100000, description="额定起重力矩 kN·m (tower)")
    rated_load_t: float | None = Field(default=None, gt=0, le=1000, description="额定载重量 t (hoists)")
    assessment_valid_until: date | None = Field(
        default=None, description="the attached safety assessment (安全评估) is valid until this day")
    old_filing_number: str | None = Field(default=None, max_length=64, description="补录: the earlier number")

    @model_validator(mode="after")
    def _rating(self) -> MachineForm:
        if self.machine_kind is MachineKind.TOWER_CRANE and self.rated_moment_knm is None:
            raise ValueError("a tower crane needs rated_moment_knm")
        if self.machine_kind is not MachineKind.TOWER_CRANE and self.rated_load_t is None:
            raise ValueError("a hoist or other machine needs rated_load_t")
        return self


class Operator(BaseModel):
    model_config = _STRICT
    person_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=64)
    role: OperatorRole
    certificate_number: str = Field(min_length=1, max_length=64)


class Worker(BaseModel):
    """HEB-14 an installation/dismantling worker (安装拆卸工), named by personnel's person id
    (HEB-11) like an operator; ``name`` and ``certificate_number`` as the installer saw them."""

    model_config = _STRICT
    person_id: str = Field(min_length=1, max_length=64, description="personnel's person id (HEB-11)")
    name: str = Field(default="", max_length=64, description="姓名")
    certificate_number: str = Field(default="", max_length=64, description="特种作业操作资格证书编号")


LEGACY_WORKERS = "worker_user_ids"
"""The form field of installation notifications before HEB-14 named workers by person id:
identity user ids, never checked. Stored drafts keep them outside the form
(``legacy_worker_user_ids``, see ``split_legacy_workers``); a new form naming it is 422."""


class InstallationForm(BaseModel):
    """HEB-14 安装告知 / HEB-15 拆卸告知: a filed machine on a project, the installer's workers
    (``workers``: personnel person ids, each holding a valid 建筑起重机械安装拆卸工 certificate of
    the installer) and dates."""

    model_config = _STRICT
    machine_id: str = Field(min_length=1, max_length=64)
    project_id: str = Field(min_length=1, max_length=64)
    workers: list[Worker] = Field(default_factory=list, max_length=50)
    start_date: date
    end_date: date

    @model_validator(mode="before")
    @classmethod
    def _no_user_ids(cls, data: Any) -> Any:
        if isinstance(data, dict) and LEGACY_WORKERS in data:
            raise ValueError("workers are named by personnel person id now: "
                             "form.workers = [{\"person_id\": …}] instead of worker_user_ids")
        return data

    @model_validator(mode="after")
    def _dates(self) -> InstallationForm:
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self

    @field_validator("workers")
    @classmethod
    def _unique_workers(cls, workers: list[Worker]) -> list[Worker]:
        ids = [w.person_id for w in workers]
        if len(set(ids)) != len(ids):
            raise ValueError("a worker is named twice")
        return workers


def split_legacy_workers(form: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """HEB-14 migration of a stored installation/dismantling form: (the form without
    ``worker_user_ids``, those user ids). Such a draft is submitted only once its workers are
    named by person id (``check_legacy_workers``)."""
    if LEGACY_WORKERS not in form:
        return form, []
    rest = {k: v for k, v in form.items() if k != LEGACY_WORKERS}
    return rest, [str(u) for u in form.get(LEGACY_WORKERS) or []]


def check_legacy_workers(form: InstallationForm, legacy_user_ids: list[str]) -> None:
    """HEB-14 a draft saved with ``worker_user_ids`` (identity user ids) and no ``workers`` is
    refused at 上报: 422 ``workers-by-person-id`` naming ``form.workers`` (edit the draft and
    name the workers from the company's personnel)."""
    if legacy_user_ids and not form.workers:
        raise Unprocessable(f"this draft names {len(legacy_user_ids)} worker(s) by user id (worker_user_ids); "
                            "name them from the company's personnel (form.workers.<i>.person_id) and submit again",
                            field="form.workers", slug="workers-by-person-id")


class UseRegistrationForm(BaseModel):
    """HEB-07 使用登记: an installed machine on the contractor's project, its acceptance day
    and the special-operations personnel."""

    model_config = _STRICT
    machine_id: str = Field(min_length=1, max_length=64)
    project_id: str = Field(min_length=1, max_length=64)
    acceptance_date: date
    operators: list[Operator] = Field(min_length=1, max_length=30)

    @model_validator(mode="after")
    def _unique(self) -> UseRegistrationForm:
        ids = [o.person_id for o in self.operators]
        if len(set(ids)) != len(ids):
            raise ValueError("a person is named twice")
        return self


class InstallerEntryForm(BaseModel):
    """HEB-13 进冀备案: an out-of-province installer's lifting-equipment installation
    qualification (起重设备安装工程专业承包资质) and work-safety licence (安全生产许可证), with the
    last day each is valid (建设部令第166号: only a company holding both installs or dismantles)."""

    model_config = _STRICT
    qualification_number: str = Field(min_length=1, max_length=64, description="资质证书编号")
    qualification_valid_until: date = Field(description="资质证书有效期至")
    safety_licence_number: str = Field(min_length=1, max_length=64, description="安全生产许可证编号")
    safety_licence_valid_until: date = Field(description="安全生产许可证有效期至")
    contact_name: str = Field(default="", max_length=64)
    contact_mobile: str = Field(default="", max_length=20)


FORMS: dict[Kind, type[BaseModel]] = {
    Kind.FILING: MachineForm, Kind.SUPPLEMENTARY: MachineForm, Kind.INSTALLATION: InstallationForm,
    Kind.USE_REGISTRATION: UseRegistrationForm, Kind.DISMANTLING: InstallationForm,
    Kind.INSTALLER_ENTRY: InstallerEntryForm,
}


def check_installer_entry(form: InstallerEntryForm, today: date) -> None:
    """HEB-13 both certificates must be valid today: 422 ``certificate-expired`` naming
    ``form.qualification_valid_until`` or ``form.safety_licence_valid_until``."""
    for field, label in (("qualification_valid_until", "资质证书"), ("safety_licence_valid_until", "安全生产许可证")):
        until: date = getattr(form, field)
        if until < today:
            raise Unprocessable(f"the {label} expired on {until}", field=f"form.{field}", slug="certificate-expired")


def entry_valid_until(form: InstallerEntryForm) -> date:
    """HEB-13 an approved entry filing lasts while both certificates do."""
    return min(form.qualification_valid_until, form.safety_licence_valid_until)


def parse_form(kind: Kind, form: dict[str, Any]) -> BaseModel:
    """The kind's form model of ``form``: 422 naming the first wrong field (``form.<field>``;
    ``form.worker_user_ids`` for the field installation notifications no longer take)."""
    from pydantic import ValidationError

    try:
        return FORMS[kind].model_validate(form)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        if not loc and isinstance(form, dict) and LEGACY_WORKERS in form:
            loc = LEGACY_WORKERS
        raise Unprocessable(f"form{'.' + loc if loc else ''}: {first['msg']}",
                            field=f"form.{loc}" if loc else "form") from exc


# ------------------------------------------------------------------------------ HEB-06 rules

def key(text: str) -> str:
    """Normalised key of a maker, factory number or model (case, width and spaces ignored)."""
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", text).upper().split())


def life_limit_name(machine: MachineForm) -> str | None:
    """Which tenant limit (``anjian_shared.tenant_policy``) holds the machine's service life
    (JGJ/T 189: tower < 630 kN·m, 630–1250, ≥ 1250; SC, SS hoists); None: no threshold."""
    if machine.machine_kind is MachineKind.TOWER_CRANE:
        moment = machine.rated_moment_knm or 0
        if moment < 630:
            return "tower_crane_life_years_small"
        return "tower_crane_life_years_medium" if moment < 1250 else "tower_crane_life_years_large"
    if machine.machine_kind is MachineKind.HOIST_SC:
        return "hoist_sc_life_years"
    if machine.machine_kind is MachineKind.HOIST_SS:
        return "hoist_ss_life_years"
    return None


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def check_filing(machine: MachineForm, *, slots: set[str], banned: bool, life_years: int | None,
                 today: date, supplementary: bool = False) -> None:
    """HEB-06 what a filing must satisfy at submission (HEB-12 for 补录):

    - 409 ``model-banned``: the province lists the model as banned/eliminated;
    - 422 ``certificates-missing`` naming ``attachments``: one of the three certificates is
      not attached (a supplementary registration needs its ``old_filing_number`` instead);
    - 409 ``service-life-exceeded``: older than ``life_years`` (from the manufacture day)
      without a safety assessment attached and valid today (``assessment_valid_until``)."""
    if banned:
        raise Conflict(f"model {machine.model} is banned or eliminated in this province "
                       "(禁止使用或淘汰的型号)", slug="model-banned", field="form.model")
    if machine.manufacture_date > today:
        raise Unprocessable("the manufacture date is in the future", field="form.manufacture_date")
    if supplementary:
        if not machine.old_filing_number:
            raise Unprocessable("补录 needs the machine's earlier filing number", field="form.old_filing_number")
    else:
        missing = [label for slot, label in CERTIFICATES.items() if slot not in slots]
        if missing:
            raise Unprocessable(f"certificates missing: {'、'.join(missing)}", field="attachments",
                                slug="certificates-missing")
    if life_years is not None and add_years(machine.manufacture_date, life_years) <= today:
        valid = (SAFETY_ASSESSMENT in slots and machine.assessment_valid_until is not None
                 and machine.assessment_valid_until >= today)
        if not valid:
            raise Conflict(f"the machine is past its service life of {life_years} years (JGJ/T 189) and "
                           "has no valid safety assessment (安全评估) attached", slug="service-life-exceeded",
                           field="attachments")


def filing_number(*, abbreviation: str, authority_code: str, kind: MachineKind, year: int, seq: int) -> str:
    """HEB-06 the filing number per authority and year, e.g. ``冀A-T-2026-0001``."""
    return f"{abbreviation}{authority_code}-{MACHINE_LETTERS[kind]}-{year}-{seq:04d}"


def registration_number(*, abbreviation: str, authority_code: str, year: int, seq: int) -> str:
    """HEB-07 the use registration number, e.g. ``冀A-DJ-2026-0001``."""
    return f"{abbreviation}{authority_code}-DJ-{year}-{seq:04d}"


def check_use_window(acceptance_date: date, today: date) -> None:
    """HEB-07 use is registered within 30 days of acceptance: 422 naming
    ``form.acceptance_date`` (``registration-window-passed``) otherwise, or if it is in the future."""
    if acceptance_date > today:
        raise Unprocessable("the acceptance date is in the future", field="form.acceptance_date")
    if (today - acceptance_date).days > USE_REGISTRATION_DAYS:
        raise Unprocessable(f"use must be registered within {USE_REGISTRATION_DAYS} days of acceptance "
                            f"({acceptance_date})", field="form.acceptance_date", slug="registration-window-passed")


OPERATOR_CATEGORIES: dict[OperatorRole, frozenset[str]] = {
    OperatorRole.DRIVER: frozenset({"crane_driver"}),
    OperatorRole.SIGNALLER: frozenset({"signaller_rigger"}),
    OperatorRole.RIGGER: frozenset({"signaller_rigger"}),
}
"""建质〔2008〕75号: the special-operations certificate each role needs (建筑起重机械司机,
建筑起重信号司索工)."""


WORKER_CATEGORIES: frozenset[str] = frozenset({"crane_installer"})
"""建质〔2008〕75号: installation/dismantling workers hold 建筑起重机械安装拆卸工 certificates."""


def check_operator(index: int, op: Operator, person: dict[str, Any] | None, today: date) -> None:
    """HEB-07/11 an operator named in a use registration (``check_company_person`` naming
    ``form.operators.<index>.person_id``): a driver needs ``crane_driver``, a signaller or
    rigger ``signaller_rigger``. Any company's person may be named (drivers often come with the
    leased machine: the leasing company enters them, manual 3(3))."""
    check_company_person(f"form.operators.{index}.person_id", op.person_id, person,
                         categories=OPERATOR_CATEGORIES[op.role], needs=f"a {OPERATOR_LABELS[op.role]}", today=today)


def check_worker(index: int, worker: Worker, person: dict[str, Any] | None, today: date, *,
                 installer_org_id: str) -> None:
    """HEB-14 an installation/dismantling worker (``check_company_person`` naming
    ``form.workers.<index>.person_id``): a person of the installer's own personnel (manual 4(3):
    安拆企业 单位人员录入) holding a valid 建筑起重机械安装拆卸工 (``crane_installer``) certificate."""
    check_company_person(f"form.workers.{index}.person_id", worker.person_id, person,
                         categories=WORKER_CATEGORIES, needs="an installation worker (安装拆卸工)", today=today,
                         company_org_id=installer_org_id)


Decision = Literal["accept", "not_accept", "return", "approve", "refuse"]
