"""S4: forged and broken access tokens are refused with 401 problems (RFC 8725).

Each token is built here with PyJWT/cryptography. The claim-level cases (audience,
issuer, expiry, missing tenant…) are signed with identity's REAL signing key, read
from its database, so the only thing wrong with them is the claim under test; the
key-level cases (alg none, HS256 keyed with the public key, unknown kid, a stranger's
key under the real kid, an embedded ``jwk``) attack the verifier itself. Every
service that verifies tokens is asked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

# one protected endpoint per service that verifies tokens
PROTECTED = {
    "identity": "/api/identity/v1/me",
    "projects": "/api/projects/v1/projects",
    "inspections": "/api/inspections/v1/plans",
    "notices": "/api/notices/v1/notices",
    "reporting": "/api/reporting/v1/notifications",
}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_token(header: dict[str, Any], claims: dict[str, Any], sign: Any = None) -> str:
    """Assemble a JWS by hand (PyJWT refuses to produce some of the hostile ones)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = sign(signing_input.encode()) if sign else b""
    return f"{signing_input}.{b64(signature)}"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def keys(platform, world):
    """The real signing key (private PEM + kid), its public PEM, and valid claims of 张伟."""
    identity = platform.app("identity")
    doc = await identity.state.mongo.db["signing_keys"].find_one({"retired": False}, sort=[("created_at", -1)])
    private = serialization.load_pem_private_key(doc["private_pem"].encode(), password=None)
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    good = jwt.decode(world.token("zhang"), options={"verify_signature": False})
    settings = identity.state.settings
    return {"pem": doc["private_pem"], "kid": doc["kid"], "public_pem": public_pem, "claims": good,
            "issuer": settings.jwt_issuer, "audience": settings.jwt_audience}


def fresh_claims(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {**base, "iat": now, "exp": now + 600}
    for k, v in changes.items():
        if v is None:
            claims.pop(k, None)
        else:
            claims[k] = v
    return claims


def hostile_tokens(k: dict[str, Any]) -> dict[str, str]:
    """name → token; every one of them must be refused."""
    real = k["pem"]
    kid = k["kid"]
    base = k["claims"]
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stranger_pem = stranger.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
    stranger_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(stranger.public_key()))
    now = int(time.time())

    def rs256(claims: dict[str, Any], key: Any = real, header: dict[str, Any] | None = None) -> str:
        return jwt.encode(claims, key, algorithm="RS256", headers=header if header is not None else {"kid": kid})

    return {
        "alg none, no signature": raw_token({"alg": "none", "typ": "JWT", "kid": kid}, fresh_claims(base)),
        "alg None (mixed case)": raw_token({"alg": "None", "kid": kid}, fresh_claims(base)),
        "HS256 keyed with the public key PEM": raw_token(
            {"alg": "HS256", "typ": "JWT", "kid": kid}, fresh_claims(base),
            sign=lambda m: hmac.new(k["public_pem"], m, hashlib.sha256).digest()),
        "HS256 keyed with the JWKS n": raw_token(
            {"alg": "HS256", "kid": kid}, fresh_claims(base),
            sign=lambda m: hmac.new(k["public_pem"].strip(), m, hashlib.sha256).digest()),
        "wrong audience": rs256(fresh_claims(base, aud="someone-else")),
        "wrong issuer": rs256(fresh_claims(base, iss="https://evil.example/identity")),
        "expired": rs256({**fresh_claims(base), "iat": now - 7200, "exp": now - 3600}),
        "not yet valid (nbf)": rs256(fresh_claims(base, nbf=now + 3600)),
        "no exp": rs256(fresh_claims(base, exp=None)),
        "unknown kid": rs256(fresh_claims(base), key=stranger_pem, header={"kid": "not-a-known-kid"}),
        "kid path traversal": rs256(fresh_claims(base), key=stranger_pem, header={"kid": "../../../dev/null"}),
        "no kid": rs256(fresh_claims(base), header={}),
        "stranger's key under the real kid": rs256(fresh_claims(base), key=stranger_pem),
        "stranger's key embedded as jwk": rs256(fresh_claims(base), key=stranger_pem,
                                                header={"kid": kid, "jwk": stranger_jwk}),
        "missing tenant claim": rs256(fresh_claims(base, tenant=None)),
        "empty tenant claim": rs256(fresh_claims(base, tenant="")),
        "missing org claim": rs256(fresh_claims(base, org=None)),
        "missing sub": rs256(fresh_claims(base, sub=None)),
        "not an access token (typ refresh)": rs256(fresh_claims(base, typ="refresh")),
        "tampered payload (tenant swapped after signing)": _swap_tenant(rs256(fresh_claims(base)), "hainan"),
        "garbage": "not.a.jwt",
        "two parts": "eyJhbGciOiJSUzI1NiJ9.e30",
    }


def _swap_tenant(token: str, tenant: str) -> str:
    header, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["tenant"] = tenant
    return f"{header}.{b64(json.dumps(claims).encode())}.{sig}"


async def test_the_real_key_signs_tokens_every_service_accepts(platform, keys):
    """Control: a token built here the same way, with nothing wrong, IS accepted — so the
    refusals below are about the one broken thing, not about how the tokens are built."""
    token = jwt.encode(fresh_claims(keys["claims"]), keys["pem"], algorithm="RS256", headers={"kid": keys["kid"]})
    for service, path in PROTECTED.items():
        if service not in platform.services:
            continue
        async with platform.api(token) as c:
            r = await c.get(path)
        assert r.status_code == 200, (service, r.text[:300])


async def test_hostile_tokens_are_401_problems_on_every_service(platform, keys, report):
    refused: list[tuple[str, str, int]] = []
    wrong: list[str] = []
    for name, token in hostile_tokens(keys).items():
        for service, path in PROTECTED.items():
            if service not in platform.services:
                continue
            async with platform.api(headers={"Authorization": f"Bearer {token}"}) as c:
                r = await c.get(path)
            refused.append((name, service, r.status_code))
            ok = (r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
                  and r.json()["status"] == 401)
            if not ok:
                wrong.append(f"{name} @ {service}: {r.status_code} {r.text[:200]}")
    names = sorted({n for n, _, _ in refused})
    services = sorted({s for _, s, _ in refused})
    report("S4 hostile tokens", f"{len(names)} hostile tokens × {len(services)} services ({', '.join(services)}) "
                                f"= {len(refused)} requests, {len(refused) - len(wrong)} refused with a 401 problem\n"
                                + "\n".join(f"  {n}" for n in names))
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("header", ["Basic emhhbmc6cGFzcw==", "Bearer", "Token abc", "Bearer a.b.c.d"])
async def test_malformed_authorization_headers_are_401(platform, header):
    async with platform.api(headers={"Authorization": header}) as c:
        r = await c.get("/api/inspections/v1/plans")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
