"""The real-time channel (HN-12): ``WS /api/conversations/v1/conversations/{id}/live``.

Protocol (also in README "Conversations (HN-12)"); every frame is a JSON text frame:

1. connect with ``?access_token=<the bearer token>`` — or without it and send
   ``{"type": "auth", "token": "<token>"}`` as the first frame within 10 s — and, when
   resuming, ``&after=<id of the last message you have>``;
2. the server answers ``{"type": "ready", "conversation_id", "last_seq"}``, then every
   message after ``after`` (oldest first) as ``{"type": "message", "message": {…}}`` (the
   ``MessageRead`` of the HTTP API), then ``{"type": "caught_up", "last_seq"}``; without
   ``after`` only what is posted from now on;
3. from then on each new message arrives as ``{"type": "message", …}``, whichever replica
   it was sent through, each exactly once and in ``seq`` order; ``{"type": "ping"}`` every
   ``live_heartbeat_seconds`` (answer nothing, or ``{"type": "ping"}`` to get a ``pong``);
   at every such beat the token and the membership are checked again;
4. the server closes with 4401 (no or bad token; also once the token expired or the account
   was disabled — reconnect with a fresh token and ``after``), 4403 (a partner system's token),
   4404 (not a member: another province, another project's people, removed, left — also
   when that happens while connected), 4422 (``after`` is not a message of the
   conversation), 1013 (identity's keys unreachable: try again).

Sending is HTTP (``POST …/messages`` with an ``Idempotency-Key``): the socket only receives.
A client keeps the id of the last message it showed and reconnects with it as ``after``:
nothing is missed, nothing doubled (dedupe by message id if you also fetch history).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from anjian_shared.errors import DomainError, NotFound, ServiceUnavailable, Unprocessable
from anjian_shared.principal import Principal, Role

from ...service_layer import conversations as cases
from ...service_layer.live import Hub, LiveClient
from .schemas import message_read

log = structlog.get_logger("conversations.ws")
router = APIRouter(tags=["conversations (HN-12)"])

AUTH_TIMEOUT = 10.0


class _Refused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


async def _principal(websocket: WebSocket, access_token: str | None) -> tuple[Principal, str]:
    token = access_token
    if not token:
        try:
            first = await asyncio.wait_for(websocket.receive_json(), AUTH_TIMEOUT)
        except (TimeoutError, ValueError, KeyError) as exc:
            raise _Refused(4401, "send {\"type\": \"auth\", \"token\": …} first") from exc
        token = first.get("token") if isinstance(first, dict) and first.get("type") == "auth" else None
        if not isinstance(token, str) or not token:
            raise _Refused(4401, "send {\"type\": \"auth\", \"token\": …} first")
    try:
        principal: Principal = await websocket.app.state.verifier.verify(token)
    except ServiceUnavailable as exc:
        raise _Refused(1013, "identity keys unavailable, try again") from exc
    except DomainError as exc:
        raise _Refused(4401, "token not accepted") from exc
    if principal.has(Role.PARTNER):
        raise _Refused(4403, "a partner system's token does not read conversations")
    return principal, token


async def _still_allowed(websocket: WebSocket, token: str, principal: Principal, conversation_id: str) -> None:
    """At every heartbeat: the token is still valid (not expired; the account not disabled,
    its password or roles not changed: 4401) and the caller still a member (4404)."""
    try:
        await websocket.app.state.verifier.verify(token)
    except ServiceUnavailable:
        return  # identity unreachable: keep the connection, check again at the next beat
    except DomainError as exc:
        raise _Refused(4401, "token no longer valid: reconnect with a fresh one") from exc
    try:
        await cases.load(mongo=websocket.app.state.mongo, actor=principal, conversation_id=conversation_id)
    except NotFound as exc:
        raise _Refused(4404, "conversation not found") from exc


@router.websocket("/conversations/{conversation_id}/live")
async def live(websocket: WebSocket, conversation_id: str, access_token: str | None = None,
               after: str | None = None) -> None:
    """HN-12: a member's live channel on one conversation (see the module doc for the protocol)."""
    app = websocket.app
    mongo, storage, settings = app.state.mongo, app.state.storage, app.state.settings
    hub: Hub = app.state.hub
    await websocket.accept()
    try:
        principal, token = await _principal(websocket, access_token)
        try:
            conv, _membership = await cases.load(mongo=mongo, actor=principal, conversation_id=conversation_id)
            last_seq = int(conv["last_seq"])
            if after:
                last_seq = await cases.seq_of(mongo=mongo, tenant=principal.tenant, conversation_id=conversation_id,
                                              message_id=after)
        except NotFound as exc:
            raise _Refused(4404, "conversation not found") from exc
        except Unprocessable as exc:
            raise _Refused(4422, "after must name a message of this conversation") from exc
    except _Refused as refused:
        with contextlib.suppress(Exception):
            await websocket.close(code=refused.code, reason=refused.reason)
        return
    except WebSocketDisconnect:
        return

    async def send(message: Any) -> None:
        body = await message_read(storage, settings.presign_minutes, dict(message))
        await websocket.send_json({"type": "message", "message": body.model_dump(mode="json")})

    async def close(reason: str) -> None:
        with contextlib.suppress(Exception):
            await websocket.close(code=4404, reason=reason)

    client = LiveClient(tenant=principal.tenant, conversation_id=conversation_id, user_id=principal.user_id,
                        last_seq=last_seq, send=send, close=close)
    try:
        await websocket.send_json({"type": "ready", "conversation_id": conversation_id, "last_seq": last_seq})
        await hub.connect(client)
        async with client.lock:
            await websocket.send_json({"type": "caught_up", "last_seq": client.last_seq})
        while not client.closed:
            try:
                frame = await asyncio.wait_for(websocket.receive_json(), settings.live_heartbeat_seconds)
            except TimeoutError:
                try:
                    await _still_allowed(websocket, token, principal, conversation_id)
                except _Refused as refused:
                    client.closed = True  # no more pushes to it
                    with contextlib.suppress(Exception):
                        await websocket.close(code=refused.code, reason=refused.reason)
                    break
                await websocket.send_json({"type": "ping"})
                continue
            except (ValueError, KeyError):
                continue  # not JSON, or a binary frame: ignored
            if isinstance(frame, dict) and frame.get("type") == "ping":
                await websocket.send_json({"type": "pong"})
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.disconnect(client)
