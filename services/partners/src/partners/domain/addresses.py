"""Which addresses a webhook may never be delivered to (SSRF guard, PLAT-03 security).

``blocked_reason(address)`` answers for one IP address (None: a public unicast address a
webhook may reach). Refused:

- everything the ``ipaddress`` module flags: private, loopback, link-local, multicast,
  reserved, unspecified — and anything it does not call globally reachable;
- the IANA IPv4 and IPv6 special-purpose address registries, listed below in full
  (Python 3.11's flags miss some: 100.64.0.0/10 shared address space — it holds Alibaba
  Cloud's metadata service 100.100.100.200 —, 192.0.0.0/24, 2002::/16 …);
- IPv6 forms that carry an IPv4 address: IPv4-mapped ``::ffff:a.b.c.d`` and NAT64
  ``64:ff9b::a.b.c.d`` are judged by the IPv4 address they carry; IPv4-compatible
  ``::a.b.c.d``, 6to4 ``2002::/16``, Teredo ``2001::/32`` and local NAT64
  ``64:ff9b:1::/48`` are refused outright (tunnels no webhook receiver needs).

The check is made on the address actually connected to, at delivery (see
``adapters.webhook``), not only on the name at subscription time (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

IPV4_SPECIAL: dict[str, str] = {
    "0.0.0.0/8": "this network",
    "10.0.0.0/8": "private use",
    "100.64.0.0/10": "shared address space (carrier-grade NAT; Alibaba Cloud metadata 100.100.100.200)",
    "127.0.0.0/8": "loopback",
    "169.254.0.0/16": "link local (cloud metadata 169.254.169.254)",
    "172.16.0.0/12": "private use",
    "192.0.0.0/24": "IETF protocol assignments",
    "192.0.2.0/24": "documentation (TEST-NET-1)",
    "192.31.196.0/24": "AS112-v4",
    "192.52.193.0/24": "AMT",
    "192.88.99.0/24": "deprecated 6to4 relay anycast",
    "192.168.0.0/16": "private use",
    "192.175.48.0/24": "direct delegation AS112 service",
    "198.18.0.0/15": "benchmarking",
    "198.51.100.0/24": "documentation (TEST-NET-2)",
    "203.0.113.0/24": "documentation (TEST-NET-3)",
    "224.0.0.0/4": "multicast",
    "240.0.0.0/4": "reserved",
    "255.255.255.255/32": "limited broadcast",
}
"""The IANA IPv4 Special-Purpose Address Registry (and multicast), by network."""

IPV6_SPECIAL: dict[str, str] = {
    "::/128": "unspecified",
    "::1/128": "loopback",
    "::/96": "IPv4-compatible (deprecated)",
    "64:ff9b:1::/48": "local-use IPv4/IPv6 translation",
    "100::/64": "discard-only",
    "100:0:0:1::/64": "dummy IPv6 prefix",
    "2001::/23": "IETF protocol assignments (Teredo, benchmarking, ORCHID …)",
    "2001::/32": "Teredo",
    "2001:db8::/32": "documentation",
    "2002::/16": "6to4",
    "2620:4f:8000::/48": "direct delegation AS112 service",
    "3fff::/20": "documentation",
    "5f00::/16": "segment routing SIDs",
    "fc00::/7": "unique local",
    "fe80::/10": "link local",
    "fec0::/10": "site local (deprecated)",
    "ff00::/8": "multicast",
}
"""The IANA IPv6 Special-Purpose Address Registry (and multicast, site-local), by network."""

_V4 = [(IPv4Network(n), why) for n, why in IPV4_SPECIAL.items()]
_V6 = [(IPv6Network(n), why) for n, why in IPV6_SPECIAL.items()]
_MAPPED = IPv6Network("::ffff:0:0/96")
_NAT64 = IPv6Network("64:ff9b::/96")


def _flags(ip: IPv4Address | IPv6Address) -> str | None:
    for flag in ("is_loopback", "is_private", "is_link_local", "is_multicast", "is_reserved",
                 "is_unspecified"):
        if getattr(ip, flag):
            return flag.removeprefix("is_").replace("_", "-")
    if not ip.is_global:
        return "not globally reachable"
    return None


def _v4_reason(ip: IPv4Address) -> str | None:
    for net, why in _V4:
        if ip in net:
            return f"{why} ({net})"
    return _flags(ip)


def blocked_reason(address: str) -> str | None:
    """Why a webhook may not connect to ``address`` (an IPv4 or IPv6 literal, an IPv6 zone
    ``%eth0`` ignored); None for a public unicast address. Unparsable: refused."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, IPv4Address):
        return _v4_reason(ip)
    if ip in _MAPPED or ip in _NAT64:
        inner = IPv4Address(int(ip) & 0xFFFFFFFF)
        why = _v4_reason(inner)
        kind = "IPv4-mapped" if ip in _MAPPED else "NAT64"
        return f"{kind} {inner}: {why}" if why else None
    if ip.sixtofour is not None:
        return f"6to4 (carries {ip.sixtofour})"
    if ip.teredo is not None:
        return f"Teredo (carries {ip.teredo[1]})"
    for net, why in _V6:
        if ip in net:
            return f"{why} ({net})"
    return _flags(ip)


def is_blocked(address: str) -> bool:
    """True when a webhook may not connect to ``address`` (see ``blocked_reason``)."""
    return blocked_reason(address) is not None
