"""Speed of `kinlink match`, each figure beside a reference measured in the same run: a naive
pairwise scan (every alert against every observation, cheap checks first, then the same
scoring) on the same events, a process that only parses the same file, and the command's
start-up on an empty file. The engine-against-naive measurement is repeated on a scenario of
`SCALE` times as many children (same seed, generator and noise model), to show how the engine's
advantage grows with the number of alerts; the scenario of the requested size stays the headline.
`measure()` returns the figures, `render()` writes them as Markdown."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from services.common.catalog import ALERT_PUBLISHED, ALERT_RESOLVED, ALERT_UPDATED
from services.common.progress import SILENT, Tracker
from services.correlator.domain.engine import MatchEngine, alert_features, observation_features
from services.correlator.domain.features import RecordFeatures
from services.correlator.domain.model import (
    OBSERVATION_EVENT_KINDS,
    Observation,
    parse_alert,
    parse_observation,
)
from services.correlator.domain.spacetime import cheap_veto
from services.correlator.offline import long_lived_heap_frozen, run_match
from services.correlator.tables import load_tables
from services.lab.bench.scenarios import scenario
from services.lab.scenario import Scenario, generate_scenario, write_scenario


def naive_scan(events: Sequence[dict[str, Any]], engine: MatchEngine) -> int:
    """Score every (alert, observation) pair as events arrive, without blocking: the pairs
    scored (a cheap time check first, as the engine does)."""
    alerts: dict[str, RecordFeatures] = {}
    observations: list[tuple[Observation, RecordFeatures]] = []
    scored = 0

    def score(alert: RecordFeatures, obs: Observation, features: RecordFeatures) -> None:
        nonlocal scored
        if not cheap_veto(alert.spacetime, features.spacetime):
            engine.score(alert, obs.kind, features)
            scored += 1

    for event in events:
        kind, data = event["type"], event["data"]
        if kind in (ALERT_PUBLISHED, ALERT_UPDATED):
            previous = engine.alert(data["alert_id"])
            alert = parse_alert(data) if previous is None else previous.with_changes(
                data.get("changes", {})
            )
            alerts[alert.alert_id] = alert_features(alert)
            for obs, features in observations:
                score(alerts[alert.alert_id], obs, features)
        elif kind == ALERT_RESOLVED:
            alerts.pop(data["alert_id"], None)
        elif kind in OBSERVATION_EVENT_KINDS:
            obs = parse_observation(OBSERVATION_EVENT_KINDS[kind], data)
            features = observation_features(obs)
            observations.append((obs, features))
            for alert_f in alerts.values():
                score(alert_f, obs, features)
    return scored


def in_process(scenario: Scenario) -> tuple[float, float, int]:
    """Seconds of the engine's replay and of the naive scan on the same events (warm caches
    for both, the heap alive at the start frozen for both), and the pairs the naive scan
    scored."""
    tables = load_tables()
    list(run_match(scenario.events, MatchEngine(tables)))  # warm-up: name caches, tagger
    started = time.perf_counter()
    list(run_match(scenario.events, MatchEngine(tables)))
    engine_seconds = time.perf_counter() - started
    started = time.perf_counter()
    # Under the garbage-collector regime `kinlink match` runs under, so that the ratio is
    # the work each does, not how often the collector walks the heap.
    with long_lived_heap_frozen():
        pairs = naive_scan(scenario.events, MatchEngine(tables))
    return engine_seconds, time.perf_counter() - started, pairs


# The larger scenario of the scaling figure, as a multiple of the requested size: 1.5 times the
# children means about 1.5 times the alerts and the observations, so 2.25 times the naive
# scan's pairs (900 children: about 95 s of naive scan on this project's shared two-core
# machine, where 1 000 children took 135 s).
SCALE = 1.5


def scaling_row(
    case: Scenario, children: int, timed: tuple[float, float, int]
) -> dict[str, Any]:
    """One row of the scaling figure: the scenario's size and the two timings on it."""
    engine_s, naive_s, pairs = timed
    return {
        "children": children,
        "alerts": sum(1 for e in case.events if e["type"] == ALERT_PUBLISHED),
        "observations": sum(1 for e in case.events if e["type"] in OBSERVATION_EVENT_KINDS),
        "engine_seconds": round(engine_s, 2),
        "naive_seconds": round(naive_s, 2),
        "naive_pairs": pairs,
        "engine_speedup": round(naive_s / engine_s, 1),
    }


def _run(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def command_times(scenario: Scenario) -> dict[str, float]:
    """Wall times of `kinlink match` on the scenario and on an empty file, of a process that
    only parses the file, and of a bare interpreter."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        write_scenario(scenario, out)
        events, empty = out / "events.jsonl", out / "empty.jsonl"
        empty.write_text("")
        parse = "import json,sys; [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]"
        match = [sys.executable, "-m", "services.cli", "match"]
        return {
            "interpreter": _run([sys.executable, "-c", "pass"]),
            "start_up": _run([*match, str(empty), "--out", str(out / "e")]),
            "parse_only": _run([sys.executable, "-c", parse, str(events)]),
            "match": _run([*match, str(events), "--out", str(out / "m")]),
        }


def steps() -> int:
    return 4


def measure(seed: int, children: int, *, tracker: Tracker = SILENT) -> dict[str, Any]:
    """Seconds of the engine and of the naive scan on the scenario of `seed` (the quality
    part's first), and wall times of the `kinlink match` command, as JSON-ready figures."""
    case = scenario(seed, children, "routes")
    tracker.describe("speed: engine replay and naive pairwise scan")
    engine_s, naive_s, pairs = in_process(case)
    rows = [scaling_row(case, children, (engine_s, naive_s, pairs))]
    tracker.advance()
    larger_children = round(children * SCALE)
    tracker.describe(f"speed: the same on {larger_children} children")
    # Generated here rather than through the shared cache (no other part uses this size), with
    # the generator and noise model of the headline's scenario.
    larger = generate_scenario(seed, children=larger_children, noise="routes")
    rows.append(scaling_row(larger, larger_children, in_process(larger)))
    tracker.advance()
    tracker.describe("speed: `kinlink match` processes")
    times = command_times(case)
    tracker.advance()
    return {
        "seed": seed,
        "children": children,
        "events": len(case.events),
        "engine_seconds": round(engine_s, 2),
        "naive_seconds": round(naive_s, 2),
        "naive_pairs": pairs,
        "engine_speedup": round(naive_s / engine_s, 1),
        "scaling": rows,
        "command_seconds": {k: round(v, 2) for k, v in times.items()},
        "match_vs_parse": round(times["match"] / times["parse_only"], 1),
    }


def render(figures: dict[str, Any]) -> str:
    """Markdown: the engine against the naive scan, the command against its references."""
    t = figures["command_seconds"]
    rows = [
        ("engine replay (in process, warm)", f"{figures['engine_seconds']:.2f} s",
         f"naive pairwise scan {figures['naive_seconds']:.2f} s ({figures['naive_pairs']} "
         f"pairs): engine {figures['engine_speedup']:.1f}x faster"),
        ("`kinlink match` start-up, empty file", f"{t['start_up']:.2f} s",
         f"bare interpreter {t['interpreter']:.2f} s"),
        ("`kinlink match` on the scenario", f"{t['match']:.2f} s",
         f"process that only parses the file {t['parse_only']:.2f} s: "
         f"{figures['match_vs_parse']:.1f}x"),
    ]
    lines = [
        f"Scenario seed {figures['seed']} (\"routes\"), {figures['children']} children, "
        f"{figures['events']} events.",
        "",
        "| figure | measured | reference in the same run |",
        "|---|---:|---|",
        *(f"| {a} | {b} | {c} |" for a, b, c in rows),
    ]
    if scaling := figures.get("scaling"):
        lines += [
            "",
            "The engine against the naive scan as the scenario grows (same seed, generator and "
            "noise model; the first row is the one above):",
            "",
            "| children | alerts | observations | engine replay | naive scan (pairs) | "
            "engine faster |",
            "|---:|---:|---:|---:|---:|---:|",
            *(
                f"| {r['children']} | {r['alerts']} | {r['observations']} | "
                f"{r['engine_seconds']:.2f} s | {r['naive_seconds']:.2f} s ({r['naive_pairs']}) "
                f"| {r['engine_speedup']:.1f}x |"
                for r in scaling
            ),
        ]
    return "\n".join(lines) + "\n"
