"""The chaos harness's invariants find what they are meant to find."""

from __future__ import annotations

from typing import Any

from services.common.catalog import (
    ALERTS,
    MATCH_PROPOSED,
    MATCH_WITHDRAWN,
    MATCHES,
    SIGHTING_REPORTED,
    SIGHTINGS,
)
from services.lab.chaos import checks
from services.lab.chaos.client import Answer, ClientLog
from services.lab.chaos.facts import IntakeRows, Logged, TopicFacts
from services.lab.chaos.receivers import received
from services.lab.chaos.requests import Caller, PlannedRequest

CALLER = Caller("fr-hotline-116000", "hotline", "FRA")


def _log(*record_ids: str) -> ClientLog:
    log = ClientLog()
    for n, record_id in enumerate(record_ids):
        request = PlannedRequest(n, SIGHTING_REPORTED, "sighting", f"s{n}", CALLER, {})
        log.answers.append(Answer(request, 201, record_id, 1))
        log.intake_ids[f"s{n}"] = record_id
    return log


def _facts(*logged: tuple[str, str]) -> TopicFacts:
    facts = TopicFacts()
    for event_id, key in logged:
        facts.events[SIGHTINGS].append(Logged(event_id, SIGHTING_REPORTED, key, {}))
    return facts


ROWS = IntakeRows({"alert": set(), "registration": set(), "sighting": {"a", "b"}}, set())


def test_every_accepted_request_once_is_clean() -> None:
    result = checks.check_events(_log("a", "b"), _facts(("e1", "a"), ("e2", "b")), ROWS)
    assert (result.accepted, result.lost, result.duplicated) == (2, 0, 0)


def test_a_missing_a_redelivered_and_a_second_event_are_counted() -> None:
    facts = _facts(("e1", "a"), ("e1", "a"), ("e3", "a"))
    result = checks.check_events(_log("a", "b"), facts, ROWS)
    assert result.lost_in_kafka == 1  # b
    assert result.redelivered == 1  # e1 twice
    assert result.extra_events == 1  # e3: a second event for a's one request


def test_a_record_missing_in_the_database_or_a_dead_letter_is_lost() -> None:
    rows = IntakeRows({"alert": set(), "registration": set(), "sighting": {"a"}}, set())
    facts = _facts(("e1", "a"), ("e2", "b"))
    facts.dead_letters = 1
    result = checks.check_events(_log("a", "b"), facts, rows)
    assert (result.missing_in_db, result.dead_letters, result.lost) == (1, 1, 2)


def _match(match_id: str, revision: int, withdrawn: bool = False) -> Logged:
    data = {"match_id": match_id, "revision": revision, "alert_id": f"alert-{match_id}",
            "observation": {"type": "sighting", "id": f"obs-{match_id}"}}  # fmt: skip
    return Logged(f"{match_id}/{revision}", MATCH_WITHDRAWN if withdrawn else MATCH_PROPOSED,
                  match_id, data)  # fmt: skip


def test_standing_matches_are_the_latest_revision_not_withdrawn() -> None:
    facts = TopicFacts()
    facts.events[MATCHES] += [_match("m1", 1), _match("m2", 1), _match("m2", 2, withdrawn=True),
                              _match("m3", 2), _match("m3", 1, withdrawn=True)]  # fmt: skip
    facts.events[ALERTS] = []
    assert checks.standing_match_ids(facts) == {"m1", "m3"}
    pairs = checks.final_matches(facts, {"alert-m1": "A1"})
    assert pairs == {("A1", "sighting", "obs-m1"), ("alert-m3", "sighting", "obs-m3")}


def _note(nid: str, match_id: str, subscription: str = "sub") -> dict[str, Any]:
    return {"id": nid, "kind": "proposed", "subscription_id": subscription,
            "match": {"match_id": match_id, "revision": 1}}  # fmt: skip


def test_notifications_lost_and_notified_under_two_ids_are_found() -> None:
    listed = [_note("n1", "m1"), _note("n2", "m2")]
    sse = [received("n1", listed[0])]  # n2 never reached the stream
    hooks = {"sub": [received("n1", listed[0]), received("n2", listed[1]),
                     received("n9", _note("n9", "m1"))]}  # fmt: skip
    result = checks.check_notifications([checks.Subscriber(listed, sse, hooks)], {"m1", "m2", "m3"})
    assert result.lost_sse == 1
    assert result.lost_webhook == 0
    assert result.unnotified_matches == 1  # m3
    assert result.inconsistent_ids == 1  # n9: m1's notification under a second id
