"""Competing proposals end in one final state whatever the arrival order: the streaming service
fed one scenario in several orders, and `kinlink match` on the same events, end with the same
set of proposed (not withdrawn) matches and the same scores. The scenario also holds a child
registered twice in one hour at centres 440 km apart: the alert keeps only the better-scored
one."""

from __future__ import annotations

import asyncio
import copy
import random
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from services.common.catalog import REGISTRATION_RECORDED
from services.common.config import CommonSettings
from services.common.db import create_pool
from services.common.envelope import CloudEvent, from_structured, to_structured
from services.correlator.domain.engine import match_id
from services.correlator.offline import final_state, run_match
from services.lab.scenario import Scenario, generate_scenario
from tests.engine_tables import engine as engine_for_tests
from tests.integration.correlator.harness import (
    live_matches,
    proposals_on_topic,
    publish,
    start_correlator,
    wait_until_idle,
)
from tests.stack_fixtures import SettingsFactory

GROUP = "kinlink-correlator"


def _alert_id(event: dict[str, Any]) -> str | None:
    return event["data"].get("alert_id") if ".alert." in event["type"] else None


def reordered(events: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """A random arrival order that keeps each alert's own events in order (one alert's events
    share a key, hence a partition, and Kafka keeps their order)."""
    shuffled = events[:]
    random.Random(seed).shuffle(shuffled)
    slots: dict[str, list[int]] = {}
    for position, event in enumerate(shuffled):
        if (alert := _alert_id(event)) is not None:
            slots.setdefault(alert, []).append(position)
    own: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        if (alert := _alert_id(event)) is not None:
            own.setdefault(alert, []).append(event)
    for alert, positions in slots.items():
        for position, event in zip(positions, own[alert], strict=True):
            shuffled[position] = event
    return shuffled


def with_a_conflict(scenario: Scenario) -> tuple[list[dict[str, Any]], str, str]:
    """The scenario's events plus a copy of its first true registration made one hour later,
    4 degrees of latitude away (no child travels that fast); the match ids of the original and
    of the copy."""
    true = {(kind, obs): alert for alert, kind, obs in scenario.true_pairs()}
    events = list(scenario.events)
    position, original = next(
        (n, e)
        for n, e in enumerate(events)
        if e["type"] == REGISTRATION_RECORDED
        and ("registration", e["data"]["registration_id"]) in true
    )
    alert = true[("registration", original["data"]["registration_id"])]
    clone = copy.deepcopy(original)
    new_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"conflict/{clone['subject']}"))
    at = datetime.fromisoformat(original["time"].replace("Z", "+00:00")) + timedelta(hours=1)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    clone.update(id=str(uuid.uuid5(uuid.NAMESPACE_URL, new_id)), subject=new_id, time=stamp)
    clone["data"].update(registration_id=new_id, registered_at=stamp)
    place = clone["data"]["location"]
    clone["data"]["location"] = {**place, "lat": place["lat"] + 4.0}
    events.insert(position + 1, clone)
    kept = match_id(alert, "registration", original["data"]["registration_id"])
    return events, kept, match_id(alert, "registration", new_id)


def without(events: list[dict[str, Any]], match: str) -> list[dict[str, Any]]:
    """The events without the registration whose match (with any alert) is `match`."""
    alerts = {e["data"]["alert_id"] for e in events if _alert_id(e) is not None}
    return [
        e for e in events
        if e["type"] != REGISTRATION_RECORDED
        or all(match_id(a, "registration", e["data"]["registration_id"]) != match for a in alerts)
    ]


def observations_first(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(events, key=lambda e: _alert_id(e) is not None)


async def streaming_final_state(
    settings: CommonSettings, events: list[CloudEvent]
) -> tuple[dict[str, float], dict[str, float]]:
    """(live matches in the store, final state read from the matches topic)."""
    pool = await create_pool(settings.database_url)
    try:
        await publish(settings, events)
        service = await start_correlator(settings)
        try:
            await wait_until_idle(pool, settings, GROUP, expected=len(events), timeout=150)
        finally:
            await service.stop()
        stored = await live_matches(pool)
        count = await pool.fetchval("SELECT count(*) FROM correlator.outbox")
    finally:
        await pool.close()
    on_topic = await proposals_on_topic(settings, expected=count)
    said = final_state(to_structured(e) for e in on_topic)
    return stored, {m: float(d["score"]) for m, d in said.items()}


async def test_streaming_and_offline_agree_whatever_the_arrival_order(
    settings_factory: SettingsFactory,
) -> None:
    time_order, original, copied = with_a_conflict(generate_scenario(13, children=50))
    orders = [time_order, reordered(time_order, 1), observations_first(time_order)]

    offline = [list(run_match(order, engine_for_tests())) for order in orders]
    expected = {m: float(d["score"]) for m, d in final_state(offline[0]).items()}
    assert len(expected) >= 10
    withdrawals = Counter(e["type"].rsplit(".", 2)[-2] for run in offline for e in run)
    assert withdrawals["withdrawn"] >= 5  # competition really happened along the way
    for run in offline[1:]:
        assert {m: float(d["score"]) for m, d in final_state(run).items()} == expected
    # One child, not two, for the alert: each registration alone is proposed to it; together,
    # only the better-scored one is.
    alone = {
        match: final_state(run_match(without(time_order, other), engine_for_tests())).get(match)
        for match, other in ((original, copied), (copied, original))
    }
    assert all(alone.values()), alone
    better, worse = sorted(alone, key=lambda m: -float(alone[m]["score"]))  # type: ignore[index]
    assert better in expected and worse not in expected

    worlds = [await settings_factory() for _ in orders]
    results = await asyncio.gather(
        *(
            streaming_final_state(world, [from_structured(e) for e in order])
            for world, order in zip(worlds, orders, strict=True)
        )
    )
    for stored, on_topic in results:
        assert stored == expected
        assert on_topic == expected
