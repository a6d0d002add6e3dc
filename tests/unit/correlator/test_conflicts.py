"""An alert does not take two different children at one place and time: of two observations
no child could both be (too far apart for the time between them), the alert keeps the better
one, whatever order they arrive in; observations a child could both be are both kept."""

from __future__ import annotations

from typing import Any

from services.correlator.domain.conflicts import Standing, held_back_by, incompatible
from services.correlator.domain.decisions import (
    CONFLICTING,
    Decision,
    MatchState,
    Proposal,
    Withdraw,
    reconcile,
)
from services.correlator.domain.engine import match_id
from services.correlator.offline import final_state, run_match
from tests.engine_tables import engine as engine_for_tests
from tests.unit.correlator.test_match_engine import AHMADI, _alert, _registration

VENTIMIGLIA = (43.79, 7.61)
MUNICH = (48.14, 11.58)  # about 560 km from Ventimiglia
HOUR = 3600.0


def _standing(obs_id: str, score: float, at: float, point: tuple[float, float]) -> Standing:
    match = match_id("a1", "registration", obs_id)
    return Standing("registration", obs_id, match, score, at, point)


def test_too_far_for_the_time_between_is_incompatible_and_days_apart_is_not() -> None:
    here = _standing("r1", 0.9, 0.0, VENTIMIGLIA)
    assert incompatible(here, _standing("r2", 0.5, HOUR, MUNICH))
    assert not incompatible(here, _standing("r2", 0.5, 3 * 24 * HOUR, MUNICH))
    assert not incompatible(here, _standing("r2", 0.5, HOUR, (43.80, 7.62)))  # same town
    assert not incompatible(here, Standing("registration", "r2", "m", 0.5, HOUR, None))


def test_the_better_ranked_observation_holds_back_the_other_not_the_reverse() -> None:
    better = _standing("r1", 0.9, 0.0, VENTIMIGLIA)
    worse = _standing("r2", 0.5, HOUR, MUNICH)
    assert held_back_by(worse, [better]) == better
    assert held_back_by(better, [worse]) is None
    # Equal scores: the smaller observation reference ranks first, so exactly one is kept.
    tied = _standing("r2", 0.9, HOUR, MUNICH)
    assert held_back_by(tied, [better]) == better
    assert held_back_by(better, [tied]) is None


def _decision(obs_id: str, score: float, at: float, point: tuple[float, float]) -> Decision:
    proposal = Proposal(
        match_id("a1", "registration", obs_id), "a1", "registration", obs_id, score, 1.0, [], "v"
    )
    return Decision("registration", obs_id, [proposal], {"a1": score}, 0.3, "v", at, point)


def test_reconcile_withdraws_a_live_match_held_back_as_conflicting() -> None:
    decision = _decision("r2", 0.5, HOUR, MUNICH)
    better = _standing("r1", 0.9, 0.0, VENTIMIGLIA)
    mine = match_id("a1", "registration", "r2")
    live = {mine: MatchState(mine, "a1", 1, "proposed", 0.5)}
    actions = reconcile(decision, live, lambda _: True, {"a1": [better]})
    assert len(actions) == 1 and isinstance(actions[0], Withdraw)
    assert (actions[0].reason, actions[0].superseded_by) == (CONFLICTING, better.match_id)
    # Not yet proposed: nothing is said. Confirmed by an investigator: proposed all the same.
    assert reconcile(decision, {}, lambda _: True, {"a1": [better]}) == []
    confirmed = reconcile(decision, {}, lambda _: True, {"a1": [better]}, frozenset({"a1"}))
    assert [type(a).__name__ for a in confirmed] == ["Propose"]
    # Once the better observation no longer stands out for the alert, the pair comes back.
    held = {mine: MatchState(mine, "a1", 2, "withdrawn", 0.5, None, CONFLICTING)}
    assert [a.revision for a in reconcile(decision, held, lambda _: True, {})] == [3]


def _event(kind: str, data: dict[str, Any], time: str) -> dict[str, Any]:
    return {"specversion": "1.0", "id": f"{kind}-{time}-{len(data)}", "source": "/t",
            "type": kind, "time": time, "data": data}  # fmt: skip


def _scenario(second_at: str) -> list[dict[str, Any]]:
    """An alert, a strong registration at Ventimiglia and a weaker one at Munich."""
    strong = _registration("r1", AHMADI, "2024-03-20T10:00:00Z")
    weak = _registration("r2", {**AHMADI, "father_name": None}, second_at)
    weak["location"] = {"lat": MUNICH[0], "lon": MUNICH[1]}
    registration = "org.kinlink.registration.recorded.v1"
    return [
        _event("org.kinlink.alert.published.v1", _alert("a1", AHMADI), "2024-03-15T00:00:00Z"),
        _event(registration, weak, second_at),
        _event(registration, strong, "2024-03-20T10:00:00Z"),
    ]


def _proposed(events: list[dict[str, Any]]) -> set[str]:
    out = list(run_match(events, engine_for_tests()))
    return {d["observation"]["id"] for d in final_state(out).values()}


def test_an_alert_keeps_the_better_of_two_incompatible_registrations_in_any_order() -> None:
    events = _scenario("2024-03-20T11:00:00Z")
    assert _proposed(events) == {"r1"}
    assert _proposed([events[0], events[2], events[1]]) == {"r1"}
    # The weaker one came first: it was proposed, then withdrawn as conflicting.
    said = list(run_match(events, engine_for_tests()))
    withdrawn = [e["data"] for e in said if e["type"].endswith("match.withdrawn.v1")]
    assert [(w["observation"]["id"], w["reason"]) for w in withdrawn] == [("r2", CONFLICTING)]
    assert withdrawn[0]["superseded_by"] == match_id("a1", "registration", "r1")


def test_observations_one_child_could_both_be_are_both_kept() -> None:
    assert _proposed(_scenario("2024-03-24T10:00:00Z")) == {"r1", "r2"}
