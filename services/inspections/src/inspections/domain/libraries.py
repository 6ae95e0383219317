"""The phrase libraries of supervision records (HN-04), built from reference data. No I/O.

Two libraries, each a per-tenant, tenant-editable copy of a seed list:

- **standard terms** (标准规范术语), one list per check type (抽查类型):
  ``safety`` terms are the items of the 19 JGJ 59-2011 check tables (code = the catalog
  code, e.g. ``JGJ59-A.0.2-06``); ``quality`` terms are a **small illustrative starter
  list** shipped in ``seed_data/quality-terms-sample.json`` (codes ``ZL-nn``; common
  quality defects with the acceptance code they are judged against) — not an official
  catalog: each tenant is expected to replace or extend it; a tenant may also add terms
  of check type ``combined``. A record of check type ``combined`` (综合: quality and
  safety) may cite every term; a ``quality`` or ``safety`` record only terms of its own
  type.
- **violations** (违法违规行为): the 53 items of 《房屋市政工程生产安全重大事故隐患判定标准
  （2024版）》 (code = the catalog code, e.g. ``ZD2024-5.1``).

A record copies code and text of what it cites, so later edits of a library never
change a submitted record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from anjian_shared.errors import Forbidden, Unprocessable
from anjian_shared.principal import Principal, Role

from .catalog import CatalogSource

CUSTOM_SEQ_BASE = 1_000_000
"""Entries a tenant adds sort after every seed entry (their ``seq`` starts here)."""

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


class CheckType(StrEnum):
    """抽查类型 (HN-04, one per record)."""

    QUALITY = "quality"     # 质量
    SAFETY = "safety"       # 安全
    COMBINED = "combined"   # 综合: quality and safety


CHECK_TYPE_LABELS = {CheckType.QUALITY.value: "质量", CheckType.SAFETY.value: "安全", CheckType.COMBINED.value: "综合"}
"""The Chinese label of each check type (``check_type_label``)."""


class Library(StrEnum):
    """The two phrase libraries."""

    TERMS = "terms"             # 标准规范术语
    VIOLATIONS = "violations"   # 违法违规行为
    CHECK_POINTS = "check_points"  # 检查要点 of Fujian's self-inspections (FJ-06)


EDITOR_ROLES: tuple[str, ...] = (Role.PROVINCE_ADMIN.value, Role.STATION_LEADER.value)
"""Who edits the tenant's copy of the libraries: the province admin or a station leader."""


def ensure_editor(principal: Principal) -> None:
    """HN-04 libraries are edited by the tenant's province admin or a station leader; 403 others."""
    if not principal.has(*EDITOR_ROLES):
        raise Forbidden("only the province admin or a station leader edits the libraries")


def term_check_types(record_check_type: CheckType | str) -> list[str]:
    """HN-04: The term check types a record of ``record_check_type`` may cite: its own; a combined
    record every type (quality, safety, combined)."""
    ct = CheckType(record_check_type)
    if ct is CheckType.COMBINED:
        return [c.value for c in CheckType]
    return [ct.value]


def safety_terms(catalog_items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """HN-04: Safety terms from the JGJ 59-2011 catalog items (in catalog order): text
    ``<table>：<item>``, reference ``JGJ 59-2011 表A.0.x（保证项目|一般项目）``."""
    out = []
    for item in catalog_items:
        if item.get("source") != CatalogSource.JGJ59.value:
            continue
        out.append({"code": item["code"], "check_type": CheckType.SAFETY.value,
                    "text": f"{item['table_name']}：{item['name']}",
                    "reference": f"JGJ 59-2011 表{item['table_code']}（{item['kind']}）",
                    "source": "jgj59"})
    return out


def quality_terms(sample: Mapping[str, Any]) -> list[dict[str, Any]]:
    """HN-04: Quality terms of the illustrative starter list ``quality-terms-sample.json``."""
    return [{"code": t["code"], "check_type": CheckType.QUALITY.value, "text": t["text"],
             "reference": t.get("reference"), "source": "sample"} for t in sample["terms"]]


def violations(catalog_items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """HN-04: Violations from the 2024 major-hazard items (in catalog order): text = the item,
    reference ``建质规〔2024〕5号 第N条``, category = the article's field of work."""
    out = []
    for item in catalog_items:
        if item.get("source") != CatalogSource.MAJOR2024.value:
            continue
        out.append({"code": item["code"], "text": item["text"],
                    "reference": f"{item.get('document_no') or '建质规〔2024〕5号'} 第{item['article']}条",
                    "category": item.get("category"), "source": "major2024"})
    return out


CHECK_POINT_SOURCE = "JGJ59-2011"
"""The label of the seeded check points (FJ-06): they come from the JGJ 59-2011 check tables."""


def check_points(catalog_items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """FJ-06: Self-inspection check points (检查要点) seeded from the JGJ 59-2011 catalog items
    (catalog order): text = the item, category = its check table, reference ``JGJ 59-2011
    表A.0.x（保证项目|一般项目）``, source ``JGJ59-2011``, ``hazard_codes`` [] (a tenant may make a
    point cite items of the 2024 major-hazard standard, which flags it 重大事故隐患)."""
    return [{"code": item["code"], "text": item["name"], "category": item["table_name"],
             "reference": f"JGJ 59-2011 表{item['table_code']}（{item['kind']}）", "source": CHECK_POINT_SOURCE,
             "hazard_codes": []}
            for item in catalog_items if item.get("source") == CatalogSource.JGJ59.value]


def with_seq(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """HN-04: The entries with ``seq`` 0..n-1 (display order) and ``search_text``; codes unique
    (``ValueError`` otherwise)."""
    out, seen = [], set()
    for seq, e in enumerate(entries):
        if e["code"] in seen:
            raise ValueError(f"duplicate library code {e['code']}")
        seen.add(e["code"])
        out.append({**e, "seq": seq, "search_text": search_text(e)})
    return out


def search_text(entry: Mapping[str, Any]) -> str:
    """HN-04: What ``q`` is matched against: code, text, reference, category."""
    return "\n".join(str(entry[k]) for k in ("code", "text", "reference", "category") if entry.get(k))


def validate_code(code: str) -> str:
    """HN-04: A tenant-chosen code: 1..40 of letters, digits, ``.``, ``_``, ``-`` (422 ``code``)."""
    code = code.strip()
    if not CODE_PATTERN.match(code):
        raise Unprocessable("code: 1..40 letters, digits, '.', '_' or '-'", field="code")
    return code


def normalize_codes(codes: Iterable[str], maximum: int, *, field: str) -> list[str]:
    """HN-04: Strip, drop blanks and duplicates (first wins); at most ``maximum`` (422 ``field``).
    An empty list is allowed (a record may cite no term / no violation)."""
    out: list[str] = []
    for code in codes:
        code = code.strip()
        if code and code not in out:
            out.append(code)
    if len(out) > maximum:
        raise Unprocessable(f"at most {maximum} codes", field=field)
    return out


def cite(codes: Sequence[str], found: Mapping[str, Mapping[str, Any]], *, field: str,
         check_type: CheckType | str | None = None) -> list[dict[str, str]]:
    """HN-04: ``[{code, text}]`` for ``codes`` (given order) from the library entries ``found``
    (code → entry, deleted ones excluded). With ``check_type`` (terms) each entry must be
    citable by a record of that check type. 422 ``field`` naming every code that is unknown
    or of another check type."""
    allowed = set(term_check_types(check_type)) if check_type is not None else None
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise Unprocessable(f"not in the library: {', '.join(unknown)}", field=field)
    if allowed is not None:
        wrong = [c for c in codes if found[c].get("check_type") not in allowed]
        if wrong:
            raise Unprocessable(f"not terms of check type {CheckType(check_type).value}: {', '.join(wrong)}",
                                field=field)
    return [{"code": c, "text": found[c]["text"]} for c in codes]
