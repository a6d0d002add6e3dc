"""No notification, webhook body or log line names a child or gives a birth date: a generated
scenario runs through the correlator and the notifier, and every name and full birth date in
its events is searched for in everything the notifier delivered and every line logged."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp import web

from services.common.config import CommonSettings
from services.common.envelope import from_structured
from services.lab.scenario import generate_scenario
from tests.integration.correlator.harness import RunningCorrelator, start_correlator
from tests.integration.intake.conftest import TokenFactory, bearer
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


async def test_a_scenario_leaves_no_name_or_birth_date_in_notifications_or_logs(
    correlator: RunningCorrelator,
    start_notifier: Any,  # noqa: F811
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
    logged = capfd.readouterr()
    assert "match routed" in logged.out + logged.err  # the services' lines were captured
    assert sorted(_leaks(logged.out + logged.err, sensitive)) == []
