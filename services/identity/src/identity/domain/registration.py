"""Company self-registration rules (HEB-01): states, who reviews, when a review is overdue.

Pure (no I/O). A registration is ``pending`` until the authority of its division enables
it (→ ``enabled``: the organisation and its administrator exist) or refuses it with a
reason (→ ``refused``; the company may register again). A pending review older than
``REVIEW_DUE`` is overdue on the authority's to-do list.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from anjian_shared import divisions
from anjian_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from anjian_shared.principal import Principal, Role

REVIEW_DUE = timedelta(hours=24)
"""HEB-01: companies are enabled within 24 h after review; older pending ones are overdue."""

PENDING, ENABLED, REFUSED = "pending", "enabled", "refused"
STATUSES = (PENDING, ENABLED, REFUSED)

TENANT_PROVINCE = {
    "hubei": "420000",
    "hainan": "460000",
    "fujian": "350000",
    "hunan": "430000",
    "hebei": "130000",
}
"""The GB/T 2260 province of each tenant (the province office's division)."""

REVIEWER_ROLES = (Role.PROVINCE_ADMIN, Role.STATION_LEADER)
"""Who in an authority enables or refuses registrations."""


def check_division(code: str, *, tenant: str, in_province: bool) -> divisions.Division:
    """The company's division: a known GB/T 2260 code (422 ``unknown-division``), inside the
    tenant's province for a local company and outside it for an out-of-province one (422
    ``division-outside-province`` / ``division-inside-province``, field ``division_code``)."""
    division = divisions.require(code, field="division_code")
    inside = divisions.within(code, TENANT_PROVINCE.get(tenant, ""))
    if in_province and not inside:
        raise Unprocessable("a company of this province needs a division code inside it",
                            field="division_code", slug="division-outside-province")
    if not in_province and inside:
        raise Unprocessable("an out-of-province company is registered outside this province",
                            field="division_code", slug="division-inside-province")
    return division


def review_division(doc: Mapping[str, Any]) -> str:
    """The division the registration is reviewed in: the company's own, or — for an
    out-of-province company — the province office's (it enters the province there)."""
    return doc["division_code"] if doc.get("in_province", True) else doc["province_code"]


def may_review(actor: Principal, actor_division: str | None, doc: Mapping[str, Any]) -> bool:
    """An authority's reviewer (province admin or leader) sees and decides registrations
    within its division (the province office: all of its province); a platform admin of
    the tenant too. Anyone else: not at all."""
    if actor.has(Role.PLATFORM_ADMIN):
        return True
    if actor.org_kind != "authority" or not actor.has(*REVIEWER_ROLES) or not actor_division:
        return False
    return divisions.within(review_division(doc), actor_division)


def check_may_decide(actor: Principal, actor_division: str | None, doc: Mapping[str, Any] | None) -> None:
    """404 when the actor may not see it (another authority's, another tenant's), 409
    ``registration-already-decided`` when it is no longer pending."""
    if doc is None or not may_review(actor, actor_division, doc):
        raise NotFound("no such company registration for you", slug="registration-not-found")
    if doc["status"] != PENDING:
        raise Conflict(f"the registration is already {doc['status']}",
                       slug="registration-already-decided")


def check_may_list(actor: Principal) -> None:
    """Only authorities' reviewers (and platform admins) have a registration to-do list (403)."""
    if actor.has(Role.PLATFORM_ADMIN):
        return
    if actor.org_kind != "authority" or not actor.has(*REVIEWER_ROLES):
        raise Forbidden("only an authority's reviewers see company registrations",
                        slug="not-registration-reviewer")


def check_refusal_reason(reason: str | None) -> str:
    """A refusal needs a reason the applicant can act on (422, field ``reason``)."""
    if not reason or not reason.strip():
        raise Unprocessable("say why the registration is refused", field="reason",
                            slug="reason-required")
    return reason.strip()


def is_overdue(doc: Mapping[str, Any], now: datetime) -> bool:
    """A pending registration submitted more than ``REVIEW_DUE`` ago."""
    return doc["status"] == PENDING and now - doc["submitted_at"] > REVIEW_DUE
