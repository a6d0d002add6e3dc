"""Blocking recall: the share of a scenario's true pairs whose alert is among the candidates the
engine's index returns for the observation, per observation kind, optionally with a crowd of
synthetic alerts added (as at a million active alerts).

`python -m services.lab.blocking_recall [--crowd N] SEED:NOISE ...` prints the figures; use the
fitting seeds (1000-1002 "routes", 2000-2002 "other"), never the bench's held-out ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import click

from services.common.catalog import ALERT_PUBLISHED, ALERT_RESOLVED, ALERT_UPDATED
from services.correlator.domain.engine import MatchEngine
from services.correlator.domain.model import (
    OBSERVATION_EVENT_KINDS,
    Observation,
    parse_observation,
)
from services.correlator.domain.tables import EngineTables
from services.lab.scenario import Scenario, generate_scenario

FITTING_SEEDS = ((1000, "routes"), (1001, "routes"), (1002, "routes"),
                 (2000, "other"), (2001, "other"), (2002, "other"))


@dataclass(frozen=True)
class KindRecall:
    kind: str
    true_pairs: int
    found: int
    candidates_per_observation: float

    @property
    def recall(self) -> float:
        return self.found / self.true_pairs if self.true_pairs else 1.0


def _crowd(engine: MatchEngine, tables: EngineTables, count: int, seed: int) -> None:
    """`count` synthetic active alerts (Zipf-drawn names, as in the throughput bench)."""
    from services.lab.throughput import _Names, synthetic_alert

    rng = random.Random(seed)
    names = _Names(rng, tables.name_words)
    for i in range(count):
        engine.apply_alert_published(synthetic_alert(i, names, rng))


def apply_alerts(engine: MatchEngine, events: list[dict[str, Any]]) -> list[Observation]:
    """Apply every alert event of a scenario to `engine`; its observations, parsed, in order."""
    observations = []
    for event in events:
        kind, data = event["type"], event["data"]
        if kind == ALERT_PUBLISHED:
            engine.apply_alert_published(data)
        elif kind == ALERT_UPDATED:
            engine.apply_alert_updated(data)
        elif kind == ALERT_RESOLVED:
            engine.apply_alert_resolved(data)
        elif kind in OBSERVATION_EVENT_KINDS:
            observations.append(parse_observation(OBSERVATION_EVENT_KINDS[kind], data))
    return observations


def blocking_recall(
    case: Scenario, tables: EngineTables, *, crowd: int = 0, budget: int | None = None
) -> dict[str, KindRecall]:
    """Per observation kind: true pairs, those whose alert is a candidate once every alert
    event of the scenario (and `crowd` synthetic alerts) is applied, candidates per observation."""
    engine = MatchEngine(tables) if budget is None else MatchEngine(tables, budget=budget)
    if crowd:
        _crowd(engine, tables, crowd, case.seed)
    observations = apply_alerts(engine, case.events)
    truth: dict[tuple[str, str], set[str]] = {}
    for alert_id, obs_kind, obs_id in case.true_pairs():
        truth.setdefault((obs_kind, obs_id), set()).add(alert_id)
    pairs: dict[str, int] = {}
    found: dict[str, int] = {}
    candidates: dict[str, list[int]] = {}
    for obs in observations:
        got = set(engine.candidate_alerts(engine.features_of(obs)))
        candidates.setdefault(obs.kind, []).append(len(got))
        wanted = truth.get((obs.kind, obs.obs_id), set())
        pairs[obs.kind] = pairs.get(obs.kind, 0) + len(wanted)
        found[obs.kind] = found.get(obs.kind, 0) + len(wanted & got)
    return {
        kind: KindRecall(kind, pairs.get(kind, 0), found.get(kind, 0), sum(c) / len(c))
        for kind, c in sorted(candidates.items())
    }


@click.command()
@click.option("--crowd", default=0, show_default=True, help="synthetic alerts added to the index")
@click.argument("cases", nargs=-1)
def main(crowd: int, cases: tuple[str, ...]) -> None:
    """Blocking recall per observation kind. CASES: SEED:NOISE (e.g. 1000:routes); default:
    the fitting seeds. Never the bench's held-out seeds."""
    from services.correlator.tables import load_tables

    try:
        chosen = [(int(s), n) for s, _, n in (c.partition(":") for c in cases)] or FITTING_SEEDS
    except ValueError:
        raise click.BadParameter("each case is SEED:NOISE, e.g. 1000:routes") from None
    tables = load_tables()
    totals: dict[str, list[int]] = {}
    for seed, noise in chosen:
        result = blocking_recall(generate_scenario(seed, noise=noise), tables, crowd=crowd)
        for kind, r in result.items():
            click.echo(f"seed {seed} {noise:6} {kind:12} recall {r.recall:.4f} "
                       f"({r.found}/{r.true_pairs}), {r.candidates_per_observation:.1f} "
                       "candidates/obs")
            total = totals.setdefault(kind, [0, 0])
            total[0] += r.found
            total[1] += r.true_pairs
    for kind, (hit, all_) in sorted(totals.items()):
        click.echo(f"all {kind:12} recall {hit / all_:.4f} ({hit}/{all_})")


if __name__ == "__main__":
    main()
