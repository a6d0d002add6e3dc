"""Matching quality of the engine beside the fuzzy and Splink baselines, over held-out seeds of
both noise models (mean ± standard deviation), by observation kind, with the engine's
reliability curve (is a score of 0.8 right about 80 % of the time? every scored candidate pair)
and its precision and recall over the threshold the engine decides on: an alert's share of the
probability for its observation (`share_curve`; the one-child rule's withdrawals left out), or
each pair's own score for weights fitted before the competition rule.

The engine's weights are fitted on seeds 1000-1002 ("routes") and 2000-2002 ("other") and
developed on 1003-1004 / 2003-2004; the seeds reported here are never used for either.

`measure()` returns JSON-ready figures; `render()` turns them into Markdown. The figures do not
depend on timing, so the (noise model, seed) runs are spread over worker processes.
"""

from __future__ import annotations

import contextlib
import io
import logging
import statistics
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from typing import Any

from services.common.progress import SILENT, Tracker
from services.correlator.domain.engine import MatchEngine
from services.correlator.domain.model import Observation
from services.correlator.domain.scoring import Comparison, probability, total_bits
from services.correlator.domain.tables import EngineTables
from services.correlator.offline import run_match
from services.correlator.tables import load_tables
from services.lab.bench.scenarios import scenario
from services.lab.bench.share_curve import (
    THRESHOLDS_ON,
    curve_text,
    proposed_counts,
    threshold_on,
)
from services.lab.evaluation import Metrics, evaluate
from services.lab.fit import unconfirmed_share

NOISE_MODELS = ("routes", "other")
FIGURES = ("P", "R", "F1", "regP", "regR", "regF1", "sigP", "sigR", "sigF1")
MATCHERS = ("engine", "new_routes", "fuzzy", "splink")
FINE_BINS = 100  # score histogram resolution; the reliability curve derives from it
RELIABILITY_BINS = 10
CURVE_THRESHOLDS = tuple(t / 100 for t in range(0, 100, 5))  # points of the threshold curve
DIGITS = 3


def _figures(metrics: Metrics) -> list[float]:
    rows = (metrics.overall, metrics.row("registration"), metrics.row("sighting"))
    return [value for row in rows for value in (row.precision, row.recall, row.f1)]


def half_the_routes(tables: EngineTables) -> EngineTables:
    """The tables with half of the learnt routes withheld (`fit.unconfirmed_share`): as if
    those movements had no confirmed match yet, like a new crossing or a centre opened last
    month. Data not made with our generator moves along routes we never learnt."""
    weights = tables.weights
    kept = unconfirmed_share(frozenset(weights.routes), "bench")
    return tables.with_weights(replace(weights, routes=tuple(sorted(kept))))


def _engine_run(events: list[dict[str, Any]], truth: Any, true: set[Any]) -> dict[str, Any]:
    """Engine figures, a histogram of every scored pair's score by truth, and the pairs the
    decision rule would propose at each of `CURVE_THRESHOLDS` by truth (`share_curve`).

    The figures come from the engine as shipped. The histogram and the curve need every scored
    pair, and an engine with an observer also scores the pairs its admission rules and
    space-time bound would leave out (fitting needs them), so they come from a second, observed
    run. An observation's competitors there are every alert scored for it in that run, each at
    its latest bits."""
    tables = load_tables()
    engine = MatchEngine(tables)
    metrics = evaluate(run_match(events, engine), truth)
    scored: dict[tuple[str, str, str], float] = {}  # bits by pair

    def observe(alert_id: str, obs: Observation, comparison: Comparison) -> None:
        scored[(alert_id, obs.kind, obs.obs_id)] = total_bits(tables.weights, obs.kind, comparison)

    observed = MatchEngine(tables)
    observed.observer = observe
    for _ in run_match(events, observed):
        pass
    counts: dict[str, list[int]] = {"true": [0] * FINE_BINS, "false": [0] * FINE_BINS}
    score_sum = [0.0] * FINE_BINS
    for pair, bits in scored.items():
        score = probability(bits)
        b = min(int(score * FINE_BINS), FINE_BINS - 1)
        counts["true" if pair in true else "false"][b] += 1
        score_sum[b] += score
    histogram = {**counts, "score_sum": score_sum}
    absent_bits = tables.weights.absent_bits
    return {
        "figures": _figures(metrics),
        "histogram": histogram,
        "curve": proposed_counts(scored, true, absent_bits, CURVE_THRESHOLDS),
        "threshold_on": threshold_on(engine.thresholds, absent_bits),
        "true_pairs": len(true),
        "thresholds": dict(engine.thresholds),
        "version": engine.engine_version,
    }


def _quiet(fn: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    # Splink reports training progress on stdout and through logging: keep the output clean.
    with contextlib.redirect_stdout(io.StringIO()):
        logging.disable(logging.WARNING)
        try:
            return fn()
        finally:
            logging.disable(logging.NOTSET)


def run_one(noise: str, seed: int, children: int) -> dict[str, Any]:
    """Every matcher on one scenario (a worker process's job)."""
    from services.lab.baselines import fuzzy

    case = scenario(seed, children, noise)
    result: dict[str, Any] = {"engine": _engine_run(case.events, case.truth, case.true_pairs())}
    withheld = MatchEngine(half_the_routes(load_tables()))
    replayed = run_match(case.events, withheld)
    result["new_routes"] = {"figures": _figures(evaluate(replayed, case.truth))}
    result["fuzzy"] = {"figures": _figures(evaluate(fuzzy.match(case.events), case.truth))}
    try:
        from services.lab.baselines import splink_baseline
    except ImportError as exc:  # splink comes with the `bench` extra only
        result["splink"] = {"figures": None, "note": f"not run: {exc}"}
    else:
        found = _quiet(lambda: splink_baseline.match(case.events, seed=1))
        result["splink"] = {"figures": _figures(evaluate(found, case.truth))}
    return result


def _summary(values: list[float]) -> dict[str, Any]:
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return {
        "mean": round(statistics.mean(values), DIGITS),
        "std": round(spread, DIGITS),
        "values": [round(v, DIGITS) for v in values],
    }


def _curves(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Reliability bins (pair scores) and the precision/recall curve over the decision's
    threshold (`share_curve`), all seeds summed."""
    true = [sum(r["histogram"]["true"][b] for r in runs) for b in range(FINE_BINS)]
    false = [sum(r["histogram"]["false"][b] for r in runs) for b in range(FINE_BINS)]
    sums = [sum(r["histogram"]["score_sum"][b] for r in runs) for b in range(FINE_BINS)]
    width = FINE_BINS // RELIABILITY_BINS
    reliability = []
    for b in range(RELIABILITY_BINS):
        part = slice(b * width, (b + 1) * width)
        pairs = sum(true[part]) + sum(false[part])
        if pairs:
            reliability.append({
                "low": round(b / RELIABILITY_BINS, 2),
                "high": round((b + 1) / RELIABILITY_BINS, 2),
                "pairs": pairs,
                "mean_score": round(sum(sums[part]) / pairs, DIGITS),
                "share_true": round(sum(true[part]) / pairs, DIGITS),
            })
    all_true = sum(r["true_pairs"] for r in runs)
    curve = []
    for i, threshold in enumerate(CURVE_THRESHOLDS):
        hits = sum(r["curve"]["true"][i] for r in runs)
        proposed = hits + sum(r["curve"]["false"][i] for r in runs)
        curve.append({
            "threshold": round(threshold, 2),
            "precision": round(hits / proposed, DIGITS) if proposed else 1.0,
            "recall": round(hits / all_true, DIGITS) if all_true else 0.0,
        })
    return {
        "reliability": reliability,
        "threshold_curve": curve,
        "threshold_on": runs[0]["threshold_on"],
    }


def _names(version: str) -> dict[str, str]:
    return {
        "engine": f"kinlink engine ({version})",
        "new_routes": "the same, half of its learnt routes withheld (movements not yet confirmed)",
        "fuzzy": "fuzzy baseline (token_sort_ratio>=85)",
        "splink": "splink (stock comparisons, EM)",
    }


def _noise_figures(runs: list[dict[str, Any]]) -> dict[str, Any]:
    engine_runs = [r["engine"] for r in runs]
    names = _names(engine_runs[0]["version"])
    matchers: dict[str, Any] = {}
    for matcher in MATCHERS:
        per_seed = [r[matcher]["figures"] for r in runs]
        entry: dict[str, Any] = {"name": names[matcher], "note": runs[0][matcher].get("note", "")}
        entry["figures"] = (
            None if any(f is None for f in per_seed)
            else {name: _summary([f[i] for f in per_seed]) for i, name in enumerate(FIGURES)}
        )
        matchers[matcher] = entry
    thresholds = {k: round(v, DIGITS) for k, v in engine_runs[0]["thresholds"].items()}
    return {"matchers": matchers, "engine_thresholds": thresholds, **_curves(engine_runs)}


def measure(
    seeds: tuple[int, ...], children: int, *, jobs: int = 1, tracker: Tracker = SILENT
) -> dict[str, Any]:
    """Quality figures per noise model over the held-out `seeds`."""
    cases = [(noise, seed) for noise in NOISE_MODELS for seed in seeds]
    results: dict[tuple[str, int], dict[str, Any]] = {}
    tracker.describe(f"quality: {len(cases)} scenarios, {jobs} worker(s)")
    if jobs > 1:
        pool = ProcessPoolExecutor(jobs, mp_context=get_context("spawn"))
        try:
            futures = {case: pool.submit(run_one, case[0], case[1], children) for case in cases}
            for case, future in futures.items():
                results[case] = future.result()
                tracker.advance()
        finally:
            # On an error or Ctrl-C, do not start the scenarios still waiting.
            pool.shutdown(cancel_futures=True)
    else:
        for noise, seed in cases:
            results[(noise, seed)] = run_one(noise, seed, children)
            tracker.advance()
    return {
        "seeds": list(seeds),
        "children": children,
        "noise_models": {
            noise: _noise_figures([results[(noise, seed)] for seed in seeds])
            for noise in NOISE_MODELS
        },
    }


def steps(seeds: tuple[int, ...]) -> int:
    return len(NOISE_MODELS) * len(seeds)


def cell(summary: dict[str, Any] | None) -> str:
    return "-" if summary is None else f"{summary['mean']:.3f}±{summary['std']:.3f}"


def render(figures: dict[str, Any]) -> str:
    """Markdown: one table of matchers, one reliability table and what the precision/recall
    curve's threshold is, per noise model."""
    seeds = ", ".join(map(str, figures["seeds"]))
    lines: list[str] = []
    for noise, block in figures["noise_models"].items():
        lines += [
            f"Noise model **{noise}**, held-out seeds {seeds} ({figures['children']} children "
            "each): mean ± standard deviation.",
            "",
            "| matcher | " + " | ".join(FIGURES) + " |",
            "|---|" + "---:|" * len(FIGURES),
        ]
        for matcher in block["matchers"].values():
            figs = matcher["figures"]
            cells = " | ".join(cell(figs[f] if figs else None) for f in FIGURES)
            note = f" ({matcher['note']})" if matcher["note"] else ""
            lines.append(f"| {matcher['name']}{note} | {cells} |")
        thresholds = ", ".join(f"{k} {v:.3f}" for k, v in block["engine_thresholds"].items())
        on = block.get("threshold_on")
        thresholds_on = THRESHOLDS_ON.get(on, "") if on else ""
        lines += [
            "",
            f"Engine reliability (every scored candidate pair's score, all seeds; the "
            f"decision's thresholds{', ' + thresholds_on if thresholds_on else ''}: "
            f"{thresholds}):",
            "",
            "| score bin | pairs | mean score | share true |",
            "|---|---:|---:|---:|",
        ]
        for row in block["reliability"]:
            lines.append(
                f"| {row['low']:.1f}-{row['high']:.1f} | {row['pairs']} | "
                f"{row['mean_score']:.3f} | {row['share_true']:.3f} |"
            )
        lines += ["", curve_text(on), ""]
    return "\n".join(lines).rstrip() + "\n"
