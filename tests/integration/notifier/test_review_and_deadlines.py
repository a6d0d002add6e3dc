"""Reviews: who may decide, what a decision emits, conflicting decisions, idempotent retries;
deadlines: an unreviewed match escalates after the window, also across a restart."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from services.common.catalog import REVIEWS
from services.common.config import CommonSettings
from services.common.envelope import from_kafka
from tests.integration.kafka_helpers import read_topic
from tests.integration.notifier import events
from tests.integration.notifier.conftest import Clock, bearer
from tests.integration.notifier.flow import poll_until, publish


async def _proposed_match(notifier: Any, settings: CommonSettings, police: str) -> str:
    alert, sighting = events.alert(), events.sighting()
    await publish(settings, [alert, sighting, events.proposed(alert, sighting)])
    [note] = await poll_until(notifier, police, 1)
    return str(note["match"]["match_id"])


async def test_confirmation_is_published_and_reaches_the_issuing_unit(
    notifier: Any, settings: CommonSettings, token: Any
) -> None:
    police = token("police")
    match_id = await _proposed_match(notifier, settings, police)
    investigator = bearer(token("investigator"))
    path = f"/v1/matches/{match_id}/review"
    body = {"decision": "confirmed", "note": "Same scar, same father's name.", "revision": 1}
    keyed = {**investigator, "Idempotency-Key": "review-1"}
    first = await notifier.post(path, json=body, headers=keyed)
    assert first.status == 201
    again = await notifier.post(path, json=body, headers=keyed)
    assert (again.status, await again.json()) == (201, await first.json())  # replayed

    [record] = await read_topic(settings.kafka_bootstrap, settings.topic(REVIEWS), expected=1)
    event = from_kafka(record.key, record.value, record.headers)
    assert event.type == "org.kinlink.match.reviewed.v1"
    assert event.data["decision"] == "confirmed"
    assert event.data["reviewer"]["organisation_id"] == "eu-investigations"
    _, confirmed = await poll_until(notifier, police, 2)
    assert confirmed["kind"] == "match.confirmed"

    # a contradicting decision needs an explicit override with a reason
    reject = {"decision": "rejected"}
    conflict = await notifier.post(path, json=reject, headers=investigator)
    assert conflict.status == 409
    assert (await conflict.json())["type"].endswith("/review-conflict")
    overridden = await notifier.post(
        path, json={**reject, "override": {"reason": "DNA says otherwise"}}, headers=investigator
    )
    assert overridden.status == 201
    detail = await (await notifier.get(f"/v1/matches/{match_id}", headers=investigator)).json()
    assert [r["decision"] for r in detail["reviews"]] == ["confirmed", "rejected"]
    assert detail["reviews"][1]["override_reason"] == "DNA says otherwise"


async def test_who_may_review(notifier: Any, settings: CommonSettings, token: Any) -> None:
    match_id = await _proposed_match(notifier, settings, token("police"))
    path = f"/v1/matches/{match_id}/review"
    for kind in ("reception_centre", "ngo", "hotline", "auditor"):
        refused = await notifier.post(path, json={"decision": "rejected"},
                                      headers=bearer(token(kind)))  # fmt: skip
        assert refused.status == 403, kind
    other_force = bearer(token("police", org="fr-pn-ocrvp"))
    assert (
        await notifier.post(path, json={"decision": "rejected"}, headers=other_force)
    ).status == 403
    own_force = bearer(token("police"))
    assert (
        await notifier.post(path, json={"decision": "rejected"}, headers=own_force)
    ).status == 201


async def test_an_unreviewed_match_escalates_after_the_window_also_after_a_restart(
    start_notifier: Any, settings: CommonSettings, token: Any, clock: Clock
) -> None:
    police = token("police")
    contact = token("investigator")
    notifier = await start_notifier()
    subscribed = await notifier.post(
        "/v1/subscriptions", json={"name": "on call", "escalation_contact": True},
        headers=bearer(contact),
    )  # fmt: skip
    assert subscribed.status == 201
    await _proposed_match(notifier, settings, police)
    await notifier.close()  # stopped before the deadline passes

    clock.advance(timedelta(hours=12, minutes=1))
    restarted = await start_notifier()  # nothing in memory: the deadline comes from the store
    _, escalated = await poll_until(restarted, police, 2)
    assert escalated["kind"] == "match.escalated"
    assert escalated["match"]["escalated"] is True
    notes = await poll_until(restarted, contact, 2)
    assert [n["kind"] for n in notes] == ["match.proposed", "match.escalated"]
    queue = await (await restarted.get("/v1/matches", headers=bearer(police))).json()
    assert queue["items"][0]["match"]["escalated"] is True


async def test_notifications_carry_no_names_or_birth_dates(
    notifier: Any, settings: CommonSettings, token: Any
) -> None:
    police = token("police")
    await _proposed_match(notifier, settings, police)
    [note] = await poll_until(notifier, police, 1)
    text = json.dumps(note)
    child = events.CHILD
    for value in (child["given_names"], child["family_name"], child["date_of_birth"]):
        assert str(value) not in text
