"""Tenant policy (issue 10): one object answering "is feature X on for this province" and "what
is this province's limit for Y", one loader, the read model kept from identity's events.

Requirement ids: PLAT-01 (per-province limits), HN-03 positioning, HN-04..06 supervision records,
HN-07..09 enforcement documents, HN-11 attendance. No servers: the loader runs on the fakes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from anjian_shared.errors import Forbidden
from anjian_shared.events import make_event
from anjian_shared.events.identity_v1 import TenantPolicyUpdated
from anjian_shared.mongo import with_transaction
from anjian_shared.tenant_policy import (
    FEATURES,
    LIMITS,
    POLICY_COLLECTION,
    POLICY_UPDATED,
    MiB,
    PolicyDefaults,
    PolicyOverrides,
    TenantPolicyPatch,
    apply_patch,
    effective_policy,
    ensure_enabled,
    policy_subscription,
    tenant_policy,
)
from anjian_shared.testing.fakes import FakeDatabase

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class _Settings:
    """A service's settings as the loader sees them: defaults from the environment."""

    def __init__(self, **limits: int) -> None:
        self.limits = limits
        self.records_on: dict[str, bool] = {}

    def policy_defaults(self, tenant: str) -> PolicyDefaults:
        return PolicyDefaults(
            features={"supervision_records": self.records_on.get(tenant, True)},
            limits=self.limits,
            ceilings={"photo_max_bytes": 20 * MiB},
        )


def _updated(version: int, **values: Any) -> TenantPolicyUpdated:
    return TenantPolicyUpdated(
        tenant="hainan", version=version, updated_by="admin-1", updated_at=T0, **values
    )


async def _deliver(mongo: FakeDatabase, payload: TenantPolicyUpdated, at: datetime = T0) -> None:
    """What the bus does around the consumer's handler (minus broker and inbox): one transaction."""
    handler = policy_subscription().handlers[POLICY_UPDATED]
    event = make_event(
        type=POLICY_UPDATED, tenant="hainan", service="identity", subject="hainan", data=payload
    ).model_copy(update={"time": at})
    await with_transaction(mongo, "hainan", lambda uow: handler(uow, event, payload))


# ---------------------------------------------------------------------------- the value


def test_registry_names_the_features_and_limits_with_requirement_unit_and_bounds():
    assert {"positioning", "attendance", "supervision_records", "enforcement_documents"} <= set(
        FEATURES
    )
    assert (
        FEATURES["positioning"].requirement == "HN-03"
        and FEATURES["attendance"].requirement == "HN-11"
    )
    for name in (
        "photo_max_bytes",
        "video_max_bytes",
        "audio_max_bytes",
        "positioning_photo_max_bytes",
        "document_photo_max_bytes",
        "document_attachment_max_bytes",
    ):
        spec = LIMITS[name]
        assert spec.unit == "bytes" and spec.minimum <= spec.default <= spec.maximum


def test_plat01_without_anything_set_the_registry_defaults_apply():
    policy = effective_policy("hebei")
    assert all(policy.enabled(f) == spec.default for f, spec in FEATURES.items())  # HN-01 verified mobile: off
    assert policy.limit("photo_max_bytes") == 10 * MiB
    assert policy.setting("notice_abbreviation") == "冀"
    assert policy.is_default("limits", "photo_max_bytes") and policy.version == 0


def test_plat01_service_settings_override_registry_and_administrator_overrides_both():
    defaults = PolicyDefaults(
        features={"supervision_records": False}, limits={"photo_max_bytes": 600 * 1024}
    )
    policy = effective_policy("hebei", defaults)
    assert (
        not policy.enabled("supervision_records") and policy.limit("photo_max_bytes") == 600 * 1024
    )
    over = PolicyOverrides(
        features={"supervision_records": True},
        limits={"photo_max_bytes": 2 * MiB},
        settings={"notice_abbreviation": "燕"},
        version=3,
    )
    policy = effective_policy("hebei", defaults, over)
    assert policy.enabled("supervision_records") and policy.limit("photo_max_bytes") == 2 * MiB
    assert policy.setting("notice_abbreviation") == "燕" and policy.version == 3
    assert not policy.is_default("features", "supervision_records")
    assert policy.defaults.limits["photo_max_bytes"] == 600 * 1024  # what "back to default" means


def test_plat01_a_ceiling_caps_defaults_and_administrator_values():
    defaults = PolicyDefaults(
        limits={"positioning_photo_max_bytes": 30 * MiB},
        ceilings={"positioning_photo_max_bytes": 10 * MiB},
    )
    assert effective_policy("hainan", defaults).limit("positioning_photo_max_bytes") == 10 * MiB
    over = PolicyOverrides(limits={"positioning_photo_max_bytes": 40 * MiB})
    assert (
        effective_policy("hainan", defaults, over).limit("positioning_photo_max_bytes") == 10 * MiB
    )


def test_unknown_names_are_programming_errors():
    policy = effective_policy("hubei")
    with pytest.raises(KeyError):
        policy.enabled("teleportation")
    with pytest.raises(KeyError):
        policy.limit("photo_max_kilobytes")


def test_hn04_ensure_enabled_refuses_a_switched_off_feature_with_feature_disabled():
    off = effective_policy(
        "hainan", overrides=PolicyOverrides(features={"supervision_records": False})
    )
    with pytest.raises(Forbidden) as refused:
        ensure_enabled(off, "supervision_records")
    assert refused.value.code == "feature-disabled" and "HN-04" in str(refused.value)
    ensure_enabled(off, "enforcement_documents")  # the others stay on


# ---------------------------------------------------------------------------- changes


def test_patch_refuses_unknown_names_and_values_out_of_bounds_naming_the_field():
    for body, loc in (
        ({"limits": {"photo_max_bytez": 2048}}, ("limits", "photo_max_bytez")),
        ({"limits": {"photo_max_bytes": 10}}, ("limits", "photo_max_bytes")),
        ({"limits": {"photo_max_bytes": 10**12}}, ("limits", "photo_max_bytes")),
        ({"features": {"supervision_records": "no"}}, ("features", "supervision_records")),
        ({"settings": {"notice_abbreviation": "AB"}}, ("settings", "notice_abbreviation")),
        ({"colour": "red"}, ("colour",)),
    ):
        with pytest.raises(ValidationError) as refused:
            TenantPolicyPatch.model_validate(body)
        assert refused.value.errors()[0]["loc"] == loc, body


def test_patch_is_a_merge_patch_null_returns_a_name_to_its_default_and_version_counts_changes():
    current = PolicyOverrides(
        limits={"photo_max_bytes": 2 * MiB, "video_max_bytes": 50 * MiB}, version=4
    )
    patch = TenantPolicyPatch.model_validate(
        {
            "limits": {"photo_max_bytes": None, "audio_max_bytes": 5 * MiB},
            "features": {"positioning": False},
        }
    )
    new, changes = apply_patch(current, patch, at=T0, by="admin-1")
    assert new.version == 5 and new.updated_by == "admin-1" and new.updated_at == T0
    assert new.limits == {"video_max_bytes": 50 * MiB, "audio_max_bytes": 5 * MiB}
    assert new.features == {"positioning": False}
    assert {(c.field, c.old, c.new) for c in changes} == {
        ("limits.photo_max_bytes", 2 * MiB, None),
        ("limits.audio_max_bytes", None, 5 * MiB),
        ("features.positioning", None, False),
    }


def test_a_patch_that_changes_nothing_keeps_the_version():
    current = PolicyOverrides(limits={"photo_max_bytes": 2 * MiB}, version=4)
    same = TenantPolicyPatch.model_validate(
        {"limits": {"photo_max_bytes": 2 * MiB, "video_max_bytes": None}}
    )
    new, changes = apply_patch(current, same, at=T0, by="admin-1")
    assert changes == [] and new is current


# ---------------------------------------------------------------------------- the loader


async def test_loader_uses_the_service_settings_until_the_administrators_values_arrive():
    mongo, settings = FakeDatabase(service="inspections"), _Settings(photo_max_bytes=4 * MiB)
    policy = await tenant_policy(mongo, "hainan", settings)
    assert policy.limit("photo_max_bytes") == 4 * MiB and policy.enabled("supervision_records")
    settings.records_on["hainan"] = False  # a changed setting applies at once (tests rely on it)
    assert not (await tenant_policy(mongo, "hainan", settings)).enabled("supervision_records")

    await _deliver(
        mongo, _updated(1, features={"supervision_records": True}, limits={"photo_max_bytes": 2048})
    )
    policy = await tenant_policy(mongo, "hainan", settings)
    assert policy.enabled("supervision_records") and policy.limit("photo_max_bytes") == 2048
    assert policy.version == 1
    assert (await tenant_policy(mongo, "hubei", settings)).limit(
        "photo_max_bytes"
    ) == 4 * MiB  # per tenant


async def test_loader_reads_inside_a_unit_of_work_too():
    mongo = FakeDatabase(service="notices")
    await _deliver(mongo, _updated(1, settings={"notice_abbreviation": "椰"}))

    async def read(uow: Any) -> str:
        return (await tenant_policy(uow, uow.tenant_id)).setting("notice_abbreviation")

    assert await with_transaction(mongo, "hainan", read) == "椰"
    assert await with_transaction(mongo, "hubei", read) == "鄂"


async def test_read_model_keeps_the_newest_version_and_ignores_an_older_or_repeated_event():
    mongo = FakeDatabase(service="projects")
    await _deliver(mongo, _updated(2, features={"positioning": False}), at=T0)
    await _deliver(mongo, _updated(1, features={"positioning": True}), at=T0 + timedelta(minutes=5))
    await _deliver(mongo, _updated(2, features={"positioning": True}), at=T0 + timedelta(minutes=6))
    policy = await tenant_policy(mongo, "hainan")
    assert not policy.enabled("positioning") and policy.version == 2
    await _deliver(mongo, _updated(3))  # all back to the defaults
    policy = await tenant_policy(mongo, "hainan")
    assert policy.enabled("positioning") and policy.version == 3
    assert [d["_id"] for d in mongo.documents(POLICY_COLLECTION)] == ["hainan"]


def test_heb17_application_attachments_600kb_in_hebei_10mb_elsewhere_and_administrator_may_change():
    from anjian_shared.tenant_policy import KiB, PolicyOverrides

    assert effective_policy("hebei").limit("application_attachment_max_bytes") == 600 * KiB
    assert effective_policy("hunan").limit("application_attachment_max_bytes") == 10 * MiB
    changed = effective_policy("hebei", overrides=PolicyOverrides(limits={"application_attachment_max_bytes": 2 * MiB}))
    assert changed.limit("application_attachment_max_bytes") == 2 * MiB


def test_heb06_crane_service_life_thresholds_are_tenant_limits_in_years():
    policy = effective_policy("hebei")
    assert [policy.limit(n) for n in ("tower_crane_life_years_small", "tower_crane_life_years_medium",
                                      "tower_crane_life_years_large", "hoist_sc_life_years",
                                      "hoist_ss_life_years")] == [10, 15, 20, 8, 5]
    assert LIMITS["hoist_sc_life_years"].unit == "years"
