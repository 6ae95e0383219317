"""Tenant policy: per-province feature switches, limits and text settings, in one object.

A province (tenant) has features switched on or off (Hainan's flows: positioning HN-03,
attendance HN-11, supervision records HN-04..06, enforcement documents HN-07..09), limits
(largest photo, video, attachment … in bytes; the shortest password in characters) and a few
text settings (the one-character abbreviation that starts notice numbers). Every name is in a registry below
(``FEATURES``, ``LIMITS``, ``SETTINGS``) with its requirement id, unit, default and bounds.

Where a value comes from, lowest to highest:

1. the registry default (``FeatureSpec.default``, ``LimitSpec.default`` …);
2. the service's settings (environment variables such as ``ANJIAN_PHOTO_MAX_BYTES_PER_TENANT``,
   kept working as they were): the service passes them as ``PolicyDefaults``;
3. the province administrator's value, set over identity's API
   (``PATCH /api/identity/v1/tenants/{tenant}/policy``). identity owns the policy and
   publishes ``identity.tenant_policy.updated.v1`` (the administrator's values + ``version``);
   each service keeps them in its read model ``tenant_policy`` (``policy_subscription()``,
   applied with ``read_models.apply_snapshot``: an older snapshot never overwrites a newer).

A few limits are also capped by a platform ceiling the service passes in ``PolicyDefaults.
ceilings`` (e.g. ``max_upload_bytes``): the effective limit is the smaller of the two.

One loader everywhere::

    policy = await tenant_policy(mongo, tenant, settings)   # settings.policy_defaults(tenant)
    ensure_enabled(policy, "supervision_records")            # 403 feature-disabled
    max_bytes = policy.limit("photo_max_bytes")

No HTTP, no MongoDB driver here: the loader reads through the unit-of-work factory's
tenant-scoped repository (or a unit of work's, inside a consumer).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, create_model

from .errors import Forbidden
from .read_models import read_model

POLICY_COLLECTION = "tenant_policy"
"""A service's read model of the administrators' values: one document per tenant, ``_id`` =
the tenant code: ``{features, limits, settings, version, updated_at, updated_by}`` plus the
read-model bookkeeping of ``apply_snapshot`` (``source_version``, ``source_time``)."""

POLICY_UPDATED = "identity.tenant_policy.updated.v1"

KiB = 1024
MiB = 1024 * KiB

Section = Literal["features", "limits", "settings"]
SECTIONS: tuple[Section, ...] = ("features", "limits", "settings")


# ------------------------------------------------------------------------------ the registry


@dataclass(frozen=True)
class FeatureSpec:
    """A switchable flow. ``default``: on unless a service's settings or the administrator
    say otherwise. ``service``: which service honours it; ``env``: its default's variable."""

    name: str
    requirement: str
    description: str
    service: str
    env: str
    default: bool = True


@dataclass(frozen=True)
class LimitSpec:
    """A number with a unit, a default and the bounds an administrator may set it within."""

    name: str
    requirement: str
    description: str
    service: str
    env: str
    default: int
    minimum: int
    maximum: int
    unit: str = "bytes"
    tenant_defaults: Mapping[str, int] = field(default_factory=dict)
    """A different registry default for some provinces (e.g. Hebei's 600 KB attachments)."""

    def default_for(self, tenant: str) -> int:
        """The registry default of ``tenant`` (its own one where the registry names it)."""
        return self.tenant_defaults.get(tenant, self.default)


@dataclass(frozen=True)
class SettingSpec:
    """A short text per tenant; ``pattern`` is what an administrator's value must match."""

    name: str
    requirement: str
    description: str
    service: str
    env: str
    defaults: Mapping[str, str]
    pattern: str
    max_length: int

    def default_for(self, tenant: str) -> str:
        return self.defaults.get(tenant, "")


FEATURES: dict[str, FeatureSpec] = {
    f.name: f
    for f in (
        FeatureSpec(
            "positioning",
            "HN-03",
            "project positioning (工程定位) with cover photo and history",
            "projects",
            "ANJIAN_POSITIONING_TENANTS",
        ),
        FeatureSpec(
            "attendance",
            "HN-11",
            "key-personnel attendance (关键岗位人员到岗监督): clock-ins and checks",
            "projects",
            "ANJIAN_ATTENDANCE_TENANTS",
        ),
        FeatureSpec(
            "online_filing",
            "HN-01",
            "online project filing (网上报监): the owner files the project with its parties and personnel, "
            "the local station accepts it (or returns it) and assigns supervisors",
            "projects",
            "ANJIAN_ONLINE_FILING_TENANTS",
        ),
        FeatureSpec(
            "supervision_filing",
            "HEB-04, HEB-05, HEB-08",
            "Hebei's safety-supervision filing (安全监督备案) by the owner to the station of the project's "
            "division, then the comprehensive evaluation (综合评定) and civilized-site (文明工地) applications",
            "projects",
            "ANJIAN_SUPERVISION_FILING_TENANTS",
        ),
        FeatureSpec(
            "direct_registration",
            "HB-02, HN-01",
            "a station registers a project directly (报监受理 by the station, Hubei's way)",
            "projects",
            "ANJIAN_DIRECT_REGISTRATION_TENANTS",
        ),
        FeatureSpec(
            "supervision_records",
            "HN-04..HN-06",
            "supervision records (监督上报) with review routing and their term/violation libraries",
            "inspections",
            "ANJIAN_SUPERVISION_RECORDS_ENABLED / ANJIAN_SUPERVISION_RECORDS_DEFAULT",
        ),
        FeatureSpec(
            "enforcement_documents",
            "HN-07..HN-09",
            "enforcement documents (处理文书) with replies, review and escalation",
            "notices",
            "ANJIAN_ENFORCEMENT_DOCUMENTS_ENABLED / ANJIAN_ENFORCEMENT_DOCUMENTS_DEFAULT",
        ),
        FeatureSpec(
            "verified_mobile_required",
            "HN-01",
            "every user is tied to a verified mobile number: a password sign-in without one gives a "
            "token that can only bind the number (403 mobile-not-verified elsewhere)",
            "identity",
            "ANJIAN_VERIFIED_MOBILE_TENANTS",
            default=False,
        ),
    )
}
"""Every feature switch a province has (name → spec)."""

LIMITS: dict[str, LimitSpec] = {
    s.name: s
    for s in (
        LimitSpec(
            "photo_max_bytes",
            "PLAT-01, HB-04, HN-04",
            "largest photo, signature or seal of an inspection result or supervision record",
            "inspections",
            "ANJIAN_PHOTO_MAX_BYTES[_PER_TENANT]",
            10 * MiB,
            KiB,
            50 * MiB,
        ),
        LimitSpec(
            "video_max_bytes",
            "HN-04",
            "largest video of a supervision record",
            "inspections",
            "ANJIAN_VIDEO_MAX_BYTES[_PER_TENANT]",
            30 * MiB,
            KiB,
            500 * MiB,
        ),
        LimitSpec(
            "audio_max_bytes",
            "HN-04",
            "largest audio clip of a supervision record",
            "inspections",
            "ANJIAN_AUDIO_MAX_BYTES[_PER_TENANT]",
            10 * MiB,
            KiB,
            100 * MiB,
        ),
        LimitSpec(
            "positioning_photo_max_bytes",
            "HN-03",
            "largest cover photo of a project positioning (never above the upload ceiling)",
            "projects",
            "ANJIAN_POSITIONING_PHOTO_MAX_BYTES[_PER_TENANT]",
            10 * MiB,
            KiB,
            50 * MiB,
        ),
        LimitSpec(
            "document_photo_max_bytes",
            "HN-08",
            "largest photo of a reply to an enforcement document (never above the upload ceiling)",
            "notices",
            "ANJIAN_DOCUMENT_PHOTO_MAX_BYTES[_PER_TENANT]",
            10 * MiB,
            KiB,
            50 * MiB,
            tenant_defaults={"hebei": 600 * KiB},  # HEB-10/HEB-17: 附件大小要求600Kb以内
        ),
        LimitSpec(
            "document_attachment_max_bytes",
            "HN-08",
            "largest attachment (PDF, DOCX …) of a reply to an enforcement document",
            "notices",
            "ANJIAN_DOCUMENT_ATTACHMENT_MAX_BYTES[_PER_TENANT]",
            20 * MiB,
            KiB,
            100 * MiB,
            tenant_defaults={"hebei": 600 * KiB},  # HEB-10/HEB-17: a rectification report's files
        ),
        LimitSpec(
            "conversation_photo_max_bytes",
            "HN-12",
            "largest photo of a conversation message (企业号会话; never above the upload ceiling)",
            "conversations",
            "(registry default only)",
            10 * MiB,
            KiB,
            50 * MiB,
        ),
        LimitSpec(
            "conversation_file_max_bytes",
            "HN-12",
            "largest file (PDF, DOCX, XLSX …) of a conversation message (never above the upload ceiling)",
            "conversations",
            "(registry default only)",
            10 * MiB,
            KiB,
            100 * MiB,
        ),
        LimitSpec(
            "application_attachment_max_bytes",
            "HEB-17",
            "largest attachment (certificate scan, PDF …) of an application (事项); Hebei: 600 KB",
            "equipment",
            "ANJIAN_APPLICATION_ATTACHMENT_MAX_BYTES[_PER_TENANT]",
            10 * MiB,
            KiB,
            50 * MiB,
            tenant_defaults={"hebei": 600 * KiB},
        ),
        LimitSpec(
            "announcement_file_max_bytes",
            "HEB-02",
            "largest file of an announcement (通知公告) or download (下载专区) an authority publishes",
            "reporting",
            "(registry default only; never above ANJIAN_MAX_UPLOAD_BYTES)",
            10 * MiB,
            KiB,
            100 * MiB,
        ),
        *(
            LimitSpec(
                name,
                "HEB-06",
                f"service life (JGJ/T 189) of {what} beyond which a filing needs a safety assessment",
                "equipment",
                "(registry default only)",
                years,
                1,
                50,
                unit="years",
            )
            for name, what, years in (
                ("tower_crane_life_years_small", "a tower crane under 630 kN·m", 10),
                ("tower_crane_life_years_medium", "a tower crane of 630 to under 1250 kN·m", 15),
                ("tower_crane_life_years_large", "a tower crane of 1250 kN·m and over", 20),
                ("hoist_sc_life_years", "an SC construction hoist", 8),
                ("hoist_ss_life_years", "an SS construction hoist", 5),
            )
        ),
        LimitSpec(
            "construction_log_photo_max_bytes",
            "HEB-09, HEB-17",
            "largest site photo of a construction log (施工日志; never above the upload ceiling); Hebei: 600 KB",
            "projects",
            "(registry default only)",
            10 * MiB,
            KiB,
            50 * MiB,
            tenant_defaults={"hebei": 600 * KiB},
        ),
        LimitSpec(
            "duty_site_radius_m",
            "HEB-16",
            "how far (metres) from the project's position a clock-in still counts as on site for the "
            "on-duty time (人员到岗履职)",
            "projects",
            "(registry default only)",
            500,
            10,
            5000,
            unit="metres",
        ),
        LimitSpec(
            "dynamic_score_threshold",
            "HUN-18",
            "approved dynamic-scoring points (动态考核记分) in a year at which a supervisor is flagged",
            "personnel",
            "(registry default only)",
            12,
            1,
            100,
            unit="points",
        ),
        LimitSpec(
            "self_inspection_period_days",
            "FJ-04..FJ-11",
            "五个一: a supervision company self-inspects each assessable project at least once in this "
            "many days; the stations list the projects without one",
            "inspections",
            "(registry default only)",
            30,
            1,
            366,
            unit="days",
        ),
        LimitSpec(
            "audit_retention_days",
            "PLAT-01, 网络安全法 art. 21",
            "how long audit-trail entries are kept (every service; never under six months)",
            "all",
            "(registry default only)",
            183,
            183,
            3650,
            unit="days",
        ),
        LimitSpec(
            "password_min_length",
            "HB-01, PLAT-01",
            "shortest password a user may set (create, change, reset); common passwords and ones "
            "containing the user name are refused at any length",
            "identity",
            "ANJIAN_PASSWORD_MIN_LENGTH",
            10,
            8,
            64,
            unit="characters",
        ),
    )
}
"""Every per-province limit (name → spec), in its ``unit`` (bytes unless it says years or characters)."""

SETTINGS: dict[str, SettingSpec] = {
    s.name: s
    for s in (
        SettingSpec(
            "notice_abbreviation",
            "HB-06, HN-07",
            "one-character province abbreviation that starts notice numbers (鄂建安告〔2026〕7号)",
            "notices",
            "ANJIAN_NOTICE_ABBREVIATIONS",
            {"hubei": "鄂", "hainan": "琼", "fujian": "闽", "hunan": "湘", "hebei": "冀"},
            pattern=r"^[\u4e00-\u9fff]$",
            max_length=1,
        ),
    )
}
"""Every per-province text setting (name → spec)."""


# ------------------------------------------------------------------------------ the values


class PolicyDefaults(BaseModel):
    """What a service's settings (environment) say for one tenant, before the administrator.

    Names left out fall back to the registry default. ``ceilings``: a platform cap per limit
    name (e.g. ``max_upload_bytes``); the effective limit never exceeds it.
    """

    features: dict[str, bool] = {}
    limits: dict[str, int] = {}
    settings: dict[str, str] = {}
    ceilings: dict[str, int] = {}


class PolicyOverrides(BaseModel):
    """The province administrator's values (only the names they set): the policy aggregate
    identity owns and publishes."""

    features: dict[str, bool] = {}
    limits: dict[str, int] = {}
    settings: dict[str, str] = {}
    version: int = 0
    updated_at: datetime | None = None
    updated_by: str | None = None

    def section(self, name: Section) -> dict[str, Any]:
        return getattr(self, name)


class TenantPolicy(BaseModel):
    """The effective policy of one tenant. Ask it ``enabled(feature)``, ``limit(name)``,
    ``setting(name)``; ``is_default(section, name)`` says whether the administrator left a
    value at its default. Unknown names raise ``KeyError`` (a programming error)."""

    model_config = ConfigDict(frozen=True)

    tenant: str
    features: dict[str, bool]
    limits: dict[str, int]
    settings: dict[str, str]
    defaults: PolicyDefaults
    """The defaults the values were computed from (registry + service settings, capped)."""
    overrides: PolicyOverrides

    def enabled(self, feature: str) -> bool:
        """Whether ``feature`` (a key of ``FEATURES``) is on for the tenant."""
        return self.features[_known(FEATURES, feature)]

    def limit(self, name: str) -> int:
        """The tenant's limit ``name`` (a key of ``LIMITS``), in its unit (bytes)."""
        return self.limits[_known(LIMITS, name)]

    def setting(self, name: str) -> str:
        """The tenant's text setting ``name`` (a key of ``SETTINGS``)."""
        return self.settings[_known(SETTINGS, name)]

    def is_default(self, section: Section, name: str) -> bool:
        return name not in self.overrides.section(section)

    @property
    def version(self) -> int:
        return self.overrides.version


def _known(registry: Mapping[str, Any], name: str) -> str:
    if name not in registry:
        raise KeyError(f"unknown tenant policy name {name!r}")
    return name


def resolve_defaults(tenant: str, defaults: PolicyDefaults | None = None) -> PolicyDefaults:
    """Complete ``defaults`` with the registry's for every name (limits capped by ceilings)."""
    given = defaults or PolicyDefaults()
    ceilings = given.ceilings
    limits = {n: given.limits.get(n, s.default_for(tenant)) for n, s in LIMITS.items()}
    return PolicyDefaults(
        features={n: given.features.get(n, s.default) for n, s in FEATURES.items()},
        limits={n: min(v, ceilings[n]) if n in ceilings else v for n, v in limits.items()},
        settings={n: given.settings.get(n, s.default_for(tenant)) for n, s in SETTINGS.items()},
        ceilings=dict(ceilings),
    )


def effective_policy(
    tenant: str, defaults: PolicyDefaults | None = None, overrides: PolicyOverrides | None = None
) -> TenantPolicy:
    """The tenant's policy: ``overrides`` (known names only) over ``defaults``; every limit
    capped by its ceiling."""
    base = resolve_defaults(tenant, defaults)
    over = overrides or PolicyOverrides()
    limits = {**base.limits, **{n: v for n, v in over.limits.items() if n in LIMITS}}
    limits = {n: min(v, base.ceilings[n]) if n in base.ceilings else v for n, v in limits.items()}
    return TenantPolicy(
        tenant=tenant,
        features={**base.features, **{n: v for n, v in over.features.items() if n in FEATURES}},
        limits=limits,
        settings={**base.settings, **{n: v for n, v in over.settings.items() if n in SETTINGS}},
        defaults=base,
        overrides=over,
    )


def ensure_enabled(policy: TenantPolicy, feature: str) -> None:
    """403 (problem type ``feature-disabled``) unless ``feature`` is on for the policy's tenant."""
    if not policy.enabled(feature):
        spec = FEATURES[feature]
        raise Forbidden(
            f"{spec.description} ({spec.requirement}) is not switched on for this province",
            slug="feature-disabled",
        )


# ------------------------------------------------------------------------------ the loader


@runtime_checkable
class HasPolicyDefaults(Protocol):
    """A service's settings: ``policy_defaults(tenant)`` from its environment variables."""

    def policy_defaults(self, tenant: str) -> PolicyDefaults: ...


def overrides_from_doc(doc: Mapping[str, Any] | None) -> PolicyOverrides:
    """The administrator's values held in a stored document (identity's or a read model's)."""
    if not doc:
        return PolicyOverrides()
    return PolicyOverrides(
        features=doc.get("features") or {},
        limits=doc.get("limits") or {},
        settings=doc.get("settings") or {},
        version=doc.get("version") or 0,
        updated_at=doc.get("updated_at"),
        updated_by=doc.get("updated_by"),
    )


async def tenant_policy(
    db: Any,
    tenant: str,
    defaults: PolicyDefaults | HasPolicyDefaults | None = None,
    *,
    collection: str = POLICY_COLLECTION,
) -> TenantPolicy:
    """THE loader: ``tenant``'s effective policy in this service.

    ``db`` is the unit-of-work factory (``mongo``: read outside a transaction) or a unit of
    work (``uow``, e.g. in a consumer: read inside its transaction). ``defaults`` is the
    service's settings (anything with ``policy_defaults(tenant)``) or ``PolicyDefaults``;
    defaults are computed on every call, so a changed setting applies at once. One point read
    by ``_id`` per call and no cache: a change by the administrator applies as soon as its
    event has arrived, in every replica.
    """
    if isinstance(defaults, HasPolicyDefaults):
        defaults = defaults.policy_defaults(tenant)
    repo = db.repo(collection, tenant) if hasattr(db, "uow") else db.repo(collection)
    doc = await repo.get(tenant)
    return effective_policy(tenant, defaults, overrides_from_doc(doc))



async def require_feature(
    db: Any, tenant: str, defaults: PolicyDefaults | HasPolicyDefaults | None, feature: str,
    *, collection: str = POLICY_COLLECTION,
) -> TenantPolicy:
    """``tenant``'s policy after checking ``feature`` is on (403 ``feature-disabled`` otherwise):
    the one gate of every per-province feature (HN-03/11 positioning and attendance, HN-04..06
    records, HN-07..09 documents …). Returns the policy, whose limits the caller usually needs."""
    policy = await tenant_policy(db, tenant, defaults, collection=collection)
    ensure_enabled(policy, feature)
    return policy

def policy_fields(payload: Any) -> dict[str, Any]:
    """The read-model document of a ``TenantPolicyUpdated`` (the administrator's values)."""
    return {
        "features": dict(payload.features),
        "limits": dict(payload.limits),
        "settings": dict(payload.settings),
        "version": payload.version,
        "updated_at": payload.updated_at,
        "updated_by": payload.updated_by,
    }


POLICY_EVENTS: dict[str, tuple[Any, Any]] = {POLICY_UPDATED: (lambda p: p.tenant, policy_fields)}
"""The read model's event map for ``read_models.read_model``: one document per tenant."""


def policy_subscription(purpose: str = "tenant-policy") -> Any:
    """The consumer keeping this service's read model of the policy (queue
    ``<service>.tenant-policy``): ``read_models.read_model`` applies each
    ``identity.tenant_policy.updated.v1`` with ``apply_snapshot`` by ``version``, so a
    redelivered or older event changes nothing. Register it with the service's other
    subscriptions (``ServiceSpec.subscriptions``)."""
    from .bus import Subscription  # the bus pulls in aio-pika: only where a service wires consumers

    return read_model(Subscription(purpose), collection=POLICY_COLLECTION, events=POLICY_EVENTS)


# ------------------------------------------------------------------------------ changes


def _section_model(section: Section) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    if section == "features":
        for n, f in FEATURES.items():
            fields[n] = (
                bool | None,
                Field(
                    default=None,
                    description=f"{f.description} ({f.requirement}); null: back to the default",
                ),
            )
    elif section == "limits":
        for n, s in LIMITS.items():
            fields[n] = (
                int | None,
                Field(
                    default=None,
                    ge=s.minimum,
                    le=s.maximum,
                    description=(
                        f"{s.description} ({s.requirement}), {s.unit}, {s.minimum}..{s.maximum}; "
                        "null: back to the default"
                    ),
                ),
            )
    else:
        for n, t in SETTINGS.items():
            fields[n] = (
                str | None,
                Field(
                    default=None,
                    pattern=t.pattern,
                    max_length=t.max_length,
                    description=f"{t.description} ({t.requirement}); null: back to the default",
                ),
            )
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        f"TenantPolicy{section.capitalize()}Patch",
        __config__=ConfigDict(extra="forbid", strict=section != "settings"),
        **fields,
    )
    return model


FeaturesPatch = _section_model("features")
LimitsPatch = _section_model("limits")
SettingsPatch = _section_model("settings")


class TenantPolicyPatch(BaseModel):
    """A JSON merge patch (RFC 7396) of the administrator's values: a name with a value sets
    it, a name with ``null`` returns it to the default, a name left out stays as it is.
    Unknown names are refused (422 naming e.g. ``limits.photo_max_bytes``)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "features": {"supervision_records": False},
                    "limits": {"photo_max_bytes": 614400},
                    "settings": {"notice_abbreviation": "琼"},
                }
            ]
        },
    )

    features: FeaturesPatch | None = None  # type: ignore[valid-type]
    limits: LimitsPatch | None = None  # type: ignore[valid-type]
    settings: SettingsPatch | None = None  # type: ignore[valid-type]

    def changes(self) -> dict[Section, dict[str, Any]]:
        """Section → {name: new value or None (back to the default)} of what the patch names."""
        out: dict[Section, dict[str, Any]] = {}
        for section in SECTIONS:
            part = getattr(self, section)
            if part is not None:
                out[section] = part.model_dump(exclude_unset=True)
        return out


@dataclass(frozen=True)
class Change:
    """One value the administrator changed: ``old``/``new`` are None where it was/is the default."""

    section: Section
    name: str
    old: Any
    new: Any

    @property
    def field(self) -> str:
        return f"{self.section}.{self.name}"


def apply_patch(
    current: PolicyOverrides, patch: TenantPolicyPatch, *, at: datetime, by: str
) -> tuple[PolicyOverrides, list[Change]]:
    """The administrator's values after ``patch`` and the list of what changed (empty: the
    patch changed nothing; the caller then stores nothing). ``version`` +1 when changed."""
    sections = {s: dict(current.section(s)) for s in SECTIONS}
    changes: list[Change] = []
    for section, values in patch.changes().items():
        for name, new in values.items():
            old = sections[section].get(name)
            if old == new:
                continue
            changes.append(Change(section, name, old, new))
            if new is None:
                sections[section].pop(name, None)
            else:
                sections[section][name] = new
    if not changes:
        return current, []
    return PolicyOverrides(
        **sections, version=current.version + 1, updated_at=at, updated_by=by
    ), changes
