"""AMQP delivery (PLAT-03): a queue of its own per subscription, fed with the tenant's
matching events, readable only with the subscription's own broker user."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import quote

import aio_pika
import pytest
import yaml
from aio_pika.exceptions import ProbableAuthenticationError
from aiormq.exceptions import ChannelAccessRefused, ChannelNotFoundEntity
from cloudevents.core.formats.json import JSONFormat
from partners_testkit import API, create_orgs, register_partner

from anjian_local.scenario import expect
from anjian_local.testing.fixtures import eventually
from anjian_shared import asyncapi


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
        with pytest.raises((ChannelAccessRefused, ChannelNotFoundEntity)):
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


async def _amqp_subscription(platform, partner, event_types: list[str]) -> dict:
    async with platform.api(partner.token) as c:
        return expect(await c.post(f"{API}/subscriptions", json={"kind": "amqp", "event_types": event_types}), 201)


async def test_plat03_partner_broker_user_cannot_peek_at_other_queues(platform, management):
    """PLAT-03 security: the broker user of a subscription can't passive-declare (and read
    the message count of) the platform's queues or another partner's queue, nor even open
    the platform's vhost: each client's queues live in a vhost of its own, where the user
    may only read its own queue."""
    a, b = await register_partner(platform), await register_partner(platform)
    sub_a = await _amqp_subscription(platform, a, ["identity.organization.created.v1"])
    sub_b = await _amqp_subscription(platform, b, ["identity.organization.created.v1"])
    assert sub_a["amqp"]["vhost"] and sub_a["amqp"]["vhost"] != sub_b["amqp"]["vhost"]
    connection = await aio_pika.connect(_url(sub_a, sub_a["amqp"]["password"]), timeout=10)
    try:
        own = await (await connection.channel()).declare_queue(sub_a["amqp"]["queue"], passive=True)
        assert own.name == sub_a["amqp"]["queue"]
        for other in ("partners.event-log", "notices.document-users", sub_b["amqp"]["queue"]):
            ch = await connection.channel()
            with pytest.raises((ChannelAccessRefused, ChannelNotFoundEntity)):
                await ch.declare_queue(other, passive=True)
    finally:
        await connection.close()
    platform_vhost = platform.app("partners").state.settings.amqp_vhost
    scheme, rest = sub_a["amqp"]["url"].split("://", 1)
    host = rest.split("/", 1)[0]
    url = (f"{scheme}://{quote(sub_a['amqp']['username'], safe='')}:{quote(sub_a['amqp']['password'], safe='')}"
           f"@{host}/{quote(platform_vhost, safe='')}")
    with pytest.raises(Exception) as refused:  # not allowed into the platform's vhost at all
        conn = await aio_pika.connect(url, timeout=10)
        await conn.close()
    assert any(w in repr(refused.value).lower() for w in ("access", "not_allowed", "connection.close")), refused.value
    for partner, sub in ((a, sub_a), (b, sub_b)):
        async with platform.api(partner.token) as c:
            assert (await c.delete(f"{API}/subscriptions/{sub['id']}")).status_code == 204


async def test_plat03_rotation_closes_connections_opened_with_the_old_password(platform, management):
    """After an AMQP secret rotation, a connection opened with the old password is closed by
    the broker and receives nothing more."""
    partner = await register_partner(platform)
    sub = await _amqp_subscription(platform, partner, ["identity.organization.created.v1"])
    old = await aio_pika.connect(_url(sub, sub["amqp"]["password"]), timeout=10)
    try:
        await (await old.channel()).declare_queue(sub["amqp"]["queue"], passive=True)
        async with platform.api(partner.token) as c:
            rotated = expect(await c.post(f"{API}/subscriptions/{sub['id']}/secret/rotate"), 200)

        async def closed() -> bool:  # (aio_pika's is_closed doesn't follow a server-side close)
            try:
                ch = await asyncio.wait_for(old.channel(), timeout=5)
            except Exception:  # noqa: BLE001 - closed by the broker: what we wait for
                return True
            await ch.close()
            raise AssertionError("the old password's connection is still open")

        await eventually(closed, timeout=20)
        admin = platform.app("partners").state.partners.broker_admin
        listed = await admin._call("GET", f"vhosts/{quote(sub['amqp']['vhost'], safe='')}/connections")
        assert not [x for x in listed.json() if x["user"] == sub["amqp"]["username"]]
    finally:
        try:
            await old.close()
        except Exception:  # noqa: BLE001 - already closed by the broker
            pass
    new = await aio_pika.connect(_url(sub, rotated["amqp"]["password"]), timeout=10)
    await new.close()
    async with platform.api(partner.token) as c:
        assert (await c.delete(f"{API}/subscriptions/{sub['id']}")).status_code == 204


async def test_plat03_message_properties_match_the_asyncapi_bindings(platform, management):
    """PLAT-03: a message read from a partner queue carries what the AsyncAPI document says:
    ``contentType``, the AMQP message binding's ``contentEncoding`` and ``messageType``,
    and the operation binding's ``deliveryMode``."""
    doc = yaml.safe_load((Path(__file__).resolve().parents[3] / "docs" / "asyncapi.yaml").read_text("utf-8"))
    partner = await register_partner(platform)
    sub = await _amqp_subscription(platform, partner, ["identity.organization.created.v1"])
    ids = await create_orgs(platform, "hubei", 1)
    connection = await aio_pika.connect(_url(sub, sub["amqp"]["password"]), timeout=10)
    try:
        queue = await (await connection.channel()).get_queue(sub["amqp"]["queue"], ensure=False)

        async def one() -> aio_pika.abc.AbstractIncomingMessage:
            message = await queue.get(fail=False)
            assert message is not None
            return message

        message = await eventually(one, timeout=30)
    finally:
        await connection.close()
    event = json.loads(message.body.decode(message.content_encoding or "utf-8"))
    assert event["data"]["org_id"] in ids
    channel = doc["channels"]["partnerQueue"]
    ref = channel["messages"][asyncapi.channel_id(event["type"])]["$ref"]
    spec = doc
    for part in ref[2:].split("/"):
        spec = spec[part]
    assert message.content_type == spec["contentType"] == doc["defaultContentType"]
    assert message.content_encoding == spec["bindings"]["amqp"]["contentEncoding"]
    assert message.type == spec["bindings"]["amqp"]["messageType"] == event["type"]
    assert int(message.delivery_mode) == doc["operations"]["deliverToPartnerQueue"]["bindings"]["amqp"]["deliveryMode"]
    assert message.message_id == event["id"] and message.headers["tenant"] == "hubei"
    async with platform.api(partner.token) as c:
        assert (await c.delete(f"{API}/subscriptions/{sub['id']}")).status_code == 204
