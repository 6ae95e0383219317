"""PLAT-02: the interactive API documents work without internet (issue 11, "for the people building front ends").

Every service's Swagger UI (``/api/<service>/v1/docs``) and ReDoc (``…/redoc``) page is opened
in a real headless Chromium (Debian's ``chromium`` package, driven by Playwright with
``executable_path``; Playwright's own browser download is never used) with the network cut
off: every request to a host other than the loopback is aborted and recorded, and the
browser's resolver maps every other name to nothing. The page must render its operations
list (Swagger UI's ``.opblock`` elements, ReDoc's operation sections) and must not have
asked for anything outside the platform. Each page is opened on the service's own port
and through the embedded nginx gateway (``deploy/gateway/nginx-local.conf.tmpl``), the way
``make run`` prints them.

Skipped only when no Chromium is installed (``make install`` installs it:
``deploy/local/bin/install-system-deps``); the gateway half also needs nginx (installed
the same way).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
GATEWAY_DIR = ROOT / "deploy" / "gateway"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def find_chromium() -> str | None:
    """Debian's Chromium (``/usr/bin/chromium``), or ``$ANJIAN_CHROMIUM``."""
    for candidate in (os.environ.get("ANJIAN_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium",
                      shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_nginx() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


CHROMIUM = find_chromium()
NGINX = find_nginx()
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (Debian package chromium: `make install` "
                                                "runs deploy/local/bin/install-system-deps, which installs it)"),
    pytest.mark.slow,
]

# The flags that start Debian's Chromium headless as root on a machine with no internet, without
# it calling home (machine notes: background networking, component updates, sync).
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
    # the network cut off at the resolver too: only loopback names resolve
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def gateway_url(platform) -> Iterator[str | None]:  # type: ignore[no-untyped-def]
    """The embedded nginx gateway in front of the running services; None without nginx."""
    if NGINX is None:
        yield None
        return
    spec = importlib.util.spec_from_file_location("anjian_gateway_render_docs", GATEWAY_DIR / "render.py")
    assert spec and spec.loader
    render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    template = (GATEWAY_DIR / "nginx-local.conf.tmpl").read_text(encoding="utf-8")
    prefix = Path(tempfile.mkdtemp(prefix="anjian-docs-gateway-"))
    prefix.chmod(0o755)
    port = _free_port()
    ports = {name: svc.port for name, svc in platform.services.items()}
    ports.update({name: _free_port() for name in render.DEFAULT_UPSTREAMS if name not in ports})
    conf = prefix / "nginx.conf"
    conf.write_text(render.render_local_conf(template, port, str(prefix), ports), encoding="utf-8")
    proc = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None and time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        shutil.rmtree(prefix, ignore_errors=True)


def _cut_off(outside: list[str]):  # type: ignore[no-untyped-def]
    """A route handler: loopback requests go on; any other is recorded in ``outside`` and
    aborted as if the machine had no network."""
    from playwright.async_api import Route

    async def handle(route: Route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or (urlsplit(url).hostname or "") in LOOPBACK:
            await route.continue_()
        else:
            outside.append(url)
            await route.abort("internetdisconnected")

    return handle


async def _open_offline(urls: list[tuple[str, str, str]]) -> dict[str, list[str]]:
    """Open each ``(label, url, selector)`` in one offline headless Chromium; for each label the
    requests that went (or tried to go) beyond the loopback, plus ``"missing: …"`` entries for
    pages whose selector never showed."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout
    from playwright.async_api import async_playwright

    found: dict[str, list[str]] = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for label, url, selector in urls:
                outside: list[str] = []
                context = await browser.new_context(service_workers="block")
                await context.route("**/*", _cut_off(outside))
                page = await context.new_page()
                try:
                    await page.goto(url, wait_until="load", timeout=30_000)
                    await page.locator(selector).first.wait_for(state="visible", timeout=15_000)
                except PlaywrightTimeout:
                    outside.append(f"missing: {selector} never showed on {url}")
                finally:
                    await context.close()
                found[label] = outside
        finally:
            await browser.close()
    return found


@pytest.mark.timeout(240)
async def test_every_api_document_renders_with_the_network_cut_off(platform, gateway_url) -> None:
    """Swagger UI lists the operations (``.opblock``) and ReDoc its operation sections, on every
    service port and through the gateway, with no request beyond the loopback."""
    pages: list[tuple[str, str, str]] = []
    origins = {name: [svc.url] + ([gateway_url] if gateway_url else []) for name, svc in platform.services.items()}
    for name, bases in origins.items():
        for base in bases:
            via = "gateway" if base == gateway_url else "service"
            pages.append((f"{name} swagger via {via}", f"{base}/api/{name}/v1/docs", ".opblock"))
    name = next(iter(platform.services))  # ReDoc: one service is enough for the assets
    pages.append((f"{name} redoc via service", f"{platform.url(name)}/api/{name}/v1/redoc",
                  "[data-section-id^='operation/']"))
    results = await _open_offline(pages)
    failures = {label: outside for label, outside in results.items() if outside}
    assert not failures, f"pages that needed the internet or did not render: {failures}"


async def test_docs_assets_are_served_by_the_service_itself(platform) -> None:
    """The page names only its own origin's assets, and each asset answers 200 there."""
    name = next(iter(platform.services))
    base = platform.url(name)
    async with httpx.AsyncClient(base_url=base, timeout=10, trust_env=False) as c:
        page = (await c.get(f"/api/{name}/v1/docs")).text
        assert "cdn." not in page and "https://" not in page, page
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"):
            r = await c.get(f"/api/{name}/v1/docs/assets/{asset}")
            assert r.status_code == 200 and len(r.content) > 0, asset
