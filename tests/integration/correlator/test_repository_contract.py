"""One contract for the correlator's store: every test runs on the in-memory fake (which the
use-case unit tests stand on) and on PostgreSQL, so the fake cannot drift from the real one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from services.common.catalog import MATCH_PROPOSED, MATCHES
from services.common.envelope import new_event
from services.common.schema_registry import EventValidationError, SchemaRegistry
from services.correlator.app import MIGRATIONS
from services.correlator.config import SCHEMA
from services.correlator.domain.engine import match_id
from services.correlator.postgres import PostgresCorrelatorRepository
from services.correlator.repository import (
    CorrelatorRepository,
    MatchRecord,
    StoredMatch,
)
from tests.examples import example_data
from tests.integration.correlator import records as r
from tests.integration.stores import Store, open_store, topic
from tests.unit.correlator.fakes import InMemoryCorrelatorRepository

T0 = r.LAST_SEEN + timedelta(days=17)
EXPLANATION = [{"signal": "given_name", "contribution": 0.8, "detail": "same name"}]


@pytest.fixture(params=["memory", "postgres"])
async def store(
    request: pytest.FixtureRequest, registry: SchemaRegistry
) -> AsyncIterator[Store[CorrelatorRepository]]:
    async with open_store(
        request,
        SCHEMA,
        MIGRATIONS,
        memory=lambda: InMemoryCorrelatorRepository(registry, topic),
        postgres=lambda pool: PostgresCorrelatorRepository(pool, registry, topic),
    ) as opened:
        yield opened


def alert(alert_id: str) -> dict[str, Any]:
    data: dict[str, Any] = r.alert(alert_id).data
    return data


def match(alert_id: str, obs_id: str, revision: int = 1, score: float = 0.9) -> MatchRecord:
    return MatchRecord(
        match_id(alert_id, "registration", obs_id),
        alert_id,
        "registration",
        obs_id,
        revision,
        score,
        EXPLANATION,
        "kinlink-correlator/2+weights/test",
    )


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


async def test_alert_changes_come_in_the_order_they_were_made(
    store: Store[CorrelatorRepository],
) -> None:
    first, second = r.new_id(), r.new_id()
    async with store.repository.transaction() as tx:
        assert await tx.insert_alert(first, alert(first), r.LAST_SEEN, r.LAST_SEEN)
        assert await tx.insert_alert(second.upper(), alert(second), r.LAST_SEEN, None)
        published = await tx.alert_changes_since(0)
    assert [(c.alert_id, c.status) for c in published] == [(first, "active"), (second, "active")]
    assert published[0].data == alert(first) and published[0].published_at == r.LAST_SEEN
    assert published[0].change_seq < published[1].change_seq

    person = r.child("Muhammad", "Stanikzai", "Ghulam", "2010-06-14")
    async with store.repository.transaction() as tx:
        assert await tx.update_alert(first, {"child": person, "risk_level": None}, None)
        assert await tx.resolve_alert(second, "found")
        assert not await tx.insert_alert(first, alert(second), T0, None)  # known: kept as is
        later = await tx.alert_changes_since(published[-1].change_seq)
    assert [(c.alert_id, c.status) for c in later] == [(first, "active"), (second, "resolved")]
    assert later[0].data == {**alert(first), "child": person, "risk_level": None}
    assert later[1].data == alert(second)  # resolving changes the status, not the data
    assert published[-1].change_seq < later[0].change_seq < later[1].change_seq
    async with store.repository.transaction() as tx:
        assert await tx.alert_changes_since(later[-1].change_seq) == []
        assert [c.alert_id for c in await tx.alert_changes_since(0)] == [first, second]


async def test_only_active_alerts_are_updated_or_resolved(
    store: Store[CorrelatorRepository],
) -> None:
    alert_id = r.new_id()
    async with store.repository.transaction() as tx:
        await tx.lock_alert_index(exclusive=True)
        assert not await tx.update_alert(alert_id, {"category": "missing"}, None)
        assert not await tx.resolve_alert(alert_id, "found")
        assert await tx.insert_alert(alert_id, alert(alert_id), r.LAST_SEEN, None)
        assert await tx.resolve_alert(alert_id, "found")
        (resolved,) = await tx.alert_changes_since(0)
        assert not await tx.resolve_alert(alert_id, "withdrawn")
        assert not await tx.update_alert(alert_id, {"category": "missing"}, T0)
        assert await tx.alert_changes_since(0) == [resolved]


async def test_a_transaction_that_raises_leaves_nothing_behind(
    store: Store[CorrelatorRepository],
) -> None:
    kept, lost, reg_id = r.new_id(), r.new_id(), r.new_id()
    async with store.repository.transaction() as tx:
        await tx.insert_alert(kept, alert(kept), r.LAST_SEEN, None)
        (before,) = await tx.alert_changes_since(0)
    proposal = example_data(MATCH_PROPOSED)
    with pytest.raises(Boom):
        async with store.repository.transaction() as tx:
            await tx.insert_alert(lost, alert(lost), r.LAST_SEEN, None)
            await tx.update_alert(kept, {"category": "missing"}, None)
            await tx.insert_observation("registration", reg_id, T0, {"x": 1}, ["k"])
            await tx.save_match(match(kept, reg_id))
            await tx.record_review(
                match_id=r.new_id(),
                alert_id=lost,
                obs_type="sighting",
                obs_id=reg_id,
                decision="rejected",
                at=T0,
            )
            await tx.emit(new_event(MATCH_PROPOSED, "/test", proposal["match_id"], proposal))
            raise Boom
    async with store.repository.transaction() as tx:
        assert await tx.alert_changes_since(0) == [before]
        assert await tx.candidate_observations(["k"], None, 10) == []
        assert await tx.stored_matches([match(kept, reg_id).match_id]) == {}
        assert await tx.all_rejected() == []
        await tx.insert_alert(lost, alert(lost), r.LAST_SEEN, None)
        (after,) = await tx.alert_changes_since(before.change_seq)
        assert after.alert_id == lost
    assert await store.emitted() == []
    with pytest.raises(asyncpg.InterfaceError):  # the transaction is over: so is its handle
        await tx.all_rejected()


async def test_an_observation_is_stored_once_per_type_and_id(
    store: Store[CorrelatorRepository],
) -> None:
    obs_id = r.new_id()
    first, second = r.registration(obs_id).data, r.registration(r.new_id()).data
    async with store.repository.transaction() as tx:
        assert await tx.insert_observation("registration", obs_id, T0, first, ["k"])
        assert not await tx.insert_observation("registration", obs_id.upper(), T0, second, ["k"])
        assert await tx.insert_observation("sighting", obs_id, T0, {"sighting": 1}, ["k"])
        found = await tx.candidate_observations(["k"], None, 10)
    assert found == [("registration", first), ("sighting", {"sighting": 1})]


async def test_candidates_share_a_key_are_recent_enough_and_come_oldest_first(
    store: Store[CorrelatorRepository],
) -> None:
    same_time = sorted((r.new_id() for _ in range(2)), key=uuid.UUID)
    rows = [  # (type, id, observed at, keys)
        ("sighting", r.new_id(), T0, ["name:stanikzai"]),
        ("registration", same_time[1], T0, ["name:stanikzai", "dob:2010"]),
        ("registration", same_time[0], T0, ["dob:2010"]),
        ("registration", r.new_id(), T0 - timedelta(days=3), ["name:stanikzai"]),
        ("registration", r.new_id(), T0 + timedelta(hours=1), ["dob:2010"]),
        ("registration", r.new_id(), T0 - timedelta(days=9), ["name:tesfay"]),
    ]
    async with store.repository.transaction() as tx:
        for obs_type, obs_id, at, keys in reversed(rows):
            await tx.insert_observation(obs_type, obs_id, at, {"id": obs_id}, keys)

    async def candidates(keys: list[str], since: Any = None, limit: int = 10) -> list[str]:
        async with store.repository.transaction() as tx:
            found = await tx.candidate_observations(keys, since, limit)
        return [data["id"] for _, data in found]

    ids = [row[1] for row in rows]
    wanted = ["name:stanikzai", "dob:2010", "unknown"]
    assert await candidates(wanted) == [ids[3], ids[2], ids[1], ids[0], ids[4]]
    assert await candidates(wanted, since=T0) == [ids[2], ids[1], ids[0], ids[4]]
    assert await candidates(wanted, since=T0, limit=2) == [ids[2], ids[1]]
    assert await candidates(["name:tesfay"]) == [ids[5]]
    assert await candidates(["nothing"]) == [] and await candidates([]) == []


async def test_a_match_is_saved_revised_and_keeps_its_review(
    store: Store[CorrelatorRepository],
) -> None:
    alert_id, reg_id = r.new_id(), r.new_id()
    first = match(alert_id, reg_id)
    unknown = r.new_id()
    async with store.repository.transaction() as tx:
        await tx.save_match(first)
        assert await tx.stored_matches([first.match_id, unknown]) == {
            first.match_id: StoredMatch(1, 0.9, None)
        }
        await tx.save_match(match(alert_id, reg_id, revision=2, score=0.75))
        await tx.record_review(
            match_id=first.match_id,
            alert_id=alert_id,
            obs_type="registration",
            obs_id=reg_id,
            decision="confirmed",
            at=T0,
        )
        await tx.save_match(match(alert_id, reg_id, revision=3, score=0.8))
    async with store.repository.transaction() as tx:
        stored = await tx.stored_matches([first.match_id.upper()])
        assert stored == {first.match_id: StoredMatch(3, 0.8, "confirmed")}
        assert await tx.stored_matches([]) == {}
    with pytest.raises(asyncpg.UniqueViolationError):  # one match per pair
        async with store.repository.transaction() as tx:
            await tx.save_match(replace(first, match_id=unknown))


async def test_a_rejection_is_kept_before_its_match_exists_and_a_confirmation_forgets_it(
    store: Store[CorrelatorRepository],
) -> None:
    alert_id, reg_id, other_id = r.new_id(), r.new_id(), r.new_id()
    pair, other = (alert_id, "registration", reg_id), (alert_id, "registration", other_id)
    rejected = match(alert_id, reg_id).match_id

    async def review(decision: str, mid: str = rejected, obs_id: str = reg_id) -> None:
        async with store.repository.transaction() as tx:
            await tx.record_review(
                match_id=mid,
                alert_id=alert_id,
                obs_type="registration",
                obs_id=obs_id,
                decision=decision,
                at=T0,
            )

    await review("rejected")
    await review("rejected")  # a redelivered review
    async with store.repository.transaction() as tx:
        assert await tx.rejected_among([pair, other]) == {pair}
        assert await tx.rejected_among([]) == set()
        assert await tx.all_rejected() == [pair]
        assert await tx.stored_matches([rejected]) == {}  # no match row is invented
        await tx.save_match(match(alert_id, reg_id))
        await tx.save_match(match(alert_id, other_id))
    await review("confirmed")
    await review("rejected", match(alert_id, other_id).match_id, other_id)
    async with store.repository.transaction() as tx:
        assert await tx.rejected_among([pair, other]) == {other}
        assert await tx.all_rejected() == [other]
        reviews = await tx.stored_matches([rejected, match(alert_id, other_id).match_id])
        assert sorted(m.review or "" for m in reviews.values()) == ["confirmed", "rejected"]


async def test_emitted_events_are_validated_and_kept_with_their_topic(
    store: Store[CorrelatorRepository],
) -> None:
    data = example_data(MATCH_PROPOSED)
    proposed = new_event(MATCH_PROPOSED, "/kinlink/correlator", data["match_id"], data)
    async with store.repository.transaction() as tx:
        await tx.emit(proposed)
    assert await store.emitted() == [(topic(MATCHES), proposed)]
    broken = new_event(MATCH_PROPOSED, "/x", data["match_id"], {**data, "revision": 0})
    with pytest.raises(EventValidationError):
        async with store.repository.transaction() as tx:
            await tx.emit(broken)
    with pytest.raises(asyncpg.UniqueViolationError):  # an event id is written once
        async with store.repository.transaction() as tx:
            await tx.emit(proposed)
    assert await store.emitted() == [(topic(MATCHES), proposed)]
