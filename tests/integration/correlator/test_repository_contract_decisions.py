"""The store's contract for competing proposals and learning (issue 9), on the in-memory fake and
on PostgreSQL alike: alerts keep when and where the child went missing and when they were
resolved; matches are withdrawn as new revisions; an observation's matches and reviews are read
together; reviews keep the levels the engine saw; name tokens are counted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.correlator.config import SCHEMA
from services.correlator.domain.decisions import MatchState
from services.correlator.domain.names import TOKEN_KEY_VERSION, token_key
from services.correlator.repository import CorrelatorRepository
from tests.integration.correlator import records as r
from tests.integration.correlator.test_repository_contract import (  # noqa: F401  (fixture)
    T0,
    alert,
    match,
    store,
)
from tests.integration.stores import Store

LEVELS = {"name": "full_ordinary", "birth": "exact"}


async def test_an_alert_keeps_where_it_went_missing_and_when_it_was_resolved(
    store: Store[CorrelatorRepository],  # noqa: F811
) -> None:
    alert_id = r.new_id()
    moved = {"at": T0.isoformat(), "location": r.VENTIMIGLIA}
    async with store.repository.transaction() as tx:
        assert await tx.insert_alert(alert_id, alert(alert_id), r.LAST_SEEN, r.LAST_SEEN)
        assert await tx.update_alert(alert_id, {"last_seen": moved}, T0)
        assert await tx.update_alert(alert_id, {"last_seen": {**moved, "at": "2025-04-01"}}, None)
        (updated,) = await tx.alert_changes_since(0)
        assert updated.data["first_seen"] == alert(alert_id)["last_seen"]
        assert updated.data["last_seen"]["at"] == "2025-04-01" and updated.resolved_at is None
        assert await tx.resolve_alert(alert_id, "found", T0 + timedelta(days=3))
        (resolved,) = await tx.alert_changes_since(0)
    assert resolved.status == "resolved" and resolved.resolved_at == T0 + timedelta(days=3)


async def test_matches_are_withdrawn_as_revisions_and_read_by_observation(
    store: Store[CorrelatorRepository],  # noqa: F811
) -> None:
    alert_id, other_alert, reg_id, lonely = r.new_id(), r.new_id(), r.new_id(), r.new_id()
    async with store.repository.transaction() as tx:
        for obs_id in (reg_id, lonely):
            assert await tx.insert_observation("registration", obs_id, T0, {"x": obs_id}, ["k"])
        await tx.save_match(match(alert_id, reg_id))
        await tx.save_match(match(other_alert, reg_id, score=0.95))
        # The alert stands out for an incompatible observation ranking above this one.
        await tx.withdraw_match(match(alert_id, reg_id).match_id, 2, "conflicting", "v2")
        states = await tx.match_states([("registration", reg_id), ("registration", lonely)])
        assert await tx.observation("registration", lonely) == {"x": lonely}
        assert await tx.observation("sighting", lonely) is None
    first, second = match(alert_id, reg_id), match(other_alert, reg_id, score=0.95)
    assert states == {
        ("registration", reg_id): {
            first.match_id: MatchState(
                first.match_id, alert_id, 2, "withdrawn", 0.9, None, "conflicting"
            ),
            second.match_id: MatchState(second.match_id, other_alert, 1, "proposed", 0.95),
        },
        ("registration", lonely): {},
    }


async def test_reviews_keep_the_levels_seen_and_the_latest_decision_wins(
    store: Store[CorrelatorRepository],  # noqa: F811
) -> None:
    alert_id, reg_id = r.new_id(), r.new_id()
    pair = {
        "match_id": match(alert_id, reg_id).match_id,
        "alert_id": alert_id,
        "obs_type": "registration",
        "obs_id": reg_id,
    }
    async with store.repository.transaction() as tx:
        await tx.record_review(
            **pair, decision="rejected", at=T0, levels=LEVELS, engine_version="v1"
        )
        await tx.record_review(**pair, decision="confirmed", at=T0 - timedelta(days=1))
        assert await tx.reviews_for([("registration", reg_id)]) == {
            ("registration", reg_id): {alert_id: "rejected"}
        }
        await tx.record_review(**pair, decision="confirmed", at=T0 + timedelta(days=1))
        reviews = await tx.stored_reviews()
        await tx.count_name_tokens(["muhammad", "ahmadi", "muhammad"])
        await tx.count_name_tokens(["muhammad"])
        counts = await tx.name_token_counts()
    assert [(v.obs_type, v.decision, v.levels, v.engine_version) for v in reviews] == [
        ("registration", "confirmed", LEVELS, "v1")
    ]
    assert counts == {"muhammad": 2, "ahmadi": 1}


async def test_standings_are_replaced_per_observation_and_read_by_alert_and_type(
    store: Store[CorrelatorRepository],  # noqa: F811
) -> None:
    alert_id, other_alert = r.new_id(), r.new_id()
    regs = sorted(r.new_id() for _ in range(2))
    sighting = r.new_id()
    async with store.repository.transaction() as tx:
        for obs_id in regs:
            assert await tx.insert_observation("registration", obs_id, T0, {"x": obs_id}, ["k"])
        assert await tx.insert_observation("sighting", sighting, T0, {"x": sighting}, ["k"])
        m = {o: match(alert_id, o).match_id for o in [*regs, sighting]}
        await tx.save_standing(("registration", regs[1]), [(alert_id, m[regs[1]], 0.7)])
        await tx.save_standing(("registration", regs[0]), [(alert_id, m[regs[0]], 0.9)])
        await tx.save_standing(("sighting", sighting), [(alert_id, m[sighting], 0.5)])
        both = await tx.standing_observations(alert_id, "registration")
        # Decided again: the first registration now stands out for another alert only.
        other = match(other_alert, regs[0]).match_id
        await tx.save_standing(("registration", regs[0]), [(other_alert, other, 0.8)])
        after = await tx.standing_observations(alert_id, "registration")
        moved = await tx.standing_observations(other_alert, "registration")
        sightings = await tx.standing_observations(alert_id, "sighting")
    assert [(s.data, s.match_id, s.score) for s in both] == [
        ({"x": regs[0]}, m[regs[0]], 0.9),
        ({"x": regs[1]}, m[regs[1]], 0.7),
    ]
    assert [s.data for s in after] == [{"x": regs[1]}]
    assert [(s.data, s.match_id) for s in moved] == [({"x": regs[0]}, other)]
    assert [(s.obs_type, s.data) for s in sightings] == [("sighting", {"x": sighting})]


# The fake runs one transaction at a time: there is nothing to serialise there.
@pytest.mark.parametrize("store", ["postgres"], indirect=True)
async def test_an_alert_locked_by_one_transaction_is_not_locked_by_another_until_it_ends(
    store: Store[CorrelatorRepository],  # noqa: F811
) -> None:
    alert_id, other = r.new_id(), r.new_id()
    try_lock = "SELECT pg_try_advisory_xact_lock(19276, hashtext($1))"  # 0x4B4C, see the store
    async with store.repository.transaction() as tx:
        await tx.lock_alerts([alert_id, alert_id])
        async with store.pool.acquire() as conn, conn.transaction():
            assert await conn.fetchval(try_lock, alert_id) is False
            assert await conn.fetchval(try_lock, other) is True
    async with store.pool.acquire() as conn, conn.transaction():
        assert await conn.fetchval(try_lock, alert_id) is True


# Only the store keeps counts across an upgrade of the engine.
@pytest.mark.parametrize("store", ["postgres"], indirect=True)
async def test_name_counts_kept_under_an_older_token_key_are_not_read(
    store: Store[CorrelatorRepository],  # noqa: F811
) -> None:
    # What the first derivation stored: German "dsch" as its own key (now it is "j").
    async with store.pool.acquire() as conn:
        await conn.execute(
            f"INSERT INTO {SCHEMA}.name_token_counts (key_version, token_key, records)"
            " VALUES (1, 'dschafari', 7), (1, 'jafari', 3)"
        )
    async with store.repository.transaction() as tx:
        await tx.count_name_tokens([token_key("dschafari"), token_key("jafari")])
        counts = await tx.name_token_counts()
    assert counts == {token_key("jafari"): 1}
    assert TOKEN_KEY_VERSION > 1
