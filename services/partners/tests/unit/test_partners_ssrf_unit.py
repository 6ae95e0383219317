"""SSRF guard of webhook delivery (PLAT-03 security): the address actually connected to is
checked at delivery time, against a complete list. No platform servers (a local socket)."""

from __future__ import annotations

import asyncio

import pytest

from anjian_shared.errors import Unprocessable
from partners.adapters.webhook import WebhookSender
from partners.domain.addresses import blocked_reason
from partners.service_layer.subscriptions import check_url
from partners.settings import Settings

BLOCKED = {
    "127.0.0.1": "loopback", "10.1.2.3": "private", "172.20.0.1": "private", "192.168.1.1": "private",
    "169.254.169.254": "link local", "100.100.100.200": "shared address space", "100.64.0.1": "shared",
    "0.0.0.0": "this network", "192.0.0.8": "IETF", "192.0.2.1": "documentation",
    "198.18.0.1": "benchmarking", "198.51.100.7": "documentation", "203.0.113.9": "documentation",
    "224.0.0.1": "multicast", "240.0.0.1": "reserved", "255.255.255.255": "", "192.88.99.1": "6to4 relay",
    "::1": "loopback", "::": "unspecified", "fe80::1%eth0": "link local", "fd00::1": "unique local",
    "ff02::1": "multicast", "2001:db8::1": "documentation",
    "::ffff:127.0.0.1": "IPv4-mapped", "::ffff:100.100.100.200": "IPv4-mapped", "::ffff:10.0.0.1": "mapped",
    "::127.0.0.1": "IPv4-compatible", "::10.0.0.1": "IPv4-compatible",
    "2002:a00:1::1": "6to4", "2002:7f00:1::": "6to4", "2002:808:808::1": "6to4",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2": "Teredo", "64:ff9b::a00:1": "NAT64",
    "64:ff9b::7f00:1": "NAT64", "64:ff9b:1::1": "local-use", "100::1": "discard", "3fff::1": "documentation",
    "not-an-ip": "not an IP",
}
PUBLIC = ["8.8.8.8", "223.5.5.5", "93.184.216.34", "2606:4700::1111", "2400:3200::1", "::ffff:8.8.8.8",
          "64:ff9b::808:808"]


@pytest.mark.parametrize("address", sorted(BLOCKED))
def test_plat03_ssrf_every_special_form_is_refused(address):
    why = blocked_reason(address)
    assert why, address
    assert BLOCKED[address].lower() in why.lower(), (address, why)


@pytest.mark.parametrize("address", PUBLIC)
def test_plat03_ssrf_public_addresses_pass(address):
    assert blocked_reason(address) is None


class Endpoint:
    """A bare HTTP endpoint on 127.0.0.1 recording the Host header of each request."""

    def __init__(self) -> None:
        self.hosts: list[str] = []
        self.server: asyncio.Server | None = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "host":
                self.hosts.append(value.strip())
            if name.lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    async def __aenter__(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


class Rebinding:
    """A DNS answer that changes: public first (subscription), then private (delivery)."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        answer = self.answers[min(self.asked, len(self.answers) - 1)]
        self.asked += 1
        return [answer]


async def test_plat03_ssrf_delivery_connects_to_the_checked_address_keeping_the_host_name():
    """The name is resolved by the guard and the socket opened to that address: the
    endpoint sees the URL's own host name in ``Host``."""
    endpoint = Endpoint()
    async with endpoint as port:
        sender = WebhookSender(timeout=5, allow_private=True,
                               resolver=Rebinding("127.0.0.1"))
        try:
            attempt = await sender.post(f"http://partner.invalid:{port}/hook", body=b"{}", headers={})
        finally:
            await sender.close()
    assert attempt.ok and attempt.status_code == 204, attempt
    assert endpoint.hosts == [f"partner.invalid:{port}"]


async def test_plat03_ssrf_dns_rebinding_is_refused_at_delivery():
    """Public at subscription, private at delivery: the subscription is accepted, the
    delivery refused without any connection to the private address."""
    endpoint = Endpoint()
    async with endpoint as port:
        resolver = Rebinding("93.184.216.34", "127.0.0.1")
        url = f"http://rebind.invalid:{port}/hook"
        settings = Settings(environment="test", webhook_allow_private_addresses=False)
        assert await check_url(url, settings, resolver) == url  # subscription time: public
        sender = WebhookSender(timeout=5, allow_private=False, resolver=resolver)
        try:
            attempt = await sender.post(url, body=b"{}", headers={})
        finally:
            await sender.close()
    assert not attempt.ok and attempt.status_code is None
    assert "127.0.0.1" in (attempt.error or "") and "SSRF" in (attempt.error or "")
    assert endpoint.hosts == [], "nothing reached the private address"


async def test_plat03_ssrf_one_private_address_among_many_refuses_the_host():
    async def mixed(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "100.100.100.200"]

    settings = Settings(environment="test", webhook_allow_private_addresses=False)
    with pytest.raises(Unprocessable) as refused:
        await check_url("https://metadata.invalid/x", settings, mixed)
    assert refused.value.field == "url" and "100.100.100.200" in str(refused.value)
    sender = WebhookSender(timeout=5, allow_private=False, resolver=mixed)
    try:
        attempt = await sender.post("https://metadata.invalid/x", body=b"{}", headers={})
    finally:
        await sender.close()
    assert not attempt.ok and "100.100.100.200" in (attempt.error or "")
