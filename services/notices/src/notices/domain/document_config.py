"""Tenant configuration of enforcement documents (处理文书, HN-07): how they are numbered and
what an overdue document turns into. No I/O.

A document is numbered per tenant, document type and year (Asia/Shanghai) from an atomic
counter; the produced 处罚建议书 / 不良行为记录 are numbered per tenant, kind and year the
same way. The number is rendered from the tenant's ``format`` template::

    {abbr}安监{type}〔{year}〕{seq}号   →   琼安监整〔2026〕0012号

``{abbr}`` the province abbreviation (琼), ``{type}`` the short name of the document type
or escalation kind (整, 罚建, …), ``{year}`` four digits, ``{seq}`` the sequence zero-padded
to four digits (longer once past 9999). ``{type}``, ``{year}`` and ``{seq}`` must each appear
exactly once and the short names must be distinct: otherwise two counters could render the
same number. Every tenant starts with ``default_config(tenant)``; a province administrator
replaces it over the API (``PUT /document-config``).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any, get_args

from anjian_shared.errors import Unprocessable
from anjian_shared.events.notices_v1 import DocumentType, EscalationKind

DOCUMENT_TYPES: tuple[str, ...] = get_args(DocumentType)
"""rectification, stop_work, resume_work, bad_conduct, equipment_restriction, partial_stop_work."""
ESCALATION_KINDS: tuple[str, ...] = get_args(EscalationKind)
"""penalty_recommendation (处罚建议书), bad_conduct_record (不良行为记录)."""

DOCUMENT_TYPE_LABELS: dict[str, str] = {
    "rectification": "整改通知",
    "stop_work": "停工通知",
    "resume_work": "复工通知",
    "bad_conduct": "不良行为记录通知",
    "equipment_restriction": "工程设备使用限制通知",
    "partial_stop_work": "局部停工通知",
}
"""The manual's names of the six document types (HN-07 通知类型)."""

ESCALATION_KIND_LABELS: dict[str, str] = {
    "penalty_recommendation": "处罚建议书",
    "bad_conduct_record": "不良行为记录",
}

DEFAULT_FORMAT = "{abbr}安监{type}〔{year}〕{seq}号"

DEFAULT_SHORT_NAMES: dict[str, str] = {
    "rectification": "整",
    "stop_work": "停",
    "resume_work": "复",
    "bad_conduct": "不良通",
    "equipment_restriction": "限",
    "partial_stop_work": "局停",
    "penalty_recommendation": "罚建",
    "bad_conduct_record": "不良",
}
"""``{type}`` of each document type and escalation kind. 不良行为记录通知 is 不良通 so that it
never renders the same number as a produced 不良行为记录 (不良)."""

DEFAULT_ESCALATION_KINDS: dict[str, str] = {
    "rectification": "penalty_recommendation",
    "stop_work": "penalty_recommendation",
    "resume_work": "bad_conduct_record",
    "bad_conduct": "bad_conduct_record",
    "equipment_restriction": "penalty_recommendation",
    "partial_stop_work": "penalty_recommendation",
}
"""What an overdue document of each type produces: not rectifying, not stopping work or using
restricted equipment after the deadline is a matter for a penalty (处罚建议书); an unanswered
复工通知 or 不良行为记录通知 goes on the unit's record (不良行为记录)."""

PLACEHOLDERS = ("abbr", "type", "year", "seq")
REQUIRED_ONCE = ("type", "year", "seq")
MAX_FORMAT_CHARS = 60
MAX_NAME_CHARS = 8


def default_config(abbr: str) -> dict[str, Any]:
    """HN-07: The configuration a tenant has until its administrator replaces it:
    ``{format, abbr, short_names, escalation_kinds}`` with the tenant's province
    abbreviation ``abbr`` (琼 for hainan, see ``adapters.tenants``)."""
    return {"format": DEFAULT_FORMAT, "abbr": abbr, "short_names": dict(DEFAULT_SHORT_NAMES),
            "escalation_kinds": dict(DEFAULT_ESCALATION_KINDS)}


def validate_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """HN-07: Check a configuration a province administrator sends; returns it normalised
    (stripped strings). 422 naming the field:

    - ``format``: 1..60 characters, only the placeholders ``{abbr} {type} {year} {seq}``,
      each of ``{type} {year} {seq}`` exactly once, no other braces;
    - ``abbr``: 1..8 characters;
    - ``short_names``: one for every document type and escalation kind, 1..8 characters
      without braces, all different;
    - ``escalation_kinds``: for every document type ``penalty_recommendation`` or
      ``bad_conduct_record``.
    """
    fmt = str(config.get("format", "")).strip()
    if not 1 <= len(fmt) <= MAX_FORMAT_CHARS:
        raise Unprocessable(f"format: 1..{MAX_FORMAT_CHARS} characters", field="format", slug="config-invalid")
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError as exc:
        raise Unprocessable(f"format: unbalanced braces ({exc})", field="format", slug="config-invalid") from exc
    names = [name for _, name, spec, conv in parsed if name is not None]
    for _, name, spec, conv in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conv:
            raise Unprocessable(f"format: unknown placeholder {{{name}}}; use {{abbr}} {{type}} {{year}} {{seq}}",
                                field="format", slug="config-invalid")
    for needed in REQUIRED_ONCE:
        if names.count(needed) != 1:
            raise Unprocessable(f"format: {{{needed}}} must appear exactly once (numbers must stay unique)",
                                field="format", slug="config-invalid")
    abbr = str(config.get("abbr", "")).strip()
    if not 1 <= len(abbr) <= MAX_NAME_CHARS or "{" in abbr or "}" in abbr:
        raise Unprocessable(f"abbr: 1..{MAX_NAME_CHARS} characters without braces", field="abbr", slug="config-invalid")
    short = dict(config.get("short_names") or {})
    wanted = (*DOCUMENT_TYPES, *ESCALATION_KINDS)
    missing = [k for k in wanted if k not in short]
    extra = [k for k in short if k not in wanted]
    if missing or extra:
        raise Unprocessable(f"short_names: needs exactly {', '.join(wanted)}"
                            + (f"; missing {', '.join(missing)}" if missing else "")
                            + (f"; unknown {', '.join(extra)}" if extra else ""), field="short_names",
                               slug="config-invalid")
    short = {k: str(short[k]).strip() for k in wanted}
    bad = [k for k, v in short.items() if not 1 <= len(v) <= MAX_NAME_CHARS or "{" in v or "}" in v]
    if bad:
        raise Unprocessable(f"short_names: 1..{MAX_NAME_CHARS} characters without braces: {', '.join(bad)}",
                            field="short_names", slug="config-invalid")
    if len(set(short.values())) != len(short):
        raise Unprocessable("short_names must all differ (else two counters render the same number)",
                            field="short_names", slug="config-invalid")
    kinds = dict(config.get("escalation_kinds") or {})
    if set(kinds) != set(DOCUMENT_TYPES) or any(v not in ESCALATION_KINDS for v in kinds.values()):
        raise Unprocessable("escalation_kinds: for each document type penalty_recommendation or "
                            "bad_conduct_record", field="escalation_kinds", slug="config-invalid")
    return {"format": fmt, "abbr": abbr, "short_names": short,
            "escalation_kinds": {k: kinds[k] for k in DOCUMENT_TYPES}}


def render_number(config: Mapping[str, Any], *, key: str, year: int, seq: int) -> str:
    """HN-07: The number of the ``seq``-th document (or escalation) of type/kind ``key`` in ``year``,
    e.g. ``琼安监整〔2026〕0012号``. ``ValueError`` for seq < 1 or a year without four digits."""
    if seq < 1:
        raise ValueError("seq starts at 1")
    if not 1000 <= year <= 9999:
        raise ValueError("year must have four digits")
    return str(config["format"]).format(abbr=config["abbr"], type=config["short_names"][key], year=year,
                                        seq=f"{seq:04d}")


def document_counter_id(tenant: str, document_type: str, year: int) -> str:
    """``_id`` of the counter of ``tenant``'s documents of ``document_type`` in ``year``."""
    return f"{tenant}:document:{document_type}:{year}"


def escalation_counter_id(tenant: str, kind: str, year: int) -> str:
    """``_id`` of the counter of ``tenant``'s escalations of ``kind`` in ``year``."""
    return f"{tenant}:escalation:{kind}:{year}"


_LABEL_TO_TYPE = {label: code for code, label in DOCUMENT_TYPE_LABELS.items()}


def document_type_code(value: Any) -> Any:
    """HN-04/07: accept the manual's Chinese name (``整改通知``, as inspections' ``notice_draft``
    carries it) as well as the code (``rectification``); anything else passes through for
    the schema to refuse."""
    if isinstance(value, str):
        text = value.strip()
        return _LABEL_TO_TYPE.get(text, text)
    return value

