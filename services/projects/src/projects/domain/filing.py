"""Online project filing (网上报监, HN-01): rules only, no I/O.

The owner (建设单位) files the project online with its parties (施工/监理单位) and their
personnel; the local supervision station accepts it (受理) and assigns its supervisors — only
then does the project exist and its parties' people get access as participants — or returns it
with a reason (退回) for the owner to correct and resubmit, or does not accept it (不予受理).

The lifecycle is the platform's application block (``anjian_shared.applications``, kind
``project_filing``)::

    draft ──submit──▶ submitted ──accept (+ supervisors)──▶ accepted  → the project is registered
      ▲  edit           │  └──not_accept (reason)──▶ not_accepted
    returned ◀──return (reason)──┘

Who: a user of a company holding the company role ``owner`` files, edits and submits (the
applicant organisation); the supervisors and leaders of the station the filing is addressed
to decide. Anybody else sees nothing (404). Which ways a province allows is the tenant policy:
``online_filing`` (this flow) and ``direct_registration`` (the station registers directly).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anjian_shared.applications import Actor, Application
from anjian_shared.errors import Forbidden, Unprocessable
from anjian_shared.principal import Principal, Role

FILING_KIND = "project_filing"
"""The application kind of an online filing."""

DECIDER_ROLES: tuple[str, ...] = (Role.SUPERVISOR.value, Role.STATION_LEADER.value)
FILING_DECISIONS: tuple[str, ...] = ("accept", "return", "not_accept")


def actor_of(principal: Principal) -> Actor:
    """HN-01: the application block's actor for ``principal``."""
    return Actor(user_id=principal.user_id, org_id=principal.org_id, name=principal.name)


def ensure_owner(principal: Principal, org: Mapping[str, Any] | None) -> None:
    """HN-01: only a user of an owner company (建设单位: a company holding the role ``owner``)
    files a project online; 403 ``not-an-owner`` otherwise."""
    if principal.org_kind not in ("", "company") or org is None or org.get("kind") != "company" \
            or "owner" not in org.get("company_roles", []):
        raise Forbidden("only the owner (建设单位) files a project online (网上报监)", slug="not-an-owner")


def ensure_station_decider(principal: Principal) -> None:
    """HN-01: a station's supervisors and leaders decide filings (403 ``role-required``)."""
    if principal.org_kind not in ("", "station") or not principal.has(*DECIDER_ROLES):
        raise Forbidden("only the supervisors and leaders of the station decide a filing", slug="role-required")


def can_see(app: Application, principal: Principal) -> bool:
    """HN-01: the applicant organisation always; the addressed station once submitted."""
    return principal.org_id == app.applicant.org_id or (
        app.authority_org_id is not None and principal.org_id == app.authority_org_id)


def visibility_filter(principal: Principal) -> dict[str, Any]:
    """The MongoDB filter equivalent to ``can_see``."""
    return {"$or": [{"applicant.org_id": principal.org_id}, {"authority_org_id": principal.org_id}]}


def check_station(org: Mapping[str, Any] | None) -> None:
    """HN-01: the filing is addressed to a supervision station of the tenant (422 ``station_org_id``)."""
    if org is None or org.get("kind") != "station":
        raise Unprocessable("not a supervision station of this province", field="station_org_id")


def form_of(data: Mapping[str, Any], owner_org_id: str) -> dict[str, Any]:
    """HN-01: the stored form: the filed fields with the filer's organisation as the owner."""
    return {"name": data["name"], "address": data["address"], "station_org_id": data["station_org_id"],
            "owner_org_id": owner_org_id, "contractor_org_id": data["contractor_org_id"],
            "supervision_org_id": data["supervision_org_id"],
            "participants": [dict(p) for p in data.get("participants", [])]}


def decision(action: str, supervisor_user_ids: list[str] | None) -> list[str]:
    """HN-01: an accepted filing names 1..50 supervisors of the station (422
    ``supervisor_user_ids``); ``action`` is accept | return | not_accept (422 ``action``)."""
    if action not in FILING_DECISIONS:
        raise Unprocessable(f"action: one of {', '.join(FILING_DECISIONS)}", field="action")
    ids = list(dict.fromkeys(u.strip() for u in supervisor_user_ids or [] if u.strip()))
    if action == "accept" and not 1 <= len(ids) <= 50:
        raise Unprocessable("accepting a filing assigns 1..50 supervisors of the station",
                            field="supervisor_user_ids")
    return ids
