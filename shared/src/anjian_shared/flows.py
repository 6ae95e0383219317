"""Business-process help (业务流程, HUN-22), generated from the workflow the code runs.

Every application flow of the Hunan agencies and the account flows (HN-01) runs the one
lifecycle of ``anjian_shared.applications``; its steps are that module's
:data:`~anjian_shared.applications.TRANSITIONS` (checked against ``Application``'s methods by a
unit test). :data:`FLOWS` says, per application kind, who takes the applicant's and the
authority's part (organisation kind and the permission, ``anjian_shared.permissions``);
:func:`describe` joins the two and marks the steps the caller takes part in. No prose is
written by hand here but the names of the parties.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .applications import STAGE_LABELS, TRANSITIONS
from .principal import Principal


class Party(BaseModel):
    """Who acts in one part (applicant or authority) of a flow."""

    name: str
    """The party in the manual's terms, e.g. 监督机构 or 省级主管部门."""
    org_kinds: tuple[str, ...]
    """Organisation kinds acting in this part (``authority``, ``agency`` …)."""
    permission: str | None
    """The permission needed (None: acts without an account, e.g. a bureau's filing)."""


class Flow(BaseModel):
    """One application flow (事项) the platform runs."""

    kind: str
    title: str
    requirement: str
    service: str
    applicant: Party
    authority: Party
    omits: tuple[str, ...] = ()
    """Actions of the lifecycle this kind doesn't offer (e.g. a bureau filing is not edited,
    returned or deleted): left out of its steps, and refused by its service."""


_AGENCY = Party(name="监督机构", org_kinds=("agency",), permission="certificates.apply")
_OFFICE = Party(name="省级主管部门", org_kinds=("authority",), permission="certificates.decide")

FLOWS: tuple[Flow, ...] = (
    Flow(kind="cert_change", title="证书变更", requirement="HUN-10", service="personnel",
         applicant=_AGENCY, authority=_OFFICE),
    Flow(kind="cert_cancellation", title="证书注销", requirement="HUN-11", service="personnel",
         applicant=_AGENCY, authority=_OFFICE),
    Flow(kind="cert_reissue", title="证书补办", requirement="HUN-12", service="personnel",
         applicant=_AGENCY, authority=_OFFICE),
    Flow(kind="user", title="用户申请", requirement="HUN-20", service="identity",
         applicant=Party(name="监督机构", org_kinds=("agency",), permission="users.apply"),
         authority=Party(name="省级主管部门", org_kinds=("authority",), permission="users.decide"),
         omits=("edit",)),
    Flow(kind="permission", title="权限申请", requirement="HUN-21", service="identity",
         applicant=Party(name="用户所在单位", org_kinds=("agency", "station", "authority", "company"),
                         permission="permissions.apply"),
         authority=Party(name="省级主管部门", org_kinds=("authority",), permission="permissions.decide"),
         omits=("edit",)),
    Flow(kind="bureau_filing", title="住建局人员账号备案", requirement="HN-01", service="identity",
         applicant=Party(name="住建局人员（无需登录）", org_kinds=(), permission=None),
         authority=Party(name="省级主管部门", org_kinds=("authority",), permission="users.decide"),
         omits=("edit", "return", "delete")),
)
"""The application kinds with their parties; the steps come from ``TRANSITIONS``."""


def takes_part(party: Party, principal: Principal | None) -> bool:
    """Whether ``principal`` acts in ``party``'s part: an organisation of one of its kinds
    holding its permission."""
    if principal is None or party.permission is None:
        return False
    return principal.org_kind in party.org_kinds and principal.can(party.permission)


def describe(flow: Flow, principal: Principal | None = None) -> dict[str, Any]:
    """HUN-22: ``flow`` with its ``states`` (stage and label) and ``steps`` (action, label, who,
    from-stages, to-stage, ``takes_part`` for ``principal``) as the lifecycle defines them."""
    steps = []
    for t in TRANSITIONS:
        if t.action in flow.omits:
            continue
        party = flow.applicant if t.by == "applicant" else flow.authority
        steps.append({
            "action": t.action, "label": t.label, "by": t.by, "party": party.name,
            "permission": party.permission,
            "from_stages": [s.value for s in t.from_stages],
            "to_stage": t.to_stage.value if t.to_stage else None,
            "takes_part": takes_part(party, principal)})
    return {**flow.model_dump(mode="json"),
            "states": [{"stage": s.value, "label": label} for s, label in STAGE_LABELS.items()],
            "steps": steps, "takes_part": any(s["takes_part"] for s in steps)}


def flow_of(kind: str) -> Flow | None:
    """The flow of an application kind, or None."""
    return next((f for f in FLOWS if f.kind == kind), None)


def offered(kind: str, action: str) -> bool:
    """Whether the flow of ``kind`` offers ``action`` (not in its ``omits``)."""
    flow = flow_of(kind)
    return flow is None or action not in flow.omits
