"""Observability through all three services on the real Kafka and PostgreSQL: one sighting
reported with a W3C `traceparent` is followed by its trace id from intake's HTTP door, through
the sightings topic and the correlator's proposal, to the notification an investigator gets
(SSE data, webhook header and body), and every service's log lines for it carry the trace id;
and each service's /metrics exposes the metric families the Grafana dashboard is built on."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from services.common.catalog import MATCHES, SIGHTINGS
from services.common.config import CommonSettings
from services.common.envelope import from_kafka
from services.common.tracing import parse_traceparent
from services.correlator.app import create_app as create_correlator
from services.correlator.config import CorrelatorSettings
from tests.e2e.test_investigator_journey import _correlator_value
from tests.integration.intake import bodies
from tests.integration.intake.conftest import TokenFactory, bearer
from tests.integration.kafka_helpers import read_topic
from tests.integration.notifier.conftest import (  # noqa: F401  (fixtures)
    clock,
    notifier_settings,
    start_notifier,
)
from tests.integration.notifier.flow import eventually, poll_until
from tests.integration.notifier.sse import SSEClient

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
CORRELATOR_GROUP = CorrelatorSettings.__dataclass_fields__["group_id"].default


class Hook:
    """A webhook receiver on loopback that accepts every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], dict[str, Any]]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append((dict(request.headers), json.loads(await request.read())))
        return web.Response(status=204)


@pytest.fixture
async def hook() -> AsyncIterator[tuple[Hook, str]]:
    receiver = Hook()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield receiver, f"http://127.0.0.1:{port}/hook"
    await runner.cleanup()


@pytest.fixture
async def correlator(settings: CommonSettings) -> AsyncIterator[TestClient[Any, Any]]:
    """The correlator with its operations endpoint served (for /metrics)."""
    app = create_correlator(CorrelatorSettings(common=settings))
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.fixture
def log_lines() -> Iterator[list[dict[str, Any]]]:
    """Every log line of the three services (they share this process), as the JSON renderer
    would write it: the event's fields and the bound context (trace, request, group ids)."""
    lines: list[dict[str, Any]] = []

    def keep(_: Any, method: str, event: Any) -> Any:
        lines.append(dict(event))
        raise structlog.DropEvent

    saved = structlog.get_config()
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, keep],
        cache_logger_on_first_use=False,
    )
    try:
        yield lines
    finally:
        structlog.configure(**saved)


async def _journey(
    intake: Any,
    correlator: TestClient[Any, Any],
    notifier: TestClient[Any, Any],
    token: TokenFactory,
    settings: CommonSettings,
    hook_url: str,
    sighting_headers: dict[str, str],
) -> tuple[Any, dict[str, Any], str]:
    """An investigator subscribed (webhook and SSE), an alert known to the correlator, then one
    sighting: returns intake's answer to it, the SSE notification and the investigator token."""
    investigator = token("investigator")
    subscribed = await notifier.post(
        "/v1/subscriptions",
        json={"name": "everything", "webhook": {"url": hook_url}},
        headers=bearer(investigator),
    )
    assert subscribed.status == 201
    stream = SSEClient(notifier, investigator)
    await stream.connect()
    alert = await intake.post("/v1/alerts", json=bodies.alert(), headers=bearer(token("police")))
    alert_id = (await alert.json())["alert_id"]

    async def alert_indexed() -> bool:  # so the sighting (not the alert) makes the match
        query = "SELECT count(*) FROM correlator.alerts WHERE alert_id = $1"
        return await _correlator_value(settings, query, alert_id) == "1"

    await eventually(alert_indexed, timeout=60, what="the correlator indexed the alert")
    reported = await intake.post(
        "/v1/sightings",
        json=bodies.sighting(),
        headers={**bearer(token("hotline")), **sighting_headers},
    )
    assert reported.status == 201
    [notified] = await stream.events(1, timeout=60)
    stream.disconnect()
    return reported, notified, investigator


async def test_one_sighting_is_followed_by_its_trace_id_through_every_service(
    intake: Any,
    correlator: TestClient[Any, Any],
    start_notifier: Any,  # noqa: F811
    token: TokenFactory,
    settings: CommonSettings,
    hook: tuple[Hook, str],
    log_lines: list[dict[str, Any]],
) -> None:
    receiver, url = hook
    notifier = await start_notifier(intake_url=str(intake.make_url("")).rstrip("/"))
    given = {"traceparent": TRACEPARENT, "tracestate": "kinlink=e2e"}
    reported, notified, investigator = await _journey(
        intake, correlator, notifier, token, settings, url, given
    )

    # intake handled the request as a child span of the caller's, and says which
    handled = parse_traceparent(reported.headers["traceresponse"])
    assert handled is not None and handled.trace_id == TRACE_ID and handled.span_id != CALLER_SPAN
    sighting_id = (await reported.json())["sighting_id"]

    # the sighting event carries intake's span; the proposal, a new span in the same trace
    [sighting] = await _events(settings, SIGHTINGS, 1)
    assert sighting.subject == sighting_id
    assert sighting.extensions["traceparent"] == handled.traceparent
    assert sighting.extensions["tracestate"] == "kinlink=e2e"
    [proposal] = await _events(settings, MATCHES, 1)
    proposed = parse_traceparent(proposal.extensions["traceparent"])
    assert proposed is not None and proposed.trace_id == TRACE_ID
    assert proposed.span_id != handled.span_id
    assert proposal.extensions["tracestate"] == "kinlink=e2e"

    # the investigator's notification: SSE data, poll, and the webhook's header and body
    assert notified["data"]["observation"]["id"] == sighting_id
    assert _trace_of(notified["data"]["traceparent"]) == TRACE_ID
    [polled] = await poll_until(notifier, investigator, 1)
    assert polled["traceparent"] == notified["data"]["traceparent"]
    await eventually(lambda: len(receiver.calls) >= 1, timeout=30, what="the webhook call")
    headers, body = receiver.calls[0]
    assert _trace_of(headers["traceparent"]) == TRACE_ID
    assert body["traceparent"] == notified["data"]["traceparent"]

    # grep <trace-id>: each service logged its part, and the correlator's span is the child of
    # the sighting's and the parent of the proposal
    traced = [line for line in log_lines if line.get("trace_id") == TRACE_ID]
    assert _one(traced, event="http request", service="intake", route="/v1/sightings")
    [consumed] = _one(traced, event="event processed", group=CORRELATOR_GROUP,
                      event_id=sighting.id)  # fmt: skip
    assert consumed["parent_span_id"] == handled.span_id
    assert consumed["span_id"] == proposed.span_id
    assert _one(traced, event="match proposed", observation_id=sighting_id)
    assert _one(traced, event="event processed", event_id=proposal.id, group="kinlink-notifier")
    assert _one(traced, event="match routed", match_id=proposal.subject)
    assert _one(traced, event="notification streamed", notification_id=notified["data"]["id"])
    assert _one(traced, event="webhook delivered", status_code=204)
    # ... and none of them names the child
    assert "Samir" not in json.dumps(traced, default=str)


async def test_every_service_exposes_the_dashboard_metric_families(
    intake: Any,
    correlator: TestClient[Any, Any],
    start_notifier: Any,  # noqa: F811
    token: TokenFactory,
    settings: CommonSettings,
    hook: tuple[Hook, str],
) -> None:
    receiver, url = hook
    notifier = await start_notifier()
    reported, _, investigator = await _journey(
        intake, correlator, notifier, token, settings, url, {}
    )
    sighting_id = (await reported.json())["sighting_id"]
    read = await intake.get(f"/v1/sightings/{sighting_id}", headers=bearer(investigator))
    assert read.status == 200
    await eventually(lambda: len(receiver.calls) >= 1, timeout=30, what="the webhook call")
    sightings = settings.topic(SIGHTINGS)

    async def lag_reported() -> bool:
        samples = await _samples(correlator)
        return any(
            s.name == "kinlink_consumer_lag_records" and s.labels["topic"] == sightings
            for s in samples
        )

    await eventually(lag_reported, timeout=30, what="the correlator reported its lag")

    intake_samples = await _samples(intake)
    # latency by route template: the record's id is never a label (the registry is shared by
    # this process's tests, so counts are at least, not exactly, this test's)
    for route, method in (("/v1/sightings", "POST"), ("/v1/sightings/{id}", "GET")):
        count = _value(intake_samples, "kinlink_http_request_seconds_count",
                       service="intake", route=route, method=method)  # fmt: skip
        assert count is not None and count >= 1
    routes = {s.labels["route"] for s in intake_samples if "route" in s.labels}
    assert not any(sighting_id in route for route in routes)
    assert _value(intake_samples, "kinlink_outbox_backlog", schema="intake") == 0
    assert _value(intake_samples, "kinlink_outbox_relay_lag_seconds", schema="intake") == 0

    correlator_samples = await _samples(correlator)
    consumed = _value(correlator_samples, "kinlink_events_consumed_total",
                      group=CORRELATOR_GROUP, type="org.kinlink.sighting.reported.v1")  # fmt: skip
    assert consumed is not None and consumed >= 1
    proposed = sum(
        s.value for s in correlator_samples if s.name == "kinlink_matches_proposed_total"
    )
    assert proposed >= 1
    assert await _declared(correlator) >= {
        "kinlink_matches_withdrawn_total",
        "kinlink_events_dead_lettered_total",
        "kinlink_event_processing_seconds",
        "kinlink_correlator_active_alerts",
        "kinlink_outbox_backlog",
    }

    notifier_samples = await _samples(notifier)
    for channel in ("sse", "webhook"):
        delivered = _value(notifier_samples, "kinlink_notifications_delivered_total",
                           channel=channel)  # fmt: skip
        assert delivered is not None and delivered >= 1
        assert _value(notifier_samples, "kinlink_notifications_failed_total",
                      channel=channel) is not None  # fmt: skip
    assert "kinlink_sse_streams_open" in _families(notifier_samples)
    assert "kinlink_webhook_request_seconds_bucket" in _families(notifier_samples)


async def _events(settings: CommonSettings, topic: str, expected: int) -> list[Any]:
    records = await read_topic(settings.kafka_bootstrap, settings.topic(topic), expected)
    return [from_kafka(r.key, r.value, r.headers) for r in records]


def _trace_of(traceparent: str) -> str | None:
    parsed = parse_traceparent(traceparent)
    return parsed.trace_id if parsed is not None else None


def _one(lines: list[dict[str, Any]], **fields: Any) -> list[dict[str, Any]]:
    found = [line for line in lines if all(line.get(k) == v for k, v in fields.items())]
    assert found, f"no log line with {fields} in the trace"
    return found


async def _samples(client: Any) -> list[Any]:
    response = await client.get("/metrics")
    assert response.status == 200
    text = await response.text()
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


async def _declared(client: Any) -> set[str]:
    """The metric families /metrics declares (`# TYPE` lines), with or without samples yet."""
    response = await client.get("/metrics")
    text = await response.text()
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}


def _value(samples: list[Any], name: str, **labels: str) -> float | None:
    for sample in samples:
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
            return float(sample.value)
    return None


def _families(samples: list[Any]) -> set[str]:
    return {s.name for s in samples}
