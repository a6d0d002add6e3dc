"""Erasure in `kinlink match` (the streaming correlator does the same, see the arrival-orders
integration test): a record whose personal data was erased leaves the matching. Its live
proposals are withdrawn as `erased`, what it held back or competed with is decided again
without it, the same record published again is not taken back in, and a pair an
investigator reviewed keeps its review."""

from __future__ import annotations

from typing import Any

from services.correlator.domain.decisions import ERASED
from services.correlator.domain.engine import match_id
from services.correlator.offline import final_state, run_match
from tests.engine_tables import engine as engine_for_tests
from tests.unit.correlator.test_conflicts import _event, _scenario
from tests.unit.correlator.test_match_engine import AHMADI, _alert, _registration

REGISTRATION = "org.kinlink.registration.recorded.v1"


def _erased(kind: str, record_id: str, time: str) -> dict[str, Any]:
    data = {f"{kind}_id": record_id, "erased_at": time, "reason": "retention_elapsed"}
    return _event(f"org.kinlink.{kind}.erased.v1", data, time)


def _said(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list(run_match(events, engine_for_tests()))


def _live(said: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(d["alert_id"], d["observation"]["id"]) for d in final_state(said).values()}


def _withdrawn(said: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [
        (e["data"]["alert_id"], e["data"]["observation"]["id"], e["data"]["reason"])
        for e in said
        if e["type"].endswith("match.withdrawn.v1")
    ]


def test_an_erased_registration_is_withdrawn_and_frees_the_one_it_held_back() -> None:
    events = _scenario("2024-03-20T11:00:00Z")  # r1 (Ventimiglia) holds r2 (Munich) back
    assert _live(_said(events)) == {("a1", "r1")}
    said = _said([*events, _erased("registration", "r1", "2024-03-21T00:00:00Z")])
    assert ("a1", "r1", ERASED) in _withdrawn(said)
    assert _live(said) == {("a1", "r2")}
    # The same registration recorded again (a redelivery) is not matched again.
    again = _event(REGISTRATION, _registration("r1", AHMADI), "2024-03-22T00:00:00Z")
    late = _said([*events, _erased("registration", "r1", "2024-03-21T00:00:00Z"), again])
    assert _live(late) == {("a1", "r2")}


def test_an_erased_alert_is_withdrawn_and_takes_no_new_observation() -> None:
    published = _event(
        "org.kinlink.alert.published.v1", _alert("a1", AHMADI), "2024-03-15T00:00:00Z"
    )
    first = _event(REGISTRATION, _registration("r1", AHMADI), "2024-03-20T10:00:00Z")
    later = _registration("r3", AHMADI, "2024-03-25T10:00:00Z")
    said = _said([
        published, first, _erased("alert", "a1", "2024-03-21T00:00:00Z"),
        _event(REGISTRATION, later, "2024-03-25T10:00:00Z"), published,
    ])
    assert _withdrawn(said) == [("a1", "r1", ERASED)]
    assert _live(said) == set()


def test_erasing_alike_alerts_lets_the_last_one_stand_out() -> None:
    # Three alerts for the same description share the registration three ways: none stands
    # out (each holds less than a third, under the fitted threshold).
    assert engine_for_tests().thresholds["registration"] > 1 / 3
    alerts = [
        _event("org.kinlink.alert.published.v1", _alert(a, AHMADI), "2024-03-15T00:00:00Z")
        for a in ("a1", "a2", "a3")
    ]
    registration = _event(REGISTRATION, _registration("r1", AHMADI), "2024-03-20T10:00:00Z")
    assert _live(_said([*alerts, registration])) == set()
    erased = [_erased("alert", a, "2024-03-21T00:00:00Z") for a in ("a2", "a3")]
    assert _live(_said([*alerts, registration, *erased])) == {("a1", "r1")}


def test_a_reviewed_match_keeps_its_review_when_a_record_is_erased() -> None:
    events = _scenario("2024-03-20T11:00:00Z")
    review = _event("org.kinlink.match.reviewed.v1", {
        "match_id": match_id("a1", "registration", "r1"), "alert_id": "a1",
        "observation": {"type": "registration", "id": "r1"}, "decision": "confirmed",
        "at": "2024-03-20T12:00:00Z",
    }, "2024-03-20T12:00:00Z")
    said = _said([*events, review, _erased("registration", "r1", "2024-03-21T00:00:00Z")])
    assert ("a1", "r1") in _live(said)
    assert not [w for w in _withdrawn(said) if w[1] == "r1"]
    # Its place and time are gone with its data: it no longer holds the Munich one back.
    assert ("a1", "r2") in _live(said)


def test_an_erasure_without_a_usable_time_changes_nothing() -> None:
    events = _scenario("2024-03-20T11:00:00Z")
    broken = _erased("registration", "r1", "2024-03-21T00:00:00Z")
    broken["data"]["erased_at"] = "yesterday"
    said = _said([*events, broken])
    assert _live(said) == {("a1", "r1")}
    assert not [w for w in _withdrawn(said) if w[2] == ERASED]
