"""Hebei project filings: rules only, no I/O (HEB-04 安全监督备案, HEB-05 综合评定, HEB-08 文明工地申报).

The safety-supervision filing is HN-01's online filing with Hebei's extras (same application
block ``anjian_shared.applications``, same ``filings`` collection, kind ``supervision_filing``):
the owner (建设单位) files the project with its division (GB/T 2260), parties, the
civilized-site standard it commits to (文明工地标准) and attachments; the contractor's project
leader (三类人员 B) and safety officers (C1/C2/C3), entered by the contractor in personnel
(HEB-11) with valid certificates, are named in it. It goes to the station whose jurisdiction
covers the project's division; accepting it (受理) registers the project.

The comprehensive evaluation (kind ``comprehensive_evaluation``, by the owner) and the
civilized-site application (kind ``civilized_site``, by the contractor) are applications about
a filed project to the project's station: draft → submitted → accepted → approved/refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from anjian_shared import divisions
from anjian_shared.company_people import check_company_person
from anjian_shared.errors import Conflict, Forbidden, Unprocessable
from anjian_shared.principal import Principal

SUPERVISION_FILING = "supervision_filing"
EVALUATION = "comprehensive_evaluation"
CIVILIZED_SITE = "civilized_site"
PROJECT_KINDS: tuple[str, ...] = (EVALUATION, CIVILIZED_SITE)
KIND_LABELS = {SUPERVISION_FILING: "安全监督备案", EVALUATION: "综合评定", CIVILIZED_SITE: "文明工地申报"}

CIVILIZED_SITE_STANDARDS: dict[str, str] = {"none": "不申报", "municipal": "市级", "provincial": "省级"}
"""HEB-04/08 文明工地标准 the owner commits to at filing, lowest first (a small fixed enum: the
manual knows these levels only; a province wanting others changes this list)."""
CIVILIZED_SITE_RANK = {level: rank for rank, level in enumerate(CIVILIZED_SITE_STANDARDS)}

LEADER_CATEGORIES = frozenset({"B"})
"""三类人员 B: 项目负责人 (the contractor's project leader)."""
SAFETY_OFFICER_CATEGORIES = frozenset({"C1", "C2", "C3"})
"""三类人员 C: 专职安全生产管理人员."""
LEADER_FIELD = "parties.contractor.project_leader_person_id"
OFFICERS_FIELD = "parties.contractor.safety_officer_person_ids"


def check_contractor_person(field: str, person_id: str, person: Mapping[str, Any] | None, contractor_org_id: str,
                            categories: frozenset[str], today: date) -> None:
    """HEB-04/11: one person the filing names for the contractor, against personnel's snapshot
    (``personnel.company_person.saved.v1``), each refusal naming ``field``:

    - unknown here → ``NotYetAvailable`` (409 + Retry-After, ``person-not-yet-known``: entered
      just now, or does not exist — retryable, never a permanent refusal);
    - of another company → 422 ``person-not-of-contractor``;
    - removed → 422 ``person-removed``;
    - of another category (B for the leader, C1/C2/C3 for a safety officer) → 422
      ``certificate-category-mismatch``;
    - certificate expired before ``today`` → 422 ``certificate-expired``."""
    check_company_person(field, person_id, person, categories=categories, needs="the safety-supervision filing",
                         today=today, company_org_id=contractor_org_id, of_contractor=True)


def named_people(form: Mapping[str, Any]) -> list[tuple[str, str, frozenset[str]]]:
    """HEB-04: (field, person id, allowed categories) of everybody the filing names for the
    contractor: the project leader (B) and 1..10 safety officers (C). 422 naming the field when
    the leader or every safety officer is missing."""
    contractor = form["parties"]["contractor"]
    leader = (contractor.get("project_leader_person_id") or "").strip()
    officers = [o.strip() for o in contractor.get("safety_officer_person_ids") or [] if o.strip()]
    if not leader:
        raise Unprocessable("the contractor's project leader (项目负责人, 三类人员 B) is required", field=LEADER_FIELD)
    if not officers:
        raise Unprocessable("at least one safety officer (专职安全员, 三类人员 C) of the contractor is required",
                            field=OFFICERS_FIELD)
    return [(LEADER_FIELD, leader, LEADER_CATEGORIES),
            *((f"{OFFICERS_FIELD}.{i}", o, SAFETY_OFFICER_CATEGORIES) for i, o in enumerate(officers))]


def check_division(code: str) -> None:
    """HEB-04: the project's division is a current GB/T 2260 code (422 ``unknown-division``
    naming ``division_code``); the station of its jurisdiction is found at submission."""
    divisions.require(code, field="division_code")


def check_standard(standard: str) -> None:
    """HEB-04: the civilized-site standard is one of ``CIVILIZED_SITE_STANDARDS`` (422 naming it)."""
    if standard not in CIVILIZED_SITE_STANDARDS:
        raise Unprocessable(f"civilized_site_standard: one of {', '.join(CIVILIZED_SITE_STANDARDS)}",
                            field="civilized_site_standard")


def ensure_filed(project: Mapping[str, Any]) -> None:
    """HEB-05/08: the project came from an accepted safety-supervision filing (422
    ``project-not-filed`` naming ``project_id``); a completed project takes no application
    (409 ``project-completed``)."""
    if not project.get("filing_id") or not project.get("civilized_site_standard"):
        raise Unprocessable("the project has no accepted safety-supervision filing (安全监督备案)",
                            field="project_id", slug="project-not-filed")
    if project.get("status") == "completed":
        raise Conflict("the project is completed (已竣工)", field="project_id", slug="project-completed")


def ensure_owner_of(principal: Principal, project: Mapping[str, Any]) -> None:
    """HEB-05: only the project's owner applies for its comprehensive evaluation (403
    ``not-project-owner``); an evaluation already approved is not applied for again (409
    ``already-evaluated``)."""
    if principal.org_id != project.get("owner_org_id"):
        raise Forbidden("only the project's owner (建设单位) applies for its comprehensive evaluation (综合评定)",
                        slug="not-project-owner")
    if project.get("evaluation_application_id"):
        raise Conflict("the project's comprehensive evaluation is already approved", field="project_id",
                       slug="already-evaluated")


def ensure_contractor_of(principal: Principal, project: Mapping[str, Any]) -> None:
    """HEB-08: only the project's contractor applies for a civilized site (403
    ``not-project-contractor``)."""
    if principal.org_id != project.get("contractor_org_id"):
        raise Forbidden("only the project's contractor (施工单位) applies for a civilized site (文明工地)",
                        slug="not-project-contractor")


def check_level(level: str, chosen: str | None) -> None:
    """HEB-08: the level applied for (municipal | provincial, 422 naming ``level`` otherwise)
    is within the standard chosen at filing: 422 ``civilized-site-not-chosen`` when the filing
    chose none (不申报), 422 ``civilized-level-above-standard`` when it is higher than chosen."""
    if level not in CIVILIZED_SITE_STANDARDS or level == "none":
        raise Unprocessable("level: municipal (市级) or provincial (省级)", field="level")
    if not chosen or chosen == "none":
        raise Unprocessable("the filing chose no civilized-site standard (不申报): no civilized-site application",
                            field="level", slug="civilized-site-not-chosen")
    if CIVILIZED_SITE_RANK[level] > CIVILIZED_SITE_RANK.get(chosen, 0):
        raise Unprocessable(f"the filing chose the {CIVILIZED_SITE_STANDARDS[chosen]} standard: an application "
                            f"for {CIVILIZED_SITE_STANDARDS[level]} is above it (须按备案时确定的标准申报)",
                            field="level", slug="civilized-level-above-standard")
