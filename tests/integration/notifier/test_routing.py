"""Who is told about a proposed match: the issuing police unit always, subscribers whose filters
accept it, nobody else; later revisions supersede, withdrawals withdraw."""

from __future__ import annotations

import asyncio
from typing import Any

from services.common.config import CommonSettings
from tests.integration.notifier import events
from tests.integration.notifier.conftest import bearer
from tests.integration.notifier.flow import poll_until, publish


async def test_the_issuing_unit_and_accepting_subscribers_are_told(
    notifier: Any, settings: CommonSettings, token: Any
) -> None:
    investigator = token("investigator")
    other = token("investigator", org="de-bka-investigations")
    accepted = await notifier.post(
        "/v1/subscriptions",
        json={
            "name": "Italy, sightings",
            "filters": {"issuing_countries": ["ITA"], "observation_types": ["sighting"]},
        },
        headers=bearer(investigator),
    )
    assert accepted.status == 201
    refused = await notifier.post(
        "/v1/subscriptions",
        json={"name": "High scores only", "filters": {"min_score": 0.95}},
        headers=bearer(other),
    )
    assert refused.status == 201
    alert, sighting = events.alert(), events.sighting()
    # the proposal arrives before the sighting it is about: routed once the context is there
    await publish(settings, [alert, events.proposed(alert, sighting, score=0.9), sighting])

    [police_note] = await poll_until(notifier, token("police"), 1)
    [investigator_note] = await poll_until(notifier, investigator, 1)
    assert police_note["kind"] == "match.proposed"
    assert police_note["subscription_id"] is None
    assert investigator_note["subscription_id"] == (await accepted.json())["id"]
    assert investigator_note["match"]["score"] == 0.9
    assert investigator_note["alert"]["issuing_authority"]["id"] == events.AUTHORITY
    assert investigator_note["travel"]["distance_km"] > 500
    await asyncio.sleep(1.0)
    nothing = await notifier.get("/v1/notifications", headers=bearer(other))
    assert (await nothing.json())["items"] == []
