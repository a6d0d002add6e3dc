"""Matching quality of the engine beside the fuzzy and Splink baselines, over held-out seeds of
both noise models (mean ± standard deviation), by observation kind, with the engine's
reliability curve (is a score of 0.8 right about 80 % of the time?).

The engine's weights are fitted on seeds 1000 ("routes") and 2000 ("other"); the seeds
reported here are never used for fitting or for development.
"""

from __future__ import annotations

import contextlib
import io
import logging
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.correlator.domain.engine import MatchEngine
from services.correlator.domain.model import Observation
from services.correlator.domain.scoring import Comparison, probability, total_bits
from services.correlator.offline import run_match
from services.correlator.tables import load_tables
from services.lab.evaluation import Metrics, evaluate
from services.lab.scenario import Scenario, generate_scenario

NOISE_MODELS = ("routes", "other")
FIGURES = ("P", "R", "F1", "regP", "regR", "regF1", "sigP", "sigR", "sigF1")
BINS = 10


@dataclass
class MatcherFigures:
    name: str
    values: dict[str, list[float]] = field(default_factory=lambda: {f: [] for f in FIGURES})
    note: str = ""

    def add(self, metrics: Metrics) -> None:
        rows = (metrics.overall, metrics.row("registration"), metrics.row("sighting"))
        for i, row in enumerate(rows):
            for j, value in enumerate((row.precision, row.recall, row.f1)):
                self.values[FIGURES[3 * i + j]].append(value)

    def cell(self, figure: str) -> str:
        values = self.values[figure]
        if not values:
            return "-"
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.3f}±{spread:.3f}"


@dataclass
class Reliability:
    """Scored pairs per score bin: how many there were and how many were true."""

    pairs: list[int] = field(default_factory=lambda: [0] * BINS)
    true: list[int] = field(default_factory=lambda: [0] * BINS)
    score_sum: list[float] = field(default_factory=lambda: [0.0] * BINS)

    def add(self, score: float, label: bool) -> None:
        b = min(int(score * BINS), BINS - 1)
        self.pairs[b] += 1
        self.true[b] += label
        self.score_sum[b] += score

    def format(self) -> str:
        lines = ["  score bin    pairs  mean score  share true"]
        for b in range(BINS):
            if self.pairs[b]:
                mean, share = self.score_sum[b] / self.pairs[b], self.true[b] / self.pairs[b]
                lines.append(
                    f"  {b / BINS:.1f}-{(b + 1) / BINS:.1f} {self.pairs[b]:>9} "
                    f"{mean:>11.3f} {share:>11.3f}"
                )
        return "\n".join(lines)


def _engine_run(scenario: Scenario, reliability: Reliability) -> Metrics:
    tables = load_tables()
    engine = MatchEngine(tables)
    truth = scenario.true_pairs()
    scored: dict[tuple[str, str, str], float] = {}

    def observe(alert_id: str, obs: Observation, comparison: Comparison) -> None:
        bits = total_bits(tables.weights, obs.kind, comparison)
        scored[(alert_id, obs.kind, obs.obs_id)] = probability(bits)

    engine.observer = observe
    metrics = evaluate(run_match(scenario.events, engine), scenario.truth)
    for pair, score in scored.items():
        reliability.add(score, pair in truth)
    return metrics


def _quiet(fn: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    # Splink reports training progress on stdout and through logging: keep the table clean.
    with contextlib.redirect_stdout(io.StringIO()):
        logging.disable(logging.WARNING)
        try:
            return fn()
        finally:
            logging.disable(logging.NOTSET)


def compare_matchers(
    noise: str, seeds: tuple[int, ...], children: int
) -> tuple[list[MatcherFigures], Reliability]:
    from services.lab.baselines import fuzzy

    engine = MatcherFigures(f"kinlink engine ({MatchEngine(load_tables()).engine_version})")
    fuzzy_figures = MatcherFigures("fuzzy baseline (token_sort_ratio>=85)")
    splink_figures = MatcherFigures("splink (stock comparisons, EM)")
    reliability = Reliability()
    try:
        from services.lab.baselines import splink_baseline
    except ImportError as exc:  # splink comes with the `bench` extra only
        splink_baseline = None  # type: ignore[assignment]
        splink_figures.note = f"not run: {exc}"
    for seed in seeds:
        scenario = generate_scenario(seed, children=children, noise=noise)
        engine.add(_engine_run(scenario, reliability))
        fuzzy_figures.add(evaluate(fuzzy.match(scenario.events), scenario.truth))
        if splink_baseline is not None:
            events = scenario.events
            found = _quiet(lambda: splink_baseline.match(events, seed=1))  # noqa: B023
            splink_figures.add(evaluate(found, scenario.truth))
    return [engine, fuzzy_figures, splink_figures], reliability


def format_table(results: list[MatcherFigures]) -> str:
    header = f"{'matcher':<44}" + "".join(f"{f:>13}" for f in FIGURES)
    lines = [header, "-" * len(header)]
    for r in results:
        cells = "".join(f"{r.cell(f):>13}" for f in FIGURES)
        lines.append(f"{r.name[:44]:<44}{cells}" + (f"  ({r.note})" if r.note else ""))
    return "\n".join(lines)


def report(seeds: tuple[int, ...], children: int) -> str:
    parts = []
    for noise in NOISE_MODELS:
        results, reliability = compare_matchers(noise, seeds, children)
        parts += [
            f"noise model '{noise}', held-out seeds {', '.join(map(str, seeds))} "
            f"({children} children each): mean ± standard deviation",
            format_table(results),
            "engine reliability (every scored candidate pair, all seeds):",
            reliability.format(),
            "",
        ]
    return "\n".join(parts)
