"""Helpers of the partners tests: a partner registered and signed in the way the README
says (province admin registers the client, the partner uses client credentials), events
made by real requests, and waiting for deliveries."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import httpx

from anjian_local.scenario import expect
from anjian_local.testing.fixtures import Platform, eventually
from anjian_local.webhooks import WebhookReceiver

API = "/api/partners/v1"


@dataclass
class Partner:
    tenant: str
    client_id: str
    client_secret: str
    token: str
    name: str


async def register_partner(platform: Platform, tenant: str = "hubei", *, name: str | None = None) -> Partner:
    """The province admin registers a client; the partner gets a token (client credentials)."""
    admin = await platform.admin_token(tenant)
    name = name or f"合作方{secrets.token_hex(3)}"
    async with platform.api(admin) as c:
        client = expect(await c.post("/api/identity/v1/clients", json={"name": name, "scopes": ["events:read"]}), 201)
    async with platform.api() as c:
        tok = expect(await c.post("/api/identity/v1/oauth/token", data={
            "grant_type": "client_credentials", "client_id": client["client_id"],
            "client_secret": client["client_secret"]}), 200)
    return Partner(tenant, client["client_id"], client["client_secret"], tok["access_token"], name)


async def subscribe_webhook(platform: Platform, partner: Partner, receiver: WebhookReceiver,
                            event_types: list[str]) -> dict[str, Any]:
    async with platform.api(partner.token) as c:
        sub = expect(await c.post(f"{API}/subscriptions", json={
            "kind": "webhook", "url": receiver.url, "event_types": event_types}), 201)
    receiver.secret = sub["secret"]
    return sub


async def create_orgs(platform: Platform, tenant: str, n: int, *, prefix: str = "合作测试单位") -> list[str]:
    """``n`` organisations (each one ``identity.organization.created.v1`` event); their ids."""
    admin = await platform.admin_token(tenant)
    ids = []
    async with platform.api(admin) as c:
        for _ in range(n):
            org = expect(await c.post("/api/identity/v1/organizations", json={
                "name": f"{prefix}{secrets.token_hex(4)}", "kind": "company", "company_roles": ["contractor"]}), 201)
            ids.append(org["id"])
    return ids


def org_ids(receiver: WebhookReceiver) -> list[str]:
    """Organisation ids in the order the receiver got their creation events."""
    return [e.data["org_id"] for e in receiver.of_type("identity.organization.created.v1")]


async def wait_for_orgs(receiver: WebhookReceiver, ids: list[str], timeout: float = 30) -> None:
    async def got() -> bool:
        missing = set(ids) - set(org_ids(receiver))
        assert not missing, f"{len(missing)} of {len(ids)} not delivered yet"
        return True

    await eventually(got, timeout=timeout)


async def replay_all(c: httpx.AsyncClient, sub_id: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of the replay endpoint."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        q = {**params, **({"cursor": cursor} if cursor else {})}
        page = expect(await c.get(f"{API}/subscriptions/{sub_id}/events", params=q), 200)
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items
