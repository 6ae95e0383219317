"""AMQP delivery (PLAT-03): a queue of its own per subscription, fed with the tenant's
matching events, readable only with the subscription's own broker user."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import aio_pika
import pytest
from aio_pika.exceptions import ProbableAuthenticationError
from aiormq.exceptions import ChannelAccessRefused
from anjian_local.scenario import expect
from anjian_local.testing.fixtures import eventually
from cloudevents.core.formats.json import JSONFormat
from partners_testkit import API, create_orgs, register_partner


def _url(sub: dict, password: str) -> str:
    amqp = sub["amqp"]
    scheme, rest = amqp["url"].split("://", 1)
    return f"{scheme}://{quote(amqp['username'], safe='')}:{quote(password, safe='')}@{rest}"


@pytest.fixture
def management(platform):
    if not platform.app("partners").state.partners.broker_admin:
        pytest.skip("no RabbitMQ management API in this run (ANJIAN_RABBITMQ_MANAGEMENT_URL)")


async def test_partner_reads_its_events_from_its_own_queue_with_its_own_user(platform, management):
    partner = await register_partner(platform)
    async with platform.api(partner.token) as c:
        sub = expect(await c.post(f"{API}/subscriptions", json={
            "kind": "amqp", "event_types": ["identity.organization.created.v1"]}), 201)
    amqp = sub["amqp"]
    assert amqp["queue"] == f"partner.{sub['id']}" and amqp["password"] and "secret" not in sub or not sub["secret"]
    ids = await create_orgs(platform, "hubei", 3)
    connection = await aio_pika.connect(_url(sub, amqp["password"]), timeout=10)
    try:
        channel = await connection.channel()
        queue = await channel.get_queue(amqp["queue"], ensure=False)
        got: list[dict] = []

        async def drain() -> bool:
            while (message := await queue.get(fail=False, no_ack=False)) is not None:
                event = JSONFormat().read(None, message.body)  # the official CloudEvents SDK parses it
                assert message.content_type == "application/cloudevents+json"
                assert message.message_id == event.get_attributes()["id"]
                got.append({**event.get_attributes(), "data": event.get_data()})
                await message.ack()
            assert set(ids) <= {e["data"]["org_id"] for e in got}
            return True

        await eventually(drain, timeout=30)
        assert all(e["tenant"] == "hubei" and e["type"] == "identity.organization.created.v1" for e in got)

        # the user may only read its queue: no publishing, no other queue, no declaring
        ch = await connection.channel(publisher_confirms=True)
        with pytest.raises(Exception) as refused:
            await ch.default_exchange.publish(aio_pika.Message(b"{}"), routing_key=amqp["queue"], timeout=10)
        assert "ACCESS_REFUSED" in repr(refused.value) or "access" in repr(refused.value).lower(), refused.value
        ch = await connection.channel()
        with pytest.raises(ChannelAccessRefused):
            await (await ch.get_queue("partners.event-log", ensure=False)).get(fail=False)
        ch = await connection.channel()
        with pytest.raises(ChannelAccessRefused):
            await ch.declare_queue("partner.mine", durable=True)
    finally:
        await connection.close()

    async with platform.api(partner.token) as c:
        rotated = expect(await c.post(f"{API}/subscriptions/{sub['id']}/secret/rotate"), 200)
        new_password = rotated["amqp"]["password"]
        assert new_password and new_password != amqp["password"]
        connection = await aio_pika.connect(_url(sub, new_password), timeout=10)
        await connection.close()
        with pytest.raises(ProbableAuthenticationError):
            await aio_pika.connect(_url(sub, amqp["password"]), timeout=10)
        assert (await c.delete(f"{API}/subscriptions/{sub['id']}")).status_code == 204
    with pytest.raises(ProbableAuthenticationError):
        await aio_pika.connect(_url(sub, new_password), timeout=10)


async def test_another_tenants_events_never_reach_the_queue(platform, management):
    partner = await register_partner(platform, "hainan")
    async with platform.api(partner.token) as c:
        sub = expect(await c.post(f"{API}/subscriptions", json={
            "kind": "amqp", "event_types": ["identity.organization.created.v1"]}), 201)
    hubei_ids, hainan_ids = await asyncio.gather(create_orgs(platform, "hubei", 3), create_orgs(platform, "hainan", 2))
    connection = await aio_pika.connect(_url(sub, sub["amqp"]["password"]), timeout=10)
    got: list[dict] = []
    try:
        queue = await (await connection.channel()).get_queue(sub["amqp"]["queue"], ensure=False)

        async def drain() -> bool:
            while (message := await queue.get(fail=False)) is not None:
                got.append(json.loads(message.body))
            assert set(hainan_ids) <= {e["data"]["org_id"] for e in got}
            return True

        await eventually(drain, timeout=30)
    finally:
        await connection.close()
    assert all(e["tenant"] == "hainan" for e in got)
    assert not {e["data"]["org_id"] for e in got} & set(hubei_ids)
    async with platform.api(partner.token) as c:
        assert (await c.delete(f"{API}/subscriptions/{sub['id']}")).status_code == 204
