"""The offline matcher on a generated scenario it was not fitted on: quality floors and
determinism (about half a minute: one scenario, matched twice)."""

from __future__ import annotations

from typing import Any

import pytest

from services.correlator.offline import run_match
from services.lab.evaluation import Metrics, evaluate
from services.lab.scenario import Scenario, generate_scenario
from tests.engine_tables import engine as engine_for_tests

# Weights are fitted on seeds 1000 and 2000; floors sit a little below what seed 7 ("routes"
# noise) measured: P 0.74, R 0.69, F1 0.71, registrations' recall@1 over proposals 0.85.
SEED, CHILDREN = 7, 300
FLOORS = {"precision": 0.68, "recall": 0.64, "f1": 0.66}
R1_REGISTRATION_FLOOR = 0.80


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return generate_scenario(SEED, children=CHILDREN)


@pytest.fixture(scope="module")
def proposals(scenario: Scenario) -> list[dict[str, Any]]:
    return list(run_match(scenario.events, engine_for_tests()))


@pytest.fixture(scope="module")
def metrics(scenario: Scenario, proposals: list[dict[str, Any]]) -> Metrics:
    return evaluate(proposals, scenario.truth)


def test_offline_matching_is_deterministic(
    scenario: Scenario, proposals: list[dict[str, Any]]
) -> None:
    assert list(run_match(scenario.events, engine_for_tests())) == proposals


def test_precision_recall_and_f1_stay_above_floors(metrics: Metrics) -> None:
    overall = metrics.overall
    measured = {"precision": overall.precision, "recall": overall.recall, "f1": overall.f1}
    assert all(measured[name] >= floor for name, floor in FLOORS.items()), measured


def test_best_proposal_names_the_right_alert_for_most_registrations(metrics: Metrics) -> None:
    assert metrics.row("registration").recall_at_1.value >= R1_REGISTRATION_FLOOR
