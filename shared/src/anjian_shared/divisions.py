"""GB/T 2260 administrative divisions: code → name, parent chain, jurisdiction test.

The codes come from the Ministry of Civil Affairs list shipped in
``anjian_shared/data/gbt2260/mca-202112.tsv`` (source and date in the README beside it),
never typed in by hand. Pure functions, no I/O beyond reading that file once.

Structure of a code (6 digits): ``PP0000`` province, ``PPCC00`` city (prefecture level),
any other code a county-level division; its parent is its city when that exists, else
(直辖市 districts, 省直辖县 such as 419001) its province.

Used by identity (organisations carry ``division_code``; "the authority where X is
registered" is the authority whose division is the nearest ancestor-or-self of X's code,
HEB-01) and, later, by projects and equipment (HEB-06/07/14).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from .errors import Unprocessable

REVISION = "2021-12"
"""The ministry's revision the shipped list reproduces."""

Level = Literal["province", "city", "county"]


@dataclass(frozen=True)
class Division:
    """One division: ``code`` (6 digits), ``name`` (e.g. 石家庄市), ``level``."""

    code: str
    name: str
    level: Level


def _level(code: str) -> Level:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


@lru_cache(maxsize=1)
def _table() -> dict[str, Division]:
    text = resources.files("anjian_shared.data.gbt2260").joinpath("mca-202112.tsv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter="\t")
    return {r["code"]: Division(r["code"], r["name"], _level(r["code"])) for r in rows}


def get(code: str) -> Division | None:
    """The division with that code, or None (unknown, malformed, or abolished before 2021-12)."""
    return _table().get(code) if isinstance(code, str) else None


def is_known(code: str) -> bool:
    """True when ``code`` is a current GB/T 2260 code of the shipped list."""
    return get(code) is not None


def require(code: str, *, field: str = "division_code") -> Division:
    """The division, or ``Unprocessable`` (422, slug ``unknown-division``) naming ``field``."""
    division = get(code)
    if division is None:
        raise Unprocessable(
            f"{code!r} is not a GB/T 2260 administrative-division code (list of {REVISION})",
            field=field,
            slug="unknown-division",
        )
    return division


def name(code: str) -> str | None:
    """The division's own name (石家庄市), or None for an unknown code."""
    division = get(code)
    return division.name if division else None


def parent(code: str) -> str | None:
    """The code of the enclosing division (county → city, or province when there is no
    city; city → province; province → None). None for an unknown code."""
    division = get(code)
    if division is None or division.level == "province":
        return None
    if division.level == "county":
        city = code[:4] + "00"
        if city in _table():
            return city
    return code[:2] + "0000"


def chain(code: str) -> list[Division]:
    """``code`` and its ancestors, nearest first: county → city → province. Empty when unknown."""
    out: list[Division] = []
    current: str | None = code
    while current is not None:
        division = get(current)
        if division is None:
            break
        out.append(division)
        current = parent(current)
    return out


def full_name(code: str) -> str:
    """Province + city + county names (河北省石家庄市长安区); empty for an unknown code."""
    return "".join(d.name for d in reversed(chain(code)))


def province_of(code: str) -> str | None:
    """The province code (``130000`` for any Hebei code), or None for an unknown code."""
    links = chain(code)
    return links[-1].code if links else None


def within(code: str, jurisdiction: str) -> bool:
    """True when ``code`` is ``jurisdiction`` or lies inside it (a Hebei county is within
    130000 and within its city); False when either code is unknown."""
    if get(jurisdiction) is None:
        return False
    return any(d.code == jurisdiction for d in chain(code))


def nearest(code: str, candidates: set[str] | frozenset[str]) -> str | None:
    """Of ``candidates`` (division codes), the nearest ancestor-or-self of ``code``; None
    when none encloses it. "The authority where X is registered" is the authority whose
    division this returns (HEB-01, HEB-06)."""
    for division in chain(code):
        if division.code in candidates:
            return division.code
    return None


def children(code: str) -> list[Division]:
    """The divisions whose parent is ``code`` (a province's cities and direct counties, a
    city's counties), ordered by code."""
    return [d for c, d in sorted(_table().items()) if c != code and parent(c) == code]


def accept_requested(org: dict[str, Any], requested: str | None) -> dict[str, Any]:
    """``org`` (the authority of the jurisdiction) unless the applicant named another one:
    422 ``wrong-authority`` naming ``authority_org_id`` then."""
    if requested and requested != org["_id"]:
        raise Unprocessable(f"this application goes to {org.get('name') or org['_id']} (the authority of its "
                            f"jurisdiction), not to {requested}", field="authority_org_id",
                            slug="wrong-authority")
    return org


def authority_for(code: str, authorities: list[dict[str, Any]], *, requested: str | None = None,
                  preferred: str | None = None, field: str = "authority_org_id") -> dict[str, Any]:
    """The authority (an organisation document with ``_id``, ``kind`` and ``division_code``) of
    ``authorities`` with jurisdiction over ``code``: THE rule of "where" (HEB-04, HEB-06/07/14).

    The one whose ``division_code`` is the nearest ancestor-or-self of ``code``; at that code
    ``preferred`` (e.g. the project's own station) first, then an ``authority`` before a
    ``station``. ``requested`` (what the applicant named, optional) must be that one, else 422
    ``wrong-authority``; when several tie the applicant must name one of them (422
    ``authority-ambiguous`` listing them); none enclosing ``code`` → 422
    ``no-authority-for-division``. Each problem names ``field``."""
    by_code: dict[str, list[dict[str, Any]]] = {}
    for org in authorities:
        if isinstance(org.get("division_code"), str):
            by_code.setdefault(org["division_code"], []).append(org)
    found = nearest(code, frozenset(by_code))
    if found is None:
        raise Unprocessable(f"no authority of this province has jurisdiction over division {code}",
                            field=field, slug="no-authority-for-division")

    def rank(o: dict[str, Any]) -> tuple[bool, bool]:
        return (o["_id"] != preferred, o.get("kind") != "authority")

    best = min(rank(o) for o in by_code[found])
    tied = [o for o in by_code[found] if rank(o) == best]
    if len(tied) > 1:  # several authorities of one division: the applicant picks one of them
        chosen = [o for o in tied if o["_id"] == requested]
        choices = ", ".join(sorted(o["_id"] for o in tied))
        if requested and not chosen:  # a named authority without jurisdiction is wrong, not ambiguous
            raise Unprocessable(f"this application goes to one of the authorities of division {found} "
                                f"({choices}), not to {requested}", field=field, slug="wrong-authority")
        if not chosen:
            raise Unprocessable(f"{len(tied)} authorities have jurisdiction over division {found}: choose one of "
                                f"{choices} ({field})", field=field, slug="authority-ambiguous")
        return chosen[0]
    if requested and requested != tied[0]["_id"]:
        raise Unprocessable(f"this application goes to {tied[0].get('name') or tied[0]['_id']} (the authority of "
                            f"its jurisdiction), not to {requested}", field=field, slug="wrong-authority")
    return tied[0]
