"""The offline replayer's index of observations by time: it finds every observation sharing a
key that was made within the window of a moment, exactly as reading the whole postings and
checking each observation's time does."""

from __future__ import annotations

import random
from typing import Literal

from services.correlator.domain.index import (
    Blocker,
    InvertedIndex,
    TimeBucketedIndex,
    common_skeletons,
)
from tests.engine_tables import TABLES
from tests.unit.correlator.test_match_engine import AHMADI, AHMADY, engine_features

DAY = 86400.0
WINDOW = 6.3 * DAY


def test_observations_near_a_moment_are_those_a_full_scan_finds() -> None:
    rng = random.Random(5)
    keys = [f"k{i}" for i in range(30)]
    plain, by_time = InvertedIndex(), TimeBucketedIndex(WINDOW)
    times: dict[str, float | None] = {}
    for n in range(2000):
        obs_id = f"o{n}"
        # Over a year, some on a bucket's edge, some without a time.
        at = rng.choice([None, rng.uniform(0, 365 * DAY), rng.randrange(60) * WINDOW])
        obs_keys = rng.sample(keys, rng.randint(0, 4))
        times[obs_id] = at
        plain.add(obs_id, obs_keys)
        by_time.add(obs_id, at, obs_keys)
    checked = 0
    for _ in range(300):
        at = rng.choice([rng.uniform(-10 * DAY, 375 * DAY), rng.randrange(60) * WINDOW])
        query = rng.sample(keys, rng.randint(1, 5))
        scanned = {
            obs_id
            for key in query
            for obs_id in plain.posting(key) or ()
            if (t := times[obs_id]) is not None and abs(t - at) <= WINDOW
        }
        near = {
            obs_id
            for obs_id in by_time.near(at, query)
            if (t := times[obs_id]) is not None and abs(t - at) <= WINDOW
        }
        assert near == scanned
        checked += len(scanned)
    assert checked > 100


def test_an_observation_without_a_time_is_near_no_moment() -> None:
    by_time = TimeBucketedIndex(WINDOW)
    by_time.add("o1", None, ["k"])
    by_time.add("o2", 10 * DAY, ["k"])
    assert by_time.near(10 * DAY, ["k"]) == {"o2"}
    assert by_time.near(100 * DAY, ["k"]) == set()


def test_a_records_keys_are_the_same_whatever_was_asked_before() -> None:
    common = common_skeletons(TABLES.name_words)
    records = [engine_features(AHMADI), engine_features(AHMADY), engine_features(AHMADI)]
    queries: tuple[Literal["alert", "observation"] | None, ...] = (
        None, "observation", "alert", None
    )
    asked = [(r, q) for r in records for q in queries]
    warm = Blocker(common)
    for features, query in asked:
        fresh = Blocker(common)
        assert warm.keys(features, query=query) == fresh.keys(features, query=query)
