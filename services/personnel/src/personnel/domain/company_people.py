"""Company personnel rules (HEB-11): categories, certificate validity, who manages whom.

三类人员 (住建部令第17号, 2014): A principal, B project leader, C1/C2/C3 full-time safety
officer; a certificate is valid 3 years. Special-operations personnel (建质〔2008〕75号):
building electrician, scaffolder, crane signaller/rigger, crane driver, crane
installation/dismantling worker, suspended-platform installer; valid 2 years. An expired
certificate cannot be picked for an application (regulations.md).
"""

from __future__ import annotations

from datetime import date

from anjian_shared.errors import Forbidden, NotFound, Unprocessable
from anjian_shared.principal import Principal, Role

SAFETY_STAFF = {"A": "主要负责人", "B": "项目负责人", "C1": "专职安全生产管理人员（机械）",
                "C2": "专职安全生产管理人员（土建）", "C3": "专职安全生产管理人员（综合）"}
SPECIAL_OPERATIONS = {"electrician": "建筑电工", "scaffolder": "建筑架子工",
                      "signaller_rigger": "建筑起重信号司索工", "crane_driver": "建筑起重机械司机",
                      "crane_installer": "建筑起重机械安装拆卸工", "platform_installer": "高处作业吊篮安装拆卸工"}
CATEGORIES = {**SAFETY_STAFF, **SPECIAL_OPERATIONS}
VALID_YEARS = {**dict.fromkeys(SAFETY_STAFF, 3), **dict.fromkeys(SPECIAL_OPERATIONS, 2)}


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def expiry(category: str, issued_on: date) -> date:
    """Last valid day: issued + 3 years (三类人员) or 2 years (特种作业) − 1 day."""
    from datetime import timedelta
    return _add_years(issued_on, VALID_YEARS[category]) - timedelta(days=1)


def check_certificate(category: str, issued_on: date, expires_on: date | None, today: date) -> date:
    """The certificate's expiry: given (not after the category's limit) or computed. 422
    naming ``category`` (unknown), ``issued_on`` (in the future), ``expires_on`` (before
    issue or longer than the rules allow)."""
    if category not in CATEGORIES:
        raise Unprocessable(f"unknown category {category!r}", field="category", slug="unknown-category")
    if issued_on > today:
        raise Unprocessable("a certificate cannot be issued in the future", field="issued_on")
    limit = expiry(category, issued_on)
    if expires_on is None:
        return limit
    if expires_on < issued_on or expires_on > limit:
        raise Unprocessable(f"a {category} certificate is valid {VALID_YEARS[category]} years from issue "
                            f"(until {limit.isoformat()} at most)", field="expires_on",
                            slug="certificate-validity-too-long")
    return expires_on


def is_valid_on(person: dict, day: date) -> bool:
    """True when the person's certificate covers ``day`` (issue ≤ day ≤ expiry)."""
    return date.fromisoformat(person["issued_on"]) <= day <= date.fromisoformat(person["expires_on"])


def check_may_manage(actor: Principal, company_org_id: str) -> None:
    """A company's administrator manages its own people; another company's are 404
    (they are not shown to exist); a company user without the admin role is 403."""
    if actor.org_kind != "company" or actor.org_id != company_org_id:
        raise NotFound("no such person for you", slug="person-not-found")
    if not actor.has(Role.COMPANY_ADMIN):
        raise Forbidden("only the company administrator manages its personnel", slug="not-company-admin")


def check_may_read(actor: Principal, company_org_id: str) -> None:
    """The company's own users and government staff read a company's people; others 404."""
    if actor.org_kind in ("authority", "station", "agency"):
        return
    if actor.org_id != company_org_id:
        raise NotFound("no such person for you", slug="person-not-found")


def check_pickable(person: dict, day: date) -> None:
    """An expired (or not yet valid) certificate cannot be picked (422 ``certificate-expired``)."""
    if not is_valid_on(person, day):
        raise Unprocessable(f"the certificate {person['certificate_number']} of {person['name']} is not "
                            f"valid on {day.isoformat()} (expires {person['expires_on']})",
                            field="person_id", slug="certificate-expired")
