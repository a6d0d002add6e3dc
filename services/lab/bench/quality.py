"""Matching quality of the engine beside two baselines, on a scenario it was not fitted on."""

from __future__ import annotations

import contextlib
import io
import logging
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.correlator.domain.engine import MatchEngine
from services.correlator.offline import run_match
from services.correlator.tables import load_tables
from services.lab.evaluation import Metrics, evaluate, format_report
from services.lab.scenario import generate_scenario, write_scenario


@dataclass(frozen=True)
class MatcherResult:
    name: str
    metrics: Metrics
    seconds: float
    note: str = ""


def _timed(fn: Callable[[], list[dict[str, Any]]]) -> tuple[list[dict[str, Any]], float]:
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def compare_matchers(seed: int, children: int) -> tuple[list[MatcherResult], dict[str, Any]]:
    scenario = generate_scenario(seed=seed, children=children)
    events = scenario.events
    results = []

    engine = MatchEngine(load_tables())
    candidates: set[tuple[str, str, str]] = set()
    engine.observer = lambda alert_id, obs, _c: candidates.add((alert_id, obs.kind, obs.obs_id))
    proposals, seconds = _timed(lambda: [e["data"] for e in run_match(events, engine)])
    results.append(
        MatcherResult(
            f"kinlink engine ({engine.engine_version})",
            evaluate(proposals, scenario.truth, candidates=candidates),
            seconds,
        )
    )

    from services.lab.baselines import fuzzy

    proposals, seconds = _timed(lambda: fuzzy.match(events))
    results.append(
        MatcherResult(
            "fuzzy baseline (token_sort_ratio>=85)", evaluate(proposals, scenario.truth), seconds
        )
    )

    try:
        from services.lab.baselines import splink_baseline
    except ImportError as exc:  # splink comes with the `bench` extra only
        results.append(
            MatcherResult("splink baseline", evaluate([], scenario.truth), 0.0, f"not run: {exc}")
        )
    else:
        # Splink reports training progress on stdout and through logging: keep the table clean.
        with contextlib.redirect_stdout(io.StringIO()):
            logging.disable(logging.WARNING)
            try:
                proposals, seconds = _timed(lambda: splink_baseline.match(events, seed=1))
            finally:
                logging.disable(logging.NOTSET)
        results.append(
            MatcherResult(
                f"splink {splink_baseline.splink_version()} (stock comparisons, EM)",
                evaluate(proposals, scenario.truth),
                seconds,
            )
        )
    info = {
        "seed": seed,
        "children": children,
        "events": len(events),
        "true_pairs": len(scenario.true_pairs()),
        "scenario": scenario,
    }
    return results, info


def format_comparison(results: list[MatcherResult]) -> str:
    header = (
        f"{'matcher':<52} {'P':>6} {'R':>6} {'F1':>6} {'R@1':>6} {'regF1':>6} {'sigF1':>6}"
        f" {'block':>6} {'pairs/obs':>9} {'secs':>7}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        m = r.metrics
        row, reg, sig = m.overall, m.row("registration"), m.row("sighting")
        block = f"{row.blocking.value:.3f}" if row.blocking is not None else "-"
        pairs = f"{row.pairs_per_observation:.1f}" if row.pairs_per_observation is not None else "-"
        lines.append(
            f"{r.name[:52]:<52} {row.precision:6.3f} {row.recall:6.3f} {row.f1:6.3f}"
            f" {row.recall_at_1.value:6.3f} {reg.f1:6.3f} {sig.f1:6.3f} {block:>6} {pairs:>9}"
            f" {r.seconds:7.1f}" + (f"  ({r.note})" if r.note else "")
        )
    return "\n".join(lines)


def match_command_wall_time(scenario: Any) -> tuple[float, float]:
    """Wall time of `kinlink match` on the scenario file, and of a reference process that only
    reads and parses the same file (same interpreter start-up, same I/O)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        write_scenario(scenario, out)
        events = out / "events.jsonl"
        reference = (
            "import json,sys; [json.loads(line) for line in open(sys.argv[1], encoding='utf-8')]"
        )
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", reference, str(events)], check=True)
        ref_seconds = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "services.cli", "match", str(events), "--out", str(out / "m")],
            check=True,
            stderr=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - started
    return seconds, ref_seconds


def report(seed: int, children: int) -> str:
    results, info = compare_matchers(seed, children)
    seconds, ref = match_command_wall_time(info["scenario"])
    parts = [
        f"scenario seed {seed} ({children} children, {info['events']} events, "
        f"{info['true_pairs']} true pairs); engine weights fitted on another seed",
        format_comparison(results),
        "",
        format_report(results[0].metrics, "kinlink engine by slice"),
        "",
        f"`kinlink match` on the scenario file: {seconds:.1f}s wall, "
        f"{seconds / ref:.1f}x a process that only parses the same file ({ref:.2f}s)",
    ]
    return "\n".join(parts)
