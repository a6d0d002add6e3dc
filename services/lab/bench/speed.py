"""Speed of `kinlink match`, each figure beside a reference measured in the same run: a naive
pairwise scan (every alert against every observation, cheap checks first, then the same
scoring) on the same events, a process that only parses the same file, and the command's
start-up on an empty file."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from services.common.catalog import ALERT_PUBLISHED, ALERT_RESOLVED, ALERT_UPDATED
from services.correlator.domain.engine import MatchEngine, alert_features, observation_features
from services.correlator.domain.features import RecordFeatures
from services.correlator.domain.model import (
    OBSERVATION_EVENT_KINDS,
    Observation,
    parse_alert,
    parse_observation,
)
from services.correlator.domain.spacetime import cheap_veto
from services.correlator.offline import run_match
from services.correlator.tables import load_tables
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
            alert = (
                parse_alert(data)
                if previous is None
                else previous.with_changes(data.get("changes", {}))
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
    for both), and the pairs the naive scan scored."""
    tables = load_tables()
    list(run_match(scenario.events, MatchEngine(tables)))  # warm-up: name caches, tagger
    started = time.perf_counter()
    list(run_match(scenario.events, MatchEngine(tables)))
    engine_seconds = time.perf_counter() - started
    started = time.perf_counter()
    pairs = naive_scan(scenario.events, MatchEngine(tables))
    return engine_seconds, time.perf_counter() - started, pairs


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
            "start-up": _run([*match, str(empty), "--out", str(out / "e")]),
            "parse only": _run([sys.executable, "-c", parse, str(events)]),
            "match": _run([*match, str(events), "--out", str(out / "m")]),
        }


def report(seed: int, children: int) -> str:
    scenario = generate_scenario(seed, children=children)
    engine_s, naive_s, pairs = in_process(scenario)
    times = command_times(scenario)
    return "\n".join(
        [
            f"scenario seed {seed}, {children} children, {len(scenario.events)} events:",
            f"  engine replay {engine_s:.2f} s vs naive pairwise scan {naive_s:.2f} s "
            f"({pairs} pairs): {naive_s / engine_s:.1f}x faster",
            f"  `kinlink match` start-up on an empty file {times['start-up']:.2f} s "
            f"(bare interpreter {times['interpreter']:.2f} s)",
            f"  `kinlink match` on the scenario {times['match']:.2f} s, "
            f"{times['match'] / times['parse only']:.1f}x a process that only parses the file "
            f"({times['parse only']:.2f} s)",
        ]
    )
