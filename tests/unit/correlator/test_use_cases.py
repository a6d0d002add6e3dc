"""The correlator's use cases on the in-memory store: what investigators are (and are not)
proposed as alerts, observations, updates, resolutions and reviews arrive, in either order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.common.errors import RejectEvent
from services.common.schema_registry import SchemaRegistry
from services.correlator.domain.engine import match_id
from services.correlator.proposals import proposal_event_id
from services.correlator.repository import StoredMatch
from tests.integration.correlator import records as r
from tests.unit.correlator.fakes import InMemoryCorrelatorRepository
from tests.unit.correlator.world import Instance, proposals

# The alert first gave a birth date two days off; the police correct it later.
MISTYPED = r.child("Mohammed", "Stanikzai", "Ghulam", "2010-06-16")
CORRECTED = r.ahmadi()
STRANGER = r.child("Yonas", None, "Tesfay", "2008-02-01", nationalities=["ERI"], languages=["tir"])


@pytest.fixture
def repo(registry: SchemaRegistry) -> InMemoryCorrelatorRepository:
    return InMemoryCorrelatorRepository(registry)


@pytest.fixture
async def correlator(repo: InMemoryCorrelatorRepository) -> Instance:
    return await Instance(repo).start()


async def test_an_alert_then_its_registration_is_proposed_once(
    correlator: Instance, repo: InMemoryCorrelatorRepository
) -> None:
    alert_id, reg_id = r.new_id(), r.new_id()
    await correlator.apply(
        r.alert(alert_id), r.registration(reg_id), r.registration(r.new_id(), STRANGER)
    )
    (proposal,) = proposals(repo)
    pair = match_id(alert_id, "registration", reg_id)
    assert proposal["match_id"] == pair and proposal["revision"] == 1
    assert proposal["observation"] == {"type": "registration", "id": reg_id}
    assert proposal["score"] >= correlator.handlers.engine.thresholds["registration"]
    assert {"name", "birth"} <= {e["signal"] for e in proposal["explanation"]}
    assert repo.emitted[0].id == proposal_event_id(pair, 1)
    async with repo.transaction() as tx:
        assert await tx.stored_matches([pair]) == {pair: StoredMatch(1, proposal["score"], None)}


async def test_a_registration_then_its_alert_is_found_by_backfill(
    correlator: Instance, repo: InMemoryCorrelatorRepository
) -> None:
    alert_id, reg_id = r.new_id(), r.new_id()
    await correlator.apply(r.registration(reg_id), r.registration(r.new_id(), STRANGER))
    assert proposals(repo) == []
    await correlator.apply(r.alert(alert_id))
    assert [p["match_id"] for p in proposals(repo)] == [match_id(alert_id, "registration", reg_id)]


async def test_an_update_that_changes_the_score_proposes_revision_2(
    correlator: Instance, repo: InMemoryCorrelatorRepository
) -> None:
    alert_id, reg_id = r.new_id(), r.new_id()
    await correlator.apply(r.alert(alert_id, MISTYPED), r.registration(reg_id))
    await correlator.apply(r.updated(alert_id, CORRECTED))
    first, second = proposals(repo)
    assert first["match_id"] == second["match_id"] == match_id(alert_id, "registration", reg_id)
    assert (first["revision"], second["revision"]) == (1, 2)
    assert second["score"] > first["score"]
    assert repo.emitted[1].id == proposal_event_id(second["match_id"], 2)


async def test_replays_that_change_nothing_propose_nothing(
    correlator: Instance, repo: InMemoryCorrelatorRepository
) -> None:
    alert_id, reg_id = r.new_id(), r.new_id()
    alert, registration = r.alert(alert_id), r.registration(reg_id)
    await correlator.apply(alert, registration)
    await correlator.apply(
        r.updated(alert_id, r.ahmadi()),  # the same child again: the same score
        r.registration(reg_id),  # the registration again, under a new event id
        r.alert(alert_id),  # the alert published again (a retried request upstream)
    )
    assert [p["revision"] for p in proposals(repo)] == [1]


async def test_a_republished_alert_is_ignored_even_with_other_data(
    correlator: Instance, repo: InMemoryCorrelatorRepository
) -> None:
    alert_id, reg_id = r.new_id(), r.new_id()
    await correlator.apply(r.alert(alert_id, MISTYPED), r.registration(reg_id))
    await correlator.apply(r.alert(alert_id, CORRECTED))  # only an update may change it
    assert [p["revision"] for p in proposals(repo)] == [1]
    async with repo.transaction() as tx:
        (change,) = await tx.alert_changes_since(0)
    assert change.data["child"] == MISTYPED


async def test_a_rejected_pair_is_never_proposed_again(
    correlator: Instance, repo: InMemoryCorrelatorRepository
) -> None:
    alert_id, reg_id, later_id = r.new_id(), r.new_id(), r.new_id()
    pair = match_id(alert_id, "registration", reg_id)
    await correlator.apply(r.alert(alert_id, MISTYPED), r.registration(reg_id))
    await correlator.apply(r.reviewed(pair, alert_id, reg_id, "rejected"))
    await correlator.apply(r.updated(alert_id, CORRECTED), r.registration(later_id))
    assert [(p["match_id"], p["revision"]) for p in proposals(repo)] == [
        (pair, 1),
        (match_id(alert_id, "registration", later_id), 1),
    ]
    # a restarted instance remembers the rejection from the store
    restarted = await Instance(repo).start()
    await restarted.apply(r.updated(alert_id, MISTYPED))
    assert [p["match_id"] for p in proposals(repo)][2:] == [
        match_id(alert_id, "registration", later_id)
    ]


@pytest.mark.parametrize("alert_first", [True, False])
async def test_a_rejection_that_arrives_before_the_proposal_prevents_it(
    correlator: Instance, repo: InMemoryCorrelatorRepository, alert_first: bool
) -> None:
    alert_id, reg_id = r.new_id(), r.new_id()
    pair = match_id(alert_id, "registration", reg_id)
    await correlator.apply(r.reviewed(pair, alert_id, reg_id, "rejected"))
    events = [r.alert(alert_id), r.registration(reg_id)]
    await correlator.apply(*(events if alert_first else reversed(events)))
    assert proposals(repo) == []


async def test_a_reviewed_match_is_not_revised(
    correlator: Instance, repo: InMemoryCorrelatorRepository
) -> None:
    alert_id, reg_id = r.new_id(), r.new_id()
    pair = match_id(alert_id, "registration", reg_id)
    await correlator.apply(r.alert(alert_id, MISTYPED), r.registration(reg_id))
    await correlator.apply(r.reviewed(pair, alert_id, reg_id, "confirmed"))
    await correlator.apply(r.updated(alert_id, CORRECTED))
    assert [p["revision"] for p in proposals(repo)] == [1]
    async with repo.transaction() as tx:
        assert (await tx.stored_matches([pair]))[pair].review == "confirmed"


async def test_a_confirmation_lifts_an_earlier_rejection(
    correlator: Instance, repo: InMemoryCorrelatorRepository
) -> None:
    alert_id, reg_id = r.new_id(), r.new_id()
    pair = match_id(alert_id, "registration", reg_id)
    await correlator.apply(
        r.reviewed(pair, alert_id, reg_id, "rejected"),
        r.reviewed(pair, alert_id, reg_id, "confirmed"),
    )
    async with repo.transaction() as tx:
        assert await tx.all_rejected() == []


async def test_a_resolved_alert_stops_matching(
    correlator: Instance, repo: InMemoryCorrelatorRepository
) -> None:
    alert_id = r.new_id()
    await correlator.apply(r.alert(alert_id), r.resolved(alert_id))
    await correlator.apply(r.registration(r.new_id()), r.updated(alert_id, CORRECTED))
    assert proposals(repo) == []
    assert correlator.handlers.engine.active_alerts == 0


async def test_a_review_without_a_usable_time_is_rejected_and_changes_nothing(
    correlator: Instance, repo: InMemoryCorrelatorRepository
) -> None:
    alert_id, reg_id = r.new_id(), r.new_id()
    review = r.reviewed(match_id(alert_id, "registration", reg_id), alert_id, reg_id, "rejected")
    for unusable in ("yesterday", None):
        with pytest.raises(RejectEvent):
            await correlator.apply(replace(review, data={**review.data, "at": unusable}))
    await correlator.apply(r.alert(alert_id), r.registration(reg_id))
    assert len(proposals(repo)) == 1  # the pair was not rejected


async def test_instances_sharing_the_store_see_each_others_alerts(
    repo: InMemoryCorrelatorRepository,
) -> None:
    first, second = await Instance(repo).start(), await Instance(repo).start()
    alert_id, reg_id, other_id = r.new_id(), r.new_id(), r.new_id()
    await first.apply(r.alert(alert_id))
    await second.apply(r.registration(reg_id))  # the alert reached the other instance
    await first.apply(r.resolved(alert_id))
    await second.apply(r.registration(other_id))  # so did its resolution
    assert [p["observation"]["id"] for p in proposals(repo)] == [reg_id]


async def test_a_rejection_taken_by_one_instance_holds_for_the_others(
    repo: InMemoryCorrelatorRepository,
) -> None:
    first, second = await Instance(repo).start(), await Instance(repo).start()
    alert_id, reg_id = r.new_id(), r.new_id()
    pair = match_id(alert_id, "registration", reg_id)
    await first.apply(r.reviewed(pair, alert_id, reg_id, "rejected"))  # its partition
    await second.apply(r.alert(alert_id), r.registration(reg_id))
    assert proposals(repo) == []
