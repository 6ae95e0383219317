"""An httpx transport that plays the gateway: ``/api/<service>/…`` goes to that service's
base URL. Used by the test fixtures (services run on their own ports) and by the demo
when no gateway runs."""

from __future__ import annotations

import httpx


class RoutingTransport(httpx.AsyncBaseTransport):
    """``forwarded_for``: the client address this transport says it forwards for, in
    ``X-Forwarded-For`` (as the gateway does; a test that sets the header itself keeps its own);
    None sends none. ``media_url``: S3's base URL; ``/media/<bucket>/<key>?…`` (the presigned
    media URLs the services hand out) goes there as the gateway's ``location /media/`` does:
    prefix stripped, the client's ``Host`` kept (the signature was computed for it), no
    ``Authorization`` or ``Cookie`` passed on."""

    def __init__(self, service_urls: dict[str, str], *, forwarded_for: str | None = None,
                 media_url: str | None = None) -> None:
        self.service_urls = {k: httpx.URL(v) for k, v in service_urls.items()}
        self.inner = httpx.AsyncHTTPTransport()
        self.forwarded_for = forwarded_for
        self.media_url = httpx.URL(media_url) if media_url else None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.media_url is not None and request.url.path.startswith("/media/"):
            raw_path = request.url.raw_path[len(b"/media"):]
            request.url = request.url.copy_with(scheme=self.media_url.scheme, host=self.media_url.host,
                                                port=self.media_url.port, raw_path=raw_path)
            for name in ("authorization", "cookie"):
                request.headers.pop(name, None)
            return await self.inner.handle_async_request(request)
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
