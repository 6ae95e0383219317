"""Session fixtures: real infrastructure and all nine services on real HTTP ports.

``ANJIAN_TEST_INFRA`` chooses the infrastructure:

- ``embedded`` (default): RabbitMQ, SecantusDB and ``rclone serve s3`` started here,
  on free ports, with their data in a temporary folder;
- ``docker``: MongoDB, RabbitMQ and MinIO containers through testcontainers (needs a
  Docker engine and ``pip install testcontainers``);
- ``external``: whatever ``ANJIAN_MONGO_URL``, ``ANJIAN_AMQP_URL``, ``ANJIAN_S3_*`` name
  (e.g. a running ``make run``).
- ``none`` (``make test-unit``): nothing; a test that asks for ``infra`` fails.

The plugin sets ``ANJIAN_ENVIRONMENT=test`` for the whole test process (settings built
without it would otherwise be ``production`` and refuse the development defaults).

``ANJIAN_TEST_SERVICES=identity,projects`` starts only those services (quick local
runs of one service's tests); the default is all nine.

Each run is isolated: its own RabbitMQ vhost, database prefix and bucket prefix.
The services run in this process (uvicorn servers on free ports); ``platform.api()``
is an httpx client that routes ``/api/<service>/`` like the gateway does.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import secrets
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI

from anjian_shared.settings import DEV_ADMIN_PASSWORD

from ..gatewayclient import RoutingTransport
from ..infra import EmbeddedInfra, InfraConfig, free_port, rabbitmqctl

# Every Settings() built in a test process is a test one (the default is production).
os.environ["ANJIAN_ENVIRONMENT"] = "test"

SERVICES = ["identity", "projects", "inspections", "notices", "equipment", "personnel", "reporting", "partners",
            "conversations"]
GATEWAY = "http://gateway.test"
T = TypeVar("T")

SERVICE_TEST_SETTINGS: dict[str, dict[str, Any]] = {
    # Webhook retries in seconds instead of minutes and hours (the 24-hour window stays:
    # tests that need it move a delivery's first attempt back instead of waiting).
    "partners": {"webhook_retry_schedule": [0.2, 0.5, 1.0], "delivery_poll_seconds": 0.25,
                 "webhook_timeout_seconds": 5.0},
    # the live channel pings (and checks the token and the membership again) every second
    # instead of 25 s, so a disabled account's socket closes within the test (HN-12)
    "conversations": {"live_heartbeat_seconds": 1.0},
    # HN-01 verified mobile numbers: off for the test run's Hainan (its users sign in with
    # passwords and have no numbers); tests of the rule switch the feature on by the policy API
    "identity": {"verified_mobile_tenants": []},
}
"""Per-service settings of the test run, on top of ``InfraHandle.settings_overrides``."""


@dataclass
class InfraHandle:
    """Where the run's infrastructure is, and (embedded) the processes for fault tests."""

    mongo_url: str
    amqp_url: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    run_id: str
    embedded: EmbeddedInfra | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def settings_overrides(self) -> dict[str, Any]:
        return {
            "environment": "test",
            "mongo_url": self.mongo_url,
            "mongo_db_prefix": f"t{self.run_id}_",
            "amqp_url": self.amqp_url,
            "s3_endpoint": self.s3_endpoint,
            "s3_access_key": self.s3_access_key,
            "s3_secret_key": self.s3_secret_key,
            "s3_region": "us-east-1",
            "s3_bucket_prefix": f"t{self.run_id}",
            "public_base_url": GATEWAY,
            "outbox_poll_seconds": 0.5,
            "amqp_delivery_limit": 3,
        }


def _embedded(tmp: Path, run_id: str) -> Iterator[InfraHandle]:
    cfg = InfraConfig.ephemeral(tmp)
    cfg.management_port = free_port()  # the partners service creates broker users through the HTTP API
    infra = EmbeddedInfra(cfg)
    try:
        infra.start()
        vhost = f"anjian-{run_id}"
        res = rabbitmqctl(cfg, "add_vhost", vhost)
        assert res.returncode == 0, res.stderr
        res = rabbitmqctl(cfg, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        assert res.returncode == 0, res.stderr
        cfg.vhost = vhost
        yield InfraHandle(cfg.mongo_url, cfg.amqp_url, cfg.s3_endpoint, cfg.s3_access_key, cfg.s3_secret_key,
                          run_id, embedded=infra,
                          extra={"rabbitmq_management_url": f"http://127.0.0.1:{cfg.management_port}"})
    finally:
        infra.stop()


def _docker(run_id: str) -> Iterator[InfraHandle]:  # pragma: no cover - needs a Docker engine
    from testcontainers.minio import MinioContainer
    from testcontainers.mongodb import MongoDbContainer
    from testcontainers.rabbitmq import RabbitMqContainer

    mongo = MongoDbContainer("mongo:8.0").with_command("--replSet rs0 --bind_ip_all")
    rabbit = RabbitMqContainer("rabbitmq:3.13-management")
    minio = MinioContainer("quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z")
    with mongo, rabbit, minio:
        mongo.exec("mongosh --quiet --eval \"rs.initiate({_id:'rs0',members:[{_id:0,host:'localhost:27017'}]})\"")
        vhost = f"anjian-{run_id}"
        rabbit.exec(f"rabbitmqctl add_vhost {vhost}")
        rabbit.exec(f"rabbitmqctl set_permissions -p {vhost} guest '.*' '.*' '.*'")
        mhost, mport = mongo.get_container_host_ip(), mongo.get_exposed_port(27017)
        rhost, rport = rabbit.get_container_host_ip(), rabbit.get_exposed_port(5672)
        cfg = minio.get_config()
        yield InfraHandle(f"mongodb://{mhost}:{mport}/?directConnection=true",
                          f"amqp://guest:guest@{rhost}:{rport}/{vhost}", cfg["endpoint"],
                          cfg["access_key"], cfg["secret_key"], run_id)


def _external(run_id: str) -> Iterator[InfraHandle]:
    management = os.environ.get("ANJIAN_RABBITMQ_MANAGEMENT_URL")
    yield InfraHandle(os.environ["ANJIAN_MONGO_URL"], os.environ["ANJIAN_AMQP_URL"],
                      os.environ["ANJIAN_S3_ENDPOINT"], os.environ["ANJIAN_S3_ACCESS_KEY"],
                      os.environ["ANJIAN_S3_SECRET_KEY"], run_id,
                      extra={"rabbitmq_management_url": management} if management else {})


@pytest.fixture(scope="session")
def infra() -> Iterator[InfraHandle]:
    """The run's MongoDB, RabbitMQ and S3 (see module doc for ``ANJIAN_TEST_INFRA``)."""
    run_id = secrets.token_hex(3)
    mode = os.environ.get("ANJIAN_TEST_INFRA", "embedded")
    if mode == "embedded":
        with tempfile.TemporaryDirectory(prefix="anjian-test-") as tmp:
            yield from _embedded(Path(tmp), run_id)
    elif mode == "docker":
        yield from _docker(run_id)
    elif mode == "external":
        yield from _external(run_id)
    elif mode == "none":  # `make test-unit`: unit tests run on fakes and start nothing
        pytest.fail("ANJIAN_TEST_INFRA=none (make test-unit): a unit test asked for real "
                    "infrastructure; use the in-memory fakes or move it to tests/integration")
    else:
        raise ValueError(f"ANJIAN_TEST_INFRA={mode!r}: use embedded, docker, external or none")


SERVICE_OVERRIDES: dict[str, dict[str, Any]] = {
    # sweep for overdue enforcement documents every 2 s (default 60 s), so the end-to-end
    # Hainan flow sees its escalation without waiting a minute (HN-07)
    "notices": {"escalation_interval_seconds": 2},
}


def service_settings(service: str, overrides: dict[str, Any]) -> Any:
    """The service's own ``Settings`` with the run's overrides (and ``SERVICE_OVERRIDES``)."""
    module = importlib.import_module(f"{service}.settings")
    return module.Settings(**{**overrides, **SERVICE_OVERRIDES.get(service, {})})


def build_app(service: str, overrides: dict[str, Any]) -> FastAPI:
    module = importlib.import_module(f"{service}.main")
    return module.create_app(service_settings(service, overrides))


class RunningService:
    """A uvicorn server for one app in this event loop."""

    def __init__(self, name: str, app: FastAPI, port: int) -> None:
        self.name, self.app, self.port = name, app, port
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                                    lifespan="on", proxy_headers=False))
        self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self.task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve(), name=f"uvicorn-{self.name}")
        while not self.server.started:
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task:
            await asyncio.wait_for(self.task, 30)


async def eventually(fn: Callable[[], Awaitable[T]], *, timeout: float = 15, interval: float = 0.1) -> T:
    """Call ``fn`` until it returns a truthy value without raising AssertionError; return it.

    For effects that travel through events. Raises the last AssertionError (or a
    TimeoutError) after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        try:
            value = await fn()
            if value:
                return value
            last = None
        except AssertionError as exc:
            last = exc
        if time.monotonic() > deadline:
            if last:
                raise last
            raise TimeoutError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


class Platform:
    """All the services running on the run's infrastructure."""

    def __init__(self, infra: InfraHandle, services: dict[str, RunningService]) -> None:
        self.infra = infra
        self.services = services
        self.admin_password = DEV_ADMIN_PASSWORD

    def url(self, service: str) -> str:
        return self.services[service].url

    def app(self, service: str) -> FastAPI:
        return self.services[service].app

    def api(self, token: str | None = None, *, client_address: str | None = None, **kw: Any) -> httpx.AsyncClient:
        """An httpx client for ``/api/<service>/v1/…`` paths and the presigned ``/media/…`` URLs
        the services hand out (routed like the gateway).

        Like the gateway it sends ``X-Forwarded-For``: ``client_address``, or an address of its
        own (198.18.0.0/15) per client, so the services (trusting 127.0.0.1 as their gateway)
        count each test client's sign-in failures apart, as they would count real clients'."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kw.pop("headers", {}))
        address = client_address or (
            f"198.{18 + secrets.randbelow(2)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}")
        transport = RoutingTransport({n: s.url for n, s in self.services.items()}, forwarded_for=address,
                                     media_url=f"http://{self.infra.s3_endpoint}")
        return httpx.AsyncClient(base_url=GATEWAY, headers=headers, timeout=30, follow_redirects=False,
                                 transport=transport, **kw)

    async def sign_in(self, tenant: str, username: str, password: str) -> str:
        """An access token for the user; fails the test when sign-in fails."""
        async with self.api() as c:
            r = await c.post("/api/identity/v1/sessions",
                             json={"tenant": tenant, "username": username, "password": password})
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    async def admin_token(self, tenant: str = "hubei") -> str:
        return await self.sign_in(tenant, "admin", self.admin_password)

    async def wait_ready(self, timeout: float = 90) -> None:
        """Wait until every service's /readyz answers 200 again (after a fault)."""
        async with httpx.AsyncClient(timeout=5) as c:
            for svc in self.services.values():
                async def ready(url: str = svc.url) -> bool:
                    try:
                        return (await c.get(f"{url}/readyz")).status_code == 200
                    except httpx.HTTPError:
                        return False

                await eventually(ready, timeout=timeout, interval=0.2)

    async def publish(self, event: dict[str, Any]) -> None:
        """Publish a CloudEvent dict on the real broker (through a running service's bus)."""
        await self.app("identity").state.bus.publish(event)


async def start_services(infra: InfraHandle, names: list[str] | None = None,
                         extra: dict[str, dict[str, Any]] | None = None) -> dict[str, RunningService]:
    """Start the named services (all by default) and wait until every /readyz answers 200."""
    subset = [n for n in os.environ.get("ANJIAN_TEST_SERVICES", "").split(",") if n]
    names = names or subset or SERVICES
    ports = {n: free_port() for n in names}
    overrides = infra.settings_overrides()
    identity_url = f"http://127.0.0.1:{ports['identity']}" if "identity" in ports else None
    running: dict[str, RunningService] = {}
    for name in names:
        o = dict(overrides)
        if identity_url:
            o["identity_url"] = identity_url
        o.update(SERVICE_TEST_SETTINGS.get(name, {}))
        if name == "partners" and infra.extra.get("rabbitmq_management_url"):
            o["rabbitmq_management_url"] = infra.extra["rabbitmq_management_url"]
        o.update((extra or {}).get(name, {}))
        running[name] = RunningService(name, build_app(name, o), ports[name])
    for svc in running.values():
        await svc.start()
    deadline = time.monotonic() + 90
    async with httpx.AsyncClient(timeout=5) as c:
        for svc in running.values():
            while True:
                try:
                    r = await c.get(f"{svc.url}/readyz")
                    if r.status_code == 200:
                        break
                    detail = r.text
                except httpx.HTTPError as exc:
                    detail = repr(exc)
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{svc.name} not ready: {detail}")
                await asyncio.sleep(0.2)
    return running


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def platform(infra: InfraHandle) -> AsyncIterator[Platform]:
    """All the services, ready, on this run's infrastructure."""
    running = await start_services(infra)
    try:
        yield Platform(infra, running)
    finally:
        for svc in reversed(list(running.values())):
            try:
                await svc.stop()
            except Exception:  # noqa: BLE001 - best effort at teardown
                pass


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(platform: Platform):  # type: ignore[no-untyped-def]
    """A fresh Hubei world per test module (see ``anjian_local.scenario.build_world``):
    station, owner/contractor/supervision companies, another contractor, six people
    signed in, and a registered project."""
    from ..scenario import build_world

    return await build_world(platform.api, admin_password=platform.admin_password)
