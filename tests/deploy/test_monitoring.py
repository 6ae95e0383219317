"""Issue 16: the Grafana dashboard and the Prometheus alert rules name only metrics the
services export, and Prometheus scrapes every service (deploy/monitoring).

Metric names are collected from the platform's registry (``anjian_shared.metrics``: the one
setup every service's ``/metrics`` serves), with the suffixes the exposition adds (``_total``,
``_bucket`` …). RabbitMQ's names come from its ``rabbitmq_prometheus`` plugin (per-object
endpoint ``/metrics/detailed``, documented at https://www.rabbitmq.com/docs/prometheus)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from anjian_shared import metrics

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
DASHBOARD = MONITORING / "grafana" / "dashboards" / "anjian.json"
ALERTS = MONITORING / "alerts.yml"
PROMETHEUS = MONITORING / "prometheus.yml"
SERVICES = ["identity", "projects", "inspections", "notices", "equipment", "personnel", "reporting", "partners"]
RABBITMQ_DETAILED = {"rabbitmq_detailed_queue_messages", "rabbitmq_detailed_queue_messages_ready",
                     "rabbitmq_detailed_queue_messages_unacked", "rabbitmq_detailed_queue_consumers"}
NAME = re.compile(r"\b((?:anjian|rabbitmq)_[a-z0-9_]+)\b")
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless"}


def dashboard_exprs() -> list[str]:
    dash = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]


def alert_rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [r for g in doc["groups"] for r in g["rules"]]


def names_in(expr: str) -> set[str]:
    return {n for n in NAME.findall(expr) if n not in PROMQL_WORDS}


def test_dashboard_names_only_exported_metrics() -> None:
    exported = metrics.metric_names() | RABBITMQ_DETAILED
    exprs = dashboard_exprs()
    assert len(exprs) >= 10
    used = set().union(*(names_in(e) for e in exprs))
    assert used - exported == set(), "metrics the services do not export"
    # each headline of the issue has a panel
    for wanted in ("anjian_http_request_duration_seconds_bucket", "anjian_outbox_oldest_pending_age_seconds",
                   "anjian_events_total", "anjian_read_model_event_lag_seconds", "anjian_escalation_sweeps_total",
                   "anjian_webhook_deliveries_total"):
        assert wanted in used, wanted


def test_alert_rules_name_only_exported_metrics_and_cover_the_issue() -> None:
    exported = metrics.metric_names() | RABBITMQ_DETAILED
    rules = alert_rules()
    for rule in rules:
        assert rule["alert"] and rule["expr"] and rule["annotations"]["summary"], rule
        assert names_in(rule["expr"]) - exported == set(), rule["alert"]
        assert names_in(rule["expr"]), f"{rule['alert']} names no metric"
    alerts = {r["alert"] for r in rules}
    assert {"OutboxBacklogOld", "EventsDeadLettered", "ReadModelLagging", "Http5xxRate",
            "EquipmentLockAnomaly", "CertificateChangeAnomaly"} <= alerts


@pytest.mark.parametrize("broken", ["anjian_http_request_total", "anjian_outbox_age"])
def test_a_misspelt_metric_would_be_caught(broken: str) -> None:
    assert names_in(f"rate({broken}[5m])") - (metrics.metric_names() | RABBITMQ_DETAILED) == {broken}


def test_prometheus_scrapes_every_service_and_rabbitmq_and_loads_the_rules() -> None:
    conf = yaml.safe_load(PROMETHEUS.read_text(encoding="utf-8"))
    assert "/etc/prometheus/alerts.yml" in conf["rule_files"]
    jobs = {j["job_name"]: j for j in conf["scrape_configs"]}
    targets = {t for sc in jobs["anjian"]["static_configs"] for t in sc["targets"]}
    assert targets == {f"{s}:8000" for s in SERVICES}
    assert jobs["anjian"]["metrics_path"] == "/metrics"
    assert jobs["rabbitmq"]["static_configs"][0]["targets"] == ["rabbitmq:15692"]


def test_gateway_does_not_route_metrics() -> None:
    """``/metrics`` is for operators inside the network: the public gateway forwards only
    ``/api/<service>/`` (both gateway configurations)."""
    for conf in (ROOT / "deploy" / "gateway").glob("*.conf*"):
        text = conf.read_text(encoding="utf-8")
        assert "/metrics" not in text, conf
        for block in re.findall(r"location\s+/\s*\{([^}]*)\}", text):
            assert "proxy_pass" not in block, f"{conf}: a proxying catch-all would expose /metrics"
