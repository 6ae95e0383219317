"""Media from the platform's own origin, end to end through the real nginx gateway (issue 11).

The services run with ``ANJIAN_PUBLIC_BASE_URL=http://gateway.test`` (the test plugin), so
every presigned URL they hand out is ``http://gateway.test/media/<bucket>/<key>?X-Amz-…``.
Here ``gateway.test`` resolves to a real nginx rendered from
``deploy/gateway/nginx-local.conf.tmpl`` in front of the running services and the run's real
rclone S3: the requests keep their URL and ``Host`` and only the address changes (what a DNS
entry for the platform's host does). A WeChat mini-program or a partner registers that one
origin; S3's own host never appears.

Run: ``ANJIAN_TEST_SERVICES=identity,projects,inspections .venv/bin/python -m pytest -q
tests/deploy/test_gateway_media.py``. Skipped only without an nginx binary.
"""

from __future__ import annotations

import importlib.util
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from anjian_local.media import site_photo
from anjian_local.scenario import World, build_world, expect
from anjian_local.testing.fixtures import GATEWAY, eventually
from anjian_shared.events.common import MediaRef
from anjian_shared.media import download_headers
from anjian_shared.storage import with_prefix

pytestmark = pytest.mark.asyncio(loop_scope="session")

ROOT = Path(__file__).resolve().parents[2]
GATEWAY_DIR = ROOT / "deploy" / "gateway"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
needs_nginx = pytest.mark.skipif(NGINX is None, reason="no nginx binary installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ToGateway(httpx.AsyncBaseTransport):
    """``gateway.test`` resolves to the real nginx: the URL and the ``Host`` header stay."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert request.url.host == httpx.URL(GATEWAY).host, f"a URL off the platform's origin: {request.url}"
        request.url = request.url.copy_with(host="127.0.0.1", port=self.port)  # Host header unchanged
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture(scope="module")
def nginx_port(platform) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """A real nginx from the embedded template: the services' ports and the run's S3."""
    if NGINX is None:
        pytest.skip("no nginx binary installed")
    spec = importlib.util.spec_from_file_location("anjian_gateway_render_media", GATEWAY_DIR / "render.py")
    assert spec and spec.loader
    render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    prefix = Path(tempfile.mkdtemp(prefix="anjian-media-gateway-"))
    port = _free_port()
    ports = {name: svc.port for name, svc in platform.services.items()}
    ports.update({name: _free_port() for name in render.DEFAULT_UPSTREAMS if name not in ports})
    conf = prefix / "nginx.conf"
    conf.write_text(render.render_local_conf((GATEWAY_DIR / "nginx-local.conf.tmpl").read_text(encoding="utf-8"),
                                             port, str(prefix), ports, platform.infra.s3_endpoint),
                    encoding="utf-8")
    proc = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, f"nginx did not start: {proc.stderr.read() if proc.stderr else ''}"
            assert time.monotonic() < deadline, "nginx did not start within 15 s"
            time.sleep(0.05)
        yield port
    finally:
        proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        shutil.rmtree(prefix, ignore_errors=True)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def photographed(platform, nginx_port) -> AsyncIterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """A Hubei world built through the gateway and a supervision record with one photo."""
    def api(token: str | None = None, **kw: Any) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=GATEWAY, headers=headers, timeout=30, transport=ToGateway(nginx_port),
                                 **kw)

    world: World = await build_world(api, admin_password=platform.admin_password)
    photo = site_photo(7)
    async with api(world.token("zhang")) as c:
        async def submit() -> dict[str, Any] | None:
            r = await c.post("/api/inspections/v1/records", data={
                "project_id": world.project_id, "check_type": "safety", "part_checked": "3#楼12层",
                "supplement": "临边防护缺失", "issue_recipient_ids": [world.people["liu"].user_id]},
                files=[("photos", ("edge.jpg", photo, "image/jpeg"))])
            if r.status_code == 409:  # inspections still learning the project (not-yet-available)
                return None
            return expect(r, 201)

        record = await eventually(submit, timeout=30, interval=0.3)
    yield {"api": api, "world": world, "record": record, "photo": photo}


@needs_nginx
async def test_issue_11_record_photo_is_fetched_through_the_gateway_url_it_was_given(photographed) -> None:
    """The record's photo URL is the platform's origin + ``/media``; nginx strips the prefix,
    keeps the Host the URL was signed for, and S3 answers the bytes with the sniffed type,
    ``inline``, ``nosniff`` and no ``Access-Control-Allow-Origin: *``. A bearer token sent
    along is not passed to S3 (it would refuse two authentications)."""
    url = photographed["record"]["photos"][0]["url"]
    assert url.startswith(f"{GATEWAY}/media/"), url
    assert "X-Amz-Signature=" in url and "response-content-type=image%2Fjpeg" in url
    async with photographed["api"](photographed["world"].token("liu")) as c:
        got = await c.get(url)
    assert got.status_code == 200, got.text[:300]
    assert got.content == photographed["photo"]
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["content-disposition"].startswith("inline")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "access-control-allow-origin" not in got.headers
    assert got.headers["x-request-id"]


@needs_nginx
async def test_issue_11_a_tampered_media_url_is_refused_by_s3_through_the_gateway(photographed) -> None:
    """Another signature, another object under the same signature, a longer expiry, another
    content type, another Host: S3 refuses each (403) — the gateway adds no access of its own."""
    url = httpx.URL(photographed["record"]["photos"][0]["url"])
    query = url.query.decode()
    signature = url.params["X-Amz-Signature"]
    forged = "0" * len(signature) if signature != "0" * len(signature) else "1" * len(signature)
    tampered = {
        "signature": url.copy_with(query=query.replace(signature, forged).encode()),
        "other object": url.copy_with(path=url.path.rsplit("/", 1)[0] + "/other.jpg"),
        "longer expiry": url.copy_with(query=query.replace("X-Amz-Expires=900", "X-Amz-Expires=604800").encode()),
        "content type": url.copy_with(query=query.replace("image%2Fjpeg", "text%2Fhtml").encode()),
    }
    async with photographed["api"]() as c:
        for what, bad in tampered.items():
            assert bad != url, what
            r = await c.get(bad)
            assert r.status_code == 403, (what, r.status_code, r.text[:300])
        r = await c.get(url, headers={"host": "attacker.example"})
        assert r.status_code == 403, ("host", r.status_code)


@needs_nginx
async def test_issue_11_an_expired_media_url_is_refused_by_s3_through_the_gateway(platform, photographed) -> None:
    """A URL the platform's own presigner made an hour ago, valid one minute: refused (S3
    answers 400/403 with an XML error, never the bytes)."""
    storage = platform.app("inspections").state.storage
    stored = photographed["record"]["photos"][0]
    ref = MediaRef(bucket=stored["bucket"], key=stored["key"], content_type=stored["content_type"],
                   size=stored["size"], sha256=stored.get("sha256"), filename=stored.get("filename"))
    old = storage.presigner.presigned_get_object(ref.bucket, ref.key, expires=timedelta(minutes=1),
                                                 response_headers=download_headers(ref),
                                                 request_date=datetime.now(UTC) - timedelta(hours=1))
    url = with_prefix(old, storage.media_origin, storage.media_prefix)
    assert url.startswith(f"{GATEWAY}/media/")
    async with photographed["api"]() as c:
        r = await c.get(url)
    assert r.status_code in (400, 403), r.status_code
    assert r.content != photographed["photo"]


@needs_nginx
async def test_issue_11_the_gateway_serves_media_read_only(photographed) -> None:
    """``/media/`` takes GET (and HEAD) only: a PUT or DELETE with a (stolen) read URL is 403
    at the gateway, before S3."""
    url = photographed["record"]["photos"][0]["url"]
    async with photographed["api"]() as c:
        put = await c.put(url, content=b"replaced")
        delete = await c.delete(url)
        still = await c.get(url)
    assert put.status_code == 403 and delete.status_code == 403
    assert still.content == photographed["photo"]
