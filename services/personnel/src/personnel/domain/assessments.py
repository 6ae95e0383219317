"""Hunan assessments and scoring (HUN-16..HUN-18): rules only, no I/O.

- Supervision-group assessment (监督组考核, HUN-16): an agency assesses groups of its own staff
  project by project; each project scores 100 minus the points of the deduction items ticked
  (扣分), never below 0; the assessment's score is the mean of its projects' scores.
- Hierarchical assessment (层级考核, HUN-17): the province assesses the agencies of its cities
  and counties, a city those of its counties — the same sheet, the assessed being an agency.
- Dynamic scoring (动态考核记分, HUN-18): points recorded against a staff member for reasons
  from the province's reasons catalog; the agency leader approves; a person's approved points
  of a year add up, and a total at or over the province's threshold flags the person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from anjian_shared import divisions
from anjian_shared.errors import Conflict, Forbidden, Unprocessable
from anjian_shared.principal import Principal, Role

FULL_MARKS = 100
CATALOG_KINDS = ("deduction", "scoring_reason")


def project_score(deductions: Iterable[Mapping[str, Any]]) -> int:
    """100 minus the points of the deductions (each ``{"points", "count"?}``), never below 0."""
    lost = sum(int(d["points"]) * int(d.get("count", 1)) for d in deductions)
    return max(FULL_MARKS - lost, 0)


def assessment_score(project_scores: list[int]) -> Decimal:
    """The mean of the projects' scores, to two decimals (half up); 422 without projects."""
    if not project_scores:
        raise Unprocessable("an assessment needs at least one assessed project", field="projects",
                            slug="assessment-without-projects")
    mean = Decimal(sum(project_scores)) / Decimal(len(project_scores))
    return mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def priced(ticked: Iterable[Mapping[str, Any]], catalog: Mapping[str, Mapping[str, Any]], *,
           kind: str, field: str) -> list[dict[str, Any]]:
    """The ticked items (``{"code", "count"?}``) with the catalog's text and points as of now
    (kept with the assessment, so a later catalog change does not rewrite it). 422 naming
    ``field`` for an unknown or retired code, or an item ticked twice."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(ticked):
        entry = catalog.get(item["code"])
        if entry is None or entry.get("kind") != kind or entry.get("retired"):
            raise Unprocessable(f"{item['code']!r} is not an item of the province's {kind} catalog",
                                field=f"{field}.{i}.code", slug="catalog-item-unknown")
        if item["code"] in seen:
            raise Unprocessable(f"{item['code']!r} is ticked twice", field=f"{field}.{i}.code",
                                slug="catalog-item-repeated")
        seen.add(item["code"])
        out.append({"code": item["code"], "text": entry["text"], "points": int(entry["points"]),
                    "count": int(item.get("count", 1))})
    return out


def check_editable(assessment: Mapping[str, Any]) -> None:
    """A submitted assessment never changes (409 ``assessment-submitted``)."""
    if assessment.get("status") == "submitted":
        raise Conflict("the assessment is submitted and never changes", field="status", slug="assessment-submitted")


def check_may_assess_agency(actor: Principal, actor_division: str | None, assessed_division: str | None) -> None:
    """HUN-17: the province office assesses any agency of its province but its own level; a
    city-level authority or agency those of its counties. 403 ``not-above-assessed`` otherwise."""
    own = divisions.get(actor_division or "")
    target = divisions.get(assessed_division or "")
    allowed = (own is not None and target is not None and own.level in ("province", "city")
               and actor.org_kind in ("authority", "agency") and target.code != own.code
               and divisions.within(target.code, own.code))
    if not allowed and not (actor.has(Role.PROVINCE_ADMIN) and target is not None and target.level != "province"):
        raise Forbidden("an agency is assessed by the province or by the city above it", slug="not-above-assessed")


def total_points(entries: Iterable[Mapping[str, Any]]) -> int:
    """A person's dynamic-scoring total: the points of the approved entries given."""
    return sum(int(e["points"]) for e in entries if e.get("status") == "approved")


def flagged(total: int, threshold: int) -> bool:
    """At or over the province's threshold (tenant limit ``dynamic_score_threshold``)."""
    return total >= threshold
