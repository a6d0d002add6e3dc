"""The fit: the shipped weights are exactly what the recipe produces, and investigators' reviews
move weights the way their decisions point."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from services.correlator.repository import StoredReview
from services.correlator.tables import WEIGHTS_FILE, load_weights
from services.lab.fit import (
    collect_pairs,
    fit_weights,
    learned_token_counts,
    unconfirmed_share,
)
from services.lab.fit_data import FitSpec, build_weights, review_pairs
from services.lab.scenario import Scenario
from tests.engine_tables import TABLES


# The recipe generates and scores six scenarios (about four minutes on one free core): the
# default per-test limit leaves too little room on a loaded machine.
@pytest.mark.timeout(900)
def test_fit_regenerates_the_shipped_weights_file() -> None:
    """`kinlink fit --install` without reviews wrote weights.json: the recipe must reproduce it
    byte for byte (so the shipped file is never hand-edited or fitted on evaluation seeds)."""
    fitted = build_weights(FitSpec(), TABLES.name_words)
    assert fitted.to_json() + "\n" == WEIGHTS_FILE.read_text(encoding="utf-8")
    assert load_weights().version == fitted.version


def test_reviews_contradicting_a_signal_move_its_weight(small_scenario: Scenario) -> None:
    counts = learned_token_counts(small_scenario.events)
    truth = small_scenario.true_pairs()
    pairs = collect_pairs(small_scenario.events, truth, TABLES)
    positives = Counter(kind for _, kind, _ in truth)
    before = fit_weights(pairs, positives, counts)
    # Investigators keep confirming registrations whose languages disagree (real interview
    # languages often do), and rejecting ones whose given names agree exactly but nothing else.
    disagreeing = [
        p for p in pairs if p.kind == "registration" and dict(p.levels)["language"] == "disagree"
    ][:40]
    reviews = [
        StoredReview("registration", "confirmed", dict(p.levels), "test") for p in disagreeing
    ]
    after = fit_weights(pairs + review_pairs(reviews, 5.0), positives, counts)
    for kind in ("registration", "sighting"):
        # A movement no confirmed match has made yet is never held against a pair, and the
        # movements they made, or staying in one region, never count less than that.
        route = before.bits[kind]["route"]
        assert route["unknown"] == 0.0 and min(route.values()) >= 0.0, route
    old = before.level_bits("registration", "language", "disagree")
    new = after.level_bits("registration", "language", "disagree")
    assert new > old + 0.2, (old, new)
    # The opposite decisions push the other way.
    rejected = [replace(r, decision="rejected") for r in reviews]
    against = fit_weights(pairs + review_pairs(rejected, 5.0), positives, counts)
    assert against.level_bits("registration", "language", "disagree") <= old


def test_each_fitting_scenario_meets_another_half_of_the_routes_unconfirmed() -> None:
    routes = frozenset(f"{r}:{c}>{r + 1}:{c - 1}" for r in range(30, 50) for c in range(0, 25))
    first, second = unconfirmed_share(routes, "1000"), unconfirmed_share(routes, "1001")
    assert first < routes and second < routes
    assert 0.4 < len(first) / len(routes) < 0.6
    assert first != second  # not always the same routes withheld
    assert unconfirmed_share(routes, "1000") == first  # the fit is reproducible
