"""JGJ 59-2011 safety check evaluation (安全检查评分): table scores, the summary (汇总表) and
the grade, exactly by the ``scoring_rules`` of ``jgj59-2011-check-tables.json``. Pure: no I/O.

The check tables, their items, points, guarantee items (保证项目) and the summary weights are
data (the tenant's seeded catalog, ``tables_from_catalog``); only the standard's rules are
code:

1. an item scores its points minus its deduction, never below 0 (a deduction above the
   item's points is refused on input);
2. every guarantee item is checked (it can't be marked not applicable);
3. a table with guarantee items scores 0 when a guarantee item scores 0, or when its guarantee
   items together score under ``GUARANTEE_MINIMUM`` (40 of 60);
4. items that don't apply (缺项): ``A2 = D / E × 100`` (D = points earned on the checked items,
   E = points possible on them);
5. a summary group contributes ``A1 = B × C / 100`` (B = its weight, C = its score); tables
   sharing a summary group (scaffolds A.0.3–A.0.10, hoists A.0.15–A.0.16, cranes
   A.0.17–A.0.18) give C as the arithmetic mean of those that were checked;
6. groups that don't apply rescale the summary the same way: ``total = ΣA1 / ΣB × 100``;
7. grade 优良 when no table scores 0 and total ≥ 80; 合格 when no table scores 0 and
   70 ≤ total < 80; 不合格 when total < 70 or any table scores 0 (a rectification deadline
   is then required).

Arithmetic is exact (``fractions.Fraction``); grades are decided on the exact values, scores are
shown rounded half-up to 2 decimals (``shown``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from anjian_shared.errors import Unprocessable

GUARANTEE_KIND = "保证项目"
GENERAL_KIND = "一般项目"
GUARANTEE_MINIMUM = 40
"""Rule 3: guarantee items scoring together under this many points make the table 0."""
GOOD_FROM = 80
PASS_FROM = 70
HUNDRED = 100


class Grade(StrEnum):
    """The evaluation's grade (评定等级)."""

    GOOD = "good"
    PASS = "pass"
    FAIL = "fail"


GRADE_LABELS = {Grade.GOOD: "优良", Grade.PASS: "合格", Grade.FAIL: "不合格"}


class ZeroReason(StrEnum):
    """Why a table scored 0 by the guarantee-item rule (rule 3)."""

    GUARANTEE_ITEM_ZERO = "guarantee_item_zero"
    GUARANTEE_UNDER_MINIMUM = "guarantee_under_minimum"


# ---------------------------------------------------------------- the catalog's tables


@dataclass(frozen=True)
class ItemDef:
    """One item of a check table: ``no`` 1-based, ``points`` its full score (分值)."""

    no: int
    code: str
    name: str
    kind: str
    points: int

    @property
    def guarantee(self) -> bool:
        return self.kind == GUARANTEE_KIND


@dataclass(frozen=True)
class TableDef:
    """One check table (检查评分表) with its summary group and that group's weight (B)."""

    code: str
    name: str
    summary_group: str
    weight: int
    verified: bool
    items: tuple[ItemDef, ...]

    def item(self, no: int) -> ItemDef | None:
        return self.items[no - 1] if 1 <= no <= len(self.items) else None

    @property
    def has_guarantee_items(self) -> bool:
        return any(i.guarantee for i in self.items)


def tables_from_catalog(tables: Iterable[Mapping[str, Any]]) -> dict[str, TableDef]:
    """The check tables as ``catalog.group_tables`` gives them (items with ``code, name, kind,
    points``; ``summary_group, summary_weight, verified`` on the table), by table code in table
    order. ``ValueError`` when a table has no summary group or weight (catalog not seeded)."""
    out: dict[str, TableDef] = {}
    for t in tables:
        if not t.get("summary_group") or t.get("summary_weight") is None:
            raise ValueError(f"check table {t['code']} has no summary group/weight in the catalog")
        out[t["code"]] = TableDef(
            code=t["code"], name=t["name"], summary_group=t["summary_group"], weight=int(t["summary_weight"]),
            verified=bool(t.get("verified", True)),
            items=tuple(ItemDef(no=n, code=i["code"], name=i["name"], kind=i["kind"], points=int(i["points"]))
                        for n, i in enumerate(t["items"], start=1)))
    return out


# ---------------------------------------------------------------- what the supervisor enters


@dataclass(frozen=True)
class ItemEntry:
    """The supervisor's entry for one item: its deduction (扣减分数) and the finding that
    justifies it, or ``applicable=False`` (缺项). Items not entered score their full points."""

    no: int
    deduction: Decimal = Decimal(0)
    applicable: bool = True
    finding: str = ""


@dataclass(frozen=True)
class TableEntry:
    """A table the supervisor chose; ``applicable=False`` marks the whole table 缺项 (shown on
    the summary, scored like a table not chosen)."""

    code: str
    applicable: bool = True
    items: tuple[ItemEntry, ...] = ()


def entries_from_docs(docs: Iterable[Mapping[str, Any]]) -> list[TableEntry]:
    """``TableEntry``s from stored/request dicts ``{code, applicable, items: [{no, deduction,
    applicable, finding}]}``."""
    return [TableEntry(code=t["code"], applicable=bool(t.get("applicable", True)),
                       items=tuple(ItemEntry(no=int(i["no"]), deduction=Decimal(str(i.get("deduction") or 0)),
                                             applicable=bool(i.get("applicable", True)),
                                             finding=str(i.get("finding") or ""))
                                   for i in t.get("items", ())))
            for t in docs]


def validate_entries(entries: Sequence[TableEntry], tables: Mapping[str, TableDef]) -> None:
    """The entries make sense against the catalog; ``Unprocessable`` naming the field
    (``tables[i].code``, ``tables[i].items[j].no|deduction|applicable|finding``,
    ``tables[i].items``) otherwise:

    - each table code is a check table of the catalog, chosen once; each item number is an
      item of that table, entered once;
    - 0 ≤ deduction ≤ the item's points (rule 1), at most 2 decimals;
    - a guarantee item is never marked not applicable (rule 2);
    - an item not applicable carries no deduction; a deduction carries its finding;
    - an applicable table keeps at least one applicable item.
    """
    seen: set[str] = set()
    for ti, entry in enumerate(entries):
        at = f"tables[{ti}]"
        table = tables.get(entry.code)
        if table is None:
            raise Unprocessable(f"{entry.code} is not a JGJ 59-2011 check table of the catalog",
                                field=f"{at}.code", slug="unknown-check-table")
        if entry.code in seen:
            raise Unprocessable(f"check table {entry.code} is entered twice", field=f"{at}.code")
        seen.add(entry.code)
        numbers: set[int] = set()
        for ii, item in enumerate(entry.items):
            iat = f"{at}.items[{ii}]"
            definition = table.item(item.no)
            if definition is None:
                raise Unprocessable(f"check table {entry.code} has no item {item.no}", field=f"{iat}.no")
            if item.no in numbers:
                raise Unprocessable(f"item {item.no} of {entry.code} is entered twice", field=f"{iat}.no")
            numbers.add(item.no)
            d = item.deduction
            if not d.is_finite() or d < 0:
                raise Unprocessable("a deduction is a number of points ≥ 0", field=f"{iat}.deduction")
            if d > definition.points:
                raise Unprocessable(f"{definition.name} has {definition.points} points: the deduction can't exceed "
                                    "them", field=f"{iat}.deduction", slug="deduction-above-points")
            if d != d.quantize(Decimal("0.01")):
                raise Unprocessable("a deduction has at most 2 decimals", field=f"{iat}.deduction")
            if not item.applicable:
                if definition.guarantee:
                    raise Unprocessable(f"{definition.name} is a guarantee item (保证项目): it must be checked",
                                        field=f"{iat}.applicable", slug="guarantee-item-required")
                if d:
                    raise Unprocessable("an item that does not apply has no deduction", field=f"{iat}.deduction")
            if d and not item.finding.strip():
                raise Unprocessable("a deduction needs the finding that justifies it", field=f"{iat}.finding")
        if entry.applicable:
            na = {i.no for i in entry.items if not i.applicable}
            if all(i.no in na for i in table.items):
                raise Unprocessable(f"no item of {entry.code} applies: mark the table not applicable instead",
                                    field=f"{at}.items")


# ---------------------------------------------------------------- scores


@dataclass(frozen=True)
class ItemScore:
    definition: ItemDef
    applicable: bool
    deduction: Fraction
    score: Fraction | None
    """points − deduction, floored at 0; None when the item does not apply."""
    finding: str = ""


@dataclass(frozen=True)
class TableScore:
    definition: TableDef
    applicable: bool
    items: tuple[ItemScore, ...] = ()
    earned: Fraction = Fraction(0)
    """D: points earned on the checked items."""
    possible: Fraction = Fraction(0)
    """E: points possible on the checked items."""
    guarantee_total: Fraction | None = None
    """Points of the guarantee items together (tables with guarantee items)."""
    zero_reason: ZeroReason | None = None
    score: Fraction | None = None
    """The table score (0..100) after rules 3 and 4; None when the table does not apply."""


@dataclass(frozen=True)
class GroupScore:
    """One row of the summary (汇总表): a summary group with its weight B, the checked tables,
    their (mean) score C and the contribution A1 = B × C / 100."""

    name: str
    weight: int
    table_codes: tuple[str, ...]
    score: Fraction | None
    weighted: Fraction | None

    @property
    def applicable(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class Summary:
    """The whole evaluation: every chosen table's score, the summary rows in catalog order,
    ``weighted_sum`` ΣA1, ``weight_checked`` ΣB of the groups checked, ``total`` (0..100,
    rescaled when groups don't apply), the tables that scored 0 and the grade."""

    tables: tuple[TableScore, ...]
    groups: tuple[GroupScore, ...]
    weighted_sum: Fraction
    weight_checked: int
    total: Fraction
    zero_tables: tuple[str, ...]
    grade: Grade
    warnings: tuple[str, ...] = field(default=())

    @property
    def grade_label(self) -> str:
        return GRADE_LABELS[self.grade]


def score_table(table: TableDef, entry: TableEntry | None) -> TableScore:
    """Rules 1–4 for one table; ``entry`` None or not applicable → a table that does not apply."""
    if entry is None or not entry.applicable:
        return TableScore(definition=table, applicable=False)
    given = {i.no: i for i in entry.items}
    items: list[ItemScore] = []
    for d in table.items:
        e = given.get(d.no)
        if e is not None and not e.applicable and not d.guarantee:
            items.append(ItemScore(definition=d, applicable=False, deduction=Fraction(0), score=None))
            continue
        deduction = Fraction(e.deduction) if e else Fraction(0)
        items.append(ItemScore(definition=d, applicable=True, deduction=deduction,
                               score=max(Fraction(0), d.points - deduction), finding=e.finding if e else ""))
    checked = [i for i in items if i.applicable]
    earned = sum((i.score for i in checked if i.score is not None), Fraction(0))
    possible = Fraction(sum(i.definition.points for i in checked))
    guarantee_total: Fraction | None = None
    zero_reason: ZeroReason | None = None
    if table.has_guarantee_items:
        guarantee = [i for i in items if i.definition.guarantee]
        guarantee_total = sum((i.score or Fraction(0) for i in guarantee), Fraction(0))
        if any(i.score == 0 for i in guarantee):
            zero_reason = ZeroReason.GUARANTEE_ITEM_ZERO
        elif guarantee_total < GUARANTEE_MINIMUM:
            zero_reason = ZeroReason.GUARANTEE_UNDER_MINIMUM
    if zero_reason is not None:
        score = Fraction(0)
    else:
        score = earned / possible * HUNDRED if possible else Fraction(0)
    return TableScore(definition=table, applicable=True, items=tuple(items), earned=earned, possible=possible,
                      guarantee_total=guarantee_total, zero_reason=zero_reason, score=score)


def grade_of(total: Fraction, any_zero: bool) -> Grade:
    """Rule 7."""
    if any_zero or total < PASS_FROM:
        return Grade.FAIL
    return Grade.GOOD if total >= GOOD_FROM else Grade.PASS


def evaluate(tables: Mapping[str, TableDef], entries: Sequence[TableEntry]) -> Summary:
    """Score an evaluation (rules 1–7). ``tables``: the catalog's check tables (their order is
    the summary's order); ``entries``: the supervisor's, validated here first
    (``validate_entries``). Tables not entered don't apply. ``Unprocessable`` ``tables`` when no
    table applies (nothing to grade)."""
    validate_entries(entries, tables)
    by_code = {e.code: e for e in entries}
    scores = [score_table(t, by_code.get(code)) for code, t in tables.items()]
    chosen = tuple(s for s in scores if s.definition.code in by_code)
    groups: dict[str, list[TableScore]] = {}
    weights: dict[str, int] = {}
    for s in scores:
        groups.setdefault(s.definition.summary_group, []).append(s)
        weights.setdefault(s.definition.summary_group, s.definition.weight)
    rows: list[GroupScore] = []
    warnings: list[str] = []
    for name, members in groups.items():
        if len({m.definition.weight for m in members}) > 1:
            warnings.append(f"tables of {name} carry different weights; the first one is used")
        checked = [m for m in members if m.applicable]
        if not checked:
            rows.append(GroupScore(name=name, weight=weights[name], table_codes=(), score=None, weighted=None))
            continue
        mean = sum((m.score for m in checked if m.score is not None), Fraction(0)) / len(checked)
        rows.append(GroupScore(name=name, weight=weights[name], table_codes=tuple(m.definition.code for m in checked),
                               score=mean, weighted=Fraction(weights[name]) * mean / HUNDRED))
    applied = [r for r in rows if r.applicable]
    if not applied:
        raise Unprocessable("choose at least one check table that applies", field="tables",
                            slug="no-check-table")
    weighted_sum = sum((r.weighted for r in applied if r.weighted is not None), Fraction(0))
    weight_checked = sum(r.weight for r in applied)
    total = weighted_sum / weight_checked * HUNDRED if weight_checked else Fraction(0)
    zero = tuple(s.definition.code for s in chosen if s.applicable and s.score == 0)
    return Summary(tables=chosen, groups=tuple(rows), weighted_sum=weighted_sum, weight_checked=weight_checked,
                   total=total, zero_tables=zero, grade=grade_of(total, bool(zero)), warnings=tuple(warnings))


def shown(value: Fraction | None) -> float | None:
    """A score as shown and stored: rounded half-up to 2 decimals (None stays None)."""
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def summary_doc(summary: Summary) -> dict[str, Any]:
    """The stored/returned form of a ``Summary`` (scores shown to 2 decimals):
    ``{total, weighted_sum, weight_checked, grade, grade_label, zero_tables, tables: [{code,
    name, summary_group, verified, applicable, score, earned, possible, guarantee_total,
    zero_reason, items: [{no, code, name, kind, points, applicable, deduction, score,
    finding}]}], groups: [{name, weight, table_codes, score, weighted, applicable}]}``."""
    return {
        "total": shown(summary.total), "weighted_sum": shown(summary.weighted_sum),
        "weight_checked": summary.weight_checked, "grade": summary.grade.value, "grade_label": summary.grade_label,
        "zero_tables": list(summary.zero_tables),
        "tables": [{
            "code": t.definition.code, "name": t.definition.name, "summary_group": t.definition.summary_group,
            "verified": t.definition.verified, "applicable": t.applicable, "score": shown(t.score),
            "earned": shown(t.earned) if t.applicable else None,
            "possible": shown(t.possible) if t.applicable else None,
            "guarantee_total": shown(t.guarantee_total),
            "zero_reason": t.zero_reason.value if t.zero_reason else None,
            "items": [{"no": i.definition.no, "code": i.definition.code, "name": i.definition.name,
                       "kind": i.definition.kind, "points": i.definition.points, "applicable": i.applicable,
                       "deduction": shown(i.deduction) if i.applicable else None, "score": shown(i.score),
                       "finding": i.finding} for i in t.items],
        } for t in summary.tables],
        "groups": [{"name": g.name, "weight": g.weight, "table_codes": list(g.table_codes), "score": shown(g.score),
                    "weighted": shown(g.weighted), "applicable": g.applicable} for g in summary.groups],
    }
