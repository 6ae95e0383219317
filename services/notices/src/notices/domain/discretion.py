"""The discretion table (自由裁量基准, HEB-18): penalties follow a table, not whim. No I/O.

The province administrator keeps, per violation of the violations library (its ``code``
and name, stored in the entry so notices needs no other service), the legal basis (法律依据)
and the penalty range in yuan (罚款金额, min ≤ max) for each severity: ``minor`` (轻微),
``general`` (一般), ``serious`` (严重). One entry per violation code and tenant. No official
figures are shipped: every tenant starts with an empty table.

A penalty (the reviewer's amount of a 处罚建议书, or any document that carries a penalty)
must cite an entry (violation code + severity) and name an amount inside that severity's
range: no citation → 422 ``penalty_citation``; an unknown code → 422 ``violation_code``; an
amount outside → 422 ``penalty_amount`` naming the range.

The automatic escalation has no human amount: it records the entry of the first violation
of the document's record that has one (``citation_for``: code, name, legal basis, the three
ranges, no severity, no amount) and leaves severity and amount to the reviewer, who sets
them with ``check_penalty``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from anjian_shared.errors import Forbidden, NotFound, Unprocessable
from anjian_shared.principal import Principal, Role

SEVERITIES: tuple[str, ...] = ("minor", "general", "serious")
SEVERITY_LABELS = {"minor": "轻微", "general": "一般", "serious": "严重"}
MAX_CODE_CHARS = 64
MAX_NAME_CHARS = 200
MAX_BASIS_CHARS = 1000
MAX_YUAN = 100_000_000
"""An amount above 1亿 yuan is a typing error, not a penalty."""


def ensure_admin(principal: Principal) -> None:
    """HEB-18: only the province administrator (省级管理员) edits the table: 403 ``role-required``."""
    if not principal.has(Role.PROVINCE_ADMIN.value):
        raise Forbidden("requires the role province_admin (the discretion table is the province's)",
                        slug="role-required")


def _text(body: Mapping[str, Any], field: str, limit: int) -> str:
    value = str(body.get(field) or "").strip()
    if not 1 <= len(value) <= limit:
        raise Unprocessable(f"{field}: 1..{limit} characters", field=field, slug="discretion-entry-invalid")
    return value


def _yuan(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_YUAN:
        raise Unprocessable(f"{field}: whole yuan 0..{MAX_YUAN}", field=field, slug="discretion-entry-invalid")
    return value


def validate_entry(body: Mapping[str, Any]) -> dict[str, Any]:
    """HEB-18: an entry as the administrator sends it →
    ``{violation_code, violation_name, legal_basis, ranges: {minor|general|serious: {min_yuan,
    max_yuan}}}`` (texts trimmed). 422 ``discretion-entry-invalid`` naming the field:
    ``violation_code`` 1..64, ``violation_name`` 1..200, ``legal_basis`` 1..1000 characters;
    ``ranges`` exactly the three severities; ``ranges.<severity>.min_yuan``/``max_yuan`` whole
    yuan 0..1亿 with min ≤ max (``ranges.<severity>``)."""
    code = _text(body, "violation_code", MAX_CODE_CHARS)
    name = _text(body, "violation_name", MAX_NAME_CHARS)
    basis = _text(body, "legal_basis", MAX_BASIS_CHARS)
    ranges = body.get("ranges")
    if not isinstance(ranges, Mapping) or set(ranges) != set(SEVERITIES):
        raise Unprocessable("ranges: one range for each of minor (轻微), general (一般), serious (严重)",
                            field="ranges", slug="discretion-entry-invalid")
    out: dict[str, dict[str, int]] = {}
    for sev in SEVERITIES:
        r = ranges[sev] if isinstance(ranges[sev], Mapping) else {}
        low = _yuan(r.get("min_yuan"), f"ranges.{sev}.min_yuan")
        high = _yuan(r.get("max_yuan"), f"ranges.{sev}.max_yuan")
        if low > high:
            raise Unprocessable(f"ranges.{sev}: min_yuan {low} is above max_yuan {high}", field=f"ranges.{sev}",
                                slug="discretion-range-inverted")
        out[sev] = {"min_yuan": low, "max_yuan": high}
    return {"violation_code": code, "violation_name": name, "legal_basis": basis, "ranges": out}


def entry_id(tenant: str, violation_code: str) -> str:
    """``_id`` of ``tenant``'s entry for ``violation_code``: one entry per violation."""
    return f"{tenant}:{violation_code}"


def check_penalty(entry: Mapping[str, Any] | None, *, violation_code: str | None, severity: str | None,
                  amount: int | None) -> dict[str, Any]:
    """HEB-18: the citation of a penalty → ``{violation_code, violation_name, legal_basis,
    severity, min_yuan, max_yuan, penalty_amount}``.

    ``entry`` is the stored entry for ``violation_code`` (None when there is none). 422:
    ``penalty_citation`` (``penalty-citation-required``) without code or severity;
    ``severity`` not one of minor/general/serious; ``violation_code``
    (``discretion-entry-unknown``) no entry; ``penalty_amount`` (``penalty-amount-required``)
    missing, or (``penalty-outside-range``) outside the cited range, naming it."""
    if not violation_code or not severity:
        raise Unprocessable("a penalty must cite the discretion table: violation_code and severity",
                            field="penalty_citation", slug="penalty-citation-required")
    if severity not in SEVERITIES:
        raise Unprocessable(f"severity: one of {', '.join(SEVERITIES)}", field="severity",
                            slug="discretion-entry-invalid")
    if entry is None:
        raise Unprocessable(f"no discretion table entry for violation {violation_code}", field="violation_code",
                            slug="discretion-entry-unknown")
    if amount is None or isinstance(amount, bool) or not isinstance(amount, int):
        raise Unprocessable("penalty_amount (whole yuan) is required", field="penalty_amount",
                            slug="penalty-amount-required")
    r = entry["ranges"][severity]
    if not r["min_yuan"] <= amount <= r["max_yuan"]:
        raise Unprocessable(
            f"penalty_amount {amount} yuan is outside the range {r['min_yuan']}..{r['max_yuan']} yuan of "
            f"{entry['violation_code']} {SEVERITY_LABELS[severity]}", field="penalty_amount",
            slug="penalty-outside-range")
    return {"violation_code": entry["violation_code"], "violation_name": entry["violation_name"],
            "legal_basis": entry["legal_basis"], "severity": severity, "min_yuan": r["min_yuan"],
            "max_yuan": r["max_yuan"], "penalty_amount": amount}


def violation_codes(violations: Iterable[Mapping[str, Any]]) -> list[str]:
    """The codes of a record's violations, in order, without blanks or repeats."""
    return list(dict.fromkeys(str(v.get("code")) for v in violations if v.get("code")))


def citation_for(entries: Mapping[str, Mapping[str, Any]], codes: Iterable[str]) -> dict[str, Any] | None:
    """HEB-18: what an automatic 处罚建议书 cites: the entry of the first of ``codes`` that has
    one (``entries`` by code), with its three ranges, ``severity``/``penalty_amount`` None (the
    reviewer decides); None when no violation has an entry."""
    for code in codes:
        if (entry := entries.get(code)) is not None:
            return {"violation_code": entry["violation_code"], "violation_name": entry["violation_name"],
                    "legal_basis": entry["legal_basis"], "ranges": dict(entry["ranges"]), "severity": None,
                    "penalty_amount": None}
    return None


def entry_not_found(violation_code: str) -> NotFound:
    return NotFound(f"no discretion table entry for violation {violation_code}")
