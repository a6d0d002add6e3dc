"""Choose the decision rule (threshold, margin) that the engine applies per observation.

A pair is proposed when its score reaches the threshold, its bits are within the margin of
the best alert reaching the threshold for the same observation, and the best leads the
runner-up (any scored alert) by the lead — exactly `MatchEngine.decide`. The rule is chosen
from a fixed grid to maximise F1 on the fitting data (true pairs the blocking never scored
count as misses).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from services.correlator.domain.scoring import Comparison, Weights, probability, total_bits

if TYPE_CHECKING:
    from services.lab.fit import LabelledPair

THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 19))
MARGINS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 99.0)
LEADS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)


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


def _f1(
    groups: list[list[tuple[float, float, int]]],
    positives: int,
    threshold: float,
    margin: float,
    lead: float,
) -> float:
    tp = fp = 0
    for items in groups:
        above = [item for item in items if item[1] >= threshold]
        if not above or (lead > 0 and len(items) > 1 and items[0][0] - items[1][0] < lead):
            continue
        floor = above[0][0] - margin
        for bits, _, label in above:
            if bits < floor:
                break
            tp += label
            fp += 1 - label
    return 2 * tp / (2 * tp + fp + (positives - tp)) if positives else 0.0


def choose_decision_rule(
    weights: Weights, kind: str, pairs: Sequence[LabelledPair], positives: int
) -> tuple[float, float, float]:
    """The (threshold, margin in bits, lead in bits) maximising F1 for one observation kind."""
    groups = _by_observation(weights, kind, pairs)
    best_f1, best = -1.0, (0.5, 99.0, 0.0)
    for threshold in THRESHOLDS:
        for margin in MARGINS:
            for lead in LEADS:
                f1 = _f1(groups, positives, threshold, margin, lead)
                if f1 > best_f1 + 1e-9:
                    best_f1, best = f1, (threshold, margin, lead)
    return best
