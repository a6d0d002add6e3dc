"""The streaming correlator on the real broker and database: both directions, resolution,
rejection, and duplicates."""

from __future__ import annotations

from typing import Any

from services.common.config import CommonSettings
from services.correlator.domain.engine import match_id
from tests.integration.correlator import records as r
from tests.integration.correlator.harness import (
    proposals_on_topic,
    publish,
    start_correlator,
    stored_matches,
    wait_until_idle,
)

GROUP = "kinlink-correlator"


async def test_alert_then_observation_is_proposed(settings: CommonSettings, pool: Any) -> None:
    alert_id, reg_id = r.new_id(), r.new_id()
    stranger = r.registration(
        r.new_id(),
        r.child("Yonas", None, "Tesfay", "2008-02-01", nationalities=["ERI"], languages=["tir"]),
    )
    await publish(settings, [r.alert(alert_id), r.registration(reg_id), stranger])
    service = await start_correlator(settings)
    try:
        await wait_until_idle(pool, settings, GROUP, expected=3)
    finally:
        await service.stop()
    proposals = await proposals_on_topic(settings, expected=1)
    assert [p.data["observation"]["id"] for p in proposals] == [reg_id]
    proposal = proposals[0]
    assert (
        proposal.subject == proposal.data["match_id"] == match_id(alert_id, "registration", reg_id)
    )
    assert proposal.data["revision"] == 1
    assert proposal.data["score"] >= 0.5
    assert {e["signal"] for e in proposal.data["explanation"]}


async def test_observation_then_alert_is_found_by_backfill(
    settings: CommonSettings, pool: Any
) -> None:
    alert_id, reg_id = r.new_id(), r.new_id()
    service = await start_correlator(settings)
    try:
        await publish(settings, [r.registration(reg_id)])
        await wait_until_idle(pool, settings, GROUP, expected=1)
        await publish(settings, [r.alert(alert_id)])
        await wait_until_idle(pool, settings, GROUP, expected=2)
    finally:
        await service.stop()
    assert set(await stored_matches(pool)) == {match_id(alert_id, "registration", reg_id)}


async def test_resolved_alert_stops_matching(settings: CommonSettings, pool: Any) -> None:
    alert_id = r.new_id()
    await publish(settings, [r.alert(alert_id), r.resolved(alert_id)])
    service = await start_correlator(settings)
    try:
        await wait_until_idle(pool, settings, GROUP, expected=2)
        await publish(settings, [r.registration(r.new_id())])
        await wait_until_idle(pool, settings, GROUP, expected=3)
    finally:
        await service.stop()
    assert await stored_matches(pool) == {}


async def test_rejected_pair_is_never_proposed_again(settings: CommonSettings, pool: Any) -> None:
    alert_id, reg_id, later_id = r.new_id(), r.new_id(), r.new_id()
    pair = match_id(alert_id, "registration", reg_id)
    service = await start_correlator(settings)
    try:
        await publish(settings, [r.alert(alert_id), r.registration(reg_id)])
        await wait_until_idle(pool, settings, GROUP, expected=2)
        assert set(await stored_matches(pool)) == {pair}
        await publish(settings, [r.reviewed(pair, alert_id, reg_id, "rejected")])
        await wait_until_idle(pool, settings, GROUP, expected=3)
        # The decision is kept with what the engine saw of the pair, to refit the weights.
        levels = await pool.fetchval("SELECT levels FROM correlator.reviews")
        assert levels["name"].startswith("full") and levels["birth"] == "exact"
        # The update rescores every stored candidate: the rejected pair must stay silent,
        # while a new registration of the same child is still proposed.
        new_child = r.child(
            "Mohammed", "Stanikzai", "Ghulam", "2010-06-14", languages=["prs", "pus"]
        )
        await publish(settings, [r.updated(alert_id, new_child), r.registration(later_id)])
        await wait_until_idle(pool, settings, GROUP, expected=5)
    finally:
        await service.stop()
    proposals = await proposals_on_topic(settings, expected=2)
    by_match = {}
    for p in proposals:
        by_match.setdefault(p.data["match_id"], []).append(p.data["revision"])
    assert by_match[pair] == [1]
    assert match_id(alert_id, "registration", later_id) in by_match


async def test_redelivered_and_republished_events_change_nothing(
    settings: CommonSettings, pool: Any
) -> None:
    alert_id, reg_id = r.new_id(), r.new_id()
    alert, registration = r.alert(alert_id), r.registration(reg_id)
    # The same events twice, and the same registration again under a new event id (a retry
    # upstream): still one proposal.
    again = r.registration(reg_id)
    await publish(settings, [alert, registration, alert, registration, again])
    service = await start_correlator(settings)
    try:
        await wait_until_idle(pool, settings, GROUP, expected=5)
    finally:
        await service.stop()
    proposals = await proposals_on_topic(settings, expected=1)
    assert len(proposals) == 1
    assert await stored_matches(pool) == {
        match_id(alert_id, "registration", reg_id): (1, proposals[0].data["score"])
    }


async def test_text_the_database_cannot_store_is_dead_lettered_and_matching_goes_on(
    settings: CommonSettings, pool: Any
) -> None:
    from services.common.catalog import DLQ
    from services.common.dead_letters import header
    from tests.integration.kafka_helpers import read_topic

    alert_id, bad_id, good_id = r.new_id(), r.new_id(), r.new_id()
    nul = r.registration(bad_id, r.child("Muhammad\x00", "Stanikzai", "Ghulam", "2010-06-14"))
    await publish(settings, [r.alert(alert_id), nul, r.registration(good_id)])
    service = await start_correlator(settings)
    try:
        await wait_until_idle(pool, settings, GROUP, expected=3)
    finally:
        await service.stop()
    [letter] = await read_topic(settings.kafka_bootstrap, settings.topic(DLQ), expected=1)
    assert header(letter.headers, "ce_id") == nul.id
    assert header(letter.headers, "dlq_reason") == (
        "rejected: the event holds text the database cannot store"
    )
    proposals = await proposals_on_topic(settings, expected=1)
    assert [p.data["observation"]["id"] for p in proposals] == [good_id]
