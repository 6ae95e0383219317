"""The hazard catalog (隐患库): items of the JGJ 59-2011 check tables and of the 2024
major-accident-hazard standard, built from the reference data (no I/O here).

Item codes:

- ``JGJ59-<table>-<nn>``, e.g. ``JGJ59-A.0.1-01``: item ``nn`` (1-based, two digits) of a
  JGJ 59-2011 appendix A check table (检查评分表);
- ``ZD2024-<article>.<item>``, e.g. ``ZD2024-5.4``: an item of 《房屋市政工程生产安全重大事故隐患
  判定标准（2024版）》; citing one makes a result a major hazard (重大事故隐患, HB-04).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

JGJ59_PREFIX = "JGJ59-"
MAJOR_PREFIX = "ZD2024-"


class CatalogSource(StrEnum):
    """Where a catalog item comes from."""

    JGJ59 = "jgj59"
    MAJOR2024 = "major2024"


def jgj59_code(table_code: str, index: int) -> str:
    """Code of item ``index`` (1-based) of check table ``table_code``: ``JGJ59-A.0.1-01``."""
    return f"{JGJ59_PREFIX}{table_code}-{index:02d}"


def major_code(item_code: str) -> str:
    """Code of a 2024-standard item ``"4.1"``: ``ZD2024-4.1``."""
    return f"{MAJOR_PREFIX}{item_code}"


def is_major_code(code: str) -> bool:
    """True for codes of the 2024 major-hazard standard."""
    return code.startswith(MAJOR_PREFIX)


def jgj59_items(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Catalog items of every check table in ``jgj59-2011-check-tables.json`` (document order).

    Each item: ``code, source, name, major=False, table_code, table_name, summary_group,
    kind`` (保证项目|一般项目), ``points`` (int), ``verified`` (the table's points checked),
    ``summary_weight`` (the weight of its summary group in the 汇总表, ``summary_table_weights``).
    """
    items: list[dict[str, Any]] = []
    standard = data.get("standard", "JGJ 59-2011")
    weights = data.get("summary_table_weights", {})
    for table in data["tables"]:
        for index, item in enumerate(table["items"], start=1):
            items.append({
                "code": jgj59_code(table["code"], index),
                "source": CatalogSource.JGJ59.value,
                "standard": standard,
                "name": item["name"],
                "major": False,
                "table_code": table["code"],
                "table_name": table["name"],
                "summary_group": table.get("summary_group"),
                "summary_weight": weights.get(table.get("summary_group")),
                "kind": item["kind"],
                "points": item["points"],
                "verified": bool(table.get("verified", True)),
            })
    return items


def major_items(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Catalog items of ``major-hazards-2024.json`` (document order), all ``major=True``.

    Each item: ``code, source, name`` (= the text), ``text, article`` (int), ``article_heading,
    category, precursors`` (list of str; only article 5 item 4 lists some), ``document_no``.
    """
    items: list[dict[str, Any]] = []
    document_no = data.get("document_no")
    for article in data["articles"]:
        for item in article["items"]:
            items.append({
                "code": major_code(item["code"]),
                "source": CatalogSource.MAJOR2024.value,
                "standard": data.get("title"),
                "document_no": document_no,
                "name": item["text"],
                "text": item["text"],
                "major": True,
                "article": article["article"],
                "article_heading": article.get("heading"),
                "category": article.get("category"),
                "precursors": list(item.get("precursors", [])),
            })
    return items


def catalog_items(jgj59: Mapping[str, Any], major2024: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The whole seed catalog: JGJ 59 items then major-hazard items, each with ``seq`` (0..n-1)
    giving the display order. Codes are unique (``ValueError`` otherwise)."""
    items = jgj59_items(jgj59) + major_items(major2024)
    seen: set[str] = set()
    for seq, item in enumerate(items):
        if item["code"] in seen:
            raise ValueError(f"duplicate catalog code {item['code']}")
        seen.add(item["code"])
        item["seq"] = seq
    return items


def searchable_text(item: Mapping[str, Any]) -> str:
    """What ``q`` is matched against: name, text, precursors, table name and category."""
    parts: Iterable[Any] = (item.get("name"), item.get("text"), item.get("table_name"), item.get("category"),
                            *item.get("precursors", []))
    return "\n".join(dict.fromkeys(str(p) for p in parts if p))


def group_tables(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Group JGJ 59 items (in ``seq`` order) into their check tables:
    ``[{code, name, summary_group, summary_weight, verified, items: [...]}]`` in table order."""
    tables: dict[str, dict[str, Any]] = {}
    for item in sorted(items, key=lambda i: i["seq"]):
        if item.get("source") != CatalogSource.JGJ59.value:
            continue
        table = tables.setdefault(item["table_code"], {
            "code": item["table_code"], "name": item["table_name"], "summary_group": item.get("summary_group"),
            "summary_weight": item.get("summary_weight"), "verified": item.get("verified", True), "items": []})
        table["items"].append(item)
    return list(tables.values())
