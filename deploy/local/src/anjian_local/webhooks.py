"""A partner's webhook endpoint, as a partner would write it (PLAT-03): used by ``make demo``
and the partners tests.

It verifies every delivery with the official ``standardwebhooks`` library (the
subscription's ``whsec_…`` secret), parses the body with the official CloudEvents SDK,
acknowledges with 204 and deduplicates on ``webhook-id``. Until it knows its secret it
answers 503 (the platform retries). It can be taken down and brought back on the same
port (``stop()``/``start()``) to play a partner's outage.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from cloudevents.core.formats.json import JSONFormat
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .infra import free_port


@dataclass
class Received:
    """One event the receiver accepted (first delivery of its id)."""

    id: str
    type: str
    tenant: str
    source: str
    data: dict[str, Any]
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class WebhookReceiver:
    secret: str | None = None
    """``whsec_…`` of the subscription; deliveries are refused with 503 until it is set."""
    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    path: str = "/anjian/events"
    fail_with: int | None = None
    """Answer every delivery with this status instead (a partner whose endpoint is broken)."""
    events: dict[str, Received] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    posts: int = 0
    duplicates: int = 0
    rejected: int = 0

    def __post_init__(self) -> None:
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.app = Starlette(routes=[Route(self.path, self._receive, methods=["POST"])])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _receive(self, request: Request) -> Response:
        self.posts += 1
        body = await request.body()
        if self.fail_with is not None:
            return Response(status_code=self.fail_with)
        if not self.secret:
            return Response("not ready", status_code=503)
        headers = dict(request.headers)
        try:
            Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            self.rejected += 1
            return Response("bad signature", status_code=401)
        event = JSONFormat().read(None, body)  # the official CloudEvents SDK parses it
        attrs = event.get_attributes()
        msg_id = headers["webhook-id"]
        if msg_id in self.events:
            self.duplicates += 1
            return Response(status_code=204)
        self.events[msg_id] = Received(id=attrs["id"], type=attrs["type"], tenant=attrs.get("tenant", ""),
                                       source=attrs["source"], data=event.get_data() or {},
                                       body=json.loads(body), headers=headers)
        self.order.append(msg_id)
        return Response(status_code=204)

    async def start(self) -> None:
        """Listen (again) on ``host:port``."""
        if self.running:
            return
        config = uvicorn.Config(self.app, host=self.host, port=self.port, log_level="warning", lifespan="off",
                                access_log=False)
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._task = asyncio.create_task(self._server.serve(), name=f"webhook-receiver-{self.port}")
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        """Stop listening: connections are refused until ``start()``."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await asyncio.wait_for(self._task, 30)
        self._server = None
        self._task = None

    def of_type(self, *types: str) -> list[Received]:
        return [self.events[i] for i in self.order if self.events[i].type in types]
