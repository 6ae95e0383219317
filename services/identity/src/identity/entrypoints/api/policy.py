"""The tenant policy over HTTP: ``/api/identity/v1/tenants/{tenant}/policy`` (PLAT-01; the
switches of HN-03/04..06/07..09/11 and the upload limits)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.mongo import Mongo
from anjian_shared.pagination import Cursor, Limit
from anjian_shared.tenant_policy import FEATURES, LIMITS, SETTINGS, TenantPolicy, TenantPolicyPatch

from ...service_layer import policy as policy_service

router = APIRouter(tags=["tenant policy"])

TenantPath = Annotated[
    str,
    Path(
        max_length=40,
        description="the province, e.g. hainan (an unknown one: 404)",
        examples=["hainan"],
    ),
]


class _Entry(BaseModel):
    is_default: bool = Field(
        description="true: the administrator has not set it; the default applies"
    )
    requirement: str = Field(description="the requirement(s) it serves, e.g. HN-04..HN-06")
    description: str
    service: str = Field(description="the service that honours it")
    default_env: str = Field(
        description="environment variable(s) with which an operator sets that service's default"
    )


class FeatureRead(_Entry):
    value: bool
    default: bool = Field(description="the platform default")


class LimitRead(_Entry):
    value: int
    default: int = Field(description="the platform default")
    unit: str
    minimum: int = Field(description="smallest value an administrator may set")
    maximum: int = Field(description="largest value an administrator may set")


class SettingRead(_Entry):
    value: str
    default: str = Field(description="the platform default for this province")
    pattern: str = Field(description="what a value must match (regular expression)")


class TenantPolicyRead(BaseModel):
    """The effective policy of a province: every feature, limit and setting with its value and
    whether it is the default. Defaults shown are the platform's; a service's operator may set
    other defaults through the named environment variables."""

    tenant: str
    version: int = Field(description="0 until the administrator first changes it; +1 per change")
    updated_at: datetime | None = None
    updated_by: str | None = None
    features: dict[str, FeatureRead]
    limits: dict[str, LimitRead]
    settings: dict[str, SettingRead]


class AuditChange(BaseModel):
    field: str = Field(examples=["limits.photo_max_bytes"])
    old: Any = Field(description="the administrator's previous value; null: it was at the default")
    new: Any = Field(description="the new value; null: back to the default")


class PolicyAuditRead(BaseModel):
    """One change of the policy: who, when, what (old → new), from where."""

    id: str
    version: int = Field(description="the policy version this change produced")
    at: datetime
    actor_id: str
    actor_name: str
    actor_roles: list[str]
    changes: list[AuditChange]
    address: str | None = Field(default=None, description="peer address the service saw")
    forwarded_for: str | None = Field(default=None, description="X-Forwarded-For as received")
    request_id: str | None = None
    user_agent: str | None = None
    prev_hash: str = Field(description="hash of the previous entry (64 zeros for the first)")
    hash: str = Field(description="SHA-256 over prev_hash and this entry (tamper evidence)")


class PolicyAuditPage(BaseModel):
    items: list[PolicyAuditRead]
    next_cursor: str | None = None


def policy_read(policy: TenantPolicy) -> TenantPolicyRead:
    d = policy.defaults

    def common(section: str, spec: Any) -> dict[str, Any]:
        return {
            "is_default": policy.is_default(section, spec.name),  # type: ignore[arg-type]
            "requirement": spec.requirement,
            "description": spec.description,
            "service": spec.service,
            "default_env": spec.env,
        }

    return TenantPolicyRead(
        tenant=policy.tenant,
        version=policy.version,
        updated_at=policy.overrides.updated_at,
        updated_by=policy.overrides.updated_by,
        features={
            n: FeatureRead(value=policy.enabled(n), default=d.features[n], **common("features", s))
            for n, s in FEATURES.items()
        },
        limits={
            n: LimitRead(
                value=policy.limit(n),
                default=d.limits[n],
                unit=s.unit,
                minimum=s.minimum,
                maximum=s.maximum,
                **common("limits", s),
            )
            for n, s in LIMITS.items()
        },
        settings={
            n: SettingRead(
                value=policy.setting(n),
                default=d.settings[n],
                pattern=s.pattern,
                **common("settings", s),
            )
            for n, s in SETTINGS.items()
        },
    )


def _mongo(request: Request) -> Mongo:
    return request.app.state.mongo


def _origin(request: Request) -> policy_service.RequestOrigin:
    return policy_service.RequestOrigin(
        address=request.client.host if request.client else None,
        forwarded_for=request.headers.get("x-forwarded-for"),
        request_id=structlog.contextvars.get_contextvars().get("request_id")
        or request.headers.get("x-request-id"),
        user_agent=(request.headers.get("user-agent") or "")[:200] or None,
    )


@router.get("/tenants/{tenant}/policy", response_model=TenantPolicyRead)
async def get_tenant_policy(
    tenant: TenantPath, principal: CurrentPrincipal, request: Request
) -> TenantPolicyRead:
    """The province's effective policy: feature switches (HN-03, HN-04..06, HN-07..09, HN-11),
    limits in bytes, text settings — each with its value, default and ``is_default``.

    Province (or platform) administrator of ``tenant`` only: 403 ``not-policy-admin`` for
    other users of the province, 404 for another province."""
    policy = await policy_service.get_policy(mongo=_mongo(request), actor=principal, tenant=tenant)
    return policy_read(policy)


@router.patch(
    "/tenants/{tenant}/policy",
    response_model=TenantPolicyRead,
    responses={
        422: {
            "description": "an unknown name or a value out of bounds (``field`` "
            "names it, e.g. ``limits.photo_max_bytes``)"
        }
    },
)
async def patch_tenant_policy(
    tenant: TenantPath, body: TenantPolicyPatch, principal: CurrentPrincipal, request: Request
) -> TenantPolicyRead:
    """Change the province's policy (JSON merge patch, RFC 7396): ``{"features":
    {"supervision_records": false}, "limits": {"photo_max_bytes": 614400}, "settings":
    {"notice_abbreviation": "琼"}}``; ``null`` returns a name to its default.

    Stores the values with ``version`` +1, writes an audit entry (who, when, old → new, from
    which address, request id) and publishes ``identity.tenant_policy.updated.v1`` in one
    transaction; the services apply it as soon as the event arrives. A patch that changes
    nothing changes no version. Accepts ``Idempotency-Key``. 403/404 as for GET; 422 for an
    unknown name or a value outside its bounds, naming the field."""
    policy = await policy_service.update_policy(
        mongo=_mongo(request), actor=principal, tenant=tenant, patch=body, origin=_origin(request)
    )
    return policy_read(policy)


@router.get("/tenants/{tenant}/policy/audit", response_model=PolicyAuditPage)
async def list_tenant_policy_audit(
    tenant: TenantPath,
    principal: CurrentPrincipal,
    request: Request,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> PolicyAuditPage:
    """The policy's audit trail, newest first: who changed what (old → new), when, from where.
    Same access as GET of the policy."""
    docs, nxt = await policy_service.list_policy_audit(
        mongo=_mongo(request), actor=principal, tenant=tenant, limit=limit, cursor=cursor
    )
    return PolicyAuditPage(
        items=[
            PolicyAuditRead(
                id=d["_id"],
                version=d["seq"],
                at=d["created_at"],
                **{
                    k: d.get(k)
                    for k in (
                        "actor_id",
                        "actor_name",
                        "actor_roles",
                        "changes",
                        "address",
                        "forwarded_for",
                        "request_id",
                        "user_agent",
                        "prev_hash",
                        "hash",
                    )
                },
            )
            for d in docs
        ],
        next_cursor=nxt,
    )
