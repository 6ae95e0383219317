"""Hunan supervision agencies (监督机构) keep their own records (HUN-02..HUN-08): rules only.

Who may do what, the steps of the information-completion flow (监督机构信息完善流程), the
staffing structure (人员结构情况) computed from staff records, and what an annual record
needs before it can be exported. No I/O: the service layer loads documents and calls these.

Vocabulary (the codes the API uses, with the terms of the Hunan manual):

- agency ``kind``: ``combined`` 质量安全监督合署机构, ``quality`` 独立质量监督机构,
  ``safety`` 独立安全监督机构.
- staff ``post``: ``leader`` 机构负责人, ``technical_leader`` 技术负责人, ``supervisor``
  监督人员, ``administrative`` 行政人员, ``other`` 其他.
- ``education``: ``doctorate`` 博士研究生, ``master`` 硕士研究生, ``bachelor`` 大学本科,
  ``college`` 大专, ``secondary_or_below`` 中专及以下.
- ``title`` (职称): ``senior`` 正高级, ``vice_senior`` 副高级, ``intermediate`` 中级,
  ``junior`` 初级, ``none`` 无.
- age bands (as of 31 December of the year counted): ``35_or_under`` 35岁及以下, ``36_45``,
  ``46_55``, ``56_or_over``.
- certificate holding (监督人员资格证书): ``none`` 无证, ``one`` 持一证 (quality or safety),
  ``two`` 持两证.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from anjian_shared import divisions, permissions
from anjian_shared.errors import Forbidden, NotFound, Unprocessable
from anjian_shared.principal import Principal, Role

AGENCY_KINDS = ("combined", "quality", "safety")
POSTS = ("leader", "technical_leader", "supervisor", "administrative", "other")
EDUCATION = ("doctorate", "master", "bachelor", "college", "secondary_or_below")
TITLES = ("senior", "vice_senior", "intermediate", "junior", "none")
AGE_BANDS = ("35_or_under", "36_45", "46_55", "56_or_over")
CERTIFICATE_HOLDING = ("none", "one", "two")
CERTIFICATE_KINDS = ("quality", "safety")

STEPS = ("basic_info", "staffing", "supervised_projects", "funding", "qualification")
"""The completion flow, in order (HUN-02): 基本信息 → 人员结构 → 监督工程 → 监督经费 → 资格验证."""

BASIC_REQUIRED = ("name", "credit_code", "kind", "approved_headcount", "address", "leader_name",
                  "leader_mobile")
"""Fields of the basic-information form marked * (required) in the manual's form."""

QUALIFICATION_STATES = ("not_filed", "pending", "verified", "rejected", "expired")


def may_manage(actor: Principal, agency_org_id: str, permission: str = "agencies.write") -> None:
    """The agency's own staff holding ``permission`` (``anjian_shared.permissions``; the agency's
    leader, ``station_leader``, bundles ``agencies.write``, ``certificates.apply``,
    ``training.register``, ``assessments.write``; a grant may give it to another of its staff)
    write its records: 403 ``not-agency-leader`` for anyone outside the agency (whether they may
    even read it is decided by ``may_read`` first: 404), 403 ``permission-missing`` for the
    agency's own staff without the permission (HUN-02, HUN-05, HUN-21)."""
    if actor.org_id != agency_org_id or actor.org_kind != "agency":
        raise Forbidden("only the agency's own leader (机构负责人) changes its records", slug="not-agency-leader")
    permissions.check(actor, permission)


def may_read(actor: Principal, agency: Mapping[str, Any], actor_org: Mapping[str, Any] | None) -> bool:
    """Who sees an agency (HUN-02): the agency itself; the province administrator of the
    tenant; an authority or agency at province or city level whose division encloses the
    agency's (a city sees its counties' agencies, never a sibling city's); never a company.

    ``agency`` is the organisation read-model document (``org_id``, ``division_code``);
    ``actor_org`` the actor's own organisation document (None when unknown yet)."""
    if agency.get("org_id") == actor.org_id:
        return True
    if actor.has(Role.PROVINCE_ADMIN, Role.PLATFORM_ADMIN):
        return True
    if actor.org_kind not in ("authority", "agency") or actor_org is None:
        return False
    own = actor_org.get("division_code")
    target = agency.get("division_code")
    if not own or not target or own == target and actor.org_kind == "agency":
        return False
    level = divisions.get(own)
    if level is None or level.level == "county":
        return False
    return divisions.within(target, own)


def visible_filter(actor: Principal, actor_org: Mapping[str, Any] | None) -> dict[str, Any]:
    """The organisation-directory filter of the agencies ``actor`` sees — the same rule as
    ``may_read`` as a query (GB/T 2260 codes nest by prefix: a city ``4301xx``, a province
    ``43xxxx``), so lists page in the database."""
    agencies: dict[str, Any] = {"kind": "agency"}
    if actor.has(Role.PROVINCE_ADMIN, Role.PLATFORM_ADMIN):
        return agencies
    own_code = (actor_org or {}).get("division_code")
    division = divisions.get(own_code) if own_code else None
    if actor.org_kind not in ("authority", "agency") or division is None or division.level == "county":
        return {**agencies, "org_id": actor.org_id}
    prefix = own_code[:2] if division.level == "province" else own_code[:4]
    inside: dict[str, Any] = {"division_code": {"$regex": f"^{prefix}"}}
    if actor.org_kind == "agency":  # a peer agency of the same division is not its business
        inside = {"division_code": {"$regex": f"^{prefix}", "$ne": own_code}}
    return {**agencies, "$or": [{"org_id": actor.org_id}, inside]}


def is_province_office(actor: Principal, actor_org: Mapping[str, Any] | None) -> bool:
    """The province office (省级): the province administrator, or an authority whose division
    is a province. It decides qualification verifications (HUN-08)."""
    if actor.has(Role.PROVINCE_ADMIN, Role.PLATFORM_ADMIN):
        return True
    if actor.org_kind != "authority" or actor_org is None or not actor_org.get("division_code"):
        return False
    division = divisions.get(actor_org["division_code"])
    return division is not None and division.level == "province"


def require_agency(org: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The organisation if it is an agency, else 404 ``agency-not-found``."""
    if org is None or org.get("kind") != "agency":
        raise NotFound("no such supervision agency", slug="agency-not-found")
    return org


def check_year(year: int, today: date, *, field: str = "year") -> int:
    """A statistical year: from 2000 to the current year (China time); 422 naming ``field``."""
    if year < 2000 or year > today.year:
        raise Unprocessable(f"the year must be between 2000 and {today.year}", field=field, slug="year-out-of-range")
    return year


def check_staff(data: Mapping[str, Any], today: date) -> None:
    """A staff record's codes and dates (HUN-05): 422 naming the wrong field."""
    for field, allowed in (("post", POSTS), ("education", EDUCATION), ("title", TITLES)):
        if field in data and data[field] not in allowed:
            raise Unprocessable(f"{field} must be one of {', '.join(allowed)}", field=field)
    birth = data.get("birth_date")
    if birth is not None and not (date(1940, 1, 1) <= birth <= date(today.year - 16, today.month, min(today.day, 28))):
        raise Unprocessable("the birth date is not that of a working adult", field="birth_date",
                            slug="birth-date-implausible")
    hired = data.get("hired_on")
    if hired is not None and hired > today:
        raise Unprocessable("the hiring date is in the future", field="hired_on", slug="date-in-future")


def age_band(birth: date, year: int) -> str:
    """The age band of someone born on ``birth``, as of 31 December of ``year``."""
    age = year - birth.year  # on 31 December the birthday of the year has passed
    if age <= 35:
        return "35_or_under"
    if age <= 45:
        return "36_45"
    if age <= 55:
        return "46_55"
    return "56_or_over"


def held_kinds(certificates: Iterable[str | Mapping[str, Any]]) -> list[str]:
    """The supervision certificate kinds held (quality, safety; sorted, once each): each entry a
    kind or a certificate dict (HUN-09, ``kind`` and ``status``; a cancelled one is not held)."""
    held = (c if isinstance(c, str) else c.get("kind") if c.get("status", "valid") == "valid" else None
            for c in certificates)
    return sorted({k for k in held if isinstance(k, str) and k in CERTIFICATE_KINDS})


def holding(certificates: Iterable[str | Mapping[str, Any]]) -> str:
    """``none`` / ``one`` / ``two`` supervision certificates held (``held_kinds``)."""
    return CERTIFICATE_HOLDING[min(len(held_kinds(certificates)), 2)]


def staffing_structure(staff: Iterable[Mapping[str, Any]], year: int) -> dict[str, Any]:
    """The staffing structure (HUN-04) of the staff records given (each with ``post``,
    ``education``, ``title``, ``birth_date`` as ``date`` or ISO text, ``certificates``):
    ``{"year", "total", "by_post", "by_education", "by_title", "by_age_band",
    "by_certificate_holding"}``; every code of each dimension is present (0 when none)."""
    out: dict[str, Any] = {
        "year": year, "total": 0,
        "by_post": dict.fromkeys(POSTS, 0), "by_education": dict.fromkeys(EDUCATION, 0),
        "by_title": dict.fromkeys(TITLES, 0), "by_age_band": dict.fromkeys(AGE_BANDS, 0),
        "by_certificate_holding": dict.fromkeys(CERTIFICATE_HOLDING, 0)}
    for person in staff:
        birth = person["birth_date"]
        if isinstance(birth, str):
            birth = date.fromisoformat(birth)
        out["total"] += 1
        out["by_post"][person["post"]] += 1
        out["by_education"][person["education"]] += 1
        out["by_title"][person["title"]] += 1
        out["by_age_band"][age_band(birth, year)] += 1
        out["by_certificate_holding"][holding(person.get("certificates", []))] += 1
    return out


def state_as_of(revisions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The staff as they stood after ``revisions`` (each ``{"staff_id", "seq", "state"}``,
    ``state`` None for a deletion), applied in ``seq`` order: the staff present, last state each."""
    current: dict[str, dict[str, Any] | None] = {}
    for rev in sorted(revisions, key=lambda r: r["seq"]):
        current[rev["staff_id"]] = dict(rev["state"]) if rev["state"] is not None else None
    return [s for s in current.values() if s is not None]


def progress(*, basic_info: bool, staff_count: int, has_projects: bool, has_funding: bool,
             qualification: str) -> dict[str, Any]:
    """Where an agency stands in the completion flow (HUN-02) for a year: each step done or
    not, the next step to do (None when all are done). Qualification counts once filed
    (pending or decided)."""
    done = {"basic_info": basic_info, "staffing": staff_count > 0, "supervised_projects": has_projects,
            "funding": has_funding, "qualification": qualification != "not_filed"}
    steps = [{"step": s, "done": done[s]} for s in STEPS]
    nxt = next((s for s in STEPS if not done[s]), None)
    return {"steps": steps, "completed": sum(done.values()), "of": len(STEPS), "next_step": nxt}


def missing_for_annual_record(steps_done: Mapping[str, bool]) -> list[str]:
    """What an annual record still lacks (HUN-03: 人员结构情况、监督工程情况、监督经费情况、
    监督资格验证情况 must be filled before the export): the step codes, in flow order."""
    return [s for s in STEPS if not steps_done.get(s)]


def qualification_status(doc: Mapping[str, Any] | None, today: date) -> str:
    """``not_filed`` / ``pending`` / ``verified`` / ``rejected`` / ``expired`` (HUN-08): a verified
    qualification whose ``valid_until`` is past reads ``expired``."""
    if doc is None:
        return "not_filed"
    status = str(doc.get("status", "pending"))
    valid_until = doc.get("valid_until")
    if status == "verified" and valid_until and date.fromisoformat(valid_until) < today:
        return "expired"
    return status
