"""The embedded gateway (``make run`` without Docker) really works.

``deploy/gateway/nginx-local.conf.tmpl`` is rendered with ``render_local_conf`` from
``deploy/gateway/render.py``, a real nginx is started in the foreground on a free port
(``nginx -p <dir> -c <file> -g 'daemon off;'``) in front of seven throw-away HTTP upstreams
(one per service, each answering with what it received), and requests go through it.
The Compose variant (``deploy/gateway/compose.conf``) gets an ``nginx -t`` syntax check.

The nginx tests are skipped only when no nginx binary is installed; the render tests always run.
Everything started here is stopped here; every wait is bounded.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
GATEWAY = ROOT / "deploy" / "gateway"
SERVICES = ["identity", "projects", "inspections", "notices", "equipment", "personnel", "reporting",
            "partners", "conversations"]


def _load_render():
    spec = importlib.util.spec_from_file_location("anjian_gateway_render", GATEWAY / "render.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _load_render()
TEMPLATE = (GATEWAY / "nginx-local.conf.tmpl").read_text(encoding="utf-8")


def find_nginx() -> str | None:
    """The nginx binary: $ANJIAN_NGINX, PATH, then the usual sbin folders (not on a normal
    user's PATH on Debian)."""
    explicit = os.environ.get("ANJIAN_NGINX")
    if explicit and os.access(explicit, os.X_OK):
        return explicit
    found = shutil.which("nginx")
    if found:
        return found
    for candidate in ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx",
                      "/opt/homebrew/bin/nginx"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


NGINX = find_nginx()
needs_nginx = pytest.mark.skipif(NGINX is None, reason="no nginx binary installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- render (pure)


def test_render_fills_port_prefix_and_every_upstream() -> None:
    ports = {name: 9100 + i for i, name in enumerate(SERVICES)}
    conf = render.render_local_conf(TEMPLATE, 18100, "/var/lib/anjian/gateway/", ports)
    assert not re.search(r"\{\{[A-Z0-9_]+\}\}", conf), "every placeholder is filled"
    assert re.search(r"^\s*listen 18100;", conf, re.M)
    assert 'pid "/var/lib/anjian/gateway/nginx.pid";' in conf
    assert 'client_body_temp_path "/var/lib/anjian/gateway/client_body_temp";' in conf
    for name, port in ports.items():
        assert re.search(rf"upstream anjian_{name}\s*\{{\s*server 127\.0\.0\.1:{port};", conf), name


def test_render_defaults_match_the_embedded_service_ports() -> None:
    from anjian_shared.settings import SERVICE_PORTS

    assert render.DEFAULT_UPSTREAMS == SERVICE_PORTS
    assert render.DEFAULT_PORT == 8100


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"port": 0}, "port"),
        ({"port": 70000}, "port"),
        ({"port": "8100"}, "port"),
        ({"prefix_dir": "relative/dir"}, "absolute"),
        ({"prefix_dir": '/tmp/a"b'}, "characters"),
        ({"prefix_dir": "/tmp/$prefix"}, "characters"),
        ({"prefix_dir": "/tmp/a\nb"}, "characters"),
        ({"upstreams": {}}, "at least one"),
        ({"upstreams": {**render.DEFAULT_UPSTREAMS, "identity": 0}}, "identity"),
        ({"upstreams": {k: v for k, v in render.DEFAULT_UPSTREAMS.items() if k != "notices"}}, "PORT_NOTICES"),
        ({"upstreams": {**render.DEFAULT_UPSTREAMS, "billing": 8200}}, "billing"),
        ({"upstreams": {**render.DEFAULT_UPSTREAMS, "Bad-Name": 8200}}, "Bad-Name"),
        ({"s3_endpoint": "127.0.0.1"}, "s3_endpoint"),
        ({"s3_endpoint": "127.0.0.1:0"}, "s3_endpoint"),
        ({"s3_endpoint": "127.0.0.1:9000; evil"}, "s3_endpoint"),
    ],
)
def test_render_refuses_bad_input_naming_it(kwargs, message) -> None:
    args = {"port": 8100, "prefix_dir": "/tmp/gw", "upstreams": dict(render.DEFAULT_UPSTREAMS),
            "s3_endpoint": "127.0.0.1:9100"} | kwargs
    with pytest.raises(ValueError, match=re.escape(message)):
        render.render_local_conf(TEMPLATE, args["port"], args["prefix_dir"], args["upstreams"], args["s3_endpoint"])


def test_issue_11_render_routes_media_to_the_s3_endpoint() -> None:
    conf = render.render_local_conf(TEMPLATE, 8100, "/tmp/gw", dict(render.DEFAULT_UPSTREAMS), "127.0.0.1:9321")
    assert re.search(r"upstream anjian_s3\s*\{\s*server 127\.0\.0\.1:9321;", conf)
    assert "location /media/" in conf and "proxy_pass http://anjian_s3$anjian_media_uri;" in conf


def test_render_refuses_a_template_placeholder_it_cannot_fill() -> None:
    with pytest.raises(ValueError, match="TYPO"):
        render.render_local_conf(TEMPLATE + "\n# {{TYPO}}\n", 8100, "/tmp/gw", dict(render.DEFAULT_UPSTREAMS))


def test_render_index_document_lists_every_openapi_document() -> None:
    conf = render.render_local_conf(TEMPLATE, 8100, "/tmp/gw", dict(render.DEFAULT_UPSTREAMS))
    match = re.search(r"location = / \{[^}]*?return 200 '(.*?)';", conf, re.S)
    assert match
    index = json.loads(match.group(1))
    assert {n: s["openapi"] for n, s in index["services"].items()} == {
        n: f"/api/{n}/v1/openapi.json" for n in SERVICES
    }


# --------------------------------------------------------------------------- real nginx


class _EchoHandler(BaseHTTPRequestHandler):
    """Answers every request with JSON describing it (service, method, path, headers, body size)."""

    protocol_version = "HTTP/1.1"
    server_version = "echo"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        remaining = length
        while remaining:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                break
            remaining -= len(chunk)
        body = json.dumps({
            "service": self.server.service_name,  # type: ignore[attr-defined]
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body_bytes": length - remaining,
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        # Like the services: echo the request id back (the gateway must not duplicate it).
        if self.headers.get("X-Request-ID"):
            self.send_header("X-Request-ID", self.headers["X-Request-ID"])
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


class _TrackingServer(ThreadingHTTPServer):
    """Remembers open connections so that stopping it also drops nginx's kept-alive ones."""

    daemon_threads = True

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.open_sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        with self.lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:  # type: ignore[no-untyped-def]
        with self.lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self.lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Upstream:
    """One throw-away HTTP server on 127.0.0.1 standing in for a service."""

    def __init__(self, service: str, port: int = 0) -> None:
        self.service = service
        self.server = _TrackingServer(("127.0.0.1", port), _EchoHandler)
        self.server.service_name = service  # type: ignore[attr-defined]
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                       name=f"upstream-{service}", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.drop_connections()
        self.server.server_close()
        self.thread.join(timeout=5)


@dataclass
class Gateway:
    base_url: str
    port: int
    prefix: Path
    upstreams: dict[str, Upstream]


def _stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGQUIT)  # graceful shutdown
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _wait_listening(proc: subprocess.Popen[bytes], port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    assert NGINX is not None
    upstreams = {name: Upstream(name) for name in [*SERVICES, "s3"]}
    # Its own folder with 0755: when the test runs as root, nginx's workers run as an
    # unprivileged user and must reach the temp folders (request bodies over 1 MB).
    # The space in the name checks that the rendered paths are quoted.
    prefix = Path(tempfile.mkdtemp(prefix="anjian gateway-"))
    prefix.chmod(0o755)
    proc: subprocess.Popen[bytes] | None = None
    try:
        for _attempt in range(3):  # the free port may be taken between probing and binding
            port = free_port()
            conf = render.render_local_conf(TEMPLATE, port, str(prefix),
                                            {n: u.port for n, u in upstreams.items() if n != "s3"},
                                            f"127.0.0.1:{upstreams['s3'].port}")
            conf_path = prefix / "nginx.conf"
            conf_path.write_text(conf, encoding="utf-8")
            check = subprocess.run([NGINX, "-t", "-p", str(prefix), "-c", str(conf_path)],
                                   capture_output=True, text=True, timeout=20)
            assert check.returncode == 0, f"nginx -t failed:\n{check.stderr}"
            log = open(prefix / "stderr.log", "wb")  # noqa: SIM115 - closed below
            proc = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(conf_path), "-g", "daemon off;"],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            log.close()
            if _wait_listening(proc, port, timeout=15):
                break
            _stop_process(proc)
            proc = None
        else:
            errors = (prefix / "error.log").read_text(errors="replace") if (prefix / "error.log").exists() else ""
            pytest.fail(f"nginx did not start:\n{(prefix / 'stderr.log').read_text(errors='replace')}\n{errors}")
        yield Gateway(f"http://127.0.0.1:{port}", port, prefix, upstreams)
    finally:
        if proc is not None:
            _stop_process(proc)
        for upstream in upstreams.values():
            upstream.stop()
        shutil.rmtree(prefix, ignore_errors=True)


@pytest.fixture
def client(gateway: Gateway) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.base_url, timeout=10, trust_env=False) as c:
        yield c


@needs_nginx
@pytest.mark.slow
@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", SERVICES)
def test_gateway_routes_each_api_to_its_service_with_the_path_unchanged(client, name) -> None:
    r = client.get(f"/api/{name}/v1/openapi.json", params={"limit": "5"})
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["service"] == name
    assert seen["path"] == f"/api/{name}/v1/openapi.json?limit=5"


@needs_nginx
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_gateway_passes_the_clients_request_id_through_once(client) -> None:
    r = client.get("/api/notices/v1/notices", headers={"X-Request-ID": "wx-3f2a.9:1"})
    assert r.json()["headers"]["x-request-id"] == "wx-3f2a.9:1"
    assert r.headers.get_list("x-request-id") == ["wx-3f2a.9:1"]


@needs_nginx
@pytest.mark.slow
@pytest.mark.timeout(60)
@pytest.mark.parametrize("sent", [None, "bad id with spaces", "x" * 200])
def test_gateway_makes_a_request_id_when_missing_or_malformed(client, sent) -> None:
    headers = {"X-Request-ID": sent} if sent else {}
    r = client.get("/api/identity/v1/me", headers=headers)
    made = r.json()["headers"]["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert r.headers.get_list("x-request-id") == [made]


@needs_nginx
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_gateway_sets_forwarded_headers_and_replaces_a_spoofed_client_address(client, gateway) -> None:
    r = client.get("/api/projects/v1/projects", headers={"X-Forwarded-For": "203.0.113.7"})
    headers = r.json()["headers"]
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-real-ip"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-host"] == f"127.0.0.1:{gateway.port}"
    assert headers["x-forwarded-port"] == str(gateway.port)
    assert headers["host"] == f"127.0.0.1:{gateway.port}"


@needs_nginx
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_gateway_index_lists_the_openapi_documents_and_each_is_routed(client) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    services = r.json()["services"]
    assert list(services) == SERVICES
    for name, entry in services.items():
        assert entry["openapi"] == f"/api/{name}/v1/openapi.json"
        assert client.get(entry["openapi"]).json()["service"] == name
    assert client.get("/healthz").json()["status"] == "ok"


@needs_nginx
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_gateway_accepts_bodies_up_to_50_mb(client) -> None:
    body = os.urandom(3 * 1024 * 1024)  # over the 1 MB in-memory buffer: goes through the temp folder
    r = client.post("/api/inspections/v1/plans/p1/photos", content=body,
                    headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.text
    assert r.json()["body_bytes"] == len(body)


@needs_nginx
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_gateway_refuses_bodies_over_50_mb_with_problem_json(gateway) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    try:
        conn.putrequest("POST", "/api/notices/v1/notices/n1/replies")
        conn.putheader("Content-Type", "application/octet-stream")
        conn.putheader("Content-Length", str(50 * 1024 * 1024 + 1))
        conn.endheaders()  # the body is never sent: nginx answers on the declared length
        r = conn.getresponse()
        assert r.status == 413
        assert r.getheader("Content-Type") == "application/problem+json"
        assert json.loads(r.read())["status"] == 413
    finally:
        conn.close()


@needs_nginx
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_gateway_answers_unknown_paths_with_problem_json_404(client) -> None:
    for path in ("/api/billing/v1/x", "/favicon.ico", "/api"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["status"] == 404


@needs_nginx
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_gateway_answers_503_problem_json_while_a_service_is_down(client, gateway) -> None:
    upstream = gateway.upstreams["reporting"]
    port = upstream.port
    upstream.stop()
    try:
        r = client.get("/api/reporting/v1/inbox")
        assert r.status_code == 503
        assert r.headers["content-type"] == "application/problem+json"
        assert client.get("/api/personnel/v1/staff").json()["service"] == "personnel"
    finally:
        gateway.upstreams["reporting"] = Upstream("reporting", port)
    assert client.get("/api/reporting/v1/inbox").json()["service"] == "reporting"


@needs_nginx
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_issue_11_gateway_serves_media_from_s3_with_the_prefix_stripped_and_the_host_kept(client) -> None:
    """``/media/<bucket>/<key>?X-Amz-…`` reaches S3 as ``/<bucket>/<key>?X-Amz-…`` byte for byte
    (escapes kept: the signature covers them) with the client's ``Host`` (the signed one); the
    platform's token and cookies stay behind; the answer says ``nosniff``; writes are refused."""
    path = "/media/anjian-inspections/hubei/results/a%2Bb.jpg?X-Amz-Signature=abc&response-content-type=image%2Fjpeg"
    r = client.get(path, headers={"Host": "anjian.example.gov.cn", "Authorization": "Bearer platform-token",
                                  "Cookie": "session=1"})
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["service"] == "s3"
    assert seen["path"] == path.removeprefix("/media")
    assert seen["headers"]["host"] == "anjian.example.gov.cn"
    assert "authorization" not in seen["headers"] and "cookie" not in seen["headers"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert len(r.headers.get_list("x-request-id")) == 1
    assert client.put(path, content=b"x").status_code == 403
    assert client.delete(path).status_code == 403
    assert client.get("/mediax/anything").status_code == 404


@needs_nginx
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_compose_gateway_config_passes_nginx_syntax_check(tmp_path) -> None:
    """deploy/gateway/compose.conf is included in an http {} block as nginx:alpine does;
    only the paths the image owns (pid, logs, temp) are set here."""
    tmp_path.chmod(0o755)
    wrapper = tmp_path / "nginx.conf"
    wrapper.write_text(
        f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        f"  client_body_temp_path {tmp_path}/client_body_temp;\n"
        f"  proxy_temp_path {tmp_path}/proxy_temp;\n"
        f"  fastcgi_temp_path {tmp_path}/fastcgi_temp;\n"
        f"  uwsgi_temp_path {tmp_path}/uwsgi_temp;\n"
        f"  scgi_temp_path {tmp_path}/scgi_temp;\n"
        f"  access_log {tmp_path}/access.log;\n"
        f"  include {GATEWAY / 'compose.conf'};\n"
        "}\n",
        encoding="utf-8",
    )
    check = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(wrapper)],
                           capture_output=True, text=True, timeout=20)
    assert check.returncode == 0, check.stderr


@needs_nginx
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_gateway_passes_a_websocket_upgrade_on_and_keeps_other_requests_plain(client) -> None:
    """HN-12: the conversations live channel is a WebSocket: the gateway forwards the client's
    ``Upgrade``; every other request goes upstream without one (Connection empty: keepalive)."""
    r = client.get("/api/conversations/v1/conversations/c-1/live",
                   headers={"Connection": "Upgrade", "Upgrade": "websocket"})
    seen = r.json()["headers"]
    assert seen["upgrade"] == "websocket" and seen["connection"].lower() == "upgrade"
    plain = client.get("/api/notices/v1/notices").json()["headers"]
    assert "upgrade" not in plain and not plain.get("connection")
