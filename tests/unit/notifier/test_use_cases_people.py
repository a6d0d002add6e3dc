"""What people do with matches: read what they were told, work the queue, and review. Who may
decide, what a decision emits and tells, how repeated, contradicting, retried or stale
decisions are handled."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.common.auth import Caller
from services.common.catalog import MATCH_REVIEWED
from services.common.envelope import CloudEvent, format_time
from services.common.errors import Conflict, InvalidInput, NotAllowed, NotFound
from services.common.outcomes import Effect
from services.notifier.domain.model import CONFIRMED, PROPOSED
from tests.integration.notifier import events
from tests.unit.intake.callers import caller, keyed
from tests.unit.notifier.world import INVESTIGATOR, OTHER_POLICE, POLICE, WINDOW, Notifier


async def _proposed(notifier: Notifier, **kw: Any) -> CloudEvent:
    alert, sighting = events.alert(), events.sighting()
    proposal = notifier.proposed(alert, sighting, **kw)
    await notifier.apply(alert, sighting, proposal)
    return proposal


async def _review(
    notifier: Notifier, who: Caller, proposal: CloudEvent, body: dict[str, Any], key: str = ""
) -> Any:
    match_id = str(proposal.subject)
    idem = keyed(key, body, f"POST /v1/matches/{match_id}/review") if key else None
    return await notifier.handlers.review(who, match_id, body, idem)


def _reviewed(notifier: Notifier) -> list[dict[str, Any]]:
    return [e.data for e in notifier.repo.emitted if e.type == MATCH_REVIEWED]


def _audit(notifier: Notifier) -> list[tuple[str, str, str]]:
    return [(a.entry.org_id, a.entry.action, a.entry.record_id) for a in notifier.repo.tables.audit]


@pytest.mark.parametrize("kind", ["reception_centre", "ngo", "hotline", "auditor"])
async def test_only_investigators_and_the_issuing_unit_read_and_review(
    notifier: Notifier, kind: str
) -> None:
    proposal = await _proposed(notifier)
    match_id = str(proposal.subject)
    for who in (caller(kind), OTHER_POLICE):
        with pytest.raises(NotAllowed):
            await _review(notifier, who, proposal, {"decision": "rejected"})
        with pytest.raises(NotAllowed):
            await notifier.handlers.match(who, match_id)
    assert _reviewed(notifier) == [] and _audit(notifier) == []
    assert (await notifier.handlers.match(INVESTIGATOR, match_id)).record is not None
    decided = await _review(notifier, POLICE, proposal, {"decision": "rejected"})
    assert decided.effect is Effect.CREATED


async def test_a_confirmation_is_recorded_emitted_and_told_to_the_issuing_unit(
    notifier: Notifier,
) -> None:
    proposal = await _proposed(notifier)
    match_id = str(proposal.subject)
    notifier.clock.advance(timedelta(hours=2))
    body = {"decision": "confirmed", "revision": 1, "note": "Same scar, same father's name."}
    outcome = await _review(notifier, INVESTIGATOR, proposal, body)

    assert outcome.effect is Effect.CREATED
    assert outcome.body == {
        "match_id": match_id,
        "revision": 1,
        "decision": "confirmed",
        "reviewer": {"id": "eu-investigations/officer-1", "organisation_id": "eu-investigations"},
        "at": format_time(notifier.clock()),
        "override_reason": None,
    }
    (event,) = [e for e in notifier.repo.emitted if e.type == MATCH_REVIEWED]
    assert (event.subject, event.time) == (match_id, notifier.clock())
    assert event.data == {
        "match_id": match_id,
        "revision": 1,
        "alert_id": proposal.data["alert_id"],
        "observation": proposal.data["observation"],
        "decision": "confirmed",
        "reviewer": outcome.body["reviewer"],
        "at": format_time(notifier.clock()),
        "note": "Same scar, same father's name.",
    }
    assert await notifier.kinds(POLICE) == [PROPOSED, CONFIRMED]
    assert _audit(notifier) == [("eu-investigations", "match.confirmed", match_id)]
    view = (await notifier.handlers.match(POLICE, match_id)).body
    assert view["match"]["decision"] == "confirmed"
    assert view["reviews"] == [outcome.body]
    assert (await notifier.handlers.queue(POLICE, open_only=True, limit=10)).body["items"] == []


async def test_a_rejection_tells_nobody_and_closes_the_match(notifier: Notifier) -> None:
    proposal = await _proposed(notifier)
    await _review(notifier, POLICE, proposal, {"decision": "rejected"})
    assert await notifier.kinds(POLICE) == [PROPOSED]
    (data,) = _reviewed(notifier)
    assert data["reviewer"]["organisation_id"] == POLICE.principal.org and "note" not in data
    items = (await notifier.handlers.queue(POLICE, open_only=False, limit=10)).body["items"]
    assert [i["match"]["decision"] for i in items] == ["rejected"]


async def test_the_same_decision_twice_changes_nothing(notifier: Notifier) -> None:
    proposal = await _proposed(notifier)
    first = await _review(notifier, INVESTIGATOR, proposal, {"decision": "confirmed"})
    notifier.clock.advance(timedelta(minutes=5))
    again = await _review(notifier, POLICE, proposal, {"decision": "confirmed", "note": "agreed"})
    assert again.effect is Effect.READ and again.body == first.body  # the decision that stands
    assert len(_reviewed(notifier)) == 1 and len(_audit(notifier)) == 1
    assert await notifier.kinds(POLICE) == [PROPOSED, CONFIRMED]


async def test_a_contradicting_decision_needs_an_override_with_a_reason(
    notifier: Notifier,
) -> None:
    proposal = await _proposed(notifier)
    match_id = str(proposal.subject)
    await _review(notifier, INVESTIGATOR, proposal, {"decision": "confirmed"})
    with pytest.raises(Conflict) as refused:
        await _review(notifier, INVESTIGATOR, proposal, {"decision": "rejected"})
    assert refused.value.code == "review-conflict"
    with pytest.raises(InvalidInput) as invalid:
        body = {"decision": "rejected", "override": {"reason": ""}}
        await _review(notifier, INVESTIGATOR, proposal, body)
    assert [e.pointer for e in invalid.value.errors] == ["/override/reason"]
    assert len(_reviewed(notifier)) == 1

    body["override"] = {"reason": "DNA says otherwise"}
    overridden = await _review(notifier, INVESTIGATOR, proposal, body)
    assert overridden.effect is Effect.CREATED
    assert overridden.body["override_reason"] == "DNA says otherwise"
    assert [d["decision"] for d in _reviewed(notifier)] == ["confirmed", "rejected"]
    view = (await notifier.handlers.match(INVESTIGATOR, match_id)).body
    assert [r["decision"] for r in view["reviews"]] == ["confirmed", "rejected"]
    assert view["match"]["decision"] == "rejected"


async def test_a_retried_keyed_review_gets_the_first_outcome(notifier: Notifier) -> None:
    proposal = await _proposed(notifier)
    body = {"decision": "confirmed", "revision": 1}
    first = await _review(notifier, INVESTIGATOR, proposal, body, key="review-1")
    notifier.clock.advance(timedelta(minutes=1))
    retried = await _review(notifier, INVESTIGATOR, proposal, body, key="review-1")
    assert retried == first
    with pytest.raises(InvalidInput) as reused:
        await _review(notifier, INVESTIGATOR, proposal, {"decision": "rejected"}, key="review-1")
    assert reused.value.code == "idempotency-key-reused"
    # keys belong to one organisation: the police unit's "review-1" is its own request
    police = await _review(notifier, POLICE, proposal, body, key="review-1")
    assert police.effect is Effect.READ
    assert len(_reviewed(notifier)) == 1 and await notifier.kinds(POLICE) == [PROPOSED, CONFIRMED]


@pytest.mark.parametrize("reason", ["outranked", "conflicting"])
async def test_a_withdrawn_or_since_revised_match_is_not_reviewed(
    notifier: Notifier, reason: str
) -> None:
    withdrawn = await _proposed(notifier)
    await notifier.apply(events.withdrawn(withdrawn, revision=2, reason=reason))
    with pytest.raises(Conflict) as refused:
        await _review(notifier, INVESTIGATOR, withdrawn, {"decision": "confirmed"})
    assert refused.value.code == "match-withdrawn"

    alert, sighting = events.alert(), events.sighting()
    revised = notifier.proposed(alert, sighting)
    await notifier.apply(alert, sighting, revised, notifier.proposed(alert, sighting, revision=2))
    with pytest.raises(Conflict) as stale:
        await _review(notifier, INVESTIGATOR, revised, {"decision": "confirmed", "revision": 1})
    assert stale.value.code == "stale"
    assert _reviewed(notifier) == [] and _audit(notifier) == []
    body = {"decision": "confirmed", "revision": 2}
    current = await _review(notifier, INVESTIGATOR, revised, body)
    assert current.body["revision"] == 2 and _reviewed(notifier)[0]["revision"] == 2


async def test_unknown_matches_and_bad_bodies_are_refused(notifier: Notifier) -> None:
    proposal = await _proposed(notifier)
    match_id = str(proposal.subject)
    for unknown in ("not-a-match", str(events.sighting().subject)):
        with pytest.raises(NotFound):
            await notifier.handlers.review(INVESTIGATOR, unknown, {"decision": "rejected"}, None)
        with pytest.raises(NotFound):
            await notifier.handlers.match(INVESTIGATOR, unknown)
    bad = {"decision": "maybe", "revision": 0, "colour": "red"}
    with pytest.raises(InvalidInput) as refused:
        await notifier.handlers.review(INVESTIGATOR, match_id, bad, None)
    assert sorted(e.pointer for e in refused.value.errors) == ["/colour", "/decision", "/revision"]
    upper = await notifier.handlers.match(INVESTIGATOR, match_id.upper())
    assert upper.body["match"]["match_id"] == match_id


# -- reading -----------------------------------------------------------------------------


async def test_notifications_are_read_in_pages_from_where_the_reader_left(
    notifier: Notifier,
) -> None:
    subscription = await notifier.subscribe(INVESTIGATOR)
    proposals = [await _proposed(notifier) for _ in range(3)]
    first = await notifier.handlers.notifications(POLICE, since=0, limit=2)
    items = first.body["items"]
    assert [i["match"]["match_id"] for i in items] == [p.subject for p in proposals[:2]]
    rest = await notifier.handlers.notifications(POLICE, since=first.body["next_since"], limit=2)
    assert [i["match"]["match_id"] for i in rest.body["items"]] == [proposals[2].subject]
    assert rest.body["items"][0]["seq"] == rest.body["next_since"] > first.body["next_since"]
    done = await notifier.handlers.notifications(POLICE, since=rest.body["next_since"], limit=2)
    assert done.body == {"items": [], "next_since": rest.body["next_since"]}
    mine = await notifier.handlers.notifications(
        INVESTIGATOR, since=0, limit=10, subscription_id=subscription
    )
    assert len(mine.body["items"]) == 3
    assert {i["subscription_id"] for i in mine.body["items"]} == {subscription}


async def test_the_queue_puts_escalated_then_open_then_high_scores_first(
    notifier: Notifier,
) -> None:
    overdue = await _proposed(notifier, score=0.5)
    notifier.clock.advance(WINDOW)
    assert await notifier.escalate() == 1
    low = await _proposed(notifier, score=0.6)
    high = await _proposed(notifier, score=0.9)
    decided = await _proposed(notifier, score=0.99)
    await _review(notifier, INVESTIGATOR, decided, {"decision": "rejected"})

    async def queued(open_only: bool) -> list[str]:
        outcome = await notifier.handlers.queue(POLICE, open_only=open_only, limit=10)
        return [i["match"]["match_id"] for i in outcome.body["items"]]

    assert await queued(False) == [overdue.subject, high.subject, low.subject, decided.subject]
    assert await queued(True) == [overdue.subject, high.subject, low.subject]
    (item, *_) = (await notifier.handlers.queue(POLICE, open_only=True, limit=10)).body["items"]
    assert item["alert"]["alert_id"] == overdue.data["alert_id"]
    assert item["observation"]["id"] == overdue.data["observation"]["id"]
    assert item["travel"]["distance_km"] > 500
    assert (await notifier.handlers.queue(INVESTIGATOR, open_only=False, limit=10)).body == {
        "items": []
    }  # never told of these matches


async def test_a_full_queue_keeps_the_most_urgent_matches_not_the_latest(
    notifier: Notifier,
) -> None:
    overdue = await _proposed(notifier, score=0.5)
    notifier.clock.advance(WINDOW)
    assert await notifier.escalate() == 1
    high = await _proposed(notifier, score=0.9)
    for _ in range(3):  # newer, lower-scoring matches fill the page
        await _proposed(notifier, score=0.6)
    for open_only in (True, False):
        page = await notifier.handlers.queue(POLICE, open_only=open_only, limit=2)
        assert [i["match"]["match_id"] for i in page.body["items"]] == [
            overdue.subject,
            high.subject,
        ]
