"""Scopes per event family (PLAT-03 security): what a partner subscription may receive."""

from __future__ import annotations

import pytest

from anjian_shared import scopes
from anjian_shared.events import EVENT_TYPES
from anjian_shared.principal import Principal
from partners.domain.model import delivers, granted_types, may_change, may_stop
from partners.domain.patterns import matching_types


def test_plat03_events_read_grants_every_family_but_personal_data():
    granted = granted_types(["events:read"], EVENT_TYPES)
    assert "notices.notice.issued.v1" in granted and "identity.organization.created.v1" in granted
    assert not [t for t in granted if t.startswith("identity.user.")]
    assert set(granted_types(["events:personal"], EVENT_TYPES)) >= {"identity.user.created.v1",
                                                                   "identity.user.updated.v1"}


@pytest.mark.parametrize("scope", ["events:inspections", "events:notices", "events:projects"])
def test_plat03_a_family_scope_grants_its_family_and_own_partner_events_only(scope):
    family = scope.split(":")[1]
    for t in granted_types([scope], EVENT_TYPES):
        assert t.startswith((f"{family}.", "partners.", "identity.client.")), t


def test_plat03_events_about_other_partners_never_reach_a_subscription():
    sub = {"client_id": "hubei_a", "scopes": ["events:read"], "event_types": ["#"]}
    paused = {"subscription_id": "s", "client_id": "hubei_b", "url": "https://b.example/x"}
    assert not delivers(sub, "partners.subscription.paused.v1", paused)
    assert delivers(sub, "partners.subscription.paused.v1", {**paused, "client_id": "hubei_a"})
    assert not delivers(sub, "identity.client.registered.v1", {"client_id": "hubei_b"})
    assert not delivers(sub, "identity.user.created.v1", {"user_id": "u"})
    assert delivers({"client_id": "x"}, "notices.notice.issued.v1", {}), "stored before scopes: events:read"
    assert matching_types(["#"], EVENT_TYPES) != granted_types(["events:read"], EVENT_TYPES)


def test_plat03_every_catalog_type_is_granted_by_some_scope():
    for t in EVENT_TYPES:
        assert scopes.family_scopes(t) <= set(scopes.SCOPES), t
        assert scopes.family_scopes(t) or scopes.is_private(t), t


def test_hn12_no_scope_grants_private_messages_and_the_event_log_does_not_keep_them():
    """HN-12: conversations.* (what people wrote to each other) reach no partner — not with
    events:read, not with events:personal — and the partners service does not even log them."""
    from partners.entrypoints.consumers import build_subscriptions
    from partners.settings import Settings

    private = [t for t in EVENT_TYPES if t.startswith("conversations.")]
    assert "conversations.message.posted.v1" in private
    assert not set(granted_types(list(scopes.SCOPES), private))
    sub = {"client_id": "hubei_a", "scopes": list(scopes.SCOPES), "event_types": ["#"]}
    assert not any(delivers(sub, t, {}) for t in private)
    [event_log] = build_subscriptions(Settings(environment="test"))
    assert not set(event_log.handlers) & set(private)
    assert set(event_log.handlers) == set(EVENT_TYPES) - set(private)


def test_plat03_the_province_admin_may_stop_any_subscription_but_not_change_it():
    admin = Principal(user_id="a", tenant="hubei", org_id="o", roles=["province_admin"])
    owner = Principal(user_id="hubei_a", tenant="hubei", org_id="o", roles=["partner"], scopes=["events:read"])
    other = Principal(user_id="hubei_b", tenant="hubei", org_id="o", roles=["partner"], scopes=["events:read"])
    sub = {"client_id": "hubei_a"}
    assert may_stop(admin, sub) and not may_change(admin, sub)
    assert may_stop(owner, sub) and may_change(owner, sub)
    assert not may_stop(other, sub)


def test_hn12_a_subscription_to_conversations_is_refused_under_every_scope():
    """HN-12: ``conversations.#`` matches only private types: 403 naming the pattern, whatever
    the token holds."""
    from anjian_shared.errors import Forbidden
    from partners.service_layer.subscriptions import check_patterns

    with pytest.raises(Forbidden) as err:
        check_patterns(["notices.#", "conversations.#"], scopes=list(scopes.SCOPES))
    assert err.value.field == "event_types.1" and "private" in (err.value.detail or "")
    assert check_patterns(["#"], scopes=["events:read"]) == ["#"]  # the rest still flows
