"""Competing proposals end in one final state whatever the arrival order: the streaming service
fed one scenario in several orders, and `kinlink match` on the same events, end with the same
set of proposed (not withdrawn) matches and the same scores. The scenario also holds a child
registered twice in one hour at centres 440 km apart: the alert keeps only the better-scored
one. Then the personal data of that better registration and of another proposed alert is
erased: their matches are withdrawn, and the registration held back is proposed instead."""

from __future__ import annotations

import asyncio
import copy
import random
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from services.common.catalog import ALERT_ERASED, REGISTRATION_ERASED, REGISTRATION_RECORDED
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


def _record_key(event: dict[str, Any]) -> str:
    return str(event.get("subject") or event["id"])


def reordered(events: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """A random arrival order that keeps each record's own events in order (one record's
    events share a key, hence a partition, and Kafka keeps their order)."""
    shuffled = events[:]
    random.Random(seed).shuffle(shuffled)
    slots: dict[str, list[int]] = {}
    for position, event in enumerate(shuffled):
        slots.setdefault(_record_key(event), []).append(position)
    own: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        own.setdefault(_record_key(event), []).append(event)
    for key, positions in slots.items():
        for position, event in zip(positions, own[key], strict=True):
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


def registration_of(events: list[dict[str, Any]], match: str) -> str:
    alerts = {e["data"]["alert_id"] for e in events if _alert_id(e) is not None}
    return next(
        e["data"]["registration_id"]
        for e in events
        if e["type"] == REGISTRATION_RECORDED
        and any(match_id(a, "registration", e["data"]["registration_id"]) == match for a in alerts)
    )


def erasure(kind: str, record_id: str, at: str) -> dict[str, Any]:
    """The retention job's erasure of a record, as intake publishes it."""
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"erased/{record_id}")),
        "source": "/kinlink/intake/retention",
        "type": ALERT_ERASED if kind == "alert" else REGISTRATION_ERASED,
        "time": at,
        "subject": record_id,
        "datacontenttype": "application/json",
        "dataschema": f"https://schemas.kinlink.org/events/{kind}.erased.v1.json",
        "data": {f"{kind}_id": record_id, "erased_at": at, "reason": "review_expired"},
    }


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
    before = final_state(run_match(time_order, engine_for_tests()))
    assert len(before) >= 10
    # One child, not two, for the alert: each registration alone is proposed to it; together,
    # only the better-scored one is.
    alone = {
        match: final_state(run_match(without(time_order, other), engine_for_tests())).get(match)
        for match, other in ((original, copied), (copied, original))
    }
    assert all(alone.values()), alone
    better, worse = sorted(alone, key=lambda m: -float(alone[m]["score"]))  # type: ignore[index]
    assert better in before and worse not in before

    # Then the better registration and another alert proposed for something are erased.
    conflict_alert = before[better]["alert_id"]
    erased_alert = sorted({d["alert_id"] for d in before.values()} - {conflict_alert})[0]
    end = max(e["time"] for e in time_order)
    erasing = [
        *time_order,
        erasure("registration", registration_of(time_order, better), end),
        erasure("alert", erased_alert, end),
    ]
    orders = [erasing, reordered(erasing, 1), observations_first(erasing)]
    offline = [list(run_match(order, engine_for_tests())) for order in orders]
    expected = {m: float(d["score"]) for m, d in final_state(offline[0]).items()}
    withdrawals = Counter(e["type"].rsplit(".", 2)[-2] for run in offline for e in run)
    assert withdrawals["withdrawn"] >= 5  # competition really happened along the way
    for run in offline[1:]:
        assert {m: float(d["score"]) for m, d in final_state(run).items()} == expected
    assert better not in expected and worse in expected
    assert not [m for m, d in final_state(offline[0]).items() if d["alert_id"] == erased_alert]
    assert set(expected) - {worse} == {
        m for m, d in before.items() if m != better and d["alert_id"] != erased_alert
    }

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
