"""No notification, webhook body, problem body, dead letter or log line names a child or gives a
birth date: a generated scenario runs through intake (some of it over HTTP, with bad requests
that carry the children's names), the correlator and the notifier; a malformed record naming
children lands on the dead-letter topic; every name and full birth date of the scenario is then
searched for in everything delivered, every problem+json body, every dead-letter header and
every line any service logged."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp import web

from services.common.catalog import ALERT_PUBLISHED, ALERTS, DLQ
from services.common.config import CommonSettings
from services.common.envelope import from_structured, new_event, to_kafka
from services.common.producer import EventProducer
from services.common.schema_registry import SchemaRegistry
from services.lab.scenario import generate_scenario
from tests.integration.correlator.harness import RunningCorrelator, start_correlator
from tests.integration.intake.conftest import TokenFactory, bearer
from tests.integration.kafka_helpers import read_topic
from tests.integration.notifier.conftest import (  # noqa: F401  (fixtures)
    clock,
    notifier_settings,
    start_notifier,
)
from tests.integration.notifier.flow import eventually, publish

_NAME_FIELDS = ("given_names", "family_name", "father_name", "mother_name")


def _sensitive(events: list[dict[str, Any]]) -> set[str]:
    """Every name token (3+ letters) and every full birth date in the scenario's records."""
    found: set[str] = set()
    for event in events:
        child = event["data"].get("child") or {}
        names = [child.get(f) for f in _NAME_FIELDS] + list(child.get("other_names") or [])
        for name in names:
            if isinstance(name, str):
                found.update(t for t in re.split(r"[\s\-']+", name) if len(t) >= 3)
        born = child.get("date_of_birth")
        if isinstance(born, str) and len(born) == 10:
            found.add(born)
    return found


def _leaks(text: str, sensitive: set[str]) -> Iterator[str]:
    for value in sensitive:
        if re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text):
            yield value


@pytest.fixture
async def correlator(settings: CommonSettings) -> AsyncIterator[RunningCorrelator]:
    running = await start_correlator(settings)
    yield running
    await running.stop()


@pytest.fixture
async def hook() -> AsyncIterator[tuple[list[bytes], str]]:
    bodies: list[bytes] = []

    async def receive(request: web.Request) -> web.Response:
        bodies.append(await request.read())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield bodies, f"http://127.0.0.1:{port}/hook"
    await runner.cleanup()


_RECORD_FIELDS = {"alert_id", "issuing_authority", "status"}


async def _through_intake(
    intake: Any, token: TokenFactory, scenario_events: list[dict[str, Any]]
) -> list[str]:
    """Alerts of the scenario posted over HTTP, then bad requests that carry children's names
    and birth dates; the problem+json bodies intake answered with."""
    police = bearer(token("police"))
    alerts = [e["data"] for e in scenario_events if e["type"] == ALERT_PUBLISHED][:5]
    problems: list[str] = []
    for data in alerts:
        body = {k: v for k, v in data.items() if k not in _RECORD_FIELDS}
        await intake.post("/v1/alerts", json=body, headers=police)
        child = data["child"]
        bad_requests = [
            ("POST", "/v1/alerts", {**body, "child": {**child, "date_of_birth": "31/12/2012"}}),
            ("POST", "/v1/alerts", {**body, "nickname": child.get("given_names")}),
            ("POST", "/v1/sightings", {"child": child}),
            ("GET", f"/v1/alerts/{child.get('family_name')}", None),
        ]
        for method, path, payload in bad_requests:
            response = await intake.request(method, path, json=payload, headers=police)
            assert response.status >= 400 and response.content_type == "application/problem+json"
            problems.append(await response.text())
        raw = json.dumps({"child": child}).encode()[:-1]  # malformed JSON naming the child
        broken = await intake.post(
            "/v1/alerts", data=raw, headers={**police, "Content-Type": "application/json"}
        )
        assert broken.status == 400
        problems.append(await broken.text())
    return problems


async def _dead_letter(settings: CommonSettings, scenario_events: list[dict[str, Any]]) -> None:
    """An alert event naming children that breaks its schema: consumers dead-letter it."""
    child = next(e["data"]["child"] for e in scenario_events if e["type"] == ALERT_PUBLISHED)
    event = new_event(ALERT_PUBLISHED, "/kinlink/test", "x", {"child": child, "status": "?"})
    key, value, headers = to_kafka(event)
    async with EventProducer(settings, SchemaRegistry.load(), client_id="dlq-test") as producer:
        await producer.send_raw(settings.topic(ALERTS), key, value, headers)


async def test_a_scenario_leaves_no_name_or_birth_date_in_notifications_or_logs(
    correlator: RunningCorrelator,
    start_notifier: Any,  # noqa: F811
    intake: Any,
    hook: tuple[list[bytes], str],
    token: TokenFactory,
    settings: CommonSettings,
    capfd: pytest.CaptureFixture[str],
) -> None:
    bodies, url = hook
    notifier = await start_notifier()
    investigator = bearer(token("investigator"))
    created = await notifier.post(
        "/v1/subscriptions", json={"name": "all", "webhook": {"url": url}}, headers=investigator
    )
    assert created.status == 201
    scenario = generate_scenario(seed=11, children=40)
    await publish(settings, [from_structured(e) for e in scenario.events])
    problems = await _through_intake(intake, token, scenario.events)
    await _dead_letter(settings, scenario.events)

    notes: list[dict[str, Any]] = []

    async def routed_and_delivered() -> bool:
        response = await notifier.get("/v1/notifications?limit=200", headers=investigator)
        notes[:] = (await response.json())["items"]
        return len(notes) >= 5 and len(bodies) >= len(notes)

    await eventually(routed_and_delivered, timeout=120, what="notifications routed and delivered")
    sensitive = _sensitive(scenario.events)
    assert len(sensitive) > 50  # the check has something to find
    delivered = json.dumps(notes) + "".join(b.decode() for b in bodies)
    assert sorted(_leaks(delivered, sensitive)) == []
    assert len(problems) == 25
    assert [p for p in problems if list(_leaks(p, sensitive))] == []
    dead = await read_topic(settings.kafka_bootstrap, settings.topic(DLQ), expected=1, timeout=60)
    dead_headers = [v.decode(errors="replace") for r in dead for _, v in r.headers]
    assert any("schema" in h.lower() or "invalid" in h.lower() for h in dead_headers)
    assert sorted(_leaks("\n".join(dead_headers), sensitive)) == []
    logged = capfd.readouterr()
    assert "match routed" in logged.out + logged.err  # the services' lines were captured
    assert sorted(_leaks(logged.out + logged.err, sensitive)) == []
