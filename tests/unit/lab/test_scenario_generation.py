"""The generator: determinism, event structure, truth, families and noise."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from services.lab.scenario import (
    Scenario,
    generate_scenario,
    read_events,
    read_truth,
    write_scenario,
)
from services.lab.scenario.cli import scenario as scenario_cli
from services.lab.scenario.population import build_population

CORE_FIELDS = {
    "org.kinlink.alert.published.v1": {
        "alert_id",
        "issuing_authority",
        "status",
        "category",
        "child",
        "last_seen",
    },
    "org.kinlink.alert.updated.v1": {"alert_id", "at", "changes"},
    "org.kinlink.alert.resolved.v1": {"alert_id", "resolution", "at"},
    "org.kinlink.registration.recorded.v1": {
        "registration_id",
        "centre",
        "registered_at",
        "location",
        "child",
        "accompanied",
    },
    "org.kinlink.sighting.reported.v1": {
        "sighting_id",
        "reporter",
        "observed_at",
        "location",
        "child",
    },
}


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _by_subject(s: Scenario, ce_type: str) -> dict[str, dict[str, Any]]:
    return {e["subject"]: e["data"] for e in s.events if e["type"] == ce_type}


def test_same_seed_same_scenario_other_seed_other_scenario() -> None:
    a, b = generate_scenario(11, children=60), generate_scenario(11, children=60)
    c = generate_scenario(12, children=60)
    assert a.events == b.events and a.truth == b.truth
    assert a.events != c.events


def test_events_are_structured_cloudevents_in_time_order(small_scenario: Scenario) -> None:
    times = []
    for event in small_scenario.events:
        assert event["specversion"] == "1.0"
        assert event["source"] == "/kinlink/scenario/7"
        assert event["datacontenttype"] == "application/json"
        entity_fact = event["type"].removeprefix("org.kinlink.").removesuffix(".v1")
        assert event["dataschema"] == f"https://schemas.kinlink.org/events/{entity_fact}.v1.json"
        assert CORE_FIELDS[event["type"]] <= set(event["data"])
        assert event["subject"] == next(v for k, v in event["data"].items() if k.endswith("_id"))
        times.append(_time(event["time"]))
    assert times == sorted(times)
    assert len({e["id"] for e in small_scenario.events}) == len(small_scenario.events)


def test_every_event_satisfies_the_schemas() -> None:
    from services.common.schema_registry import SchemaRegistry

    registry = SchemaRegistry.load()
    events = generate_scenario(8, children=50, alert_fraction=0.6).events
    assert {e["type"] for e in events} == set(CORE_FIELDS)
    problems = {e["id"]: registry.envelope_problems(e) for e in events}
    assert {k: v for k, v in problems.items() if v} == {}


def test_truth_covers_every_alert_and_observation(small_scenario: Scenario) -> None:
    ids = {r.id for r in small_scenario.truth}
    subjects = {
        e["subject"]
        for e in small_scenario.events
        if e["type"] != "org.kinlink.alert.updated.v1"
        and e["type"] != "org.kinlink.alert.resolved.v1"
    }
    assert ids == subjects
    kinds = Counter(r.kind for r in small_scenario.truth)
    assert kinds["alert"] > 0 and kinds["registration"] > 0 and kinds["sighting"] > 0


def test_true_pairs_follow_the_disappearance(small_scenario: Scenario) -> None:
    alerts = _by_subject(small_scenario, "org.kinlink.alert.published.v1")
    regs = _by_subject(small_scenario, "org.kinlink.registration.recorded.v1")
    sightings = _by_subject(small_scenario, "org.kinlink.sighting.reported.v1")
    pairs = small_scenario.true_pairs()
    assert pairs
    for alert_id, kind, obs_id in pairs:
        seen_at = _time(alerts[alert_id]["last_seen"]["at"])
        obs_at = (
            regs[obs_id]["registered_at"]
            if kind == "registration"
            else sightings[obs_id]["observed_at"]
        )
        assert _time(obs_at) >= seen_at
    # The centre's own record of an alerted child predates the alert and is no true pair.
    child_of = {r.id: r.child_id for r in small_scenario.truth}
    earlier = [
        (a, r)
        for a, alert in alerts.items()
        for r, reg in regs.items()
        if child_of[a] == child_of[r]
        and _time(reg["registered_at"]) < _time(alert["last_seen"]["at"])
    ]
    assert earlier
    assert not {(a, "registration", r) for a, r in earlier} & pairs


def test_no_observation_follows_a_resolution(small_scenario: Scenario) -> None:
    resolved = {
        e["data"]["alert_id"]: _time(e["time"])
        for e in small_scenario.events
        if e["type"] == "org.kinlink.alert.resolved.v1"
    }
    published = {
        e["subject"]: _time(e["time"])
        for e in small_scenario.events
        if e["type"].startswith("org.kinlink.registration")
        or e["type"].startswith("org.kinlink.sighting")
    }
    for alert_id, _, obs_id in small_scenario.true_pairs():
        if alert_id in resolved:
            assert published[obs_id] < resolved[alert_id]


def test_siblings_travel_together_and_share_family_and_parents() -> None:
    import random

    units = build_population(random.Random(3), 300)
    families = [
        u
        for u in units
        if len({c.family_id for c in u.members}) == 1
        and sum(c.relation == "sibling" for c in u.members) >= 2
    ]
    assert families
    for unit in families:
        siblings = [c for c in unit.members if c.relation == "sibling"]
        assert len({(c.family, c.father, c.mother) for c in siblings}) == 1
        assert len({c.given for c in siblings}) == len(siblings)
        years = [c.dob.year for c in siblings]
        assert max(years) - min(years) <= 12
    assert any(c.family is not None for u in families for c in u.members)


def test_siblings_missing_together_get_linked_alerts(small_scenario: Scenario) -> None:
    alerts = _by_subject(small_scenario, "org.kinlink.alert.published.v1")
    linked = [a for a in alerts.values() if a.get("linked_alert_ids")]
    assert linked
    for alert in linked:
        for other in alert["linked_alert_ids"]:
            assert alerts[other]["last_seen"] == alert["last_seen"]


def test_records_of_one_child_differ_in_names_and_birth_data(small_scenario: Scenario) -> None:
    alerts = _by_subject(small_scenario, "org.kinlink.alert.published.v1")
    regs = _by_subject(small_scenario, "org.kinlink.registration.recorded.v1")
    true_regs = [
        (alerts[a]["child"], regs[o]["child"])
        for a, kind, o in small_scenario.true_pairs()
        if kind == "registration"
    ]
    differing = [1 for a, r in true_regs if a["given_names"] != r["given_names"]]
    assert 0 < len(differing) < len(true_regs)
    persons = [r["child"] for r in regs.values()]
    kinds = Counter(p["date_of_birth_kind"] for p in persons)
    assert {"exact", "estimated", "placeholder", "unknown"} <= set(kinds)
    placeholders = [p for p in persons if (p["date_of_birth"] or "").endswith("-01-01")]
    assert any(p["date_of_birth_kind"] == "exact" for p in placeholders)
    assert any(p.get("names_original_script") for p in persons)
    scripts = Counter(r.script for r in small_scenario.truth)
    assert scripts["Latn"] > 0 and scripts["Arab"] + scripts["Ethi"] > 0
    sightings = _by_subject(small_scenario, "org.kinlink.sighting.reported.v1")
    assert any("given_names" not in s["child"] for s in sightings.values())


def test_write_and_read_back(tmp_path: Path, small_scenario: Scenario) -> None:
    write_scenario(small_scenario, tmp_path)
    assert read_truth(tmp_path / "truth.jsonl") == small_scenario.truth
    assert read_events(tmp_path / "events.jsonl") == small_scenario.events


def test_cli_generate_writes_files_and_prints_counts(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        scenario_cli,
        [
            "generate",
            "--seed",
            "5",
            "--children",
            "40",
            "--alert-fraction",
            "0.5",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "org.kinlink.alert.published.v1" in result.output
    assert "true pairs" in result.output
    lines = (tmp_path / "out" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines and all(json.loads(line)["specversion"] == "1.0" for line in lines)


def test_some_registrations_list_the_childs_identity_document_and_sightings_none() -> None:
    scenario = generate_scenario(3, children=300)
    child_of = {t.id: t.child_id for t in scenario.truth}
    numbers: dict[str, set[str]] = {}
    listed = 0
    for event in scenario.events:
        data = event["data"]
        documents = data.get("child", {}).get("identity_documents", [])
        if "sighting_id" in data:
            assert documents == []
        record = data.get("registration_id")
        if record is None or not documents:
            continue
        listed += 1
        [document] = documents
        assert document["type"] in ("passport", "national_id")
        numbers.setdefault(child_of[record], set()).add(document["number"])
    registrations = sum(1 for t in scenario.truth if t.kind == "registration")
    assert 0.05 * registrations < listed < 0.4 * registrations
    # One number per child, but for the odd misread character; never another child's number.
    assert sum(len(n) > 1 for n in numbers.values()) < 0.3 * len(numbers)
    owners: dict[str, str] = {}
    for child, held in numbers.items():
        for number in held:
            assert owners.setdefault(number, child) == child


def _given(scenario: Any, field: str) -> dict[str, list[tuple[str, Any, str]]]:
    """Per child, (time, value, record kind) of each record giving `field` as first published
    (an alert's later updates left out), in time order."""
    truth = {t.id: t for t in scenario.truth}
    out: dict[str, list[tuple[str, Any, str]]] = {}
    for event in scenario.events:
        data = event["data"]
        value = data.get("child", {}).get(field)
        record = data.get("alert_id") or data.get("registration_id") or data.get("sighting_id")
        if value and record in truth and "changes" not in data:
            t = truth[record]
            out.setdefault(t.child_id, []).append((t.at, value, t.kind))
    return {child: sorted(records, key=lambda r: r[0]) for child, records in out.items()}


def _pairwise(given: dict[str, list[tuple[str, Any, str]]], level: Any) -> list[str]:
    """`level` of every two records of one child, the earlier first."""
    return [
        level(a, b) for records in given.values()
        for i, a in enumerate(records) for b in records[i + 1:]
    ]


def test_records_give_the_childs_place_of_birth_as_their_keepers_heard_it() -> None:
    from services.correlator.domain.birthplace import birthplace_level, parse_birthplace

    scenario = generate_scenario(3, children=300)
    places = _given(scenario, "place_of_birth")
    given = Counter(kind for records in places.values() for _, _, kind in records)
    kinds = Counter(t.kind for t in scenario.truth)
    assert all(p["place"] and set(p) <= {"place", "country"}
               for records in places.values() for _, p, _ in records)
    # Most alerts give one (the family knows), half the registrations, hardly any sighting.
    assert given["alert"] > 0.6 * kinds["alert"]
    assert 0.3 * kinds["registration"] < given["registration"] < 0.7 * kinds["registration"]
    assert given["sighting"] < 0.1 * kinds["sighting"]
    # One child's records mostly name one place, in whatever spelling.
    levels = _pairwise(
        places, lambda a, b: birthplace_level(parse_birthplace(a[1]), parse_birthplace(b[1]))
    )
    agreeing = sum(level in ("same", "close", "region") for level in levels)
    assert levels and agreeing > 0.7 * len(levels)
    assert any(level == "differ" for level in levels)  # but children name other places too


def test_records_give_heights_that_grow_with_the_child() -> None:
    from services.correlator.domain.height import height_level

    heights = _given(generate_scenario(3, children=300), "height_cm")
    given = Counter(kind for records in heights.values() for _, _, kind in records)
    assert all(given[kind] for kind in ("alert", "registration", "sighting"))
    assert all(50 <= h <= 220 for records in heights.values() for _, h, _ in records)
    # A passer-by guesses to the nearest five (a digit typed wrong aside).
    guesses = [h for records in heights.values() for _, h, kind in records if kind == "sighting"]
    assert sum(h % 5 == 0 for h in guesses) > 0.9 * len(guesses)
    levels = _pairwise(
        heights, lambda a, b: height_level(a[1], b[1], _posix(a[0]), _posix(b[0]))
    )
    # One child's records agree within a guess's error, allowing for growth, but for the odd
    # typed digit and a passer-by far off.
    assert sum(level in ("close", "near") for level in levels) > 0.7 * len(levels)
    assert 0 < sum(level == "far" for level in levels) < 0.1 * len(levels)


def _posix(at: str) -> float:
    return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()


def test_records_describe_the_childs_marks_in_their_own_words() -> None:
    from services.correlator.domain.marks import marks_level, parse_marks

    described = _given(generate_scenario(3, children=300, noise="other"), "distinguishing_marks")
    descriptions = [m for records in described.values() for _, m, _ in records]
    assert all(parse_marks(m) for m in descriptions)  # every one the engine can read
    assert any(len(records) > 1 for records in described.values())
    # Another language now and then ("other": French and German keepers).
    words = " ".join(" ".join(m) for m in descriptions)
    assert "Narbe" in words or "cicatrice" in words
    levels = _pairwise(
        described, lambda a, b: marks_level(parse_marks(a[1]), parse_marks(b[1]))
    )
    assert sum(level in ("agree", "partial") for level in levels) > 0.8 * len(levels)
