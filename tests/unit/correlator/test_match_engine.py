"""Engine, index and offline behaviour users rely on."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from services.correlator.domain.engine import MatchEngine, match_id
from services.correlator.domain.index import InvertedIndex
from services.correlator.domain.model import parse_observation
from services.correlator.match_cli import match
from services.correlator.offline import final_state, run_match
from tests.engine_tables import TABLES
from tests.engine_tables import engine as engine_for_tests


def _child(
    given: str, family: str | None, dob: str, kind: str = "exact", father: str | None = None
) -> dict[str, Any]:
    return {
        "given_names": given,
        "family_name": family,
        "father_name": father,
        "sex": "male",
        "date_of_birth": dob,
        "date_of_birth_kind": kind,
        "nationalities": ["AFG"],
        "languages": ["prs"],
    }


def _alert(alert_id: str, child: dict[str, Any]) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "status": "active",
        "child": child,
        "last_seen": {"at": "2024-03-03T10:00:00Z", "location": {"lat": 37.07, "lon": 15.28}},
    }


def _registration(
    reg_id: str,
    child: dict[str, Any],
    at: str = "2024-03-20T10:00:00Z",
) -> dict[str, Any]:
    return {
        "registration_id": reg_id,
        "registered_at": at,
        "location": {"lat": 43.79, "lon": 7.61},
        "child": child,
    }


AHMADI = _child("Mohammed", "Ahmadi", "2010-06-14", father="Ghulam")
AHMADY = _child("Muhammad", "Ahmady", "2010-01-01", father="Ghulam")


def _scores(engine: Any, reg_id: str, child: dict[str, Any], **kw: Any) -> dict[str, float]:
    scores: dict[str, float] = engine.match_observation(
        "registration", _registration(reg_id, child, **kw)
    ).scores
    return scores


def test_issue_example_scores_high_and_other_mohammed_low() -> None:
    engine = engine_for_tests()
    threshold = engine.thresholds["registration"]
    engine.apply_alert_published(_alert("a1", AHMADI))
    decision = engine.match_observation("registration", _registration("r1", AHMADY))
    assert [p.alert_id for p in decision.winners] == ["a1"]
    assert decision.winners[0].score >= threshold
    other = _child("Mohamed", "Karimi", "2008-01-01", "placeholder", "Nasir")
    assert all(s < threshold for s in _scores(engine, "r2", other).values())


def test_explanations_add_up_and_carry_no_names_or_birth_dates() -> None:
    engine = engine_for_tests()
    engine.apply_alert_published(_alert("a1", AHMADI))
    proposal = engine.match_observation("registration", _registration("r1", AHMADY)).winners[0]
    total = sum(e["contribution"] for e in proposal.explanation)
    assert abs(total - proposal.bits) < 0.02
    assert {"baseline", "name", "birth", "place_time", "rivals"} <= {
        e["signal"] for e in proposal.explanation
    }
    text = json.dumps(proposal.explanation)
    for private in ("Mohammed", "Muhammad", "Ahmad", "Ghulam", "2010", "06-14"):
        assert private not in text
    assert any("km in" in e["detail"] for e in proposal.explanation)


def test_place_of_birth_height_and_marks_that_agree_raise_the_score_and_are_explained() -> None:
    engine = engine_for_tests()
    alert_child = {**AHMADI, "place_of_birth": {"place": "Jalalabad, Nangarhar"},
                   "height_cm": 150, "distinguishing_marks": ["scar above left eyebrow"]}
    engine.apply_alert_published(_alert("a1", alert_child))
    bare = engine.match_observation("registration", _registration("r1", AHMADY)).winners[0]
    # Seventeen days later, another spelling of the town, two centimetres taller, the scar
    # described in other words.
    told = {**AHMADY, "place_of_birth": {"place": "Djalalabad"}, "height_cm": 152,
            "distinguishing_marks": ["small scar on forehead, left side"]}
    proposal = engine.match_observation("registration", _registration("r2", told)).winners[0]
    assert proposal.bits > bare.bits + 3
    details = {e["signal"]: e["detail"] for e in proposal.explanation}
    assert details["birthplace"] == "both records give the same place of birth"
    assert details["height"].startswith("heights agree")
    assert details["marks"].startswith("a distinguishing mark of one kind in one place")
    text = json.dumps(proposal.explanation)
    assert "Jalalabad" not in text and "eyebrow" not in text and "152" not in text
    # Another town, a child 20 cm shorter and another mark count against the pair.
    other = {**AHMADY, "place_of_birth": {"place": "Herat"}, "height_cm": 130,
             "distinguishing_marks": ["tattoo on right hand"]}
    against = engine.match_observation("registration", _registration("r3", other)).scores
    assert against.get("a1", 0.0) < bare.score


def test_siblings_are_told_apart() -> None:
    engine = engine_for_tests()
    engine.apply_alert_published(
        _alert("a1", _child("Jawad", "Stanikzai", "2009-04-02", father="Ghulam"))
    )
    same = _scores(engine, "r1", _child("Javad", "Stanikzai", "2009", "estimated", "Gholam"))
    sibling = _scores(engine, "r2", _child("Bilal", "Stanikzai", "2012-08-01", father="Ghulam"))
    assert same["a1"] >= engine.thresholds["registration"]
    assert sibling.get("a1", 0.0) < engine.thresholds["registration"]


def test_observation_before_last_seen_is_never_proposed() -> None:
    engine = engine_for_tests()
    engine.apply_alert_published(_alert("a1", AHMADI))
    decision = engine.match_observation(
        "registration", _registration("r1", AHMADI, at="2024-02-01T10:00:00Z")
    )
    assert decision.winners == []


def test_resolved_alert_and_rejected_pair_are_not_proposed() -> None:
    engine = engine_for_tests()
    engine.apply_alert_published(_alert("a1", AHMADI))
    obs = parse_observation("registration", _registration("r1", AHMADY))
    assert engine.decide(obs, rejected={"a1"}).winners == []
    assert engine.decide(obs).winners
    engine.apply_alert_resolved({"alert_id": "a1", "at": "2024-03-25T00:00:00Z"})
    assert engine.decide(obs).winners == []
    # A found child still claims what was observed before it was found: no runner-up.
    engine.apply_alert_published(_alert("a2", AHMADI | {"father_name": "Nasir"}))
    assert "a1" in engine.decide(obs).scores
    assert engine.decide(obs).winners == []


def test_a_clearly_better_alert_outranks_a_weaker_one() -> None:
    weak = _alert("weak", _child("Muhammad", "Ahmadi", "2010", "estimated"))
    strong = _alert("strong", AHMADI)
    engine = engine_for_tests()
    engine.apply_alert_published(weak)
    decision = engine.match_observation("registration", _registration("r1", AHMADY))
    assert [p.alert_id for p in decision.winners] == ["weak"]
    engine.apply_alert_published(strong)
    decision = engine.match_observation("registration", _registration("r1", AHMADY))
    assert [p.alert_id for p in decision.winners] == ["strong"]
    assert decision.scores["weak"] < decision.scores["strong"]


def test_common_names_do_not_blow_up_candidates_but_misspelt_match_is_found() -> None:
    engine = engine_for_tests(budget=100)
    for i in range(600):
        engine.apply_alert_published(
            _alert(f"m{i}", _child("Mohammed", "Ali", f"{2005 + i % 12}-03-04"))
        )
    engine.apply_alert_published(_alert("target", AHMADI))
    found = engine.candidate_alerts(engine_features(AHMADY | {"family_name": "Ahmdi"}))
    assert "target" in found
    assert len(found) <= 100


def engine_features(child: dict[str, Any]) -> Any:
    from services.correlator.domain.engine import observation_features
    from services.correlator.domain.model import parse_observation

    return observation_features(parse_observation("registration", _registration("x", child)))


def test_index_removal() -> None:
    index = InvertedIndex()
    index.add("a", ("k1", "k2"))
    index.add("b", ("k2",))
    index.remove("a")
    assert index.candidates(("k1", "k2"))[0] == ["b"]
    assert "a" not in index


def test_match_id_is_deterministic() -> None:
    assert match_id("a", "sighting", "s") == match_id("a", "sighting", "s")
    assert match_id("a", "sighting", "s") != match_id("a", "registration", "s")


def _events() -> list[dict[str, Any]]:
    def event(kind: str, data: dict[str, Any], time: str) -> dict[str, Any]:
        return {
            "specversion": "1.0",
            "id": f"{kind}-{time}",
            "source": "/t",
            "type": kind,
            "time": time,
            "data": data,
        }

    # The issuer corrects the child's name: the registrations no longer match.
    updated = {
        "alert_id": "a1",
        "at": "2024-03-21T00:00:00Z",
        "changes": {"child": _child("Yonas", "Tesfay", "2012-02-03", father="Haile")},
    }
    return [
        event(
            "org.kinlink.registration.recorded.v1",
            _registration("r0", AHMADY, "2024-03-10T00:00:00Z"),
            "2024-03-10T00:00:00Z",
        ),
        event("org.kinlink.alert.published.v1", _alert("a1", AHMADI), "2024-03-15T00:00:00Z"),
        event(
            "org.kinlink.registration.recorded.v1",
            _registration("r1", AHMADY),
            "2024-03-20T10:00:00Z",
        ),
        event("org.kinlink.alert.updated.v1", updated, "2024-03-21T00:00:00Z"),
        event("org.example.unknown.v1", {}, "2024-03-22T00:00:00Z"),
    ]


def test_offline_backfills_withdraws_and_is_deterministic() -> None:
    counts: Counter[str] = Counter()
    first = list(run_match(_events(), engine_for_tests(), counts=counts))
    second = list(run_match(_events(), engine_for_tests()))
    assert first == second
    said = [
        (e["data"]["observation"]["id"], e["data"]["revision"], e["type"].split(".")[-2])
        for e in first
    ]
    assert said == [
        ("r0", 1, "proposed"),
        ("r1", 1, "proposed"),
        ("r0", 2, "withdrawn"),
        ("r1", 2, "withdrawn"),
    ]
    assert {e["data"].get("reason") for e in first[2:]} == {"below_threshold"}
    assert first[0]["subject"] == first[0]["data"]["match_id"]
    assert final_state(first) == {}
    assert counts["ignored"] == 1


def test_cli_skips_bad_lines(tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl"
    lines = [json.dumps(e) for e in _events()]
    source.write_text("\n".join(lines[:2] + ["{not json"] + lines[2:]) + "\n")
    out = tmp_path / "matches.jsonl"
    result = CliRunner().invoke(match, [str(source), "--out", str(out)])
    assert result.exit_code == 0
    assert "line 3: invalid JSON" in result.output
    assert len(out.read_text().splitlines()) == 4


def test_an_erased_alert_leaves_the_engine_and_claims_nothing_any_more() -> None:
    engine = engine_for_tests()
    engine.apply_alert_published(_alert("a1", AHMADI))
    obs = parse_observation("registration", _registration("r1", AHMADY))
    assert "a1" in engine.decide(obs).scores
    assert engine.remove_alert("a1") is True
    # Unlike a resolved alert, an erased one no longer competes even for earlier observations.
    assert engine.decide(obs).scores == {} and engine.alert("a1") is None
    assert engine.active_alerts == 0 and engine.remove_alert("a1") is False


def test_alerts_scoring_alike_split_the_observation_between_them() -> None:
    """Alerts describing the same child equally well: the observation cannot tell them apart,
    so they split the probability. While each share still reaches the threshold they are all
    proposed as rivals; with one more alike alert none stands out. Alone, one is proposed."""
    engine = engine_for_tests()
    assert "registration" in engine.weights.absent_bits
    threshold = engine.thresholds["registration"]
    engine.apply_alert_published(_alert("a0", AHMADI))
    decision = engine.match_observation("registration", _registration("r1", AHMADY))
    assert [p.alert_id for p in decision.winners] == ["a0"]
    rivals = decision.winners[0].explanation[-1]
    assert rivals["signal"] == "rivals" and rivals["contribution"] == 0.0
    share = float(rivals["detail"].split("none of them, ")[1].split("%")[0]) / 100
    assert threshold <= share <= 1.0, rivals["detail"]
    bits, absent = decision.winners[0].bits, engine.weights.absent_bits["registration"]

    def each_share(n: int) -> float:
        return float(2**bits / (2**absent + n * 2**bits))

    alike = 1
    while each_share(alike + 1) >= threshold:
        engine.apply_alert_published(_alert(f"a{alike}", AHMADI))
        alike += 1
        decision = engine.match_observation("registration", _registration("r1", AHMADY))
        assert {p.alert_id for p in decision.winners} == {f"a{i}" for i in range(alike)}
    engine.apply_alert_published(_alert(f"a{alike}", AHMADI))
    decision = engine.match_observation("registration", _registration("r1", AHMADY))
    assert decision.winners == []
    assert len(set(decision.scores.values())) == 1 and len(decision.scores) == alike + 1


def test_a_confirmed_alert_keeps_the_observation_against_an_alike_rival() -> None:
    """An investigator's confirmation wins outright while the alert would stand out alone, even
    when its score is under the threshold on a share (which is not a threshold on scores)."""
    probe = engine_for_tests()
    probe.apply_alert_published(_alert("a0", AHMADI))
    obs = parse_observation("registration", _registration("r1", AHMADY))
    (alone,) = probe.decide(obs).winners
    # A share threshold above this pair's score, and "no alert here" light enough that the
    # alert alone still stands out.
    share = (alone.score + 1.0) / 2
    absent = alone.bits - math.log2(share / (1 - share)) - 1.0
    weights = replace(
        TABLES.weights,
        threshold={**TABLES.weights.threshold, "registration": share},
        absent_bits={**TABLES.weights.absent_bits, "registration": absent},
    )
    engine = MatchEngine(TABLES.with_weights(weights))
    engine.apply_alert_published(_alert("a0", AHMADI))
    assert [p.alert_id for p in engine.decide(obs).winners] == ["a0"]
    engine.apply_alert_published(_alert("a1", AHMADI))
    assert engine.decide(obs).winners == []  # alike: each holds under half
    kept = engine.decide(obs, confirmed={"a0"}).winners
    assert [p.alert_id for p in kept] == ["a0"] and kept[0].score < share


def test_weights_written_before_the_competition_rule_keep_their_threshold_and_lead() -> None:
    """A weights file without `absent_bits` (an operator may pin an older fit) is read as it
    was fitted: a threshold on each pair's score, and a lead the best needs over the runner-up.
    """
    shipped = TABLES.weights
    legacy = replace(
        shipped,
        absent_bits={},
        threshold=dict.fromkeys(shipped.threshold, 0.4),
        lead_bits=dict.fromkeys(shipped.threshold, 1.5),
    )
    engine = MatchEngine(TABLES.with_weights(legacy))
    engine.apply_alert_published(_alert("first", AHMADI))
    alone = engine.match_observation("registration", _registration("r1", AHMADY))
    assert [p.alert_id for p in alone.winners] == ["first"]
    assert alone.scores["first"] >= 0.4
    engine.apply_alert_published(_alert("second", AHMADI))
    assert engine.match_observation("registration", _registration("r1", AHMADY)).winners == []
    # With no lead asked for, alike rivals within the margin are both proposed.
    rivals = replace(legacy, lead_bits={}, margin_bits=dict.fromkeys(shipped.threshold, 1.0))
    both = MatchEngine(TABLES.with_weights(rivals))
    both.apply_alert_published(_alert("first", AHMADI))
    both.apply_alert_published(_alert("second", AHMADI))
    decision = both.match_observation("registration", _registration("r1", AHMADY))
    assert sorted(p.alert_id for p in decision.winners) == ["first", "second"]


def test_deciding_again_follows_every_change_of_the_alerts() -> None:
    """Scores and decisions are kept between decisions; every alert change is seen."""
    engine = engine_for_tests()
    obs = parse_observation("registration", _registration("r1", AHMADI))
    assert engine.decide(obs).winners == []
    engine.apply_alert_published(_alert("a1", AHMADY))
    first = engine.decide(obs)
    assert [p.alert_id for p in first.winners] == ["a1"]
    # Nothing changed: the same decision, and its explanation equals one built from scratch.
    assert engine.decide(obs) is first
    fresh = engine_for_tests()
    fresh.apply_alert_published(_alert("a1", AHMADY))
    assert first.winners[0].explanation == fresh.decide(obs).winners[0].explanation
    # An update to the alert is scored anew; a better alert then outranks it.
    engine.apply_alert_updated(
        {"alert_id": "a1", "changes": {"child": _child("Karim", "Rahimi", "2003-02-02")}}
    )
    assert engine.decide(obs).winners == []
    engine.apply_alert_published(_alert("a2", AHMADI))
    assert [p.alert_id for p in engine.decide(obs).winners] == ["a2"]
    # A review changes the decision; a resolved alert is proposed no more.
    assert engine.decide(obs, rejected={"a2"}).winners == []
    engine.apply_alert_resolved({"alert_id": "a2", "at": "2024-03-25T00:00:00Z"})
    assert engine.decide(obs).winners == []
