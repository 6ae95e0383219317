"""RS256 signing keys kept in identity's database, published as JWKS.

The first replica to start creates a key (insert with a fixed ``_id`` guards the
race); rotation adds a newer key: tokens are signed with the newest, every key not
retired stays in the JWKS so tokens signed before a rotation keep verifying.
"""

from __future__ import annotations

import json
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from anjian_shared.types import new_id, utcnow

COLLECTION = "signing_keys"
PLATFORM = "_platform"


def _generate() -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"kid": new_id()[:16], "private_pem": pem}


async def ensure_signing_key(db: AsyncDatabase) -> None:
    """Create the first signing key unless one exists."""
    if await db[COLLECTION].find_one({"retired": False}):
        return
    k = _generate()
    try:
        await db[COLLECTION].insert_one({"_id": "initial", "tenant_id": PLATFORM, "kid": k["kid"],
                                         "private_pem": k["private_pem"], "retired": False,
                                         "created_at": utcnow()})
    except DuplicateKeyError:
        pass


async def rotate(db: AsyncDatabase) -> str:
    """Add a new signing key (used from then on); returns its kid."""
    k = _generate()
    await db[COLLECTION].insert_one({"_id": new_id(), "tenant_id": PLATFORM, "kid": k["kid"],
                                     "private_pem": k["private_pem"], "retired": False, "created_at": utcnow()})
    return k["kid"]


async def current_key(db: AsyncDatabase) -> dict[str, Any]:
    doc = await db[COLLECTION].find_one({"retired": False}, sort=[("created_at", -1)])
    if doc is None:
        raise RuntimeError("no signing key")
    return doc


async def jwks(db: AsyncDatabase) -> dict[str, Any]:
    """``{"keys": [JWK, …]}`` with the public half of every key not retired."""
    keys = []
    async for doc in db[COLLECTION].find({"retired": False}):
        private = serialization.load_pem_private_key(doc["private_pem"].encode(), password=None)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
        jwk.update({"kid": doc["kid"], "use": "sig", "alg": "RS256"})
        keys.append(jwk)
    return {"keys": keys}
