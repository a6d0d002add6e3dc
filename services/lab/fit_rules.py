"""Choose the decision rule that the engine applies per observation kind.

The fit chooses the competition rule (`competition`): an alert is proposed when its share of
the probability, weighed against the observation's other candidates and against "no alert
here" (`absent` bits), reaches the threshold — exactly `MatchEngine.decide`. It is chosen
from a fixed grid to maximise F1 on the fitting data (true pairs the blocking never scored
count as misses). Weights files written before it carry a threshold on each pair's score, a
margin for rivals and a lead over the runner-up instead; the engine still reads them so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from services.correlator.domain.competition import standing_out
from services.correlator.domain.scoring import Comparison, Weights, probability, total_bits

if TYPE_CHECKING:
    from services.lab.fit import LabelledPair

SHARES = tuple(round(0.05 * i, 2) for i in range(4, 19))
ABSENT_BITS = (-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0)


def _by_observation(
    weights: Weights, kind: str, pairs: Sequence[LabelledPair]
) -> list[list[tuple[float, float, int]]]:
    """(bits, score, label) of each observation's pairs, best first."""
    grouped: dict[str, list[tuple[float, float, int]]] = {}
    for pair in pairs:
        if pair.weight != 1.0:
            continue  # reviews train the weights, not the rule
        bits = total_bits(weights, kind, Comparison(dict(pair.levels)))
        grouped.setdefault(pair.observation_id, []).append((bits, probability(bits), pair.label))
    return [sorted(items, reverse=True) for _, items in sorted(grouped.items())]


def _competition_f1(
    groups: list[list[tuple[float, float, int]]], positives: int, threshold: float, absent: float
) -> float:
    tp = fp = 0
    for items in groups:
        bits = {str(i): item[0] for i, item in enumerate(items)}
        for alert in standing_out(bits, absent, threshold):
            label = items[int(alert)][2]
            tp += label
            fp += 1 - label
    return 2 * tp / (2 * tp + fp + (positives - tp)) if positives else 0.0


def choose_competition_rule(
    weights: Weights, kind: str, pairs: Sequence[LabelledPair], positives: int
) -> tuple[float, float]:
    """The (threshold on an alert's share, absent bits) maximising F1 for one kind."""
    groups = _by_observation(weights, kind, pairs)
    best_f1, best = -1.0, (0.5, 0.0)
    for absent in ABSENT_BITS:
        for threshold in SHARES:
            f1 = _competition_f1(groups, positives, threshold, absent)
            if f1 > best_f1 + 1e-9:
                best_f1, best = f1, (threshold, absent)
    return best
