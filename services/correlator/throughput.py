"""Engine throughput and memory with many active alerts, as ratios to a reference measurement.

A cheap synthetic alert generator draws name tokens from a Zipf-like distribution over the
bundled frequency table plus a long tail of rare tokens, so common names crowd as on the routes.
"""

from __future__ import annotations

import gc
import itertools
import json
import random
import time
import tracemalloc
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.correlator.domain.engine import MatchEngine
from services.correlator.domain.name_frequency import DATA_FILE, load_prior_words

ALERT_COUNTS = (1_000, 10_000, 100_000, 1_000_000)
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
_SYLLABLES = ("ka", "ra", "zi", "mo", "ha", "ne", "ta", "sa", "di", "lu", "be", "wa", "fe", "yo")


@dataclass(frozen=True)
class Throughput:
    alerts: int
    build_seconds: float
    observations_per_second: float
    candidates_per_observation: float
    ratio_to_reference: float  # seconds per observation / seconds per json-decoded event


class _Names:
    def __init__(self, rng: random.Random) -> None:
        prior = load_prior_words(DATA_FILE)
        self.rng = rng
        self.words = list(prior) + [self._rare() for _ in range(20_000)]
        weights = list(prior.values()) + [2.5] * 20_000
        self.cumulative = list(itertools.accumulate(weights))

    def _rare(self) -> str:
        return "".join(self.rng.choice(_SYLLABLES) for _ in range(self.rng.randint(2, 4)))

    def draw(self) -> str:
        return self.rng.choices(self.words, cum_weights=self.cumulative)[0].capitalize()


def _person(names: _Names, rng: random.Random) -> dict[str, Any]:
    year = rng.randint(2006, 2018)
    return {"given_names": names.draw(), "family_name": names.draw(), "father_name": names.draw(),
            "sex": rng.choice(("male", "male", "male", "female")),
            "date_of_birth": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "date_of_birth_kind": "exact", "nationalities": ["AFG"], "languages": ["prs"]}


def _place(rng: random.Random) -> dict[str, float]:
    return {"lat": rng.uniform(35.0, 51.0), "lon": rng.uniform(-5.0, 25.0)}


def synthetic_alert(i: int, names: _Names, rng: random.Random) -> dict[str, Any]:
    at = _EPOCH + timedelta(hours=rng.randint(0, 24 * 365))
    return {"alert_id": f"alert-{i}", "status": "active", "child": _person(names, rng),
            "last_seen": {"at": at.isoformat(), "location": _place(rng)}}


def synthetic_observation(i: int, names: _Names, rng: random.Random) -> dict[str, Any]:
    at = _EPOCH + timedelta(days=rng.randint(200, 400))
    return {"registration_id": f"reg-{i}", "registered_at": at.isoformat(),
            "location": _place(rng), "child": _person(names, rng)}


def _reference_seconds(sample: dict[str, Any], repeat: int = 2000) -> float:
    text = json.dumps({"specversion": "1.0", "type": "x", "data": sample})
    started = time.perf_counter()
    for _ in range(repeat):
        json.loads(text)
    return (time.perf_counter() - started) / repeat


def measure(counts: tuple[int, ...] = ALERT_COUNTS, observations: int = 300,
            seed: int = 5) -> tuple[list[Throughput], float]:
    """Throughput per active-alert count, and bytes per 100 000 alerts (tracemalloc)."""
    rng = random.Random(seed)
    names = _Names(rng)
    probes = [synthetic_observation(i, names, rng) for i in range(observations)]
    reference = _reference_seconds(probes[0])
    results: list[Throughput] = []
    engine = MatchEngine(threshold=0.99)
    built = 0
    memory_per_100k = 0.0
    build_seconds = 0.0
    for target in sorted(counts):
        started = time.perf_counter()
        measuring = memory_per_100k == 0.0 and target >= 100_000
        if measuring:
            gc.collect()
            tracemalloc.start()
            before, first = tracemalloc.get_traced_memory()[0], built
        while built < target:
            engine.apply_alert_published(synthetic_alert(built, names, rng))
            built += 1
        if measuring:
            growth = tracemalloc.get_traced_memory()[0] - before
            memory_per_100k = growth / (built - first) * 100_000
            tracemalloc.stop()
        build_seconds += time.perf_counter() - started
        engine.stats.observations_matched = engine.stats.candidates_scored = 0
        started = time.perf_counter()
        for probe in probes:
            engine.match_observation("registration", probe)
        per_obs = (time.perf_counter() - started) / len(probes)
        results.append(Throughput(target, round(build_seconds, 1), round(1 / per_obs, 1),
                                  round(engine.stats.candidates_per_observation, 1),
                                  round(per_obs / reference, 1)))
    return results, memory_per_100k


if __name__ == "__main__":
    rows, memory = measure()
    for row in rows:
        print(row)
    print(f"memory per 100 000 alerts: {memory / 1e6:.1f} MB")
