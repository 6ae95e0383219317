"""HEB-11 company personnel (三类人员, special-operations personnel) as other services see them:
THE check of a person an application names, against personnel's snapshot of that person
(``personnel.company_person.saved.v1``, kept by each service's read model). Equipment checks
operators and installation workers with it (HEB-07/14), projects the contractor's B and C of
a safety-supervision filing (HEB-04). Pure: no I/O, domain errors only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from .errors import NotYetAvailable, Unprocessable


def check_company_person(field: str, person_id: str, person: Mapping[str, Any] | None, *,
                         categories: frozenset[str], needs: str, today: date,
                         company_org_id: str | None = None, of_contractor: bool = False) -> None:
    """Each refusal names ``field`` (e.g. ``form.operators.0.person_id``):

    - unknown here → ``NotYetAvailable`` (409 + Retry-After ``person-not-yet-known``: the person
      was entered just now, or does not exist — retryable, never a permanent refusal);
    - of another company than ``company_org_id`` (when given) → 422 ``person-of-another-company``
      (``person-not-of-contractor`` with ``of_contractor``: the project's contractor is meant);
    - removed by the company → 422 ``person-removed``;
    - certificate of a category not in ``categories`` → 422 ``certificate-category-mismatch``
      (``needs`` says who needs it, e.g. "a 司机");
    - certificate expired (``expires_on`` before ``today``) → 422 ``certificate-expired``
      (建质〔2008〕75号: renewed every 2 years)."""
    if person is None:
        raise NotYetAvailable(f"{field}: person {person_id} has not reached this service yet (or does not "
                              "exist); retry shortly", field=field, slug="person-not-yet-known", retry_after=2)
    if company_org_id is not None and person.get("company_org_id") != company_org_id:
        if of_contractor:
            raise Unprocessable(f"{person.get('name')} is not personnel of the contractor (施工单位): the contractor "
                                "enters its people first (单位人员录入)", field=field, slug="person-not-of-contractor")
        raise Unprocessable(f"{person.get('name')} is not in your company's personnel (单位人员录入)", field=field,
                            slug="person-of-another-company")
    if person.get("removed"):
        raise Unprocessable(f"{person.get('name')} was removed from the company's personnel", field=field,
                            slug="person-removed")
    if person.get("category") not in categories:
        raise Unprocessable(f"{person.get('name')} holds a {person.get('category')} certificate; {needs} needs "
                            f"{' or '.join(sorted(categories))}", field=field,
                            slug="certificate-category-mismatch")
    expires = person.get("expires_on")
    if expires is not None and date.fromisoformat(str(expires)) < today:
        raise Unprocessable(f"the certificate of {person.get('name')} expired on {expires} (建质〔2008〕75号: "
                            "renewed every 2 years)", field=field, slug="certificate-expired")
