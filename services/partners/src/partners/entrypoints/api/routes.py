"""partners HTTP API under ``/api/partners/v1`` (PLAT-03): the event catalog, subscriptions,
delivery attempts and replay."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlsplit, urlunsplit

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse

from anjian_shared import asyncapi
from anjian_shared import scopes as scope_table
from anjian_shared.auth import CurrentPrincipal
from anjian_shared.events import EVENT_TYPES
from anjian_shared.mongo import Mongo
from anjian_shared.pagination import Cursor, Limit
from anjian_shared.problems import Unprocessable

from ...domain.model import subscription_scopes
from ...service_layer import event_log, media, subscriptions
from .schemas import (
    AmqpEndpoint,
    DeliveryPage,
    DeliveryRead,
    EventPage,
    EventTypeList,
    EventTypeRead,
    MediaLink,
    SecretRotate,
    SecretRotated,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPage,
    SubscriptionRead,
    SubscriptionUpdate,
    TestRequest,
)

router = APIRouter()


def _mongo(request: Request) -> Mongo:
    return request.app.state.mongo


def subscription_read(request: Request, doc: dict[str, Any]) -> SubscriptionRead:
    amqp = None
    if doc.get("amqp"):
        url = request.app.state.settings.public_amqp_url
        vhost = doc["amqp"].get("vhost")
        if vhost:  # the client's own vhost (subscriptions before vhosts per client: the platform's)
            parts = urlsplit(url)
            url = urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), "", ""))
        amqp = AmqpEndpoint(url=url, queue=doc["amqp"]["queue"], username=doc["amqp"]["username"], vhost=vhost)
    return SubscriptionRead(
        id=doc["_id"], tenant=doc["tenant_id"], client_id=doc["client_id"], client_name=doc.get("client_name", ""),
        kind=doc["kind"], url=doc.get("url"), event_types=doc["event_types"],
        matching_event_types=subscriptions.receivable_types(doc), scopes=subscription_scopes(doc),
        description=doc.get("description"),
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


def _event_types() -> EventTypeList:
    items = []
    for t in sorted(EVENT_TYPES):
        model = EVENT_TYPES[t]
        doc = (model.__doc__ or "").strip()
        summary = doc.split("\n\n", 1)[0].replace("\n", " ")
        items.append(EventTypeRead(
            type=t, summary=summary, description=doc, scopes=sorted(scope_table.family_scopes(t)),
            own_only=scope_table.is_own_only(t), personal_data=scope_table.family_scopes(t) == {scope_table.PERSONAL},
            data_schema=model.model_json_schema(mode="serialization")))
    return EventTypeList(items=items, scopes=dict(scope_table.SCOPES))


@router.get("/event-types", response_model=EventTypeList, tags=["catalog"])
async def event_types() -> EventTypeList:
    """Every event type (PLAT-03): its description, the JSON Schema of its ``data``, and
    which scopes grant it (``own_only``: only events about the subscriber's own client;
    ``personal_data``: only with ``events:personal``). No sign-in needed. ``scopes``
    lists every scope a province administrator may give a partner client."""
    return _event_types()


# --------------------------------------------------------------------------- subscriptions


@router.post("/subscriptions", response_model=SubscriptionCreated, status_code=201, tags=["subscriptions"])
async def create_subscription(body: SubscriptionCreate, principal: CurrentPrincipal,
                              request: Request) -> SubscriptionCreated:
    """Subscribe to the province's events (PLAT-03); partner token (role ``partner``, an
    events scope) only, else 403; 401 once the client is disabled.

    ``{"kind": "webhook", "url": "https://…", "event_types": ["notices.*.*.v1"]}`` → the
    subscription with ``secret`` (``whsec_…``, shown once) to verify the Standard Webhooks
    signatures. ``{"kind": "amqp", "event_types": ["#"]}`` → ``amqp`` {url, queue,
    username, password (shown once)}. 422 names ``kind``, ``url`` or ``event_types.<i>``
    (a pattern has at most 10 words); 403 names ``event_types.<i>`` when a pattern matches
    only types the token's scopes don't grant (``GET /event-types`` says which grants which).
    """
    p = request.app.state.partners
    doc = await subscriptions.create_subscription(
        mongo=_mongo(request), settings=request.app.state.settings, queues=p.queues, broker_admin=p.broker_admin,
        principal=principal, kind=body.kind, url=body.url, event_types=body.event_types,
        description=body.description, resolver=p.sender.resolver)
    read = subscription_read(request, doc)
    if read.amqp is not None:
        read.amqp.password = doc.get("amqp_password")
    return SubscriptionCreated(**read.model_dump(), secret=doc.get("secret"))


@router.get("/subscriptions", response_model=SubscriptionPage, tags=["subscriptions"])
async def list_subscriptions(principal: CurrentPrincipal, request: Request, limit: Limit = 20, cursor: Cursor = None,
                             status: Annotated[str | None, Query(pattern="^(active|paused)$")] = None,
                             ) -> SubscriptionPage:
    """A partner's own subscriptions — never another partner's — or (province administrator)
    all of the province's; newest first. Never the secrets."""
    docs, nxt = await subscriptions.list_subscriptions(mongo=_mongo(request), principal=principal, status=status,
                                                       limit=limit, cursor=cursor)
    return SubscriptionPage(items=[subscription_read(request, d) for d in docs], next_cursor=nxt)


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionRead, tags=["subscriptions"])
async def get_subscription(subscription_id: str, principal: CurrentPrincipal, request: Request) -> SubscriptionRead:
    """One visible subscription (status, paused reason, last delivery); 404 otherwise."""
    return subscription_read(request, await subscriptions.get_visible(_mongo(request), principal, subscription_id))


@router.patch("/subscriptions/{subscription_id}", response_model=SubscriptionRead, tags=["subscriptions"])
async def update_subscription(subscription_id: str, body: SubscriptionUpdate, principal: CurrentPrincipal,
                              request: Request) -> SubscriptionRead:
    """Change patterns, URL, description (owner only, 403), or pause/resume (owner or province
    administrator): ``{"status": "active"}`` resumes a paused subscription and delivers what
    it missed at once, in order. 404 if invisible; 409 naming ``status`` resuming a
    subscription whose client was disabled, or (partner) one the administrator paused."""
    doc = await subscriptions.update_subscription(
        mongo=_mongo(request), settings=request.app.state.settings, principal=principal,
        subscription_id=subscription_id, changes=body.model_dump(exclude_unset=True),
        resolver=request.app.state.partners.sender.resolver)
    return subscription_read(request, doc)


@router.delete("/subscriptions/{subscription_id}", status_code=204, tags=["subscriptions"])
async def delete_subscription(subscription_id: str, principal: CurrentPrincipal, request: Request) -> Response:
    """Unsubscribe (owner or province administrator): pending deliveries are dropped; an AMQP
    subscription's queue and broker user are deleted and its open connections closed."""
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
    ``previous_secret_expires_at`` (``grace_seconds``, default 24 h). AMQP: a new broker
    password; connections opened with the old one are closed at once."""
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
    docs, nxt = await subscriptions.list_deliveries(mongo=_mongo(request), principal=principal,
                                                    subscription_id=subscription_id, status=status, limit=limit,
                                                    cursor=cursor)
    return DeliveryPage(items=[delivery_read(d) for d in docs], next_cursor=nxt)


@router.post("/subscriptions/{subscription_id}/retry", response_model=SubscriptionRead, tags=["subscriptions"])
async def retry_now(subscription_id: str, principal: CurrentPrincipal, request: Request) -> SubscriptionRead:
    """Retry now (PLAT-03): every undelivered event of the subscription is tried at once —
    the ones that gave up (``failed``) start over, the ones waiting for their next attempt
    stop waiting — in log order. Owner or province administrator; 409 naming ``status``
    when paused (resume it instead: ``PATCH`` ``{"status": "active"}`` does the same)."""
    doc = await subscriptions.retry_now(mongo=_mongo(request), principal=principal, subscription_id=subscription_id)
    return subscription_read(request, doc)


@router.post("/subscriptions/{subscription_id}/events/{event_id}/redeliver", response_model=DeliveryRead,
             status_code=202, tags=["subscriptions"])
async def redeliver(subscription_id: str, event_id: str, principal: CurrentPrincipal,
                    request: Request) -> DeliveryRead:
    """Deliver one event again (PLAT-03): any event of the event log (kept 30 days) this
    subscription receives — delivered, failed, or logged before the subscription existed —
    goes to the head of its queue, due now (the same ``webhook-id``: dedupe on it if you
    need to). 202 with the delivery; 404 when the event is unknown, older than the
    retention, or not one the subscription receives. Owner or province administrator."""
    doc = await subscriptions.redeliver(mongo=_mongo(request), settings=request.app.state.settings,
                                        principal=principal, subscription_id=subscription_id, event_id=event_id)
    return delivery_read(doc)


@router.post("/subscriptions/{subscription_id}/test", response_model=DeliveryRead, status_code=202,
             tags=["subscriptions"])
async def send_test(subscription_id: str, principal: CurrentPrincipal, request: Request,
                    body: TestRequest | None = None) -> DeliveryRead:
    """Send a test event (PLAT-03): a ``partners.test.sent.v1`` CloudEvent (``data``:
    ``subscription_id``, ``client_id``, ``message``, ``requested_at``) is delivered to this
    subscription only, ahead of its backlog, signed and retried like any event, and never
    logged for replay. 202 with its delivery (follow it in ``/deliveries``). Owner only."""
    doc = await subscriptions.send_test(mongo=_mongo(request), settings=request.app.state.settings,
                                        principal=principal, subscription_id=subscription_id,
                                        message=body.message if body else None)
    return delivery_read(doc)


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
        _mongo(request), tenant=principal.tenant, types=subscriptions.receivable_types(sub),
        since=since, after_id=after_id, cursor=cursor, limit=limit,
        client_id=sub["client_id"])
    return EventPage(items=items, next_cursor=nxt)


# --------------------------------------------------------------------------- media of events


@router.get("/media/{event_id}/{name}", tags=["replay"], status_code=307, response_class=RedirectResponse,
            response_model=None,
            responses={307: {"description": "redirect (Location) to a fresh presigned URL of the medium",
                             "headers": {"Location": {"schema": {"type": "string"},
                                                      "description": "<public base>/media/…?X-Amz-…"}}},
                       200: {"description": "with redirect=false: the URL as JSON", "model": MediaLink}})
async def event_media(event_id: Annotated[str, Path(max_length=64)],
                      name: Annotated[str, Path(max_length=200, description=(
                          "the medium's name: the last segment of its ``key`` in the event"))],
                      principal: CurrentPrincipal, request: Request,
                      redirect: Annotated[bool, Query(description="false: answer the URL as JSON")] = True,
                      ) -> Response:
    """A medium an event names (issue 11): a photo, signature, seal, reply attachment … of an
    event in the province's log (kept 30 days). 307 to a presigned URL on the platform's
    own origin (``<public base>/media/…``, valid ``ANJIAN_MEDIA_LINK_SECONDS``, 300 s), so a
    partner never needs the store's host and a URL in a replayed event never goes stale.
    For a partner whose token's scopes grant the event's family (events about partner
    clients: only its own) and for the province administrator. 401 a disabled client; 403
    any other caller; 404 ``event-not-found`` (unknown, another province's, expired or not
    granted), 404 ``media-not-found`` (no media of that name in the event)."""
    url, expires_at, ref = await media.media_link(
        mongo=_mongo(request), storage=request.app.state.storage, settings=request.app.state.settings,
        principal=principal, event_id=event_id, name=name)
    headers = {"Cache-Control": "no-store"}
    if not redirect:
        return JSONResponse(MediaLink(url=url, expires_at=expires_at, media=ref).model_dump(mode="json"),
                            headers=headers)
    return RedirectResponse(url, status_code=307, headers=headers)
