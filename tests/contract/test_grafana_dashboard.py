"""The Grafana dashboard is built on metrics the services really expose: every PromQL
expression in `infra/grafana/kinlink.json` parses, and every metric it names exists in the
Prometheus registry once the three services' modules are imported (a counter as `_total`, a
histogram as `_bucket`/`_sum`/`_count`). A renamed metric fails here, not on a blank panel."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml
from prometheus_client import REGISTRY

import services.correlator.app
import services.intake.app
import services.notifier.app  # noqa: F401  (their imports register every metric)

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "infra" / "grafana" / "kinlink.json"
PROMETHEUS = ROOT / "infra" / "prometheus" / "prometheus.yml"
# Grafana's built-in range variables, as Grafana substitutes them before PromQL sees them.
GRAFANA_RANGES = re.compile(r"\$__(rate_interval|interval|range)|\$\{__(rate_interval|range)\}")
LABEL_VALUES = re.compile(r"label_values\((?P<metric>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*,")
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
}


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _nodes(child)
    elif isinstance(value, list):
        for child in value:
            yield from _nodes(child)


def dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [node["expr"] for node in _nodes(dashboard.get("panels", [])) if "expr" in node]


def variable_metrics() -> set[str]:
    """Metrics named by the dashboard's variable queries (`label_values(metric, label)`)."""
    dashboard = json.loads(DASHBOARD.read_text())
    names: set[str] = set()
    for variable in dashboard["templating"]["list"]:
        query = variable.get("query")
        text = query.get("query", "") if isinstance(query, dict) else str(query or "")
        names.update(m["metric"] for m in LABEL_VALUES.finditer(text))
    return names


def metric_names(expr: str) -> set[str]:
    """Every metric name a PromQL expression selects (raises if it does not parse)."""
    return set(_selected(promql_parser.parse(GRAFANA_RANGES.sub("5m", expr))))


def _selected(node: Any) -> Iterator[str]:
    if isinstance(node, promql_parser.VectorSelector):
        if node.name:
            yield node.name
        return
    for attribute in ("expr", "param", "lhs", "rhs", "vector_selector"):
        child = getattr(node, attribute, None)
        if child is not None and not isinstance(child, (str, int, float)):
            yield from _selected(child)
    for argument in getattr(node, "args", None) or ():
        yield from _selected(argument)


def exposed_names() -> set[str]:
    """What the services' /metrics can expose: each registered family with its suffixes."""
    names: set[str] = set()
    for family in REGISTRY.collect():
        for suffix in SUFFIXES.get(family.type, ("",)):
            names.add(family.name + suffix)
    return names


def test_the_expression_reader_finds_every_selected_metric() -> None:
    expr = (
        "sum by (le) (rate(a_bucket{job=~\"$job\"}[$__rate_interval])) / on() group_left"
        " max(b) + histogram_quantile(0.9, c_bucket) - -d offset 5m"
    )
    assert metric_names(expr) == {"a_bucket", "b", "c_bucket", "d"}
    with pytest.raises(ValueError):
        metric_names("sum(rate(kinlink_x_total[5m])")


def test_every_dashboard_expression_parses_and_uses_exposed_metrics() -> None:
    expressions = dashboard_expressions()
    assert len(expressions) >= 15
    exposed = exposed_names()
    used = set().union(*(metric_names(expr) for expr in expressions)) | variable_metrics()
    assert sorted(used - exposed) == []
    assert all(name.startswith("kinlink_") for name in used)


def test_the_dashboard_shows_what_operators_watch() -> None:
    used = set().union(*(metric_names(expr) for expr in dashboard_expressions()))
    assert used >= {
        "kinlink_consumer_lag_records",
        "kinlink_events_consumed_total",
        "kinlink_events_dead_lettered_total",
        "kinlink_matches_proposed_total",
        "kinlink_matches_withdrawn_total",
        "kinlink_notifications_delivered_total",
        "kinlink_notifications_failed_total",
        "kinlink_outbox_backlog",
        "kinlink_outbox_relay_lag_seconds",
        "kinlink_http_request_seconds_bucket",
    }


def test_prometheus_scrapes_the_three_services_under_the_jobs_the_dashboard_filters() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"kinlink-intake", "kinlink-correlator", "kinlink-notifier"}
    for job in jobs.values():
        assert job["metrics_path"] == "/metrics"
        assert job["static_configs"][0]["targets"]
