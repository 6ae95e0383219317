"""Partner access to the media an event names (issue 11, PLAT-03): ``GET
/api/partners/v1/media/{event_id}/{name}`` checks the token's scopes and the province and
redirects to a fresh presigned URL on the platform's own origin. Real servers: identity and
partners (``ANJIAN_TEST_SERVICES=identity,partners``), the real broker and S3."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from partners_testkit import API, Partner

from anjian_local.media import site_photo
from anjian_local.scenario import expect
from anjian_local.testing.fixtures import GATEWAY, Platform, eventually
from anjian_shared.events import make_event
from anjian_shared.events.inspections_v1 import RecordSubmitted

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _partner(platform: Platform, scopes: list[str], tenant: str = "hubei") -> Partner:
    admin = await platform.admin_token(tenant)
    name = f"媒体合作方{secrets.token_hex(3)}"
    async with platform.api(admin) as c:
        client = expect(await c.post("/api/identity/v1/clients", json={"name": name, "scopes": scopes}), 201)
        tok = expect(await c.post("/api/identity/v1/oauth/token", data={
            "grant_type": "client_credentials", "client_id": client["client_id"],
            "client_secret": client["client_secret"]}), 200)
    return Partner(tenant, client["client_id"], client["client_secret"], tok["access_token"], name)


async def _record_event(platform: Platform, tenant: str = "hubei") -> tuple[str, str, bytes]:
    """A supervision record event naming one real photo (stored in S3), recorded in the
    partners event log; returns (event id, media name, the photo's bytes)."""
    photo = site_photo(11)
    ref = await platform.app("partners").state.storage.put_bytes(
        tenant=tenant, folder="test/records", data=photo, content_type="image/jpeg", filename="临边.jpg")
    example: dict[str, Any] = RecordSubmitted.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
    data = RecordSubmitted.model_validate({
        **example, "record_id": secrets.token_hex(16),
        "photos": [{**ref.model_dump(), "annotations": [{"type": "rect", "coords": [1, 2, 3, 4]}]}]})
    event = make_event(type="inspections.record.submitted.v1", tenant=tenant, service="inspections",
                       subject=data.record_id, data=data)
    await platform.publish(event.model_dump(mode="json"))
    log = platform.app("partners").state.mongo.db["event_log"]

    async def logged() -> bool:
        return await log.find_one({"_id": event.id}) is not None

    await eventually(logged, timeout=20)
    return event.id, ref.key.rsplit("/", 1)[-1], photo


async def test_plat03_a_partner_fetches_an_events_photo_through_a_fresh_url_on_the_platforms_origin(platform):
    """307 to ``<public base>/media/…`` (presigned, short-lived, no-store); following it
    returns the photo's bytes; ``redirect=false`` answers the same as JSON."""
    event_id, name, photo = await _record_event(platform)
    partner = await _partner(platform, ["events:inspections"])
    async with platform.api(partner.token) as c:
        r = await c.get(f"{API}/media/{event_id}/{name}")
        assert r.status_code == 307, r.text
        location = r.headers["location"]
        assert location.startswith(f"{GATEWAY}/media/") and "X-Amz-Expires=300" in location
        assert r.headers["cache-control"] == "no-store"
        fetched = await c.get(location)
        assert fetched.status_code == 200 and fetched.content == photo
        assert fetched.headers["content-type"] == "image/jpeg"
        link = expect(await c.get(f"{API}/media/{event_id}/{name}", params={"redirect": "false"}), 200)
    assert link["url"].startswith(f"{GATEWAY}/media/") and link["media"]["content_type"] == "image/jpeg"
    assert link["media"]["filename"] == "临边.jpg" and link["expires_at"]
    admin = await platform.admin_token("hubei")
    async with platform.api(admin) as c:          # the province administrator sees every event
        assert (await c.get(f"{API}/media/{event_id}/{name}")).status_code == 307


async def test_plat03_event_media_refuses_what_the_token_may_not_receive(platform):
    """Scope missing (only ``events:notices``), another province's client, an unknown event:
    404 ``event-not-found`` alike (an id's existence is never revealed); an unknown name 404
    ``media-not-found``; a user who is neither a partner nor an administrator 403."""
    event_id, name, _ = await _record_event(platform)
    notices_only = await _partner(platform, ["events:notices"])
    other_province = await _partner(platform, ["events:inspections"], tenant="hainan")
    reader = await _partner(platform, ["events:inspections"])
    for token in (notices_only.token, other_province.token):
        async with platform.api(token) as c:
            r = await c.get(f"{API}/media/{event_id}/{name}")
        assert r.status_code == 404, r.text
        assert r.json()["code"] == "event-not-found" and r.json()["field"] == "event_id"
    async with platform.api(reader.token) as c:
        unknown = await c.get(f"{API}/media/{secrets.token_hex(16)}/{name}")
        assert unknown.status_code == 404 and unknown.json()["code"] == "event-not-found"
        for bad in ("nope.jpg", "..", "a%2Fb.jpg"):
            r = await c.get(f"{API}/media/{event_id}/{bad}")
            assert r.status_code == 404, (bad, r.text)
        assert (await c.get(f"{API}/media/{event_id}/nope.jpg")).json()["code"] == "media-not-found"
    admin = await platform.admin_token("hubei")
    async with platform.api(admin) as c:
        org = expect(await c.post("/api/identity/v1/organizations", json={
            "name": f"媒体测试单位{secrets.token_hex(3)}", "kind": "company", "company_roles": ["contractor"]}), 201)
        username = f"m{secrets.token_hex(4)}"
        expect(await c.post("/api/identity/v1/users", json={
            "org_id": org["id"], "username": username, "display_name": "王五", "password": "Zx9!long-enough-pw",
            "roles": ["company_staff"]}), 201)
    user = await platform.sign_in("hubei", username, "Zx9!long-enough-pw")
    async with platform.api(user) as c:
        assert (await c.get(f"{API}/media/{event_id}/{name}")).status_code == 403


async def test_plat03_a_disabled_clients_token_fetches_no_media(platform):
    """Disabled by the province administrator: 401 as on every partners request."""
    event_id, name, _ = await _record_event(platform)
    partner = await _partner(platform, ["events:inspections"])
    admin = await platform.admin_token("hubei")
    async with platform.api(admin) as c:
        assert (await c.delete(f"/api/identity/v1/clients/{partner.client_id}")).status_code in (200, 204)

    async def refused() -> bool:
        async with platform.api(partner.token) as c:
            r = await c.get(f"{API}/media/{event_id}/{name}")
        assert r.status_code == 401, r.status_code
        return True

    await eventually(refused, timeout=20)
