"""An alert stands for one child: of two registrations it stands out for that are, by their own
evidence, two different children (a namesake born five years earlier, with another father), it
keeps the better-ranked one, whatever order they arrive in; two registrations of one child are
both kept."""

from __future__ import annotations

from itertools import permutations
from typing import Any

from services.correlator.domain.decisions import CONFLICTING
from services.correlator.domain.engine import match_id
from services.correlator.domain.identity import DIFFERENT_CHILD_BITS, ChildLinks, Record, link_bits
from services.correlator.domain.model import parse_observation
from services.correlator.offline import final_state, run_match
from tests.engine_tables import engine as engine_for_tests
from tests.unit.correlator.test_match_engine import AHMADI, _alert, _child, _registration

# What the police knew: a name, nothing of the birth or the parents.
SPARSE = {
    "given_names": "Mohammed",
    "family_name": "Ahmadi",
    "sex": "male",
    "date_of_birth_kind": "unknown",
    "nationalities": ["AFG"],
    "languages": ["prs"],
}
NAMESAKE = _child("Mohammed", "Ahmadi", "2005-02-01", father="Nasir")
SAME_CHILD = _child("Muhammad", "Ahmady", "2010-01-01", father="Ghulam")
REGISTRATION = "org.kinlink.registration.recorded.v1"


def _event(kind: str, data: dict[str, Any], time: str) -> dict[str, Any]:
    return {"specversion": "1.0", "id": f"{kind}-{time}", "source": "/t", "type": kind,
            "time": time, "data": data}  # fmt: skip


def _events(second: dict[str, Any]) -> list[dict[str, Any]]:
    later = "2024-03-27T10:00:00Z"
    return [
        _event("org.kinlink.alert.published.v1", _alert("a1", SPARSE), "2024-03-15T00:00:00Z"),
        _event(REGISTRATION, _registration("r1", AHMADI), "2024-03-20T10:00:00Z"),
        _event(REGISTRATION, _registration("r2", second, later), later),
    ]


def _proposed(events: list[dict[str, Any]]) -> set[str]:
    said = list(run_match(events, engine_for_tests()))
    return {d["observation"]["id"] for d in final_state(said).values()}


def _record(engine: Any, data: dict[str, Any], kind: str = "registration") -> Record:
    obs = parse_observation(kind, data)  # type: ignore[arg-type]
    return Record(f"{kind}/{obs.obs_id}", kind, engine.features_of(obs))


def test_a_namesake_weighs_strongly_against_one_child_and_a_respelling_does_not() -> None:
    engine = engine_for_tests()
    first = _record(engine, _registration("r1", AHMADI))
    namesake = _record(engine, _registration("r2", NAMESAKE, "2024-03-27T10:00:00Z"))
    again = _record(engine, _registration("r3", SAME_CHILD, "2024-03-27T10:00:00Z"))
    tables = (engine.weights, engine.frequencies, engine.routes)
    assert link_bits(*tables, first, namesake) <= DIFFERENT_CHILD_BITS
    assert link_bits(*tables, first, again) > 0
    # The earlier record plays the alert, whichever is given first.
    assert link_bits(*tables, namesake, first) == link_bits(*tables, first, namesake)
    links = ChildLinks(*tables)
    assert links.different(first, namesake) and not links.different(first, again)
    # A sighting is never weighed against a registration this way.
    sighting = Record("sighting/s1", "sighting", namesake.features)
    assert not links.different(first, sighting)


def test_an_alert_keeps_one_of_two_different_children_in_any_order() -> None:
    alert, true_one, namesake = _events(NAMESAKE)
    # Each alone stands out for the sparse alert: only the other child holds it back.
    assert _proposed([alert, true_one]) == {"r1"}
    assert _proposed([alert, namesake]) == {"r2"}
    for order in permutations([alert, true_one, namesake]):
        assert _proposed(list(order)) == {"r1"}, [e["type"] for e in order]
    # The namesake came first: it was proposed, then withdrawn as conflicting with r1.
    said = list(run_match([alert, namesake, true_one], engine_for_tests()))
    withdrawn = [e["data"] for e in said if e["type"].endswith("match.withdrawn.v1")]
    assert [(w["observation"]["id"], w["reason"]) for w in withdrawn] == [("r2", CONFLICTING)]
    assert withdrawn[0]["superseded_by"] == match_id("a1", "registration", "r1")


def test_two_registrations_of_one_child_are_both_kept() -> None:
    for order in permutations(_events(SAME_CHILD)):
        assert _proposed(list(order)) == {"r1", "r2"}
