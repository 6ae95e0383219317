"""partners HTTP API under ``/api/partners/v1`` (PLAT-03): the event catalog, subscriptions,
delivery attempts and replay."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from anjian_shared import asyncapi
from anjian_shared.auth import CurrentPrincipal
from anjian_shared.events import EVENT_TYPES
from anjian_shared.mongo import Mongo
from anjian_shared.pagination import Cursor, Limit, paginate
from anjian_shared.problems import Unprocessable
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from ...adapters.repository import DELIVERIES, SUBSCRIPTIONS
from ...domain.patterns import matching_types
from ...service_layer import event_log, subscriptions
from .schemas import (
    AmqpEndpoint,
    DeliveryPage,
    DeliveryRead,
    EventPage,
    SecretRotate,
    SecretRotated,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPage,
    SubscriptionRead,
    SubscriptionUpdate,
)

router = APIRouter()


def _mongo(request: Request) -> Mongo:
    return request.app.state.mongo


def subscription_read(request: Request, doc: dict[str, Any]) -> SubscriptionRead:
    amqp = None
    if doc.get("amqp"):
        amqp = AmqpEndpoint(url=request.app.state.settings.public_amqp_url, queue=doc["amqp"]["queue"],
                            username=doc["amqp"]["username"])
    return SubscriptionRead(
        id=doc["_id"], tenant=doc["tenant_id"], client_id=doc["client_id"], client_name=doc.get("client_name", ""),
        kind=doc["kind"], url=doc.get("url"), event_types=doc["event_types"],
        matching_event_types=matching_types(doc["event_types"], EVENT_TYPES), description=doc.get("description"),
        status=doc["status"], paused_reason=doc.get("paused_reason"), paused_at=doc.get("paused_at"),
        created_at=doc["created_at"], updated_at=doc["updated_at"], last_delivered_at=doc.get("last_delivered_at"),
        secret_rotated_at=doc.get("secret_rotated_at"), amqp=amqp)


def delivery_read(doc: dict[str, Any]) -> DeliveryRead:
    return DeliveryRead(
        id=doc["_id"], event_id=doc["event_id"], event_type=doc["event_type"], status=doc["status"],
        attempts=doc.get("attempts", 0), last_response_code=doc.get("last_response_code"),
        last_error=doc.get("last_error"), first_attempt_at=doc.get("first_attempt_at"),
        last_attempt_at=doc.get("last_attempt_at"), next_attempt_at=doc.get("next_attempt_at"),
        delivered_at=doc.get("delivered_at"), created_at=doc["created_at"], history=doc.get("history", []))


# --------------------------------------------------------------------------- catalog


def _catalog(request: Request) -> dict[str, Any]:
    doc = getattr(request.app.state, "asyncapi", None)
    if doc is None:
        doc = request.app.state.asyncapi = asyncapi.build_document()
    return doc


@router.get("/asyncapi.json", tags=["catalog"], response_class=JSONResponse)
async def asyncapi_json(request: Request) -> JSONResponse:
    """The event catalog: AsyncAPI 3.0, generated from the event payload models (PLAT-03).
    No sign-in needed. The same document as ``docs/asyncapi.yaml``."""
    return JSONResponse(_catalog(request))


@router.get("/asyncapi.yaml", tags=["catalog"], response_class=PlainTextResponse,
            responses={200: {"content": {"application/yaml": {}}}})
async def asyncapi_yaml(request: Request) -> Response:
    """The event catalog as YAML (``application/yaml``); no sign-in needed (PLAT-03)."""
    return Response(asyncapi.to_yaml(_catalog(request)), media_type="application/yaml; charset=utf-8")


# --------------------------------------------------------------------------- subscriptions


@router.post("/subscriptions", response_model=SubscriptionCreated, status_code=201, tags=["subscriptions"])
async def create_subscription(body: SubscriptionCreate, principal: CurrentPrincipal,
                              request: Request) -> SubscriptionCreated:
    """Subscribe to the province's events (PLAT-03); partner token (role ``partner``, scope
    ``events:read``) only, else 403.

    ``{"kind": "webhook", "url": "https://…", "event_types": ["notices.*.*.v1"]}`` → the
    subscription with ``secret`` (``whsec_…``, shown once) to verify the Standard Webhooks
    signatures. ``{"kind": "amqp", "event_types": ["#"]}`` → ``amqp`` {url, queue,
    username, password (shown once)}. 422 names ``kind``, ``url`` or ``event_types.<i>``.
    """
    p = request.app.state.partners
    doc = await subscriptions.create_subscription(
        mongo=_mongo(request), settings=request.app.state.settings, queues=p.queues, broker_admin=p.broker_admin,
        principal=principal, kind=body.kind, url=body.url, event_types=body.event_types,
        description=body.description)
    read = subscription_read(request, doc)
    if read.amqp is not None:
        read.amqp.password = doc.get("amqp_password")
    return SubscriptionCreated(**read.model_dump(), secret=doc.get("secret"))


@router.get("/subscriptions", response_model=SubscriptionPage, tags=["subscriptions"])
async def list_subscriptions(principal: CurrentPrincipal, request: Request, limit: Limit = 20, cursor: Cursor = None,
                             status: Annotated[str | None, Query(pattern="^(active|paused)$")] = None,
                             ) -> SubscriptionPage:
    """A partner's own subscriptions, or (province administrator) all of the province's;
    newest first. Never the secrets."""
    flt = subscriptions.require_reader(principal)
    if status:
        flt["status"] = status
    docs, nxt = await paginate(_mongo(request).repo(SUBSCRIPTIONS, principal.tenant), flt, limit=limit,
                               cursor=cursor)
    return SubscriptionPage(items=[subscription_read(request, d) for d in docs], next_cursor=nxt)


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionRead, tags=["subscriptions"])
async def get_subscription(subscription_id: str, principal: CurrentPrincipal, request: Request) -> SubscriptionRead:
    """One visible subscription (status, paused reason, last delivery); 404 otherwise."""
    return subscription_read(request, await subscriptions.get_visible(_mongo(request), principal, subscription_id))


@router.patch("/subscriptions/{subscription_id}", response_model=SubscriptionRead, tags=["subscriptions"])
async def update_subscription(subscription_id: str, body: SubscriptionUpdate, principal: CurrentPrincipal,
                              request: Request) -> SubscriptionRead:
    """Change patterns, URL, description, or pause/resume (``{"status": "active"}`` resumes a
    paused subscription: what it missed is delivered, in order). Owner only (403); 404 if
    invisible; 409 resuming a subscription whose client was disabled."""
    doc = await subscriptions.update_subscription(
        mongo=_mongo(request), settings=request.app.state.settings, principal=principal,
        subscription_id=subscription_id, changes=body.model_dump(exclude_unset=True))
    return subscription_read(request, doc)


@router.delete("/subscriptions/{subscription_id}", status_code=204, tags=["subscriptions"])
async def delete_subscription(subscription_id: str, principal: CurrentPrincipal, request: Request) -> Response:
    """Unsubscribe (owner only): pending deliveries are dropped; an AMQP subscription's queue
    and broker user are deleted."""
    p = request.app.state.partners
    await subscriptions.delete_subscription(mongo=_mongo(request), queues=p.queues, broker_admin=p.broker_admin,
                                            principal=principal, subscription_id=subscription_id)
    return Response(status_code=204)


@router.post("/subscriptions/{subscription_id}/secret/rotate", response_model=SecretRotated,
             tags=["subscriptions"])
async def rotate_secret(subscription_id: str, principal: CurrentPrincipal, request: Request,
                        body: SecretRotate | None = None) -> SecretRotated:
    """Rotate the webhook signing secret (owner only): the answer holds the new secret once;
    the previous one keeps signing — a second signature in ``webhook-signature`` — until
    ``previous_secret_expires_at`` (``grace_seconds``, default 24 h). AMQP: a new broker password."""
    p = request.app.state.partners
    doc, shown = await subscriptions.rotate_secret(
        mongo=_mongo(request), settings=request.app.state.settings, broker_admin=p.broker_admin,
        principal=principal, subscription_id=subscription_id, grace_seconds=body.grace_seconds if body else None)
    read = subscription_read(request, doc)
    if read.amqp is not None:
        read.amqp.password = shown.get("amqp_password")
    return SecretRotated(**read.model_dump(), secret=shown.get("secret"),
                         previous_secret_expires_at=shown.get("previous_secret_expires_at"))


@router.get("/subscriptions/{subscription_id}/deliveries", response_model=DeliveryPage, tags=["subscriptions"])
async def list_deliveries(subscription_id: str, principal: CurrentPrincipal, request: Request, limit: Limit = 20,
                          cursor: Cursor = None,
                          status: Annotated[str | None, Query(pattern="^(pending|delivered|failed)$")] = None,
                          ) -> DeliveryPage:
    """Delivery attempts of a subscription, newest event first: status, attempts, last
    response code and error, next attempt, the last 10 attempts (PLAT-03)."""
    await subscriptions.get_visible(_mongo(request), principal, subscription_id)
    flt: dict[str, Any] = {"subscription_id": subscription_id}
    if status:
        flt["status"] = status
    docs, nxt = await paginate(_mongo(request).repo(DELIVERIES, principal.tenant), flt, limit=limit, cursor=cursor)
    return DeliveryPage(items=[delivery_read(d) for d in docs], next_cursor=nxt)


@router.get("/subscriptions/{subscription_id}/events", response_model=EventPage, tags=["replay"])
async def replay_events(subscription_id: str, principal: CurrentPrincipal, request: Request, limit: Limit = 100,
                        cursor: Annotated[str | None, Query(max_length=200)] = None,
                        since: Annotated[datetime | None, Query(description="events whose time is ≥ this "
                                                                            "(RFC 3339)")] = None,
                        after_id: Annotated[str | None, Query(max_length=64, description=(
                            "events logged after this event id"))] = None) -> EventPage:
    """Replay (PLAT-03): the subscription's events from the event log (kept ≥ 30 days), in
    delivery order, from ``since`` or after the event ``after_id`` (not both: 422), page by
    page (``next_cursor`` → ``cursor``). Same CloudEvents as the webhooks deliver.
    422 naming ``after_id`` when that event is not in the log."""
    sub = await subscriptions.get_visible(_mongo(request), principal, subscription_id)
    if since is not None and after_id is not None:
        raise Unprocessable("give either since or after_id", field="after_id")
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    items, nxt = await event_log.replay(
        _mongo(request), tenant=principal.tenant, types=matching_types(sub["event_types"], EVENT_TYPES),
        since=since, after_id=after_id, cursor=cursor, limit=limit)
    return EventPage(items=items, next_cursor=nxt)
