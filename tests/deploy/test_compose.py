"""Checks of the deployment files that need no Docker and no cluster.

* ``docker-compose.yml`` is valid against the Compose Specification JSON schema
  (``tests/deploy/compose-spec.json``, provenance in ``tests/deploy/README.md``) and follows
  the platform's rules: the eight services built from the one Dockerfile, healthy
  infrastructure first, MongoDB as a replica set, MinIO pinned, the common ``ANJIAN_*``
  environment, one gateway routing every API.
* ``deploy/docker/Dockerfile`` builds any service by ``SERVICE``, from the workspace lock.
* Compose runs production: every secret is required (``${VAR:?…}``), listed in
  ``deploy/compose.env.example``, and the rendered settings pass the production checks.
* ``deploy/k8s`` parses, and every service has a Deployment/Service pair with probes.
"""

from __future__ import annotations

import fnmatch
import hashlib
import importlib.util
import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA_FILE = HERE / "compose-spec.json"
SCHEMA_SHA256 = "a85a0e558502b7fec90b3ad4095d721e31749e9a305b1d80e09c1e64f939b92d"
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
GATEWAY = ROOT / "deploy" / "gateway"
K8S = ROOT / "deploy" / "k8s"

SERVICES = ["identity", "projects", "inspections", "notices", "equipment", "personnel", "reporting",
            "partners", "conversations"]
INFRA = ["mongodb", "rabbitmq", "minio"]
MINIO_IMAGE = "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z"
SCALED = {"inspections", "notices"}
CPU_SCALED = {"identity", "projects", "equipment", "personnel"}  # issue 16: HPA on CPU, replicas 1 at rest
QUEUE_SCALED = {"reporting", "partners"}  # issue 16: KEDA on their RabbitMQ queues (deploy/k8s/keda.yaml)
MONITORING = {"prometheus", "grafana"}  # deploy/monitoring (issue 16)


def _load_render_module():
    spec = importlib.util.spec_from_file_location("anjian_gateway_render", GATEWAY / "render.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def _validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _env(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return dict(env)


# --------------------------------------------------------------------------- schema


def test_schema_file_is_the_documented_upstream_copy() -> None:
    digest = hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest()
    assert digest == SCHEMA_SHA256, "compose-spec.json changed: update tests/deploy/README.md and this digest"
    assert SCHEMA_SHA256 in (HERE / "README.md").read_text(encoding="utf-8")


def test_compose_file_is_valid_against_the_compose_specification(compose, schema) -> None:
    errors = sorted(_validator(schema).iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param(lambda d: d["services"]["identity"].update(imagee="x"), id="unknown-service-key"),
        pytest.param(lambda d: d["services"]["gateway"]["depends_on"]["identity"].update(condition="service_ready"),
                     id="bad-depends-on-condition"),
        pytest.param(lambda d: d.update(servics={}), id="unknown-top-level-key"),
        pytest.param(lambda d: d["services"]["mongodb"]["healthcheck"].update(interval=5),
                     id="healthcheck-interval-not-string"),
    ],
)
def test_schema_rejects_a_broken_compose_file(compose, schema, breakage) -> None:
    broken = json.loads(json.dumps(compose))
    breakage(broken)
    assert list(_validator(schema).iter_errors(broken)), "the schema should have caught this"


# --------------------------------------------------------------------------- services


def test_all_services_infrastructure_and_gateway_are_defined(compose) -> None:
    assert set(compose["services"]) == set(SERVICES) | set(INFRA) | {"gateway"} | MONITORING


@pytest.mark.parametrize("name", SERVICES)
def test_service_builds_from_the_one_dockerfile_with_its_service_arg(compose, name) -> None:
    svc = compose["services"][name]
    build = svc["build"]
    assert (COMPOSE_FILE.parent / build["context"]).resolve() == ROOT
    assert (ROOT / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
    service_arg = _env({"environment": build["args"]})["SERVICE"]
    assert service_arg == name
    assert (ROOT / "services" / service_arg).is_dir(), f"services/{service_arg}/ does not exist"
    assert (ROOT / "services" / service_arg / "pyproject.toml").is_file()
    assert svc["image"].startswith(f"anjian/{name}:")


def test_every_built_service_names_an_existing_service_folder(compose) -> None:
    for name, svc in compose["services"].items():
        if "build" in svc:
            arg = _env({"environment": svc["build"]["args"]})["SERVICE"]
            assert (ROOT / "services" / arg / "pyproject.toml").is_file(), f"{name}: SERVICE={arg}"


@pytest.mark.parametrize("name", SERVICES)
def test_service_waits_for_healthy_infrastructure(compose, name) -> None:
    depends = compose["services"][name]["depends_on"]
    assert isinstance(depends, dict), "depends_on must use conditions"
    for infra in INFRA:
        assert depends[infra]["condition"] == "service_healthy", f"{name} -> {infra}"


@pytest.mark.parametrize("name", INFRA)
def test_infrastructure_has_a_healthcheck_and_a_named_volume(compose, name) -> None:
    svc = compose["services"][name]
    assert svc["healthcheck"]["test"]
    named = [v.split(":", 1)[0] for v in svc["volumes"] if not v.startswith((".", "/"))]
    assert named, f"{name} keeps its data in a named volume"
    for volume in named:
        assert volume in compose["volumes"], f"volume {volume} is declared at the top level"


@pytest.mark.parametrize("name", SERVICES)
def test_service_gets_mongo_amqp_and_s3_settings(compose, name) -> None:
    env = _env(compose["services"][name])
    assert re.fullmatch(r"mongodb://\$\{MONGO_ROOT_USER:\?[^}]+\}:\$\{MONGO_ROOT_PASSWORD:\?[^}]+\}"
                        r"@mongodb:27017/\?replicaSet=rs0&authSource=admin", env["ANJIAN_MONGO_URL"])
    assert re.fullmatch(r"amqp://[^@]+@rabbitmq:5672/", env["ANJIAN_AMQP_URL"])
    assert env["ANJIAN_S3_ENDPOINT"] == "minio:9000"
    assert env["ANJIAN_S3_ACCESS_KEY"] and env["ANJIAN_S3_SECRET_KEY"]
    assert env["ANJIAN_S3_REGION"] == "us-east-1"
    assert "ANJIAN_S3_PUBLIC_ENDPOINT" not in env and "ANJIAN_MEDIA_PUBLIC_URL" not in env  # media: gateway /media
    assert env["ANJIAN_IDENTITY_URL"] == "http://identity:8000"
    assert "8080" in env["ANJIAN_PUBLIC_BASE_URL"]
    assert env["ANJIAN_ENVIRONMENT"] == "production"


def test_s3_and_amqp_credentials_match_what_minio_and_rabbitmq_are_given(compose) -> None:
    env = _env(compose["services"]["identity"])
    minio = _env(compose["services"]["minio"])
    rabbit = _env(compose["services"]["rabbitmq"])
    assert env["ANJIAN_S3_ACCESS_KEY"] == minio["MINIO_ROOT_USER"]
    assert env["ANJIAN_S3_SECRET_KEY"] == minio["MINIO_ROOT_PASSWORD"]
    assert env["ANJIAN_AMQP_URL"] == (
        f"amqp://{rabbit['RABBITMQ_DEFAULT_USER']}:{rabbit['RABBITMQ_DEFAULT_PASS']}@rabbitmq:5672/"
    )


def test_bootstrap_admin_password_goes_to_identity_only_and_is_required(compose) -> None:
    value = _env(compose["services"]["identity"])["ANJIAN_BOOTSTRAP_ADMIN_PASSWORD"]
    assert re.fullmatch(r"\$\{ANJIAN_BOOTSTRAP_ADMIN_PASSWORD:\?[^}]+\}", value)
    for name in SERVICES[1:]:
        assert "ANJIAN_BOOTSTRAP_ADMIN_PASSWORD" not in _env(compose["services"][name])


def test_every_anjian_variable_is_a_known_setting(compose) -> None:
    """A typo in a variable name would silently leave a default in place."""
    from anjian_shared.settings import ServiceSettings
    from partners.settings import Settings as PartnersSettings

    known = {f"ANJIAN_{name.upper()}" for name in ServiceSettings.model_fields}
    known.add("ANJIAN_BOOTSTRAP_ADMIN_PASSWORD")  # identity's Settings
    used = {k for name in SERVICES for k in _env(compose["services"][name]) if k.startswith("ANJIAN_")}
    assert used <= known | {f"ANJIAN_{n.upper()}" for n in PartnersSettings.model_fields}, \
        f"unknown settings: {sorted(used - known)}"
    partners_only = {k for k in _env(compose["services"]["partners"]) if k.startswith("ANJIAN_")} - known
    assert partners_only <= {f"ANJIAN_{n.upper()}" for n in PartnersSettings.model_fields}


def test_mongodb_runs_as_a_single_node_replica_set(compose) -> None:
    mongo = compose["services"]["mongodb"]
    assert mongo["image"] == "mongo:8.0"
    command = mongo["command"] if isinstance(mongo["command"], list) else mongo["command"].split()
    assert command[command.index("--replSet") + 1] == "rs0"
    # authentication: a root user and the replica set's key file (written by the entrypoint)
    key_file = command[command.index("--keyFile") + 1]
    assert key_file in "\n".join(mongo["entrypoint"]) and "docker-entrypoint.sh" in mongo["entrypoint"][2]
    env = _env(mongo)
    assert {"MONGO_INITDB_ROOT_USERNAME", "MONGO_INITDB_ROOT_PASSWORD", "MONGO_REPLICA_SET_KEY"} <= set(env)
    check = " ".join(mongo["healthcheck"]["test"])
    assert "--authenticationDatabase admin" in check and "$$MONGO_INITDB_ROOT_PASSWORD" in check
    assert "mongosh" in check and "rs.initiate(" in check
    assert "_id: 'rs0'" in check and "host: 'mongodb:27017'" in check
    assert "isWritablePrimary" in check, "healthy only once the node is primary"


def test_minio_image_is_pinned_exactly(compose) -> None:
    minio = compose["services"]["minio"]
    assert minio["image"] == MINIO_IMAGE
    command = minio["command"] if isinstance(minio["command"], list) else minio["command"].split()
    assert command[:2] == ["server", "/data"]
    assert command[command.index("--console-address") + 1] == ":9001"


def test_rabbitmq_has_the_management_ui_on_15672(compose) -> None:
    rabbit = compose["services"]["rabbitmq"]
    assert rabbit["image"] == "rabbitmq:3.13-management"
    assert any(str(p).endswith("15672:15672") for p in rabbit["ports"])
    assert rabbit["hostname"], "a fixed hostname keeps RabbitMQ's data across re-creation"


def test_the_common_environment_is_shared_through_an_extension(compose) -> None:
    raw = COMPOSE_FILE.read_text(encoding="utf-8")
    assert "x-anjian-env: &anjian-env" in raw
    first = _env(compose["services"][SERVICES[0]])
    common = {k: v for k, v in first.items() if k != "ANJIAN_BOOTSTRAP_ADMIN_PASSWORD"}
    own = {"partners": {"ANJIAN_RABBITMQ_MANAGEMENT_URL", "ANJIAN_PARTNER_AMQP_URL"}}
    for name in SERVICES[1:]:
        env = _env(compose["services"][name])
        assert env.items() >= common.items(), name
        assert set(env) - set(common) <= own.get(name, set()), name


# --------------------------------------------------------------------------- gateway


def _compose_gateway_conf() -> str:
    return (GATEWAY / "compose.conf").read_text(encoding="utf-8")


def test_gateway_is_nginx_on_8080_with_the_repository_config(compose) -> None:
    gateway = compose["services"]["gateway"]
    assert gateway["image"] == "nginx:1.27-alpine"
    assert "8080:8080" in [str(p) for p in gateway["ports"]]
    mounts = [v.split(":") for v in gateway["volumes"]]
    assert ["./deploy/gateway/compose.conf", "/etc/nginx/conf.d/default.conf", "ro"] in mounts
    assert (GATEWAY / "compose.conf").is_file()
    assert set(gateway["depends_on"]) == set(SERVICES)
    assert all(d["condition"] == "service_healthy" for d in gateway["depends_on"].values())


@pytest.mark.parametrize("name", SERVICES)
def test_compose_gateway_routes_the_service(name) -> None:
    conf = _compose_gateway_conf()
    pattern = rf"location /api/{name}/\s*\{{\s*set \$upstream {name}:8000;\s*proxy_pass http://\$upstream;\s*\}}"
    assert re.search(pattern, conf), f"/api/{name}/ is not routed to {name}:8000"


@pytest.mark.parametrize("name", SERVICES)
def test_embedded_gateway_template_routes_the_service(name) -> None:
    tmpl = (GATEWAY / "nginx-local.conf.tmpl").read_text(encoding="utf-8")
    assert re.search(rf"upstream anjian_{name}\s*\{{\s*server 127\.0\.0\.1:\{{\{{PORT_{name.upper()}\}}\}};", tmpl)
    assert re.search(rf"location /api/{name}/\s*\{{\s*proxy_pass http://anjian_{name};\s*\}}", tmpl)


@pytest.mark.parametrize("conf_file", ["compose.conf", "nginx-local.conf.tmpl"])
def test_gateway_config_sets_body_limit_and_proxy_headers(conf_file) -> None:
    conf = (GATEWAY / conf_file).read_text(encoding="utf-8")
    assert re.search(r"^\s*client_max_body_size 50m;", conf, re.M)
    for header in ("X-Request-ID", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-IP"):
        assert re.search(rf"^\s*proxy_set_header {header}\s", conf, re.M), header
    assert "$http_x_request_id" in conf, "a client's X-Request-ID is passed through"
    routed = set(re.findall(r"location /api/([a-z]+)/", conf))
    assert routed == set(SERVICES)


def test_compose_gateway_index_lists_every_openapi_document() -> None:
    match = re.search(r"location = / \{[^}]*?return 200 '(.*?)';", _compose_gateway_conf(), re.S)
    assert match, "the compose gateway serves a JSON index at /"
    index = json.loads(match.group(1))
    assert index == _load_render_module().index_document(SERVICES)
    for name in SERVICES:
        assert index["services"][name]["openapi"] == f"/api/{name}/v1/openapi.json"


# --------------------------------------------------------------------------- Dockerfile


def test_dockerfile_builds_any_service_by_build_arg() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert len(froms) >= 2, "multi-stage"
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", text, re.M)
    assert all(f == "${PYTHON_IMAGE}" for f in froms)
    assert re.search(r"^ARG SERVICE$", text, re.M)
    # every version from the workspace lock, only this service and shared, not editable
    assert re.search(r"^COPY pyproject\.toml uv\.lock \./$", text, re.M)
    assert re.search(r'uv sync --frozen --no-dev --no-editable --package "anjian-\$\{SERVICE\}"', text)
    assert "--require-hashes -r /tmp/uv-requirements.txt" in text, "uv itself is hash-checked"
    assert re.search(r"^COPY services/\$\{SERVICE\}/ services/\$\{SERVICE\}/$", text, re.M)


def test_dockerfile_runs_unprivileged_with_a_healthcheck_and_uvicorn_factory() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    user = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert user and user[-1].split(":")[0] not in {"root", "0"}
    assert user[-1].split(":")[0].isdigit(), "numeric uid so Kubernetes can verify runAsNonRoot"
    health = re.search(r"^HEALTHCHECK .*\n(?:\s+.*\n)*", text, re.M)
    assert health and "urllib.request" in health.group(0) and "/healthz" in health.group(0)
    assert "uvicorn --factory" in text and ".main:create_app" in text and "--port 8000" in text
    # the images that render PDFs (reporting; equipment's HEB-07 registration sign) get the CJK font
    assert re.search(r'if \[ "\$\{SERVICE\}" = "reporting" \] \|\| \[ "\$\{SERVICE\}" = "equipment" \]; then'
                     r'.*?fonts-wqy-zenhei', text, re.S)


def test_dockerignore_keeps_what_the_image_copies() -> None:
    patterns = [
        line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        result = False
        for p in patterns:
            negate = p.startswith("!")
            pat = p[1:] if negate else p
            if fnmatch.fnmatch(path, pat) or fnmatch.fnmatch(path, pat.replace("**/", "*/")) \
                    or any(fnmatch.fnmatch("/".join(path.split("/")[:i]), pat) for i in range(1, path.count("/") + 1)):
                result = not negate
        return result

    for name in SERVICES:
        assert not ignored(f"services/{name}/pyproject.toml")
        assert not ignored(f"services/{name}/src/{name}/main.py")
    assert not ignored("shared/pyproject.toml")
    for needed in ("pyproject.toml", "uv.lock", "deploy/tools/uv-requirements.txt"):
        assert not ignored(needed), needed
    assert not ignored("shared/src/anjian_shared/settings.py")
    for heavy in (".venv/bin/python", ".git/HEAD", "services/identity/tests/test_x.py",
                  "deploy/k8s/identity.yaml", "deploy/compose.env"):
        assert ignored(heavy), heavy


# --------------------------------------------------------------------------- Kubernetes


def _k8s_docs() -> list[tuple[Path, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc is not None:
                docs.append((path, doc))
    return docs


def _k8s(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for p, d in _k8s_docs()
            if d.get("kind") == kind and p.name != "kustomization.yaml"}


def test_k8s_manifests_parse_and_are_objects() -> None:
    docs = _k8s_docs()
    assert docs
    for path, doc in docs:
        assert isinstance(doc, dict), path
        assert doc.get("apiVersion") and doc.get("kind"), path
        if doc["kind"] != "Kustomization":
            assert doc["metadata"]["name"], path


def test_kustomization_lists_every_manifest_but_not_the_secret_template() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    resources = kustomization["resources"]
    for resource in resources:
        assert (K8S / resource).is_file(), resource
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(resources) == on_disk - {"secret.template.yaml"}
    assert kustomization["namespace"] == "anjian"
    assert {i["name"] for i in kustomization["images"]} == {f"anjian/{s}" for s in SERVICES}


@pytest.mark.parametrize("name", SERVICES)
def test_k8s_service_has_a_deployment_service_pair_with_probes(name) -> None:
    deployment = _k8s("Deployment")[name]
    service = _k8s("Service")[name]
    pod = deployment["spec"]["template"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    (container,) = pod["spec"]["containers"]
    assert container["image"].startswith(f"anjian/{name}:")
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 8000}
    (svc_port,) = service["spec"]["ports"]
    assert svc_port["targetPort"] in ("http", 8000) and svc_port["port"] == 8000
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] in ("http", 8000)
    resources = container["resources"]
    assert resources["requests"]["cpu"] and resources["requests"]["memory"] and resources["limits"]["memory"]
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    env_from = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
    assert env_from == {"anjian-common", "anjian-infra"}
    expected = 2 if name in SCALED else 1
    assert deployment["spec"]["replicas"] == expected


def test_k8s_inspections_and_notices_autoscale() -> None:
    hpas = _k8s("HorizontalPodAutoscaler")
    assert set(hpas) == SCALED | CPU_SCALED
    assert not QUEUE_SCALED & set(hpas), "KEDA owns the HPA of a ScaledObject's target"
    deployments = _k8s("Deployment")
    for name, hpa in hpas.items():
        target = hpa["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", name) and name in deployments
        assert hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]


def test_k8s_ingress_routes_every_api_to_its_service() -> None:
    ingress = _k8s("Ingress")["anjian"]
    routes = {
        p["path"]: p["backend"]["service"]
        for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]
    }
    for name in SERVICES:
        backend = routes[f"/api/{name}"]
        assert backend["name"] == name
        assert backend["port"] in ({"name": "http"}, {"number": 8000})
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == "50m"


def test_issue_11_k8s_media_ingress_strips_the_prefix_and_sends_the_signed_host() -> None:
    """Media from the platform's origin: /media/(.*) -> S3 /$1 with Host = the signing host."""
    media = _k8s("Ingress")["anjian-media"]
    config = _k8s("ConfigMap")["anjian-common"]["data"]
    notes = media["metadata"]["annotations"]
    (path,) = [p for rule in media["spec"]["rules"] for p in rule["http"]["paths"]]
    assert path["path"] == "/media/(.*)" and notes["nginx.ingress.kubernetes.io/rewrite-target"] == "/$1"
    assert notes["nginx.ingress.kubernetes.io/upstream-vhost"] == config["ANJIAN_MEDIA_SIGNING_HOST"]
    assert _k8s("Service")[path["backend"]["service"]["name"]]["spec"]["externalName"] == \
        config["ANJIAN_MEDIA_SIGNING_HOST"]
    assert media["spec"]["rules"][0]["host"] == _k8s("Ingress")["anjian"]["spec"]["rules"][0]["host"]


def test_k8s_settings_cover_what_every_service_needs() -> None:
    config = _k8s("ConfigMap")["anjian-common"]["data"]
    secrets = {
        d["metadata"]["name"]: d for _, d in
        ((p, d) for p in [K8S / "secret.template.yaml"] for d in yaml.safe_load_all(p.read_text(encoding="utf-8")))
    }
    infra = secrets["anjian-infra"]["stringData"]
    provided = set(config) | set(infra)
    for key in ("ANJIAN_MONGO_URL", "ANJIAN_AMQP_URL", "ANJIAN_S3_ENDPOINT", "ANJIAN_S3_ACCESS_KEY",
                "ANJIAN_S3_SECRET_KEY", "ANJIAN_S3_REGION", "ANJIAN_IDENTITY_URL",
                "ANJIAN_PUBLIC_BASE_URL", "ANJIAN_ENVIRONMENT"):
        assert key in provided, key
    assert not set(config) & set(infra)
    assert config["ANJIAN_ENVIRONMENT"] == "production"
    # Every secret value is a clearly marked placeholder.
    for secret in secrets.values():
        assert secret["kind"] == "Secret"
        for key, value in secret["stringData"].items():
            assert "CHANGE-ME" in value, key
    # Only identity gets the province admins' initial password.
    for name, deployment in _k8s("Deployment").items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        refs = [e["valueFrom"]["secretKeyRef"] for e in container.get("env", []) if "valueFrom" in e]
        if name == "identity":
            assert {"name": "anjian-identity", "key": "ANJIAN_BOOTSTRAP_ADMIN_PASSWORD"} in refs
        elif name == "partners":  # optional: the RabbitMQ management API for AMQP subscriptions
            assert refs and all(r["name"] == "anjian-partners" and r.get("optional") is True for r in refs)
        else:
            assert not refs


def test_k8s_setting_names_are_known_settings() -> None:
    from anjian_shared.settings import ServiceSettings

    known = {f"ANJIAN_{name.upper()}" for name in ServiceSettings.model_fields}
    config = _k8s("ConfigMap")["anjian-common"]["data"]
    infra = next(d for d in yaml.safe_load_all((K8S / "secret.template.yaml").read_text(encoding="utf-8"))
                 if d["metadata"]["name"] == "anjian-infra")["stringData"]
    assert set(config) | set(infra) <= known, sorted((set(config) | set(infra)) - known)


# --------------------------------------------------------------------------- production settings

COMPOSE_ENV_EXAMPLE = ROOT / "deploy" / "compose.env.example"
_VAR = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:[?-])(?P<arg>[^}]*))?\}")


def _example_values() -> dict[str, str]:
    values = {}
    for line in COMPOSE_ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def _interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?message} (a missing required one fails)."""
    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if variables.get(name):
            return variables[name]
        assert op != ":?", f"{name} is required: {arg}"
        return arg if op == ":-" else ""
    return _VAR.sub(one, value)


def test_compose_secrets_have_no_defaults_and_are_all_in_the_example(compose) -> None:
    """No development secret hides behind a ${VAR:-default}: compose names what is missing."""
    raw = "\n".join(line for line in COMPOSE_FILE.read_text(encoding="utf-8").splitlines()
                    if not line.lstrip().startswith("#"))
    required = {m["name"] for m in _VAR.finditer(raw) if m["op"] == ":?"}
    assert {"MONGO_ROOT_USER", "MONGO_ROOT_PASSWORD", "MONGO_REPLICA_SET_KEY", "RABBITMQ_PASSWORD",
            "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "ANJIAN_BOOTSTRAP_ADMIN_PASSWORD"} <= required
    for match in _VAR.finditer(raw):
        if match["op"] == ":-":
            assert not re.search(r"PASSWORD|SECRET|KEY|MINIO_ROOT", match["name"]), match[0]
    example = _example_values()
    assert required <= set(example), sorted(required - set(example))
    for name in required:
        assert f"set {name}" in raw, f"the message of {name} names it"


def _rendered_service_env(compose, name: str, variables: dict[str, str]) -> dict[str, str]:
    return {k: _interpolate(str(v), variables) for k, v in _env(compose["services"][name]).items()
            if k.startswith("ANJIAN_")}


@pytest.mark.parametrize("name", SERVICES)
def test_compose_service_settings_pass_the_production_checks(compose, name, monkeypatch) -> None:
    """With the example's placeholders replaced, every service's settings load in production;
    with the placeholders left in, they are refused (naming the variables)."""
    import importlib

    from pydantic import ValidationError

    settings_cls = importlib.import_module(f"{name}.settings").Settings
    example = _example_values()
    real = {k: v.replace("CHANGE-ME-", "prod-0123456789-") for k, v in example.items()}
    for variable in [v for v in os.environ if v.startswith("ANJIAN_")]:
        monkeypatch.delenv(variable)
    for variable, value in _rendered_service_env(compose, name, real).items():
        monkeypatch.setenv(variable, value)
    settings = settings_cls()
    assert settings.environment == "production" and settings.production_problems() == []

    for variable, value in _rendered_service_env(compose, name, example).items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as refused:
        settings_cls()
    assert "ANJIAN_S3_SECRET_KEY" in str(refused.value) and "ANJIAN_MONGO_URL" in str(refused.value)


def test_k8s_switches_nothing_on_that_production_refuses() -> None:
    config = _k8s("ConfigMap")["anjian-common"]["data"]
    texts = "\n".join(p.read_text(encoding="utf-8") for p in K8S.glob("*.yaml"))
    for variable in ("ANJIAN_FAILPOINTS", "ANJIAN_WEBHOOK_ALLOW_PRIVATE_ADDRESSES"):
        assert variable not in texts, variable
    assert config["ANJIAN_ENVIRONMENT"] == "production"
    raw = COMPOSE_FILE.read_text(encoding="utf-8")
    for variable in ("ANJIAN_FAILPOINTS", "ANJIAN_WEBHOOK_ALLOW_PRIVATE_ADDRESSES"):
        assert variable not in raw, variable
