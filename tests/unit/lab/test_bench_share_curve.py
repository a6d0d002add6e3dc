"""The bench's precision/recall curve sweeps the threshold the engine decides on: an alert's
share of the probability for its observation (weights without `absent_bits`: the pair's score)."""

from __future__ import annotations

from services.lab.bench.share_curve import proposed_counts, threshold_on

THRESHOLDS = (0.0, 0.4, 0.5, 0.9)
# Two alerts alike for r1 (3 bits each, one of them the child), one strong alert alone for r2,
# one weak alert alone for r3.
BITS = {
    ("a", "registration", "r1"): 3.0,
    ("b", "registration", "r1"): 3.0,
    ("c", "registration", "r2"): 3.0,
    ("d", "registration", "r3"): -5.0,
}
TRUE = {("a", "registration", "r1"), ("c", "registration", "r2")}


def test_alerts_alike_share_the_probability_and_stand_out_while_their_share_reaches_t() -> None:
    # "No alert here" weighs 0 bits: a and b get 8/17 each, c alone 8/9, d alone 1/33.
    counts = proposed_counts(BITS, TRUE, {"registration": 0.0}, THRESHOLDS)

    assert counts["true"] == [2, 2, 1, 0]  # a up to 0.47, c up to 0.89
    assert counts["false"] == [2, 1, 0, 0]  # b beside a; d only at 0


def test_without_absent_bits_each_pair_stands_on_its_own_score() -> None:
    # Weights fitted before the competition rule: 3 bits score 0.89 whatever the rivals.
    counts = proposed_counts(BITS, TRUE, {}, THRESHOLDS)

    assert counts["true"] == [2, 2, 2, 0]
    assert counts["false"] == [2, 1, 1, 0]


def test_the_curve_names_what_its_threshold_is_on() -> None:
    kinds = ("registration", "sighting")
    assert threshold_on(kinds, {"registration": 0.0, "sighting": -2.0}) == "share"
    assert threshold_on(kinds, {}) == "score"
    assert threshold_on(kinds, {"sighting": -2.0}) == "score (registration), share (sighting)"
