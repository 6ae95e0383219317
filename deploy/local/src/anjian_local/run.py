"""``make run``: the whole platform on this machine, no Docker.

Starts the embedded infrastructure (RabbitMQ, SecantusDB, rclone S3), the nine
services and, when nginx is installed, the gateway that serves every API under one
origin — all as children of one honcho process manager. It waits until every
service answers ``/readyz`` (each seeds its reference data on first start), then
prints where everything is. Ctrl-C, SIGTERM and SIGHUP alike stop everything it started,
nothing else: honcho sends SIGTERM to each child's process group (SIGKILL after 20 s), SIGHUP
is turned into SIGTERM, the kernel sends this process SIGTERM when its parent dies
(``PR_SET_PDEATHSIG``), and whatever still descends from it afterwards is reaped
(``anjian_local.processes``).

Data lives in ``ANJIAN_DATA_DIR`` (default ``.anjian/`` in the repository) and
survives a restart.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import httpx
from honcho import manager as honcho_manager

from anjian_shared.settings import DEV_ADMIN_PASSWORD, SERVICE_PORTS

from .infra import InfraConfig, process_specs
from .processes import ask_for_parent_death_signal, reap_descendants

GATEWAY_PORT = int(os.environ.get("ANJIAN_GATEWAY_PORT", "8100"))
REPO = Path(__file__).resolve().parents[4]


def local_infra_config(data_dir: Path) -> InfraConfig:
    """Fixed ports for the embedded run (chosen not to collide with system services)."""
    return InfraConfig(root=data_dir / "infra", mongo_port=27117, amqp_port=5682, amqp_dist_port=25682,
                       epmd_port=4379, management_port=15682, prometheus_port=15702, s3_port=9100,
                       node_name="anjian@localhost")


def service_env(cfg: InfraConfig) -> dict[str, str]:
    gateway = f"http://127.0.0.1:{GATEWAY_PORT}"
    return {
        **cfg.service_env(),
        "ANJIAN_ENVIRONMENT": os.environ.get("ANJIAN_ENVIRONMENT", "development"),
        "ANJIAN_IDENTITY_URL": f"http://127.0.0.1:{SERVICE_PORTS['identity']}",
        "ANJIAN_PUBLIC_BASE_URL": os.environ.get("ANJIAN_PUBLIC_BASE_URL", gateway),
        # partners: a broker user per AMQP subscription, through the management API (PLAT-03)
        **({"ANJIAN_RABBITMQ_MANAGEMENT_URL": f"http://127.0.0.1:{cfg.management_port}"}
           if cfg.management_port else {}),
        # notices: sweep for overdue enforcement documents every 10 s on a developer's machine
        # (production default 60 s), so `make demo`'s escalation shows up quickly (HN-07)
        "ANJIAN_ESCALATION_INTERVAL_SECONDS": os.environ.get("ANJIAN_ESCALATION_INTERVAL_SECONDS", "10"),
        # identity: HN-01's "every Hainan user has a verified mobile number" is off on a developer's
        # machine (the demo's Hainan users sign in with passwords); production keeps it on
        "ANJIAN_VERIFIED_MOBILE_TENANTS": os.environ.get("ANJIAN_VERIFIED_MOBILE_TENANTS", "[]"),
        "PYTHONUNBUFFERED": "1",
    }


def gateway_command(data_dir: Path, s3_endpoint: str | None = None) -> str | None:
    """The nginx gateway command, or None when nginx is not installed. ``s3_endpoint``: the S3
    store behind ``/media/`` (the embedded one by default)."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not nginx:
        return None
    sys.path.insert(0, str(REPO / "deploy" / "gateway"))
    from render import render_local_conf  # type: ignore[import-not-found]

    prefix = data_dir / "gateway"
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    template = (REPO / "deploy" / "gateway" / "nginx-local.conf.tmpl").read_text()
    conf = prefix / "nginx.conf"
    conf.write_text(render_local_conf(template, GATEWAY_PORT, str(prefix), dict(SERVICE_PORTS),
                                     s3_endpoint or local_infra_config(data_dir).s3_endpoint))
    return shlex.join([nginx, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"])


def _announce(gateway: bool, cfg: InfraConfig) -> None:
    deadline = time.monotonic() + 300
    pending = dict(SERVICE_PORTS)
    while pending and time.monotonic() < deadline:
        for name, port in list(pending.items()):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    del pending[name]
            except httpx.HTTPError:
                pass
        time.sleep(0.5)
    if pending:
        print(f"\n!! not ready after 300 s: {', '.join(pending)} — see their log lines above\n", flush=True)
        return
    base = f"http://127.0.0.1:{GATEWAY_PORT}" if gateway else None
    lines = ["", "=" * 72, "Anjian is running (reference data seeded). Ctrl-C stops everything.", ""]
    if base:
        lines.append(f"  API gateway      {base}/api/<service>/v1/…")
    for name, port in SERVICE_PORTS.items():
        origin = base or f"http://127.0.0.1:{port}"
        lines.append(f"  {name:<12}     {origin}/api/{name}/v1/docs   (service port {port})")
    lines += [
        "",
        f"  sign in          POST /api/identity/v1/sessions  tenant=hubei username=admin "
        f"password={os.environ.get('ANJIAN_BOOTSTRAP_ADMIN_PASSWORD', DEV_ADMIN_PASSWORD)}",
        f"  RabbitMQ UI      http://127.0.0.1:{cfg.management_port}/  (guest/guest)",
        f"  metrics          http://127.0.0.1:<service port>/metrics; RabbitMQ "
        f"http://127.0.0.1:{cfg.prometheus_port}/metrics (not through the gateway)",
        f"  MongoDB (wire)   {cfg.mongo_url}",
        f"  S3 endpoint      http://{cfg.s3_endpoint}  ({cfg.s3_access_key} / {cfg.s3_secret_key})",
        f"  data folder      {cfg.root.parent}",
        "  then: make demo",
        "=" * 72, "",
    ]
    print("\n".join(lines), flush=True)


def main() -> None:
    data_dir = Path(os.environ.get("ANJIAN_DATA_DIR", REPO / ".anjian")).resolve()
    cfg = local_infra_config(data_dir)
    cfg.prepare()
    honcho_manager.KILL_WAIT = 20  # let RabbitMQ and SecantusDB shut down cleanly
    m = honcho_manager.Manager()
    for spec in process_specs(cfg):
        m.add_process(spec.name, shlex.join(spec.argv), env={**os.environ, **spec.env})
    gw = gateway_command(data_dir, cfg.s3_endpoint)
    env = {**os.environ, **service_env(cfg)}
    if gw is None:  # no gateway serves /media/: presigned URLs point at S3 itself
        env.setdefault("ANJIAN_MEDIA_PUBLIC_URL", f"http://{cfg.s3_endpoint}")
    for name, port in SERVICE_PORTS.items():
        cmd = [sys.executable, "-m", "uvicorn", "--factory", f"{name}.main:create_app", "--host", "127.0.0.1",
               "--port", str(port), "--no-access-log", "--log-level", "warning", "--no-proxy-headers"]
        m.add_process(name, shlex.join(cmd), env=env)
    if gw:
        m.add_process("gateway", gw)
    threading.Thread(target=_announce, args=(gw is not None, cfg), daemon=True).start()
    # honcho handles SIGTERM and SIGINT; a closed terminal (SIGHUP) stops everything the same way
    signal.signal(signal.SIGHUP, lambda signum, frame: os.kill(os.getpid(), signal.SIGTERM))
    ask_for_parent_death_signal()
    try:
        m.loop()
    finally:
        reap_descendants()
    sys.exit(m.returncode)


if __name__ == "__main__":
    main()
