"""JGJ59 scoring (issue 15, regulations.md "Site safety scoring — JGJ 59-2011"): the arithmetic of
the standard reproduced by hand. Every expected number below is written from the formulas
of ``scoring_rules`` (A2 = D/E×100, A1 = B×C/100, the guarantee rule, the means of the scaffold,
hoist and crane tables), NOT computed with the code under test.

Reference data used by hand (jgj59-2011-check-tables.json):
- A.0.1 安全管理, weight 10: items 1..6 保证项目 10 points each, 7..10 一般项目 10 points each;
- A.0.2 文明施工, weight 15: the same split;
- A.0.3 扣件式钢管脚手架 and A.0.8 悬挑式脚手架: group 脚手架, weight 10 (averaged);
- A.0.11 基坑工程, weight 10; A.0.13 高处作业, weight 10, no guarantee items;
- weights of the summary: 10+15+10+10+10+10+10+10+10+5 = 100.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from anjian_shared.errors import Unprocessable
from inspections.adapters.seed import seed_catalog
from inspections.domain.catalog import group_tables
from inspections.domain.scoring import (
    Grade,
    ItemEntry,
    TableEntry,
    evaluate,
    shown,
    tables_from_catalog,
)


@pytest.fixture(scope="module")
def tables():
    return tables_from_catalog(group_tables(seed_catalog()))


def full(code: str) -> TableEntry:
    return TableEntry(code=code)


def deduct(code: str, *pairs: tuple[int, str], applicable_off: tuple[int, ...] = ()) -> TableEntry:
    items = [ItemEntry(no=no, deduction=Decimal(d), finding="现场发现问题") for no, d in pairs]
    items += [ItemEntry(no=no, applicable=False) for no in applicable_off]
    return TableEntry(code=code, items=tuple(items))


ALL_CODES = [f"A.0.{n}" for n in range(1, 20)]


def test_jgj59_weights_come_from_the_catalog(tables) -> None:
    """JGJ59: weights and points are the seeded catalog's (summary_table_weights of the file)."""
    assert tables["A.0.1"].weight == 10 and tables["A.0.2"].weight == 15 and tables["A.0.19"].weight == 5
    assert {tables[c].summary_group for c in ("A.0.3", "A.0.10")} == {"脚手架"}
    assert not tables["A.0.14"].verified and not tables["A.0.19"].verified


def test_jgj59_perfect_site_scores_100_and_is_good(tables) -> None:
    """JGJ59 perfect site: every table checked, no deduction: each table 100, each group
    A1 = B; ΣA1 = 100 of ΣB = 100 → 100, 优良."""
    s = evaluate(tables, [full(c) for c in ALL_CODES])
    assert all(t.score == 100 for t in s.tables)
    assert s.weighted_sum == 100 and s.weight_checked == 100
    assert s.total == 100 and s.grade is Grade.GOOD and s.zero_tables == ()


def test_jgj59_one_guarantee_item_at_zero_makes_the_table_0_and_the_grade_fail(tables) -> None:
    """JGJ59 guarantee rule: A.0.1 item 1 (保证项目, 10 points) deducted 10 → item 0 → A.0.1 = 0
    although D = 90. Every other table 100. Summary (all tables): ΣA1 = 100 − 10 = 90 →
    total 90 ≥ 80, yet 不合格 because a table scores 0."""
    entries = [full(c) for c in ALL_CODES if c != "A.0.1"] + [deduct("A.0.1", (1, "10"))]
    s = evaluate(tables, entries)
    table = next(t for t in s.tables if t.definition.code == "A.0.1")
    assert table.earned == 90 and table.score == 0 and table.zero_reason.value == "guarantee_item_zero"
    assert s.total == 90
    assert s.zero_tables == ("A.0.1",) and s.grade is Grade.FAIL


def test_jgj59_guarantee_items_under_40_make_the_table_0(tables) -> None:
    """JGJ59 guarantee rule: A.0.2 guarantee items 1..6 each deducted 4 → 6 each, together 36 < 40
    (no item at 0) → A.0.2 = 0. Only A.0.1 (100, B=10) and A.0.2 (0, B=15) checked:
    ΣA1 = 10 + 0 = 10 of ΣB = 25 → 10/25×100 = 40 → 不合格.
    With 3 deducted: 7 each, 42 ≥ 40 → D = 100 − 18 = 82 → A.0.2 = 82."""
    s = evaluate(tables, [full("A.0.1"), deduct("A.0.2", *[(n, "4") for n in range(1, 7)])])
    a2 = next(t for t in s.tables if t.definition.code == "A.0.2")
    assert a2.guarantee_total == 36 and a2.score == 0 and a2.zero_reason.value == "guarantee_under_minimum"
    assert s.total == 40 and s.grade is Grade.FAIL
    ok = evaluate(tables, [deduct("A.0.2", *[(n, "3") for n in range(1, 7)])])
    assert ok.tables[0].guarantee_total == 42 and ok.tables[0].score == 82 and ok.zero_tables == ()


def test_jgj59_items_not_applicable_rescale_the_table(tables) -> None:
    """JGJ59 缺项: A.0.1 items 9 and 10 (一般项目) do not apply → E = 80; item 7 deducted 6 →
    D = 74 → A2 = 74/80×100 = 92.5."""
    s = evaluate(tables, [deduct("A.0.1", (7, "6"), applicable_off=(9, 10))])
    t = s.tables[0]
    assert (t.earned, t.possible, t.score) == (74, 80, Fraction(185, 2))
    assert s.total == Fraction(185, 2) and s.grade is Grade.GOOD


def test_jgj59_tables_not_applicable_rescale_the_summary(tables) -> None:
    """JGJ59 缺项 of whole tables: only A.0.1 (90, B=10), A.0.2 (80, B=15) and A.0.11 (60, B=10)
    checked; A.0.13 chosen but marked not applicable. ΣA1 = 9 + 12 + 6 = 27 of ΣB = 35 →
    27/35×100 = 77.142857… → shown 77.14, 合格."""
    s = evaluate(tables, [deduct("A.0.1", (7, "10")), deduct("A.0.2", (7, "10"), (8, "10")),
                          deduct("A.0.11", (7, "10"), (8, "10"), (9, "10"), (10, "10")),
                          TableEntry(code="A.0.13", applicable=False)])
    assert s.weighted_sum == 27 and s.weight_checked == 35
    assert s.total == Fraction(2700, 35) and shown(s.total) == 77.14 and s.grade is Grade.PASS
    assert [t.definition.code for t in s.tables] == ["A.0.1", "A.0.2", "A.0.11", "A.0.13"]
    assert s.tables[-1].score is None


def test_jgj59_scaffold_tables_enter_the_summary_as_their_mean(tables) -> None:
    """JGJ59 averaged tables: A.0.3 = 90 (item 7 −10), A.0.8 = 70 (items 7, 8, 9 −10 each), both
    脚手架 (B=10): C = (90+70)/2 = 80, A1 = 10×80/100 = 8. With A.0.1 = 100 (A1 = 10):
    ΣA1 = 18 of ΣB = 20 → 90. Same for the hoists: A.0.15 = 100 and A.0.16 = 80 → C = 90."""
    s = evaluate(tables, [full("A.0.1"), deduct("A.0.3", (7, "10")),
                          deduct("A.0.8", (7, "10"), (8, "10"), (9, "10"))])
    scaffold = next(g for g in s.groups if g.name == "脚手架")
    assert scaffold.table_codes == ("A.0.3", "A.0.8") and scaffold.score == 80 and scaffold.weighted == 8
    assert s.weighted_sum == 18 and s.weight_checked == 20 and s.total == 90
    hoists = evaluate(tables, [full("A.0.15"), deduct("A.0.16", (7, "10"), (8, "10"))])
    assert hoists.groups[[g.name for g in hoists.groups].index("物料提升机与施工升降机")].score == 90
    assert hoists.total == 90


@pytest.mark.parametrize(("deductions", "total", "grade"), [
    # A.0.1 alone (ΣB = 10): total = table score = 100 − deduction on general items
    (("10", "10", "10"), Fraction(70), Grade.PASS),                     # exactly 70 → 合格
    (("10", "10", "10", "0.01"), Fraction(6999, 100), Grade.FAIL),      # 69.99 → 不合格
    (("10", "10"), Fraction(80), Grade.GOOD),                           # exactly 80 → 优良
    (("10", "10", "0.01"), Fraction(7999, 100), Grade.PASS),            # 79.99 → 合格
])
def test_jgj59_grade_boundaries_70_and_80(tables, deductions, total, grade) -> None:
    """JGJ59 grades: ≥ 80 优良, 70 ≤ total < 80 合格, < 70 不合格 (exact boundaries)."""
    s = evaluate(tables, [deduct("A.0.1", *[(7 + i, d) for i, d in enumerate(deductions)])])
    assert s.total == total and s.grade is grade


def test_jgj59_boundary_from_weighted_tables(tables) -> None:
    """JGJ59 69.96: A.0.1 = 69.6 (general items −10, −10, −10, −0.4), A.0.2 = 70.2 (−10, −10, −9.8):
    ΣA1 = 6.96 + 10.53 = 17.49 of ΣB = 25 → 69.96 → 不合格; one point more on A.0.2
    (71.2 → A1 10.68): 17.64/25×100 = 70.56 → 合格."""
    s = evaluate(tables, [deduct("A.0.1", (7, "10"), (8, "10"), (9, "10"), (10, "0.4")),
                          deduct("A.0.2", (7, "10"), (8, "10"), (9, "9.8"))])
    assert s.total == Fraction(6996, 100) and s.grade is Grade.FAIL
    s = evaluate(tables, [deduct("A.0.1", (7, "10"), (8, "10"), (9, "10"), (10, "0.4")),
                          deduct("A.0.2", (7, "10"), (8, "10"), (9, "8.8"))])
    assert s.total == Fraction(7056, 100) and s.grade is Grade.PASS


def test_jgj59_table_without_guarantee_items_scoring_0_fails(tables) -> None:
    """JGJ59: A.0.13 (no guarantee items) with every item deducted fully scores 0 → 不合格."""
    s = evaluate(tables, [full("A.0.1"), deduct("A.0.13", *[(n, "10") for n in range(1, 11)])])
    assert s.total == Fraction(50) and s.zero_tables == ("A.0.13",) and s.grade is Grade.FAIL


@pytest.mark.parametrize(("entry", "field", "slug"), [
    (TableEntry(code="A.0.99"), "tables[0].code", "unknown-check-table"),
    (TableEntry(code="A.0.1", items=(ItemEntry(no=11),)), "tables[0].items[0].no", None),
    (TableEntry(code="A.0.1", items=(ItemEntry(no=7, deduction=Decimal("10.5"), finding="x"),)),
     "tables[0].items[0].deduction", "deduction-above-points"),
    (TableEntry(code="A.0.1", items=(ItemEntry(no=7, deduction=Decimal("-1"), finding="x"),)),
     "tables[0].items[0].deduction", None),
    (TableEntry(code="A.0.1", items=(ItemEntry(no=1, applicable=False),)),
     "tables[0].items[0].applicable", "guarantee-item-required"),
    (TableEntry(code="A.0.1", items=(ItemEntry(no=7, deduction=Decimal(2)),)), "tables[0].items[0].finding", None),
    (TableEntry(code="A.0.13", items=tuple(ItemEntry(no=n, applicable=False) for n in range(1, 11))),
     "tables[0].items", None),
])
def test_jgj59_refuses_entries_naming_the_field(tables, entry, field, slug) -> None:
    """JGJ59 rules 1–2 on input: deduction within 0..points, guarantee items always checked."""
    with pytest.raises(Unprocessable) as err:
        evaluate(tables, [entry])
    assert err.value.field == field
    if slug:
        assert err.value.slug == slug


def test_jgj59_nothing_applies_is_refused(tables) -> None:
    """JGJ59: an evaluation where no table applies has nothing to grade (422 ``tables``)."""
    with pytest.raises(Unprocessable) as err:
        evaluate(tables, [TableEntry(code="A.0.1", applicable=False)])
    assert err.value.field == "tables"
