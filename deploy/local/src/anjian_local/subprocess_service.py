"""A service as a real OS process, for fault tests and ``make bench``.

``ServiceProcess`` runs ``python -m uvicorn --factory <service>.main:create_app`` with the
settings given as ``ANJIAN_*`` environment variables (the same names pydantic-settings
reads in production), in its own process group, with its log in a file. Fault tests
SIGKILL it at a chosen moment (or let a failpoint, ``anjian_shared.failpoints``, end it
at an exact line) and start it again::

    svc = ServiceProcess("notices", settings, log_dir=tmp_path)
    await svc.start()                       # returns once /readyz answers 200
    svc.kill()                              # SIGKILL, like a node dying
    await svc.start(extra_env={...})        # same port, same settings
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from .infra import free_port


def settings_env(settings: dict[str, Any]) -> dict[str, str]:
    """``{"mongo_url": …, "amqp_delivery_limit": 3}`` → ``{"ANJIAN_MONGO_URL": …, …}``;
    lists and dicts as JSON (what pydantic-settings parses)."""
    env = {}
    for key, value in settings.items():
        if value is None:
            continue
        if isinstance(value, (dict, list)):
            text = json.dumps(value)
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        env[f"ANJIAN_{key.upper()}"] = text
    return env


class ServiceProcess:
    """One service in a child process on a fixed port (kept across restarts)."""

    def __init__(self, service: str, settings: dict[str, Any], *, log_dir: Path, port: int | None = None,
                 workers: int = 1, name: str | None = None) -> None:
        self.service = service
        self.settings = dict(settings)
        self.port = port or free_port()
        self.workers = workers
        self.name = name or f"{service}-{self.port}"
        self.log_path = Path(log_dir) / f"{self.name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, extra_env: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANJIAN_")}
        env.update(settings_env(self.settings))
        env["PYTHONUNBUFFERED"] = "1"
        env.update(extra_env or {})
        return env

    def spawn(self, extra_env: dict[str, str] | None = None) -> None:
        """Start the process (does not wait)."""
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        argv = [sys.executable, "-m", "uvicorn", "--factory", f"{self.service}.main:create_app",
                "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log", "--log-level", "warning",
                "--no-proxy-headers"]
        env = self.env(extra_env)
        if self.workers > 1:
            argv += ["--workers", str(self.workers)]
            # /metrics sums the workers' samples (anjian_shared.metrics): a fresh directory per start
            metrics_dir = Path(self.log_path).parent / f"{self.name}.prometheus"
            shutil.rmtree(metrics_dir, ignore_errors=True)
            metrics_dir.mkdir(parents=True)
            env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept for the process lifetime
        self.proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.starts += 1

    async def start(self, extra_env: dict[str, str] | None = None, timeout: float = 90) -> None:
        """Start and wait until ``/readyz`` answers 200."""
        self.spawn(extra_env)
        await self.wait_ready(timeout)

    async def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=3) as client:
            while True:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")
                try:
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.name} not ready after {timeout}s; see {self.log_path}")
                await asyncio.sleep(0.2)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    async def wait_exit(self, timeout: float = 60) -> int:
        """Wait until the process ended by itself (e.g. at a failpoint); its exit code."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} still running after {timeout}s")
            await asyncio.sleep(0.05)
        return self.proc.returncode

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (uvicorn workers included) and reap it."""
        if self.running:
            assert self.proc is not None
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Graceful stop (SIGTERM: uvicorn finishes requests, the lifespan closes connections)."""
        self.kill(signal.SIGTERM)

    def log_lines(self) -> list[dict[str, Any]]:
        """The JSON log lines the process wrote (structlog), others skipped."""
        lines = []
        if self.log_path.exists():
            for raw in self.log_path.read_text(errors="replace").splitlines():
                if raw.startswith("{"):
                    try:
                        lines.append(json.loads(raw))
                    except ValueError:
                        pass
        return lines
