"""The client's address behind the gateway, believed only from trusted proxies (issue 11).

A service sees the peer that connected to it: behind the gateway that is the gateway. The
gateway writes the client's address into ``X-Forwarded-For`` (replacing what the client sent).
``client_address`` takes the forwarded address only when the peer is a trusted proxy
(``ANJIAN_TRUSTED_PROXIES``: addresses or networks, comma-separated; default the loopback
addresses, where ``make run``'s gateway connects from), walking the header from the right and
skipping trusted proxies — the first address that is not one is the client. A request from any
other peer is that peer, whatever it wrote in the header: a client can't pick the address its
sign-in failures are counted against. uvicorn's own proxy-header handling is switched off
(``--no-proxy-headers``) so this is the one place that decides.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_TRUSTED_PROXIES = "127.0.0.1/32,::1/128"


@lru_cache(maxsize=32)
def parse_networks(value: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 127.0.0.1"`` → networks; an empty string trusts nobody. ValueError on a typo."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == n.version and ip in n for n in networks)


def client_address(peer: str | None, forwarded_for: str | None, trusted: str = DEFAULT_TRUSTED_PROXIES
                   ) -> str | None:
    """The client's address: ``peer`` unless it is a trusted proxy; then the right-most address
    of ``forwarded_for`` (``X-Forwarded-For``) that is not a trusted proxy (the left-most when all
    are). ``trusted``: the setting's text (``parse_networks``)."""
    networks = parse_networks(trusted)
    if peer is None or not _trusted(peer, networks) or not forwarded_for:
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else peer
