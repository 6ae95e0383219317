"""The client address behind the gateway (issue 11, HB-01 sign-in throttling per address):
``X-Forwarded-For`` is believed only from trusted proxies."""

from __future__ import annotations

import pytest

from anjian_shared.proxies import client_address, parse_networks
from anjian_shared.settings import ServiceSettings


def test_a_direct_client_is_its_peer_whatever_it_forwards():
    assert client_address("203.0.113.5", "10.9.9.9", "127.0.0.1/32") == "203.0.113.5"
    assert client_address("203.0.113.5", None, "127.0.0.1/32") == "203.0.113.5"


def test_behind_a_trusted_gateway_the_forwarded_client_counts():
    assert client_address("127.0.0.1", "198.51.100.7", "127.0.0.1/32,::1/128") == "198.51.100.7"
    # a client-written hop left of the gateway's entry is not believed
    assert client_address("10.0.0.2", "1.2.3.4, 198.51.100.7", "10.0.0.0/8") == "198.51.100.7"
    # chains of trusted proxies are skipped from the right
    assert client_address("10.0.0.2", "198.51.100.7, 10.0.0.9", "10.0.0.0/8") == "198.51.100.7"
    assert client_address("::ffff:127.0.0.1", "198.51.100.8", "127.0.0.1") == "198.51.100.8"


def test_nobody_is_trusted_when_the_setting_is_empty_and_typos_fail_fast():
    assert client_address("127.0.0.1", "198.51.100.7", "") == "127.0.0.1"
    with pytest.raises(ValueError):
        parse_networks("10.0.0.0/33")
    assert ServiceSettings(environment="test").trusted_proxies == "127.0.0.1/32,::1/128"
