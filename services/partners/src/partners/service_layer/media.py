"""A partner fetches the media an event names (issue 11, PLAT-03): a fresh, short-lived
presigned URL on the platform's own origin (``anjian_shared.storage``), handed out as a
redirect after the same checks as the event's delivery."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from anjian_shared.auth import Principal
from anjian_shared.events.common import MediaRef
from anjian_shared.mongo import Mongo
from anjian_shared.problems import NotFound
from anjian_shared.storage import Storage
from anjian_shared.types import utcnow

from ..adapters.repository import EVENT_LOG
from ..domain.media import NAME, media_refs
from ..domain.model import delivers, is_partner, partner_scopes
from ..settings import Settings
from .subscriptions import authorize

_NO_EVENT = ("no such event for this client: unknown, another province's, older than the retention, "
             "or of a family the token's scopes don't grant")


async def media_link(*, mongo: Mongo, storage: Storage, settings: Settings, principal: Principal,
                     event_id: str, name: str) -> tuple[str, datetime, dict[str, Any]]:
    """(presigned URL, its expiry, the media reference) of the media ``name`` of the logged
    event ``event_id``; the URL is valid ``settings.media_link_seconds``.

    A partner gets media of the events it may receive (its scopes grant the event's family;
    events about partner clients only about its own), a province administrator of every
    event of the province. 401 a disabled client; 403 neither a partner with an events
    scope nor an administrator; 404 ``event-not-found`` (unknown, another province's, expired,
    or not granted: the same answer, so an id's existence is never revealed), 404
    ``media-not-found`` (the event names no media of that name)."""
    await authorize(mongo, principal)
    entry = await mongo.repo(EVENT_LOG, principal.tenant).get(event_id)
    data = entry["event"].get("data") if entry is not None else None
    if entry is None or (is_partner(principal) and not delivers(
            {"scopes": partner_scopes(principal), "client_id": principal.user_id}, entry["type"], data)):
        raise NotFound(_NO_EVENT, slug="event-not-found", field="event_id")
    ref = media_refs(data).get(name) if NAME.match(name) else None
    if ref is None:
        raise NotFound("the event names no media of this name (the last segment of a media key)",
                       slug="media-not-found", field="name")
    media = MediaRef.model_validate(ref)
    ttl = timedelta(seconds=settings.media_link_seconds)
    url = await storage.presigned_get(media, expires=ttl)
    return url, utcnow() + ttl, media.model_dump()
