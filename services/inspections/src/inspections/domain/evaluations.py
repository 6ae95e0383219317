"""Who may do what with a JGJ 59-2011 safety check evaluation (安全检查评分), and when. Pure.

An evaluation is made by a supervisor (or the leader) of the project's station as a draft,
edited by its author, and submitted once; a submitted evaluation never changes. The
station's supervisors and leaders read its evaluations; anybody else gets 404 (another
station, another tenant) or 403 (a role that never evaluates).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from anjian_shared.china_time import check_not_past
from anjian_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from anjian_shared.principal import Principal

from .plans import ensure_planner
from .scoring import Grade

RECTIFICATION_FIELD = "rectification_deadline"


class EvaluationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


STATUS_LABELS = {EvaluationStatus.DRAFT.value: "草稿", EvaluationStatus.SUBMITTED.value: "已提交"}


def ensure_evaluator(principal: Principal) -> None:
    """A supervisor or station leader of a supervision station (监督站); 403 otherwise."""
    ensure_planner(principal)


def ensure_project_of_station(project: Mapping[str, Any] | None, principal: Principal) -> Mapping[str, Any]:
    """The project is in the tenant's directory and supervised by the caller's station;
    422 ``project_id`` otherwise (an unknown project and another station's look the same)."""
    if project is None or project.get("station_org_id") != principal.org_id:
        raise Unprocessable("unknown project or not supervised by your station", field="project_id")
    return project


def ensure_can_see(doc: Mapping[str, Any], principal: Principal) -> None:
    """The station's supervisors and leaders see its evaluations; 404 for anyone else of the
    tenant (the repository already hides other tenants')."""
    ensure_evaluator(principal)
    if doc.get("station_org_id") != principal.org_id:
        raise NotFound("evaluation not found")


def ensure_can_edit(doc: Mapping[str, Any], principal: Principal) -> None:
    """Only a draft changes (409 ``evaluation-submitted``), and only by its author (403)."""
    ensure_can_see(doc, principal)
    if doc.get("status") == EvaluationStatus.SUBMITTED.value:
        raise Conflict("the evaluation is submitted; it never changes", slug="evaluation-submitted")
    if doc["evaluated_by"]["user_id"] != principal.user_id:
        raise Forbidden("only the supervisor who made the evaluation changes it")


def check_rectification(grade: Grade, deadline: date | None, *, now: datetime, tenant: str) -> date | None:
    """A 不合格 evaluation is submitted with its rectification deadline (整改期限), not in the
    past in China time (422 ``rectification_deadline``, slugs ``rectification-deadline-required``
    / ``deadline-past``). A passing one keeps a deadline only if one was given."""
    if grade is Grade.FAIL and deadline is None:
        raise Unprocessable("a 不合格 evaluation needs the date by which the site must rectify",
                            field=RECTIFICATION_FIELD, slug="rectification-deadline-required")
    if deadline is not None:
        check_not_past(deadline, now=now, backdated=False, field=RECTIFICATION_FIELD, tenant=tenant)
    return deadline


def ensure_photos_for_deductions(entries: list[dict[str, Any]], photos: list[dict[str, Any]]) -> None:
    """At submission every deduction has at least one photo justifying it (422
    ``tables[i].items[j].photos``, slug ``deduction-photo-required``)."""
    have = {(p["table_code"], int(p["item_no"])) for p in photos}
    for ti, table in enumerate(entries):
        if not table.get("applicable", True):
            continue
        for ii, item in enumerate(table.get("items", [])):
            if float(item.get("deduction") or 0) > 0 and (table["code"], int(item["no"])) not in have:
                raise Unprocessable(f"the deduction on {table['code']} item {item['no']} has no photo",
                                    field=f"tables[{ti}].items[{ii}].photos", slug="deduction-photo-required")
