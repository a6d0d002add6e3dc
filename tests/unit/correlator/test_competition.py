"""Alerts competing for one observation: each alert's share of the probability that it is the
observation's child, and which alerts stand out."""

from __future__ import annotations

import pytest

from services.correlator.domain.competition import (
    SUM_BITS,
    contending_bits,
    shares,
    standing_out,
    weakest_winner_bits,
)


def test_a_clear_best_alert_stands_out_and_takes_almost_all_the_probability() -> None:
    got = shares({"a": 8.0, "b": 1.0}, absent=0.0, threshold=0.6)
    assert got["a"] > 0.98 and got["b"] < 0.01
    assert standing_out({"a": 8.0, "b": 1.0}, absent=0.0, threshold=0.6) == ["a"]


def test_two_alerts_scoring_alike_split_the_probability_so_neither_stands_out() -> None:
    bits = {"a": 6.0, "b": 6.0}
    got = shares(bits, absent=0.0, threshold=0.6)
    assert got["a"] == got["b"] < 0.5
    assert standing_out(bits, absent=0.0, threshold=0.6) == []
    # Either alone stands out.
    assert standing_out({"a": 6.0}, absent=0.0, threshold=0.6) == ["a"]


def test_the_weight_of_no_alert_here_lowers_every_share() -> None:
    bits = {"a": 2.0}
    assert shares(bits, absent=3.0, threshold=0.5)["a"] < shares(bits, absent=0.0,
                                                                  threshold=0.5)["a"]
    assert standing_out(bits, absent=0.0, threshold=0.5) == ["a"]
    assert standing_out(bits, absent=3.0, threshold=0.5) == []


def test_an_alert_at_the_weakest_winning_bits_alone_has_exactly_the_threshold() -> None:
    for absent, threshold in ((0.0, 0.5), (-2.0, 0.7), (1.5, 0.35)):
        bits = weakest_winner_bits(absent, threshold)
        assert shares({"a": bits}, absent, threshold)["a"] == pytest.approx(threshold)


def test_alerts_far_under_any_winner_play_no_part() -> None:
    """So the decision depends only on alerts whose change can decide: the streaming service
    and the offline replay read the same set whatever the bounds spared."""
    absent, threshold = -1.0, 0.6
    cut = contending_bits(absent, threshold)
    assert cut == pytest.approx(weakest_winner_bits(absent, threshold) - SUM_BITS)
    alone = shares({"a": 3.0}, absent, threshold)
    crowded = shares({"a": 3.0, **{f"w{i}": cut - 0.01 for i in range(50)}}, absent, threshold)
    assert crowded == alone
    # Just above the cut, they count: many weak candidates lower the best one's share.
    counted = shares({"a": 3.0, **{f"w{i}": cut + 0.01 for i in range(50)}}, absent, threshold)
    assert counted["a"] < alone["a"]


def test_huge_bits_do_not_overflow() -> None:
    assert shares({"a": 5000.0, "b": 4999.0}, absent=0.0, threshold=0.5)["a"] == pytest.approx(
        2 / 3
    )
