"""A pair's score depends on the pair alone, an observation's decision on the set of alerts
alone: not on history or event order. Two correlator instances, a restarted one and the
offline command must agree.
"""

from __future__ import annotations

import random
from typing import Any

from services.correlator.domain.model import parse_observation
from tests.engine_tables import engine as engine_for_tests

_GIVEN = ("Mohammed", "Ali", "Yonas", "Fatima", "Abdi", "Hamza", "Mamadou", "Omar", "Zahra")
_FAMILY = ("Ahmadi", "Hosseini", "Tesfay", "Diallo", "Warsame", "Karimi", None)


def _child(given: str, family: str | None, dob: str, father: str | None) -> dict[str, Any]:
    return {
        "given_names": given,
        "family_name": family,
        "father_name": father,
        "sex": "male",
        "date_of_birth": dob,
        "date_of_birth_kind": "exact",
        "nationalities": ["AFG"],
        "languages": ["prs"],
    }


def _alert(alert_id: str, child: dict[str, Any], lat: float = 37.07) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "status": "active",
        "child": child,
        "last_seen": {"at": "2024-03-03T10:00:00Z", "location": {"lat": lat, "lon": 15.28}},
    }


def _registration(reg_id: str, child: dict[str, Any], lat: float = 43.79) -> dict[str, Any]:
    return {
        "registration_id": reg_id,
        "registered_at": "2024-03-20T10:00:00Z",
        "location": {"lat": lat, "lon": 7.61},
        "child": child,
    }


TARGET = _alert("target", _child("Mohammed", "Ahmadi", "2010-06-14", "Ghulam"))
OBSERVATION = _registration("r-target", _child("Muhammad", "Ahmady", "2010-01-01", "Gholam"))


def _history(seed: int, count: int = 50) -> list[tuple[str, dict[str, Any]]]:
    """Unrelated alerts and observations, many sharing the target's common names."""
    rng = random.Random(seed)
    events: list[tuple[str, dict[str, Any]]] = []
    for i in range(count):
        child = _child(
            rng.choice(_GIVEN),
            rng.choice(_FAMILY),
            f"{rng.randint(2006, 2016)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            rng.choice((None, "Ghulam", "Nasir", "Tesfay")),
        )
        if rng.random() < 0.5:
            events.append(("alert", _alert(f"other-{seed}-{i}", child, rng.uniform(36, 46))))
        else:
            events.append(("obs", _registration(f"reg-{seed}-{i}", child, rng.uniform(36, 46))))
    return events


def _score_after(history: list[tuple[str, dict[str, Any]]]) -> float:
    engine = engine_for_tests(threshold=0.0)
    for kind, data in history:
        if kind == "alert":
            engine.apply_alert_published(data)
        else:
            engine.match_observation("registration", data)
    engine.apply_alert_published(TARGET)
    return engine.match_observation("registration", OBSERVATION).scores["target"]


def test_score_does_not_depend_on_what_the_engine_saw_before() -> None:
    fresh = _score_after([])
    assert fresh > 0.5
    for seed in (1, 2):
        assert _score_after(_history(seed)) == fresh


def test_candidates_depend_only_on_the_set_of_active_alerts() -> None:
    alerts = [data for kind, data in _history(4, 120) if kind == "alert"] + [TARGET]
    observation = parse_observation("registration", OBSERVATION)

    def candidates(order: list[dict[str, Any]]) -> tuple[dict[str, float], list[str]]:
        engine = engine_for_tests(threshold=0.0, budget=20)
        for data in order:
            engine.apply_alert_published(data)
        decision = engine.decide(observation)
        return decision.scores, [p.alert_id for p in decision.winners]

    first = candidates(alerts)
    assert first == candidates(list(reversed(alerts)))
    assert "target" in first[1]
