"""Partner clients and the OAuth 2.0 token endpoint under ``/api/identity/v1`` (PLAT-03)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote_plus

from fastapi import APIRouter, Request, Response

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.mongo import Mongo
from anjian_shared.pagination import Cursor, Limit
from anjian_shared.problems import problem_doc

from ...service_layer import clients
from .schemas import ClientCreate, ClientCreated, ClientPage, ClientRead, ClientToken

router = APIRouter(tags=["partner clients"])


def _mongo(request: Request) -> Mongo:
    return request.app.state.mongo


def client_read(doc: dict[str, Any]) -> ClientRead:
    return ClientRead(client_id=doc["_id"], tenant=doc["tenant_id"], name=doc["name"], scopes=doc["scopes"],
                      org_id=doc["org_id"], enabled=doc.get("enabled", False), created_at=doc["created_at"],
                      created_by=doc["created_by"], disabled_at=doc.get("disabled_at"))


@router.post("/clients", response_model=ClientCreated, status_code=201)
async def create_client(body: ClientCreate, principal: CurrentPrincipal, request: Request) -> ClientCreated:
    """Register a partner system (PLAT-03): province administrators only (403).

    Body ``{name, scopes: ["events:notices", …]}`` (unknown scope → 422 naming ``scopes``):
    ``events:inspections|notices|projects|identity`` (one event family each),
    ``events:personal`` (``identity.user.*``: names, mobiles), legacy ``events:read`` (every
    family but people). ``GET /api/partners/v1/event-types`` says which grants which type.
    Returns ``client_id`` and ``client_secret`` — the secret is shown only here; identity
    stores its Argon2 hash. The partner then calls ``POST /oauth/token``.
    """
    doc = await clients.register_client(mongo=_mongo(request), actor=principal, name=body.name, scopes=body.scopes)
    return ClientCreated(**client_read(doc).model_dump(), client_secret=doc["client_secret"])


@router.get("/clients", response_model=ClientPage)
async def list_clients(principal: CurrentPrincipal, request: Request, limit: Limit = 20,
                       cursor: Cursor = None) -> ClientPage:
    """The province's partner clients, newest first (administrators only: 403). Never the secret."""
    docs, nxt = await clients.list_clients(mongo=_mongo(request), actor=principal, limit=limit, cursor=cursor)
    return ClientPage(items=[client_read(d) for d in docs], next_cursor=nxt)


@router.get("/clients/{client_id}", response_model=ClientRead)
async def get_client(client_id: str, principal: CurrentPrincipal, request: Request) -> ClientRead:
    """One partner client of the province (administrators: 403 for others; 404 if unknown
    or of another province)."""
    return client_read(await clients.get_client(mongo=_mongo(request), actor=principal, client_id=client_id))


@router.delete("/clients/{client_id}", status_code=204)
async def disable_client(client_id: str, principal: CurrentPrincipal, request: Request) -> Response:
    """Disable a partner client (PLAT-03): it gets no new token; the partners service refuses
    its unexpired tokens (401), pauses its subscriptions and closes its broker connections.
    Idempotent: 204."""
    await clients.disable_client(mongo=_mongo(request), actor=principal, client_id=client_id)
    return Response(status_code=204)


def _basic_credentials(request: Request) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None, None
    try:
        raw = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    user, _, password = raw.partition(":")
    # RFC 6749 §2.3.1: the client id and secret are form-urlencoded before Basic encoding
    return unquote_plus(user), unquote_plus(password)


@router.post("/oauth/token", response_model=ClientToken, tags=["tokens"],
             openapi_extra={"requestBody": {"content": {
                 "application/x-www-form-urlencoded": {"schema": {
                     "type": "object", "required": ["grant_type"],
                     "properties": {"grant_type": {"type": "string", "enum": ["client_credentials"]},
                                    "client_id": {"type": "string"}, "client_secret": {"type": "string"},
                                    "scope": {"type": "string"}}}},
                 "application/json": {"schema": {"type": "object"}}}}},
             responses={429: problem_doc("too many failed attempts")})
async def token(request: Request, response: Response) -> ClientToken:
    """OAuth 2.0 client credentials grant (RFC 6749 §4.4) for partner systems (PLAT-03).

    ``grant_type=client_credentials`` with ``client_id`` and ``client_secret`` as form
    fields, JSON members or HTTP Basic; optional ``scope`` (space-separated, a subset of
    the client's). Returns an RS256 access token (``expires_in`` seconds, default 900)
    with ``tenant``, ``org``, ``org_kind: partner``, ``roles: ["partner"]``, ``scope``.
    Errors carry RFC 6749 ``error``: ``invalid_request``/``unsupported_grant_type``/
    ``invalid_scope`` (400), ``invalid_client`` (401), 429 after repeated failures.
    """
    params: dict[str, Any] = {}
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise clients.OAuthError(400, "invalid_request", "the body is not JSON") from None
        if isinstance(body, dict):
            params = {k: v for k, v in body.items() if isinstance(v, str)}
    else:
        form = await request.form()
        params = {k: v for k, v in form.items() if isinstance(v, str)}
    basic_id, basic_secret = _basic_credentials(request)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    result = await clients.issue_client_token(
        mongo=_mongo(request), settings=request.app.state.settings, grant_type=params.get("grant_type"),
        client_id=basic_id or params.get("client_id"), client_secret=basic_secret or params.get("client_secret"),
        scope=params.get("scope"))
    return ClientToken(**result)
