"""Partner clients and the OAuth 2.0 client credentials grant (PLAT-03)."""

from __future__ import annotations

import base64
import secrets

import jwt

from anjian_local.scenario import expect

CLIENTS = "/api/identity/v1/clients"
TOKEN = "/api/identity/v1/oauth/token"


async def _register(platform, tenant: str = "hubei", scopes: list[str] | None = None) -> dict:
    async with platform.api(await platform.admin_token(tenant)) as c:
        return expect(await c.post(CLIENTS, json={"name": f"大数据中心{secrets.token_hex(3)}",
                                                  "scopes": scopes or ["events:read"]}), 201)


async def test_admin_registers_a_client_and_sees_the_secret_once(platform):
    client = await _register(platform)
    assert client["client_id"].startswith("hubei_") and client["client_secret"]
    assert client["scopes"] == ["events:read"] and client["enabled"] is True
    async with platform.api(await platform.admin_token()) as c:
        listed = expect(await c.get(CLIENTS, params={"limit": 100}), 200)["items"]
        one = expect(await c.get(f"{CLIENTS}/{client['client_id']}"), 200)
    assert client["client_id"] in [x["client_id"] for x in listed]
    assert all("client_secret" not in x and "secret_hash" not in x for x in [*listed, one])
    stored = await platform.app("identity").state.mongo.db["clients"].find_one({"_id": client["client_id"]})
    assert stored["secret_hash"].startswith("$argon2id$"), "only an Argon2 hash is kept"
    assert client["client_secret"] not in str(stored)


async def test_client_credentials_give_a_partner_token_in_form_json_or_basic(platform):
    client = await _register(platform)
    cid, secret = client["client_id"], client["client_secret"]
    basic = base64.b64encode(f"{cid}:{secret}".encode()).decode()
    async with platform.api() as c:
        answers = [
            await c.post(TOKEN, data={"grant_type": "client_credentials", "client_id": cid, "client_secret": secret}),
            await c.post(TOKEN, json={"grant_type": "client_credentials", "client_id": cid, "client_secret": secret}),
            await c.post(TOKEN, data={"grant_type": "client_credentials"}, headers={"authorization": f"Basic {basic}"}),
        ]
        jwks = expect(await c.get("/api/identity/v1/.well-known/jwks.json"), 200)
    for r in answers:
        body = expect(r, 200)
        assert r.headers["cache-control"] == "no-store"
        assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and body["scope"] == "events:read"
        assert "refresh_token" not in body
        header = jwt.get_unverified_header(body["access_token"])
        assert header["alg"] == "RS256" and header["kid"] in {k["kid"] for k in jwks["keys"]}
        claims = jwt.decode(body["access_token"], options={"verify_signature": False})
        assert claims["sub"] == cid and claims["client_id"] == cid and claims["tenant"] == "hubei"
        assert claims["org_kind"] == "partner" and claims["roles"] == ["partner"] and claims["scope"] == "events:read"
        assert claims["org"] == client["org_id"] and claims["typ"] == "access"
    # the token works on the platform (verified by another service with the JWKS)
    async with platform.api(answers[0].json()["access_token"]) as c:
        expect(await c.get("/api/partners/v1/subscriptions"), 200)


async def test_token_errors_follow_rfc_6749(platform):
    client = await _register(platform)
    cid = client["client_id"]
    cases = [
        ({"client_id": cid, "client_secret": "x"}, 400, "invalid_request", "grant_type"),
        ({"grant_type": "password", "client_id": cid, "client_secret": "x"}, 400, "unsupported_grant_type",
         "grant_type"),
        ({"grant_type": "client_credentials", "client_secret": "x"}, 400, "invalid_request", "client_id"),
        ({"grant_type": "client_credentials", "client_id": cid}, 400, "invalid_request", "client_secret"),
        ({"grant_type": "client_credentials", "client_id": cid, "client_secret": client["client_secret"],
          "scope": "events:write"}, 400, "invalid_scope", "scope"),
    ]
    async with platform.api() as c:
        for form, status, error, field in cases:
            r = await c.post(TOKEN, data=form)
            assert r.status_code == status, (form, r.text)
            assert r.json()["error"] == error and r.json()["field"] == field
            assert r.headers["content-type"].startswith("application/problem+json")
        for cid_, secret in ((cid, "wrong-secret"), ("hubei_" + "0" * 32, "x"), ("nonsense", "x"),
                             ("mars_" + "0" * 32, "x")):
            r = await c.post(TOKEN, data={"grant_type": "client_credentials", "client_id": cid_,
                                          "client_secret": secret})
            assert r.status_code == 401 and r.json()["error"] == "invalid_client", r.text
            assert "www-authenticate" in r.headers


async def test_repeated_wrong_secrets_are_throttled(platform):
    client = await _register(platform)
    async with platform.api() as c:
        codes = []
        for _ in range(6):
            r = await c.post(TOKEN, data={"grant_type": "client_credentials", "client_id": client["client_id"],
                                          "client_secret": "guess"})
            codes.append(r.status_code)
        assert codes[:5] == [401] * 5 and codes[5] == 429 and "retry-after" in r.headers
        r = await c.post(TOKEN, data={"grant_type": "client_credentials", "client_id": client["client_id"],
                                      "client_secret": client["client_secret"]})
        assert r.status_code == 429, "even the right secret waits while throttled"


async def test_disabled_client_gets_no_token(platform):
    client = await _register(platform)
    async with platform.api(await platform.admin_token()) as c:
        assert (await c.delete(f"{CLIENTS}/{client['client_id']}")).status_code == 204
        assert (await c.delete(f"{CLIENTS}/{client['client_id']}")).status_code == 204, "idempotent"
        assert expect(await c.get(f"{CLIENTS}/{client['client_id']}"), 200)["enabled"] is False
    async with platform.api() as c:
        r = await c.post(TOKEN, data={"grant_type": "client_credentials", "client_id": client["client_id"],
                                      "client_secret": client["client_secret"]})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


async def test_only_the_province_admin_manages_clients_and_only_its_own(platform, world):
    client = await _register(platform)
    async with platform.api(world.token("zhang")) as c:
        assert (await c.post(CLIENTS, json={"name": "x", "scopes": ["events:read"]})).status_code == 403
        assert (await c.get(CLIENTS)).status_code == 403
        assert (await c.delete(f"{CLIENTS}/{client['client_id']}")).status_code == 403
    async with platform.api(await platform.admin_token("hainan")) as c:
        assert (await c.get(f"{CLIENTS}/{client['client_id']}")).status_code == 404
        assert (await c.delete(f"{CLIENTS}/{client['client_id']}")).status_code == 404
        assert client["client_id"] not in [x["client_id"] for x in expect(await c.get(CLIENTS), 200)["items"]]
    async with platform.api(await platform.admin_token()) as c:
        r = await c.post(CLIENTS, json={"name": "某合作方", "scopes": ["everything"]})
        assert r.status_code == 422 and r.json()["field"] == "scopes"
        r = await c.post(CLIENTS, json={"name": "某合作方", "scopes": []})
        assert r.status_code == 422 and r.json()["field"] == "scopes"
        r = await c.post(CLIENTS, json={"scopes": ["events:read"]})
        assert r.status_code == 422 and r.json()["field"] == "name"
    # a partner token is not a user: it can't manage clients either
    async with platform.api() as c:
        tok = expect(await c.post(TOKEN, data={"grant_type": "client_credentials", "client_id": client["client_id"],
                                               "client_secret": client["client_secret"]}), 200)["access_token"]
    async with platform.api(tok) as c:
        assert (await c.get(CLIENTS)).status_code == 403
        assert (await c.post(CLIENTS, json={"name": "x", "scopes": ["events:read"]})).status_code == 403


async def test_plat03_clients_get_scopes_per_event_family_and_may_narrow_them(platform):
    """Scopes per event family (``anjian_shared.scopes``): a client registered with
    ``events:notices`` and ``events:personal`` may ask for a token with one of them."""
    client = await _register(platform, scopes=["events:personal", "events:notices"])
    assert client["scopes"] == ["events:notices", "events:personal"]
    async with platform.api() as c:
        body = expect(await c.post(TOKEN, data={
            "grant_type": "client_credentials", "client_id": client["client_id"],
            "client_secret": client["client_secret"], "scope": "events:notices"}), 200)
        assert body["scope"] == "events:notices"
        r = await c.post(TOKEN, data={
            "grant_type": "client_credentials", "client_id": client["client_id"],
            "client_secret": client["client_secret"], "scope": "events:projects"})
        assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
    async with platform.api(await platform.admin_token()) as c:
        r = await c.post(CLIENTS, json={"name": "某合作方", "scopes": ["events:everything"]})
        assert r.status_code == 422 and r.json()["field"] == "scopes"
        assert "events:personal" in r.json()["detail"]
