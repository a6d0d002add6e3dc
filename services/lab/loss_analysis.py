"""Where matching loses F1: every false positive and false negative classified by cause.

Run on FITTING seeds only (never the bench's held-out seeds 1-5):

    python -m services.lab.loss_analysis --seeds 1003,1004 --noise routes

Each true pair missed at the end is a blocking miss (never scored), below the threshold (scored
but too low to stand out even alone), outranked (alone it would stand out, but its competitors
took too much of the probability, `competition`) or withdrawn (it stood out, but the one-child
rule held it back); each false proposal either beat a true alert for its
observation (wrong winner) or beat nothing (its observation has no true alert, or the true
alert was not above the threshold). Per kind, with the signal levels over-represented among
each cause, so the biggest losses are fixed first.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from services.correlator.domain.competition import shares, weakest_winner_bits
from services.correlator.domain.engine import MatchEngine
from services.correlator.domain.model import Observation
from services.correlator.domain.scoring import Comparison, probability, total_bits
from services.correlator.offline import run_match
from services.correlator.tables import load_tables
from services.lab.evaluation import evaluate, latest_proposals
from services.lab.scenario import generate_scenario

Pair = tuple[str, str, str]


@dataclass
class Losses:
    causes: Counter[tuple[str, str]] = field(default_factory=Counter)
    levels: dict[tuple[str, str], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    counts: Counter[str] = field(default_factory=Counter)


def _classify(
    kind_pairs: dict[Pair, tuple[Comparison, float]],
    proposed: set[Pair],
    true: set[Pair],
    thresholds: dict[str, float],
    losses: Losses,
    absent_bits: Mapping[str, float] | None = None,
) -> None:
    absent_bits = absent_bits or {}
    by_obs: dict[tuple[str, str], list[tuple[float, Pair]]] = defaultdict(list)
    for pair, (_, bits) in kind_pairs.items():
        by_obs[(pair[1], pair[2])].append((bits, pair))
    for pair in true:
        losses.counts[f"true {pair[1]}"] += 1
        if pair in proposed:
            continue
        if pair not in kind_pairs:
            cause = "FN blocking miss / vetoed"
        else:
            comparison, bits = kind_pairs[pair]
            threshold, absent = thresholds[pair[1]], absent_bits.get(pair[1])
            rivals = by_obs[(pair[1], pair[2])]
            if absent is not None:  # the competition rule (`competition`)
                share = shares({p[0]: b for b, p in rivals}, absent, threshold).get(pair[0], 0.0)
                if share >= threshold:
                    cause = "FN withdrawn"  # held back by the one-child rule
                elif bits >= weakest_winner_bits(absent, threshold):
                    cause = "FN outranked"  # alone it would stand out
                else:
                    cause = "FN below threshold"
            elif probability(bits) < threshold:
                cause = "FN below threshold"
            else:
                best = max(rivals)
                cause = "FN outranked" if best[1] != pair else "FN withdrawn"
            for signal, level in comparison.levels.items():
                losses.levels[(pair[1], cause)][f"{signal}={level}"] += 1
        losses.causes[(pair[1], cause)] += 1
    for pair in proposed - true:
        obs_true = [p for p in true if (p[1], p[2]) == (pair[1], pair[2])]
        if not obs_true:
            cause = "FP observation has no alert"
        elif any(p in kind_pairs for p in obs_true):
            cause = "FP beat a scored true alert"
        else:
            cause = "FP true alert never scored"
        if pair in kind_pairs:
            for signal, level in kind_pairs[pair][0].levels.items():
                losses.levels[(pair[1], cause)][f"{signal}={level}"] += 1
        losses.causes[(pair[1], cause)] += 1
    for pair in proposed:
        losses.counts[f"proposed {pair[1]}"] += 1


def analyse(
    seed: int, noise: str, children: int, losses: Losses, weights: Path | None = None
) -> dict[str, Any]:
    scenario = generate_scenario(seed, children=children, noise=noise)
    tables = load_tables(weights) if weights is not None else load_tables()
    engine = MatchEngine(tables)
    scored: dict[Pair, tuple[Comparison, float]] = {}

    def observe(alert_id: str, obs: Observation, comparison: Comparison) -> None:
        scored[(alert_id, obs.kind, obs.obs_id)] = (
            comparison,
            total_bits(tables.weights, obs.kind, comparison),
        )

    engine.observer = observe
    events = list(run_match(scenario.events, engine))
    metrics = evaluate(events, scenario.truth)
    proposed = set(latest_proposals(events))
    _classify(
        scored, proposed, scenario.true_pairs(), engine.thresholds, losses,
        engine.weights.absent_bits,
    )
    return {
        row: (metrics.row(row).precision, metrics.row(row).recall, metrics.row(row).f1)
        for row in ("all", "registration", "sighting")
    }


def report(losses: Losses, top: int) -> str:
    lines = [f"{k}: {v}" for k, v in sorted(losses.counts.items())]
    for (kind, cause), n in sorted(losses.causes.items(), key=lambda kv: -kv[1]):
        lines.append(f"\n{kind:<13}{cause:<32}{n:>6}")
        common = losses.levels[(kind, cause)].most_common(top)
        lines += [f"    {level:<36}{count:>6}" for level, count in common]
    return "\n".join(lines)


@click.command()
@click.option("--seeds", default="1003,1004", help="Fitting-range seeds (never 1-5).")
@click.option("--noise", default="routes")
@click.option("--children", default=600)
@click.option("--top", default=12)
@click.option("--weights", type=click.Path(exists=True, path_type=Path), default=None)
def main(seeds: str, noise: str, children: int, top: int, weights: Path | None) -> None:
    """Classify the engine's losses on fitting-range scenarios."""
    chosen = [int(s) for s in seeds.split(",")]
    if any(s < 1000 for s in chosen):
        raise click.BadParameter("seeds below 1000 are held out for the bench")
    losses = Losses()
    for seed in chosen:
        figures = analyse(seed, noise, children, losses, weights)
        click.echo(f"{noise} seed {seed}: " + "  ".join(
            f"{k} P{p:.3f} R{r:.3f} F{f:.3f}" for k, (p, r, f) in figures.items()
        ))
    click.echo(report(losses, top))


if __name__ == "__main__":
    main()
