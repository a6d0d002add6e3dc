"""Engine throughput and memory with many active alerts, as ratios to a reference measurement.

`python -m services.lab.throughput [COUNT ...]` prints observations per second per
active-alert count, each beside a json-decoding yardstick measured in the same run.

At each count the probes are timed in `ROUNDS` rounds, each with its own set of probe
observations and its own yardstick measured just before it, and the median round is reported:
a burst of load on a shared machine during one short round (a few hundred milliseconds) does
not pass for a cost of the index. Every probe set is matched once before any alert is added (so
no count is charged for warming the name caches) and never between the counts.

A cheap synthetic alert generator draws name tokens from a Zipf-like distribution over the
bundled frequency table plus a long tail of rare tokens, so common names crowd as on the routes.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import random
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.correlator.domain.engine import MatchEngine
from services.correlator.tables import load_tables

ALERT_COUNTS = (1_000, 10_000, 100_000, 1_000_000)
_CHUNK = 10_000
ROUNDS = 3  # probe rounds per count, each with its own probes; the median is reported
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
    def __init__(self, rng: random.Random, prior: dict[str, int]) -> None:
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
    return {
        "given_names": names.draw(),
        "family_name": names.draw(),
        "father_name": names.draw(),
        "sex": rng.choice(("male", "male", "male", "female")),
        "date_of_birth": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "date_of_birth_kind": "exact",
        "nationalities": ["AFG"],
        "languages": ["prs"],
    }


def _place(rng: random.Random) -> dict[str, float]:
    return {"lat": rng.uniform(35.0, 51.0), "lon": rng.uniform(-5.0, 25.0)}


def synthetic_alert(i: int, names: _Names, rng: random.Random) -> dict[str, Any]:
    at = _EPOCH + timedelta(hours=rng.randint(0, 24 * 365))
    return {
        "alert_id": f"alert-{i}",
        "status": "active",
        "child": _person(names, rng),
        "last_seen": {"at": at.isoformat(), "location": _place(rng)},
    }


def synthetic_observation(i: int, names: _Names, rng: random.Random) -> dict[str, Any]:
    at = _EPOCH + timedelta(days=rng.randint(200, 400))
    return {
        "registration_id": f"reg-{i}",
        "registered_at": at.isoformat(),
        "location": _place(rng),
        "child": _person(names, rng),
    }


@dataclass(frozen=True)
class Measurement:
    rows: list[Throughput]
    memory_bytes_per_100k: float  # resident memory growth per 100 000 active alerts
    reference_per_second: float  # observation events json-decoded per second, at the last count


def _reference_seconds(sample: dict[str, Any], repeat: int = 5000) -> float:
    """Seconds to json-decode one observation event: a machine-speed yardstick."""
    text = json.dumps({"specversion": "1.0", "type": "x", "data": sample})
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(repeat):
            json.loads(text)
        best = min(best, (time.perf_counter() - started) / repeat)
    return best


def _round(engine: MatchEngine, probes: list[dict[str, Any]]) -> tuple[float, float, float]:
    """One timed round: (seconds per observation / seconds per json decode, seconds per
    observation, seconds per json decode), the yardstick measured just before the round (on a
    shared machine the load drifts during a run)."""
    reference = _reference_seconds(probes[0])
    started = time.perf_counter()
    for probe in probes:
        engine.match_observation("registration", probe)
    per_obs = (time.perf_counter() - started) / len(probes)
    return per_obs / reference, per_obs, reference


def _rss_bytes() -> int:
    """Resident set size now (Linux /proc; elsewhere the peak, which only grows while building)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(
    counts: tuple[int, ...] = ALERT_COUNTS,
    observations: int = 300,
    seed: int = 5,
    *,
    on_count: Callable[[int], None] | None = None,
    rounds: int = ROUNDS,
) -> Measurement:
    """Throughput per active-alert count (one engine grown through the counts; the median of
    `rounds` rounds of `observations` probes each), bytes of resident memory per 100 000 alerts
    (over the largest growth step), and the reference (json-decoded observation events per
    second) measured in the same run. `on_count` hears each count once it is measured."""
    rng = random.Random(seed)
    tables = load_tables()
    names = _Names(rng, tables.name_words)
    probe_sets = [
        [synthetic_observation(r * observations + i, names, rng) for i in range(observations)]
        for r in range(rounds)
    ]
    reference = _reference_seconds(probe_sets[0][0])
    engine = MatchEngine(tables, threshold=0.99)
    # Warm the name caches (and rigour's tagger) so the first count is not charged for them.
    for probes in probe_sets:
        for probe in probes:
            engine.match_observation("registration", probe)
    results: list[Throughput] = []
    built = 0
    build_seconds = 0.0
    memory_per_100k = 0.0
    for target in sorted(counts):
        gc.collect()
        rss_before, first = _rss_bytes(), built
        while built < target:
            # Generated in chunks so the raw dicts never all sit in memory; only apply is timed.
            end = min(target, built + _CHUNK)
            chunk = [synthetic_alert(i, names, rng) for i in range(built, end)]
            started = time.perf_counter()
            for alert in chunk:
                engine.apply_alert_published(alert)
            build_seconds += time.perf_counter() - started
            built += len(chunk)
        gc.collect()
        if built - first >= 50_000:
            memory_per_100k = (_rss_bytes() - rss_before) / (built - first) * 100_000
        engine.stats.observations_matched = engine.stats.candidates_scored = 0
        # (json decodes per observation, seconds per observation, the yardstick's seconds)
        timed = sorted(_round(engine, probes) for probes in probe_sets)
        ratio, per_obs, reference = timed[len(timed) // 2]
        results.append(
            Throughput(
                target,
                round(build_seconds, 1),
                round(1 / per_obs, 1),
                round(engine.stats.candidates_per_observation, 1),
                round(ratio, 1),
            )
        )
        if on_count is not None:
            on_count(target)
    return Measurement(results, memory_per_100k, 1 / reference)


def format_report(measurement: Measurement) -> str:
    lines = [
        f"reference: {measurement.reference_per_second:,.0f} observation events "
        "json-decoded per second"
    ]
    for row in measurement.rows:
        lines.append(
            f"{row.alerts:>9,} alerts: {row.observations_per_second:8.1f} obs/s "
            f"(1 obs = {row.ratio_to_reference:6.1f} json decodes), "
            f"{row.candidates_per_observation:6.1f} candidates/obs, built in {row.build_seconds} s"
        )
    memory = measurement.memory_bytes_per_100k
    lines.append(f"memory per 100 000 alerts: {memory / 1e6:.1f} MB (resident)")
    rows = measurement.rows
    if len(rows) > 1 and rows[0].ratio_to_reference:
        cost = rows[-1].ratio_to_reference / rows[0].ratio_to_reference
        lines.append(
            f"cost per observation at {rows[-1].alerts:,} alerts: {cost:.2f}x its cost at "
            f"{rows[0].alerts:,}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(format_report(measure(tuple(int(c) for c in sys.argv[1:]) or ALERT_COUNTS)))
