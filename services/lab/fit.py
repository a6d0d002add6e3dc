"""Fit Fellegi-Sunter weights from a labelled scenario (never from evaluation data).

m (level frequency among true pairs) and u (among non-pairs the blocking produced) are counted
per signal with additive smoothing; the name term-frequency scale is chosen by log-loss; a
logistic calibration maps total bits to a probability; the threshold maximises F1 on the fitting
scenario.  `python -m services.lab.fit` refits the correlator's weights.json from seed 1000.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

from services.correlator.domain.engine import MatchEngine
from services.correlator.domain.model import Observation
from services.correlator.domain.replay import Replayer
from services.correlator.domain.scoring import (
    FIXED_BITS,
    SIGNAL_LEVELS,
    Comparison,
    Weights,
    default_weights,
    total_bits,
)
from services.correlator.domain.tables import EngineTables

Pair = tuple[str, str, str]
FIT_SEED = 1000
FIT_CHILDREN = 600
_SMOOTHING = 1.0
_RIDGE = 1.0
_MAX_BITS = 14.0
_TF_SCALES = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25)
# Only "no margin": a dominance rule ("propose only the observation's best alerts") makes the
# streaming correlator's proposals depend on the order in which alerts and observations
# arrive (a weaker alert backfilled before the dominant one is published stays proposed), so
# two instances, a restarted one and an uninterrupted one would disagree. Proposals must be a
# function of the pair alone; ranking is left to the review queue. (Measured on seeds 7/8:
# a fitted 1-bit margin would add about 0.02-0.03 F1.)
_MARGINS = (99.0,)


def collect_comparisons(
    events: Iterable[dict[str, Any]], tables: EngineTables
) -> dict[Pair, Comparison]:
    """Every blocked candidate pair with its comparison vector (the last one scored wins)."""
    engine = MatchEngine(tables.with_weights(default_weights()), threshold=2.0)
    scored: dict[Pair, Comparison] = {}

    def record(alert_id: str, obs: Observation, comparison: Comparison) -> None:
        scored[(alert_id, obs.kind, obs.obs_id)] = comparison

    engine.observer = record
    for _ in Replayer(engine).run(events):
        pass
    return scored


def _level_bits(pairs: dict[Pair, Comparison], truth: set[Pair]) -> dict[str, dict[str, float]]:
    bits: dict[str, dict[str, float]] = {}
    for signal, levels in SIGNAL_LEVELS.items():
        m_counts: Counter[str] = Counter()
        u_counts: Counter[str] = Counter()
        for pair, comparison in pairs.items():
            target = m_counts if pair in truth else u_counts
            target[comparison.levels[signal]] += 1
        m_total = sum(m_counts.values()) + _SMOOTHING * len(levels)
        u_total = sum(u_counts.values()) + _SMOOTHING * len(levels)
        bits[signal] = {}
        for level in levels:
            m = (m_counts[level] + _SMOOTHING) / m_total
            u = (u_counts[level] + _SMOOTHING) / u_total
            value = max(-_MAX_BITS, min(_MAX_BITS, math.log2(m / u)))
            bits[signal][level] = round(FIXED_BITS.get((signal, level), value), 4)
    # "missing" carries no evidence by definition: keep it neutral.
    for levels_bits in bits.values():
        if "missing" in levels_bits:
            levels_bits["missing"] = 0.0
    return bits


def _logistic(xs: list[float], ys: list[int]) -> tuple[float, float, float]:
    """Fit p = sigmoid((a x + b) ln 2) by Newton's method; returns (a, b, mean log-loss)."""
    a, b = 1.0, -5.0
    ln2 = math.log(2)
    for _ in range(50):
        ga = gb = haa = hab = hbb = 0.0
        for x, y in zip(xs, ys, strict=True):
            z = max(-60.0, min(60.0, (a * x + b) * ln2))
            p = 1.0 / (1.0 + math.exp(-z))
            r = (p - y) * ln2
            w = p * (1 - p) * ln2 * ln2
            ga, gb = ga + r * x, gb + r
            haa, hab, hbb = haa + w * x * x, hab + w * x, hbb + w
        # A little ridge keeps Newton stable when the classes separate almost perfectly.
        ga, haa = ga + _RIDGE * (a - 1.0), haa + _RIDGE
        gb, hbb = gb + _RIDGE * b, hbb + _RIDGE
        det = haa * hbb - hab * hab
        step_a = (hbb * ga - hab * gb) / det
        step_b = (haa * gb - hab * ga) / det
        a -= max(-0.5, min(0.5, step_a))
        b -= max(-5.0, min(5.0, step_b))
    loss = 0.0
    for x, y in zip(xs, ys, strict=True):
        z = max(-30.0, min(30.0, (a * x + b) * ln2))
        p = 1.0 / (1.0 + math.exp(-z))
        loss -= math.log(p if y else 1 - p)
    return a, b, loss / max(1, len(xs))


def _best_threshold(
    pairs: list[Pair], scores: list[float], bits: list[float], ys: list[int]
) -> tuple[float, float]:
    """The (threshold, margin in bits) maximising F1: a pair is proposed when its score reaches
    the threshold and its bits are within the margin of its observation's best alert."""
    best_of: dict[tuple[str, str], float] = {}
    for pair, value in zip(pairs, bits, strict=True):
        key = (pair[1], pair[2])
        best_of[key] = max(best_of.get(key, value), value)
    gaps = [best_of[(p[1], p[2])] - value for p, value in zip(pairs, bits, strict=True)]
    positives = sum(ys)
    best_f1, best = -1.0, (0.5, 99.0)
    for margin in _MARGINS:
        kept = sorted((s, y) for s, y, g in zip(scores, ys, gaps, strict=True) if g <= margin)
        kept_scores = [s for s, _ in kept]
        # Positives at or above each position, counted from the top.
        above = list(itertools.accumulate((y for _, y in reversed(kept)), initial=0))
        for t in (i / 100 for i in range(5, 96)):
            count = len(kept) - bisect.bisect_left(kept_scores, t)
            tp = above[count]
            fp = count - tp
            f1 = 2 * tp / (2 * tp + fp + (positives - tp)) if positives else 0.0
            if f1 > best_f1 + 1e-9:
                best_f1, best = f1, (t, margin)
    return best


def fit_weights(
    events: Iterable[dict[str, Any]],
    true_pairs: set[Pair],
    tables: EngineTables,
    meta: dict[str, Any] | None = None,
) -> Weights:
    """Weights fitted on labelled events; `tables` supplies the name tables (its weights are
    not used)."""
    pairs = collect_comparisons(events, tables)
    bits = _level_bits(pairs, true_pairs)
    ys = [1 if pair in true_pairs else 0 for pair in pairs]
    best: tuple[float, float, float, float] | None = None
    for scale in _TF_SCALES:
        trial = Weights("trial", bits, tf_scale=scale)
        xs = [total_bits(trial, c) for c in pairs.values()]
        a, b, loss = _logistic(xs, ys)
        if best is None or loss < best[3]:
            best = (scale, a, b, loss)
    assert best is not None
    scale, a, b, _ = best
    fitted = Weights("fit", bits, round(scale, 3), round(a, 5), round(b, 5))
    pair_bits = [total_bits(fitted, c) for c in pairs.values()]
    scores = [1 / (1 + 2 ** -max(-60.0, min(60.0, a * x + b))) for x in pair_bits]
    threshold, margin = _best_threshold(list(pairs), scores, pair_bits, ys)
    info = dict(meta or {})
    info.update(candidate_pairs=len(pairs), true_pairs=len(true_pairs), true_pairs_blocked=sum(ys))
    version = f"fit-{info.get('seed', 'x')}-{info.get('children', 'x')}"
    return Weights(
        version,
        bits,
        fitted.tf_scale,
        fitted.calibration_slope,
        fitted.calibration_intercept,
        threshold,
        margin,
        info,
    )


def main() -> None:
    from services.correlator.tables import WEIGHTS_FILE, load_tables
    from services.lab.scenario import generate_scenario

    scenario = generate_scenario(FIT_SEED, children=FIT_CHILDREN)
    weights = fit_weights(
        scenario.events,
        scenario.true_pairs(),
        load_tables(),
        {"seed": FIT_SEED, "children": FIT_CHILDREN},
    )
    WEIGHTS_FILE.write_text(weights.to_json() + "\n", encoding="utf-8")
    print(weights.to_json())


if __name__ == "__main__":
    main()
