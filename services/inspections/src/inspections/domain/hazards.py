"""Major accident hazards decide the measure (重大事故隐患, 建质规〔2024〕5号): the ONE place
where the platform decides whether a finding is a major hazard and which measures it allows.
Pure functions, no I/O (HB-04, HB-06, HN-04/HN-07; reusable by every checklist that cites
catalog items, e.g. Fujian's check points).

The flag comes from the tenant's hazard catalog (隐患库, ``domain/catalog.py``), never from
the client: an item is major when the catalog item says ``major`` (the items of the 2024
standard, codes ``ZD2024-*``). A code that is not in the catalog is never major.

Measures (处置情况, HB-06 7.1) follow from what was found:

=====================  =========================================================================
disposition            allowed when
=====================  =========================================================================
无隐患                  nothing was found (no finding at all)
现场整改                no finding cites an item that needs a deadline (a major item or a
                       JGJ 59 guarantee item 保证项目: its failure alone can fail the check table)
限期整改                no finding cites a major item
停工整改                always (a major hazard requires it, or 局部停工整改)
局部停工整改            always, naming the part stopped (``stop_work_part``)
=====================  =========================================================================

Usage from another checklist: ``cite(codes, catalog_by_code)`` gives ``[{code, name, major}]``
(422 naming unknown codes) and ``is_major_hazard(cited)`` the finding's flag;
``major_codes(codes, catalog_by_code)`` flags codes that are not hazard citations
(Hainan's violations, 违法违规行为); ``check_disposition`` refuses a weaker measure. (Hainan's
documents are decided in notices from the record's flag, ``notices.domain.documents.check_major_hazard``.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from anjian_shared.errors import Unprocessable

NO_HAZARD = "无隐患"
FIXED_ON_SITE = "现场整改"
RECTIFY_BY_DEADLINE = "限期整改"
STOP_WORK = "停工整改"
PARTIAL_STOP_WORK = "局部停工整改"
STOP_WORK_DISPOSITIONS: frozenset[str] = frozenset({STOP_WORK, PARTIAL_STOP_WORK})
"""The measures a major hazard allows: 全部或局部停工整改 (建质规〔2024〕5号)."""

GUARANTEE_ITEM = "保证项目"
"""JGJ 59-2011 kind of item whose failure alone can fail its check table."""

MAX_PART_CHARS = 200


def is_major_item(item: Mapping[str, Any] | None) -> bool:
    """HB-04: A catalog item (or ``None`` for an unknown code) is a major hazard item when the
    catalog says ``major`` (the 2024 standard's items)."""
    return item is not None and bool(item.get("major"))


def needs_deadline(item: Mapping[str, Any] | None) -> bool:
    """HB-06: A finding citing this catalog item cannot be fixed on the spot (现场整改): a major
    item or a JGJ 59 guarantee item (保证项目) needs at least 限期整改."""
    return is_major_item(item) or (item is not None and item.get("kind") == GUARANTEE_ITEM)


def cite(codes: Sequence[str], catalog: Mapping[str, Mapping[str, Any]], *,
         field: str = "hazard_codes") -> list[dict[str, Any]]:
    """HB-04: ``[{code, name, major}]`` for ``codes`` (given order) from the tenant's catalog
    items ``catalog`` (code → item); ``major`` is decided here, from the catalog. 422 ``field``
    naming every unknown code."""
    unknown = [c for c in codes if c not in catalog]
    if unknown:
        raise Unprocessable(f"not in the hazard catalog: {', '.join(unknown)}", field=field)
    return [{"code": c, "name": catalog[c]["name"], "major": is_major_item(catalog[c])} for c in codes]


def major_codes(codes: Iterable[str], catalog: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """HN-04: The codes among ``codes`` (given order, no duplicates) that are major items of the
    catalog; codes the catalog does not know (a tenant's own violations) are not major."""
    return [c for c in dict.fromkeys(codes) if is_major_item(catalog.get(c))]


def is_major_hazard(cited: Iterable[Mapping[str, Any]]) -> bool:
    """HB-04: A finding is a major hazard (重大事故隐患) when it cites a major item (``cited``
    as returned by ``cite``)."""
    return any(bool(h.get("major")) for h in cited)


def _label(item: Mapping[str, Any]) -> str:
    return f"{item['code']} {item.get('name', '')}".strip()


def check_disposition(disposition: str, *, findings: Sequence[Sequence[Mapping[str, Any]]],
                      catalog: Mapping[str, Mapping[str, Any]], stop_work_part: str | None = None,
                      field: str = "disposition", part_field: str = "stop_work_part") -> str | None:
    """HB-06 7.1: The measure must follow from the findings. ``findings``: the cited hazards of
    every finding (``[{code, name, major}]`` each); ``catalog``: the catalog items of the cited
    codes (code → item; the major flag and the item kind are read from here, a stored
    ``major`` counts as well). Returns the stripped ``stop_work_part`` for 局部停工整改, else
    ``None``. Refusals (422, ``field`` = the disposition field unless said otherwise):

    - 无隐患 while findings exist — ``disposition-contradicts-results``;
    - a finding cites a major item and the measure is not (局部)停工整改 —
      ``major-hazard-requires-stop-work``, the detail naming each item's code and name;
    - 现场整改 while a finding cites an item that needs a deadline (major or 保证项目) —
      ``on-site-fix-not-allowed``, naming the items;
    - 局部停工整改 without the part stopped — 422 ``part_field`` ``stop-work-part-required``.
    """
    cited = [h for finding in findings for h in finding]
    majors = list({h["code"]: h for h in cited
                   if h.get("major") or is_major_item(catalog.get(h["code"]))}.values())
    if disposition == NO_HAZARD and findings:
        raise Unprocessable(f"{NO_HAZARD} contradicts the {len(findings)} recorded result(s); choose the measure "
                            "that follows from them", field=field, slug="disposition-contradicts-results")
    if majors and disposition not in STOP_WORK_DISPOSITIONS:
        raise Unprocessable(
            f"重大事故隐患 (建质规〔2024〕5号) requires {STOP_WORK} or {PARTIAL_STOP_WORK}, not {disposition}: "
            + "; ".join(_label(h) for h in majors), field=field, slug="major-hazard-requires-stop-work")
    if disposition == FIXED_ON_SITE:
        late = list({h["code"]: h for h in cited if needs_deadline(catalog.get(h["code"]))}.values())
        if late:
            raise Unprocessable(f"{FIXED_ON_SITE} is not enough for items that need a rectification deadline "
                                "(保证项目 or 重大事故隐患): " + "; ".join(_label(h) for h in late),
                                field=field, slug="on-site-fix-not-allowed")
    if disposition == PARTIAL_STOP_WORK:
        part = (stop_work_part or "").strip()
        if not part:
            raise Unprocessable(f"{PARTIAL_STOP_WORK}: name the part where work stops", field=part_field,
                                slug="stop-work-part-required")
        if len(part) > MAX_PART_CHARS:
            raise Unprocessable(f"{part_field}: at most {MAX_PART_CHARS} characters", field=part_field)
        return part
    return None

