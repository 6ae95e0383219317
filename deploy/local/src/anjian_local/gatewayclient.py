"""An httpx transport that plays the gateway: ``/api/<service>/…`` goes to that service's
base URL. Used by the test fixtures (services run on their own ports) and by the demo
when no gateway runs."""

from __future__ import annotations

import httpx


class RoutingTransport(httpx.AsyncBaseTransport):
    """``forwarded_for``: the client address this transport says it forwards for, in
    ``X-Forwarded-For`` (as the gateway does; a test that sets the header itself keeps its own);
    None sends none."""

    def __init__(self, service_urls: dict[str, str], *, forwarded_for: str | None = None) -> None:
        self.service_urls = {k: httpx.URL(v) for k, v in service_urls.items()}
        self.inner = httpx.AsyncHTTPTransport()
        self.forwarded_for = forwarded_for

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")
        if len(parts) > 2 and parts[1] == "api" and parts[2] in self.service_urls:
            target = self.service_urls[parts[2]]
            request.url = request.url.copy_with(scheme=target.scheme, host=target.host, port=target.port)
            request.headers["host"] = f"{target.host}:{target.port}"
            if self.forwarded_for and "x-forwarded-for" not in request.headers:
                request.headers["x-forwarded-for"] = self.forwarded_for
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
