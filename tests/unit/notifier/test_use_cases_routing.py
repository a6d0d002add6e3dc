"""Who the notifier tells about a match, and when: the issuing police unit always, subscribers
whose filters accept it, nobody else; once per revision, whatever the order or repetition of
events; withdrawals to whoever was told; escalation of overdue matches, once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from services.common.envelope import format_time
from services.common.schema_registry import SchemaRegistry
from services.notifier.domain.model import CONFIRMED, ESCALATED, PROPOSED, WITHDRAWN
from services.notifier.domain.routing import Recipient, notification_id
from tests.integration.notifier import events
from tests.unit.notifier.fakes import InMemoryNotifierRepository
from tests.unit.notifier.world import (
    INVESTIGATOR,
    OTHER_INVESTIGATOR,
    OTHER_POLICE,
    POLICE,
    WINDOW,
    Clock,
    Notifier,
)

ITALY_SIGHTINGS = {"issuing_countries": ["ITA"], "observation_types": ["sighting"]}
AROUND_PARIS = {"region": {"centre": {"lat": 48.85, "lon": 2.35}, "radius_km": 20}}
AROUND_MILAN = {"region": {"bbox": [8.9, 45.3, 9.4, 45.6]}}


@pytest.mark.parametrize("order", ["proposal, sighting", "proposal, alert, sighting"])
async def test_a_proposal_before_its_context_is_routed_once_the_context_arrives(
    notifier: Notifier, order: str
) -> None:
    alert, sighting = events.alert(), events.sighting()
    proposal = notifier.proposed(alert, sighting)
    if order == "proposal, sighting":
        await notifier.apply(alert, proposal)
    else:
        await notifier.apply(proposal, alert)
    assert await notifier.told(POLICE) == []  # the sighting is not known yet
    await notifier.apply(sighting)
    (told,) = await notifier.told(POLICE)
    assert (told.kind, told.match_id, told.subscription_id) == (PROPOSED, proposal.subject, None)
    assert told.payload["observation"]["id"] == sighting.subject
    # a revision is routed once: context told again reaches nobody new, not even a subscriber
    # who would accept the match now
    await notifier.subscribe(INVESTIGATOR, "since then")
    await notifier.apply(events.sighting(str(sighting.subject)), alert, proposal)
    assert await notifier.told(POLICE) == [told]
    assert await notifier.told(INVESTIGATOR) == []


async def test_the_issuing_unit_and_each_accepting_subscription_are_told(
    notifier: Notifier,
) -> None:
    accepting = await notifier.subscribe(INVESTIGATOR, filters=ITALY_SIGHTINGS)
    near = await notifier.subscribe(INVESTIGATOR, "near", filters=AROUND_PARIS)
    await notifier.subscribe(INVESTIGATOR, "elsewhere", filters=AROUND_MILAN)
    await notifier.subscribe(OTHER_INVESTIGATOR, filters={"min_score": 0.95})
    await notifier.subscribe(OTHER_INVESTIGATOR, filters={"observation_types": ["registration"]})
    alert, sighting = events.alert(), events.sighting()
    await notifier.apply(alert, sighting, notifier.proposed(alert, sighting, score=0.9))

    (police,) = await notifier.told(POLICE)
    assert police.subscription_id is None  # told without subscribing
    told = await notifier.told(INVESTIGATOR)
    assert sorted(n.subscription_id or "" for n in told) == sorted([accepting, near])
    assert await notifier.told(OTHER_INVESTIGATOR) == []
    payload = told[0].payload
    assert payload["match"]["score"] == 0.9 and payload["match"]["revision"] == 1
    assert payload["match"]["review_due_at"] == format_time(notifier.clock() + WINDOW)
    assert payload["alert"]["issuing_authority"] == {"id": events.AUTHORITY, "country": "ITA"}
    assert payload["observation"]["seen"]["location"]["place"] == "Paris Gare du Nord"
    assert payload["travel"]["distance_km"] > 500 and payload["travel"]["days"] == 9
    text = json.dumps([n.payload for n in [police, *told]])
    for private in ("Samir", "Haidari", "2012-03-05"):  # never a name or a birth date
        assert private not in text


async def test_a_police_subscription_concerns_only_its_own_alerts(notifier: Notifier) -> None:
    hook = {"url": "https://hooks.example.org/imperia"}
    ours_too = await notifier.subscribe(POLICE, "ours, by webhook", webhook=hook)
    everything = await notifier.subscribe(OTHER_POLICE, "everything")  # no filters
    theirs, ours, sighting = (
        events.alert(authority="fr-pn-ocrvp"),
        events.alert(),
        events.sighting(),
    )
    await notifier.apply(theirs, ours, sighting)
    await notifier.apply(notifier.proposed(theirs, sighting), notifier.proposed(ours, sighting))

    our_match = str(events.proposed(ours, sighting).subject)
    their_match = str(events.proposed(theirs, sighting).subject)
    told_us = [(n.match_id, n.subscription_id) for n in await notifier.told(POLICE)]
    assert told_us == [(our_match, None), (our_match, ours_too)]
    told_them = [(n.match_id, n.subscription_id) for n in await notifier.told(OTHER_POLICE)]
    assert told_them == [(their_match, None), (their_match, everything)]


async def test_a_replayed_or_older_revision_changes_nothing(notifier: Notifier) -> None:
    alert, sighting = events.alert(), events.sighting()
    second = notifier.proposed(alert, sighting, revision=2, score=0.8)
    await notifier.apply(alert, sighting, second)
    async with notifier.repo.transaction() as tx:
        before = await tx.match(str(second.subject))
    notifier.clock.advance(timedelta(hours=1))
    await notifier.apply(
        second,  # redelivered
        notifier.proposed(alert, sighting, revision=2, score=0.8),  # republished, new event id
        notifier.proposed(alert, sighting, revision=1, score=0.99),  # older, arriving late
    )
    (told,) = await notifier.told(POLICE)
    assert (told.payload["match"]["revision"], told.payload["match"]["score"]) == (2, 0.8)
    async with notifier.repo.transaction() as tx:
        stored = await tx.match(str(second.subject))
    assert stored == before  # not even the time of its last change moved
    assert stored is not None and (stored.revision, stored.score) == (2, 0.8)


async def test_a_new_revision_supersedes_what_each_recipient_was_told(notifier: Notifier) -> None:
    subscription = await notifier.subscribe(INVESTIGATOR)
    alert, sighting = events.alert(), events.sighting()
    await notifier.apply(alert, sighting, notifier.proposed(alert, sighting))
    notifier.clock.advance(timedelta(hours=1))
    await notifier.apply(notifier.proposed(alert, sighting, revision=2, score=0.95))

    for who in (POLICE, INVESTIGATOR):
        first, second = await notifier.told(who)
        assert [n.payload["match"]["revision"] for n in (first, second)] == [1, 2]
        assert first.payload["supersedes"] is None
        assert second.payload["supersedes"] == first.id != second.id
        assert second.seq > first.seq
    assert (await notifier.told(INVESTIGATOR))[1].subscription_id == subscription
    (item,) = (await notifier.handlers.queue(POLICE, open_only=True, limit=10)).body["items"]
    assert item["match"]["revision"] == 2
    # the review deadline runs from the first proposal, not from the latest revision
    assert item["match"]["first_proposed_at"] == format_time(notifier.clock() - timedelta(hours=1))


async def test_a_withdrawal_reaches_those_told_before_and_nobody_else(notifier: Notifier) -> None:
    told_before = await notifier.subscribe(INVESTIGATOR, "told before")
    deleted = await notifier.subscribe(INVESTIGATOR, "deleted since")
    await notifier.subscribe(OTHER_INVESTIGATOR, "refused", filters={"min_score": 0.95})
    alert, sighting = events.alert(), events.sighting()
    proposal = notifier.proposed(alert, sighting)
    await notifier.apply(alert, sighting, proposal)
    await notifier.subscribe(OTHER_INVESTIGATOR, "subscribed since")
    await notifier.handlers.subscriptions.delete(INVESTIGATOR, deleted)
    await notifier.apply(events.withdrawn(proposal, revision=2))

    assert await notifier.kinds(POLICE) == [PROPOSED, WITHDRAWN]
    withdrawn = [n for n in await notifier.told(INVESTIGATOR) if n.kind == WITHDRAWN]
    assert [n.subscription_id for n in withdrawn] == [told_before]
    assert await notifier.told(OTHER_INVESTIGATOR) == []
    proposed_to_police, withdrawn_to_police = await notifier.told(POLICE)
    assert withdrawn_to_police.payload["supersedes"] == proposed_to_police.id
    assert withdrawn_to_police.payload["match"]["status"] == "withdrawn"
    assert (await notifier.handlers.queue(POLICE, open_only=True, limit=10)).body["items"] == []


async def test_notification_ids_are_stable_across_instances_and_redeliveries(
    registry: SchemaRegistry, clock: Clock
) -> None:
    alert, sighting = events.alert(), events.sighting()
    proposal = events.proposed(alert, sighting, at=clock())
    seen = []
    for _ in range(2):  # two notifiers with stores of their own, fed the same events
        notifier = Notifier(registry, clock, InMemoryNotifierRepository(registry))
        await notifier.apply(alert, proposal, sighting, proposal)
        seen.append([n.id for n in await notifier.told(POLICE)])
    match_id = str(proposal.subject)
    police = Recipient(POLICE.principal.org)
    assert seen[0] == seen[1] == [notification_id(match_id, 1, PROPOSED, police)]


async def test_a_subscription_with_a_webhook_gets_a_delivery_due_now(notifier: Notifier) -> None:
    hooked = await notifier.subscribe(INVESTIGATOR, webhook={"url": "https://hooks.example.org/k"})
    await notifier.subscribe(INVESTIGATOR, "polling only")
    alert, sighting = events.alert(), events.sighting()
    await notifier.apply(alert, sighting, notifier.proposed(alert, sighting))
    now = notifier.clock()
    async with notifier.repo.transaction() as tx:
        (due,) = await tx.claim_due_deliveries(now, now + timedelta(minutes=2), 10)
    assert (due.subscription.id, due.attempts) == (hooked, 0)
    assert due.notification.subscription_id == hooked


async def test_a_changed_alert_routes_later_matches_by_its_new_category(notifier: Notifier) -> None:
    await notifier.subscribe(INVESTIGATOR, filters={"categories": ["abduction_risk"]})
    alert, first, second = events.alert(), events.sighting(), events.sighting()
    await notifier.apply(alert, first, second, notifier.proposed(alert, first))
    assert await notifier.told(INVESTIGATOR) == []
    updated = events.updated(alert, {"category": "abduction_risk"}, at=notifier.clock())
    await notifier.apply(updated, notifier.proposed(alert, second))
    (told,) = await notifier.told(INVESTIGATOR)
    assert told.payload["observation"]["id"] == second.subject
    assert told.payload["alert"]["category"] == "abduction_risk"


async def test_a_decision_taken_elsewhere_closes_the_match_here_and_the_latest_stands(
    notifier: Notifier,
) -> None:
    alert, sighting = events.alert(), events.sighting()
    proposal = notifier.proposed(alert, sighting)
    await notifier.apply(alert, sighting, proposal)

    now = notifier.clock()
    rejected = events.reviewed(proposal, "rejected", at=now + timedelta(minutes=10))
    confirmed = events.reviewed(proposal, "confirmed", at=now + timedelta(minutes=5))
    await notifier.apply(rejected, confirmed)  # out of order: the later decision stands
    items = (await notifier.handlers.queue(POLICE, open_only=False, limit=10)).body["items"]
    assert [i["match"]["decision"] for i in items] == ["rejected"]
    assert (await notifier.handlers.queue(POLICE, open_only=True, limit=10)).body["items"] == []


# -- escalation --------------------------------------------------------------------------


async def _contacts(notifier: Notifier) -> tuple[str, str]:
    """An escalation contact that accepts every match and one whose filters refuse them."""
    contact = await notifier.subscribe(INVESTIGATOR, "on call", escalation_contact=True)
    await notifier.subscribe(OTHER_INVESTIGATOR, "on call, high scores only",
                             escalation_contact=True, filters={"min_score": 0.95})  # fmt: skip
    plain = await notifier.subscribe(INVESTIGATOR, "not on call")
    return contact, plain


async def test_an_overdue_match_escalates_once_to_the_issuing_unit_and_contacts(
    notifier: Notifier,
) -> None:
    contact, plain = await _contacts(notifier)
    alert, sighting = events.alert(), events.sighting()
    await notifier.apply(alert, sighting, notifier.proposed(alert, sighting))
    notifier.clock.advance(WINDOW - timedelta(microseconds=1))
    assert await notifier.escalate() == 0  # not yet
    assert await notifier.kinds(POLICE) == [PROPOSED]
    notifier.clock.advance(timedelta(microseconds=1))
    assert await notifier.escalate() == 1  # at the deadline
    notifier.clock.advance(timedelta(days=3))
    assert await notifier.escalate() == 0  # once

    assert await notifier.kinds(POLICE) == [PROPOSED, ESCALATED]
    escalations = [n for n in await notifier.told(INVESTIGATOR) if n.kind == ESCALATED]
    assert [n.subscription_id for n in escalations] == [contact]
    assert ESCALATED not in await notifier.kinds(OTHER_INVESTIGATOR)
    assert escalations[0].payload["match"]["escalated"] is True
    (item,) = (await notifier.handlers.queue(INVESTIGATOR, open_only=True, limit=5)).body["items"]
    assert item["match"]["escalated"] is True
    assert plain not in [n.subscription_id for n in escalations]


async def test_reviewed_or_withdrawn_matches_never_escalate(notifier: Notifier) -> None:
    await _contacts(notifier)
    alert = events.alert()
    reviewed, withdrawn, still_open = events.sighting(), events.sighting(), events.sighting()
    proposals = [notifier.proposed(alert, s) for s in (reviewed, withdrawn, still_open)]
    await notifier.apply(alert, reviewed, withdrawn, still_open, *proposals)
    await notifier.handlers.review(INVESTIGATOR, str(proposals[0].subject),
                                   {"decision": "rejected"}, None)  # fmt: skip
    await notifier.apply(events.withdrawn(proposals[1], revision=2))
    notifier.clock.advance(WINDOW * 2)
    assert await notifier.escalate() == 1
    escalated = [n.match_id for n in await notifier.told(POLICE) if n.kind == ESCALATED]
    assert escalated == [proposals[2].subject]


async def test_every_overdue_match_escalates_however_many_came_due(notifier: Notifier) -> None:
    alert = events.alert()
    sightings = [events.sighting() for _ in range(5)]
    await notifier.apply(alert, *sightings)
    for sighting in sightings:
        await notifier.apply(notifier.proposed(alert, sighting))
        notifier.clock.advance(timedelta(minutes=1))
    notifier.clock.advance(WINDOW)
    assert await notifier.escalate(batch=2) == 5  # batch after batch
    assert (await notifier.kinds(POLICE)).count(ESCALATED) == 5


async def test_a_confirmation_is_told_to_the_issuing_unit_at_once(notifier: Notifier) -> None:
    await notifier.subscribe(INVESTIGATOR)
    alert, sighting = events.alert(), events.sighting()
    proposal = notifier.proposed(alert, sighting)
    await notifier.apply(alert, sighting, proposal)
    await notifier.handlers.review(INVESTIGATOR, str(proposal.subject),
                                   {"decision": "confirmed"}, None)  # fmt: skip
    assert await notifier.kinds(POLICE) == [PROPOSED, CONFIRMED]
    assert await notifier.kinds(INVESTIGATOR) == [PROPOSED]
    confirmed = (await notifier.told(POLICE))[1]
    assert confirmed.payload["match"]["decision"] == "confirmed"
    notifier.clock.advance(WINDOW * 2)
    assert await notifier.escalate() == 0


def test_the_events_these_tests_feed_are_valid_by_their_schemas(registry: SchemaRegistry) -> None:
    alert, sighting, registration = events.alert(), events.sighting(), events.registration()
    proposal = events.proposed(alert, sighting)
    fed = [
        alert,
        sighting,
        registration,
        proposal,
        events.proposed(alert, registration, revision=3),
        events.withdrawn(proposal, revision=2),
        events.updated(alert, {"category": "abduction_risk"}, at=events.LAST_SEEN),
        events.reviewed(proposal, "confirmed", at=events.LAST_SEEN),
    ]
    for event in fed:
        registry.check_data(event.type, event.data)
