"""Launchers leave nothing running when stopped (issue 11, "processes").

``make bench``'s launcher (``bench/run.py``) in its short mode (``--hold``: RabbitMQ, SecantusDB,
rclone S3 and five services started, then it waits) is started in a subprocess; once it says
``holding``, every process descending from it is recorded (psutil), it gets SIGTERM (as from a
CI timeout or a supervisor) or SIGINT (Ctrl-C), and within the time its cleanup needs every one
of those processes must be gone and it must exit 128 + the signal's number. ``make run``'s
launcher (``anjian_local.run``: honcho in front of everything) gets the same check with SIGTERM
once the whole platform answers (skipped when its fixed ports are taken by a running one).

Needs what ``make bench`` needs to start (the RabbitMQ Debian package, installed by
``make install``); each run takes about a minute.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
RABBIT = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
TAG_VARIABLE = "LAUNCHER_TEST_TAG"  # inherited by every child (the services drop only ANJIAN_* variables)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (RABBIT.exists() or shutil.which("rabbitmq-server")),
                       reason="RabbitMQ is not installed (make install installs it)"),
]


def _wait_for_line(path: Path, proc: subprocess.Popen[bytes], text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    raise AssertionError(f"no {text!r} from the launcher (exit {proc.poll()}):\n"
                         + path.read_text(errors="replace")[-3000:])


def _tagged(tag: str) -> list[psutil.Process]:
    """Every process whose environment carries ``tag`` (all that the launcher started, orphans too)."""
    found = []
    for p in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if p.pid != os.getpid() and p.environ().get(TAG_VARIABLE) == tag:
                found.append(p)
    return found


def _alive(procs: list[psutil.Process]) -> list[str]:
    left = []
    for p in procs:
        with contextlib.suppress(psutil.Error):
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{p.pid} {' '.join(p.cmdline())[:120]}")
    return left


@pytest.mark.timeout(420)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_bench_launcher_stops_every_process_it_started(tmp_path, sig) -> None:
    log = tmp_path / "bench.log"
    tag = f"{os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", TAG_VARIABLE: tag}
    env.pop("ANJIAN_ENVIRONMENT", None)
    with open(log, "wb") as out:
        launcher = subprocess.Popen([sys.executable, str(ROOT / "bench" / "run.py"), "--hold"], cwd=ROOT, env=env,
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
    children: list[psutil.Process] = []
    try:
        _wait_for_line(log, launcher, "holding", timeout=240)
        children = psutil.Process(launcher.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in children)
        assert len(children) >= 9, names  # epmd, RabbitMQ, SecantusDB, rclone, five services
        for what in ("rabbit", "secantusd", "rclone", "uvicorn"):
            assert what in names, what
        launcher.send_signal(sig)  # the launcher alone, as a supervisor or `kill` would
        code = launcher.wait(timeout=150)
        deadline = time.monotonic() + 10
        while _alive(children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(children), f"still running after {sig.name}: {_alive(children)}"
        assert code == 128 + sig, log.read_text(errors="replace")[-2000:]
    finally:  # whatever the outcome, nothing of this test stays behind (orphans found by their tag)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(launcher.pid, signal.SIGKILL)
        launcher.wait(timeout=30)
        for p in _tagged(tag) + children:
            with contextlib.suppress(psutil.Error):
                p.kill()


RUN_PORTS = (27117, 5682, 25682, 4379, 15682, 9100, 8100, *range(8101, 8109))
"""The fixed ports of `make run` (anjian_local.run.local_infra_config, SERVICE_PORTS, the gateway)."""


def _taken(ports: tuple[int, ...]) -> list[int]:
    import socket

    taken = []
    for port in ports:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                taken.append(port)
    return taken


@pytest.mark.timeout(420)
def test_make_run_launcher_stops_every_process_it_started_on_sigterm(tmp_path) -> None:
    """`make run` (anjian-run: honcho in front of RabbitMQ, SecantusDB, rclone, eight services and
    the gateway), once everything answers, gets SIGTERM: every process descending from it ends."""
    taken = _taken(RUN_PORTS)
    if taken:
        pytest.skip(f"a `make run` seems to be running here (ports {taken} answer)")
    log = tmp_path / "run.log"
    tag = f"{os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", TAG_VARIABLE: tag, "ANJIAN_DATA_DIR": str(tmp_path / "data")}
    env.pop("ANJIAN_ENVIRONMENT", None)
    with open(log, "wb") as out:
        launcher = subprocess.Popen([sys.executable, "-m", "anjian_local.run"], cwd=ROOT, env=env,
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
    children: list[psutil.Process] = []
    try:
        _wait_for_line(log, launcher, "Anjian is running", timeout=300)
        children = psutil.Process(launcher.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in children)
        for what in ("rabbit", "secantusd", "rclone", "uvicorn"):
            assert what in names, what
        launcher.send_signal(signal.SIGTERM)
        launcher.wait(timeout=120)
        deadline = time.monotonic() + 10
        while _alive(children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(children), f"still running after SIGTERM: {_alive(children)}"
        assert not _tagged(tag), [p.pid for p in _tagged(tag)]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(launcher.pid, signal.SIGKILL)
        launcher.wait(timeout=30)
        for p in _tagged(tag) + children:
            with contextlib.suppress(psutil.Error):
                p.kill()
