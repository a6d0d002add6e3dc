"""The bound that spares the engine scoring pairs in full: it never drops a pair whose bits can
matter, and decisions are the same with it as without it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from services.common.catalog import ALERT_PUBLISHED
from services.correlator.domain.bounds import PairBound
from services.correlator.domain.engine import RIVAL_BITS, alert_features, observation_features
from services.correlator.domain.features import RecordFeatures
from services.correlator.domain.model import OBSERVATION_EVENT_KINDS, parse_alert, parse_observation
from services.correlator.domain.scoring import bits_of, compare, total_bits
from services.correlator.offline import run_match
from services.lab.scenario import generate_scenario
from tests.engine_tables import TABLES
from tests.engine_tables import engine as engine_for_tests


@lru_cache(maxsize=1)
def _events() -> list[dict[str, Any]]:
    return generate_scenario(7, children=80).events


class _NeverBelow:
    """A bound that spares nothing: every candidate is scored in full."""

    def below(self, *_: object) -> bool:
        return False


def test_a_bounded_pair_is_below_the_cut_by_its_full_score() -> None:
    weights = TABLES.weights
    alerts: list[RecordFeatures] = []
    observations: list[tuple[str, RecordFeatures]] = []
    for event in _events():
        if event["type"] == ALERT_PUBLISHED:
            alerts.append(alert_features(parse_alert(event["data"])))
        elif event["type"] in OBSERVATION_EVENT_KINDS:
            obs = parse_observation(OBSERVATION_EVENT_KINDS[event["type"]], event["data"])
            observations.append((obs.kind, observation_features(obs)))
    # The engine's cut, and one nearer the threshold, where fewer pairs are spared.
    bounds = {
        kind: [
            (cut, PairBound(weights, kind, cut))
            for cut in (bits_of(value) - RIVAL_BITS, bits_of(0.05))
        ]
        for kind, value in weights.threshold.items()
    }
    bounded = kept = 0
    for kind, obs in observations:
        for alert in alerts:
            bits = total_bits(weights, kind, compare(alert, obs, TABLES.frequencies, TABLES.routes))
            for cut, bound in bounds[kind]:
                if bound.below(alert, obs, TABLES.frequencies, TABLES.routes):
                    assert bits < cut
                    bounded += 1
                else:
                    kept += 1
    assert bounded > kept > 0


def test_matching_says_the_same_with_the_bound_as_without() -> None:
    bounded, full = engine_for_tests(), engine_for_tests()
    full._bounds = {kind: _NeverBelow() for kind in full._bounds}  # type: ignore[misc]
    with_bound = list(run_match(_events(), bounded))
    assert with_bound == list(run_match(_events(), full))
    assert with_bound
    assert bounded.stats.bounded > 0 and full.stats.bounded == 0
    assert bounded.stats.candidates_scored == full.stats.candidates_scored


def test_the_bound_follows_the_routes_it_is_given() -> None:
    """Asked in turn with the known routes and with none, the bound holds for each (what it
    keeps about movements between cells belongs to one set of routes)."""
    weights = TABLES.weights
    alerts = [
        alert_features(parse_alert(e["data"])) for e in _events() if e["type"] == ALERT_PUBLISHED
    ]
    observations = [
        parse_observation(OBSERVATION_EVENT_KINDS[e["type"]], e["data"])
        for e in _events()
        if e["type"] in OBSERVATION_EVENT_KINDS
    ]
    cut = bits_of(0.05)
    bounds = {kind: PairBound(weights, kind, cut) for kind in weights.threshold}
    bounded = 0
    for obs in observations[:40]:
        features = observation_features(obs)
        for alert in alerts:
            for routes in (TABLES.routes, frozenset[str]()):
                if bounds[obs.kind].below(alert, features, TABLES.frequencies, routes):
                    comparison = compare(alert, features, TABLES.frequencies, routes)
                    assert total_bits(weights, obs.kind, comparison) < cut
                    bounded += 1
    assert bounded > 0
