"""The logistic fit honours its constraints: floors on penalties and ordered chains of levels."""

from __future__ import annotations

import math

from services.correlator.tables import load_weights
from services.lab.fit_constraints import FLOORS
from services.lab.logistic import Problem, fit_logistic


def _separating_problem(**extra: object) -> Problem:
    # Feature 0 present: almost always false; feature 1 present: almost always true.
    return Problem(
        features=2,
        patterns=[(), (0,), (1,)],
        positives=[50.0, 1.0, 99.0],
        negatives=[50.0, 99.0, 1.0],
        **extra,  # type: ignore[arg-type]
    )


def test_a_floor_caps_a_penalty_the_data_would_make_a_veto() -> None:
    free = fit_logistic(_separating_problem(), ridge=0.1)
    capped = fit_logistic(_separating_problem(floors={0: -math.log(2)}), ridge=0.1)
    assert free[1] < -2.0
    assert capped[1] == -math.log(2)
    assert capped[2] > 2.0  # the other evidence is still learned


def test_an_ordered_chain_is_never_inverted() -> None:
    # The data says feature 1 is worth more than feature 0; the chain says 0 >= 1.
    fitted = fit_logistic(_separating_problem(chains=[[0, 1]]), ridge=0.1)
    assert fitted[1] >= fitted[2] - 1e-9


def test_shipped_weights_treat_language_disagreement_as_evidence_not_a_veto() -> None:
    weights = load_weights()
    floor = FLOORS[("language", "disagree")]
    for kind, bits in weights.bits.items():
        assert bits["language"]["disagree"] >= floor, kind
