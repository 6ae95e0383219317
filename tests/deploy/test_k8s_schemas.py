"""Issue 16: every manifest of ``deploy/k8s`` is valid against the Kubernetes OpenAPI schemas
(the ``kubernetes-validate`` package ships them; strict: unknown fields are errors), and the
CRDs it uses (KEDA's ScaledObject, the Prometheus Operator's PodMonitor) against the parts of
their own schemas the manifests rely on. Autoscaling: CPU for HTTP-heavy services, queue
length (KEDA's RabbitMQ scaler) for consumer-heavy ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"
CRDS = {"keda.sh/v1alpha1", "monitoring.coreos.com/v1"}


def manifests() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for i, doc in enumerate(yaml.safe_load_all(path.read_text(encoding="utf-8"))):
            if doc is not None:
                docs.append((f"{path.name}#{i}:{doc.get('kind')}/{doc.get('metadata', {}).get('name')}", doc))
    return docs


MANIFESTS = manifests()
BUILTIN = [(n, d) for n, d in MANIFESTS if d["apiVersion"] not in CRDS]


@pytest.mark.parametrize("name,doc", BUILTIN, ids=[n for n, _ in BUILTIN])
def test_manifest_is_valid_against_the_kubernetes_schema(name: str, doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_an_invalid_manifest_is_refused() -> None:
    _, hpa = next((n, d) for n, d in BUILTIN if d["kind"] == "HorizontalPodAutoscaler")
    broken = {**hpa, "spec": {**hpa["spec"], "minReplicas": "two"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    typo = {**hpa, "spec": {**hpa["spec"], "maxReplica": 3}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(typo, KUBERNETES_VERSION, strict=True)


# KEDA's ScaledObject (keda.sh/v1alpha1, CRD keda.sh_scaledobjects.yaml of KEDA 2.x): the fields
# used here, with the types of that CRD's openAPIV3Schema.
SCALED_OBJECT_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "spec": {
            "type": "object",
            "required": ["scaleTargetRef", "triggers"],
            "additionalProperties": False,
            "properties": {
                "scaleTargetRef": {"type": "object", "required": ["name"],
                                   "properties": {"name": {"type": "string"}, "kind": {"type": "string"},
                                                  "apiVersion": {"type": "string"}}},
                "minReplicaCount": {"type": "integer", "minimum": 0},
                "maxReplicaCount": {"type": "integer", "minimum": 1},
                "pollingInterval": {"type": "integer"},
                "cooldownPeriod": {"type": "integer"},
                "triggers": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["type", "metadata"],
                    "properties": {"type": {"type": "string"}, "metricType": {"enum": ["AverageValue", "Value",
                                                                                      "Utilization"]},
                                   "metadata": {"type": "object", "additionalProperties": {"type": "string"}}}}},
            },
        },
    },
}


def test_keda_scaled_objects_scale_consumers_on_their_queues() -> None:
    import jsonschema

    from anjian_shared.bus import queue_arguments  # noqa: F401 - the queues are <service>.<purpose>

    scaled = {d["metadata"]["name"]: d for _, d in MANIFESTS if d["kind"] == "ScaledObject"}
    assert set(scaled) == {"reporting", "partners"}
    deployments = {d["metadata"]["name"] for _, d in BUILTIN if d["kind"] == "Deployment"}
    for name, obj in scaled.items():
        jsonschema.validate(obj, SCALED_OBJECT_SCHEMA)
        assert obj["spec"]["scaleTargetRef"]["name"] == name in deployments
        rabbit = [t for t in obj["spec"]["triggers"] if t["type"] == "rabbitmq"]
        assert rabbit and all(t["metadata"]["mode"] == "QueueLength" and t["metadata"]["hostFromEnv"] ==
                              "ANJIAN_AMQP_URL" for t in rabbit)
        assert all(t["metadata"]["queueName"].startswith(f"{name}.") for t in rabbit)
        assert obj["spec"]["maxReplicaCount"] > obj["spec"]["minReplicaCount"] >= 1


def test_the_scaled_queues_are_the_services_own_consumer_queues() -> None:
    from partners.entrypoints import consumers as partners_consumers
    from reporting.entrypoints import consumers as reporting_consumers

    assert reporting_consumers.read_models.purpose == "read-models"
    source = Path(partners_consumers.__file__).read_text(encoding="utf-8")
    assert 'Subscription("event-log")' in source


def test_pod_monitor_scrapes_every_service_on_its_http_port() -> None:
    monitors = {d["metadata"]["name"]: d for _, d in MANIFESTS if d["kind"] == "PodMonitor"}
    anjian = monitors["anjian"]["spec"]
    [expr] = anjian["selector"]["matchExpressions"]
    assert set(expr["values"]) == {"identity", "projects", "inspections", "notices", "equipment", "personnel",
                                   "reporting", "partners"}
    assert anjian["podMetricsEndpoints"] == [{"port": "http", "path": "/metrics", "interval": "15s"}]
    assert monitors["rabbitmq"]["spec"]["podMetricsEndpoints"][0]["port"] == "prometheus"
