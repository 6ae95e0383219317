"""Render the embedded gateway configuration (``nginx-local.conf.tmpl``) for ``make run``.

The embedded gateway is a plain nginx started from a data folder, without root and
without Docker::

    nginx -p <prefix_dir> -c <prefix_dir>/nginx.conf -g 'daemon off;'

The template has three kinds of placeholders:

* ``{{PORT}}``        the port the gateway listens on (127.0.0.1 and the LAN; 8100 by default)
* ``{{PREFIX_DIR}}``  absolute folder for the pid file, logs and temp folders (it must exist;
  the template quotes the paths, so spaces are fine; ``"``, ``\\`` and ``$`` are refused)
* ``{{PORT_<SERVICE>}}`` (``{{PORT_IDENTITY}}`` …) the port of each service on 127.0.0.1
* ``{{S3_ENDPOINT}}`` host:port of the S3 store; ``/media/…`` (presigned media URLs, signed
  for the gateway's host) is proxied there with the prefix stripped

and one generated block, ``{{INDEX_JSON}}``: the JSON document served at ``/`` that lists
every service's OpenAPI document and docs page.

Standard library only, so that the embedded launcher can load this file by path
(``importlib.util.spec_from_file_location``) or run it::

    python deploy/gateway/render.py --port 8100 --prefix-dir /abs/.anjian/gateway \\
        --out /abs/.anjian/gateway/nginx.conf
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path, PurePosixPath

TEMPLATE_PATH = Path(__file__).with_name("nginx-local.conf.tmpl")

DEFAULT_UPSTREAMS: dict[str, int] = {
    "identity": 8101,
    "projects": 8102,
    "inspections": 8103,
    "notices": 8104,
    "equipment": 8105,
    "personnel": 8106,
    "reporting": 8107,
    "partners": 8108,
    "conversations": 8109,
}
"""Ports of the services in the embedded run (same as ``anjian_shared.settings.SERVICE_PORTS``)."""

DEFAULT_PORT = 8100
DEFAULT_S3_ENDPOINT = "127.0.0.1:9100"
"""The embedded run's rclone S3 (``anjian_local.run.local_infra_config``)."""

_PLACEHOLDER = re.compile(r"\{\{([A-Z0-9_]+)\}\}")
_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_HOST_PORT = re.compile(r"^[A-Za-z0-9.-]+:[0-9]{1,5}$")
# Paths go into the template in double quotes; these would still end or alter them
# (``$`` starts a variable in log paths).
_UNSAFE_PATH_CHARS = set('"\\$\n\r\t\x00')


def index_document(services: list[str]) -> dict[str, object]:
    """The JSON index the gateway serves at ``/``: for each service the gateway-relative
    URLs of its OpenAPI document, its docs page and its API root."""
    return {
        "name": "anjian",
        "description": "Anjian construction-safety supervision platform: one gateway, one API per service",
        "services": {
            name: {
                "api": f"/api/{name}/v1",
                "openapi": f"/api/{name}/v1/openapi.json",
                "docs": f"/api/{name}/v1/docs",
            }
            for name in services
        },
    }


def _nginx_single_quoted(text: str) -> str:
    """``text`` as an nginx single-quoted string (for ``return 200 '…';``)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def render_local_conf(template_text: str, port: int, prefix_dir: str, upstreams: dict[str, int],
                      s3_endpoint: str = DEFAULT_S3_ENDPOINT) -> str:
    """Fill the embedded gateway template; pure function, no I/O.

    ``port``: TCP port the gateway listens on (1..65535). ``prefix_dir``: absolute POSIX path
    of the gateway's data folder (pid, logs, temp folders; created by nginx if missing, its
    parent must exist). ``upstreams``: service name -> port on 127.0.0.1; every
    ``{{PORT_<NAME>}}`` placeholder of the template must get a port and every service given
    must have a placeholder. ``s3_endpoint``: ``host:port`` of the S3 store behind ``/media/``.
    Raises ``ValueError`` naming what is wrong (bad port, relative or unsafe path, unknown or
    missing service, bad S3 endpoint, unfilled placeholder)."""
    _check_port("port", port)
    if not prefix_dir or not PurePosixPath(prefix_dir).is_absolute():
        raise ValueError(f"prefix_dir must be an absolute path, got {prefix_dir!r}")
    if set(prefix_dir) & _UNSAFE_PATH_CHARS:
        raise ValueError(f"prefix_dir contains characters nginx cannot take in a quoted path: {prefix_dir!r}")
    prefix = prefix_dir.rstrip("/") or "/"
    if not upstreams:
        raise ValueError("upstreams must name at least one service")

    if not isinstance(s3_endpoint, str) or not _HOST_PORT.match(s3_endpoint):
        raise ValueError(f"s3_endpoint must be host:port, got {s3_endpoint!r}")
    _check_port("s3_endpoint port", int(s3_endpoint.rsplit(":", 1)[1]))
    values: dict[str, str] = {"PORT": str(port), "PREFIX_DIR": prefix, "S3_ENDPOINT": s3_endpoint}
    for name, upstream_port in upstreams.items():
        if not _SERVICE_NAME.match(name):
            raise ValueError(f"service name {name!r} must match {_SERVICE_NAME.pattern}")
        _check_port(f"upstreams[{name!r}]", upstream_port)
        values[f"PORT_{name.upper()}"] = str(upstream_port)
    values["INDEX_JSON"] = _nginx_single_quoted(
        json.dumps(index_document(list(upstreams)), ensure_ascii=False, separators=(",", ":"))
    )

    wanted = set(_PLACEHOLDER.findall(template_text))
    unknown = sorted(w for w in wanted if w not in values)
    if unknown:
        raise ValueError(f"template placeholders without a value: {', '.join(unknown)}")
    unused = sorted(
        name for name in upstreams if f"PORT_{name.upper()}" not in wanted
    )
    if unused:
        raise ValueError(f"services without a route in the template: {', '.join(unused)}")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template_text)


def _check_port(what: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValueError(f"{what} must be a TCP port (1..65535), got {value!r}")


def main(argv: list[str] | None = None) -> int:
    """CLI: render the template with the default service ports (8101..8108)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--prefix-dir", required=True, help="absolute data folder of the gateway")
    parser.add_argument("--s3-endpoint", default=DEFAULT_S3_ENDPOINT, help="host:port of S3 behind /media/")
    parser.add_argument("--template", type=Path, default=TEMPLATE_PATH)
    parser.add_argument("--out", type=Path, help="write here instead of stdout")
    args = parser.parse_args(argv)
    text = render_local_conf(args.template.read_text(encoding="utf-8"), args.port,
                             str(Path(args.prefix_dir).absolute()), dict(DEFAULT_UPSTREAMS),
                             args.s3_endpoint)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
