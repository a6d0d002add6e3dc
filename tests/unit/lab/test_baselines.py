"""The baselines run on a generated scenario and answer in the match.proposed shape."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from services.lab.baselines import fuzzy
from services.lab.evaluation import evaluate
from services.lab.scenario import Scenario, generate_scenario


def _check_shape_and_time_order(scenario: Scenario, proposals: list[dict[str, object]]) -> None:
    from services.common.schema_registry import SchemaRegistry

    registry = SchemaRegistry.load()
    when = {}
    for event in scenario.events:
        data = event["data"]
        if event["type"] == "org.kinlink.alert.published.v1":
            when[data["alert_id"]] = data["last_seen"]["at"]
        elif event["type"] == "org.kinlink.registration.recorded.v1":
            when[data["registration_id"]] = data["registered_at"]
        elif event["type"] == "org.kinlink.sighting.reported.v1":
            when[data["sighting_id"]] = data["observed_at"]
    for p in proposals:
        assert registry.data_problems("org.kinlink.match.proposed.v1", p) == []
        obs = p["observation"]
        assert isinstance(obs, dict)
        assert datetime.fromisoformat(when[str(obs["id"])]) >= datetime.fromisoformat(
            when[str(p["alert_id"])]
        )


def test_fuzzy_baseline_finds_some_true_pairs(small_scenario: Scenario) -> None:
    proposals = fuzzy.match(small_scenario.events)
    row = evaluate(proposals, small_scenario.truth).overall
    assert row.f1 > 0
    _check_shape_and_time_order(small_scenario, proposals)


def test_fuzzy_rule_rejects_contradicting_sex_and_distant_birth_years() -> None:
    from services.lab.baselines.common import Record

    at = datetime(2025, 3, 1)
    base = Record("alert", "a", "Mohammed", None, "Mohammed", 2010, "male", "AFG", at, at)
    assert fuzzy.compatible(base, Record(**{**base.__dict__, "birth_year": 2012}))
    assert not fuzzy.compatible(base, Record(**{**base.__dict__, "birth_year": 2013}))
    assert not fuzzy.compatible(base, Record(**{**base.__dict__, "sex": "female"}))
    assert fuzzy.compatible(base, Record(**{**base.__dict__, "sex": None, "birth_year": None}))


def test_splink_baseline_runs_and_finds_true_pairs() -> None:
    pytest.importorskip("splink", reason="splink is only installed with the `bench` extra")
    from services.lab.baselines import splink_baseline

    scenario = generate_scenario(9, children=150)
    started = time.perf_counter()
    proposals = splink_baseline.match(scenario.events)
    assert time.perf_counter() - started < 60
    assert evaluate(proposals, scenario.truth).overall.correct > 0
    _check_shape_and_time_order(scenario, proposals)
